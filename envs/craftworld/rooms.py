"""Escape-room triggers in CraftWorld: conditions watched after every action, effects applied when they hold.

A room opens only by its effects, as in VillagerBench: blocks set to air, doors opened, keys given,
players teleported. Its walls keep agents in, so a walk out of a closed room finds no route; the
refusal then names the room whose way out is shut.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from causalmace.envs.craftworld.lanes import closed_between, passable_exit
from causalmace.envs.craftworld.movement import Grid
from causalmace.envs.craftworld.world import FINAL_ORDER, Block, TriggerState, Vec
from causalmace.judger import Refusal, RefusalKind
from causalmace.rules import Pos, Trigger

if TYPE_CHECKING:
    from causalmace.envs.craftworld.env import CraftWorldEnv

BUTTON_PULSE = 1.0
_MISSING = object()
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
    return _partial(_watch(t).counted, ts.best_by_order)


def _partial(counted: tuple[tuple[int, int], ...], best: dict[int, int]) -> float:
    total = sum(n for _, n in counted)
    if total == 0:
        return 0.0
    return sum(min(best.get(o, 0), n) for o, n in counted) / total


@dataclass(frozen=True, slots=True)
class _Watch:
    """What a trigger's update reads, worked out once per trigger rather than on every action."""

    trigger: Trigger
    conds: tuple[tuple[tuple[str, Pos], str, Pos, str, int], ...]  # (key, block, pos, state, order)
    counted: tuple[tuple[int, int], ...]  # (order, distinct cells) of the sub-events that earn credit
    final: tuple[tuple[str, Pos], ...]  # the keys of the last sub-event
    keys: tuple[tuple[str, Pos], ...]  # every condition's key, in the trigger's order
    by_order: tuple[tuple[int, tuple[str, Pos]], ...]  # (order, key), lowest order first
    total: int  # sum of the counted cells


_WATCHES: dict[int, _Watch] = {}


def _watch(t: Trigger) -> _Watch:
    w = _WATCHES.get(id(t))
    if w is not None and w.trigger is t:
        return w
    cells: dict[int, set[Pos]] = {}
    for c in t.conditions:
        if c.order < FINAL_ORDER:
            cells.setdefault(c.order, set()).add(c.pos)
    top = max((c.order for c in t.conditions), default=0)
    counted = tuple((o, len(v)) for o, v in cells.items())
    w = _Watch(t, tuple(((c.block, c.pos), c.block, c.pos, c.state, c.order) for c in t.conditions), counted,
               tuple((c.block, c.pos) for c in t.conditions if c.order == top),
               tuple((c.block, c.pos) for c in t.conditions),
               tuple(sorted(((c.order, (c.block, c.pos)) for c in t.conditions), key=lambda ok: ok[0])),
               sum(n for _, n in counted))
    if len(_WATCHES) > 4096:
        _WATCHES.clear()
    _WATCHES[id(t)] = w
    return w


def final_keys(t: Trigger) -> tuple[tuple[str, Pos], ...]:
    """The conditions of a trigger's last sub-event: they must all hold at once when it fires."""
    return _watch(t).final


def update(env: CraftWorldEnv, now: float) -> None:
    """Watch every unsolved room's conditions at ``now`` and fire the rooms whose conditions hold.

    Each condition reads as :func:`condition_now` does; the players' cells are worked out once per
    call, and each trigger's conditions are laid out once (:func:`_watch`), as this runs after every action.
    """
    st = env.state
    blocks, ground_y = st.blocks, st.ground_y
    interactive = env.rules.interactive
    feet: set[Pos] | None = None
    for t in env.rules.triggers:
        ts = st.triggers.get(t.id)
        if ts is None:
            ts = ensure(env, t)
        if ts.fired:
            continue
        if not t.conditions:
            fire(env, t, ts, now)
            feet = None
            continue
        w = _watch(t)
        registered, last_true = ts.registered, ts.last_true
        lowest = None  # the lowest sub-event with a condition not yet registered
        for o, k in w.by_order:
            if not registered.get(k):
                lowest = o
                break
        by_order: dict[int, set[Pos]] | None = None
        for k, block, pos, state, order in w.conds:
            b = blocks.get(pos, _MISSING)
            if b is _MISSING:
                if block != (st.ground_block if pos[1] < ground_y else None):
                    continue
                real = None  # the ground, never powered, pressed nor open
            elif b is None:
                if block is not None:
                    continue
                real = None
            else:
                if b.name != block:
                    continue
                real = b
            if state != "present":
                kind = interactive.get(block)
                if kind == "plate":
                    if feet is None:
                        feet = {cell(a.pos) for a in st.agents.values()}
                    if pos not in feet:
                        continue
                elif kind == "button":
                    if not now - (-1e9 if real is None else real.pressed_at) <= BUTTON_PULSE:
                        continue
                elif state == "open":
                    if real is None or not real.open:
                        continue
                elif real is None or not real.powered:
                    continue
            if by_order is None:
                by_order = {order: {pos}}
            else:
                by_order.setdefault(order, set()).add(pos)
            last_true[k] = now
            if lowest is not None and order <= lowest:
                registered[k] = True
        best = ts.best_by_order
        if by_order is not None:
            for o, cells in by_order.items():
                if len(cells) > best.get(o, 0):
                    best[o] = len(cells)
        if w.total:
            part = sum(min(best.get(o, 0), n) for o, n in w.counted) / w.total
            ts.best_fraction = max(ts.best_fraction, part)
        else:
            ts.best_fraction = max(ts.best_fraction, 0.0)
        if t.mode == "or":
            ok = any(map(registered.get, w.keys))
        else:
            ok = all(map(registered.get, w.keys)) and all(
                now - last_true.get(k, -1e9) <= t.wait_interval for k in w.final)
        if ok:
            fire(env, t, ts, now)
            feet = None  # its effects may have moved players


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
    return passable_exit(env.state.rooms[room].exit_cells, Grid(env.state, env.rules).open_cell)


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
