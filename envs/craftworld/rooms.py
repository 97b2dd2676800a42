"""Escape-room triggers in CraftWorld: conditions watched after every action, effects applied when they hold.

A room opens only by its effects, as in VillagerBench: blocks set to air, doors opened, keys given,
players teleported. Its walls keep agents in, so a walk out of a closed room finds no route; the
refusal then names the room whose way out is shut.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from causalmace.envs.craftworld.lanes import closed_between
from causalmace.envs.craftworld.movement import Grid
from causalmace.envs.craftworld.world import FINAL_ORDER, Block, TriggerState, Vec
from causalmace.judger import Refusal, RefusalKind
from causalmace.rules import Pos, Trigger

if TYPE_CHECKING:
    from causalmace.envs.craftworld.env import CraftWorldEnv

BUTTON_PULSE = 1.0
LAND_RADIUS = 3  # how far from its target a teleported agent may land when the target cell is taken


def cell(p: Vec) -> Pos:
    return (math.floor(p[0] + 0.5), math.floor(p[1] + 0.5), math.floor(p[2] + 0.5))


def ensure(env: CraftWorldEnv, t: Trigger) -> TriggerState:
    ts = env.state.triggers.get(t.id)
    if ts is None:
        ts = env.state.triggers[t.id] = TriggerState({}, {})
    return ts


def condition_now(env: CraftWorldEnv, cond: Any, now: float) -> bool:
    b = env.state.block(cond.pos)
    if cond.state == "present":
        return b is not None and b.name == cond.block
    if b is None or b.name != cond.block:
        return False
    kind = env.rules.interactive.get(b.name)
    if kind == "plate":
        return any(cell(a.pos) == cond.pos for a in env.state.agents.values())
    if kind == "button":
        return now - b.pressed_at <= BUTTON_PULSE
    if cond.state == "open":
        return b.open
    return b.powered


def partial(t: Trigger, ts: TriggerState) -> float:
    """Upstream's ``calculate_score`` for an unsolved room: per sub-event the most conditions ever met at
    once, summed over the sub-events but the final one, over their conditions."""
    counts: dict[int, set[Pos]] = {}
    for c in t.conditions:
        if c.order < FINAL_ORDER:
            counts.setdefault(c.order, set()).add(c.pos)
    total = sum(len(v) for v in counts.values())
    if total == 0:
        return 0.0
    return sum(min(ts.best_by_order.get(o, 0), len(v)) for o, v in counts.items()) / total


def update(env: CraftWorldEnv, now: float) -> None:
    """Watch every unsolved room's conditions at ``now`` and fire the rooms whose conditions hold."""
    for t in env.rules.triggers:
        ts = ensure(env, t)
        if ts.fired:
            continue
        if not t.conditions:
            fire(env, t, ts, now)
            continue
        keys = [(c.block, c.pos) for c in t.conditions]
        lowest = min((c.order for c, k in zip(t.conditions, keys, strict=True) if not ts.registered.get(k)),
                     default=None)
        live = 0
        by_order: dict[int, set[Pos]] = {}
        for c, k in zip(t.conditions, keys, strict=True):
            if condition_now(env, c, now):
                live += 1
                by_order.setdefault(c.order, set()).add(c.pos)
                ts.last_true[k] = now
                if lowest is not None and c.order <= lowest:
                    ts.registered[k] = True
        for o, cells in by_order.items():
            if len(cells) > ts.best_by_order.get(o, 0):
                ts.best_by_order[o] = len(cells)
        ts.best_fraction = max(ts.best_fraction, partial(t, ts))
        if t.mode == "or":
            ok = any(ts.registered.get(k) for k in keys)
        else:
            top = max(c.order for c in t.conditions)
            final = [k for c, k in zip(t.conditions, keys, strict=True) if c.order == top]
            ok = all(ts.registered.get(k) for k in keys) and all(
                now - ts.last_true.get(k, -1e9) <= t.wait_interval for k in final)
        if ok:
            fire(env, t, ts, now)


