"""VillagerBench escape rooms: the 18 atoms chained into runs of 1-4 rooms, as upstream's generator chains them.

The chain is VillagerBench's ``StateTree.generate`` (``env/minecraft_define.py``, see
``envs/villagerbench/data/SOURCE.md`` for the source and its authors), reproduced rule by rule and seeded
with ``random.Random(seed)``: a seeded shuffle of the atoms; generation backwards from the exit, the team
tracked on a coarse grid (x a lane, z a row, three units a room); the candidates those agents at the
front row can play, an atom listed once more for each agent holding its ``out`` items; the pick
``(seed + rooms so far) mod #candidates``; ``min_player`` checked after the pick; a ``split`` room only
where the front agents stand in two or more lanes, a ``merge`` room only where two or more share a
spot, and a ``cross`` room (conditions in one room, effects in another) only where they stand apart.
All agents start together, so the room played last is never a split or a cross room.

Rooms are walled as upstream walls them (a 7x7 floor inside ``stone_brick_wall``, iron bars at the
exit, an open doorway from the room before in the same lane) and stand 9 blocks apart: rows along +z,
lanes along x. A room opens by its own effects (a cross room's open its partner); a merge or split
room teleports its players instead. Every agent starts with the items upstream's loader hands out:
each item any agent of the generator holds, its count plus two, for each such agent.

Where this departs from upstream, on purpose: rows the generator left empty (a room dropped for want
of players after the team moved on) are closed up, and a teleport that lands where no room stands
leads into the room ahead, or the rooms beyond could not be entered; a merge or split teleport takes
the players in its room (upstream: a random player within 2 blocks of the lever), a split giving each
its own lane; ``random`` copies go on free floor cells by a seeded shuffle.

Creatures: an ``init`` entry named ``summon_<creature>`` (upstream's form), or an ``init`` entry whose
``command`` is ``/summon <creature> _pos_`` (or ``~dx ~dy ~dz`` from the entry, or no position: at the
entry), puts that creature in the room at the start. A ``summon_`` entry among the effects changes no
block and no condition can test a creature, so it is left out.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from causalmace.envs.craftworld.setup import BlockSpec, ContainerSpec, WorldSetup, creature_names
from causalmace.envs.craftworld.world import FINAL_ORDER, RoomSpec
from causalmace.envs.villagerbench import scoring
from causalmace.envs.villagerbench.goals import EscapeGoal, Room
from causalmace.errors import UserError
from causalmace.rules import Condition, Effect, Pos, RuleSet, Trigger
from causalmace.tasks import Task

ROOM_STEP = 9  # blocks between room centres, along z (rows) and along x (lanes)
GRID_ROW = 3  # upstream's coarse z steps by 3 per room
HALF = 4  # walls stand this far from a room's centre
EXIT = ((0, 0, 4), (0, 1, 4))
WALL = "stone_brick_wall"
BARS = "iron_bars"
FACING = {"north": "N", "south": "S", "east": "E", "west": "W"}
SPREAD = (0, -1, 1, -2, 2, -3, 3)  # x offsets of agents sharing a start room
RUNS = [(rooms, seed) for rooms in range(1, 5) for seed in range(0, 8 - rooms)]  # 22 runs
MAX_PASSES = 50  # upstream repeats generation until every agent has a room; give up after this many passes
DEFAULTS: dict[str, Any] = {"in": {}, "out": {}, "split": False, "merge": False, "same_room": True, "score": 1,
                            "wait_interval": 4, "type": "and", "min_player": 1, "task_description": ""}


def run_id(rooms: int, seed: int) -> str:
    return f"escape_{rooms}r_{seed}"


def _get(atom: dict[str, Any], key: str) -> Any:
    return atom.get(key, DEFAULTS[key])


def kind_of(atom: dict[str, Any]) -> str:
    """same_room, split, merge or cross, in the order upstream's generator tests the flags."""
    if _get(atom, "same_room"):
        return "same_room"
    if _get(atom, "split"):
        return "split"
    if _get(atom, "merge"):
        return "merge"
    return "cross"


SUMMON = "summon_"
SUMMON_CMD = re.compile(r"^/summon\s+(?:minecraft:)?([a-z_]+)(?:\s+(.*?))?\s*(\{.*\})?\s*$")
RELATIVE = re.compile(r"^~(-?\d*)\s+~(-?\d*)\s+~(-?\d*)$")
SUMMON_FORM = "'/summon NAME', '/summon NAME _pos_' or '/summon NAME ~dx ~dy ~dz'"



