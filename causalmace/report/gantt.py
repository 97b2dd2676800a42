"""The agents over time as SVG: a row per agent, a bar per action in its subtask's colour, refusals marked,
idle time hatched, and the makespan, the lower bound and the critical path drawn to compare against.

A long run keeps one bar per action but thin ones; past ``MAX_BARS`` consecutive actions of an agent on the
same subtask are merged (the bar's tooltip says how many), so the file stays small and opens fast.
"""

from __future__ import annotations

import math

from causalmace.report.model import Action, Model
from causalmace.report.page import esc, fit

MAX_BARS = 8000
LABEL_W, STATS_W, ROW_H, BAR_H, TOP, CP_GAP = 96.0, 150.0, 24.0, 15.0, 48.0, 12.0
TEXT_W = 5.8


def merge(actions: list[Action], limit: int = MAX_BARS) -> tuple[list[Action], list[int], list[int]]:
    """The actions to draw, how many each stands for, and where each action went: all of them when they
    fit, else runs of accepted actions by one agent on one subtask become one bar (refusals keep their own)."""
    if len(actions) <= limit:
        return list(actions), [1] * len(actions), list(range(len(actions)))
    out: list[Action] = []
    counts: list[int] = []
    where = [0] * len(actions)
    last: dict[str, int] = {}
    for i in sorted(range(len(actions)), key=lambda k: (actions[k].agent, actions[k].t)):
        a = actions[i]
        k = last.get(a.agent)
        if k is not None and a.ok and out[k].ok and out[k].subtask == a.subtask:
            p = out[k]
            end = max(p.t + p.d, a.t + a.d)
            first = p.args.split(" … ")[0] if counts[k] > 1 else p.name
            out[k] = Action(p.agent, p.subtask, p.t, end - p.t, True, "actions", f"{first} … {a.name}", "", "")
            counts[k] += 1
            where[i] = k
            continue
        out.append(a)
        counts.append(1)
        where[i] = len(out) - 1
        last[a.agent] = len(out) - 1
    return out, counts, where


def ticks(span: float, target: int = 10) -> list[float]:
    """Round tick positions (1, 2 or 5 times a power of ten) covering [0, span]."""
    if span <= 0:
        return [0.0]
    raw = span / target
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    return [k * step for k in range(int(span / step) + 1)]


