"""The offline knowledge model: the correct decomposition of a task, derived from the RuleSet.

Farming follows recipe trees back to the sources the world offers (a depot chest, other chests,
crops and ores to dig, creatures to hunt or milk, the furnace); construction places blocks in an
order where each has a neighbour to go against, with dirt scaffolds under parts that float and dirt
columns to climb beside blocks out of reach from the ground (agents walk, they do not hover), and
tells builders the structure's footprint so that they stand outside it where they can;
escape rooms follow their triggers' conditions, room by room.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from causalmace import dag
from causalmace.envs.blocks.survey import Survey
from causalmace.envs.villagerbench.goals import BuildGoal, CraftGoal, EscapeGoal
from causalmace.graph import Subtask, TaskGraph
from causalmace.judger import NEIGHBOURS, cell_key, group_key, item_key
from causalmace.rules import Pos, RuleSet
from causalmace.tasks import Task

CHUNK = 6  # blocks per construction subtask
STAND_BELOW = 3  # a block is placed from a column top at most this far below it
STAND_REACH = 3.9  # how far the scripted agent reaches (the Judger allows 4.5)


class NotObtainable(Exception):
    pass


def _walk(rules: RuleSet, a: Pos, b: Pos) -> float:
    return math.dist(a, b) / rules.durations.walk_speed


@dataclass
class _Farm:
    rules: RuleSet
    survey: Survey
    depot: Pos
    graph: TaskGraph
    stock: Counter[str] = field(default_factory=Counter)
    other: dict[Pos, Counter[str]] = field(default_factory=dict)
    used_blocks: set[Pos] = field(default_factory=set)
    killed: Counter[str] = field(default_factory=Counter)
    made_by: dict[str, list[str]] = field(default_factory=dict)  # item in the depot -> who put it there
    harvests: dict[str, str] = field(default_factory=dict)  # block -> its harvest subtask
    n: int = 0
    journal: list[tuple[str, object, object]] = field(default_factory=list)  # graph changes, to undo
    normal: bool = True  # the graph's edges are in the order a copy of it would list them

    def _snap(self) -> tuple:
        """What a failed option is rolled back to. The graph is not copied: its changes since are undone."""
        return (self.stock.copy(), {k: v.copy() for k, v in self.other.items()}, set(self.used_blocks),
                self.killed.copy(), {k: list(v) for k, v in self.made_by.items()}, dict(self.harvests), self.n,
                (len(self.journal), self.normal))

    def _restore(self, s: tuple) -> None:
        (self.stock, self.other, self.used_blocks, self.killed, self.made_by, self.harvests, self.n,
         (mark, normal)) = s
        g = self.graph.g
        while len(self.journal) > mark:
            kind, key, old = self.journal.pop()
            if kind == "node":
                if old is None:
                    g.remove_node(key)
                else:
                    g.nodes[key]["subtask"] = old
            elif old is None:
                g.remove_edge(*key)  # type: ignore[misc]
            else:
                g.edges[key]["record"] = old
        if not normal:  # a rolled-back graph is a copy, whose edges a copy lists in node order
            self.graph = self.graph.copy()
        self.normal = True

    def _add(self, st: Subtask) -> None:
        g = self.graph.g
        self.journal.append(("node", st.id, g.nodes[st.id]["subtask"] if st.id in g else None))
        self.graph.add(st)

    def _add_edge(self, a: str, b: str) -> None:
        g = self.graph.g
        if g.has_edge(a, b):
            self.journal.append(("edge", (a, b), g.edges[a, b]["record"]))
        else:
            if g.in_degree(b):  # a copy would list b's predecessors in node order, maybe not this one
                self.normal = False
            self.journal.append(("edge", (a, b), None))
        self.graph.add_edge(a, b, origin="truth")

    def _new(self, kind: str, target: str, count: int, desc: str, est: float, deps: Iterable[str],
             **params: object) -> str:
        self.n += 1
        sid = f"{kind}_{target}_{self.n}"
        self._add(Subtask(sid, kind, desc, target, count, round(est, 3),
                          {"depot": self.depot, **params}, {"depot_has": [target, count]},
                          produces=(item_key(target),)))
        for d in deps:
            self._add_edge(d, sid)
        return sid

    def obtain(self, item: str, count: int, depth: int = 0) -> list[str]:
        """Subtasks that leave ``count`` of ``item`` in the depot (none if it is there already)."""
        if depth > 12:
            raise NotObtainable(item)
        have = min(self.stock[item], count)
        self.stock[item] -= have
        need = count - have
        stocked = list(self.made_by.get(item, [])) if have else []
        if need <= 0:
            return stocked
        for option in (self._fetch, self._harvest, self._hunt, self._use, self._smelt, self._craft):
            snap = self._snap()
            try:
                out = option(item, need, depth)
            except NotObtainable:
                self._restore(snap)
                continue
            if out is not None:
                self.made_by.setdefault(item, []).extend(out)
                return stocked + out
            self._restore(snap)
        raise NotObtainable(item)

    def _fetch(self, item: str, need: int, depth: int) -> list[str] | None:
        for pos, items in sorted(self.other.items()):
            if items[item] >= need:
                items[item] -= need
                est = 2 * _walk(self.rules, self.depot, pos) + 2 * self.rules.durations.container
                return [self._new("fetch", item, need, f"fetch {need} {item} from the chest at {pos}", est, (),
                                  source=pos)]
        return None

    def _harvest(self, item: str, need: int, depth: int) -> list[str] | None:
        for block, positions in sorted(self.survey.blocks.items()):
            rule = self.rules.digging.get(block)
            if rule is None or rule.hardness < 0:
                continue
            per = dict(rule.drops).get(item, 0)
            if per <= 0:
                continue
            free = [p for p in positions if p not in self.used_blocks]
            k = math.ceil(need / per)
            if len(free) < k:
                continue
            free.sort(key=lambda p: (math.dist(p, self.depot), p))
            chosen = free[:k]
            self.used_blocks.update(chosen)
            self.stock[item] += k * per - need
            if block in self.harvests:  # one trip for the same block: no tool passed back and forth
                return [self._extend(self.harvests[block], need, chosen, rule.hardness)]
            self.stock[item] -= k * per - need
            deps: list[str] = []
            tool = None
            if rule.tools is not None:
                tool, deps = self._tool(rule.tools, depth)
            self.stock[item] += k * per - need
            dig = max(self.rules.durations.min_dig, rule.hardness * 1.5 / 6.0)
            est = 2 * _walk(self.rules, self.depot, chosen[0]) + k * dig + 2 * self.rules.durations.container
            sid = self._new("harvest", item, need, f"harvest {need} {item} from {block}", est, deps,
                            block=block, positions=chosen, tool=tool)
            if tool is not None:
                self.made_by[tool] = [sid]  # the next user waits for the tool to come back
            self.harvests[block] = sid
            return [sid]
        return None

    def _extend(self, sid: str, need: int, more: list[Pos], hardness: float) -> str:
        old = self.graph.subtask(sid)
        dig = max(self.rules.durations.min_dig, hardness * 1.5 / 6.0)
        st = Subtask(old.id, old.kind, f"harvest {old.count + need} {old.target} from {old.params['block']}",
                     old.target, old.count + need, round(old.est_duration + len(more) * dig, 3),
                     {**old.params, "positions": [*old.params["positions"], *more]},
                     {"depot_has": [old.target, old.count + need]}, old.produces)
        self._add(st)  # a new object: a rolled-back graph gets the old one back
        return sid

    def _tool(self, tools: frozenset[str], depth: int) -> tuple[str, list[str]]:
        order = sorted(tools, key=lambda t: (-self.rules.tool_speed.get(t, 1.0), t))
        for t in order:
            if self.stock[t] > 0 or any(c[t] > 0 for c in self.other.values()):
                deps = self.obtain(t, 1, depth + 1)
                self.stock[t] += 1  # returned to the depot after use
                return t, deps
        for t in sorted(tools, key=lambda t: (self.rules.tool_speed.get(t, 1.0), t)):
            snap = self._snap()
            try:
                deps = self.obtain(t, 1, depth + 1)
                self.stock[t] += 1
                return t, deps
            except NotObtainable:
                self._restore(snap)
        raise NotObtainable("tool")

    def _hunt(self, item: str, need: int, depth: int) -> list[str] | None:
        for name, rule in sorted(self.rules.entities.items()):
            per = dict(rule.drops).get(item, 0)
            if per <= 0:
                continue
            alive = [p for n, p in self.survey.creatures if n == name]
            k = math.ceil(need / per)
            if len(alive) - self.killed[name] < k:
                continue
            self.killed[name] += k
            self.stock[item] += k * per - need
            est = 2 * _walk(self.rules, self.depot, alive[0]) + k * self.rules.durations.attack_cooldown
            return [self._new("hunt", item, need, f"hunt {k} {name} for {item}", est, (), entity=name,
                              kills=k)]
        return None

    def _use(self, item: str, need: int, depth: int) -> list[str] | None:
        for (tool, entity), rule in sorted(self.rules.uses.items()):
            if rule.gives != item or not any(n == entity for n, _ in self.survey.creatures):
                continue
            deps = self.obtain(tool, need, depth + 1)
            pos = next(p for n, p in self.survey.creatures if n == entity)
            est = 2 * _walk(self.rules, self.depot, pos) + need * self.rules.durations.use_on_entity
            return [self._new("use", item, need, f"use {need} {tool} on a {entity} for {item}", est, deps,
                              tool=tool, entity=entity)]
        return None

    def _smelt(self, item: str, need: int, depth: int) -> list[str] | None:
        furnaces = self.survey.blocks.get(self.rules.smelt_station or "", ())
        if not furnaces:
            return None
        for inp, rule in sorted(self.rules.smelting.items()):
            if rule.output != item:
                continue
            snap = self._snap()
            try:
                deps = self.obtain(inp, need, depth + 1)
                fuel, fuel_deps = self._fuel(need, depth)
            except NotObtainable:
                self._restore(snap)
                continue
            est = (2 * _walk(self.rules, self.depot, furnaces[0]) + need * self.rules.durations.smelt_per_item
                   + 3 * self.rules.durations.container)
            return [self._new("smelt", item, need, f"smelt {need} {inp} into {item}", est, deps + fuel_deps,
                              input=inp, fuel=fuel[0], fuel_count=fuel[1], station=furnaces[0])]
        return None

    def _fuel(self, items: int, depth: int) -> tuple[tuple[str, int], list[str]]:
        for fuel, per in self.rules.fuels.items():  # the table lists the usual fuels first
            n = math.ceil(items / per)
            snap = self._snap()
            try:
                return (fuel, n), self.obtain(fuel, n, depth + 1)
            except NotObtainable:
                self._restore(snap)
        raise NotObtainable("fuel")

    def _craft(self, item: str, need: int, depth: int) -> list[str] | None:
        for recipe in self.rules.recipes.get(item, ()):
            station = None
            if recipe.station is not None:
                tables = self.survey.blocks.get(recipe.station, ())
                if not tables:
                    continue
                station = min(tables, key=lambda p: (math.dist(p, self.depot), p))
            ops = math.ceil(need / recipe.count)
            snap = self._snap()
            try:
                deps: list[str] = []
                for name, c in recipe.inputs:
                    deps += self.obtain(name, c * ops, depth + 1)
            except NotObtainable:
                self._restore(snap)
                continue
            self.stock[item] += ops * recipe.count - need
            est = self.rules.durations.craft * ops + 2 * self.rules.durations.container + (
                2 * _walk(self.rules, self.depot, station) if station else 0.0)
            return [self._new("craft", item, need, f"craft {need} {item}", est, deps, ops=ops,
                              inputs=[[n, c * ops] for n, c in recipe.inputs], station=station)]
        return None


def decompose_farming(task: Task, goal: CraftGoal, rules: RuleSet, survey: Survey) -> TaskGraph:
    depot = survey.depot()
    if depot is None:
        raise NotObtainable("no chest to gather in")
    graph = TaskGraph(task.id)
    f = _Farm(rules, survey, depot, graph)
    for pos, _name, items, lock in survey.containers:
        if pos == depot:
            f.stock.update(dict(items))
        elif lock is None:
            f.other[pos] = Counter(dict(items))
    f.obtain(goal.item, goal.count)
    # the dish itself stays in the hands of whoever makes it
    for s in f.graph.subtasks():
        if s.target == goal.item and not f.graph.succs(s.id):
            s.params["keep"] = True
            s.check = {"holds": [goal.item, goal.count]}
    return f.graph


def build_order(target: dict[Pos, tuple[str, str]], ground_y: int,
                passable: frozenset[str] = frozenset()) -> tuple[list[Pos], dict[Pos, Pos | None], list[Pos]]:
    """Blocks (and dirt scaffolds) in an order where each has a placed neighbour or the ground.

    Blocks one walks through (torches, fire, flowers) hold nothing up, so they never support another.
    Returns the order, each block's support (None: the ground) and the scaffold cells.
    """
    cells = set(target)
    solid = {p for p in cells if target[p][0] not in passable}
    scaffolds: list[Pos] = []
    parent: dict[Pos, Pos | None] = {}
    order: list[Pos] = []

    def grow(frontier: list[Pos]) -> None:
        while frontier:
            nxt: list[Pos] = []
            for p in frontier:
                if p not in solid:
                    continue
                for d in NEIGHBOURS:
                    q = (p[0] + d[0], p[1] + d[1], p[2] + d[2])
                    if q in cells and q not in parent:
                        parent[q] = p
                        order.append(q)
                        nxt.append(q)
            frontier = sorted(nxt, key=lambda q: (q[1], q))

    def scaffold(c: Pos, below: Pos | None) -> Pos:
        cells.add(c)
        solid.add(c)
        scaffolds.append(c)
        parent[c] = below
        order.append(c)
        return c

    base = sorted((p for p in cells if p[1] == ground_y), key=lambda q: (q[1], q))
    for p in base:
        parent[p] = None
        order.append(p)
    grow(base)
    while len(parent) < len(cells):
        low = min((p for p in cells if p not in parent), key=lambda q: (q[1], q))
        column: list[Pos] = []
        y = low[1] - 1
        while y >= ground_y and not ((low[0], y, low[2]) in parent and (low[0], y, low[2]) in solid):
            column.append((low[0], y, low[2]))
            y -= 1
        prev: Pos | None = (low[0], y, low[2]) if y >= ground_y else None
        for c in reversed(column):
            if c in cells:  # a block one walks through is in the way: the column stops under it
                break
            prev = scaffold(c, prev)
        else:
            parent[low] = prev
            order.append(low)
            grow([low] + [c for c in column if c in solid])
            continue
        # blocked column: scaffold beside the block instead, from the ground up
        side = (low[0] + 1, low[1], low[2])
        prev = None
        for y2 in range(ground_y, low[1] + 1):
            c = (side[0], y2, side[2])
            if c in cells:
                prev = c if c in solid and c in parent else prev
                continue
            prev = scaffold(c, prev)
        parent[low] = prev
        order.append(low)
        grow([low] + [c for c in scaffolds if c in solid])
    return order, parent, scaffolds


def _column_at(p: Pos, ground_y: int, taken: set[Pos], footprint: set[tuple[int, int]]) -> list[Pos] | None:
    """Cells of a scaffold column near ``p`` whose top puts a standing agent within reach of ``p``.

    Outside the structure first (a column inside may end up walled in), then the shortest, then the nearest.
    """
    options = sorted(((x, z) in footprint, top - ground_y, (x - p[0]) ** 2 + (z - p[2]) ** 2, (x, z), top)
                     for x in range(p[0] - 3, p[0] + 4) for z in range(p[2] - 3, p[2] + 4)
                     for top in range(max(ground_y + 1, p[1] - STAND_BELOW), p[1] + 1))
    for _, _, _, (x, z), top in options:
        if math.dist((x, top, z), p) <= STAND_REACH and all((x, y, z) not in taken for y in range(ground_y, top + 2)):
            return [(x, y, z) for y in range(ground_y, top)]
    return None


def _from_ground(p: Pos, ground_y: int, footprint: set[tuple[int, int]]) -> bool:
    """Some ground cell outside the structure's footprint is within reach of ``p``."""
    dy = p[1] - ground_y
    if dy * dy > STAND_REACH * STAND_REACH:
        return False
    for dx in range(-4, 5):
        for dz in range(-4, 5):
            if (p[0] + dx, p[2] + dz) not in footprint and dx * dx + dy * dy + dz * dz <= STAND_REACH * STAND_REACH:
                return True
    return False


