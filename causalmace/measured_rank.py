"""A list scheduler that learns durations as the episode goes and keeps agents near their work.

Ready subtasks are ranked by the longest remaining path to the end (HEFT's upward rank), as the
``upward_rank`` yardstick does, but each subtask's duration is the planner's estimate scaled by what
subtasks of its kind have really taken so far in this episode (walking and thinking included), so the
ranks stop trusting estimates that ignore travel. Among the ready subtasks whose rank is within
``slack`` of the best, the agent takes the one that starts nearest to where it stands: a third of
subtask time is walking, and a nearby start saves it without delaying the critical path much.
"""

from __future__ import annotations

import math
from collections.abc import Set
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from causalmace.graph import Subtask, TaskGraph

LOCATION_KEYS = ("pos", "station", "source", "fetch_from", "positions", "blocks", "depot")


def location(st: Subtask) -> tuple[float, ...] | None:
    """Where a subtask starts, from its parameters (the first place named), or None."""
    for key in LOCATION_KEYS:
        v = st.params.get(key)
        while isinstance(v, list | tuple) and v and isinstance(v[0], list | tuple):
            v = v[0]
        if isinstance(v, list | tuple) and len(v) >= 2 and all(isinstance(x, int | float) for x in v[:3]):
            return tuple(float(x) for x in v[:3])
    return None


@dataclass
class MeasuredRankScheduler:
    graph: TaskGraph
    env: Any = None
    slack: float = 0.10
    ratio: dict[str, list[float]] = field(default_factory=dict)  # kind -> measured / estimated
    started: dict[str, tuple[str, float]] = field(default_factory=dict)  # agent -> (subtask, clock at start)

    def _duration(self, sid: str) -> float:
        st = self.graph.subtask(sid)
        seen = self.ratio.get(st.kind)
        return max(st.est_duration, 1e-3) * (sum(seen) / len(seen) if seen else 1.0)

    def _ranks(self) -> dict[str, float]:
        g, rank = self.graph.g, {}
        for n in reversed(list(nx.topological_sort(g))):
            rank[n] = self._duration(n) + max((rank[s] for s in g.successors(n)), default=0.0)
        return rank

    def _where(self, agent: str) -> tuple[float, ...] | None:
        if self.env is None:
            return None
        pos = self.env.observe(agent).get("position")
        return tuple(float(x) for x in pos[:3]) if pos else None

    def assign(self, agent: str, ready: Set[str]) -> str | None:
        if not ready:
            return None
        rank = self._ranks()
        best = max(rank[s] for s in ready)
        near = [s for s in ready if rank[s] >= best * (1 - self.slack)]
        here = self._where(agent)

        def cost(s: str) -> tuple[float, float, str]:
            at = location(self.graph.subtask(s))
            d = math.dist(here, at) if here is not None and at is not None else 0.0
            return (d, -rank[s], s)

        sid = min(near, key=cost)
        if self.env is not None:
            self.started[agent] = (sid, self.env.clock(agent))
        return sid

    def finished(self, agent: str, subtask: str, ok: bool, settled: bool = False) -> None:
        begun = self.started.pop(agent, None)
        if not ok or begun is None or begun[0] != subtask or self.env is None:
            return
        st = self.graph.subtask(subtask)
        took = self.env.clock(agent) - begun[1]
        if st.est_duration > 0 and took > 0:
            self.ratio.setdefault(st.kind, []).append(took / st.est_duration)


def make_measured_rank(*, graph: TaskGraph, agents: list[str], llm: Any = None, env: Any = None
                       ) -> MeasuredRankScheduler:
    return MeasuredRankScheduler(graph, env)