def summoned(item: dict[str, Any], rules: RuleSet, source: str = "", key: str = "") -> tuple[str, Pos] | None:
    """The creature an ``init`` entry summons and its offset in the room, or None for a block.

    ``summon_sheep`` at the entry's position, or a ``/summon`` command at ``_pos_`` (the entry's
    position), ``~dx ~dy ~dz`` from it, or, with no position, at it.
    """
    name, p = item["name"], item["position"]
    cmd = item.get("command") or ""
    if name.startswith(SUMMON):
        creature, at = name[len(SUMMON):], (0, 0, 0)
        k = f"{key}.name"
    elif cmd.lstrip().startswith("/summon"):
        k = f"{key}.command"
        m = SUMMON_CMD.match(cmd.strip())
        if m is None:
            raise UserError(f"bad summon command {cmd[:100]!r}", file=source, key=k, expected=SUMMON_FORM)
        creature, where = m.group(1), (m.group(2) or "").strip()
        rel = RELATIVE.match(where)
        if where in ("", "_pos_", "~ ~ ~"):
            at = (0, 0, 0)
        elif rel is not None:
            dx, dy, dz = (int(v) if v not in ("", "-") else 0 for v in rel.groups())
            at = (dx, dy, dz)
        else:
            raise UserError(f"summon position {where[:50]!r} is not in the room", file=source, key=k,
                            expected=SUMMON_FORM + " (a room has no fixed world coordinates)")
    else:
        return None
    if creature not in creature_names(rules):
        raise UserError(f"unknown creature {creature!r}", file=source, key=k,
                        expected="a Minecraft 1.19.2 animal, e.g. sheep, cow, rabbit")
    return creature, (p[0] + at[0], p[1] + at[1], p[2] + at[2])


def _validate(atoms: Any, source: str, rules: RuleSet) -> list[dict[str, Any]]:
    if not isinstance(atoms, list):
        raise UserError("top level must be a list of atoms", file=source, expected="a JSON list")
    for i, a in enumerate(atoms):
        key = f"[{i}]"
        if not isinstance(a, dict):
            raise UserError("atom must be an object", file=source, key=key)
        for f in ("init", "condition", "effect"):
            if not isinstance(a.get(f), list):
                raise UserError("missing or not a list", file=source, key=f"{key}.{f}", expected="a list")
            for j, item in enumerate(a[f]):
                ik = f"{key}.{f}[{j}]"
                if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                    raise UserError("missing name", file=source, key=f"{ik}.name", expected="a string")
                p = item.get("position")
                if not (isinstance(p, list) and len(p) == 3 and all(isinstance(c, int) for c in p)):
                    raise UserError(f"bad position {p!r}", file=source, key=f"{ik}.position",
                                    expected="[x, y, z] integers")
                name = item["name"]
                if f == "init":
                    summoned(item, rules, source, ik)
                if not name.startswith(SUMMON) and name != "air" and name not in rules.blocks:
                    raise UserError(f"unknown block {name!r}", file=source, key=f"{ik}.name",
                                    expected="a Minecraft 1.19.2 block")
        for f in ("in", "out"):
            if not isinstance(a.get(f, {}), dict):
                raise UserError("must be an object of item -> count", file=source, key=f"{key}.{f}")
        if a.get("type", "and") not in ("and", "or"):
            raise UserError(f"bad type {a.get('type')!r}", file=source, key=f"{key}.type",
                            expected="'and' or 'or'")
    return atoms


# ---- the generator ------------------------------------------------------------------------------


@dataclass(eq=False)
class Player:
    """One agent as the generator tracks it: a spot on the coarse grid, items it must carry in, its room."""

    idx: int
    pos: list[int] = field(default_factory=lambda: [0, 0, 0])
    inventory: dict[str, int] = field(default_factory=dict)  # keys stay at zero once used up, as upstream
    room: tuple[int, int] | None = None  # (x, z) of the room it starts in


