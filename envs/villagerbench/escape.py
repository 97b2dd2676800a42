"""VillagerBench escape rooms: the 18 atoms chained into runs of 1-4 rooms, seeded.

Chaining follows upstream's generator: a seeded shuffle of the atoms, generation backwards from the
exit, the candidate ``(seed + rooms so far) mod #candidates``, an atom's ``out`` items required by a
room later in play and its ``in`` items carried by the agents, ``min_player`` checked against the team,
and ``random`` items replicated once per player. Rooms stand in a line along +z, 9 blocks apart, and
each opens into the next; ``split``/``merge`` rooms teleport the team on instead of opening a door,
and upstream's cross-room variant (conditions in one room, effects in another) is played in one room.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from typing import Any

from causalmace.envs.craftworld.setup import BlockSpec, ContainerSpec, WorldSetup
from causalmace.envs.craftworld.world import RoomSpec
from causalmace.envs.villagerbench import scoring
from causalmace.envs.villagerbench.goals import EscapeGoal, Room
from causalmace.errors import UserError
from causalmace.rules import Condition, Effect, Pos, RuleSet, Trigger
from causalmace.tasks import Task

ROOM_STEP = 9
EXIT = ((0, 0, 4), (0, 1, 4))
WALL = "stone_bricks"
FACING = {"north": "N", "south": "S", "east": "E", "west": "W"}
RUNS = [(rooms, seed) for rooms in range(1, 5) for seed in range(0, 8 - rooms)]  # 22 runs


def run_id(rooms: int, seed: int) -> str:
    return f"escape_{rooms}r_{seed}"


def _flag(atom: dict[str, Any], key: str, default: Any) -> Any:
    return atom.get(key, default)


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
                if not name.startswith("summon_") and name != "air" and name not in rules.blocks:
                    raise UserError(f"unknown block {name!r}", file=source, key=f"{ik}.name",
                                    expected="a Minecraft 1.19.2 block")
        for f in ("in", "out"):
            if not isinstance(a.get(f, {}), dict):
                raise UserError("must be an object of item -> count", file=source, key=f"{key}.{f}")
        if a.get("type", "and") not in ("and", "or"):
            raise UserError(f"bad type {a.get('type')!r}", file=source, key=f"{key}.type",
                            expected="'and' or 'or'")
    return atoms


def _eligible(a: dict[str, Any], n_agents: int, held: Counter[str], separated: bool) -> bool:
    if int(_flag(a, "min_player", 1)) > n_agents:
        return False
    if any(held[k] < v for k, v in a.get("out", {}).items()):
        return False
    split, merge = _flag(a, "split", False), _flag(a, "merge", False)
    cross = not _flag(a, "same_room", True) and not split and not merge
    if split:
        return n_agents >= 2 and separated
    if merge or cross:
        return n_agents >= 2
    return True


def chain(atoms: list[dict[str, Any]], n_rooms: int, seed: int, n_agents: int) -> tuple[list[int], Counter[str]]:
    """Atom indices in play order, and the items the team must carry in from the start."""
    rng = random.Random(seed)
    order = list(range(len(atoms)))
    rng.shuffle(order)
    backwards: list[int] = []
    held: Counter[str] = Counter()
    separated = False
    for _ in range(n_rooms):
        cands = [i for i in order if _eligible(atoms[i], n_agents, held, separated)]
        if not cands:
            break
        pick = cands[(seed + len(backwards)) % len(cands)]
        a = atoms[pick]
        held.subtract(a.get("out", {}))
        held.update(a.get("in", {}))
        held = +held
        if _flag(a, "merge", False):
            separated = True
        elif _flag(a, "split", False):
            separated = False
        backwards.append(pick)
    return backwards[::-1], held


def _command_effect(cmd: str, pos: Pos, order_ix: int | None) -> Effect | None:
    if cmd.startswith("/give"):
        m = re.search(r'"text":"([a-z_]+)"', cmd)
        return Effect("give", pos, item=m.group(1) if m else "key", on=order_ix)
    if "_merge_pos_" in cmd:
        return Effect("teleport_merge", pos, on=order_ix)
    if "_split_pos_" in cmd:
        return Effect("teleport_split", pos, on=order_ix)
    if cmd.startswith("/setblock"):
        return Effect("set_block", pos, "air", on=order_ix)
    m = re.search(r"tp @s ~ ~(-?\d+) ~(-?\d+)", cmd)
    if m:
        return Effect("teleport", pos, target=(pos[0], pos[1] + int(m.group(1)), pos[2] + int(m.group(2))),
                      on=order_ix)
    if "_pos_" in cmd and cmd.startswith("/tp"):
        return Effect("teleport", pos, target=pos, on=order_ix)
    return None


def build_room(atom: dict[str, Any], index: int, atom_ix: int, n_agents: int, rng: random.Random,
               rules: RuleSet) -> tuple[list[BlockSpec], list[ContainerSpec], Trigger, Room, float]:
    center = (0, 0, index * ROOM_STEP)

    def at(p: list[int]) -> Pos:
        return (center[0] + p[0], center[1] + p[1], center[2] + p[2])

    blocks: list[BlockSpec] = [BlockSpec(WALL, at(list(c))) for c in EXIT]
    containers: list[ContainerSpec] = []
    copies: dict[tuple[str, tuple[int, ...]], list[Pos]] = {}
    used = {tuple(i["position"]) for i in atom["init"]}
    free = [(x, 0, z) for x in (-1, 0, 1) for z in (-1, 0, 1) if (x, 0, z) not in used]
    rng.shuffle(free)
    for item in atom["init"]:
        name, p = item["name"], item["position"]
        if name.startswith("summon_"):
            continue
        facing = item.get("axis") or FACING.get(str(item.get("facing", "")), "A")
        rnd = item.get("random", False)
        n = n_agents if rnd is True else (int(rnd) if isinstance(rnd, int) and not isinstance(rnd, bool) else 1)
        cells = [at(p)] + ([at(list(free.pop())) for _ in range(n - 1)] if n > 1 else [])
        copies[(name, tuple(p))] = cells
        for c in cells:
            if rules.interactive.get(name) == "container":
                items: list[tuple[str, int]] = []
                m = re.search(r"with ([a-z_]+)", item.get("command", ""))
                if m:
                    items.append((m.group(1), 1))
                containers.append(ContainerSpec(name, c, tuple(items), item.get("lock_key")))
            else:
                blocks = [b for b in blocks if b.pos != c]
                blocks.append(BlockSpec(name, c, facing, bool(item.get("powered", False)),
                                        bool(item.get("open", False))))
    subs: list[str] = []
    for c in atom["condition"]:
        s = str(c.get("sub_event", ""))
        if s not in subs:
            subs.append(s)
    if "final" in subs:
        subs.remove("final")
        subs.append("final")
    conds: list[Condition] = []
    effects: list[Effect] = []
    for c in atom["condition"]:
        name, p = c["name"], c["position"]
        kind = rules.interactive.get(name)
        state = "powered" if kind in ("lever", "button", "plate") else ("open" if "open" in c else "present")
        order = subs.index(str(c.get("sub_event", "")))
        for cell in copies.get((name, tuple(p)), [at(p)]):
            conds.append(Condition(name, cell, state, order))  # type: ignore[arg-type]
    init_names = {(i["name"], tuple(i["position"])) for i in atom["init"]}
    for e in atom["effect"]:
        name, p = e["name"], e["position"]
        cmd = e.get("command", "")
        for cell in copies.get((name, tuple(p)), [at(p)]):
            if cmd:
                eff = _command_effect(cmd, cell, None)
                if eff is not None:
                    effects.append(eff)
            elif name == "air":
                effects.append(Effect("set_block", cell, "air"))
            elif (name, tuple(p)) in init_names:
                effects.append(Effect("open", cell))
            else:
                effects.append(Effect("set_block", cell, name))
    split, merge = atom.get("split", False), atom.get("merge", False)
    kind = "split" if split else "merge" if merge else (
        "same_room" if atom.get("same_room", True) else "cross")
    wait = float(atom.get("wait_interval", 4))
    trigger = Trigger(f"room{index}", tuple(conds), tuple(effects), atom.get("type", "and"), wait, index)
    score = float(atom.get("score", 1))
    if split:
        complexity = score
    elif merge:
        complexity = score * n_agents
    else:
        complexity = score * n_agents * len(atom["condition"]) / wait
    room = Room(index, atom_ix, center, trigger.id, tuple(at(list(c)) for c in EXIT),
                atom.get("task_description", ""), kind)  # type: ignore[arg-type]
    return blocks, containers, trigger, room, complexity


def load_escape(atoms: Any, rules: RuleSet, source: str, n_agents: int,
                runs: list[tuple[int, int]] | None = None) -> list[Task]:
    atoms = _validate(atoms, source, rules)
    tasks: list[Task] = []
    for n_rooms, seed in runs or RUNS:
        picked, carry = chain(atoms, n_rooms, seed, n_agents)
        rng = random.Random(f"{seed}/{n_rooms}/{n_agents}")
        blocks: list[BlockSpec] = []
        containers: list[ContainerSpec] = []
        triggers: list[Trigger] = []
        rooms: list[Room] = []
        specs: list[RoomSpec] = []
        complexity = 0.0
        for r, ix in enumerate(picked):
            b, c, t, room, cx = build_room(atoms[ix], r, ix, n_agents, rng, rules)
            blocks += b
            containers += c
            triggers.append(t)
            rooms.append(room)
            specs.append(RoomSpec(room.center, room.exit_cells, (room.center[0], 0, room.center[2] - 3)))
            complexity += cx
        world = WorldSetup(
            ground_y=0, blocks=tuple(blocks), containers=tuple(containers),
            spawn=tuple((x, 0, -3) for x in (0, -1, 1, -2, 2, -3, 3, 0)), rooms=tuple(specs),
            start_items=tuple(sorted(carry.items())), ground_block="stone",
        )
        desc = " Then: ".join(f"Room {r.index + 1}: {r.description}" for r in rooms)
        min_agents = max((int(atoms[r.atom].get("min_player", 1)) for r in rooms), default=1)
        tasks.append(Task(
            id=run_id(n_rooms, seed), suite="escape", description=desc, goal=EscapeGoal(tuple(rooms)),
            complexity=complexity, t_max=scoring.escape_t_max(complexity),
            world=_EscapeWorld(world, tuple(triggers)), min_agents=min_agents, source=source,
        ))
    return tasks


class _EscapeWorld:
    """An escape set-up also carries the rooms' triggers, which join the env's rules."""

    def __init__(self, setup: WorldSetup, triggers: tuple[Trigger, ...]) -> None:
        self.setup, self.triggers = setup, triggers

    def build(self, agents: list[str], rules: RuleSet, rng: random.Random) -> Any:
        return self.setup.build(agents, rules, rng)
