"""Walking in CraftWorld: routes over the voxel grid, found as a Minecraft pathfinder finds them.

An agent stands in a cell with two cells of headroom and something solid under its feet, or clings
to a ladder. It steps to the eight cells around it (no cutting corners), steps up one block, drops at
most :data:`MAX_DROP` blocks, climbs ladders and scaffold columns, walks through plates, crops and
open doors and gates (a trapdoor: over it when shut, not past it when open), and never enters lava or
fire. These are mineflayer-pathfinder's defaults (``maxDropDown`` 4, ladders climbable, fire/lava/
cobwebs avoided, fences and walls too high to walk on). Where the pathfinder pillars up by placing a
scaffold block under itself, here an agent climbs a column of the rules' scaffold block as it would a
ladder (VillagerBench's ``erectDirtLadder`` builds such a column), and leaves nothing behind.

A route costs its length in blocks, each block climbed counting ``climb_cost``; time is cost over
``walk_speed``. The search stays inside a box around start and goal, so an open superflat world costs
only the cells near the straight line, and routes are cached by start, goal and the world's version.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass

from causalmace.envs.craftworld.world import AVOID, CLIMBABLE, Block, WorldState
from causalmace.rules import Pos, RuleSet

MAX_DROP = 4  # mineflayer-pathfinder's maxDropDown
MARGIN = 10  # blocks around start and goal a search may use
HEADROOM_UP = 8  # blocks above the higher end a search may climb
MAX_NODES = 30_000  # cells a search may settle before it gives up
MAX_FALL = 64  # how far an agent with nothing under it falls before the world is considered bottomless
CACHE_SIZE = 20_000
FLOOD_VERSIONS = 64  # world versions whose floods are kept
FLOOD_STARTS = 64  # floods kept per world version
SQRT2 = math.sqrt(2.0)
_MISSING = object()
_FLAT = ((1, 0), (-1, 0), (0, 1), (0, -1))
_STEPS = ((1, 0, 1.0), (-1, 0, 1.0), (0, 1, 1.0), (0, -1, 1.0), (1, 1, math.sqrt(2.0)), (1, -1, math.sqrt(2.0)),
          (-1, 1, math.sqrt(2.0)), (-1, -1, math.sqrt(2.0)))


def _too_high(name: str) -> bool:
    """Fences, walls and gates stand 1.5 blocks tall: the pathfinder never walks on top of them."""
    return name.endswith(("_fence", "_wall", "_fence_gate")) or name == "iron_bars" or name.endswith("_pane")


def _thin(name: str) -> bool:
    """Carpets, ladders and the like are a sliver of a block: one walks over or through them."""
    return name.endswith("_carpet") or name in CLIMBABLE


@dataclass(frozen=True, slots=True)
class Route:
    """A walk: its cost in blocks (climbing weighted) and the cells stepped on, start first."""

    cost: float
    cells: tuple[Pos, ...]

    @property
    def end(self) -> Pos:
        return self.cells[-1]


def body_fits(name: str, open_: bool, passable: frozenset[str]) -> bool:
    """A body fits in a cell holding this block: the one rule of the simulator's walks, which the live
    Minecraft env also reads its server's blocks by."""
    if name in AVOID:
        return False
    if name.endswith("_trapdoor"):  # shut it lies flat underfoot; open it stands up in the way
        return not open_
    return open_ or name in passable or _thin(name)


