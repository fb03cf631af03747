"""Licensed instrument translations as packs: a clinic's official text for one instrument version
in one language, checked against the instrument before any patient sees it.

Many validated translations (PROMIS in Spanish or Nepali, for instance) may be used only under a
licence the clinic holds, so none ship with pathbot. A clinic that holds one writes it as a pack
(`<instrument>.<language>.yaml`, see tests/packs/ for the shape) into the directory named by
`PATHBOT_TRANSLATION_PACKS_DIR`. A pack must name its source, licence and validation, and
translate everything: the title, the instructions, every item's stem and context and every
option's label, with the instrument's own item ids, and each item's option codes and scored
values in the instrument's order. A pack that is wrong in any way stops loading with the file
and path of each mistake, so a patient never gets a half-translated survey or answers scored
against the wrong options. Scoring is untouched: a pack carries words, never values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ParamSpec, TypeVar

from surveys.errors import InstrumentError
from surveys.model import Instrument, Item, Option, Translation
from surveys.reader import Reader
from surveys.yaml_file import read_yaml

PACKS_DIR_ENV = "PATHBOT_TRANSLATION_PACKS_DIR"
PACK_FORMAT = 1  # the newest pack format this code reads
PACK_KEYS = (
    "pack_format",
    "instrument",
    "version",
    "language",
    "source",
    "licence",
    "validation",
    "translator",
    "notes",
    "title",
    "instructions",
    "items",
)
ITEM_KEYS = ("id", "context", "text", "options")
OPTION_KEYS = ("code", "value", "label")
# A BCP-47 language with an optional region: "es", "ne", "fa-AF" (Dari).
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
MAX_ERRORS_PER_FILE = 50  # a pack for the wrong instrument would otherwise print hundreds
T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True)
class PackItem:
    id: str
    text: str
    context: str | None
    labels: tuple[str, ...]  # in the instrument's option order


@dataclass(frozen=True)
class TranslationPack:
    file: str  # as errors and staff name it, e.g. "packs/promis29.es.yaml"
    instrument_id: str
    version: str
    language: str
    source: str
    licence: str
    validation: str
    title: str
    instructions: str
    items: tuple[PackItem, ...]
    translator: str | None = None


Versions = Mapping[tuple[str, str], Instrument]


class _Errors:
    """Collects one message per mistake, so `pathbot translations check` lists them all."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def attempt(self, check: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
        try:
            return check(*args, **kwargs)
        except InstrumentError as e:
            if len(self.messages) < MAX_ERRORS_PER_FILE:
                self.messages.append(str(e))
            return None


def pack_files(directory: Path) -> list[Path]:
    """The pack files in `directory`; a `.yml` file is an error rather than silently ignored."""
    if not directory.is_dir():
        raise InstrumentError(f"{PACKS_DIR_ENV}={directory}: not a directory")
    stray = sorted(p.name for p in directory.glob("*.yml"))
    if stray:
        raise InstrumentError(f"{directory / stray[0]}: pack files end in .yaml; rename it")
    return sorted(directory.glob("*.yaml"))


def check_pack(path: Path, versions: Versions) -> tuple[TranslationPack | None, list[str]]:
    """The pack in `path` and no errors, or None and every error found (each naming the path)."""
    name = str(path)
    errors = _Errors()
    parsed = errors.attempt(lambda: read_yaml(path, name, what="a translation pack"))
    if errors.messages:
        return None, errors.messages
    r = Reader(name)
    top = errors.attempt(lambda: r.mapping(parsed, ""))
    if top is None:
        return None, errors.messages
    for key in top:
        if key not in PACK_KEYS:
            hint = " (spelled licence)" if key == "license" else ""
            errors.attempt(r.fail, "", f"unknown key {key!r}{hint}")
    errors.attempt(lambda: _check_format(top, r))
    instrument = errors.attempt(lambda: _instrument(top, versions, r))
    language = errors.attempt(lambda: _language(top, instrument, r))
    provenance = {
        key: errors.attempt(_required_text, top, key, r)
        for key in ("source", "licence", "validation")
    }
    translator = top.get("translator")
    if translator is not None:
        errors.attempt(lambda: r.string(translator, "translator"))
    if instrument is None:
        return None, errors.messages  # nothing to compare the rest with
    title = errors.attempt(lambda: r.string(r.required(top, "title", ""), "title"))
    instructions = errors.attempt(
        lambda: r.string(r.required(top, "instructions", ""), "instructions")
    )
    items = _items(top, instrument, r, errors)
    if errors.messages:
        return None, errors.messages
    assert language is not None and title is not None and instructions is not None
    return (
        TranslationPack(
            file=name,
            instrument_id=instrument.id,
            version=instrument.version,
            language=language,
            source=str(provenance["source"]),
            licence=str(provenance["licence"]),
            validation=str(provenance["validation"]),
            title=title,
            instructions=instructions,
            items=items,
            translator=translator if isinstance(translator, str) else None,
        ),
        [],
    )


