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
    """The makespan lower bound from each subtask's work when the reference plan runs in turn on a
    copy of the world as it started; None where the env has no copy or no reference plan."""
    if fresh is None or truth is None:
        return None
    done = run_in_turn(fresh, truth, truth.topo_order(), make_agent)
    return metrics.makespan_lower_bound({sid: d for sid, (_, d) in done.items()}, truth.edges(), n_agents)


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
        "efficiency": round(metrics.efficiency(task.t_max, flat), 6),
        "balance": round(metrics.balance(env.busy_times(), cfg.agents), 6),
        "busy_s": {a: round(t, 3) for a, t in zip(env.agents, env.busy_times(), strict=False)},
        "makespan_s": round(makespan, 6), "lower_bound_s": None if lb is None else round(lb, 6),
        "makespan_over_bound": round(makespan / lb, 6) if lb else None,
        "t_max_s": round(task.t_max, 6), "actions": loop.n_actions, "stopped": loop.stopped or "finished",
        "graph": g, "refiner": refiner, "llm": usage.as_dict(),
        "capabilities": sorted(c.value for c in Capability if has(env, c)),
    }
    if agents_llm:
        res["llm_agents"] = {a: dict(v) for a, v in sorted(agents_llm.items())}
    return res