@dataclass(frozen=True)
class Placement:
    """One room the generator placed: its atom, where its conditions and effects are, how many of each."""

    atom: int
    kind: str
    at: tuple[int, int]  # (x, z) on the coarse grid
    effects_at: tuple[int, int]  # another room for a cross room
    repeat: int  # copies of each ``random`` item (upstream's condition_repeat_num)
    complexity: float
    merge_to: tuple[int, int] | None = None
    split_to: tuple[tuple[int, int], ...] = ()


@dataclass
class Generated:
    rooms: list[Placement]
    players: list[Player]
    complexity: float


def _has(p: Player, items: dict[str, int]) -> bool:
    return all(p.inventory.get(k, 0) >= v for k, v in items.items())


def _spend(p: Player, items: dict[str, int]) -> None:
    for k, v in items.items():
        p.inventory[k] -= v


def _receive(p: Player, items: dict[str, int]) -> None:
    for k, v in items.items():
        p.inventory[k] = p.inventory.get(k, 0) + v


def _by_spot(players: list[Player]) -> list[list[Player]]:
    groups: dict[tuple[int, ...], list[Player]] = {}
    for p in players:
        groups.setdefault(tuple(p.pos), []).append(p)
    return list(groups.values())


def _split_groups(players: list[Player], front: list[Player]) -> list[list[Player]]:
    """Front agents a split room can take: runs not parted by another agent, over two or more lanes."""
    players.sort(key=lambda p: p.pos[0])
    others = [p for p in players if p not in front]
    groups = [[front[0]]]
    for p in front[1:]:
        if any(o.pos[0] < p.pos[0] < o.pos[0] + 1 for o in others):
            groups.append([p])
        else:
            groups[-1].append(p)
    return [g for g in groups if len({p.pos[0] for p in g}) >= 2]


class _Generator:
    """Upstream's ``StateTree``: one pass adds at most one room (two for a cross, one per agent for a merge)."""

    def __init__(self, atoms: list[dict[str, Any]], seed: int, n_agents: int) -> None:
        self.atoms, self.seed, self.rng = atoms, seed, random.Random(seed)
        self.players = [Player(i) for i in range(n_agents)]
        self.rooms: list[Placement] = []
        self.complexity = 0.0

    def _candidates(self, pool: list[int], front: list[Player]) -> tuple[list[int], dict[int, list[list[Player]]]]:
        listed: list[int] = []
        groups_of: dict[int, list[list[Player]]] = {}
        for ix in pool:
            a = self.atoms[ix]
            groups: list[list[Player]] = []
            if _get(a, "split"):
                groups = _split_groups(self.players, front)
                if not groups:
                    continue
            if _get(a, "merge"):
                groups = [g for g in _by_spot(front) if len(g) >= 2]
                if not groups:
                    continue
            out = _get(a, "out")
            if not out:
                listed.append(ix)
                groups_of[ix] = groups
                continue
            for p in self.players:  # one listing per agent able to hand the items on
                if p.inventory and _has(p, out):
                    listed.append(ix)
                    groups_of[ix] = groups
        return listed, groups_of

    def step(self, pool: list[int]) -> None:
        players = self.players
        players.sort(key=lambda p: p.pos[2], reverse=True)
        front = [p for p in players if p.pos[2] == players[0].pos[2]]
        listed, groups_of = self._candidates(pool, front)
        if not listed:
            return
        pick = listed[(self.seed + len(self.rooms)) % len(listed)]
        a = self.atoms[pick]
        kind = kind_of(a)
        second = pick
        if kind == "cross":
            second = self.rng.choice([ix for ix in listed if kind_of(self.atoms[ix]) == "cross"])
        if kind == "same_room":
            group = self.rng.choice(_by_spot(front))
        elif kind in ("split", "merge"):
            group = self.rng.choice(groups_of[pick])
        else:
            self._cross(pick, second, front)
            return
        n = 0
        for p in group:
            if _has(p, _get(a, "out")):
                n += 1
                _spend(p, _get(a, "out"))
                _receive(p, _get(a, "in"))
                p.pos[2] -= GRID_ROW
        score = float(_get(a, "score"))
        if kind == "split":
            split_to = tuple((p.pos[0], p.pos[2] + GRID_ROW) for p in group)
            lane = min(abs(p.pos[0]) for p in group)
            for p in group:
                p.pos[0] = lane
            at = (group[0].pos[0], group[0].pos[2])
            cx = scoring.escape_room_complexity("split", score, len(group))
            self._add(Placement(pick, kind, at, at, len(group), cx, split_to=split_to), group, at)
        elif kind == "merge":
            x0 = group[0].pos[0]
            before = sum(1 for p in players if p.pos[0] < x0)
            merge_to = (group[0].pos[0], group[0].pos[2] + GRID_ROW)
            for i, p in enumerate(group):
                p.pos[0] = before + i - len(players) // 2
                at = (p.pos[0], p.pos[2])
                cx = scoring.escape_room_complexity("merge", score, len(group))
                self._add(Placement(pick, kind, at, at, 1, cx, merge_to=merge_to), [p], at)
        else:
            at = (group[0].pos[0], group[0].pos[2])
            if n == 0 or int(_get(a, "min_player")) > n:  # too few players: nothing placed, the team moved on
                return
            cx = scoring.escape_room_complexity("same_room", score, n, len(a["condition"]),
                                                float(_get(a, "wait_interval")))
            self._add(Placement(pick, kind, at, at, n, cx), group, at)

    def _cross(self, pick: int, second: int, front: list[Player]) -> None:
        """Two rooms side by side, each one's conditions opening the other's way out."""
        spots = _by_spot(front)
        if len(spots) < 2:
            return
        act = self.rng.choice(spots)
        eff = act
        while eff is act:
            eff = self.rng.choice(spots)
        a, b = self.atoms[pick], self.atoms[second]
        for p in act + eff:
            p.pos[2] -= GRID_ROW
        for p in act:
            if _has(p, _get(a, "out")):
                _spend(p, _get(a, "out"))
        for p in eff:
            if _has(p, _get(b, "out")):
                _spend(p, _get(b, "out"))
            _receive(p, _get(a, "in"))
        for p in act:
            _receive(p, _get(b, "in"))
        here, there = (act[0].pos[0], act[0].pos[2]), (eff[0].pos[0], eff[0].pos[2])
        score = float(_get(a, "score"))  # upstream counts the first atom's score for both rooms
        self._add(Placement(pick, "cross", here, there, len(act),
                            scoring.escape_room_complexity("cross", score, len(act))), eff, there)
        self._add(Placement(second, "cross", there, here, len(eff),
                            scoring.escape_room_complexity("cross", score, len(eff))), act, here)

    def _add(self, room: Placement, players: list[Player], home: tuple[int, int]) -> None:
        self.rooms.append(room)
        self.complexity += room.complexity
        for p in players:
            p.room = home


