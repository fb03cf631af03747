"""Turn one parsed instrument file into an `Instrument`, checking its shape and its languages.

Every declared language must be complete, because an instrument that falls back to English in the
middle of a Spanish conversation is worse than one that is refused up front.
"""

from __future__ import annotations

import re

from surveys.model import Instrument, Item, Option, Translation
from surveys.reader import Reader
from surveys.rule_parser import parse_scoring

TOP_KEYS = (
    "format_version",
    "id",
    "version",
    "scoring_revision",
    "title",
    "instructions",
    "items",
    "translations",
    "unvalidated_policy",
    "copyright",
    "scoring",
)
ITEM_KEYS = ("id", "text", "context", "section", "options")
OPTION_KEYS = ("code", "value", "label")
TRANSLATION_KEYS = ("status", "source")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")  # "en", "es", "fa-AF" (Dari)


def build_instrument(data: dict[str, object], r: Reader) -> Instrument:
    """`data` has already passed the format_version check."""
    instrument_id = r.string(r.required(data, "id", ""), "id")
    if not _ID.match(instrument_id):
        r.fail("id", f"{instrument_id!r} is not a valid id (letters, digits, _)")
    translations = _translations(data, r)
    languages = tuple(translations)
    policy = r.string(r.required(data, "unvalidated_policy", ""), "unvalidated_policy")
    if policy not in ("refuse", "mark"):
        r.fail("unvalidated_policy", f"must be refuse or mark, not {policy!r}")
    items = _items(r.sequence(r.required(data, "items", ""), "items"), languages, r)
    return Instrument(
        id=instrument_id,
        version=r.string(r.required(data, "version", ""), "version"),
        scoring_revision=r.string(r.required(data, "scoring_revision", ""), "scoring_revision"),
        title=_texts(r.required(data, "title", ""), "title", languages, r),
        instructions=_texts(r.required(data, "instructions", ""), "instructions", languages, r),
        items=items,
        translations=translations,
        unvalidated_policy="refuse" if policy == "refuse" else "mark",
        copyright=r.string(r.required(data, "copyright", ""), "copyright"),
        source_file=r.file_name,
        scales=parse_scoring(r.required(data, "scoring", ""), items, r),
    )


def _translations(data: dict[str, object], r: Reader) -> dict[str, Translation]:
    raw = r.mapping(r.required(data, "translations", ""), "translations")
    if "en" not in raw:
        r.fail("translations", "no en (English is required)")
    out: dict[str, Translation] = {}
    for language, entry in raw.items():
        path = f"translations.{language}"
        if not _LANGUAGE.match(language):
            r.fail(path, f"{language!r} is not a language tag like en or es")
        m = r.mapping(entry, path, TRANSLATION_KEYS)
        status = r.string(r.required(m, "status", path), f"{path}.status")
        if status not in ("validated", "unvalidated"):
            r.fail(f"{path}.status", f"must be validated or unvalidated, not {status!r}")
        if "source" not in m or m["source"] is None or m["source"] == "":
            # A validated translation is only as good as the name of who validated it.
            r.fail(
                path,
                "no source"
                + (" (a validated translation must name it)" if status == "validated" else ""),
            )
        source = r.string(m["source"], f"{path}.source")
        out[language] = Translation(
            language=language,
            status="validated" if status == "validated" else "unvalidated",
            source=source,
        )
    return out


def _texts(value: object, path: str, languages: tuple[str, ...], r: Reader) -> dict[str, str]:
    m = r.mapping(value, path)
    for language in m:
        if language not in languages:
            r.fail(path, f"text in {language!r}, which is not declared in translations")
    out: dict[str, str] = {}
    for language in languages:
        if language not in m or m[language] is None:
            r.fail(path, f"no {language} text")
        out[language] = r.string(m[language], f"{path}.{language}")
    return out


def _items(raw: list[object], languages: tuple[str, ...], r: Reader) -> tuple[Item, ...]:
    items: list[Item] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(raw):
        path = f"items[{i}]"
        m = r.mapping(entry, path, ITEM_KEYS)
        item_id = r.string(r.required(m, "id", path), f"{path}.id")
        if not _ID.match(item_id):
            r.fail(f"{path}.id", f"{item_id!r} is not a valid id (letters, digits, _)")
        if item_id in seen:
            r.fail(f"{path}.id", f"duplicate item id {item_id!r} (also items[{seen[item_id]}])")
        seen[item_id] = i
        context = m.get("context")
        section = m.get("section")
        items.append(
            Item(
                id=item_id,
                text=_texts(r.required(m, "text", path), f"{path}.text", languages, r),
                options=_options(
                    r.sequence(r.required(m, "options", path), f"{path}.options"),
                    f"{path}.options",
                    languages,
                    r,
                ),
                context={} if context is None else _texts(context, f"{path}.context", languages, r),
                section=None if section is None else r.string(section, f"{path}.section"),
            )
        )
    return tuple(items)


def _options(
    raw: list[object], path: str, languages: tuple[str, ...], r: Reader
) -> tuple[Option, ...]:
    options: list[Option] = []
    for j, entry in enumerate(raw):
        opath = f"{path}[{j}]"
        m = r.mapping(entry, opath, OPTION_KEYS)
        code = r.integer(r.required(m, "code", opath), f"{opath}.code")
        value = r.integer(r.required(m, "value", opath), f"{opath}.value")
        if any(o.code == code for o in options):
            r.fail(f"{opath}.code", f"duplicate option code {code}")
        if any(o.value == value for o in options):
            # Two answers scored alike would make a stored value ambiguous to read back.
            r.fail(f"{opath}.value", f"duplicate option value {value}")
        label = _texts(r.required(m, "label", opath), f"{opath}.label", languages, r)
        options.append(Option(code=code, value=value, label=label))
    return tuple(options)
