"""Where an idle agent can wait for work that is not ready yet: nearer to where it will start.

A scheduler that knows what comes next may send an agent with nothing to do toward it (the team
follows the work from room to room instead of waiting where its last subtask left it). The place is
where the subtask starts: the depot for work that takes its inputs from there, else its site nearest
the agent (:func:`~causalmace.envs.craftworld.travel.sites`). The agent walks to the reachable cell
within reach of it nearest where it stands, or, while the place cannot be reached (a room still shut),
to the reachable cell nearest the place; never onto a plate nor where work still to do places or
digs blocks, and only as far as it can go (deciding
included) by the time the scheduler says, so that the walk never makes it late. An agent on a plate
that a shut room still needs stays (one not yet counted, or of the sub-event that must hold when the
room opens): stepping off would undo its part. A place in a room of another
lane is out of reach whatever opens (only a room's effect moves players between lanes).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from typing import Any

from causalmace.envs.blocks import actions as A
from causalmace.envs.blocks.judger import REACH
from causalmace.envs.craftworld import rooms
from causalmace.envs.craftworld.movement import Grid
from causalmace.envs.craftworld.travel import sites
from causalmace.graph import Subtask
from causalmace.rules import Pos

MARGIN = 6  # the walk is looked for in the box around the agent and the place, this much wider
MAX_CELLS = 20_000  # a larger area is not searched: the agent waits where it is
GAIN = 2.0  # a walk that brings the agent less than this many blocks nearer is not worth a decision


def _cell(pos: Any) -> Pos:
    return (math.floor(pos[0]), math.floor(pos[1]), math.floor(pos[2]))


def walks(grid: Grid, start: Pos, lo: Pos, hi: Pos) -> dict[Pos, float] | None:
    """Each standing cell reachable from ``start`` inside the box ``lo``..``hi``, with the cost of the
    cheapest walk there (the pathfinder's units), or None if the area is too large to search."""
    cost = {start: 0.0}
    todo = [(0.0, start)]
    while todo:
        c, a = heapq.heappop(todo)
        if c > cost[a]:
            continue
        for n, step in grid.moves(a):
            if not (lo[0] <= n[0] <= hi[0] and lo[1] <= n[1] <= hi[1] and lo[2] <= n[2] <= hi[2]):
                continue
            nc = c + step
            if nc < cost.get(n, math.inf):
                if n not in cost and len(cost) >= MAX_CELLS:
                    return None
                cost[n] = nc
                heapq.heappush(todo, (nc, n))
    return cost


def plates(env: Any) -> set[Pos]:
    return {tuple(c.pos) for t in env.rules.triggers for c in t.conditions  # type: ignore[misc]
            if env.rules.interactive.get(c.block) == "plate"}


def holding(env: Any, agent: str) -> bool:
    """Whether ``agent`` stands on a plate that a room not yet open still needs: one not yet counted, or
    one of the last sub-event, which must hold when the room opens. A plate of an earlier sub-event
    counts once stood on (``rooms.update``), so its player may leave it."""
    here = rooms.cell(env.state.agents[agent].pos)
    for t in env.rules.triggers:
        ts = env.state.triggers.get(t.id)
        if ts is not None and ts.fired:
            continue
        final = set(rooms.final_keys(t))
        for c in t.conditions:
            if tuple(c.pos) != here or env.rules.interactive.get(c.block) != "plate":
                continue
            key = (c.block, c.pos)
            if key in final or ts is None or not ts.registered.get(key):
                return True
    return False


def other_lane(state: Any, here: Any, place: Any) -> bool:
    """Whether ``place`` lies in an escape room of another lane than the room ``here`` is in."""
    if not state.rooms:
        return False
    a, b = state.room_at(here), state.room_at(place)
    return a is not None and b is not None and state.rooms[a].center[0] != state.rooms[b].center[0]


def start_places(st: Subtask) -> list[Any]:
    """Where ``st`` starts: the depot for work that takes its inputs from there, else its sites."""
    depot = st.params.get("depot")
    if depot is not None and (st.consumes or st.params.get("station") is not None):
        return [depot]
    return sites(st)[0]


def kept_clear(pending: Iterable[Subtask]) -> set[Pos]:
    """Cells an agent must not wait in: where work still to do places or digs blocks, and just above and
    below them (a body takes two cells and stands on a third)."""
    out: set[Pos] = set()
    for st in pending:
        if st.kind in ("build", "scaffold", "clear", "place"):
            for p in sites(st)[0]:
                x, y, z = (int(v) for v in p[:3])
                out.update({(x, y - 1, z), (x, y, z), (x, y + 1, z)})
    return out


def toward(env: Any, agent: str, st: Subtask, by: float | None = None,
           pending: Iterable[Subtask] = ()) -> A.NavigateTo | None:
    """A walk that brings ``agent`` nearer to where ``st`` starts and ends (deciding included) by the
    clock time ``by``, out of the way of the ``pending`` work, or None if no such walk is worth it."""
    places = start_places(st)
    if not places or holding(env, agent):
        return None
    start = _cell(env.state.agents[agent].pos)
    place = min((tuple(float(x) for x in p[:3]) for p in places), key=lambda p: (math.dist(start, p), p))
    now = math.dist(start, place)
    if now <= REACH + 0.5 or other_lane(env.state, start, place):
        return None
    budget = math.inf if by is None else (by - env.clock(agent) - env.think_time) * env.rules.durations.walk_speed
    if budget < GAIN:
        return None
    lo = tuple(int(min(start[i], place[i])) - MARGIN for i in range(3))
    hi = tuple(int(max(start[i], place[i])) + MARGIN for i in range(3))
    cost = walks(Grid(env.state, env.rules), start, lo, hi)  # type: ignore[arg-type]
    if not cost:
        return None
    no = plates(env) | kept_clear(pending)
    cells = [c for c, w in cost.items() if w <= budget and c not in no]
    near = [c for c in cells if math.dist(c, place) <= REACH]
    if near:
        best = min(near, key=lambda c: (cost[c], c))
    elif cells:
        best = min(cells, key=lambda c: (math.dist(c, place), cost[c], c))
    else:
        return None
    if best == start or now - math.dist(best, place) < GAIN:
        return None
    return A.NavigateTo(x=best[0], y=best[1], z=best[2])