@dataclass
class Column:
    """A scaffold column to climb: its cells, bottom up, and the blocks placed from its top."""

    cells: list[Pos]
    serves: list[Pos] = field(default_factory=list)

    @property
    def top(self) -> Pos:
        """Where an agent stands on it."""
        x, y, z = self.cells[-1]
        return (x, y + 1, z)


def reach_columns(order: list[Pos], parent: dict[Pos, Pos | None], scaffolds: list[Pos], ground_y: int,
                  footprint: set[tuple[int, int]]) -> list[Column]:
    """Scaffold columns to climb for blocks out of reach from the ground, put in ``order`` before them.

    This is upstream's ``erectDirtLadder``: a dirt column one climbs to reach a high place and takes down
    after. One column serves every later block within reach of its top. The columns' cells join ``scaffolds``.
    """
    taken = set(order)
    columns: list[Column] = []
    out: list[Pos] = []
    scaffold_set = set(scaffolds)
    for p in order:
        if p not in scaffold_set and not _from_ground(p, ground_y, footprint):
            near = next((c for c in columns if math.dist(c.top, p) <= STAND_REACH), None)
            if near is None and (cells := _column_at(p, ground_y, taken, footprint)) is not None:
                near = Column(cells)
                prev: Pos | None = None
                for c in cells:
                    parent[c] = prev
                    prev = c
                scaffolds.extend(cells)
                out.extend(cells)
                taken.update(cells)
                taken.update({near.top, (near.top[0], near.top[1] + 1, near.top[2])})
                columns.append(near)
            if near is not None:
                near.serves.append(p)
        out.append(p)
    order[:] = out
    return columns


