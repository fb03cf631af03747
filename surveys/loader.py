"""The one door to instrument definitions: read, size-check, version-check, parse, validate.

Shipped files live in `surveys/instruments/`; a clinic may add its own in the directory named by
`PATHBOT_INSTRUMENTS_DIR`. Any broken file stops loading with a message naming the file and path.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import yaml

from surveys.definition import TOP_KEYS, build_instrument
from surveys.errors import InstrumentError
from surveys.model import Instrument
from surveys.reader import Reader

__all__ = [
    "InstrumentError",
    "clear_cache",
    "load_all",
    "load_file",
    "load_instrument",
    "load_versions",
]

FORMAT_VERSION = 1  # the newest instrument-file format this code reads
MAX_FILE_BYTES = 512 * 1024  # the largest shipped file is ~30 KB; anything huge is a mistake
SHIPPED_DIR = Path(__file__).parent / "instruments"
CLINIC_DIR_ENV = "PATHBOT_INSTRUMENTS_DIR"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, which PyYAML would otherwise silently overwrite."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[object, object]:
    loader.flatten_mapping(node)  # resolve `<<` merges first so they are not seen as duplicates
    out: dict[object, object] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            line = key_node.start_mark.line + 1
            raise InstrumentError(f"line {line}: duplicate key {key!r}")
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_file(path: str | os.PathLike[str]) -> Instrument:
    """Load and validate one instrument file."""
    p = Path(path)
    name = p.name
    try:
        with p.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise InstrumentError(f"{name}: cannot read: {e.strerror}") from e
    if len(data) > MAX_FILE_BYTES:
        raise InstrumentError(f"{name}: larger than {MAX_FILE_BYTES} bytes; not an instrument file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InstrumentError(f"{name}: not UTF-8 text (byte {e.start})") from e
    try:
        parsed = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except InstrumentError as e:
        raise InstrumentError(f"{name}: {e}") from e
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}" if mark is not None else "somewhere"
        raise InstrumentError(f"{name}: {where}: YAML syntax error: {e.problem}") from e
    except yaml.YAMLError as e:
        raise InstrumentError(f"{name}: YAML syntax error: {e}") from e
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
def _load_versions(clinic_dir: str | None) -> dict[tuple[str, str], Instrument]:
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


def clear_cache() -> None:
    """Forget loaded files, e.g. after a clinic edits its instrument directory."""
    _load_versions.cache_clear()


def load_versions() -> dict[tuple[str, str], Instrument]:
    """Every instrument version, shipped and clinic-defined, keyed by (id, version). Cached."""
    return dict(_load_versions(os.environ.get(CLINIC_DIR_ENV)))


def load_all() -> dict[str, Instrument]:
    """The newest version of every instrument, by id. Cached."""
    out: dict[str, Instrument] = {}
    for (instrument_id, _), instrument in sorted(
        load_versions().items(), key=lambda kv: (kv[0][0], _version_key(kv[0][1]))
    ):
        out[instrument_id] = instrument  # later (newer) versions overwrite older ones
    return out


def load_instrument(instrument_id: str, version: str | None = None) -> Instrument:
    """One instrument; the newest version unless `version` is given."""
    versions = load_versions()
    known = sorted({i for i, _ in versions})
    if instrument_id not in known:
        raise InstrumentError(f"unknown instrument {instrument_id!r} (known: {', '.join(known)})")
    if version is None:
        return load_all()[instrument_id]
    if (instrument_id, version) not in versions:
        have = sorted((v for i, v in versions if i == instrument_id), key=_version_key)
        raise InstrumentError(
            f"instrument {instrument_id!r} has no version {version!r} (known: {', '.join(have)})"
        )
    return versions[(instrument_id, version)]


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    # "2.10" sorts after "2.9"; non-numeric parts sort as text.
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in version.split("."))
