"""One episode end to end: plan, refine, schedule, run the Workers, judge, score.

The loop always moves the agent whose simulated clock is earliest (ties by name), so the world
applies actions in a well-defined order whatever the Workers' own timing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from causalmace import registry, scoring
from causalmace.actions import Wait
from causalmace.agent import Usage
from causalmace.baselines import ReadyGreedyScheduler, RoundsScheduler, SingleScheduler, UpwardRankScheduler
from causalmace.config import RunConfig
from causalmace.execute import run_in_turn
from causalmace.graph import Subtask, TaskGraph
from causalmace.llm.symbolic import Noise, SymbolicLLM
from causalmace.planner import planner as planner_mod
from causalmace.planner.refine import EnvEstimator, LLMEstimator, refine
from causalmace.planner.symbolic import decompose as true_graph
from causalmace.ray_workers import WorkerLost
from causalmace.scheduler import BusyRateScheduler, Scheduler
from causalmace.trace import Trace
from causalmace.workers import LocalWorkers

RETURN = "__return__"
FAIL_PAUSE_S = 1.0  # an agent whose subtask failed takes a moment before asking for work again
POS = re.compile(r"\((-?\d+), (-?\d+), (-?\d+)\)")


def make_llm(cfg: RunConfig) -> SymbolicLLM:
    n = cfg.llm.noise
    return SymbolicLLM(Noise(n.spurious_edges, n.missing_edges, n.answer_flip), seed=cfg.llm.seed + cfg.seed)


def make_workers(cfg: RunConfig, env: Any) -> Any:
    if cfg.workers.backend == "ray":
        from causalmace.ray_workers import RayWorkers, init_ray

        r = cfg.workers.ray
        init_ray(r.address, r.object_store_mb, r.num_cpus)
        kwargs = {"task": env.task.id, "agents": cfg.agents, "think_time": cfg.think_time_s}
        return RayWorkers(cfg.env, kwargs, env.agents, cfg.workers.agent, r.timeout_s)
    return LocalWorkers(env.agents, cfg.workers.agent)


def make_scheduler(cfg: RunConfig, graph: TaskGraph, agents: list[str], llm: Any) -> Scheduler:
    kind = cfg.scheduler.type
    if kind == "busy_rate":
        return BusyRateScheduler(graph)
    if kind == "ready_greedy":
        return ReadyGreedyScheduler(graph, llm)
    if kind == "rounds":
        return RoundsScheduler(graph, agents, llm)
    if kind == "single":
        return SingleScheduler(graph, agents[0])
    return UpwardRankScheduler(graph)


def reference_durations(env: Any, graph: TaskGraph, make_agent: Any) -> dict[str, float]:
    """Each subtask's work when the true plan runs in turn on a fresh fork: the lower bound's figures."""
    done = run_in_turn(env.fork(), graph, graph.topo_order(), make_agent)
    return {sid: d for sid, (_, d) in done.items()}


def repair(graph: TaskGraph, sid: str, missing: list[str]) -> list[tuple[str, str]]:
    """Edges the Judger's refusal reveals: whoever makes what was missing goes first."""
    st = graph.subtask(sid)
    found: list[str] = []
    for m in missing:
        if m.startswith(("support@", "block@")):
            p = tuple(int(x) for x in POS.search(m).groups())  # type: ignore[union-attr]
            cells = {p} if m.startswith("block@") else {
                (p[0] + d[0], p[1] + d[1], p[2] + d[2])
                for d in ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1))}
            found += [s.id for s in graph.subtasks() if s.kind in ("build", "scaffold")
                      and any(tuple(b[0]) in cells for b in s.params.get("blocks", []))]
        elif m.startswith("room:"):
            r = int(m.split(":")[1])
            found += [s.id for s in graph.subtasks() if s.params.get("room") == r]
        elif m.startswith("order:"):
            r = int(m.split(":")[1])
            found += [s.id for s in graph.subtasks() if s.params.get("room") == r
                      and s.params.get("order", 0) < st.params.get("order", 0)]
        else:
            found += [s.id for s in graph.subtasks() if s.target == m and s.kind not in ("build", "scaffold")]
    added: list[tuple[str, str]] = []
    for f in dict.fromkeys(found):
        if f == sid or graph.g.has_edge(f, sid) or nx.has_path(graph.g, sid, f):
            continue
        rec = graph.add_edge(f, sid, origin="judger", note=f"found missing: {', '.join(missing)}")
        rec.verdict = "added"
        added.append((f, sid))
    return added


@dataclass
class Episode:
    result: dict[str, Any]
    trace: Trace
    graph: TaskGraph


