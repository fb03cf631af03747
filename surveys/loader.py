"""The one door to instrument definitions: read, size-check, version-check, parse, validate.

Shipped files live in `surveys/instruments/`; a clinic may add its own in the directory named by
`PATHBOT_INSTRUMENTS_DIR`, and licensed translations of them as packs in the directory named by
`PATHBOT_TRANSLATION_PACKS_DIR` (surveys/packs.py). Any broken file stops loading with a message
naming the file and path.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from surveys.definition import TOP_KEYS, build_instrument
from surveys.errors import InstrumentError
from surveys.model import Instrument
from surveys.packs import PACKS_DIR_ENV, apply_packs
from surveys.reader import Reader
from surveys.yaml_file import MAX_FILE_BYTES, read_yaml

__all__ = [
    "MAX_FILE_BYTES",
    "InstrumentError",
    "clear_cache",
    "load_all",
    "load_file",
    "load_instrument",
    "load_versions",
    "load_versions_without_packs",
]

FORMAT_VERSION = 1  # the newest instrument-file format this code reads
SHIPPED_DIR = Path(__file__).parent / "instruments"
CLINIC_DIR_ENV = "PATHBOT_INSTRUMENTS_DIR"


def load_file(path: str | os.PathLike[str]) -> Instrument:
    """Load and validate one instrument file."""
    p = Path(path)
    name = p.name
    parsed = read_yaml(p, name, what="an instrument file")
    r = Reader(name)
    top = r.mapping(parsed, "")
    _check_format_version(top, r)
    for key in top:
        # `x-...` keys hold YAML anchors (shared option lists) and are otherwise ignored.
        if key not in TOP_KEYS and not key.startswith("x-"):
            r.fail("", f"unknown key {key!r}")
    return build_instrument(top, r)


def _check_format_version(top: dict[str, object], r: Reader) -> None:
    # Checked before anything else: a newer file may use keys this code would call unknown.
    version = r.integer(r.required(top, "format_version", ""), "format_version")
    if version > FORMAT_VERSION:
        r.fail(
            "format_version",
            f"written for format version {version}; this pathbot reads up "
            f"to {FORMAT_VERSION}; upgrade pathbot",
        )
    if version < 1:
        r.fail("format_version", f"{version} is not a format version (the first is 1)")


def _instrument_files() -> list[Path]:
    files = sorted(SHIPPED_DIR.glob("*.yaml"))
    clinic_dir = os.environ.get(CLINIC_DIR_ENV)
    if clinic_dir:
        d = Path(clinic_dir)
        if not d.is_dir():
            raise InstrumentError(f"{CLINIC_DIR_ENV}={clinic_dir}: not a directory")
        files += sorted(d.glob("*.yaml"))
    return files


@functools.lru_cache(maxsize=4)
def _load_base(clinic_dir: str | None) -> dict[tuple[str, str], Instrument]:
    del clinic_dir  # part of the cache key only: files are found through the environment
    found: dict[tuple[str, str], Instrument] = {}
    for path in _instrument_files():
        instrument = load_file(path)
        key = (instrument.id, instrument.version)
        if key in found:
            raise InstrumentError(
                f"{path.name}: instrument {key[0]} version {key[1]} is already "
                f"defined in {found[key].source_file}"
            )
        found[key] = instrument
    return found


@functools.lru_cache(maxsize=4)
def _load_versions(
    clinic_dir: str | None, packs_dir: str | None
) -> dict[tuple[str, str], Instrument]:
    found = _load_base(clinic_dir)
    if packs_dir:
        # A clinic's licensed translations, checked against the instruments just loaded; any
        # broken pack stops loading here, like a broken instrument file.
        return apply_packs(found, Path(packs_dir))
    return found


def clear_cache() -> None:
    """Forget loaded files, e.g. after a clinic edits its instrument or pack directory."""
    _load_base.cache_clear()
    _load_versions.cache_clear()
    _catalogue.cache_clear()


def load_versions() -> dict[tuple[str, str], Instrument]:
    """Every instrument version, shipped and clinic-defined, keyed by (id, version). Cached."""
    return dict(_load_versions(os.environ.get(CLINIC_DIR_ENV), os.environ.get(PACKS_DIR_ENV)))


def load_versions_without_packs() -> dict[tuple[str, str], Instrument]:
    """Every instrument version as its file defines it, before any translation pack. Cached."""
    return dict(_load_base(os.environ.get(CLINIC_DIR_ENV)))


def load_all() -> dict[str, Instrument]:
    """The newest version of every instrument, by id. Cached."""
    return dict(_current_catalogue().newest)


def load_instrument(instrument_id: str, version: str | None = None) -> Instrument:
    """One instrument; the newest version unless `version` is given."""
    catalogue = _current_catalogue()
    if instrument_id not in catalogue.newest:
        known = ", ".join(sorted(catalogue.newest))
        raise InstrumentError(f"unknown instrument {instrument_id!r} (known: {known})")
    if version is None:
        return catalogue.newest[instrument_id]
    found = catalogue.versions.get((instrument_id, version))
    if found is None:
        have = sorted((v for i, v in catalogue.versions if i == instrument_id), key=_version_key)
        raise InstrumentError(
            f"instrument {instrument_id!r} has no version {version!r} (known: {', '.join(have)})"
        )
    return found


@dataclass(frozen=True)
class _Catalogue:
    versions: Mapping[tuple[str, str], Instrument]
    newest: Mapping[str, Instrument]


def _current_catalogue() -> _Catalogue:
    return _catalogue(os.environ.get(CLINIC_DIR_ENV), os.environ.get(PACKS_DIR_ENV))


@functools.lru_cache(maxsize=4)
def _catalogue(clinic_dir: str | None, packs_dir: str | None) -> _Catalogue:
    """The loaded versions, and the newest of each, worked out once: the conversation asks for
    an instrument several times per answer, and copying and sorting every version each time
    cost ~36 us a call, now ~3 (issue 16). Read-only views: no caller can change the cache."""
    versions = _load_versions(clinic_dir, packs_dir)
    newest: dict[str, Instrument] = {}
    for (instrument_id, _), instrument in sorted(
        versions.items(), key=lambda kv: (kv[0][0], _version_key(kv[0][1]))
    ):
        newest[instrument_id] = instrument  # later (newer) versions overwrite older ones
    return _Catalogue(MappingProxyType(dict(versions)), MappingProxyType(newest))


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    # "2.10" sorts after "2.9"; non-numeric parts sort as text.
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in version.split("."))
