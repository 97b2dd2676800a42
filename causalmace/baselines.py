"""The schedulers of the methods CausalMACE is compared with, behind the same interface.

* ``ready_greedy`` (VillagerAgent): whenever an agent is free, a controller assigns it a ready
  subtask (all predecessors done). With an LLM the controller is one call returning VillagerAgent's
  ``[{reason, task_id, agent}]`` list; the offline model answers with the first ready subtask in plan
  order.
* ``rounds`` (AgentVerse): no dependency graph; each round every agent discusses (one call each) and
  the group decides (one call) one subtask per agent from the flat list; the round ends when all are
  back; a subtask whose preconditions are unmet fails and comes back next round.
* ``single``: one agent does the whole graph in plan order; the others stay idle.
* ``upward_rank`` (list scheduling, HEFT's rank): the ready subtask with the longest remaining path to
  the end goes to the agent that is free first (the loop always asks the earliest agent).
"""

from __future__ import annotations

import json
from collections.abc import Set
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from causalmace.graph import TaskGraph
from causalmace.llm import LLM, LLMRequest


def _ask(llm: LLM | None, purpose: str, prompt: str, context: dict[str, Any]) -> Any:
    if llm is None:
        return None
    resp = llm.complete(LLMRequest([{"role": "user", "content": prompt}], purpose, context=context))
    try:
        return json.loads(resp.text)
    except ValueError:
        return None


@dataclass
class ReadyGreedyScheduler:
    graph: TaskGraph
    llm: LLM | None = None
    order: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.order = {n: i for i, n in enumerate(self.graph.g.nodes)}

    def assign(self, agent: str, ready: Set[str]) -> str | None:
        if not ready:
            return None
        options = sorted(ready, key=self.order.__getitem__)
        prompt = (f"Free agent: {agent}. Ready subtasks: "
                  + "; ".join(f"{s}: {self.graph.subtask(s).description}" for s in options)
                  + ". Answer JSON [{\"reason\": ..., \"task_id\": ..., \"agent\": ...}].")
        answer = _ask(self.llm, "assign", prompt, {"agents": [agent], "ready": options})
        if isinstance(answer, list):
            for item in answer:
                if isinstance(item, dict) and item.get("agent") == agent and item.get("task_id") in ready:
                    return str(item["task_id"])
        return options[0]

    def finished(self, agent: str, subtask: str, ok: bool, settled: bool = False) -> None:
        return None


@dataclass
class RoundsScheduler:
    graph: TaskGraph
    agents: list[str]
    llm: LLM | None = None
    round: int = 0
    plan: dict[str, str] = field(default_factory=dict)  # this round: agent -> subtask
    out: set[str] = field(default_factory=set)  # agents still working this round

    def _new_round(self, ready: Set[str]) -> None:
        self.round += 1
        order = [n for n in self.graph.g.nodes if n in ready]
        for a in self.agents:  # discussion: one call per agent
            _ask(self.llm, "discuss", f"{a}: which subtask should you take? Open: {order}", {"agent": a})
        answer = _ask(self.llm, "assign", f"Assign one subtask to each of {self.agents} from {order}.",
                      {"agents": self.agents, "ready": order})
        self.plan = {}
        if isinstance(answer, list):
            for item in answer:
                if (isinstance(item, dict) and item.get("agent") in self.agents and item.get("task_id") in ready
                        and item["task_id"] not in self.plan.values()):
                    self.plan[str(item["agent"])] = str(item["task_id"])
        free = [s for s in order if s not in self.plan.values()]
        for a in self.agents:
            if a not in self.plan and free:
                self.plan[a] = free.pop(0)
        self.out = set(self.plan)

    def assign(self, agent: str, ready: Set[str]) -> str | None:
        if not self.out:
            if not ready:
                return None
            self._new_round(ready)
        sid = self.plan.pop(agent, None)
        if sid is None:
            return None  # sitting this round out, or already back: wait for the others
        return sid

    def finished(self, agent: str, subtask: str, ok: bool, settled: bool = False) -> None:
        self.out.discard(agent)


@dataclass
class SingleScheduler:
    graph: TaskGraph
    worker: str

    def assign(self, agent: str, ready: Set[str]) -> str | None:
        if agent != self.worker or not ready:
            return None
        order = {n: i for i, n in enumerate(self.graph.topo_order())}
        return min(ready, key=order.__getitem__)

    def finished(self, agent: str, subtask: str, ok: bool, settled: bool = False) -> None:
        return None


@dataclass
class UpwardRankScheduler:
    graph: TaskGraph
    rank: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        g = self.graph.g
        for n in reversed(list(nx.topological_sort(g))):
            own = self.graph.subtask(n).est_duration
            self.rank[n] = own + max((self.rank[s] for s in g.successors(n)), default=0.0)

    def assign(self, agent: str, ready: Set[str]) -> str | None:
        if not ready:
            return None
        return min(ready, key=lambda s: (-self.rank[s], s))

    def finished(self, agent: str, subtask: str, ok: bool, settled: bool = False) -> None:
        return None


def make_ready_greedy(*, graph: TaskGraph, agents: list[str], llm: LLM | None = None,
                      env: Any = None) -> ReadyGreedyScheduler:
    return ReadyGreedyScheduler(graph, llm)


def make_rounds(*, graph: TaskGraph, agents: list[str], llm: LLM | None = None,
                      env: Any = None) -> RoundsScheduler:
    return RoundsScheduler(graph, agents, llm)


def make_single(*, graph: TaskGraph, agents: list[str], llm: LLM | None = None,
                      env: Any = None) -> SingleScheduler:
    return SingleScheduler(graph, agents[0])


def make_upward_rank(*, graph: TaskGraph, agents: list[str], llm: LLM | None = None,
                      env: Any = None) -> UpwardRankScheduler:
    return UpwardRankScheduler(graph)