def check_directory(directory: Path, versions: Versions) -> tuple[list[TranslationPack], list[str]]:
    """Every pack in `directory` and every error: broken files, and two packs for one target."""
    packs: list[TranslationPack] = []
    errors: list[str] = []
    try:
        files = pack_files(directory)
    except InstrumentError as e:
        return [], [str(e)]
    seen: dict[tuple[str, str, str], str] = {}
    for path in files:
        pack, found = check_pack(path, versions)
        errors += found
        if pack is None:
            continue
        key = (pack.instrument_id, pack.version, pack.language)
        if key in seen:
            errors.append(
                f"{pack.file}: {pack.instrument_id} {pack.version} in {pack.language} is "
                f"already translated by {seen[key]}"
            )
            continue
        seen[key] = pack.file
        packs.append(pack)
    return packs, errors


def apply_packs(versions: Versions, directory: Path) -> dict[tuple[str, str], Instrument]:
    """`versions` with every pack in `directory` merged in; InstrumentError if any is broken."""
    packs, errors = check_directory(directory, versions)
    if errors:
        raise InstrumentError(_joined(errors))
    out = dict(versions)
    for pack in packs:
        key = (pack.instrument_id, pack.version)
        out[key] = apply_pack(out[key], pack)
    return out


def apply_pack(instrument: Instrument, pack: TranslationPack) -> Instrument:
    """The instrument, also in the pack's language. Ids, codes, values and scoring unchanged."""
    lang = pack.language
    items = tuple(
        _translated_item(item, p, lang)
        for item, p in zip(instrument.items, pack.items, strict=True)
    )
    translation = Translation(
        language=lang,
        status="validated",
        source=pack.source,
        pack=pack.file,
        licence=pack.licence,
        validation=pack.validation,
    )
    return replace(
        instrument,
        title={**instrument.title, lang: pack.title},
        instructions={**instrument.instructions, lang: pack.instructions},
        items=items,
        translations={**instrument.translations, lang: translation},
    )


def _translated_item(item: Item, pack_item: PackItem, lang: str) -> Item:
    options = tuple(
        Option(code=o.code, value=o.value, label={**o.label, lang: label})
        for o, label in zip(item.options, pack_item.labels, strict=True)
    )
    context = dict(item.context)
    if pack_item.context is not None:
        context[lang] = pack_item.context
    return replace(item, text={**item.text, lang: pack_item.text}, options=options, context=context)


def _joined(errors: list[str]) -> str:
    """One line per error; a count first when there is more than one."""
    if len(errors) == 1:
        return errors[0]
    return f"{len(errors)} errors in translation packs:\n" + "\n".join(errors)


def _required_text(top: dict[str, object], key: str, r: Reader) -> str:
    return r.string(r.required(top, key, ""), key)


def _check_format(top: dict[str, object], r: Reader) -> None:
    version = r.integer(r.required(top, "pack_format", ""), "pack_format")
    if version > PACK_FORMAT:
        r.fail(
            "pack_format",
            f"written for pack format {version}; this pathbot reads up to {PACK_FORMAT}; "
            "upgrade pathbot",
        )
    if version < 1:
        r.fail("pack_format", f"{version} is not a pack format (the first is 1)")


def _instrument(top: dict[str, object], versions: Versions, r: Reader) -> Instrument:
    instrument_id = r.string(r.required(top, "instrument", ""), "instrument")
    version = r.string(r.required(top, "version", ""), "version")
    have = sorted(v for i, v in versions if i == instrument_id)
    if not have:
        known = ", ".join(sorted({i for i, _ in versions}))
        r.fail("instrument", f"unknown instrument {instrument_id!r} (known: {known})")
    if (instrument_id, version) not in versions:
        # A translation of another version may differ in items or options: never reused.
        r.fail(
            "version",
            f"{instrument_id} has no version {version!r} here (this pathbot has "
            f"{', '.join(have)}); the pack must translate exactly that version",
        )
    return versions[(instrument_id, version)]


