"""Tolerant JSON reading: models wrap JSON in code fences, add prose, leave trailing commas."""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```[\w-]*[ \t]*\n?(.*?)```", re.S)
_DECODER = json.JSONDecoder(strict=False)  # strict=False accepts raw control characters inside strings
_MAX_STARTS = 64  # give up after this many candidate openings, so garbage costs little


def _drop_trailing_commas(text: str) -> str:
    """Remove commas directly before a closing bracket, outside strings."""
    out: list[str] = []
    in_str = esc = False
    for i, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch == ",":
            j = i + 1
            while j < len(text) and text[j] in " \t\r\n":
                j += 1
            if j < len(text) and text[j] in "}]":
                continue
        out.append(ch)
    return "".join(out)


def _first_value(text: str, openers: str) -> Any:
    starts = [i for i, ch in enumerate(text) if ch in openers][:_MAX_STARTS]
    for i in starts:
        try:
            value, _ = _DECODER.raw_decode(text, i)
        except ValueError:
            continue
        return value
    raise ValueError("no JSON value found")


def parse_json(text: str, openers: str = "{[") -> Any:
    """The first JSON object or array in ``text`` (fenced blocks first); ``ValueError`` if there is none."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for c in candidates:
        for variant in (c, _drop_trailing_commas(c)):
            try:
                return _first_value(variant, openers)
            except ValueError:
                continue
    snippet = text.strip()[:80]
    raise ValueError(f"no JSON {'object' if openers == '{' else 'value'} found in {snippet!r}")
