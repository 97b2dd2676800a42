"""Choosing how the causal refiner checks edges, from what the env can do, and running it.

The ``simulate`` estimator tries each edge in copies of the world and needs the env to fork and
re-rule; the ``llm`` estimator asks the LLM and needs nothing of the env. When the configured
estimator cannot run on this env, the refiner falls back to the other, or is skipped, and the trace
says which and why. With ``refiner.verify``, the LLM's answers are checked against ``simulate``
where the env can fork: how often they agree, edges it would wrongly prune, made-up edges it keeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from causalmace.build import llm_from
from causalmace.config import RunConfig
from causalmace.envs.protocol import Capability, has
from causalmace.graph import TaskGraph
from causalmace.llm import LLM
from causalmace.llm.factory import close_llm
from causalmace.planner.refine import EnvEstimator, LLMEstimator, RefineReport, refine
from causalmace.trace import Trace


@dataclass
class Refinement:
    estimator: str  # "env", "llm" or "off"
    reason: str
    report: RefineReport | None = None
    est: Any = None
    verified: dict[str, Any] | None = None
    wall_s: float = 0.0  # the refiner's own wall time, verification left out
    own_llm: bool = False  # the estimator asked a model of its own, whose usage is counted apart


def choose(cfg: RunConfig, env: Any) -> tuple[str, str, Any]:
    """The estimator to use, why, and the world its trial runs would happen in (None for ``llm``)."""
    if not cfg.refiner.enabled:
        return "off", "the refiner is off in the config", None
    if cfg.refiner.estimator == "simulate":
        if _can_try(env):
            return "simulate", "configured; the env can fork and re-rule", env
        model = env.world_model() if callable(getattr(env, "world_model", None)) else None
        if model is not None:  # laid out as the live world was: same task, team and seed
            return "simulate", ("configured; the env cannot fork, so the trial runs use its world model "
                                "(a simulator of the same task)"), model
        return "llm", "configured simulate, but the env cannot fork and re-rule: asking the LLM instead", None
    return "llm", "configured", None


def _can_try(env: Any) -> bool:
    return has(env, Capability.FORK) and has(env, Capability.RERULE)


def run_refiner(cfg: RunConfig, env: Any, graph: TaskGraph, llm: LLM, make_agent: Callable[[str], Any],
                trace: Trace) -> Refinement:
    kind, reason, world = choose(cfg, env)
    if kind != "off" and not graph.edges():
        kind, reason = "off", "the plan has no edges to check"
    trace.emit("refiner", 0.0, estimator=kind, requested=cfg.refiner.estimator if cfg.refiner.enabled else "off",
               reason=reason)
    if kind == "off":
        return Refinement(kind, reason)
    can_try = _can_try(env)
    before = graph.copy()
    own = kind == "llm" and cfg.refiner.llm is not None
    ask = llm_from(cfg.refiner.llm, cfg.seed) if own else llm
    est: Any = (EnvEstimator(world, make_agent) if kind == "simulate"
                else LLMEstimator(ask, samples=cfg.refiner.samples, rules=env.rules, rules_text=env.rules_text()))
    t0 = time.perf_counter()
    report = refine(graph, env.rules, est, cfg.refiner.threshold)
    wall = time.perf_counter() - t0
    verified = None
    if kind == "llm" and cfg.refiner.verify and can_try:
        sim = EnvEstimator(env, make_agent)
        refine(before, env.rules, sim, cfg.refiner.threshold)
        verified = compare(graph, before, sim)
        trace.emit("refiner", 0.0, verify=verified)
    for a, b in sorted(report.pruned):
        rec = graph.pruned_records[(a, b)]
        trace.emit("graph", 0.0, change="prune", edge=[a, b], ate=rec.ate, p_holds=rec.p_holds,
                   interventions=[[i.change, i.effect] for i in rec.interventions])
    if own:
        close_llm(ask)
    return Refinement(kind, reason, report, est, verified, wall, own)


def _decisions(graph: TaskGraph) -> dict[tuple[str, str], tuple[str, dict[str, float]]]:
    recs = {e: graph.record(*e) for e in graph.edges()} | dict(graph.pruned_records)
    return {e: (r.verdict, {i.change: i.effect for i in r.interventions} | {"": r.p_holds or 0.0})
            for e, r in recs.items()}


def compare(by_llm: TaskGraph, by_sim: TaskGraph, sim: EnvEstimator) -> dict[str, Any]:
    """How the LLM's causal judgments agree with the simulation's, per intervention and per edge."""
    llm_d, sim_d = _decisions(by_llm), _decisions(by_sim)
    n = agree = 0
    for e, (_, effects) in sim_d.items():
        theirs = llm_d.get(e, ("", {}))[1]
        for change, v in effects.items():
            if change in theirs:
                n += 1
                agree += (theirs[change] >= 0.5) == (v >= 0.5)
    edges = [e for e in sim_d if e in llm_d]
    same = sum(1 for e in edges if (llm_d[e][0] == "pruned") == (sim_d[e][0] == "pruned"))
    return {"interventions": n, "interventions_agree": agree, "accuracy": round(agree / n, 4) if n else None,
            "edges": len(edges), "edges_agree": same,
            "wrongly_pruned": sum(1 for e in edges if llm_d[e][0] == "pruned" and sim_d[e][0] != "pruned"),
            "made_up_kept": sum(1 for e in edges if llm_d[e][0] != "pruned" and sim_d[e][0] == "pruned"),
            "simulate_cost": sim.cost()}
