"""Metrics of any run in any env: action time, efficiency, balance, and the makespan lower bound."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from graphlib import CycleError, TopologicalSorter


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
    """E = T_max / T_act, uncapped: finishing faster than the budget scores above 1, running past it below.

    With no recorded action time E is 1. This is the figure reported as ``efficiency_uncapped``.
    """
    t_act = action_time_union(intervals)
    if t_act == 0:
        return 1.0
    return t_max / t_act


def upstream_efficiency(t_max: float, intervals: Iterable[tuple[float, float]]) -> float:
    """VillagerBench's E: ``T_max / T_act`` for a run whose action time stayed within ``T_max``, else 1.

    VillagerBench's judgers stop a run as soon as its action time passes T_max and then record E = 1
    (their "action time out" end); a run that ends earlier (done, or out of wall time) gets
    T_max / T_act. So E never falls below 1, and a run that overran is not scored by how far it overran.
    """
    t_act = action_time_union(intervals)
    if t_act == 0 or t_act > t_max:
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
    top = max(times) + 1e-8
    return 1 - statistics.pstdev(t / top for t in times)


def makespan_lower_bound(
    durations: Mapping[str, float], edges: Iterable[tuple[str, str]], n_agents: int,
    travel: Mapping[str, Mapping[str, float]] | None = None, tail: Mapping[str, float] | None = None,
) -> float:
    """No schedule can beat the longer of the critical path and the total busy time split over all agents.

    ``durations`` are each subtask's work (its actions but walking and waiting); ``edges`` are
    ``(before, after)`` pairs; a cycle has no schedule. ``travel`` (from the env, where it knows its
    places) adds the walking no schedule avoids, per subtask: ``within`` seconds that the agent doing
    it walks after its inputs exist (from where its output comes into being to where it must be left)
    and ``release`` seconds, the shortest walk from any start position through its sites (and on
    across its ``within`` walk).

    ``tail`` is, per subtask, the work of its final action (the one that leaves its output).

    Why it is a bound: an agent walks and acts one thing at a time. A subtask's final action needs
    its predecessors' outputs, so it happens after they finish: the subtask ends no earlier than its
    predecessors' finish plus that final action and its ``within`` walk (``tail``; the whole work where
    no tail is given, which then assumes the work starts once the predecessors are done). Its earlier
    actions may overlap them, since a schedule may start a subtask early and do the part that needs no
    input. It also cannot finish before ``release`` plus its work since time 0. So ``finish(n) =
    max(max finish(pred) + tail(n) + within(n), release(n) + work(n))`` never exceeds when ``n`` really
    finishes, and the makespan is at least the largest ``finish``. Each agent's time holds its subtasks'
    work and ``within`` walks without overlap, so the makespan is also at least their sum over the team
    size. Walking between subtasks, waiting and refused actions only add to both.
    """
    if n_agents < 1:
        raise ValueError("n_agents must be at least 1")
    travel = travel or {}
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
    own = {n: durations[n] + float(travel.get(n, {}).get("within", 0.0)) for n in durations}
    after = {n: (min(durations[n], tail[n]) if tail is not None and n in tail else durations[n])
             + float(travel.get(n, {}).get("within", 0.0)) for n in durations}
    finish: dict[str, float] = {}
    for node in order:
        start = max((finish[p] for p in preds[node]), default=0.0)
        finish[node] = max(start + after[node], float(travel.get(node, {}).get("release", 0.0)) + durations[node])
    critical = max(finish.values(), default=0.0)
    return float(max(critical, sum(own.values()) / n_agents))