def generate(atoms: list[dict[str, Any]], max_rooms: int, seed: int, n_agents: int) -> Generated:
    """Rooms (generation order, last played first), the agents' start rooms and items, and the complexity.

    Like upstream, generation runs ``max_rooms`` steps over a freshly shuffled atom list, and again (the
    list grown by another copy of the atoms) until every agent has a room to start in.
    """
    gen = _Generator(atoms, seed, n_agents)
    pool: list[int] = []
    for _ in range(MAX_PASSES):
        pool = pool + list(range(len(atoms)))
        gen.rng.shuffle(pool)
        for _ in range(max_rooms):
            gen.step(pool)
        if all(p.room is not None for p in gen.players):
            break
    else:
        raise UserError(f"no escape run with {max_rooms} rooms for {n_agents} agents (seed {seed})",
                        key="agents", expected="a team the atoms can be chained for")
    gen.players.sort(key=lambda p: p.idx)
    return Generated(gen.rooms, gen.players, gen.complexity)


def start_items(players: list[Player]) -> dict[str, int]:
    """What every agent carries in: upstream's loader gives each item any agent holds (count plus two) to all."""
    got: Counter[str] = Counter()
    for p in players:
        for k, v in p.inventory.items():
            got[k] += v + 2
    return dict(got)


# ---- rooms in the world --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """Coarse grid -> world: rows with a room closed up (a dropped room leaves no gap), 9 blocks apart."""

    rows: dict[int, int]  # coarse z -> row index, in play order

    @classmethod
    def of(cls, rooms: list[Placement]) -> _Frame:
        zs = sorted({r.at[1] for r in rooms})
        return cls({z: i for i, z in enumerate(zs)})

    def row(self, z: int) -> int:
        if z in self.rows:
            return self.rows[z]
        above = [r for zz, r in self.rows.items() if zz < z]  # past the last room: the way out
        return (max(above) + 1) if above else 0

    def center(self, at: tuple[int, int]) -> Pos:
        return (at[0] * ROOM_STEP, 0, self.row(at[1]) * ROOM_STEP)


