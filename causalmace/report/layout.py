"""A layered (Sugiyama) layout for task graphs, left to right, so dependencies read as a flow.

Layers come from longest paths, long edges get dummy points so they never run through a box, each layer
is ordered by barycentres to cut crossings, and vertical positions are pulled towards neighbours while
keeping every box at least ``gap`` apart: labels cannot overlap, however many subtasks there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

SWEEPS = 12
ALIGN_PASSES = 8


@dataclass
class Box:
    """A node's place: its layer, its left/top corner and its size."""

    layer: int
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> tuple[float, float]:
        return self.x + self.w, self.y + self.h / 2

    @property
    def left(self) -> tuple[float, float]:
        return self.x, self.y + self.h / 2


@dataclass
class Layout:
    """Node boxes, one route (a list of points) per input edge, the drawing's size, and which edges
    closed a cycle (those are drawn as arcs and were left out of the layering)."""

    boxes: dict[str, Box]
    routes: list[list[tuple[float, float]]]
    width: float
    height: float
    back: set[int] = field(default_factory=set)


def _reaches(adj: dict[str, list[str]], src: str, dst: str) -> bool:
    seen, stack = {src}, [src]
    while stack:
        v = stack.pop()
        if v == dst:
            return True
        for w in adj[v]:
            if w not in seen:
                seen.add(w)
                stack.append(w)
    return False