class Grid:
    """What the pathfinder asks of one world state: can a body be here, can it stand here.

    Answers are remembered for the grid's life (one search, or one question): a search asks about each
    cell several times, from each of its neighbours.
    """

    __slots__ = ("blocks", "ground_y", "passable", "scaffold", "climb_cost", "_open", "_floor", "_climb", "_cols")

    def __init__(self, state: WorldState, rules: RuleSet) -> None:
        self.blocks = state.blocks
        self.ground_y = state.ground_y
        self.passable = state.passable or rules.passable
        self.scaffold = rules.scaffold
        self.climb_cost = rules.durations.climb_cost
        self._open: dict[Pos, bool] = {}
        self._floor: dict[Pos, bool] = {}
        self._climb: dict[Pos, bool] = {}
        self._cols: set[tuple[int, int]] | None = None

    def columns(self) -> set[tuple[int, int]]:
        """The (x, z) columns holding any block of their own: elsewhere there is only the flat ground."""
        if self._cols is None:
            self._cols = {(p[0], p[2]) for p in self.blocks}
        return self._cols

    def open_cell(self, c: Pos) -> bool:
        """A body fits in ``c``: nothing there, or only something one walks through."""
        v = self._open.get(c)
        if v is not None:
            return v
        b = self.blocks.get(c, _MISSING)
        if b is _MISSING:
            v = c[1] >= self.ground_y
        elif b is None:
            v = True
        else:
            assert isinstance(b, Block)
            v = body_fits(b.name, b.open, self.passable)
        self._open[c] = v
        return v

    def floor(self, c: Pos) -> bool:
        """One can stand on top of the block at ``c``."""
        v = self._floor.get(c)
        if v is not None:
            return v
        b = self.blocks.get(c, _MISSING)
        if b is _MISSING:
            v = c[1] < self.ground_y
        elif b is None:
            v = False
        else:
            assert isinstance(b, Block)
            v = not (b.open or b.name in self.passable or _too_high(b.name) or b.name in CLIMBABLE)
        self._floor[c] = v
        return v

    def climbable(self, c: Pos) -> bool:
        """A ladder (or vine) in ``c``, or a scaffold block beside it: one holds on without standing."""
        v = self._climb.get(c)
        if v is not None:
            return v
        v = False
        blocks = self.blocks
        b = blocks.get(c)
        if b is not None and b.name in CLIMBABLE:
            v = True
        elif self.scaffold is not None:
            x, y, z = c
            for dx, dz in _FLAT:
                n = blocks.get((x + dx, y, z + dz))
                if n is not None and n.name == self.scaffold:
                    v = True
                    break
        self._climb[c] = v
        return v

    def body(self, c: Pos) -> bool:
        """Feet and head both fit at ``c``."""
        return self.open_cell(c) and self.open_cell((c[0], c[1] + 1, c[2]))

    def standable(self, c: Pos) -> bool:
        """An agent can stay at ``c``: its body fits and it stands on something or holds on to a ladder."""
        return self.body(c) and (self.floor((c[0], c[1] - 1, c[2])) or self.climbable(c))

    def settle(self, c: Pos) -> Pos:
        """Where an agent at ``c`` ends up: pushed up out of a block, then fallen onto the first floor."""
        x, y, z = c
        for _ in range(3):
            if self.body((x, y, z)):
                break
            y += 1
        else:
            return c
        for _ in range(MAX_FALL):
            if self.floor((x, y - 1, z)) or self.climbable((x, y, z)) or not self.open_cell((x, y - 1, z)):
                return (x, y, z)
            y -= 1
        return c

    # ---- moves -----------------------------------------------------------------------------
    def moves(self, a: Pos) -> list[tuple[Pos, float]]:
        """Cells reachable from standing cell ``a`` in one move, with their cost."""
        x, y, z = a
        op, fl, cl = self.open_cell, self.floor, self.climbable
        cols, gy = self.columns(), self.ground_y
        up_free = op((x, y + 2, z))
        climb = self.climb_cost
        out: list[tuple[Pos, float]] = []
        for dx, dz, flat in _STEPS:
            nx, nz = x + dx, z + dz
            if dx and dz:  # no cutting corners
                if not ((nx, z) not in cols and y >= gy or op((nx, y, z)) and op((nx, y + 1, z))):
                    continue
                if not ((x, nz) not in cols and y >= gy or op((x, y, nz)) and op((x, y + 1, nz))):
                    continue
            if y == gy and (nx, nz) not in cols:  # bare ground: walk on
                out.append(((nx, y, nz), flat))
                continue
            n = (nx, y, nz)
            if op(n) and op((nx, y + 1, nz)):
                if fl((nx, y - 1, nz)) or cl(n):
                    out.append((n, flat))
                    continue
                for k in range(1, MAX_DROP + 1):  # nothing underfoot: fall until something holds
                    c = (nx, y - k, nz)
                    if not op(c):
                        break
                    if fl((nx, y - k - 1, nz)) or cl(c):
                        out.append((c, flat + k))
                        break
            elif up_free and not (dx and dz) and fl(n):  # jump up onto the block in the way
                u = (nx, y + 1, nz)
                if op(u) and op((nx, y + 2, nz)):
                    out.append((u, flat + climb))
        if up_free and cl(a) and self.standable((x, y + 1, z)):
            out.append(((x, y + 1, z), climb))
        below = (x, y - 1, z)
        if op(below) and cl(below):
            out.append((below, 1.0))
        return out


