"""More fast paths against the plain versions they stand in for.

Floods grown from a failed search's cells against a fresh flood of the larger box; the builder's
outside-first candidate order against the sort it replaces; a room's controls kept by the blocks'
stamp against a scan of the room; the sub-events shown against reading each condition; and the stamp
itself, which (unlike the version, a sum of hashes) two different states of the blocks never share.
"""

from __future__ import annotations

import random
from typing import Any

from pen import walled_pen

from causalmace import registry
from causalmace.agents import scripted
from causalmace.envs.blocks import actions as A
from causalmace.envs.blocks import sight
from causalmace.envs.craftworld import movement
from causalmace.envs.craftworld.world import ROOM_HALF, Block
from causalmace.rules import Pos

ESCAPE = "craftworld/VillagerBench-Escape-v0"
CONSTRUCTION = "craftworld/VillagerBench-Construction-v0"


# ---- floods ------------------------------------------------------------------------------------------
def plain_flood(grid: movement.Grid, start: Pos, box: tuple[Pos, Pos]) -> set[Pos]:
    """Every cell reachable from ``start`` by moves that stay inside ``box``."""
    (x0, y0, z0), (x1, y1, z1) = box
    seen, todo = {start}, [start]
    while todo:
        for n, _ in grid.moves(todo.pop()):
            if n not in seen and x0 <= n[0] <= x1 and y0 <= n[1] <= y1 and z0 <= n[2] <= z1:
                seen.add(n)
                todo.append(n)
    return seen


def _pen() -> Any:
    """Task 0's site with a walled pen, a roof over part of it and a few pillars: some cells are shut in."""
    env = walled_pen()
    st = env.state
    y = st.ground_y
    rng = random.Random(5)
    for _ in range(40):
        st.set_block((rng.randint(5, 35), y + rng.randint(0, 2), rng.randint(-12, 12)), Block("stone"))
    return env


def test_a_failed_search_hands_over_what_a_flood_of_its_box_reaches() -> None:
    env = _pen()
    st, y = env.state, env.state.ground_y
    for start, goal in [((20, y, 0), (5, y, 0)), ((20, y, 0), (30, y, 9)), ((10, y, 0), (20, y, 1))]:
        grid = movement.Grid(st, env.rules)
        box = movement._box(start, goal)
        reached: list = []
        route = movement.search(grid, start, goal.__eq__, lambda c: 0.0, box, reached)
        if route is not None:
            assert not reached
            continue
        cells, edge = reached[0]
        assert cells == plain_flood(grid, start, box)
        (x0, y0, z0), (x1, y1, z1) = box
        assert edge == {n for c in cells for n, _ in grid.moves(c)
                        if not (x0 <= n[0] <= x1 and y0 <= n[1] <= y1 and z0 <= n[2] <= z1)}


def test_a_grown_flood_is_a_fresh_flood_of_the_larger_box() -> None:
    env = _pen()
    st, y = env.state, env.state.ground_y
    rng = random.Random(11)
    start = (20, y, 0)  # inside the pen: shut in
    grid = movement.Grid(st, env.rules)
    box = movement._box(start, (21, y, 1))
    reached: list = []
    assert movement.search(grid, start, (99, y, 99).__eq__, lambda c: 0.0, box, reached) is None
    known = movement._Reach(box, *reached[0])
    for _ in range(8):
        other = movement._box(start, (20 + rng.randint(-25, 25), y + rng.randint(-2, 5), rng.randint(-25, 25)))
        bigger = movement._union(known.box, other)
        assert known.grow(movement.Grid(st, env.rules), bigger)
        assert known.cells == plain_flood(movement.Grid(st, env.rules), start, bigger)
    outside = (10, y, 0)  # out in the open: the flood reaches far, every question still as a fresh search
    floods = movement.Floods(st.version, 64)
    for _ in range(60):
        goal = (10 + rng.randint(-14, 14), y + rng.randint(-1, 3), rng.randint(-14, 14))
        fresh = movement.find_route(movement.Grid(st, env.rules), outside, goal)
        assert movement.find_route(movement.Grid(st, env.rules), outside, goal, floods) == fresh


