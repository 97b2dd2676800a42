"""The causal refiner: checks each planned edge A -> B by intervention on the game rules.

For each rule r that could ground the edge (one that makes B's item and uses A's item),

    ATE_r(A -> B) = P(B needs A | rules) - P(B needs A | do(r changed))

and an edge whose |ATE| stays below a threshold under every intervention is pruned as a
hallucination. "B needs A" is judged in a world where B's other prerequisites are done: B fails
without A but succeeds with it. Two estimators answer that question behind one interface:

* ``simulate``: the world does, on a fork of it, re-ruled for the intervention. No tokens, but trial
  runs in copies, whose count and simulated seconds are reported beside what they buy.
* ``llm``: the LLM is asked the counterfactual question ``samples`` times per intervention, as text
  only; the share of "still needed" answers estimates the probability (the paper's way). The offline
  symbolic model answers it from the rules tables (:mod:`causalmace.planner.rules_link`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from causalmace import dag
from causalmace.agent import Usage
from causalmace.envs.protocol import Capability
from causalmace.execute import Turns
from causalmace.graph import Intervention, Subtask, TaskGraph
from causalmace.llm import LLM, LLMRequest
from causalmace.llm.errors import LLMError
from causalmace.rules import RuleChange, RuleRef, RuleSet

CACHE_LIMIT = 4000  # worlds kept per estimator (one episode)


class Estimator(Protocol):
    usage: Usage

    def p_needs(self, graph: TaskGraph, a: str, b: str, change: RuleChange | None) -> float | None: ...


def interventions(rules: RuleSet, a: Subtask, b: Subtask) -> list[RuleChange]:
    """Rules that could ground A -> B, each changed so that B no longer uses A's item."""
    item = a.target
    wanted = [b.target, item] + ([b.params["block"]] if b.params.get("block") else [])
    own = rules.relevant(wanted)
    grounded = [r for r in own if rules.mentions(r, item) and _makes(rules, r, b)]
    if b.kind in ("build", "scaffold", "clear") or a.kind in ("build", "scaffold"):
        grounded.append(RuleRef("support", "placement"))
    if "trigger" in a.params:  # A is a condition of an escape room: B waits for that room
        grounded.append(RuleRef("trigger", a.params["trigger"]))
    if not grounded:  # nothing ties them: change B's own rule; a true edge would show an effect
        grounded = [r for r in own if _makes(rules, r, b)][:1]
    out: list[RuleChange] = []
    for r in dict.fromkeys(grounded):
        drop = a.params.get("block", item) if r.kind == "trigger" else item
        out.append(RuleChange(r, drop=None if r.kind in ("smelt", "fuel", "use", "support", "dig") else drop))
    return out


def _makes(rules: RuleSet, ref: RuleRef, b: Subtask) -> bool:
    if ref.kind == "recipe":
        return ref.key == b.target
    if ref.kind == "smelt":
        return rules.smelting[ref.key].output == b.target
    if ref.kind == "use":
        return rules.uses[tuple(ref.key.split("@", 1))].gives == b.target  # type: ignore[index]
    if ref.kind == "dig":
        return b.params.get("block") == ref.key
    if ref.kind == "fuel":
        return b.kind == "smelt"
    return False


@dataclass
class EnvEstimator:
    """Answers "does B need A?" by trying it in forks of the world (the ``simulate`` estimator)."""

    env: Any
    make_agent: Callable[[str], Any]
    usage: Usage = field(default_factory=Usage)
    runs: int = 0  # trial runs asked for
    steps: int = 0  # subtasks actually run in copies (runs share their beginnings)
    sim_s: float = 0.0  # simulated seconds spent in copies
    wall_s: float = 0.0
    _cache: dict[tuple[str, tuple[str, ...]], Turns] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        missing = {Capability.FORK, Capability.RERULE} - set(self.env.capabilities)
        if missing:
            raise ValueError(f"the env estimator needs an env that can {', '.join(sorted(missing))}")

    def _attempt(self, change: RuleChange | None, graph: TaskGraph, ids: list[str], last: str) -> bool:
        """Run ``ids`` (failures allowed), then ``last``; True if ``last`` succeeds.

        Runs share their beginnings (the same subtasks in the same order), so the world after each
        prefix is kept and the next run goes on from the longest one already there.
        """
        self.runs += 1
        t0 = time.perf_counter()
        try:
            return self._attempt_timed(change, graph, ids, last)
        finally:
            self.wall_s += time.perf_counter() - t0

    def _step(self, turns: Turns, sid: str) -> bool:
        world = turns.world
        before = max(world.clock(a) for a in world.agents)
        ok = turns.step(sid)[0]
        self.steps += 1
        self.sim_s += max(world.clock(a) for a in world.agents) - before
        return ok

    def _attempt_timed(self, change: RuleChange | None, graph: TaskGraph, ids: list[str], last: str) -> bool:
        key = str(change)
        k = len(ids)
        while k and (key, tuple(ids[:k])) not in self._cache:
            k -= 1
        if k:
            turns = self._cache[(key, tuple(ids[:k]))].copy()
        else:
            world = self.env.fork() if change is None else self.env.rerule(change)
            turns = Turns.start(world, graph, self.make_agent)
        for i in range(k, len(ids)):
            self._step(turns, ids[i])
            if len(self._cache) < CACHE_LIMIT:
                self._cache[(key, tuple(ids[:i + 1]))] = turns.copy()
        return self._step(turns, last)

    def cost(self) -> dict[str, float]:
        return {"trial_runs": self.runs, "subtasks_run": self.steps, "simulated_s": round(self.sim_s, 3)}

    def _probe(self, graph: TaskGraph, a: str, b: str, change: RuleChange | None,
               everything: bool) -> float | None:
        g = graph.g
        order = list(dag.lexicographical_topological_sort(g))
        after_b = {b} | dag.descendants(g, b)
        listed = list(g.nodes)  # the planner's own sequence
        earlier = set(listed[:listed.index(b)]) if everything else set()
        pool = earlier | dag.ancestors(g, b) | {a}
        without = [s for s in order if s in pool and s != a and s not in after_b]
        if self._attempt(change, graph, without, b):
            return 0.0
        with_a = [s for s in order if s in pool and s not in after_b]
        if self._attempt(change, graph, with_a, b):
            return 1.0
        return None

    def p_needs(self, graph: TaskGraph, a: str, b: str, change: RuleChange | None) -> float | None:
        """1 if B fails without A and succeeds with it, 0 if B succeeds without A, None if B fails both ways.

        B is tried once its other planned prerequisites are done, as it would run if the edge went.
        If B cannot succeed even so (the planner missed one of its prerequisites), everything the plan
        lists before B is done first as well, so a missing dependency does not pass for an effect of A.
        """
        p = self._probe(graph, a, b, change, everything=False)
        return p if p is not None else self._probe(graph, a, b, change, everything=True)