def _octile(dx: int, dz: int) -> float:
    dx, dz = abs(dx), abs(dz)
    return max(dx, dz) + (SQRT2 - 1.0) * min(dx, dz)


def heuristic(a: Pos, b: Pos, climb: float) -> float:
    """A lower bound on the cost from ``a`` to ``b``: flat distance plus the climb or the drop."""
    dy = b[1] - a[1]
    return _octile(b[0] - a[0], b[2] - a[2]) + (dy * climb if dy > 0 else -dy)


def _straight(grid: Grid, start: Pos, goal: Pos) -> Route | None:
    """On level open ground the route is the straight one: diagonal steps, then straight (or the reverse)."""
    if start[1] != goal[1]:
        return None
    dx, dz = goal[0] - start[0], goal[2] - start[2]
    sx, sz = (dx > 0) - (dx < 0), (dz > 0) - (dz < 0)
    n_diag = min(abs(dx), abs(dz))
    straight = (sx, 0) if abs(dx) > abs(dz) else (0, sz)
    y = start[1]
    for order in ((True, False), (False, True)):
        cells = [start]
        x, z = start[0], start[2]
        ok = True
        for diag_first in order:
            steps = n_diag if diag_first else abs(abs(dx) - abs(dz))
            ddx, ddz = (sx, sz) if diag_first else straight
            for _ in range(steps):
                nx, nz = x + ddx, z + ddz
                c = (nx, y, nz)
                if not grid.body(c) or not grid.floor((nx, y - 1, nz)):
                    ok = False
                    break
                if ddx and ddz and not (grid.body((nx, y, z)) and grid.body((x, y, nz))):
                    ok = False
                    break
                cells.append(c)
                x, z = nx, nz
            if not ok:
                break
        if ok:
            return Route(_octile(dx, dz), tuple(cells))
    return None


def search(grid: Grid, start: Pos, done: Callable[[Pos], bool], h: Callable[[Pos], float],
           box: tuple[Pos, Pos], reached: list[tuple[set[Pos], set[Pos]]] | None = None) -> Route | None:
    """A* from ``start`` to the first cell ``done`` accepts, inside ``box``; ties go to the cell nearer the goal.

    A search that finds none has settled every cell it can reach inside its box (unless it gave up at
    :data:`MAX_NODES`); with ``reached`` it then hands those cells over, and the cells just outside the
    box they step to, so that what it learnt need not be explored again (:class:`Floods`).
    """
    (x0, y0, z0), (x1, y1, z1) = box
    best: dict[Pos, float] = {start: 0.0}
    came: dict[Pos, Pos] = {}
    h0 = h(start)
    heap: list[tuple[float, float, Pos]] = [(h0, h0, start)]
    closed: set[Pos] = set()
    edge: set[Pos] = set()
    moves, pop, push, best_get, inf = grid.moves, heapq.heappop, heapq.heappush, best.get, math.inf
    while heap:
        a = pop(heap)[2]
        if a in closed:
            continue
        if done(a):
            cells = [a]
            while cells[-1] in came:
                cells.append(came[cells[-1]])
            return Route(best[a], tuple(reversed(cells)))
        closed.add(a)
        if len(closed) > MAX_NODES:
            return None
        g = best[a]
        for n, cost in moves(a):
            if n in closed:
                continue
            if not (x0 <= n[0] <= x1 and y0 <= n[1] <= y1 and z0 <= n[2] <= z1):
                edge.add(n)
                continue
            ng = g + cost
            if ng < best_get(n, inf):
                best[n] = ng
                came[n] = a
                hn = h(n)
                push(heap, (ng + hn, hn, n))
    if reached is not None:
        reached.append((closed, edge))
    return None