def _shell(center: Pos, room_below: bool) -> dict[Pos, str]:
    """A room's walls: a ring open along -z (shut from behind when nothing leads in) and bars at +z."""
    cx, _, cz = center
    cells: dict[Pos, str] = {}
    for dx in range(-HALF, HALF + 1):
        for dz in range(-HALF, HALF + 1):
            if max(abs(dx), abs(dz)) == HALF:
                for y in range(0, 4):
                    cells[(cx + dx, y, cz + dz)] = WALL
        if not room_below:
            for y in range(0, 4):
                cells[(cx + dx, y, cz - HALF - 1)] = WALL
    for y in range(0, 3):
        for dx in range(1 - HALF, HALF):  # the way in: open along the wall, so that wherever the exits of the
            del cells[(cx + dx, y, cz - HALF)]  # room behind are (doors off the middle too), they lead in
        cells[(cx, y, cz + HALF)] = BARS  # the way out, opened by the room's effects
    return cells


def _selector(cmd: str) -> str:
    """Upstream's target selector as ``@r:2`` (the nearest player within 2) or ``@e:7`` (all within 7)."""
    m = re.search(r"@([rae])\[_position_,\s*distance=\.\.(\d+)", cmd)
    return f"@{'r' if m.group(1) == 'r' else 'e'}:{m.group(2)}" if m else ""


def _command_effect(cmd: str, pos: Pos, merge_to: Pos | None, split_to: tuple[Pos, ...]) -> list[Effect]:
    """An effect upstream runs as a server command. A teleport's ``item`` carries its target selector."""
    if cmd.startswith("/give"):
        m = re.search(r'"text":"([a-z_]+)"', cmd)
        return [Effect("give", pos, item=m.group(1) if m else "key")]
    if "_merge_pos_" in cmd:  # every player in the room: its only player, upstream's @r near the lever
        return [Effect("teleport_merge", pos, target=merge_to)]
    if "_split_pos_" in cmd:
        return [Effect("teleport_split", pos, target=t) for t in split_to] or [Effect("teleport_split", pos)]
    if cmd.startswith("/setblock"):
        return [Effect("set_block", pos, "air")]
    m = re.search(r"tp @s ~ ~(-?\d+) ~(-?\d+)", cmd)
    if m:
        return [Effect("teleport", pos, item=_selector(cmd),
                       target=(pos[0], pos[1] + int(m.group(1)), pos[2] + int(m.group(2))))]
    if "_pos_" in cmd and cmd.startswith("/tp"):
        return [Effect("teleport", pos, item=_selector(cmd), target=pos)]
    return []


@dataclass
class _Built:
    cells: dict[Pos, BlockSpec]
    containers: list[ContainerSpec]
    trigger: Trigger
    room: Room
    creatures: list[tuple[str, Pos]] = field(default_factory=list)


