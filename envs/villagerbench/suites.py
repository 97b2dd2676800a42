"""VillagerBench suites: read the shipped data (or a user's file), list runs and make envs.

A user's file is checked (:mod:`causalmace.envs.villagerbench.validate`) before a loader reads it, and
what the loaders make is checked too: at least one task, each id once, every escape run with a room.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from causalmace.envs.craftworld.env import CraftWorldEnv
from causalmace.envs.craftworld.rules_data import base_rules
from causalmace.envs.villagerbench import validate
from causalmace.envs.villagerbench.construction import load_construction, read_json
from causalmace.envs.villagerbench.escape import load_escape
from causalmace.envs.villagerbench.farming import load_farming
from causalmace.envs.villagerbench.reference import decompose
from causalmace.errors import UserError
from causalmace.limits import MAX_AGENTS
from causalmace.rules import RuleSet
from causalmace.tasks import Task

SUITES = ("construction", "farming", "escape")
ENV_IDS = {
    "construction": "craftworld/VillagerBench-Construction-v0",
    "farming": "craftworld/VillagerBench-Farming-v0",
    "escape": "craftworld/VillagerBench-Escape-v0",
}
FILES = {
    "construction": "construction/blueprint_description_all.json",
    "farming": "farming/farm_setting.json",
    "escape": "escape_room/escape_atom.json",
}
BLUEPRINTS = "farming/farm_blue_print.json"


def _shipped(rel: str) -> tuple[Any, str]:
    res = resources.files("causalmace.envs.villagerbench").joinpath("data", rel)
    return json.loads(res.read_text("utf-8")), f"villagerbench/{rel}"


@lru_cache(maxsize=32)
def _load(suite: str, data: str | None, n_agents: int) -> tuple[Task, ...]:
    raw, source = (_shipped(FILES[suite]) if data is None else (read_json(data), str(Path(data))))
    return tuple(load_raw(suite, raw, source, n_agents))


def load_raw(suite: str, raw: Any, source: str, n_agents: int = 1) -> list[Task]:
    """A suite's tasks from its upstream format, already parsed: checked, loaded, checked again."""
    rules = base_rules()
    if suite == "construction":
        validate.check_construction(raw, source)
        tasks = load_construction(raw, rules, source)
    elif suite == "farming":
        validate.check_farming(raw, source)
        bp, bp_source = _shipped(BLUEPRINTS)
        tasks = load_farming(raw, bp, rules, source, bp_source)
    elif suite == "escape":
        validate.check_escape(raw, source, n_agents)
        tasks = load_escape(raw, rules, source, n_agents)
        empty = [t.id for t in tasks if not getattr(t.goal, "rooms", (None,))]
        if empty:
            raise UserError(f"run {empty[0]} has no room a team of {n_agents} can play", file=source,
                            key="min_player", expected="atoms a team of this size can play")
    else:
        raise UserError(f"unknown suite {suite!r}", key="suite", expected=" or ".join(SUITES))
    if not tasks:
        raise UserError("no tasks", file=source, expected=f"at least one {suite} task")
    validate.unique((t.id for t in tasks), source)
    return tasks


def load_tasks(suite: str, data: str | Path | None = None, n_agents: int = 1) -> list[Task]:
    """All runs of a suite. Escape runs depend on the team size (``min_player``, per-player items)."""
    if suite not in SUITES:
        raise UserError(f"unknown suite {suite!r}", key="suite", expected=" or ".join(SUITES))
    if isinstance(n_agents, bool) or not isinstance(n_agents, int) or not 1 <= n_agents <= MAX_AGENTS:
        raise UserError(f"bad team size {n_agents!r}", key="agents", expected=f"1 to {MAX_AGENTS} agents")
    return list(_load(suite, None if data is None else str(data), n_agents if suite == "escape" else 1))


def get_task(suite: str, task_id: str, n_agents: int = 1, data: str | Path | None = None) -> Task:
    for t in load_tasks(suite, data, n_agents):
        if t.id == task_id:
            return t
    raise UserError(f"no task {task_id!r} in suite {suite}", key="task",
                    expected="an id from 'causalmace tasks list'")


def rules_for(task: Task, rules: RuleSet | None = None) -> RuleSet:
    rules = rules or base_rules()
    triggers = getattr(task.world, "triggers", ())
    return replace(rules, triggers=tuple(triggers)) if triggers else rules


def _make(suite: str, task: str | Task | None = None, agents: int = 1, think_time: float = 0.0,
          data: str | None = None) -> CraftWorldEnv:
    """The protocol's factory: ``task`` and ``agents``, then options (``think_time`` seconds an agent
    spends on each decision, ``data`` a task file of the suite's upstream format)."""
    if task is None:
        t = load_tasks(suite, data, agents)[0]
    elif isinstance(task, str):
        t = get_task(suite, task, agents, data)
    else:
        t = task
    return CraftWorldEnv(t, rules_for(t), n_agents=agents, think_time=think_time, env_id=ENV_IDS[suite],
                         reference=decompose)


def make_construction(**kwargs: Any) -> CraftWorldEnv:
    return _make("construction", **kwargs)


def make_farming(**kwargs: Any) -> CraftWorldEnv:
    return _make("farming", **kwargs)


def make_escape(**kwargs: Any) -> CraftWorldEnv:
    return _make("escape", **kwargs)


def _tasks(suite: str) -> Any:
    def tasks(data: str | Path | None = None, agents: int = 1) -> list[Task]:
        return load_tasks(suite, data, agents)

    return tasks


# each factory also lists its runs, so the CLI finds them through the registry alone
make_construction.tasks = _tasks("construction")  # type: ignore[attr-defined]
make_farming.tasks = _tasks("farming")  # type: ignore[attr-defined]
make_escape.tasks = _tasks("escape")  # type: ignore[attr-defined]
