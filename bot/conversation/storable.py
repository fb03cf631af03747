"""Text every database can store: what arrives is kept as sent, except code points no database
text column accepts, each replaced by U+FFFD (the Unicode replacement character) so the place
where something was stays visible.

- NUL (U+0000): PostgreSQL refuses it in text, so a message holding one ("I want to die\\x00")
  could never be stored and was retried for ever, its crisis reply never sent.
- Lone surrogates (U+D800-U+DFFF): not encodable as UTF-8, so neither database can store them;
  a JSON body may carry them ("\\ud83d" without its pair).
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` with every NUL and lone surrogate replaced by U+FFFD; unchanged otherwise."""
    return _UNSTORABLE.sub(REPLACEMENT, text)