def _necessary_supports(order: list[Pos], chunk_of: dict[Pos, str], scaffolds: set[Pos], goal: BuildGoal,
                        passable: frozenset[str]) -> list[tuple[str, str]]:
    """Chunk edges X -> Y such that some block of Y has no other support once Y's other prerequisites stand.

    A block needs an earlier solid neighbour, the ground, or an earlier block of its own chunk. Where
    several chunks could hold it up, one edge suffices; edges that other prerequisites make redundant
    are left out, so every edge is one that B truly needs.
    """
    index = {p: i for i, p in enumerate(order)}
    solid = {p for p in order if p in scaffolds or goal.target[p][0] not in passable}
    needs: dict[str, list[set[str]]] = {}  # chunk -> for each block, the chunks that could hold it
    for p in order:
        if p[1] == goal.ground_y:
            continue
        own = chunk_of[p]
        sup = [q for d in NEIGHBOURS if (q := (p[0] + d[0], p[1] + d[1], p[2] + d[2])) in solid
               and index[q] < index[p]]
        if any(chunk_of[q] == own for q in sup):
            continue
        needs.setdefault(own, []).append({chunk_of[q] for q in sup})
    first = {c: i for i, c in enumerate(dict.fromkeys(chunk_of[p] for p in order))}
    edges: set[tuple[str, str]] = set()
    for y, alts in needs.items():
        for alt in alts:
            if alt and not (alt & {x for x, yy in edges if yy == y}):
                edges.add((min(alt, key=first.__getitem__), y))
    g = dag.DiGraph(list(edges))
    for x, y in sorted(edges, key=lambda e: (first[e[1]], first[e[0]])):
        g.remove_edge(x, y)
        anc = dag.ancestors(g, y) if y in g else set()
        if not all(alt & anc for alt in needs[y] if x in alt):
            g.add_edge(x, y)
    return sorted(g.edges, key=lambda e: (first[e[0]], first[e[1]]))