COUNTERFACTUAL_SCHEMA: dict[str, Any] = {
    "type": "object", "properties": {"still_needed": {"type": ["boolean", "null"]}}, "required": ["still_needed"]}


@dataclass
class LLMEstimator:
    """Asks the LLM the counterfactual question, as text. ``rules`` are handed to offline models only,
    in the request's context, so the symbolic model can read the answer off the rules tables."""

    llm: LLM
    samples: int = 3
    rules: RuleSet | None = None
    rules_text: str = ""
    usage: Usage = field(default_factory=Usage)
    failures: int = 0

    def p_needs(self, graph: TaskGraph, a: str, b: str, change: RuleChange | None) -> float | None:
        sa, sb = graph.subtask(a), graph.subtask(b)
        cond = f"if the game changed so that {change}" if change else "under the normal rules"
        q = (f"Rules:\n{self.rules_text}\n\n" if self.rules_text else "") + (
            f"Subtask B: {sb.description}. Subtask A: {sa.description}. {cond.capitalize()}, "
            "would B still need A to be done first? Answer JSON {\"still_needed\": true, false or null "
            "if you cannot tell}.")
        context: dict[str, Any] = {"a": sa, "b": sb}
        if self.rules is not None:
            context["rules"] = self.rules.changed(change) if change is not None else self.rules
        yes = no = 0
        for i in range(self.samples):
            try:
                resp = self.llm.complete(LLMRequest([{"role": "user", "content": q}], "counterfactual",
                                                    COUNTERFACTUAL_SCHEMA, context=context, sample=i))
            except LLMError:
                self.failures += 1
                continue  # no answer is no evidence
            self.usage.add(resp.usage)
            try:
                answer = json.loads(resp.text[resp.text.find("{"):resp.text.rfind("}") + 1])["still_needed"]
            except (ValueError, KeyError, TypeError):
                continue
            if answer is True:
                yes += 1
            elif answer is False:
                no += 1
        return yes / (yes + no) if yes + no else None  # no definite answer: no evidence


@dataclass
class RefineReport:
    edges_before: int = 0
    pruned: list[tuple[str, str]] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)
    interventions: int = 0


def _judge(graph: TaskGraph, rules: RuleSet, estimator: Estimator, a: str, b: str, threshold: float,
           report: RefineReport) -> bool:
    """Estimate the edge's effects, record them on the edge, and say whether it stays."""
    rec = graph.record(a, b)
    rec.interventions.clear()
    base = estimator.p_needs(graph, a, b, None)
    rec.p_holds = base
    if base is None:
        rec.verdict, rec.note, rec.ate = "kept", "B failed with and without A: kept for safety", None
        return True
    best = 0.0
    for change in interventions(rules, graph.subtask(a), graph.subtask(b)):
        p = estimator.p_needs(graph, a, b, change)
        effect = 0.0 if p is None else p
        rec.interventions.append(Intervention(str(change), effect))
        report.interventions += 1
        best = max(best, abs(base - effect))
    rec.ate = best if rec.interventions else base
    keep = rec.ate >= threshold
    rec.verdict = "kept" if keep else "pruned"
    return keep


def refine(graph: TaskGraph, rules: RuleSet, estimator: Estimator, threshold: float = 0.5) -> RefineReport:
    """Prune the edges whose |ATE| is below ``threshold`` under every intervention; record each.

    Every edge is judged in the planned graph first. An edge can look unneeded only because a
    made-up one gave B another way, so the pruned edges into each B are put back together and let go
    of one at a time (latest-listed first), each judged again with what is left.
    """
    report = RefineReport(edges_before=len(graph.edges()))
    pruned = [(a, b) for a, b in sorted(graph.edges())
              if not _judge(graph, rules, estimator, a, b, threshold, report)]
    records = {e: graph.record(*e) for e in pruned}
    for a, b in pruned:
        graph.remove_edge(a, b)
    listed = {n: i for i, n in enumerate(graph.g.nodes)}
    for b in sorted({b for _, b in pruned}, key=listed.__getitem__):
        mine = sorted((e for e in pruned if e[1] == b), key=lambda e: -listed[e[0]])
        for a, _ in mine:  # put them all back, then let go of them one at a time, latest first
            graph.g.add_edge(a, b, record=records[(a, b)])
        for a, _ in mine:
            if _judge(graph, rules, estimator, a, b, threshold, report):
                graph.record(a, b).note = "needed once the made-up edges are gone"
                continue
            graph.pruned_records[(a, b)] = graph.record(a, b)
            graph.remove_edge(a, b)
    report.pruned = sorted(graph.pruned_records)
    report.kept = sorted(graph.edges())
    return report
