"""The schedulers of the methods CausalMACE is compared with, behind the same interface.

* ``ready_greedy`` (VillagerAgent): whenever an agent is free, a controller assigns it a ready
  subtask (all predecessors done). With an LLM the controller is one call returning VillagerAgent's
  ``[{reason, task_id, agent}]`` list; the offline model answers with the first ready subtask in plan
  order. After every subtask's outcome the task manager asks the LLM to update the remaining graph
  given the feedback (VillagerAgent re-decomposes its task graph with the traces of the subtasks
  that succeeded and failed): one call whose answer replaces the edges among the subtasks still to
  do; edges the Judger's refusals revealed are kept.
* ``rounds`` (AgentVerse): no dependency graph; each round every agent discusses (one call each) and
  the group decides (one call) one subtask per agent from the flat list; the round ends when all are
  back; a subtask whose preconditions are unmet fails and comes back next round.
* ``single``: one agent does the whole graph in plan order; the others stay idle.
* ``upward_rank`` (list scheduling, HEFT's rank): the ready subtask with the longest remaining path to
  the end goes to the agent that is free first (the loop always asks the earliest agent).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Set
from dataclasses import dataclass, field
from typing import Any

from causalmace import dag
from causalmace.envs.protocol import Capability, has
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
    reference: Callable[[], TaskGraph] | None = None  # for offline models only, as the planner's
    update: bool = True  # re-plan the remaining graph after each outcome
    updates: dict[str, int] = field(default_factory=lambda: {"calls": 0, "dropped": 0, "added": 0})

    def __post_init__(self) -> None:
        self.order = {n: i for i, n in enumerate(self.graph.g.nodes)}

    def _rank(self, sid: str) -> tuple[int, str]:
        return (self.order.get(sid, len(self.order)), sid)

    def assign(self, agent: str, ready: Set[str]) -> str | None:
        if not ready:
            return None
        options = sorted(ready, key=self._rank)
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

    def replan(self, subtask: str, ok: bool, reason: str, settled: Set[str]) -> list[tuple[str, tuple[str, str]]]:
        """The task manager's update after ``subtask``'s outcome: returns the edge changes ("drop"/"add")."""
        if not self.update or self.llm is None:
            return []
        g = self.graph.g
        remaining = [n for n in g.nodes if n not in settled]
        rem = set(remaining)
        current = [(a, b) for a, b in g.edges if a in rem and b in rem]
        keep = [e for e in current if self.graph.record(*e).origin == "judger"]
        feedback = f"{subtask} {'succeeded' if ok else 'failed: ' + reason}"
        prompt = (f"Feedback: {feedback}. Done or given up: {sorted(settled)}. Remaining subtasks: "
                  + "; ".join(f"{s}: {self.graph.subtask(s).description}" for s in remaining)
                  + f". Their dependencies now: {current}. Update the dependencies among the remaining subtasks. "
                  "Answer JSON {\"edges\": [{\"from\": ..., \"to\": ...}]}.")
        context: dict[str, Any] = {"remaining": remaining, "edges": current, "keep": keep}
        if self.reference is not None:
            context["reference"] = self.reference
        self.updates["calls"] += 1
        answer = _ask(self.llm, "update", prompt, context)
        if not isinstance(answer, dict) or not isinstance(answer.get("edges"), list):
            return []
        new = {(str(e.get("from")), str(e.get("to"))) for e in answer["edges"] if isinstance(e, dict)}
        new = {(a, b) for a, b in new if a in rem and b in rem and a != b}
        changes: list[tuple[str, tuple[str, str]]] = []
        for a, b in current:
            if (a, b) not in new and (a, b) not in keep:
                self.graph.remove_edge(a, b)
                changes.append(("drop", (a, b)))
        for a, b in sorted(new):
            if g.has_edge(a, b) or dag.has_path(g, b, a):
                continue
            self.graph.add_edge(a, b, origin="planner", note=f"re-planned after: {feedback}")
            changes.append(("add", (a, b)))
        self.updates["dropped"] += sum(1 for c, _ in changes if c == "drop")
        self.updates["added"] += sum(1 for c, _ in changes if c == "add")
        return changes


@dataclass
class RoundsScheduler:
    graph: TaskGraph
    agents: list[str]
    llm: LLM | None = None
    round: int = 0
    plan: dict[str, str] = field(default_factory=dict)  # this round: agent -> subtask
    out: set[str] = field(default_factory=set)  # agents still working this round

    def _new_round(self, ready: Set[str], caller: str) -> None:
        """The round's discussion and decision; the agent that asked speaks first, since ``ready`` is
        what is open to it (another may have no way to some of it)."""
        self.round += 1
        order = [n for n in self.graph.g.nodes if n in ready]
        team = [caller, *(a for a in self.agents if a != caller)]
        for a in team:  # discussion: one call per agent
            _ask(self.llm, "discuss", f"{a}: which subtask should you take? Open: {order}", {"agent": a})
        answer = _ask(self.llm, "assign", f"Assign one subtask to each of {team} from {order}.",
                      {"agents": team, "ready": order})
        self.plan = {}
        if isinstance(answer, list):
            for item in answer:
                if (isinstance(item, dict) and item.get("agent") in self.agents and item.get("task_id") in ready
                        and item["task_id"] not in self.plan.values()):
                    self.plan[str(item["agent"])] = str(item["task_id"])
        free = [s for s in order if s not in self.plan.values()]
        for a in team:
            if a not in self.plan and free:
                self.plan[a] = free.pop(0)
        self.out = set(self.plan)

    def assign(self, agent: str, ready: Set[str]) -> str | None:
        if not self.out:
            if not ready:
                return None
            self._new_round(ready, agent)
        sid = self.plan.pop(agent, None)
        if sid is None:
            return None  # sitting this round out, or already back: wait for the others
        if sid not in ready:  # not open to this agent any more (e.g. no way to it from where it stands)
            self.out.discard(agent)
            return None
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
        for n in reversed(list(dag.topological_sort(g))):
            own = self.graph.subtask(n).est_duration
            self.rank[n] = own + max((self.rank[s] for s in g.successors(n)), default=0.0)

    def assign(self, agent: str, ready: Set[str]) -> str | None:
        if not ready:
            return None
        if any(s not in self.rank for s in ready):  # work added during the run: rank the graph anew
            self.rank.clear()
            self.__post_init__()
        return min(ready, key=lambda s: (-self.rank[s], s))

    def finished(self, agent: str, subtask: str, ok: bool, settled: bool = False) -> None:
        return None


def make_ready_greedy(*, graph: TaskGraph, agents: list[str], llm: LLM | None = None,
                      env: Any = None) -> ReadyGreedyScheduler:
    truth = env.reference_plan() if env is not None and has(env, Capability.REFERENCE) else None
    return ReadyGreedyScheduler(graph, llm, reference=(lambda: truth) if truth is not None else None)


def make_rounds(*, graph: TaskGraph, agents: list[str], llm: LLM | None = None,
                      env: Any = None) -> RoundsScheduler:
    return RoundsScheduler(graph, agents, llm)


def make_single(*, graph: TaskGraph, agents: list[str], llm: LLM | None = None,
                      env: Any = None) -> SingleScheduler:
    return SingleScheduler(graph, agents[0])


def make_upward_rank(*, graph: TaskGraph, agents: list[str], llm: LLM | None = None,
                      env: Any = None) -> UpwardRankScheduler:
    return UpwardRankScheduler(graph)