def gantt_svg(m: Model, colours: dict[str, str],
              t_max: float | None = None) -> tuple[str, list[list[object]], list[int]]:
    """The SVG element, the compact action records its tooltips read (``D.acts``), and for each action of
    the run the index of the bar that shows it."""
    drawn, counts, where = merge(m.actions)
    per_agent = max((sum(1 for a in m.actions if a.agent == g) for g in m.agents), default=0)
    plot_w = min(max(900.0, per_agent * 3.0), 8000.0)
    ends = [a.t + a.d for a in m.actions]
    span = max([m.makespan, m.bound or 0.0, m.critical_s, *ends, 1e-9]) * 1.03
    if t_max and t_max <= span * 1.15:
        span = max(span, t_max * 1.02)
    sx = plot_w / span
    x0 = LABEL_W
    n_rows = len(m.agents)
    cp_y = TOP + n_rows * ROW_H + CP_GAP
    height = cp_y + (ROW_H if m.critical else 0) + 26
    width = LABEL_W + plot_w + STATS_W
    out = [f'<svg class="gantt" id="gantt" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
           f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" {fit(width)}>',
           '<defs><pattern id="idle" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fafafa"/>'
           '<line x1="0" y1="0" x2="0" y2="6" stroke="#e0e0e0" stroke-width="2"/></pattern></defs>']
    # axis and grid
    out.append('<g class="ax">')
    for t in ticks(span):
        x = x0 + t * sx
        out.append(f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{height - 24:.1f}" stroke-opacity=".35"/>'
                   f'<text x="{x:.1f}" y="{TOP - 9}" text-anchor="middle">{t:g}</text>')
    out.append(f'<text x="{x0 + plot_w:.1f}" y="{height - 6:.1f}" text-anchor="end">simulated time (s)</text></g>')
    # rows
    bars: list[str] = []
    labels: list[str] = []
    acts: list[list[object]] = []
    row_of = {g: k for k, g in enumerate(m.agents)}
    for i, (a, n) in enumerate(zip(drawn, counts, strict=True)):
        acts.append([a.agent, a.subtask, round(a.t, 3), round(a.d, 3), int(a.ok), a.name, a.args[:160],
                     a.message[:200], a.refusal, n])
        y = TOP + row_of.get(a.agent, 0) * ROW_H + (ROW_H - BAR_H) / 2
        x, w = x0 + a.t * sx, max(a.d * sx, 0.6)
        cls = "bar" if a.ok else "bar refused"
        fill = colours.get(a.subtask, "#9e9e9e")
        bars.append(f'<rect class="{cls}" data-k="a" data-i="{i}" data-s="{esc(a.subtask)}" x="{x:.2f}" '
                    f'y="{y:.1f}" width="{w:.2f}" height="{BAR_H}" fill="{fill}"/>')
        if not a.ok:
            cx = x + w / 2
            bars.append(f'<path class="refmark" data-k="a" data-i="{i}" d="M{cx - 4:.1f},{y - 6:.1f} '
                        f'L{cx + 4:.1f},{y - 6:.1f} L{cx:.1f},{y:.1f} z"/>')
    labels += _segment_labels(drawn, row_of, sx, x0)
    stats = _stats(m)
    for g, k in row_of.items():
        y = TOP + k * ROW_H
        busy, idle, refused = stats[g]
        out.append(f'<g class="row" data-agent="{esc(g)}">'
                   f'<rect class="bg" x="{x0}" y="{y + 2}" width="{m.makespan * sx:.1f}" height="{ROW_H - 4}"/>'
                   f'<text class="lab" x="{x0 - 8}" y="{y + ROW_H / 2 + 4}" text-anchor="end">{esc(g)}</text>'
                   f'<text class="lab" x="{x0 + plot_w + 10}" y="{y + ROW_H / 2 + 4}" font-size="11" fill="#5b6573">'
                   f'busy {busy:.0%} · idle {idle:.0f} s{f" · {refused} ✕" if refused else ""}</text></g>')
    out += bars
    out += labels
    for f in m.faults:
        k = row_of.get(str(f.get("agent")), 0)
        x = x0 + float(f.get("t", 0.0)) * sx
        tip = esc(f"worker lost at {float(f.get('t', 0.0)):.1f} s: {f.get('reason', '')}")
        out.append(f'<line class="fault" data-tip="{tip}" x1="{x:.1f}" y1="{TOP + k * ROW_H}" x2="{x:.1f}" '
                   f'y2="{TOP + (k + 1) * ROW_H}" stroke="#b71c1c" stroke-width="3"/>')
    if m.critical:
        out.append(_critical(m, colours, cp_y, x0, sx, plot_w))
    out.append(_marks(m, x0, sx, height, t_max, span))
    out.append("</svg>")
    return "".join(out), acts, where


def _stats(m: Model) -> dict[str, tuple[float, float, int]]:
    """Per agent: share of the makespan spent acting, idle seconds, refusals."""
    out = {}
    for g in m.agents:
        mine = [a for a in m.actions if a.agent == g]
        busy = sum(a.d for a in mine)
        span = m.makespan or 1e-9
        out[g] = (min(busy / span, 1.0), max(span - busy, 0.0), sum(1 for a in mine if not a.ok))
    return out


