"""The Planner: asks an LLM to split a task into subtasks and dependency edges.

The prompt is built from the env alone (its rules in words, what the team sees, its action specs),
so the core names no game. The answer is JSON that a pydantic schema validates; a plan whose edges
loop is reported and its cycle broken, never run. The JSON schema sent with the request is built per
env from the vocabulary it has: subtask kinds are an enum when the env's default agent declares the
kinds it knows (its ``kinds`` attribute), so a constrained decoder cannot invent one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from causalmace import dag, registry
from causalmace.actions import spec_name
from causalmace.errors import UserError
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


_TEXT: dict[str, Any] = {"type": "string"}


@lru_cache(maxsize=64)
def _schema(env_id: str, kinds: tuple[str, ...] | None) -> dict[str, Any]:
    """The plan schema as sent: inline (no ``$ref``), closed objects, the kinds as an enum where known.

    Small on purpose: llama.cpp turns it into a grammar, and every open string or object there is a
    place a weak model can ramble. Ids and edge ends stay free strings (the ids are the model's own).
    """
    kind = {"type": "string", "enum": list(kinds)} if kinds else _TEXT
    subtask = {"type": "object", "properties": {
        "id": _TEXT, "kind": kind, "description": _TEXT, "target": _TEXT, "count": {"type": "integer"},
        "est_duration": {"type": "number", "minimum": 0}, "params": {"type": "object"},
        "produces": {"type": "array", "items": _TEXT},
    }, "required": ["id", "kind", "description", "target"], "additionalProperties": False}
    edge = {"type": "object", "properties": {"from": _TEXT, "to": _TEXT}, "required": ["from", "to"],
            "additionalProperties": False}
    return {"type": "object", "properties": {"subtasks": {"type": "array", "items": subtask, "minItems": 1},
                                             "edges": {"type": "array", "items": edge}},
            "required": ["subtasks", "edges"], "additionalProperties": False}


def agent_kinds(env: Any) -> tuple[str, ...] | None:
    """The subtask kinds the env's default agent declares, or None where it declares none."""
    name = getattr(env, "default_agent", None)
    if not name:
        return None
    try:
        kinds = getattr(registry.agent_factory(name), "kinds", None)
    except UserError:  # an agent that is not installed declares nothing
        return None
    return tuple(str(k) for k in kinds) if kinds else None


def plan_schema(env: Any = None) -> dict[str, Any]:
    """The JSON schema of a plan for ``env`` (cached per env id and kinds); without an env, kinds are free."""
    if env is None:
        return _schema("", None)
    return _schema(str(getattr(env, "env_id", "")), agent_kinds(env))


@dataclass
class PlanReport:
    attempts: int = 0
    cycles: list[list[str]] = field(default_factory=list)
    dropped_edges: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""  # why no valid plan came back: the episode then has nothing to do


SYSTEM = ("You plan for a team of agents in a shared world. Split the task into subtasks that one agent "
          "can do, and list which subtask must finish before which. Answer with JSON only.")


def prompt(env: Any, schema: dict[str, Any] | None = None) -> list[dict[str, str]]:
    schema = schema if schema is not None else plan_schema(env)
    actions = "\n".join(f"- {spec_name(a)}: {(a.__doc__ or '').strip()}" for a in env.action_specs())
    task = env.task
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Task {task.id}: {task.description}\n\nRules:\n{env.rules_text()}\n\n"
                                    f"World:\n{env.world_text()}\n\nActions:\n{actions}\n\n"
                                    f"JSON schema:\n{json.dumps(schema, separators=(',', ':'))}"},
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
    schema = plan_schema(env)
    messages = prompt(env, schema)
    plan: Plan | None = None
    context: dict[str, Any] = {"task": env.task.id}
    if reference is not None:
        context["reference"] = reference
    for _ in range(retries + 1):
        report.attempts += 1
        try:
            resp = llm.complete(LLMRequest(messages, "decompose", schema, context))
        except LLMError as e:  # the provider gave up (transport, or output it could not repair)
            report.error = str(e)
            if e.kind == "invalid_output":  # the same request would get the same answer from a deterministic model
                why = e.attempts[-1].detail if e.attempts else "it did not fit the schema"
                messages = messages + [{"role": "user", "content": f"Your last answer could not be used ({why}). "
                                        "Answer again with a shorter plan: fewer subtasks, short strings, JSON only."}]
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


def check_goal(env: Any, llm: LLM, graph: TaskGraph, settled: set[str], use_edges: bool = True,
               reference: Callable[[], TaskGraph] | None = None) -> list[str]:
    """Every subtask is settled but the goal is not met: ask what work the plan lacks, and add it.

    The question names the goal (``task.goal.wants()``), the score so far and the subtasks already in
    the graph; the answer is a plan of the subtasks still needed. New ids are added with their edges
    (where the method keeps a graph); returns them. A plan that left a subtask out is noticed here.
    """
    score = env.score()
    wants = ", ".join(str(w) for w in env.task.goal.wants())
    have = "; ".join(f"{s.id}: {s.description}" + (" (done)" if s.id in settled else "") for s in graph.subtasks())
    messages = [{"role": "system", "content": SYSTEM},
                {"role": "user", "content": f"Task {env.task.id}: {env.task.description}\nThe goal asks for: {wants}. "
                 f"Every planned subtask has been tried, yet the goal is not met (score {score.detail}). "
                 f"Planned: {have}.\nAnswer with JSON: the subtasks still needed (new ids) and their edges."}]
    context: dict[str, Any] = {"task": env.task.id, "have": sorted(graph.g.nodes)}
    if reference is not None:
        context["reference"] = reference
    try:
        plan = _parse(llm.complete(LLMRequest(messages, "check_goal", plan_schema(env), context)).text)
    except (LLMError, ValidationError, ValueError):
        return []
    added: list[str] = []
    for s in plan.subtasks:
        if s.id in graph.g:
            continue
        graph.add(Subtask(s.id, s.kind, s.description, s.target, s.count, s.est_duration, dict(s.params),
                          produces=tuple(s.produces)))
        added.append(s.id)
    if use_edges:
        for e in plan.edges:
            if (e.src in added or e.dst in added) and e.src in graph.g and e.dst in graph.g and e.src != e.dst \
                    and not graph.g.has_edge(e.src, e.dst) and not dag.has_path(graph.g, e.dst, e.src):
                graph.add_edge(e.src, e.dst, origin="planner", note="added when the goal was checked")
    return added