def _box(a: Pos, b: Pos) -> tuple[Pos, Pos]:
    return ((min(a[0], b[0]) - MARGIN, min(a[1], b[1]) - MAX_DROP - 2, min(a[2], b[2]) - MARGIN),
            (max(a[0], b[0]) + MARGIN, max(a[1], b[1]) + HEADROOM_UP, max(a[2], b[2]) + MARGIN))


def find_route(grid: Grid, start: Pos, goal: Pos, floods: Floods | None = None) -> Route | None:
    """The cheapest walk from ``start`` to stand at ``goal``, or None."""
    start = grid.settle(start)
    if start == goal:
        return Route(0.0, (start,))
    if not grid.standable(goal):
        return None
    fast = _straight(grid, start, goal)
    if fast is not None:
        return fast
    climb, (gx, gy, gz), k = grid.climb_cost, goal, SQRT2 - 1.0

    def h(c: Pos) -> float:  # heuristic(c, goal, climb), inlined: it runs for every cell pushed
        dx, dz, dy = abs(c[0] - gx), abs(c[2] - gz), gy - c[1]
        return (dx + k * dz if dx > dz else dz + k * dx) + (dy * climb if dy > 0 else -dy)

    box = _box(start, goal)
    if floods is None:
        return search(grid, start, goal.__eq__, h, box)
    if floods.ruled_out(grid, start, box, goal.__eq__, goal):
        return None
    reached: list[tuple[set[Pos], set[Pos]]] = []
    route = search(grid, start, goal.__eq__, h, box, reached)
    if reached:
        floods.learn(start, box, *reached[0])
    return route


def find_approach(grid: Grid, start: Pos, target: Pos, reach: float, floods: Floods | None = None) -> Route | None:
    """The cheapest walk from ``start`` to some cell within ``reach`` of ``target``, or None."""
    start = grid.settle(start)
    tx, ty, tz = target
    r2 = reach * reach

    def near(c: Pos) -> bool:
        return (c[0] - tx) ** 2 + (c[1] - ty) ** 2 + (c[2] - tz) ** 2 <= r2

    if near(start):
        return Route(0.0, (start,))

    def h(c: Pos) -> float:
        return max(0.0, math.sqrt((c[0] - tx) ** 2 + (c[1] - ty) ** 2 + (c[2] - tz) ** 2) - reach)

    box = _box(start, target)
    if floods is None:
        return search(grid, start, near, h, box)
    if floods.ruled_out(grid, start, box, near):
        return None
    reached: list[tuple[set[Pos], set[Pos]]] = []
    route = search(grid, start, near, h, box, reached)
    if reached:
        floods.learn(start, box, *reached[0])
    return route


def _inside(inner: tuple[Pos, Pos], outer: tuple[Pos, Pos]) -> bool:
    (a0, a1), (b0, b1) = inner, outer
    return all(b0[i] <= a0[i] and a1[i] <= b1[i] for i in range(3))


class _Reach:
    """The cells reachable from a start inside ``box``, and the cells outside it that they step to."""

    __slots__ = ("box", "cells", "edge")

    def __init__(self, box: tuple[Pos, Pos], cells: set[Pos], edge: set[Pos]) -> None:
        self.box, self.cells, self.edge = box, cells, edge

    def grow(self, grid: Grid, box: tuple[Pos, Pos]) -> bool:
        """Reach over ``box`` (which holds the old one), from the cells stepped to across the old box's sides
        only: whatever is reachable inside the larger box is reached through them. False past MAX_NODES."""
        (x0, y0, z0), (x1, y1, z1) = box
        cells = self.cells
        todo: list[Pos] = []
        edge: set[Pos] = set()
        for n in self.edge:
            if x0 <= n[0] <= x1 and y0 <= n[1] <= y1 and z0 <= n[2] <= z1:
                if n not in cells:
                    cells.add(n)
                    todo.append(n)
            else:
                edge.add(n)
        if len(cells) > MAX_NODES:
            return False
        moves = grid.moves
        while todo:
            for n, _ in moves(todo.pop()):
                if n in cells:
                    continue
                if x0 <= n[0] <= x1 and y0 <= n[1] <= y1 and z0 <= n[2] <= z1:
                    cells.add(n)
                    if len(cells) > MAX_NODES:
                        return False
                    todo.append(n)
                else:
                    edge.add(n)
        self.box, self.edge = box, edge
        return True


