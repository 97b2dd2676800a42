"""Small SVG charts for a study: grouped bars with 95 % intervals, and a metric against planner noise.
Hand-drawn so the report needs no plotting library at build time and none at view time."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from causalmace.report.gantt import ticks
from causalmace.report.page import esc

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")
PANEL_H, PAD_L, PAD_B, PAD_T, PAD_R = 210.0, 46.0, 34.0, 26.0, 10.0
PANEL_KEYS = ("agents", "noise", "estimator", "flip")


def method_colours(methods: Sequence[str]) -> dict[str, str]:
    return {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(methods)}


def _scale(width: float) -> str:
    """Charts shrink to their column: a figure stays whole beside its neighbour."""
    return f'style="width:100%;max-width:{width:.0f}px;height:auto"'


def _order(rows: Sequence[dict[str, Any]], key: str) -> list[Any]:
    return list(dict.fromkeys(r.get(key) for r in rows))


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and not math.isnan(x)


def panel_keys(rows: Sequence[dict[str, Any]], keys: Sequence[str] = PANEL_KEYS) -> list[str]:
    """The axes that need a panel each: those some method runs at more than one value (an estimator that
    comes with its method, say, does not split the figure)."""
    out = []
    for k in keys:
        for m in _order(rows, "method"):
            if len({repr(r.get(k)) for r in rows if r["method"] == m}) > 1:
                out.append(k)
                break
    return out


def _panel_title(key: tuple[Any, ...], varying: Sequence[str]) -> str:
    parts = [f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in zip(varying, key, strict=True)]
    return " · ".join(parts) or "all"


def _top(rows: Sequence[dict[str, Any]], metric: str, floor: float = 0.0) -> float | None:
    """The y range: the largest mean with room above; intervals wider than that are clipped at the top."""
    means = [r[f"{metric}_mean"] for r in rows if _finite(r.get(f"{metric}_mean"))]
    if not means:
        return None
    return max([*means, floor]) * 1.25 or 1.0


def _yaxis(x: float, y0: float, h: float, top: float, digits: int, w: float) -> list[str]:
    out = []
    for t in ticks(top, 5):
        y = y0 - t / top * h
        out.append(f'<line class="grid" x1="{x:.1f}" y1="{y:.1f}" x2="{x + w:.1f}" y2="{y:.1f}"/>'
                   f'<text x="{x - 4:.1f}" y="{y + 3.5:.1f}" text-anchor="end">{t:.{digits}f}</text>')
    return out


def _legend(methods: list[str], colours: dict[str, str]) -> str:
    return '<div class="legend">' + "".join(
        f'<span><svg width="12" height="12"><rect width="12" height="12" fill="{colours[m]}"/></svg> {esc(m)}</span>'
        for m in methods) + "</div>"


def bar_figure(rows: Sequence[dict[str, Any]], metric: str, label: str, colours: dict[str, str],
               ref_line: float | None = None, fixed_top: float | None = None) -> str:
    """Suites on the x axis, one bar per method with its 95 % interval; a panel per noise level (and team
    size, estimator, flip where the study varies them)."""
    methods, suites = _order(rows, "method"), _order(rows, "suite")
    varying = panel_keys(rows)
    panels = list(dict.fromkeys(tuple(r.get(k) for k in varying) for r in rows))
    top = fixed_top or _top(rows, metric, ref_line or 0.0)
    if top is None:
        return f'<p class="note">No {esc(label)} in this study.</p>'
    bw = 13.0
    group_w = len(methods) * bw + 22
    pw = PAD_L + len(suites) * group_w + PAD_R
    cols = max(1, min(len(panels), int(1200 // pw)))
    n_rows = math.ceil(len(panels) / cols)
    width, height = cols * pw, n_rows * (PANEL_H + PAD_T + PAD_B)
    digits = 2 if top < 5 else 0
    out = [f'<svg class="chart" data-metric="{esc(metric)}" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
           f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" {_scale(width)}>']
    for p, key in enumerate(panels):
        ox = (p % cols) * pw
        oy = (p // cols) * (PANEL_H + PAD_T + PAD_B)
        y0 = oy + PAD_T + PANEL_H
        out.append('<g class="ax">')
        out += _yaxis(ox + PAD_L, y0, PANEL_H, top, digits, pw - PAD_L - PAD_R)
        out.append(f'<line x1="{ox + PAD_L}" y1="{y0}" x2="{ox + pw - PAD_R}" y2="{y0}"/></g>')
        out.append(f'<text class="title lab" x="{ox + PAD_L}" y="{oy + 15}">{esc(_panel_title(key, varying))}</text>')
        for s, suite in enumerate(suites):
            gx = ox + PAD_L + s * group_w + 11
            out.append(f'<g class="ax"><text x="{gx + len(methods) * bw / 2:.1f}" y="{y0 + 16}" '
                       f'text-anchor="middle">{esc(suite)}</text></g>')
            for k, method in enumerate(methods):
                cell = next((r for r in rows if r["method"] == method and r["suite"] == suite
                             and tuple(r.get(q) for q in varying) == key), None)
                if cell is None or not _finite(cell.get(f"{metric}_mean")):
                    continue
                mean, ci = cell[f"{metric}_mean"], cell[f"{metric}_ci95"]
                x = gx + k * bw
                h = max(mean, 0.0) / top * PANEL_H
                tip = esc(f"{method} · {suite} · {_panel_title(key, varying)}: {label} {mean:.3g}"
                          f" ± {ci:.2g} (95 % CI, n = {cell['n']})")
                out.append(f'<rect class="barc" data-tip="{tip}" x="{x:.1f}" y="{y0 - h:.1f}" width="{bw - 2}" '
                           f'height="{h:.1f}" fill="{colours[method]}"/>')
                if _finite(ci) and ci > 0:
                    lo = y0 - max(mean - ci, 0.0) / top * PANEL_H
                    hi = y0 - min(mean + ci, top) / top * PANEL_H
                    cx = x + (bw - 2) / 2
                    out.append(f'<path class="err" d="M{cx:.1f},{lo:.1f} V{hi:.1f} M{cx - 3:.1f},{hi:.1f} '
                               f'H{cx + 3:.1f} M{cx - 3:.1f},{lo:.1f} H{cx + 3:.1f}"/>')
        if ref_line is not None and ref_line <= top:
            y = y0 - ref_line / top * PANEL_H
            out.append(f'<line x1="{ox + PAD_L}" y1="{y:.1f}" x2="{ox + pw - PAD_R}" y2="{y:.1f}" stroke="#000" '
                       f'stroke-dasharray="4 3"/>')
    out.append("</svg>")
    return _legend(methods, colours) + "".join(out)


def noise_figure(rows: Sequence[dict[str, Any]], metric: str, label: str, colours: dict[str, str]) -> str:
    """The metric against planner noise, a line per method, a panel per suite: how gracefully each method
    degrades with a worse planner."""
    methods = _order(rows, "method")
    others = panel_keys(rows, ("agents", "estimator", "flip"))
    panels = list(dict.fromkeys((r["suite"], *(r.get(k) for k in others)) for r in rows))
    noises = sorted(n for n in _order(rows, "noise") if _finite(n))
    top = _top(rows, metric)
    if top is None or not noises:
        return f'<p class="note">No {esc(label)} in this study.</p>'
    lo_n, hi_n = noises[0], noises[-1]
    span_n = (hi_n - lo_n) or 1.0
    pw = 270.0
    inner = pw - PAD_L - PAD_R - 20
    cols = max(1, min(len(panels), 3))
    n_rows = math.ceil(len(panels) / cols)
    width, height = cols * pw, n_rows * (PANEL_H + PAD_T + PAD_B + 8)
    digits = 2 if top < 5 else 0
    out = [f'<svg class="chart" data-metric="{esc(metric)}_vs_noise" xmlns="http://www.w3.org/2000/svg" '
           f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" {_scale(width)}>']
    for p, key in enumerate(panels):
        ox = (p % cols) * pw
        oy = (p // cols) * (PANEL_H + PAD_T + PAD_B + 8)
        y0 = oy + PAD_T + PANEL_H
        x_of = {n: ox + PAD_L + 10 + (n - lo_n) / span_n * inner if hi_n > lo_n else ox + PAD_L + 10 + inner / 2
                for n in noises}
        title = " · ".join([str(key[0]), *(f"{k} {v}" for k, v in zip(others, key[1:], strict=True))])
        out.append('<g class="ax">')
        out += _yaxis(ox + PAD_L, y0, PANEL_H, top, digits, pw - PAD_L - PAD_R)
        out.append(f'<line x1="{ox + PAD_L}" y1="{y0}" x2="{ox + pw - PAD_R}" y2="{y0}"/>')
        for n, x in x_of.items():
            out.append(f'<text x="{x:.1f}" y="{y0 + 15}" text-anchor="middle">{n:g}</text>')
        out.append(f'<text x="{ox + PAD_L + inner / 2 + 10:.1f}" y="{y0 + 30}" text-anchor="middle">planner noise'
                   f'</text></g><text class="title lab" x="{ox + PAD_L}" y="{oy + 15}">{esc(title)}</text>')
        for k, method in enumerate(methods):
            pts = sorted((r["noise"], r[f"{metric}_mean"], r[f"{metric}_ci95"], r["n"]) for r in rows
                         if r["method"] == method and (r["suite"], *(r.get(q) for q in others)) == key
                         and _finite(r.get(f"{metric}_mean")))
            if not pts:
                continue
            dodge = (k - (len(methods) - 1) / 2) * 3.0
            xy = [(x_of[n] + dodge, y0 - m / top * PANEL_H) for n, m, _, _ in pts]
            c = colours[method]
            out.append(f'<polyline fill="none" stroke="{c}" stroke-width="1.8" points="'
                       + " ".join(f"{x:.1f},{y:.1f}" for x, y in xy) + '"/>')
            for (n, m, ci, cnt), (x, y) in zip(pts, xy, strict=True):
                if _finite(ci) and ci > 0:
                    hi = y0 - min(m + ci, top) / top * PANEL_H
                    lo = y0 - max(m - ci, 0.0) / top * PANEL_H
                    out.append(f'<path class="err" style="stroke:{c};stroke-opacity:.6" '
                               f'd="M{x:.1f},{lo:.1f} V{hi:.1f}"/>')
                tip = esc(f"{method} · {title} · noise {n:g}: {label} {m:.3g} ± {ci:.2g} (n = {cnt})")
                out.append(f'<circle class="barc" data-tip="{tip}" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{c}"/>')
    out.append("</svg>")
    return _legend(methods, colours) + "".join(out)