def acyclic(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> tuple[list[int], set[int]]:
    """Indices of edges kept for layering (in the given priority order) and of those that close a cycle."""
    adj: dict[str, list[str]] = {n: [] for n in nodes}
    keep, back = [], set()
    seen: set[tuple[str, str]] = set()
    for i, (a, b) in enumerate(edges):
        if a == b or _reaches(adj, b, a):
            back.add(i)
            continue
        keep.append(i)
        if (a, b) not in seen:
            seen.add((a, b))
            adj[a].append(b)
    return keep, back


def layers(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layers of a DAG; a source is then moved next to its earliest successor, so edges from
    leaves such as 'fetch a tool' stay short instead of all starting in column 0."""
    preds: dict[str, set[str]] = {n: set() for n in nodes}
    succs: dict[str, set[str]] = {n: set() for n in nodes}
    for a, b in edges:
        preds[b].add(a)
        succs[a].add(b)
    rank = {n: i for i, n in enumerate(nodes)}
    order: list[str] = []
    indeg = {n: len(preds[n]) for n in nodes}
    ready = [n for n in nodes if indeg[n] == 0]
    while ready:
        v = ready.pop(0)
        order.append(v)
        for w in sorted(succs[v], key=rank.__getitem__):
            indeg[w] -= 1
            if indeg[w] == 0:
                ready.append(w)
    layer = {n: 0 for n in nodes}
    for v in order:
        for w in succs[v]:
            layer[w] = max(layer[w], layer[v] + 1)
    for v in reversed(order):
        if not preds[v] and succs[v]:
            layer[v] = min(layer[w] for w in succs[v]) - 1
    return layer


def _crossings(upper: list[str], lower: list[str], links: list[tuple[str, str]]) -> int:
    pu = {v: i for i, v in enumerate(upper)}
    pl = {v: i for i, v in enumerate(lower)}
    segs = sorted((pu[a], pl[b]) for a, b in links if a in pu and b in pl)
    n = 0
    for i in range(len(segs)):
        for j in range(i + 1, len(segs)):
            if segs[i][0] < segs[j][0] and segs[i][1] > segs[j][1]:
                n += 1
    return n


def _order(rows: list[list[str]], up: dict[str, list[str]], down: dict[str, list[str]],
           links: list[tuple[str, str]]) -> list[list[str]]:
    """Barycentre sweeps, down then up; the ordering with the fewest crossings wins."""

    def total(rs: list[list[str]]) -> int:
        return sum(_crossings(rs[i], rs[i + 1], links) for i in range(len(rs) - 1))

    best, best_n = [list(r) for r in rows], total(rows)
    cur = [list(r) for r in rows]
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        rng = range(1, len(cur)) if downward else range(len(cur) - 2, -1, -1)
        for i in rng:
            ref = cur[i - 1] if downward else cur[i + 1]
            pos = {v: k for k, v in enumerate(ref)}
            nbrs = up if downward else down
            keyed = []
            for k, v in enumerate(cur[i]):
                ps = [pos[u] for u in nbrs[v] if u in pos]
                keyed.append((sum(ps) / len(ps) if ps else float(k), k, v))
            cur[i] = [v for _, _, v in sorted(keyed)]
        n = total(cur)
        if n < best_n:
            best, best_n = [list(r) for r in cur], n
        if best_n == 0:
            break
    return best


def _pav(want: list[float], seps: list[float]) -> list[float]:
    """Positions closest (least squares) to ``want`` with y[i+1] - y[i] >= seps[i]: isotonic regression on
    the wants less their cumulative separations (pool adjacent violators)."""
    offs = [0.0]
    for s in seps:
        offs.append(offs[-1] + s)
    z = [w - o for w, o in zip(want, offs, strict=True)]
    blocks: list[list[float]] = []  # [mean, count]
    for v in z:
        blocks.append([v, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, c2 = blocks.pop()
            m1, c1 = blocks.pop()
            blocks.append([(m1 * c1 + m2 * c2) / (c1 + c2), c1 + c2])
    out: list[float] = []
    for m, c in blocks:
        out += [m] * int(c)
    return [v + o for v, o in zip(out, offs, strict=True)]


def layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]], size: dict[str, tuple[float, float]],
           hgap: float = 48.0, vgap: float = 12.0, dummy_h: float = 6.0, margin: float = 12.0) -> Layout:
    """Place ``nodes`` (each ``size[n] = (w, h)``) and route ``edges``, given most important first."""
    keep, back = acyclic(nodes, edges)
    dag = list(dict.fromkeys(edges[i] for i in keep))
    layer = layers(nodes, dag)
    # dummy chains for edges that span more than one layer
    chain: dict[tuple[str, str], list[str]] = {}
    layer_of = dict(layer)
    links: list[tuple[str, str]] = []
    for a, b in dag:
        path = [a]
        for k in range(layer[a] + 1, layer[b]):
            d = f"\0{a}\0{b}\0{k}"
            layer_of[d] = k
            path.append(d)
        path.append(b)
        chain[(a, b)] = path
        links += list(zip(path, path[1:], strict=False))
    n_layers = max(layer_of.values(), default=0) + 1
    rows: list[list[str]] = [[] for _ in range(n_layers)]
    for v in [*nodes, *(d for d in layer_of if d not in layer)]:
        rows[layer_of[v]].append(v)
    up: dict[str, list[str]] = {v: [] for v in layer_of}
    down: dict[str, list[str]] = {v: [] for v in layer_of}
    for a, b in links:
        down[a].append(b)
        up[b].append(a)
    rows = _order(rows, up, down, links)

    def h(v: str) -> float:
        return size[v][1] if v in size else dummy_h

    # x: each layer as wide as its widest box
    widths = [max((size[v][0] for v in r if v in size), default=0.0) for r in rows]
    xs, x = [], margin
    for w in widths:
        xs.append(x)
        x += w + hgap
    # y: stacked, then pulled towards the centres of neighbours without breaking the order or the gaps
    centre: dict[str, float] = {}
    for r in rows:
        y = 0.0
        for v in r:
            centre[v] = y + h(v) / 2
            y += h(v) + vgap
    tallest = max((sum(h(v) + vgap for v in r) for r in rows), default=0.0)
    for r in rows:  # centre each column to start with
        span = sum(h(v) + vgap for v in r)
        for v in r:
            centre[v] += (tallest - span) / 2
    for p in range(ALIGN_PASSES):
        rng = range(n_layers) if p % 2 == 0 else range(n_layers - 1, -1, -1)
        for i in rng:
            r = rows[i]
            if not r:
                continue
            want = []
            for v in r:
                ns = up[v] + down[v]
                want.append(sum(centre[u] for u in ns) / len(ns) if ns else centre[v])
            seps = [(h(r[k]) + h(r[k + 1])) / 2 + vgap for k in range(len(r) - 1)]
            for v, c in zip(r, _pav(want, seps), strict=True):
                centre[v] = c
    top = min((centre[v] - h(v) / 2 for v in centre), default=0.0)
    boxes: dict[str, Box] = {}
    points: dict[str, tuple[float, float, float]] = {}  # dummy -> (x_left, x_right, y)
    for i, r in enumerate(rows):
        for v in r:
            y = centre[v] - top + margin
            if v in size:
                w, hh = size[v]
                boxes[v] = Box(i, xs[i] + (widths[i] - w) / 2, y - hh / 2, w, hh)
            else:
                points[v] = (xs[i], xs[i] + widths[i], y)
    routes: list[list[tuple[float, float]]] = []
    for i, (a, b) in enumerate(edges):
        if i in back:
            routes.append([boxes[a].right, boxes[b].left])
            continue
        pts = [boxes[a].right]
        for d in chain[(a, b)][1:-1]:
            xl, xr, y = points[d]
            pts += [(xl, y), (xr, y)]
        pts.append(boxes[b].left)
        routes.append(pts)
    height = max((b.y + b.h for b in boxes.values()), default=0.0) + margin
    height = max([height, *(p[2] + margin for p in points.values())])
    return Layout(boxes, routes, x - hgap + margin, height, back)


def path_d(points: list[tuple[float, float]], back: bool = False) -> str:
    """An SVG path through the route: straight across dummy stretches, S-curves between layers; a back
    edge is an arc that leaves rightwards and comes round."""
    (x0, y0), rest = points[0], points[1:]
    if back:
        x1, y1 = rest[-1]
        bend = 40 + abs(x0 - x1) / 4
        return f"M{x0:.1f},{y0:.1f} C{x0 + bend:.1f},{y0 + bend:.1f} {x1 - bend:.1f},{y1 + bend:.1f} {x1:.1f},{y1:.1f}"
    d = [f"M{x0:.1f},{y0:.1f}"]
    px, py = x0, y0
    for k, (x, y) in enumerate(rest):
        if k % 2 == 1 and y == py:  # across a dummy's layer
            d.append(f"L{x:.1f},{y:.1f}")
        else:
            dx = (x - px) / 2
            d.append(f"C{px + dx:.1f},{py:.1f} {x - dx:.1f},{y:.1f} {x:.1f},{y:.1f}")
        px, py = x, y
    return " ".join(d)
