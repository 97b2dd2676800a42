"""The HTML shell every report shares: one file with its styles, script and data inline, so it opens from
a disk, a CI artifact or a mail attachment with no network."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from causalmace.report.assets import CSS, JS

# hues for production lines: far apart first, so neighbouring lines never look alike
HUES = (210, 28, 130, 350, 275, 178, 48, 318, 95, 8, 245, 195, 65, 295, 155, 335)


def esc(x: Any) -> str:
    return escape(str(x), quote=True)


def colour(line: int | None, pos: int, key: str = "") -> str:
    """A subtask's colour: its line's hue, a lighter or darker shade by its place on the line; a subtask
    on no line gets a muted hue of its own."""
    if line is None:
        h = (sum(map(ord, key)) * 137) % 360
        return f"hsl({h},22%,{55 + (pos % 3) * 8}%)"
    return f"hsl({HUES[line % len(HUES)]},{62 - 10 * (line // len(HUES)) % 40}%,{40 + (pos % 3) * 10}%)"


def fmt(x: Any, digits: int = 2) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def fit(width: float) -> str:
    """Inline style letting a wide SVG shrink to the page, but never below 75 % (then the box scrolls): its
    labels stay readable."""
    low = min(width, max(0.75 * width, 900))
    return f'style="width:100%;min-width:{low:.0f}px;max-width:{width:.0f}px;height:auto"'


def data_script(data: Any) -> str:
    """Data for the script, as JSON that cannot close its own tag."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str)
    return '<script id="report-data" type="application/json">' + text.replace("</", "<\\/") + "</script>"


def table(head: list[str], rows: list[list[Any]], cls: str = "", sortable: bool = False) -> str:
    """A plain table; cells given as (text, sort value) tuples sort by the value."""
    th = "".join(f'<th{" class=sortable" if sortable else ""}>{esc(h)}</th>' for h in head)
    body = []
    for r in rows:
        cells = []
        for c in r:
            if isinstance(c, tuple):
                text, key = c
                cells.append(f'<td data-v="{esc(key)}">{text}</td>')
            else:
                cells.append(f"<td>{c}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def kv(pairs: list[tuple[str, Any]]) -> str:
    return '<dl class="kv">' + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"


def card(label: str, value: str, sub: str = "", cls: str = "") -> str:
    return (f'<div class="card {cls}"><div class="v">{value}</div><div class="l">{esc(label)}</div>'
            + (f'<div class="s">{sub}</div>' if sub else "") + "</div>")


def document(title: str, body: str, data: Any) -> str:
    return ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            '<meta name=viewport content="width=device-width,initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            f'{body}<div id="tip" role="tooltip"></div>{data_script(data)}<script>{JS}</script></body></html>\n')
