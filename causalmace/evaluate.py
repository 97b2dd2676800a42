"""What a finished episode scored, and the figures it is compared with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from causalmace import metrics
from causalmace.agent import Usage
from causalmace.config import RunConfig
from causalmace.envs.protocol import Capability, has
from causalmace.execute import run_in_turn
from causalmace.graph import TaskGraph
from causalmace.loop import EpisodeLoop


def lower_bound(fresh: Any, truth: TaskGraph | None, make_agent: Callable[[str], Any], n_agents: int) -> float | None:
    """The makespan lower bound of :func:`causalmace.metrics.makespan_lower_bound`: each subtask's work
    when the reference plan runs in turn on a copy of the world as it started, plus the walking the
    env says no schedule avoids (its optional ``min_travel(graph)``); None where the env has no copy
    or no reference plan."""
    if fresh is None or truth is None:
        return None
    travel_of = getattr(fresh, "min_travel", None)
    travel = travel_of(truth) if callable(travel_of) else None  # before the copy is played on
    last: dict[str, float] = {}
    done = run_in_turn(fresh, truth, truth.topo_order(), make_agent, last=last)
    return metrics.makespan_lower_bound({sid: d for sid, (_, d) in done.items()}, truth.edges(), n_agents, travel,
                                        tail=last)


def plan_noise(loop: EpisodeLoop, truth: TaskGraph | None) -> dict[str, Any] | None:
    """How the plan's subtasks differ from the reference plan, and what caught each difference.

    ``missing_subtasks``: reference subtasks the plan lacked; ``recovered`` counts those the goal
    check put back. ``wrong_counts``: planned subtasks asking for another count than the reference;
    ``repaired`` counts those a Judger top-up completed. ``made_up_subtasks``: planned subtasks the
    reference has not; ``abandoned`` ones the Judger's refusals stopped, ``done`` ones that ran as
    wasted work.
    """
    if truth is None:
        return None
    graph = loop.graph
    planned = {n for n in graph.g.nodes if n not in loop.added_work}
    missing = set(truth.g.nodes) - planned
    made_up = planned - set(truth.g.nodes)
    wrong = {n for n in planned & set(truth.g.nodes) if graph.subtask(n).count != truth.subtask(n).count}
    topped = {graph.subtask(n).params.get("topped_up_from") for n, (o, _) in loop.added_work.items() if o == "judger"}
    return {
        "missing_subtasks": {"injected": len(missing),
                             "recovered": sum(1 for n in missing if loop.added_work.get(n, ("",))[0] == "goal"),
                             "by": "goal check"},
        "wrong_counts": {"injected": len(wrong), "repaired": len(wrong & topped), "by": "judger top-up"},
        "made_up_subtasks": {"injected": len(made_up), "abandoned": len(made_up & loop.abandoned),
                             "done": len(made_up & loop.done), "by": "judger"},
        "goal_checks": loop.goal_checks,
        "work_added": {o: sum(1 for v in loop.added_work.values() if v[0] == o) for o in ("judger", "goal")},
    }


def result(cfg: RunConfig, env: Any, loop: EpisodeLoop, planned: set[tuple[str, str]],
           truth: TaskGraph | None, pruned: set[tuple[str, str]], lb: float | None, usage: Usage,
           refiner: dict[str, Any], agents_llm: dict[str, dict[str, int]] | None = None) -> dict[str, Any]:
    """The result. ``agents_llm``: per agent, its model's usage and its refused tool calls, for LLM agents."""
    task, graph = env.task, loop.graph
    score = env.score()
    flat = [iv for ivs in env.intervals().values() for iv in ivs]
    makespan = max((e for _, e in flat), default=0.0)
    true_edges = set(truth.edges()) if truth is not None else None
    g: dict[str, Any] = {"nodes": len(graph), "edges_initial": len(planned), "edges_pruned": len(pruned),
                         "subtasks_abandoned": len(loop.abandoned)}
    if true_edges is not None:  # made-up and missing edges are known only against a reference plan
        g.update({"edges_true": len(true_edges), "spurious_initial": len(planned - true_edges),
                  "missing_initial": len(true_edges - planned), "spurious_pruned": len(pruned - true_edges),
                  "true_pruned": len(pruned & true_edges), "missing_found": len(loop.missing_found)})
    res = {
        "task": task.id, "suite": task.suite, "env": cfg.env, "method": cfg.method, "agents": cfg.agents,
        "seed": cfg.seed, "completed": bool(score.completed), "completion": round(score.completion, 6),
        "score": {k: round(v, 6) for k, v in score.detail.items()},
        "efficiency": round(metrics.upstream_efficiency(task.t_max, flat), 6),
        "efficiency_uncapped": round(metrics.efficiency(task.t_max, flat), 6),
        "balance": round(metrics.balance(env.busy_times(), cfg.agents), 6),
        "busy_s": {a: round(t, 3) for a, t in zip(env.agents, env.busy_times(), strict=False)},
        "makespan_s": round(makespan, 6), "lower_bound_s": None if lb is None else round(lb, 6),
        "makespan_over_bound": round(makespan / lb, 6) if lb else None,
        "t_max_s": round(task.t_max, 6), "actions": loop.n_actions, "stopped": loop.stopped or "finished",
        "graph": g, "refiner": refiner, "llm": usage.as_dict(),
        "capabilities": sorted(c.value for c in Capability if has(env, c)),
    }
    noise = plan_noise(loop, truth)
    if noise is not None:
        res["plan_noise"] = noise
    updates = getattr(loop.scheduler, "updates", None)
    if updates is not None:
        res["graph"]["updates"] = dict(updates)
    res["graph"]["retries_uncharged"] = loop.free_tries
    if agents_llm:
        res["llm_agents"] = {a: dict(v) for a, v in sorted(agents_llm.items())}
    return res