def decompose_construction(task: Task, goal: BuildGoal, rules: RuleSet, survey: Survey) -> TaskGraph:
    depot = survey.depot()
    graph = TaskGraph(task.id)
    order, parent, scaffolds = build_order(goal.target, goal.ground_y, rules.passable)
    footprint = {(p[0], p[2]) for p in goal.target}
    columns = reach_columns(order, parent, scaffolds, goal.ground_y, footprint)
    xs, zs = [p[0] for p in goal.target], [p[2] for p in goal.target]
    around = [min(xs), min(zs), max(xs), max(zs)] if xs else None  # stand outside it where one can
    scaffold_set = set(scaffolds)
    chunk_of: dict[Pos, str] = {}
    chunks: list[list[Pos]] = []
    for p in order:  # consecutive runs of the build order: supports always come in an earlier chunk
        if chunks and len(chunks[-1]) < CHUNK and (chunks[-1][0] in scaffold_set) == (p in scaffold_set):
            chunks[-1].append(p)
        else:
            chunks.append([p])
    d = rules.durations
    for k, part in enumerate(chunks):
        is_scaffold = part[0] in scaffold_set
        kind = "scaffold" if is_scaffold else "build"
        sid = f"{kind}_{k}"
        blocks = [[list(p), rules.scaffold if is_scaffold else goal.target[p][0],
                   "A" if is_scaffold else goal.target[p][1]] for p in part]
        mats = Counter(b[1] for b in blocks)
        est = (2 * _walk(rules, depot or part[0], part[0]) + len(part) * d.place + len(mats) * d.container)
        what = ", ".join(f"{n} {m}" for m, n in sorted(mats.items()))
        ys = sorted({p[1] for p in part})
        where = f"y={ys[0]}" if len(ys) == 1 else f"y={ys[0]}..{ys[-1]}"
        graph.add(Subtask(sid, kind, f"{'scaffold' if is_scaffold else 'place'} {what} at {where}",
                          "scaffold" if is_scaffold else "structure", len(part), round(est, 3),
                          {"depot": depot, "blocks": blocks, "footprint": around},
                          {"blocks_placed": [b[0] for b in blocks]},
                          produces=tuple(cell_key(p) for p in part)))
        for p in part:
            chunk_of[p] = sid
    for x, y in _necessary_supports(order, chunk_of, scaffold_set, goal, rules.passable):
        graph.add_edge(x, y, origin="truth")
    climbed: set[Pos] = set()
    for col in columns:  # a column stands before the blocks placed from its top, until they are
        climbed.update(col.serves)
        for part in sorted({chunk_of[c] for c in col.cells}):
            for p in col.serves:
                if part != chunk_of[p]:
                    graph.add_edge(part, chunk_of[p], origin="truth")
    if scaffolds:
        sid = "clear_scaffold"
        est = len(scaffolds) * (d.min_dig + 0.75) + d.container
        resting = sorted(p for p in order if p not in scaffold_set and (parent.get(p) in scaffold_set or p in climbed))
        graph.add(Subtask(sid, "clear", f"remove {len(scaffolds)} scaffold blocks", "scaffold",
                          len(scaffolds), round(est, 3),
                          {"depot": depot, "blocks": [list(p) for p in sorted(scaffolds, key=lambda q: -q[1])],
                           "wait_for": [[list(p), goal.target[p][0]] for p in resting], "footprint": around},
                          {"blocks_cleared": [list(p) for p in scaffolds]}))
        for c in sorted({chunk_of[p] for p in resting}):
            graph.add_edge(c, sid, origin="truth")
    return graph


