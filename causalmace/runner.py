"""One episode end to end: plan, refine, schedule, run the Workers, judge, score, write it down.

Each step is its own module: :mod:`causalmace.build` makes the parts from the config,
:mod:`causalmace.planner` plans, :mod:`causalmace.refinement` checks the edges, :mod:`causalmace.loop`
runs the episode, :mod:`causalmace.evaluate` scores it. This module only puts them in order.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from causalmace import build, registry
from causalmace.agent import Usage
from causalmace.config import RunConfig
from causalmace.envs.protocol import Capability, has
from causalmace.errors import UserError
from causalmace.evaluate import lower_bound, result
from causalmace.graph import TaskGraph
from causalmace.llm.factory import close_llm
from causalmace.loop import EpisodeLoop
from causalmace.outdir import RunOutput, write_file
from causalmace.planner import planner as planner_mod
from causalmace.refinement import run_refiner
from causalmace.scheduler import BusyRateScheduler
from causalmace.trace import Trace

WALL_CLOCK = ("wall_s", "refiner_wall_s")  # measured, not simulated: kept out of the trace


@dataclass
class Episode:
    result: dict[str, Any]
    trace: Trace
    graph: TaskGraph


def run_episode(cfg: RunConfig, out_dir: Path | None = None,
                on_action: Callable[[int, Any], None] | None = None) -> Episode:
    """One episode. ``on_action(n, workers)`` runs after each applied action (fault-injection tests).

    With ``out_dir`` the files are written into a fresh folder beside it that replaces it at the end
    (see :class:`causalmace.outdir.RunOutput`): never a new trace next to an old result.
    """
    wall0 = time.perf_counter()
    env = build.make_env(cfg)
    try:
        env.reset(cfg.seed)
        output = RunOutput(out_dir) if out_dir is not None else None
        try:
            trace = Trace(output.dir / "trace.jsonl" if output else None)
            try:
                episode = _run(cfg, env, trace, wall0, output.dir if output else None, on_action)
            finally:
                trace.close()
        except UserError:
            if output:
                output.discard()
            raise
        except BaseException as e:
            if output:
                output.partial("interrupted" if isinstance(e, KeyboardInterrupt)
                               else f"internal error: {type(e).__name__}: {e}")
            raise
        if output:
            output.commit()
        return episode
    finally:
        close = getattr(env, "close", None)
        if callable(close):
            close()


def _run(cfg: RunConfig, env: Any, trace: Trace, wall0: float, out_dir: Path | None,
         on_action: Callable[[int, Any], None] | None) -> Episode:
    # trial runs in copies (the simulate estimator, the lower bound) are played by the env's own agent
    make_policy = registry.agent_factory(getattr(env, "default_agent", None) or build.DEFAULT_AGENT)

    def make_agent(name: str) -> Any:
        return make_policy(agent_name=name)

    fresh = env.fork() if has(env, Capability.FORK) else None
    truth = env.reference_plan() if has(env, Capability.REFERENCE) else None
    llm = build.make_llm(cfg)

    graph, plan = planner_mod.decompose(env, llm, reference=env.reference_plan if truth is not None else None)
    planned = set(graph.edges())
    trace.emit("plan", 0.0, task=env.task.id, nodes=len(graph), edges=sorted(planned), cycles=plan.cycles,
               dropped=plan.dropped_edges, attempts=plan.attempts, **({"error": plan.error} if plan.error else {}))

    refinement = run_refiner(cfg, env, graph, llm, make_agent, trace)
    pruned = set(refinement.report.pruned) if refinement.report else set()
    if not cfg.planner.use_edges:
        for a, b in list(graph.edges()):
            graph.remove_edge(a, b)

    workers = build.make_workers(cfg, env)
    scheduler = build.make_scheduler(cfg, graph, env.agents, llm, env)
    if isinstance(scheduler, BusyRateScheduler):
        trace.emit("lines", 0.0, lines=scheduler.lines)
    loop = EpisodeLoop(cfg, env, graph, scheduler, workers, trace,
                       true_edges=set(truth.edges()) if truth is not None else None, on_action=on_action,
                       goal_check=lambda g, settled: planner_mod.check_goal(
                           env, llm, g, settled, cfg.planner.use_edges,
                           (lambda: truth) if truth is not None else None))
    if plan.error:
        loop.stopped = "no_plan"
    else:
        loop.run()

    lb = lower_bound(fresh, truth, make_agent, cfg.agents)
    usage = Usage()
    usage.add(llm.usage)
    if refinement.own_llm:
        usage.add(refinement.est.usage)
    usage.add(workers.usage())
    agents_llm = workers.stats() if hasattr(workers, "stats") else None
    workers.close()
    close_llm(llm)
    refiner: dict[str, Any] = {"estimator": refinement.estimator, "reason": refinement.reason,
                               "interventions": refinement.report.interventions if refinement.report else 0}
    if refinement.est is not None and hasattr(refinement.est, "cost"):
        refiner["cost"] = refinement.est.cost()
    elif refinement.est is not None:
        refiner["cost"] = refinement.est.usage.as_dict()
    if refinement.verified is not None:
        refiner["verify"] = refinement.verified
    res = result(cfg, env, loop, planned, truth, pruned, lb, usage, refiner, agents_llm)
    res["wall_s"] = round(time.perf_counter() - wall0, 3)
    res["refiner_wall_s"] = round(refinement.wall_s, 3)
    trace.emit("score", res["makespan_s"], **{k: v for k, v in res.items() if k not in WALL_CLOCK})
    if out_dir is not None:
        write_file(out_dir / "result.json", json.dumps(res, indent=1, sort_keys=True) + "\n")
        write_file(out_dir / "graph.json", graph.dumps() + "\n")
    return Episode(res, trace, graph)
