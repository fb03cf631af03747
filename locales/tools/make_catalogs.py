"""Write locales/<lang>/LC_MESSAGES/messages.po from the template and the reviewed wording.

Run after `make extract` when wording changes; it fails, naming the message, when a message in
the template has no reviewed translation, so a catalog is never silently incomplete.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

sys.path.insert(0, str(Path(__file__).parent))
from translations_es import SPANISH  # noqa: E402

LOCALES = Path(__file__).resolve().parent.parent
REVIEWED = {"es": SPANISH}


def _template() -> Catalog:
    # A fresh copy each time: Catalog.update shares message objects with the template.
    with (LOCALES / "messages.pot").open("rb") as fh:
        return read_po(fh)


def main() -> int:
    missing: list[str] = []
    for lang, wording in REVIEWED.items():
        catalog = Catalog(locale=lang, project="pathbot", fuzzy=False)
        catalog.update(_template(), no_fuzzy_matching=True)
        for message in catalog:
            if not message.id:
                continue
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            if key not in wording:
                missing.append(f"{lang}: {key!r}")
                continue
            message.string = tuple(wording[key]) if isinstance(message.id, tuple) else wording[key]
        out = LOCALES / lang / "LC_MESSAGES" / "messages.po"
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, sort_output=True)
    # English needs no translations, but a catalog makes the language explicit and testable.
    en = Catalog(locale="en", project="pathbot", fuzzy=False)
    en.update(_template(), no_fuzzy_matching=True)
    (LOCALES / "en" / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
    with (LOCALES / "en" / "LC_MESSAGES" / "messages.po").open("wb") as fh:
        write_po(fh, en, width=100, sort_output=True)
    for line in missing:
        print(f"missing translation: {line}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
