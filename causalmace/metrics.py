"""Metrics of any run in any env: action time, efficiency, balance, and the makespan lower bound."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from graphlib import CycleError, TopologicalSorter

import numpy as np


def action_time_union(intervals: Iterable[tuple[float, float]]) -> float:
    """T_act: total length of the union of all agents' action intervals.

    Merging overlaps counts parallel work once, so a team that acts concurrently uses less time.
    """
    spans = sorted(intervals)
    for start, end in spans:
        if end < start:
            raise ValueError(f"interval ends before it starts: {(start, end)}")
    if not spans:
        return 0.0
    total = 0.0
    start, end = spans[0]
    for s, e in spans[1:]:
        if s < end:
            end = max(end, e)
        else:
            total += end - start
            start, end = s, e
    return float(total + end - start)


def efficiency(t_max: float, intervals: Iterable[tuple[float, float]]) -> float:
    """E = T_max / T_act, uncapped, so finishing faster than the budget scores above 1.

    With no recorded action time E is 1. Upstream also forces E to 1 when a run ends because T_act
    exceeded T_max; that depends on why the run ended, so callers apply it.
    """
    t_act = action_time_union(intervals)
    if t_act == 0:
        return 1.0
    return t_max / t_act


def balance(busy_times: Sequence[float], n_agents: int) -> float:
    """BAUS: ``1 - std(t / max t)`` over per-agent busy times, idle agents counted as zero.

    Normalising by the busiest agent makes the score independent of task length; an agent that never
    acted lowers it.
    """
    times = [float(t) for t in busy_times] + [0.0] * max(0, n_agents - len(busy_times))
    if not times:
        return 1.0
    arr = np.asarray(times)
    arr = arr / (arr.max() + 1e-8)
    return float(1 - np.std(arr))


def makespan_lower_bound(
    durations: Mapping[str, float], edges: Iterable[tuple[str, str]], n_agents: int
) -> float:
    """No schedule can beat the longer of the critical path and the total work split over all agents.

    ``edges`` are ``(before, after)`` pairs; path length sums node durations. A cycle has no schedule.
    """
    if n_agents < 1:
        raise ValueError("n_agents must be at least 1")
    preds: dict[str, set[str]] = {node: set() for node in durations}
    for before, after in edges:
        for node in (before, after):
            if node not in durations:
                raise ValueError(f"edge names unknown task {node!r}")
        preds[after].add(before)
    try:
        order = list(TopologicalSorter(preds).static_order())
    except CycleError as err:
        raise ValueError(f"task graph has a cycle: {err.args[1]}") from err
    finish: dict[str, float] = {}
    for node in order:
        finish[node] = durations[node] + max((finish[p] for p in preds[node]), default=0.0)
    critical = max(finish.values(), default=0.0)
    return float(max(critical, sum(durations.values()) / n_agents))
