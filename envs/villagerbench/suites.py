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
    if data is None:
        raw, source = _shipped(FILES[suite])
    else:
        from causalmace.envs.villagerbench.construction import read_json

        raw, source = read_json(data), str(Path(data))
    tasks = tuple(load_raw(suite, raw, source, n_agents))
    if data is None:
        _LOADED.add((suite, n_agents))
    return tasks


def load_raw(suite: str, raw: Any, source: str, n_agents: int = 1) -> list[Task]:
    """A suite's tasks from its upstream format, already parsed: checked, loaded, checked again."""
    rules = base_rules()
    if suite == "construction":
        from causalmace.envs.villagerbench.construction import load_construction  # each suite's loader when used

        validate.check_construction(raw, source)
        tasks = load_construction(raw, rules, source)
    elif suite == "farming":
        validate.check_farming(raw, source)
        bp, bp_source = _shipped(BLUEPRINTS)
        tasks = load_farming(raw, bp, rules, source, bp_source)
    elif suite == "escape":
        from causalmace.envs.villagerbench.escape import load_escape

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
    """One run by id. A shipped run is read alone, from its own entry of the suite's file, unless the
    whole suite is loaded already: running one task costs one task's parsing, not a hundred."""
    if data is None and suite in SUITES and isinstance(task_id, str) and isinstance(n_agents, int) \
            and not isinstance(n_agents, bool) and 1 <= n_agents <= MAX_AGENTS:
        n = n_agents if suite == "escape" else 1
        if (suite, n) not in _LOADED:
            one = _shipped_task(suite, task_id, n)
            if one is not None:
                return one
    for t in load_tasks(suite, data, n_agents):
        if t.id == task_id:
            return t
    raise UserError(f"no task {task_id!r} in suite {suite}", key="task",
                    expected="an id from 'causalmace tasks list'")


_LOADED: set[tuple[str, int]] = set()  # shipped suites loaded whole, by (suite, team size)


@lru_cache(maxsize=64)
def _shipped_task(suite: str, task_id: str, n_agents: int) -> Task | None:
    """The shipped run ``task_id`` made from its entry alone (None: no such entry; the caller then reads
    the whole suite, which says so). Each entry is read on its own by every loader, so it is the same run."""
    raw, source = _shipped(FILES[suite])
    if suite == "construction":
        if not isinstance(raw, dict) or task_id not in raw:
            return None
        part: Any = {task_id: raw[task_id]}
    elif suite == "farming":
        part = [s for s in raw if isinstance(s, dict) and s.get("name") == task_id] if isinstance(raw, list) else []
        if len(part) != 1:
            return None
    else:
        from causalmace.envs.villagerbench.escape import RUNS, load_escape, run_id

        run = next(((r, s) for r, s in RUNS if run_id(r, s) == task_id), None)
        if run is None:
            return None
        validate.check_escape(raw, source, n_agents)
        tasks = load_escape(raw, base_rules(), source, n_agents, runs=[run])
        if len(tasks) != 1 or not getattr(tasks[0].goal, "rooms", (None,)):
            return None
        return tasks[0]
    tasks = load_raw(suite, part, source, n_agents)
    return tasks[0] if len(tasks) == 1 and tasks[0].id == task_id else None


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


def task_ids(suite: str, agents: int = 1) -> list[str]:
    """The ids of a shipped suite's runs, read off its file without making a run (escape: one per run)."""
    raw, _ = _shipped(FILES[suite])
    if suite == "construction":
        return list(raw)
    if suite == "farming":
        return [s["name"] for s in raw]
    from causalmace.envs.villagerbench.escape import RUNS, run_id

    return [run_id(r, s) for r, s in RUNS]


def _task_ids(suite: str) -> Any:
    def ids(data: str | Path | None = None, agents: int = 1) -> list[str] | None:
        return None if data is not None else task_ids(suite, agents)

    return ids


# each factory also lists its runs, so the CLI finds them through the registry alone
make_construction.tasks = _tasks("construction")  # type: ignore[attr-defined]
make_farming.tasks = _tasks("farming")  # type: ignore[attr-defined]
make_escape.tasks = _tasks("escape")  # type: ignore[attr-defined]
# and the ids alone, which a config's check reads without parsing every run (None: ask ``tasks``)
make_construction.task_ids = _task_ids("construction")  # type: ignore[attr-defined]
make_farming.task_ids = _task_ids("farming")  # type: ignore[attr-defined]
make_escape.task_ids = _task_ids("escape")  # type: ignore[attr-defined]
