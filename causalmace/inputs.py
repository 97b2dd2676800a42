"""Reading a user's file safely: bounded size, UTF-8, bounded nesting and expansion, short messages.

Config and task files come from users, so every way reading one can fail (a directory, binary bytes,
a 100 000-deep list, a YAML alias bomb, a duplicate key) must end as one :class:`UserError` line that
names the file, never a traceback or a process that runs out of memory.
"""

from __future__ import annotations

import json
import re
import reprlib
import stat
from pathlib import Path
from typing import Any

from causalmace.errors import UserError
from causalmace.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_SHOWN, MAX_VALUES

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict, _REPR.maxset = 3, 6, 6, 4, 6
_REPR.maxstring, _REPR.maxother, _REPR.maxlong = MAX_SHOWN, MAX_SHOWN, 40


def clip(value: Any) -> str:
    """A bounded repr for an error message: an input may be huge, or expand hugely through YAML aliases."""
    try:
        text = _REPR.repr(value)
    except Exception:  # noqa: BLE001 - e.g. an int too long to print; the type is enough to say
        text = f"<{type(value).__name__}>"
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def one_line(text: str, limit: int = 300) -> str:
    """Messages are one line of bounded length: a parser's multi-line report is folded and cut."""
    text = re.sub(r"\s*[\r\n]+\s*", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_text(path: str | Path) -> str:
    """A regular file's UTF-8 text, at most ``MAX_FILE_BYTES``."""
    p = Path(path)
    where = str(p)
    try:
        mode = p.stat().st_mode
        if stat.S_ISDIR(mode):
            raise UserError("is a directory, not a file", file=where)
        if not stat.S_ISREG(mode):
            raise UserError("is not a regular file", file=where)
        with p.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise UserError("file not found", file=where) from None
    except OSError as e:
        raise UserError(f"cannot read: {e.strerror or e}", file=where) from None
    except ValueError as e:  # an embedded NUL byte in the path
        raise UserError(f"not a usable path: {e}", file=clip(where)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise UserError(f"larger than {MAX_FILE_BYTES // 2**20} MiB", file=where, expected="a smaller file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UserError(f"not UTF-8 text: byte 0x{raw[e.start]:02x} at offset {e.start}", file=where,
                        expected="a UTF-8 text file") from None


def _children(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return list(node.values())
    if isinstance(node, list | tuple | set | frozenset):
        return list(node)
    return []


def check_shape(data: Any, source: str | None) -> None:
    """Nesting at most ``MAX_DEPTH``, at most ``MAX_VALUES`` values with aliases expanded, no value inside
    itself. Shared values are counted without expanding them, so a bomb is measured in a few steps."""
    size: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[Any, int, bool]] = [(data, 1, False)]
    while stack:
        node, depth, leaving = stack.pop()
        kids = _children(node)
        if not kids and not isinstance(node, dict | list | tuple | set | frozenset):
            continue
        key = id(node)
        if leaving:
            total = 1 + sum(size.get(id(k), 1) for k in kids)
            open_.discard(key)
            size[key] = total
            if total > MAX_VALUES:
                raise UserError(f"holds more than {MAX_VALUES} values (counting YAML aliases expanded)",
                                file=source, expected="a smaller document")
            continue
        if key in size:
            continue
        if key in open_:
            raise UserError("a value contains itself (a YAML alias inside its own anchor)", file=source)
        if depth > MAX_DEPTH:
            raise UserError(f"nested more than {MAX_DEPTH} deep", file=source, expected="a flatter document")
        open_.add(key)
        stack.append((node, depth, True))
        stack.extend((k, depth + 1, False) for k in kids)


class _Duplicate(ValueError):
    pass


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Duplicate(k)
        out[k] = v
    return out


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(text: str, source: str | None) -> Any:
    """Strict JSON: no NaN or Infinity, no duplicate keys (one would silently replace the other)."""
    try:
        data = json.loads(text, parse_constant=_constant, object_pairs_hook=_unique)
    except RecursionError:
        raise UserError(f"nested more than {MAX_DEPTH} deep", file=source, expected="a flatter document") from None
    except json.JSONDecodeError as e:
        raise UserError(f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}", file=source,
                        expected="a JSON document") from None
    except _Duplicate as e:
        raise UserError(f"duplicate key {clip(e.args[0])}", file=source, expected="each key once") from None
    except ValueError as e:  # NaN, Infinity, a number too long to read
        raise UserError(f"not valid JSON: {one_line(str(e), MAX_SHOWN)}", file=source,
                        expected="a JSON document") from None
    check_shape(data, source)
    return data


def load_json(path: str | Path) -> Any:
    return parse_json(read_text(path), str(path))
