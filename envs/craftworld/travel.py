"""Walking no schedule can avoid, per subtask of a block-world plan (for the makespan lower bound).

Each subtask must be done within reach of some places (its sites: a chest to take from, blocks to dig
or place, a station, a plate to stand on), and a subtask whose success is an item in the depot must
carry what it made from its site to the depot. Two figures per subtask, in seconds at walking speed:

* ``within``: the crossing from the site where the output comes into being to the depot, paid after
  the subtask's inputs exist (the output cannot exist before them) by the agent doing the subtask;
* ``release``: the shortest walk from any agent's start position that passes within reach of the
  subtask's farthest site (and then crosses to the depot, where ``within`` applies): the subtask
  cannot be finished earlier than that plus its work.

Distances are straight lines minus the reach at both ends (and one more block each for rounding a
position to its cell), so a walk along any route is at least as long: both figures stay bounds.
Creatures move, so hunting and using an item on a creature count no walking.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from causalmace.graph import Subtask, TaskGraph

Point = Sequence[float]
SLACK = 1.0  # a position rounds to its cell: up to about one block either way


def gap(a: Point, b: Point, reach_a: float, reach_b: float) -> float:
    """The least walk (blocks) between standing within ``reach_a`` of ``a`` and within ``reach_b`` of ``b``."""
    return max(0.0, math.dist(a[:3], b[:3]) - reach_a - reach_b - 2 * SLACK)


def sites(st: Subtask) -> tuple[list[Point], float]:
    """The places ``st`` must be within reach of, and how near (0 for a plate one stands on)."""
    p = st.params
    if st.kind == "fetch" and p.get("source") is not None:
        return [p["source"]], -1.0
    if st.kind == "harvest":
        return list(p.get("positions") or []), -1.0
    if st.kind in ("smelt", "craft") and p.get("station") is not None:
        return [p["station"]], -1.0
    if st.kind in ("build", "scaffold", "clear"):
        return [b[0] if isinstance(b[0], list | tuple) else b for b in p.get("blocks") or []], -1.0
    if st.kind == "stand" and p.get("pos") is not None:
        return [p["pos"]], 0.0
    if st.kind in ("toggle", "place") and p.get("pos") is not None:
        return [p["pos"]], -1.0
    return [], -1.0


def to_depot(st: Subtask) -> bool:
    """Whether ``st`` succeeds only once what it made lies in the depot."""
    return st.kind in ("fetch", "harvest", "smelt", "craft") and st.params.get("depot") is not None \
        and not st.params.get("keep")


def unavoidable_travel(graph: TaskGraph, starts: Sequence[Point], walk_speed: float, reach: float
                       ) -> dict[str, dict[str, float]]:
    """Per subtask ``{"within": s, "release": s}`` (see the module docstring); ``reach`` is the Judger's."""
    out: dict[str, dict[str, float]] = {}
    for st in graph.subtasks():
        where, r = sites(st)
        r = reach if r < 0 else r
        depot = st.params.get("depot")
        within = 0.0
        release = 0.0
        if where:
            if to_depot(st) and depot is not None:
                within = max(gap(s, depot, r, reach) for s in where)
                release = min((max(gap(a, s, 0.0, r) + gap(s, depot, r, reach) for s in where) for a in starts),
                              default=0.0)
            else:
                release = min((max(gap(a, s, 0.0, r) for s in where) for a in starts), default=0.0)
            if st.kind == "place" and st.params.get("fetch_from") is not None:  # its item lies in a chest
                src = st.params["fetch_from"]
                # the item may be taken early and carried to the room's door, so only the release counts it
                release = min((gap(a, src, 0.0, reach) + gap(src, st.params["pos"], reach, r) for a in starts),
                              default=0.0)
        out[st.id] = {"within": within / walk_speed, "release": release / walk_speed}
    return out


def min_travel(env: Any, graph: TaskGraph) -> dict[str, dict[str, float]]:
    """The env's answer: agents' start positions as they stand now, the rules' walking speed."""
    from causalmace.envs.blocks.judger import REACH

    starts = [tuple(env.observe(a).get("position") or (0.0, 0.0, 0.0)) for a in env.agents]
    return unavoidable_travel(graph, starts, env.rules.durations.walk_speed, REACH)