def build_room(atom: dict[str, Any], index: int, place: Placement, frame: _Frame, rng: random.Random,
               rules: RuleSet) -> _Built:
    """One room's blocks (its atom's ``init``), its trigger and its goal entry, at its place in the world."""
    center = frame.center(place.at)
    there = frame.center(place.effects_at)
    shift = (there[0] - center[0], 0, there[2] - center[2])

    def at(p: list[int], by: Pos = (0, 0, 0)) -> Pos:
        return (center[0] + p[0] + by[0], center[1] + p[1] + by[1], center[2] + p[2] + by[2])

    cells: dict[Pos, BlockSpec] = {}
    containers: list[ContainerSpec] = []
    creatures: list[tuple[str, Pos]] = []
    copies: dict[tuple[str, tuple[int, ...]], list[Pos]] = {}
    used = {tuple(i["position"]) for i in atom["init"]}
    free = [(x, 0, z) for x in (-1, 0, 1) for z in (-1, 0, 1) if (x, 0, z) not in used]
    rng.shuffle(free)
    for item in atom["init"]:
        name, p = item["name"], item["position"]
        creature = summoned(item, rules)
        if creature is not None:
            creatures.append((creature[0], at(list(creature[1]))))
        if name.startswith(SUMMON):
            continue
        facing = item.get("axis") or FACING.get(str(item.get("facing", "")), "A")
        rnd = item.get("random", False)
        n = 1
        if rnd is True:
            n = place.repeat
        elif isinstance(rnd, int) and not isinstance(rnd, bool) and rnd != 0:
            n = rnd if rnd > 0 else place.repeat + rnd
        cells_ = [at(p)] + [at(list(free.pop())) for _ in range(n - 1) if free]
        copies[(name, tuple(p))] = cells_
        for c in cells_:
            if rules.interactive.get(name) == "container":
                items: list[tuple[str, int]] = []
                m = re.search(r"with ([a-z_]+)", item.get("command", ""))
                if m:
                    items.append((m.group(1), 1))
                containers.append(ContainerSpec(name, c, tuple(items), item.get("lock_key")))
            else:
                cells[c] = BlockSpec(name, c, facing, bool(item.get("powered", False)), bool(item.get("open", False)))
    subs: list[str] = []
    for c in atom["condition"]:
        s = str(c.get("sub_event", ""))
        if s not in subs and s != "final":
            subs.append(s)
    conds: list[Condition] = []
    for c in atom["condition"]:
        name, p = c["name"], c["position"]
        kind = rules.interactive.get(name)
        state = "powered" if kind in ("lever", "button", "plate") else ("open" if "open" in c else "present")
        sub = str(c.get("sub_event", ""))
        order = FINAL_ORDER if sub == "final" else subs.index(sub)
        for cell in copies.get((name, tuple(p)), [at(p)]):
            conds.append(Condition(name, cell, state, order))  # type: ignore[arg-type]
    effects = _effects(atom, place, frame, copies, at, shift)
    wait = float(_get(atom, "wait_interval"))
    trigger = Trigger(f"room{index}", tuple(conds), tuple(effects), _get(atom, "type"), wait, index)
    room = Room(index, place.atom, center, trigger.id, tuple(at(list(c)) for c in EXIT),
                str(_get(atom, "task_description")), place.kind)  # type: ignore[arg-type]
    return _Built(cells, containers, trigger, room, creatures)


def _effects(atom: dict[str, Any], place: Placement, frame: _Frame, copies: dict[tuple[str, tuple[int, ...]],
             list[Pos]], at: Any, shift: Pos) -> list[Effect]:
    """The atom's effects; a cross room's land in its partner room, as upstream shifts them."""
    init_names = {(i["name"], tuple(i["position"])) for i in atom["init"]}
    merge_to = _landing(frame, place.merge_to) if place.merge_to is not None else None
    split_to = tuple(_landing(frame, s) for s in place.split_to)
    effects: list[Effect] = []
    for e in atom["effect"]:
        name, p = e["name"], e["position"]
        cmd = e.get("command", "")
        if name.startswith(SUMMON) or cmd.lstrip().startswith("/summon"):
            continue  # a creature: no block changes, no condition tests it
        for base in copies.get((name, tuple(p)), [at(p)]):
            cell = (base[0] + shift[0], base[1] + shift[1], base[2] + shift[2])
            if cmd:
                effects += _command_effect(cmd, cell, merge_to, split_to)
            elif name == "air":
                effects.append(Effect("set_block", cell, "air"))
            elif (name, tuple(p)) in init_names:
                effects.append(Effect("open", cell))
            else:
                effects.append(Effect("set_block", cell, name))
    return effects


def _landing(frame: _Frame, at: tuple[int, int]) -> Pos:
    """Where upstream's teleport puts a player: the centre of the room at that spot (or past the last one)."""
    return frame.center(at)


def _exits(room: Room, triggers: list[Trigger]) -> tuple[Pos, ...]:
    """The cells in a room's exit wall that some room's effects open; the bars' cells when none do."""
    cx, _, cz = room.center
    opened = sorted({e.pos for t in triggers for e in t.effects if e.kind in ("set_block", "open")
                     and e.pos[2] == cz + HALF and abs(e.pos[0] - cx) < HALF and e.pos[1] in (0, 1)})
    return tuple(opened) or room.exit_cells