def _language(top: dict[str, object], instrument: Instrument | None, r: Reader) -> str:
    language = r.string(r.required(top, "language", ""), "language")
    if not _LANGUAGE.match(language):
        r.fail("language", f"{language!r} is not a language tag like es, ne or fa-AF")
    existing = instrument.translations.get(language) if instrument else None
    if instrument is not None and existing is not None and existing.status == "validated":
        r.fail(
            "language",
            f"{instrument.id} {instrument.version} already has validated {language} text in "
            f"{instrument.source_file}; a pack may add a language or replace an unvalidated one",
        )
    return language


def _items(
    top: dict[str, object], instrument: Instrument, r: Reader, errors: _Errors
) -> tuple[PackItem, ...]:
    raw = errors.attempt(lambda: r.sequence(r.required(top, "items", ""), "items"))
    if raw is None:
        return ()
    seen: dict[str, int] = {}  # item id -> its index in the pack
    found: dict[str, PackItem] = {}
    for i, entry in enumerate(raw):
        item = errors.attempt(_item, entry, i, instrument, seen, r, errors)
        if item is not None:
            found[item.id] = item
    for item_id in instrument.item_ids:
        if item_id not in seen:
            errors.attempt(
                r.fail, "items", f"no {item_id} (every item of the instrument must be translated)"
            )
    # In the instrument's order, whatever the pack's: items are matched by id.
    return tuple(found[i] for i in instrument.item_ids if i in found)


def _item(
    entry: object,
    i: int,
    instrument: Instrument,
    seen: dict[str, int],
    r: Reader,
    errors: _Errors,
) -> PackItem | None:
    path = f"items[{i}]"
    m = r.mapping(entry, path, ITEM_KEYS)
    item_id = r.string(r.required(m, "id", path), f"{path}.id")
    if item_id in seen:
        r.fail(f"{path}.id", f"{item_id} is translated twice (also items[{seen[item_id]}])")
    if item_id not in instrument.item_ids:
        r.fail(f"{path}.id", f"{instrument.id} {instrument.version} has no item {item_id!r}")
    seen[item_id] = i
    expected = instrument.item(item_id)
    text = errors.attempt(lambda: r.string(r.required(m, "text", path), f"{path}.text"))
    context = errors.attempt(lambda: _context(m, expected, path, r))
    labels = _labels(m, expected, path, r, errors)
    if text is None or labels is None or (context is None and expected.context):
        return None
    return PackItem(id=item_id, text=text, context=context, labels=labels)


def _context(m: dict[str, object], item: Item, path: str, r: Reader) -> str | None:
    if not item.context:
        if m.get("context") is not None:
            r.fail(f"{path}.context", f"{item.id} has no context in the instrument")
        return None
    return r.string(r.required(m, "context", path), f"{path}.context")


def _labels(
    m: dict[str, object], item: Item, path: str, r: Reader, errors: _Errors
) -> tuple[str, ...] | None:
    raw = errors.attempt(lambda: r.sequence(r.required(m, "options", path), f"{path}.options"))
    if raw is None:
        return None
    if len(raw) != len(item.options):
        errors.attempt(
            lambda: r.fail(
                f"{path}.options",
                f"{len(raw)} options, but {item.id} has {len(item.options)}",
            )
        )
        return None
    labels: list[str] = []
    for j, (entry, option) in enumerate(zip(raw, item.options, strict=True)):
        label = errors.attempt(_label, entry, option, f"{path}.options[{j}]", r)
        if label is not None:
            labels.append(label)
    return tuple(labels) if len(labels) == len(item.options) else None


def _label(entry: object, option: Option, path: str, r: Reader) -> str:
    m = r.mapping(entry, path, OPTION_KEYS)
    code = r.integer(r.required(m, "code", path), f"{path}.code")
    if code != option.code:
        r.fail(f"{path}.code", f"{code}, but the instrument's option here is code {option.code}")
    value = r.integer(r.required(m, "value", path), f"{path}.value")
    if value != option.value:
        # The check that matters most: a pack from a form printed in another order would
        # otherwise score every answer backwards.
        r.fail(
            f"{path}.value",
            f"{value}, but the instrument scores code {option.code} as {option.value}",
        )
    return r.string(r.required(m, "label", path), f"{path}.label")