def decompose_escape(task: Task, goal: EscapeGoal, rules: RuleSet, survey: Survey) -> TaskGraph:
    graph = TaskGraph(task.id)
    triggers = {t.id: t for t in rules.triggers}
    prev_room: list[str] = []
    d = rules.durations
    chest_of_item: dict[str, tuple[Pos, str | None]] = {}
    for pos, _name, items, lock in survey.containers:
        for it, _n in items:
            chest_of_item[it] = (pos, lock)
    key_givers: dict[str, str] = {}
    for room in goal.rooms:
        t = triggers[room.trigger]
        ids: list[str] = []
        per_order = Counter(c.order for c in t.conditions)
        for i, c in enumerate(t.conditions):
            kind = rules.interactive.get(c.block)
            room_p = {"room": room.index, "trigger": t.id, "pos": list(c.pos), "block": c.block, "cond": i,
                      "order": c.order, "hold": per_order[c.order] > 1 and t.mode == "and"}
            if kind == "plate":
                st = Subtask(f"r{room.index}_stand_{i}", "stand", f"stand on the {c.block} at {c.pos}",
                             c.block, 1, round(3 + d.toggle, 3), room_p, {"room_solved": room.index})
            elif kind in ("lever", "button"):
                verb = "flip" if kind == "lever" else "press"
                st = Subtask(f"r{room.index}_toggle_{i}", "toggle", f"{verb} the {c.block} at {c.pos}",
                             c.block, 1, round(3 + d.toggle, 3), {**room_p, "repeat": kind == "button"},
                             {"powered": list(c.pos)})
            else:
                src = chest_of_item.get(c.block)
                params = dict(room_p)
                if src is not None and c.block not in dict(survey.start_items):
                    params["fetch_from"] = list(src[0])
                st = Subtask(f"r{room.index}_place_{i}", "place", f"put a {c.block} at {c.pos}", c.block, 1,
                             round(6 + d.place, 3), params, {"block_at": [list(c.pos), c.block]})
                if src is not None and src[1] and src[1] in key_givers:
                    st.produces = (group_key(room.index), cell_key(c.pos))
                    graph.add(st)
                    graph.add_edge(key_givers[src[1]], st.id, origin="truth")
                    ids.append(st.id)
                    continue
            graph.add(st)
            ids.append(st.id)
        ids += _gather(graph, room, t, survey, ids, d.toggle)
        for sid in ids:
            graph.subtask(sid).produces = (group_key(room.index), cell_key(graph.subtask(sid).params["pos"]))
        for e in t.effects:
            if e.kind == "give":
                key_givers[e.item] = ids[-1] if ids else ""
                if ids:
                    giver = graph.subtask(ids[-1])
                    giver.produces = (*giver.produces, item_key(e.item))
        # sub-events happen in order within a room
        for a in ids:
            for b in ids:
                oa = graph.subtask(a).params["order"]
                ob = graph.subtask(b).params["order"]
                if oa < ob:
                    graph.add_edge(a, b, origin="truth")
        for p in prev_room:
            for b in ids:
                graph.add_edge(p, b, origin="truth")
        prev_room = ids
    for k, v in list(key_givers.items()):
        if not v:
            del key_givers[k]
    return graph


