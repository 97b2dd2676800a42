"""The Planner: asks an LLM to split a task into subtasks and dependency edges.

The prompt gives the task, the rules relevant to it and the action list, and asks for JSON that a
pydantic schema validates. A plan whose edges loop is reported and its cycle broken, never run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from causalmace.actions import ACTION_TYPES
from causalmace.graph import Subtask, TaskGraph
from causalmace.llm import LLM, LLMRequest
from causalmace.rules import RuleSet
from causalmace.survey import Survey
from causalmace.tasks import BuildGoal, CraftGoal, EscapeGoal, Task

MAX_RULE_LINES = 40


class PlannedSubtask(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    kind: str
    description: str
    target: str
    count: int = 1
    est_duration: float = Field(1.0, ge=0)
    params: dict[str, Any] = Field(default_factory=dict)


class PlannedEdge(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    src: str = Field(alias="from")
    dst: str = Field(alias="to")


class Plan(BaseModel):
    subtasks: list[PlannedSubtask]
    edges: list[PlannedEdge] = Field(default_factory=list)


class PlanError(RuntimeError):
    pass


@dataclass
class PlanReport:
    attempts: int = 0
    cycles: list[list[str]] = field(default_factory=list)
    dropped_edges: list[tuple[str, str]] = field(default_factory=list)


def _goal_items(task: Task) -> list[str]:
    g = task.goal
    if isinstance(g, CraftGoal):
        return [g.item, *(c.name for c in g.checkpoints)]
    if isinstance(g, BuildGoal):
        return sorted({n for n, _ in g.target.values()}) + ["support"]
    if isinstance(g, EscapeGoal):
        return ["exit"]
    return []


def rules_text(task: Task, rules: RuleSet) -> str:
    lines: list[str] = []
    items = set(_goal_items(task))
    for ref in rules.relevant(items):
        if ref.kind == "recipe" and ref.key not in items:
            continue
        if ref.kind == "recipe":
            r = rules.recipes[ref.key][ref.index]
            ins = ", ".join(f"{c} {n}" for n, c in r.inputs)
            lines.append(f"craft {r.count} {r.output} from {ins}" + (f" at a {r.station}" if r.station else ""))
        elif ref.kind == "smelt":
            lines.append(f"smelt {ref.key} into {rules.smelting[ref.key].output} in a furnace, burning fuel")
        elif ref.kind == "dig":
            lines.append(f"mining {ref.key} needs one of {sorted(rules.digging[ref.key].tools or [])}")
        elif ref.kind == "use":
            item, ent = ref.key.split("@")
            lines.append(f"use {item} on {ent} gives {rules.uses[(item, ent)].gives}")
        elif ref.kind == "support":
            lines.append("a block is placed against a neighbouring block or the ground")
    for t in rules.triggers:
        conds = " and ".join(f"{c.block} at {c.pos} {c.state}" for c in t.conditions)
        lines.append(f"{t.id} opens when {conds} (within {t.wait_interval:g} s)")
    return "\n".join(lines[:MAX_RULE_LINES])


def prompt(task: Task, rules: RuleSet, survey: Survey) -> list[dict[str, str]]:
    actions = "\n".join(f"- {a.model_fields['name'].default}: {(a.__doc__ or '').strip()}" for a in ACTION_TYPES)
    world = (f"Containers: {[(p, n, dict(i)) for p, n, i, _ in survey.containers]}\n"
             f"Blocks: { {k: len(v) for k, v in survey.blocks.items()} }\n"
             f"Creatures: {sorted({n for n, _ in survey.creatures})}")
    schema = json.dumps(Plan.model_json_schema())
    return [
        {"role": "system", "content": "You plan for a team of Minecraft agents. Split the task into subtasks "
                                      "that one agent can do, and list which subtask must finish before "
                                      "which. Answer with JSON only."},
        {"role": "user", "content": f"Task {task.id}: {task.description}\n\nRules:\n{rules_text(task, rules)}\n\n"
                                    f"World:\n{world}\n\nActions:\n{actions}\n\nJSON schema:\n{schema}"},
    ]


def _parse(text: str) -> Plan:
    start, end = text.find("{"), text.rfind("}")
    return Plan.model_validate_json(text[start:end + 1] if start >= 0 else text)


def decompose(task: Task, rules: RuleSet, survey: Survey, llm: LLM, retries: int = 2) -> tuple[TaskGraph,
                                                                                                 PlanReport]:
    """The initial global causal task graph, as the LLM proposes it."""
    report = PlanReport()
    messages = prompt(task, rules, survey)
    plan: Plan | None = None
    for _ in range(retries + 1):
        report.attempts += 1
        resp = llm.complete(LLMRequest(messages, "decompose", Plan.model_json_schema(),
                                       {"task": task, "rules": rules, "survey": survey}))
        try:
            plan = _parse(resp.text)
            break
        except ValidationError as e:
            messages = messages + [{"role": "assistant", "content": resp.text},
                                   {"role": "user", "content": f"That JSON is invalid: {e}. Answer again."}]
    if plan is None:
        raise PlanError(f"no valid plan after {report.attempts} attempts")
    graph = TaskGraph(task.id)
    for s in plan.subtasks:
        graph.add(Subtask(s.id, s.kind, s.description, s.target, s.count, s.est_duration, dict(s.params)))
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
    return graph, report
