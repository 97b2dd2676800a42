"""Choosing how the causal refiner checks edges, from what the env can do, and running it.

The ``env`` estimator tries each edge in copies of the world and needs the env to fork and re-rule;
the ``llm`` estimator asks the LLM and needs nothing of the env. When the configured estimator
cannot run on this env, the refiner falls back to the other, or is skipped, and the trace says
which and why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from causalmace.config import RunConfig
from causalmace.envs.protocol import Capability, has
from causalmace.graph import TaskGraph
from causalmace.llm import LLM
from causalmace.planner.refine import EnvEstimator, LLMEstimator, RefineReport, refine
from causalmace.trace import Trace


@dataclass
class Refinement:
    estimator: str  # "env", "llm" or "off"
    reason: str
    report: RefineReport | None = None
    est: Any = None


def choose(cfg: RunConfig, env: Any) -> tuple[str, str]:
    """The estimator to use and why."""
    if not cfg.refiner.enabled:
        return "off", "the refiner is off in the config"
    can_try = has(env, Capability.FORK) and has(env, Capability.RERULE)
    if cfg.refiner.estimator == "env":
        if can_try:
            return "env", "configured; the env can fork and re-rule"
        return "llm", "configured env, but the env cannot fork and re-rule: asking the LLM instead"
    return "llm", "configured"


def run_refiner(cfg: RunConfig, env: Any, graph: TaskGraph, llm: LLM, make_agent: Callable[[str], Any],
                trace: Trace) -> Refinement:
    kind, reason = choose(cfg, env)
    if kind != "off" and not graph.edges():
        kind, reason = "off", "the plan has no edges to check"
    trace.emit("refiner", 0.0, estimator=kind, requested=cfg.refiner.estimator if cfg.refiner.enabled else "off",
               reason=reason)
    if kind == "off":
        return Refinement(kind, reason)
    oracle = None
    if has(env, Capability.FORK) and has(env, Capability.RERULE):
        oracle = EnvEstimator(env, make_agent)
    est: Any = oracle if kind == "env" else LLMEstimator(llm, samples=cfg.refiner.samples, oracle=oracle)
    report = refine(graph, env.rules, est, cfg.refiner.threshold)
    for a, b in sorted(report.pruned):
        rec = graph.pruned_records[(a, b)]
        trace.emit("graph", 0.0, change="prune", edge=[a, b], ate=rec.ate, p_holds=rec.p_holds,
                   interventions=[[i.change, i.effect] for i in rec.interventions])
    return Refinement(kind, reason, report, est)
