"""The offline knowledge model: answers from the game rules, and can imitate an LLM's mistakes.

For ``decompose`` it returns the env's reference plan (handed over in the request's context) with
seeded noise:
``spurious_edges`` adds dependencies between subtasks that are in fact independent (as a fraction
of the true edge count, never closing a cycle) and ``missing_edges`` drops a fraction of the true
ones. For ``counterfactual`` it answers from the rules tables it is handed (never from a world) and
flips the answer with probability ``answer_flip``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import networkx as nx

from causalmace.agent import Usage
from causalmace.graph import TaskGraph
from causalmace.llm import LLMRequest, LLMResponse, count_tokens
from causalmace.planner.rules_link import needs


@dataclass(frozen=True, slots=True)
class Noise:
    spurious_edges: float = 0.0
    missing_edges: float = 0.0
    answer_flip: float = 0.0


def add_noise(graph: TaskGraph, noise: Noise, rng: random.Random) -> tuple[TaskGraph, set, set]:
    """The graph with spurious edges added and true ones dropped; returns (graph, spurious, missing)."""
    g = graph.copy()
    true_edges = sorted(g.edges())
    closure = nx.transitive_closure_dag(graph.g)
    nodes = sorted(g.g.nodes)
    n_spur = round(noise.spurious_edges * len(true_edges))
    candidates = [(a, b) for a in nodes for b in nodes
                  if a != b and not closure.has_edge(a, b) and not closure.has_edge(b, a)]
    rng.shuffle(candidates)
    spurious: set[tuple[str, str]] = set()
    for a, b in candidates:
        if len(spurious) >= n_spur:
            break
        if nx.has_path(g.g, b, a):
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


class SymbolicLLM:
    def __init__(self, noise: Noise | None = None, seed: int = 0) -> None:
        self.noise = noise or Noise()
        self.rng = random.Random(seed)
        self.usage = Usage()

    def complete(self, request: LLMRequest) -> LLMResponse:
        if request.purpose == "decompose":
            reference = request.context.get("reference")
            if reference is None:
                raise ValueError("the symbolic model plans only for envs that offer a reference plan")
            truth = reference()
            noisy, _, _ = add_noise(truth, self.noise, self.rng)
            text = json.dumps(plan_json(noisy))
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
                  float(n.get("answer_flip", 0.0)))
    return SymbolicLLM(noise, seed=int(config.get("seed", 0)) + seed)