def _segment_labels(drawn: list[Action], row_of: dict[str, int], sx: float, x0: float) -> list[str]:
    """The subtask's name on each unbroken stretch of an agent's bars on it, where it fits."""
    out = []
    runs: list[tuple[str, str, float, float]] = []
    for a in sorted(drawn, key=lambda x: (x.agent, x.t)):
        if runs and runs[-1][:2] == (a.agent, a.subtask) and (a.t - runs[-1][3]) * sx < 1.0:
            g, s, t0, _ = runs[-1]
            runs[-1] = (g, s, t0, a.t + a.d)
        else:
            runs.append((a.agent, a.subtask, a.t, a.t + a.d))
    for g, s, t0, t1 in runs:
        w = (t1 - t0) * sx
        if w < len(s) * TEXT_W + 6:
            continue
        y = TOP + row_of.get(g, 0) * ROW_H + ROW_H / 2 + 3.5
        out.append(f'<text class="seglab" x="{x0 + t0 * sx + 3:.1f}" y="{y:.1f}">{esc(s)}</text>')
    return out


def _critical(m: Model, colours: dict[str, str], y: float, x0: float, sx: float, plot_w: float) -> str:
    out = [f'<g class="cprow"><text class="lab" x="{x0 - 8}" y="{y + ROW_H / 2 + 4}" text-anchor="end" '
           f'font-size="11">critical path</text>']
    t = 0.0
    for i, sid in enumerate(m.critical):
        n = m.nodes[sid]
        d = n.work if n.work > 0 else (n.est or 0.0)
        out.append(f'<rect class="cp" data-k="c" data-i="{i}" x="{x0 + t * sx:.2f}" y="{y + 4}" '
                   f'width="{max(d * sx, 0.6):.2f}" height="{ROW_H - 8}" fill="{colours.get(sid, "#9e9e9e")}"/>')
        if d * sx >= len(sid) * TEXT_W + 6:
            ty = y + ROW_H / 2 + 3.5
            out.append(f'<text class="seglab" x="{x0 + t * sx + 3:.1f}" y="{ty:.1f}">{esc(sid)}</text>')
        t += d
    out.append(f'<text class="lab" x="{x0 + plot_w + 10}" y="{y + ROW_H / 2 + 4}" font-size="11" fill="#5b6573">'
               f'{m.critical_s:.1f} s, {len(m.critical)} subtasks</text></g>')
    return "".join(out)


def _marks(m: Model, x0: float, sx: float, height: float, t_max: float | None, span: float) -> str:
    """Vertical lines: the makespan, the lower bound and (when near) the time limit, labelled at the top."""
    marks = [("ms", m.makespan, f"makespan {m.makespan:.1f} s")]
    if m.bound:
        marks.append(("lb", float(m.bound), f"lower bound {float(m.bound):.1f} s"))
    if t_max and t_max <= span:
        marks.append(("tm", t_max, f"T_max {t_max:.0f} s"))
    out = []
    ends = [-1e9, -1e9]  # where the last label on each of two lines ends
    for cls, t, label in sorted(marks, key=lambda x: x[1]):
        x = x0 + t * sx
        row = 0 if x + 3 > ends[0] + 6 else 1  # a label that would touch the one before drops a line
        ends[row] = x + 3 + len(label) * 6.7
        ty = 12 + 12 * row
        out.append(f'<line class="mark {cls}" x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{height - 24:.1f}"/>'
                   f'<text class="marklab" x="{x + 3:.1f}" y="{ty}">{esc(label)}</text>')
    return "".join(out)


def legend() -> str:
    return ('<div class="legend"><span>bar = one action, in its subtask\'s colour (hover for details)</span>'
            '<span><svg width="14" height="10"><path d="M2,0 L12,0 L7,9 z" fill="#c62828"/></svg> refused by the Judger'
            '</span><span><svg width="22" height="10"><rect width="22" height="10" fill="url(#idle)" '
            'stroke="#ccc"/></svg> idle</span>'
            '<span><svg width="20" height="10"><line x1="0" y1="5" x2="20" y2="5" stroke="#000" stroke-width="2"/>'
            '</svg> makespan</span><span><svg width="20" height="10"><line x1="0" y1="5" x2="20" y2="5" '
            'stroke="#1565c0" stroke-width="2" stroke-dasharray="5 3"/></svg> lower bound</span>'
            '<span>critical path: the heaviest chain of the final graph, laid end to end</span></div>')
