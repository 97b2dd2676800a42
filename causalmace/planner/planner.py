"""The Planner: asks an LLM to split a task into subtasks and dependency edges.

The prompt is built from the env alone (its rules in words, what the team sees, its action specs),
so the core names no game. The answer is JSON that a pydantic schema validates; a plan whose edges
loop is reported and its cycle broken, never run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from causalmace.actions import spec_name
from causalmace.graph import Subtask, TaskGraph
from causalmace.llm import LLM, LLMRequest
from causalmace.llm.errors import LLMError


class PlannedSubtask(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    kind: str
    description: str
    target: str
    count: int = 1
    est_duration: float = Field(1.0, ge=0)
    params: dict[str, Any] = Field(default_factory=dict)
    produces: list[str] = Field(default_factory=list)


class PlannedEdge(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    src: str = Field(alias="from")
    dst: str = Field(alias="to")


class Plan(BaseModel):
    subtasks: list[PlannedSubtask]
    edges: list[PlannedEdge] = Field(default_factory=list)


@lru_cache(maxsize=1)
def plan_schema() -> dict[str, Any]:
    return Plan.model_json_schema()


@dataclass
class PlanReport:
    attempts: int = 0
    cycles: list[list[str]] = field(default_factory=list)
    dropped_edges: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""  # why no valid plan came back: the episode then has nothing to do


SYSTEM = ("You plan for a team of agents in a shared world. Split the task into subtasks that one agent "
          "can do, and list which subtask must finish before which. Answer with JSON only.")


def prompt(env: Any) -> list[dict[str, str]]:
    actions = "\n".join(f"- {spec_name(a)}: {(a.__doc__ or '').strip()}" for a in env.action_specs())
    task = env.task
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Task {task.id}: {task.description}\n\nRules:\n{env.rules_text()}\n\n"
                                    f"World:\n{env.world_text()}\n\nActions:\n{actions}\n\n"
                                    f"JSON schema:\n{json.dumps(plan_schema())}"},
    ]


def _parse(text: str) -> Plan:
    start, end = text.find("{"), text.rfind("}")
    return Plan.model_validate_json(text[start:end + 1] if start >= 0 else text)


def decompose(env: Any, llm: LLM, reference: Callable[[], TaskGraph] | None = None,
              retries: int = 2) -> tuple[TaskGraph, PlanReport]:
    """The initial global causal task graph, as the LLM proposes it.

    ``reference`` (the env's correct plan, where it has one) is handed to offline models only, in the
    request's ``context``; a real LLM sees the prompt alone.
    """
    report = PlanReport()
    messages = prompt(env)
    plan: Plan | None = None
    context: dict[str, Any] = {"task": env.task.id}
    if reference is not None:
        context["reference"] = reference
    for _ in range(retries + 1):
        report.attempts += 1
        try:
            resp = llm.complete(LLMRequest(messages, "decompose", plan_schema(), context))
        except LLMError as e:  # the provider gave up (transport, or output it could not repair)
            report.error = str(e)
            continue
        try:
            plan = _parse(resp.text)
            break
        except ValidationError as e:
            report.error = f"invalid plan: {e.error_count()} errors"
            messages = messages + [{"role": "assistant", "content": resp.text},
                                   {"role": "user", "content": f"That JSON is invalid: {e}. Answer again."}]
    if plan is None:
        report.error = f"no valid plan after {report.attempts} attempts: {report.error}"
        return TaskGraph(env.task.id), report
    report.error = ""
    return build_graph(env.task.id, plan, report), report


def build_graph(task_id: str, plan: Plan, report: PlanReport) -> TaskGraph:
    graph = TaskGraph(task_id)
    for s in plan.subtasks:
        if s.id in graph.g:
            continue
        graph.add(Subtask(s.id, s.kind, s.description, s.target, s.count, s.est_duration, dict(s.params),
                          produces=tuple(s.produces)))
    for e in plan.edges:
        if e.src in graph.g and e.dst in graph.g and e.src != e.dst:
            graph.add_edge(e.src, e.dst, origin="planner")
        else:
            report.dropped_edges.append((e.src, e.dst))
    while (cycle := graph.find_cycle()) is not None:
        report.cycles.append([a for a, _ in cycle])
        a, b = cycle[-1]
        graph.remove_edge(a, b)
        report.dropped_edges.append((a, b))
    return graph
