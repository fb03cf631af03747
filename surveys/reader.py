"""Typed access to parsed YAML that names the exact path of whatever is wrong."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn

from surveys.errors import InstrumentError


class Reader:
    def __init__(self, file_name: str) -> None:
        self.file_name = file_name

    def fail(self, path: str, message: str) -> NoReturn:
        raise InstrumentError(f"{self.file_name}: {path or '(top level)'}: {message}")

    def mapping(
        self, value: object, path: str, keys: Iterable[str] | None = None
    ) -> dict[str, object]:
        """A mapping with string keys; with `keys`, any other key is an error (catches typos)."""
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping, got {_shown(value)}")
        out: dict[str, object] = {}
        allowed = set(keys) if keys is not None else None
        for k, v in value.items():
            if not isinstance(k, str):
                self.fail(path, f"key {k!r} is not a string")
            if allowed is not None and k not in allowed:
                self.fail(path, f"unknown key {k!r}")
            out[k] = v
        return out

    def required(self, m: dict[str, object], key: str, path: str) -> object:
        if key not in m or m[key] is None:
            self.fail(path, f"no {key}")
        return m[key]

    def string(self, value: object, path: str) -> str:
        if not isinstance(value, str):
            self.fail(path, f"expected text, got {_shown(value)} (quote it)")
        if not value.strip():
            self.fail(path, "empty text")
        return value

    def integer(self, value: object, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"expected a whole number, got {_shown(value)}")
        return value

    def number(self, value: object, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, f"expected a number, got {_shown(value)}")
        return float(value)

    def sequence(self, value: object, path: str, *, non_empty: bool = True) -> list[object]:
        if not isinstance(value, list):
            self.fail(path, f"expected a list, got {_shown(value)}")
        if non_empty and not value:
            self.fail(path, "empty list")
        return value

    def strings(self, value: object, path: str) -> tuple[str, ...]:
        items = self.sequence(value, path)
        out = tuple(self.string(v, f"{path}[{i}]") for i, v in enumerate(items))
        for i, v in enumerate(out):
            if v in out[:i]:
                self.fail(f"{path}[{i}]", f"{v!r} listed twice")
        return out


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