def _gather(graph: TaskGraph, room: Any, t: Any, survey: Survey, ids: list[str], toggle_s: float) -> list[str]:
    """A room that sends its players on to different lanes ("all players ... then all players will be
    teleported to different positions") needs all of them in it when its control is used: one stand in the
    room for each player but the one who uses it, held until the room opens, and that one waits for them."""
    team = sum(1 for e in t.effects if e.kind == "teleport_split")
    if team < 2 or not ids:
        return []
    taken = {p for cells in survey.blocks.values() for p in cells}
    cx, cy, cz = room.center
    user = graph.subtask(ids[0])
    at = tuple(user.params["pos"])
    free = sorted(((cx + dx, cy, cz + dz) for dx in range(-3, 4) for dz in range(-3, 4)
                   if (cx + dx, cy, cz + dz) not in taken and (cx + dx, cy + 1, cz + dz) not in taken
                   and (cx + dx, cy, cz + dz) != at),
                  key=lambda p: (abs(p[0] - at[0]) + abs(p[2] - at[2]), p))
    user.params["team"] = team
    out = []
    for k, pos in enumerate(free[: team - 1]):
        st = Subtask(f"r{room.index}_gather_{k}", "stand", f"be in room {room.index + 1} when its {user.target} is "
                     "used", user.target, 1, round(3 + toggle_s, 3),
                     {"room": room.index, "trigger": t.id, "pos": list(pos), "order": user.params.get("order", 0),
                      "hold": True}, {"room_solved": room.index})
        graph.add(st)
        out.append(st.id)
    return out


def decompose(task: Task, rules: RuleSet, survey: Survey) -> TaskGraph:
    """The true dependency graph of ``task``: the env's reference plan."""
    goal = task.goal
    if isinstance(goal, CraftGoal):
        return decompose_farming(task, goal, rules, survey)
    if isinstance(goal, BuildGoal):
        return decompose_construction(task, goal, rules, survey)
    if isinstance(goal, EscapeGoal):
        return decompose_escape(task, goal, rules, survey)
    raise TypeError(f"no decomposition for {type(goal).__name__}")