def layout(atoms: list[dict[str, Any]], gen: Generated, seed: int, n_rooms: int, n_agents: int,
           rules: RuleSet) -> tuple[WorldSetup, tuple[Trigger, ...], tuple[Room, ...]]:
    """The world of one run: walls, the atoms' blocks, the triggers, and where each agent starts."""
    frame = _Frame.of(gen.rooms)
    rng = random.Random(f"{seed}/{n_rooms}/{n_agents}")
    order = sorted(range(len(gen.rooms)), key=lambda i: (frame.row(gen.rooms[i].at[1]), gen.rooms[i].at[0]))
    # the way in is open from a room behind, or from a spot a teleport lands on with no room (a room the
    # generator dropped for want of players): its player walks on from there
    spots = {frame.center(r.at) for r in gen.rooms}
    spots |= {frame.center(t) for r in gen.rooms for t in (*r.split_to, *([r.merge_to] if r.merge_to else []))}
    walls: dict[Pos, str] = {}
    for r in gen.rooms:
        c = frame.center(r.at)
        walls.update(_shell(c, (c[0], 0, c[2] - ROOM_STEP) in spots))
    for r in gen.rooms:  # exit bars win over the wall behind the next room
        cx, _, cz = frame.center(r.at)
        for y in range(0, 3):
            walls[(cx, y, cz + HALF)] = BARS
    cells: dict[Pos, BlockSpec] = {p: BlockSpec(n, p) for p, n in walls.items()}
    containers: list[ContainerSpec] = []
    creatures: list[tuple[str, Pos]] = []
    triggers: list[Trigger] = []
    rooms: list[Room] = []
    for index, i in enumerate(order):
        built = build_room(atoms[gen.rooms[i].atom], index, gen.rooms[i], frame, rng, rules)
        for p, b in built.cells.items():
            cells[p] = b
            if rules.interactive.get(b.name) == "door":  # a door is two blocks tall: its top takes the wall's place
                cells.pop((p[0], p[1] + 1, p[2]), None)
        containers += built.containers
        creatures += built.creatures
        triggers.append(built.trigger)
        rooms.append(built.room)
    for c in containers:
        cells.pop(c.pos, None)
    rooms = [Room(r.index, r.atom, r.center, r.trigger, _exits(r, triggers), r.description, r.kind) for r in rooms]
    starts: list[Pos] = []
    sharing: Counter[Pos] = Counter()
    for p in gen.players:
        c = frame.center(p.room or (0, 0))
        starts.append((c[0] + SPREAD[sharing[c] % len(SPREAD)], 0, c[2] - 3))
        sharing[c] += 1
    world = WorldSetup(
        ground_y=0, blocks=tuple(cells.values()),
        containers=tuple(containers), creatures=tuple(creatures), spawn=tuple(starts),
        rooms=tuple(RoomSpec(r.center, r.exit_cells, (r.center[0], 0, r.center[2] - 3)) for r in rooms),
        start_items=tuple(sorted(start_items(gen.players).items())), ground_block="stone",
    )
    return world, tuple(triggers), tuple(rooms)


def load_escape(atoms: Any, rules: RuleSet, source: str, n_agents: int,
                runs: list[tuple[int, int]] | None = None) -> list[Task]:
    atoms = _validate(atoms, source, rules)
    tasks: list[Task] = []
    for n_rooms, seed in runs or RUNS:
        gen = generate(atoms, n_rooms, seed, n_agents)
        world, triggers, rooms = layout(atoms, gen, seed, n_rooms, n_agents, rules)
        desc = " Then: ".join(f"Room {r.index + 1}: {r.description}" for r in rooms)
        min_agents = max((int(_get(atoms[r.atom], "min_player")) for r in rooms), default=1)
        tasks.append(Task(
            id=run_id(n_rooms, seed), suite="escape", description=desc, goal=EscapeGoal(rooms),
            complexity=gen.complexity, t_max=scoring.escape_t_max(gen.complexity),
            world=_EscapeWorld(world, triggers), min_agents=min_agents, source=source,
        ))
    return tasks


class _EscapeWorld:
    """An escape set-up also carries the rooms' triggers, which join the env's rules."""

    def __init__(self, setup: WorldSetup, triggers: tuple[Trigger, ...]) -> None:
        self.setup, self.triggers = setup, triggers

    def build(self, agents: list[str], rules: RuleSet, rng: random.Random) -> Any:
        return self.setup.build(agents, rules, rng)