def run_episode(cfg: RunConfig, out_dir: Path | None = None,
                on_action: Callable[[int, Any], None] | None = None) -> Episode:
    """One episode. ``on_action(n, workers)`` runs after each applied action (fault-injection tests)."""
    wall0 = time.perf_counter()
    env = registry.make(cfg.env, task=cfg.task, agents=cfg.agents, think_time=cfg.think_time_s)
    env.reset(cfg.seed)
    task = env.task
    trace = Trace(out_dir / "trace.jsonl" if out_dir else None)
    try:
        return _run(cfg, env, task, trace, wall0, out_dir, on_action)
    finally:
        trace.close()


def _run(cfg: RunConfig, env: Any, task: Any, trace: Trace, wall0: float, out_dir: Path | None,
         on_action: Callable[[int, Any], None] | None) -> Episode:
    make_policy = registry.agent_factory(cfg.workers.agent)

    def agent_factory(name: str) -> Any:
        return make_policy(agent_name=name)

    fresh = env.fork()
    survey = env.survey()
    truth = true_graph(task, env.rules, survey)
    true_edges = set(truth.edges())
    llm = make_llm(cfg)
    graph, plan = planner_mod.decompose(task, env.rules, survey, llm)
    planned = set(graph.edges())
    trace.emit("plan", 0.0, task=task.id, nodes=len(graph), edges=sorted(planned), cycles=plan.cycles,
               dropped=plan.dropped_edges)
    refine_usage = Usage()
    pruned: set[tuple[str, str]] = set()
    if cfg.refiner.enabled and graph.edges():
        env_est = EnvEstimator(env, agent_factory)
        est: Any = env_est
        if cfg.refiner.estimator == "llm":
            est = LLMEstimator(llm, samples=cfg.refiner.samples, oracle=env_est)
        report = refine(graph, env.rules, est, cfg.refiner.threshold)
        pruned = set(report.pruned)
        for a, b in sorted(pruned):
            rec = graph.pruned_records[(a, b)]
            trace.emit("graph", 0.0, change="prune", edge=[a, b], ate=rec.ate, p_holds=rec.p_holds,
                       interventions=[[i.change, i.effect] for i in rec.interventions])
    if not cfg.planner.use_edges:
        for a, b in list(graph.edges()):
            graph.remove_edge(a, b)
    workers = make_workers(cfg, env)
    scheduler = make_scheduler(cfg, graph, env.agents, llm)
    if isinstance(scheduler, BusyRateScheduler):
        trace.emit("lines", 0.0, lines=scheduler.lines)
    current: dict[str, str | None] = {a: None for a in env.agents}
    done: set[str] = set()
    abandoned: set[str] = set()
    attempts: dict[str, int] = {}
    missing_found: set[tuple[str, str]] = set()
    n_actions = 0
    limit_hit = ""
    stalled: set[str] = set()  # agents that found nothing to do since the world last changed
    depot = survey.depot()
    held: dict[str, str] = {}  # agent returning items -> the subtask it lost
    returning = Subtask(RETURN, "return", "put back what a lost Worker carried", "", params={"depot": depot})

    def lose(agent: str, sid: str | None, err: WorkerLost) -> None:
        old = workers.pids().get(agent) if hasattr(workers, "pids") else None
        trace.emit("fault", env.clock(agent), agent=agent, subtask=sid, reason=str(err), pid=old)
        pid = workers.replace(agent)
        trace.emit("worker", env.clock(agent), agent=agent, change="replaced", pid=pid)
        current[agent] = None
        if sid == RETURN:
            sid = held.pop(agent, None)
        if depot is not None and env.inventory(agent):  # what it carried goes back before anyone retries
            current[agent] = RETURN
            if sid is not None:
                held[agent] = sid
            try:
                workers.start(agent, returning, env)
                return
            except WorkerLost:
                current[agent] = None
                held.pop(agent, None)
        release(agent, sid, str(err))

    def release(agent: str, sid: str | None, reason: str) -> None:
        if sid is not None:
            scheduler.finished(agent, sid, False)
            trace.emit("subtask", env.clock(agent), agent=agent, subtask=sid, status="lost", reason=reason,
                       reassigned=True)

    while len(done) + len(abandoned) < len(graph):
        agent = min(env.agents, key=lambda a: (env.clock(a), a))
        now = env.clock(agent)
        if n_actions >= cfg.limits.max_actions or now > cfg.limits.max_time_s:
            limit_hit = "actions" if n_actions >= cfg.limits.max_actions else "time"
            break
        sid = current[agent]
        try:
            if sid is None:
                running = {s for s in current.values() if s} | set(held.values())
                ready = {s for s in graph.g.nodes if s not in done and s not in abandoned and s not in running
                         and all(p in done or p in abandoned for p in graph.preds(s))}
                sid = scheduler.assign(agent, ready)
                if sid is None:
                    stalled.add(agent)
                    busy = [env.clock(a) for a, s in current.items() if s]
                    if not busy and stalled >= set(env.agents):
                        limit_hit = "deadlock"
                        break
                    later = [env.clock(a) for a in env.agents if a != agent and env.clock(a) > now]
                    until = min(busy) if busy else min(later, default=now)
                    env.apply(agent, Wait(seconds=max(0.05, until - now + 1e-3)))
                    continue
                stalled.clear()
                current[agent] = sid
                attempts[sid] = attempts.get(sid, 0) + 1
                extra = ({"busy": {str(k): round(scheduler.busy(k), 4) for k in range(len(scheduler.lines))}}
                         if isinstance(scheduler, BusyRateScheduler) else {})
                trace.emit("decision", now, agent=agent, subtask=sid, attempt=attempts[sid], **extra)
                workers.start(agent, graph.subtask(sid), env)
            action = workers.act(agent, env)
            if action is None:
                out = workers.outcome(agent)
                current[agent] = None
                stalled.clear()
                if sid == RETURN:
                    release(agent, held.pop(agent, None), "its Worker was lost")
                    continue
                scheduler.finished(agent, sid, out.done)
                if out.done:
                    done.add(sid)
                    trace.emit("subtask", env.clock(agent), agent=agent, subtask=sid, status="done")
                    continue
                added = repair(graph, sid, out.missing) if cfg.planner.use_edges else []
                for e in added:
                    if e in true_edges:
                        missing_found.add(e)
                    trace.emit("graph", env.clock(agent), change="add", edge=list(e), origin="judger",
                               reason=out.reason)
                if attempts[sid] >= cfg.limits.max_attempts:
                    abandoned.add(sid)
                trace.emit("subtask", env.clock(agent), agent=agent, subtask=sid, status="failed",
                           reason=out.reason, abandoned=sid in abandoned)
                env.apply(agent, Wait(seconds=FAIL_PAUSE_S))
                continue
            stalled.clear()
            start = env.clock(agent)
            result = env.apply(agent, action)
            n_actions += 1
            trace.emit("action", start, agent=agent, subtask=sid, action=action.model_dump(), ok=result.status,
                       message=result.message, duration=result.duration)
            if on_action is not None:
                on_action(n_actions, workers)
            workers.feedback(agent, result.status, result.message)
        except WorkerLost as err:
            lose(agent, current[agent] or sid, err)
    score = env.score()
    intervals = env.intervals()
    flat = [iv for ivs in intervals.values() for iv in ivs]
    makespan = max((e for _, e in flat), default=0.0)
    durations = reference_durations(fresh, truth, agent_factory)
    lb = scoring.makespan_lower_bound(durations, truth.edges(), cfg.agents)
    llm_usage = Usage()
    llm_usage.add(llm.usage)
    llm_usage.add(refine_usage)
    llm_usage.add(workers.usage())
    workers.close()
    result = {
        "task": task.id, "suite": task.suite, "env": cfg.env, "method": cfg.method, "agents": cfg.agents,
        "seed": cfg.seed, "completed": bool(score.completed), "completion": round(score.completion, 6),
        "score": {k: round(v, 6) for k, v in score.detail.items()},
        "efficiency": round(scoring.efficiency(task.t_max, flat), 6),
        "balance": round(scoring.balance(env.busy_times(), cfg.agents), 6),
        "makespan_s": round(makespan, 6), "lower_bound_s": round(lb, 6),
        "makespan_over_bound": round(makespan / lb, 6) if lb > 0 else None,
        "t_max_s": round(task.t_max, 6), "actions": n_actions, "stopped": limit_hit or "finished",
        "graph": {
            "nodes": len(graph), "edges_initial": len(planned), "edges_true": len(true_edges),
            "spurious_initial": len(planned - true_edges), "missing_initial": len(true_edges - planned),
            "edges_pruned": len(pruned), "spurious_pruned": len(pruned - true_edges),
            "true_pruned": len(pruned & true_edges), "missing_found": len(missing_found),
            "subtasks_abandoned": len(abandoned),
        },
        "llm": llm_usage.as_dict(),
        "wall_s": round(time.perf_counter() - wall0, 3),
    }
    trace.emit("score", makespan, **{k: v for k, v in result.items() if k != "wall_s"})
    if out_dir is not None:
        import json

        (out_dir / "result.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
        (out_dir / "graph.json").write_text(graph.dumps() + "\n")
    return Episode(result, trace, graph)
