"""The causal task graph as planned, drawn as SVG: each edge's fate in its own stroke, each subtask in
the colour its production line has in the Gantt chart."""

from __future__ import annotations

from causalmace.report.layout import layout, path_d
from causalmace.report.model import ADDED, KEPT, PRUNED, Edge, Model
from causalmace.report.page import colour, esc, fit

CHAR_W, SUB_W = 6.7, 5.8  # advance of the monospace labels at 11 px and 9.5 px
MAX_ID, MAX_SUB = 34, 28
PRIORITY = {KEPT: 0, ADDED: 1, PRUNED: 2}  # what the layout follows first


def _cut(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def subtitle(m: Model, sid: str) -> str:
    """The second line of a node: its description, else what kind of work on what."""
    n = m.nodes[sid]
    if n.description:
        return n.description
    count = f" ×{n.count}" if n.count not in (None, "", 1) else ""
    return f"{n.kind} {n.target}{count}".strip()


def node_colours(m: Model) -> dict[str, str]:
    pos: dict[str, int] = {}
    for ln in m.lines:
        for k, sid in enumerate(ln):
            pos.setdefault(sid, k)
    return {sid: colour(n.line, pos.get(sid, i), sid) for i, (sid, n) in enumerate(m.nodes.items())}


def _marker(name: str, fill: str) -> str:
    return (f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" '
            f'markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{fill}"/></marker>')


def _edge_class(e: Edge) -> str:
    cls = f"edge {e.fate}"
    if e.truth == "made up":
        cls += " madeup"
    return cls


def graph_svg(m: Model, colours: dict[str, str]) -> str:
    """The SVG element, sized to its content (the page scrolls it when it is large)."""
    ids = list(m.nodes)
    size: dict[str, tuple[float, float]] = {}
    labels: dict[str, tuple[str, str]] = {}
    for sid in ids:
        top, sub = _cut(sid, MAX_ID), _cut(subtitle(m, sid), MAX_SUB)
        labels[sid] = (top, sub)
        w = max(len(top) * CHAR_W, len(sub) * SUB_W) + 22
        size[sid] = (w, 34.0 if sub else 22.0)
    order = sorted(range(len(m.edges)), key=lambda i: PRIORITY.get(m.edges[i].fate, 3))
    lay = layout(ids, [(m.edges[i].a, m.edges[i].b) for i in order], size)
    route = {i: lay.routes[k] for k, i in enumerate(order)}
    back = {order[k] for k in lay.back}
    out = [f'<svg class="graph" id="graph" xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}" '
           f'height="{lay.height:.0f}" viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" {fit(lay.width)}>',
           "<defs>", _marker("ak", "#78909c"), _marker("ap", "#c62828"), _marker("aa", "#2e7d32"), "</defs>",
           '<g class="edges">']
    arrow = {KEPT: "ak", PRUNED: "ap", ADDED: "aa"}
    for i, e in enumerate(m.edges):
        pts = route[i]
        d = path_d(pts, i in back)
        mark = f' marker-end="url(#{arrow.get(e.fate, "ak")})"'
        x = ""
        if e.fate == PRUNED:
            mx, my = pts[len(pts) // 2 - 1] if len(pts) > 2 else ((pts[0][0] + pts[-1][0]) / 2,
                                                                  (pts[0][1] + pts[-1][1]) / 2)
            x = f'<text class="x" x="{mx - 4:.1f}" y="{my + 4:.1f}">✕</text>'
        out.append(f'<g class="{_edge_class(e)}" data-k="e" data-i="{i}" data-a="{esc(e.a)}" data-b="{esc(e.b)}">'
                   f'<path class="v" d="{d}"{mark}/><path class="hit" d="{d}"/>{x}</g>')
    out.append('</g><g class="nodes">')
    for sid in ids:
        b, n = lay.boxes[sid], m.nodes[sid]
        top, sub = labels[sid]
        state = n.status if n.status in ("done", "failed", "lost") else "unfinished"
        if m.actions == [] and not n.status:
            state = "planned"
        text = f'<text x="{b.x + 13:.1f}" y="{b.y + 15:.1f}">{esc(top)}</text>'
        if sub:
            text += f'<text class="d" x="{b.x + 13:.1f}" y="{b.y + 28:.1f}">{esc(sub)}</text>'
        out.append(f'<g class="node {state}" data-k="n" data-id="{esc(sid)}">'
                   f'<rect x="{b.x:.1f}" y="{b.y:.1f}" width="{b.w:.1f}" height="{b.h:.1f}" rx="4" fill="#fff"/>'
                   f'<rect x="{b.x:.1f}" y="{b.y:.1f}" width="7" height="{b.h:.1f}" rx="2" '
                   f'fill="{colours[sid]}" stroke="none"/>{text}</g>')
    out.append("</g></svg>")
    return "".join(out)


def legend() -> str:
    def sample(style: str, arrow: str) -> str:
        return (f'<svg width="46" height="12"><path d="M2,6 L38,6" style="fill:none;{style}" '
                f'marker-end="url(#{arrow})"/></svg>')

    return ('<div class="legend">'
            f'<span>{sample("stroke:#78909c;stroke-width:1.4", "ak")} kept (its ATE passed)</span>'
            f'<span>{sample("stroke:#c62828;stroke-width:1.4;stroke-dasharray:5 4", "ap")} pruned by the refiner '
            "(✕; hover for its ATE and the interventions tried)</span>"
            f'<span>{sample("stroke:#2e7d32;stroke-width:2.4", "aa")} added by repair after a refusal</span>'
            '<span>▮ colour = production line, as in the Gantt chart</span>'
            '<span>red outline = failed, dashed = not finished</span></div>')