# ---- the builder's candidate cells ---------------------------------------------------------------------
def test_outside_first_is_the_stable_sort_by_inside() -> None:
    rng = random.Random(2)
    for _ in range(3000):
        pos = (rng.randint(-20, 20), rng.randint(-61, -50), rng.randint(-20, 20))
        x0, z0 = rng.randint(-25, 25), rng.randint(-25, 25)
        box: Any = [x0, z0, x0 + rng.randint(0, 9), z0 + rng.randint(0, 9)]
        if rng.random() < 0.2:
            box = tuple(box)
        if rng.random() < 0.1:
            box = [v + 0.5 for v in box]  # not whole numbers: sorted as before
        want = sorted(scripted.OFFSETS, key=lambda o: scripted._inside(box, pos, o))
        assert list(scripted._outside_first(box, pos)) == want


def test_offset_lengths_are_the_judgers_distances() -> None:
    from causalmace.envs.blocks.judger import distance

    for pos in [(0, 0, 0), (13, -60, -7), (-1000, 64, 999)]:
        for o in scripted.OFFSETS:
            c = (pos[0] + o[0], pos[1] + o[1], pos[2] + o[2])
            assert scripted._REACH_OF[o] == distance(c, pos)


# ---- escape rooms: controls and steps shown ---------------------------------------------------------------
def plain_steps(trigger: Any, registered: dict, fired: bool) -> int:
    orders = sorted({c.order for c in trigger.conditions})
    if fired:
        return len(orders)
    n = 0
    for o in orders:
        if not all(registered.get((c.block, c.pos)) for c in trigger.conditions if c.order == o):
            break
        n += 1
    return n


def test_controls_kept_by_stamp_are_the_room_scanned_afresh() -> None:
    """Levers and buttons placed, dug and toggled in a 4-room run and its forks; each agent looks."""
    env = registry.make(ESCAPE, task="escape_4r_1", agents=3)
    env.reset(0)
    rng = random.Random(7)
    worlds = [env, env.fork()]
    controls = [(c.block, c.pos) for t in env.rules.triggers for c in t.conditions
                if env.rules.interactive.get(c.block) in ("lever", "button", "plate")]
    for step in range(250):
        w = worlds[rng.randrange(len(worlds))]
        block, pos = controls[rng.randrange(len(controls))]
        spot = (pos[0] + rng.randint(-2, 2), pos[1], pos[2] + rng.randint(-2, 2))
        roll = rng.random()
        if roll < 0.3:
            w.state.set_block(spot, Block(rng.choice(["lever", "stone_button", block])))
        elif roll < 0.45:
            w.state.set_block(spot, None)
        elif roll < 0.7:
            agent = w.agents[rng.randrange(len(w.agents))]
            w.state.agents[agent].pos = (float(pos[0]), float(pos[1]), float(pos[2]))
        elif roll < 0.9:
            agent = w.agents[0]
            w.apply(agent, A.ToggleAction(item_name=block, x=pos[0], y=pos[1], z=pos[2]))
        else:
            worlds.append(w.fork())
        for a in w.agents:
            got = w._controls(w.state.agents[a])
            inside = w.state.room_at(w.state.agents[a].pos)
            if inside is None:
                assert got == []
                continue
            cx, cy, cz = w.state.rooms[inside].center
            cells = sorted(((x, y, z), b.name) for x in range(cx - ROOM_HALF, cx + ROOM_HALF + 1)
                           for z in range(cz - ROOM_HALF, cz + ROOM_HALF + 1) for y in range(cy - 1, cy + 9)
                           for b in (w.state.blocks.get((x, y, z)),) if b is not None)
            want = [(pos_, name) for pos_, name in cells if w.rules.interactive.get(name) in sight.CONTROLS]
            assert [(tuple(c["pos"]), c["block"]) for c in got] == want, step
        for t in w.rules.triggers:
            ts = w.state.triggers.get(t.id)
            reg = ts.registered if ts else {}
            for fired in (False, True):
                assert sight.steps_shown(t, reg, fired) == plain_steps(t, reg, fired)


def test_a_stamp_is_never_shared_by_two_states_of_the_blocks() -> None:
    env = registry.make(CONSTRUCTION, task="task_0", agents=1)
    env.reset(0)
    st = env.state
    y = st.ground_y
    copy = st.copy()
    assert copy.stamp == st.stamp  # the same blocks
    st.set_block((3, y, 3), Block("gravel"))
    st.set_block((3, y, 3), None)
    assert st.stamp != copy.stamp  # back to the same blocks, but no state may be taken for another by it
    seen = {st.stamp, copy.stamp}
    for i in range(50):
        copy.set_block((i, y, 0), Block("gravel"))
        assert copy.stamp not in seen
        seen.add(copy.stamp)
