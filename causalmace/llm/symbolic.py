"""The offline knowledge model: answers from the game rules, and can imitate an LLM's mistakes.

For ``decompose`` it returns the env's reference plan (handed over in the request's context) with
seeded noise:
``spurious_edges`` adds dependencies between subtasks that are in fact independent (as a fraction
of the true edge count, never closing a cycle) and ``missing_edges`` drops a fraction of the true
ones. Beyond edges, as real plans go wrong: ``missing_subtasks`` leaves a fraction of the subtasks
out (their neighbours joined, so the order holds), ``wrong_counts`` asks for too few of an item in a
fraction of the subtasks that name more than one, and ``made_up_subtasks`` adds that fraction of
subtasks nobody needs (a real subtask done again, between its neighbours). Each kind draws from a
generator of its own, so turning one on leaves the others' draws as they were.

For ``counterfactual`` it answers from the rules tables it is handed (never from a world) and flips
the answer with probability ``answer_flip``. For ``update`` (a controller re-planning the remaining
graph after feedback, as VillagerAgent's task manager does) it answers with the reference plan's
edges among the remaining subtasks, keeping the edges refusals revealed, with the edge noise drawn
afresh. For ``check_goal`` (the goal is not met once every subtask is settled) it answers with the
reference plan's subtasks the graph lacks.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from causalmace import dag
from causalmace.agent import Usage
from causalmace.graph import Subtask, TaskGraph
from causalmace.llm import LLMRequest, LLMResponse, count_tokens
from causalmace.planner.rules_link import needs


@dataclass(frozen=True, slots=True)
class Noise:
    spurious_edges: float = 0.0
    missing_edges: float = 0.0
    answer_flip: float = 0.0
    missing_subtasks: float = 0.0
    wrong_counts: float = 0.0
    made_up_subtasks: float = 0.0


def add_noise(graph: TaskGraph, noise: Noise, rng: random.Random) -> tuple[TaskGraph, set, set]:
    """The graph with spurious edges added and true ones dropped; returns (graph, spurious, missing)."""
    g = graph.copy()
    true_edges = sorted(g.edges())
    closure = dag.transitive_closure_dag(graph.g)
    nodes = sorted(g.g.nodes)
    n_spur = round(noise.spurious_edges * len(true_edges))
    candidates = [(a, b) for a in nodes for b in nodes
                  if a != b and not closure.has_edge(a, b) and not closure.has_edge(b, a)]
    rng.shuffle(candidates)
    spurious: set[tuple[str, str]] = set()
    for a, b in candidates:
        if len(spurious) >= n_spur:
            break
        if dag.has_path(g.g, b, a):
            continue
        g.add_edge(a, b)
        spurious.add((a, b))
    k = round(noise.missing_edges * len(true_edges))
    missing = set(rng.sample(true_edges, k)) if k else set()
    for a, b in missing:
        g.remove_edge(a, b)
    for a, b in g.edges():
        g.record(a, b).origin = "planner"
    return g, spurious, missing


def add_subtask_noise(graph: TaskGraph, noise: Noise, seed: int) -> TaskGraph:
    """Missing, miscounted and made-up subtasks, each kind from its own seeded generator."""
    g = graph.copy()
    nodes = sorted(g.g.nodes)
    rng = random.Random(f"{seed}/missing_subtasks")
    for sid in sorted(rng.sample(nodes, min(len(nodes), round(noise.missing_subtasks * len(nodes))))):
        preds, succs = g.preds(sid), g.succs(sid)
        g.g.remove_node(sid)
        for a in preds:  # the neighbours keep their order
            for b in succs:
                if not g.g.has_edge(a, b):
                    g.add_edge(a, b, origin="planner")
    rng = random.Random(f"{seed}/wrong_counts")
    counted = [sid for sid in sorted(g.g.nodes) if g.subtask(sid).count > 1]
    k = min(len(counted), round(noise.wrong_counts * len(counted)))
    for sid in sorted(rng.sample(counted, k)):
        st = g.subtask(sid)
        g.add(Subtask(st.id, st.kind, st.description, st.target, rng.randint(1, st.count - 1), st.est_duration,
                      dict(st.params), dict(st.check), st.produces, st.consumes))
    rng = random.Random(f"{seed}/made_up_subtasks")
    real = sorted(g.g.nodes)
    for i in range(round(noise.made_up_subtasks * len(real))):
        tpl = g.subtask(rng.choice(real))
        sid = f"extra_{i + 1}"
        g.add(Subtask(sid, tpl.kind, f"{tpl.description} (once more)", tpl.target, tpl.count, tpl.est_duration,
                      dict(tpl.params), dict(tpl.check), tpl.produces, tpl.consumes))
        for a in g.preds(tpl.id):
            g.add_edge(a, sid, origin="planner")
        succs = sorted(g.succs(tpl.id))
        if succs:
            g.add_edge(sid, rng.choice(succs), origin="planner")
    return g


def update_answer(truth: TaskGraph, remaining: list[str], keep: list[tuple[str, str]], current: list[tuple[str, str]],
                  noise: Noise, rng: random.Random) -> list[tuple[str, str]]:
    """The edges among ``remaining`` a re-planning model gives: the true ones, with the edge noise drawn
    afresh; edges refusals revealed (``keep``) stay, and a subtask the rules do not know keeps its edges."""
    rem = set(remaining)
    known = [n for n in remaining if n in truth.g]
    sub = TaskGraph(truth.task_id)
    for n in known:
        sub.add(truth.subtask(n))
    for a, b in truth.edges():
        if a in sub.g and b in sub.g:
            sub.add_edge(a, b, origin="truth")
    noisy, _, _ = add_noise(sub, Noise(noise.spurious_edges, noise.missing_edges), rng)
    edges = set(noisy.edges()) | {e for e in keep if e[0] in rem and e[1] in rem}
    edges |= {(a, b) for a, b in current if a in rem and b in rem and (a not in truth.g or b not in truth.g)}
    return sorted(edges)


class SymbolicLLM:
    def __init__(self, noise: Noise | None = None, seed: int = 0) -> None:
        self.noise = noise or Noise()
        self.seed = seed
        self.rng = random.Random(seed)
        self.update_rng = random.Random(f"{seed}/update")
        self.usage = Usage()

    def complete(self, request: LLMRequest) -> LLMResponse:
        if request.purpose == "decompose":
            reference = request.context.get("reference")
            if reference is None:
                raise ValueError("the symbolic model plans only for envs that offer a reference plan")
            truth = reference()
            noisy, _, _ = add_noise(truth, self.noise, self.rng)
            noisy = add_subtask_noise(noisy, self.noise, self.seed)
            text = json.dumps(plan_json(noisy))
        elif request.purpose == "update":
            ctx = request.context
            truth = ctx["reference"]()
            edges = update_answer(truth, list(ctx["remaining"]), [tuple(e) for e in ctx.get("keep", [])],
                                  [tuple(e) for e in ctx.get("edges", [])], self.noise, self.update_rng)
            text = json.dumps({"edges": [{"from": a, "to": b} for a, b in edges]})
        elif request.purpose == "check_goal":
            ctx = request.context
            truth = ctx["reference"]()
            have = set(ctx.get("have", []))
            lacking = [n for n in truth.g.nodes if n not in have]
            sub = TaskGraph(truth.task_id)
            for n in lacking:
                sub.add(truth.subtask(n))
            plan = plan_json(sub)
            plan["edges"] = [{"from": a, "to": b} for a, b in truth.edges() if a in sub.g or b in sub.g]
            text = json.dumps(plan)
        elif request.purpose == "counterfactual":
            ctx = request.context
            holds = needs(ctx["rules"], ctx["a"], ctx["b"]) if "rules" in ctx else None
            if holds is not None and self.rng.random() < self.noise.answer_flip:
                holds = not holds
            text = json.dumps({"still_needed": holds})
        elif request.purpose == "assign":  # a controller's choice: the first ready subtask for each agent
            ready = list(request.context.get("ready", []))
            text = json.dumps([{"reason": "ready and first in the plan", "task_id": t, "agent": a}
                               for a, t in zip(request.context.get("agents", []), ready, strict=False)])
        elif request.purpose == "discuss":
            text = json.dumps({"agent": request.context.get("agent"), "say": "I take the next open subtask."})
        else:
            raise ValueError(f"the symbolic model cannot answer {request.purpose!r}")
        usage = Usage(1, sum(count_tokens(m["content"]) for m in request.messages), count_tokens(text))
        self.usage.add(usage)
        return LLMResponse(text, usage)


def plan_json(graph: TaskGraph) -> dict:
    return {
        "subtasks": [{"id": s.id, "kind": s.kind, "description": s.description, "target": s.target,
                      "count": s.count, "est_duration": s.est_duration, "params": s.params,
                      "produces": list(s.produces)}
                     for s in graph.subtasks()],
        "edges": [{"from": a, "to": b} for a, b in graph.edges()],
    }


def make_symbolic(config: dict, *, seed: int = 0) -> SymbolicLLM:
    """The registry's factory: ``config`` is the run config's ``llm`` section as a dict."""
    n = config.get("noise", {}) or {}
    noise = Noise(float(n.get("spurious_edges", 0.0)), float(n.get("missing_edges", 0.0)),
                  float(n.get("answer_flip", 0.0)), float(n.get("missing_subtasks", 0.0)),
                  float(n.get("wrong_counts", 0.0)), float(n.get("made_up_subtasks", 0.0)))
    return SymbolicLLM(noise, seed=int(config.get("seed", 0)) + seed)
