"""Reading one YAML file of data safely: size cap, UTF-8, no duplicate keys, errors that name it.

Shared by the instrument loader and the translation-pack loader, so both refuse the same mistakes
with the same words.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from surveys.errors import InstrumentError

MAX_FILE_BYTES = 512 * 1024  # the largest shipped file is ~30 KB; anything huge is a mistake


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


def read_yaml(path: Path, name: str, *, what: str) -> object:
    """The parsed contents of `path`; `name` is how errors call the file, `what` what it should
    be ("an instrument file"), for the message about a file too large to be one."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise InstrumentError(f"{name}: cannot read: {e.strerror}") from e
    if len(data) > MAX_FILE_BYTES:
        raise InstrumentError(f"{name}: larger than {MAX_FILE_BYTES} bytes; not {what}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InstrumentError(f"{name}: not UTF-8 text (byte {e.start})") from e
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except InstrumentError as e:
        raise InstrumentError(f"{name}: {e}") from e
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}" if mark is not None else "somewhere"
        raise InstrumentError(f"{name}: {where}: YAML syntax error: {e.problem}") from e
    except yaml.YAMLError as e:
        raise InstrumentError(f"{name}: YAML syntax error: {e}") from e