class Floods:
    """Every cell reachable from a start inside a box, for one world version: a goal outside them is not.

    A search that finds no way has explored all it can reach inside its box, and the next question (the
    next cell around the same target, from the same spot) would explore it all again. So a failed search
    leaves what it reached here, with the cells just past its box that those step to; a later question
    from that start first grows the reached area over its own box (from those cells only, so nothing is
    explored twice), and is answered None at once if its goal is not in it. That answer is exact: what a
    search can reach inside its box lies in the area reached inside a box holding it. A goal that is in
    it is searched as before, so every route found is the one the search finds.
    """

    def __init__(self, version: int, size: int) -> None:
        self.version = version
        self.size = size
        self._by_start: dict[Pos, _Reach | None] = {}  # None: grew past MAX_NODES, searches go on as before

    def ruled_out(self, grid: Grid, start: Pos, box: tuple[Pos, Pos], done: Callable[[Pos], bool],
                  goal: Pos | None = None) -> bool:
        """Whether no cell ``done`` accepts can be reached from ``start`` inside ``box``."""
        known = self._by_start.get(start)
        if known is None:
            return False
        if not _inside(box, known.box) and not known.grow(grid, _union(known.box, box)):
            self._by_start[start] = None
            return False
        if goal is not None:
            return goal not in known.cells
        return not any(done(c) for c in known.cells)

    def learn(self, start: Pos, box: tuple[Pos, Pos], cells: set[Pos], edge: set[Pos]) -> None:
        """A search from ``start`` inside ``box`` found no way after reaching ``cells``: keep them."""
        if start in self._by_start:
            return
        if len(self._by_start) >= self.size:
            self._by_start.clear()
        self._by_start[start] = _Reach(box, cells, edge)


def _union(a: tuple[Pos, Pos], b: tuple[Pos, Pos]) -> tuple[Pos, Pos]:
    return (tuple(map(min, a[0], b[0])), tuple(map(max, a[1], b[1])))  # type: ignore[return-value]


class Paths:
    """Routes already found, by (start, goal, reach, world version); forks share it safely.

    ``size`` bounds the entries (the cache empties when full); 0 finds every route afresh.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._cache: dict[tuple[object, ...], Route | None] = {}
        self._floods: dict[int, Floods] = {}  # by world version
        self.hits = 0
        self.misses = 0

    def floods(self, state: WorldState) -> Floods | None:
        """What failed searches at this world version learnt (None with the cache off)."""
        if self.size <= 0:
            return None
        f = self._floods.get(state.version)
        if f is None:
            if len(self._floods) >= FLOOD_VERSIONS:
                self._floods.clear()
            f = self._floods[state.version] = Floods(state.version, FLOOD_STARTS)
        return f

    def route(self, state: WorldState, rules: RuleSet, start: Pos, goal: Pos) -> Route | None:
        key = (state.version, start, goal)
        cache = self._cache
        if key in cache:
            self.hits += 1
            return cache[key]
        self.misses += 1
        r = find_route(Grid(state, rules), start, goal, self.floods(state))
        self._keep(key, r)
        return r

    def approach(self, state: WorldState, rules: RuleSet, start: Pos, target: Pos, reach: float) -> Route | None:
        key = (state.version, start, target, reach)
        cache = self._cache
        if key in cache:
            self.hits += 1
            return cache[key]
        self.misses += 1
        r = find_approach(Grid(state, rules), start, target, reach, self.floods(state))
        self._keep(key, r)
        return r

    def _keep(self, key: tuple[object, ...], r: Route | None) -> None:
        if self.size <= 0:
            return
        if len(self._cache) >= self.size:
            self._cache.clear()
        self._cache[key] = r


__all__ = ["CLIMBABLE", "MAX_DROP", "Floods", "Grid", "Paths", "Route", "body_fits", "find_approach", "find_route",
           "heuristic"]