def land(env: CraftWorldEnv, target: Pos) -> Pos:
    """Where a player teleported to ``target`` stands: there, or the nearest free cell, having fallen."""
    grid = Grid(env.state, env.rules)
    if grid.standable(target):
        return target
    near = sorted(((dx, dy, dz) for dx in range(-LAND_RADIUS, LAND_RADIUS + 1) for dz in range(-LAND_RADIUS,
                   LAND_RADIUS + 1) for dy in (0, 1, -1, 2)), key=lambda d: (abs(d[0]) + abs(d[2]) + abs(d[1]), d))
    for d in near:
        c = (target[0] + d[0], target[1] + d[1], target[2] + d[2])
        if grid.body(c):
            got = grid.settle(c)
            if grid.standable(got):
                return got
    return grid.settle(target)


def _selected(env: CraftWorldEnv, t: Trigger, selector: str, at: Pos) -> list[str]:
    """The players a teleport takes: ``@r:d`` the nearest within d blocks of ``at``, ``@e:d`` all within d,
    and without a selector everyone in the trigger's room."""
    agents = list(env.state.agents.values())
    if selector.startswith("@") and ":" in selector:
        mode, _, radius = selector.partition(":")
        r = float(radius)
        near = sorted((math.dist(a.pos, at), a.name) for a in agents if math.dist(a.pos, at) <= r)
        names = [n for _, n in near]
        return names[:1] if mode == "@r" else names
    return sorted(a.name for a in agents if env.state.room_at(a.pos) == t.room)


def fire(env: CraftWorldEnv, t: Trigger, ts: TriggerState, now: float) -> None:
    """Apply a room's effects, as upstream's event does once all its conditions hold."""
    st = env.state
    ts.fired, ts.fired_at, ts.best_fraction = True, now, 1.0
    splits: list[Pos] = []
    moves: list[tuple[list[str], Pos]] = []
    for e in t.effects:
        if e.kind == "set_block":
            if e.block == "air":
                st.set_block(e.pos, None)
                st.containers.pop(e.pos, None)
            else:
                st.set_block(e.pos, Block(e.block))
        elif e.kind == "open":
            b = st.blocks.get(e.pos)
            if b is not None:
                st.set_open(e.pos, b, not b.open)
        elif e.kind == "give":  # the key is the team's: every player gets one
            for a in st.agents.values():
                env.give(a.name, e.item, 1)
        elif e.kind == "teleport_split" and e.target is not None:
            splits.append(e.target)
        elif e.kind in ("teleport_merge", "teleport_split", "teleport"):
            moves.append((_selected(env, t, e.item, e.pos), e.target if e.target is not None else _onward(env, t)))
    if splits:  # one player to each of the team's rooms, in name order
        inside = _selected(env, t, "", t.conditions[0].pos if t.conditions else (0, 0, 0))
        for k, name in enumerate(inside):
            moves.append(([name], splits[k % len(splits)]))
    for names, target in moves:
        spot = land(env, target)
        for name in names:
            st.agents[name].pos = (float(spot[0]), float(spot[1]), float(spot[2]))


def _onward(env: CraftWorldEnv, t: Trigger) -> Pos:
    """Where a teleport without a target sends the room's players: the next room's start, or past the exit."""
    rooms = env.state.rooms
    if t.room + 1 < len(rooms):
        return rooms[t.room + 1].start
    c = rooms[t.room].center if t.room < len(rooms) else (0, 0, 0)
    return (c[0], c[1], c[2] + 6)


def exit_open(env: CraftWorldEnv, room: int) -> bool:
    """Some cell of the room's way out lets a player through (feet and head)."""
    grid = Grid(env.state, env.rules)
    for x, y, z in env.state.rooms[room].exit_cells:
        if grid.open_cell((x, y, z)) and grid.open_cell((x, y + 1, z)) or (
                grid.open_cell((x, y - 1, z)) and grid.open_cell((x, y, z))):
            return True
    return False


def way_closed(env: CraftWorldEnv, agent: str, target: Pos) -> Refusal | None:
    """The closed room between ``agent`` and ``target``, if that is what stops the walk."""
    st = env.state
    r = closed_between(st, st.agents[agent].pos, target, lambda i: exit_open(env, i))
    if r is None:
        return None
    cell_ = st.rooms[r].exit_cells[0]
    b = st.block(cell_)
    name = b.name if b else "wall"
    return Refusal(RefusalKind.WAY_CLOSED, f"the way out of room {r} is closed ({name} at {cell_})",
                   b.name if b else None, cell_, str(r))


__all__ = ["BUTTON_PULSE", "cell", "condition_now", "ensure", "exit_open", "fire", "land", "partial", "update",
           "way_closed"]
