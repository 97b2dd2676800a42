"""One registry of kinds, Gymnasium-style: envs, agents, schedulers and LLM providers.

Built-ins are lazy ``"module:attr"`` strings, so importing the registry never imports a simulator.
Other installed packages add their own through the entry-point groups ``causalmace.envs``,
``causalmace.agents``, ``causalmace.schedulers`` and ``causalmace.llms`` without touching this
repository. Each kind has one constructor signature:

* env: ``factory(*, task, agents, **options) -> Env`` (see :mod:`causalmace.envs.protocol`)
* agent: ``factory(*, agent_name, **options) -> AgentPolicy``
* scheduler: ``factory(*, graph, agents, llm, env) -> Scheduler`` (``env`` to read agents' positions)
* llm: ``factory(config: dict, *, seed: int) -> LLM``

Installed entry points are read once per process and cached; :func:`refresh` reads them again.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Literal

from causalmace.errors import UserError

Kind = Literal["env", "agent", "scheduler", "llm"]
EntryPoint = str | Callable[..., Any]

ENV_GROUP = "causalmace.envs"
AGENT_GROUP = "causalmace.agents"
SCHEDULER_GROUP = "causalmace.schedulers"
LLM_GROUP = "causalmace.llms"
ENV_ID = re.compile(r"^[\w.:-]+/[\w.:-]+-v\d+$")

BUILTIN_ENVS: dict[str, str] = {
    "craftworld/VillagerBench-Construction-v0": "causalmace.envs.villagerbench.suites:make_construction",
    "craftworld/VillagerBench-Farming-v0": "causalmace.envs.villagerbench.suites:make_farming",
    "craftworld/VillagerBench-Escape-v0": "causalmace.envs.villagerbench.suites:make_escape",
    "minecraft/VillagerBench-Construction-v0": "causalmace.envs.minecraft.suites:make_construction",
    "minecraft/VillagerBench-Farming-v0": "causalmace.envs.minecraft.suites:make_farming",
    "minecraft/VillagerBench-Escape-v0": "causalmace.envs.minecraft.suites:make_escape",
}
BUILTIN_AGENTS: dict[str, str] = {
    "scripted": "causalmace.agents.scripted:ScriptedSkillAgent",
    "llm": "causalmace.agents.llm:LLMAgent",
}
BUILTIN_SCHEDULERS: dict[str, str] = {
    "busy_rate": "causalmace.scheduler:make_busy_rate",
    "ready_greedy": "causalmace.baselines:make_ready_greedy",
    "rounds": "causalmace.baselines:make_rounds",
    "single": "causalmace.baselines:make_single",
    "upward_rank": "causalmace.baselines:make_upward_rank",
    "measured_rank": "causalmace.measured_rank:make_measured_rank",
}
BUILTIN_LLMS: dict[str, str] = {
    "symbolic": "causalmace.llm.symbolic:make_symbolic",
    "openai": "causalmace.llm.factory:make_openai",
    "local": "causalmace.llm.factory:make_local",
    "replay": "causalmace.llm.factory:make_replay",
}

_registered: dict[Kind, dict[str, EntryPoint]] = {"env": {}, "agent": {}, "scheduler": {}, "llm": {}}
_GROUPS: dict[Kind, str] = {"env": ENV_GROUP, "agent": AGENT_GROUP, "scheduler": SCHEDULER_GROUP,
                            "llm": LLM_GROUP}
_BUILTINS: dict[Kind, dict[str, str]] = {"env": BUILTIN_ENVS, "agent": BUILTIN_AGENTS,
                                         "scheduler": BUILTIN_SCHEDULERS, "llm": BUILTIN_LLMS}
LABELS: dict[Kind, str] = {"env": "env id", "agent": "agent", "scheduler": "scheduler", "llm": "LLM provider"}
KEYS: dict[Kind, str] = {"env": "env", "agent": "workers.agent", "scheduler": "scheduler.type",
                         "llm": "llm.provider"}


@cache
def _every_entry_point() -> Any:
    """All installed entry points: one scan of the installed packages serves every group."""
    return entry_points()


def installed(group: str) -> Any:
    """The installed entry points of a group (``EntryPoints``), read once per process."""
    return _every_entry_point().select(group=group)


def _read_installed(group: str, eps: Any = None) -> tuple[tuple[str, str, str], ...]:
    """(name, value, origin) of the installed entry points of a group, from ``eps`` or read now."""
    out = []
    for ep in entry_points(group=group) if eps is None else eps:
        dist = getattr(ep, "dist", None)
        origin = f"package {dist.name!r}" if dist is not None else f"entry-point group {group}"
        out.append((ep.name, ep.value, origin))
    return tuple(out)


@cache
def _installed(group: str) -> tuple[tuple[str, str, str], ...]:
    """(name, value, origin) of the installed entry points of a group, read once per process."""
    return _read_installed(group, installed(group))


def refresh() -> None:
    """Read installed entry points again (after installing a plugin while the program runs)."""
    _every_entry_point.cache_clear()
    _installed.cache_clear()


def _target(ep: EntryPoint) -> str:
    """A callable's ``module:qualname``, so duplicates compare equal whichever way they were given."""
    if isinstance(ep, str):
        return ep
    return f"{getattr(ep, '__module__', '?')}:{getattr(ep, '__qualname__', repr(ep))}"


def _check_env_id(env_id: str, origin: str) -> None:
    if not ENV_ID.match(env_id):
        raise UserError(f"env id {env_id!r} from {origin} is malformed", key="env_id",
                        expected="namespace/Name-vN, e.g. craftworld/VillagerBench-Farming-v0")


def _check_target(name: str, target: str, origin: str) -> None:
    module, _, attr = target.partition(":")
    if not module or not attr:
        raise UserError(f"entry point {target!r} for {name!r} from {origin} is malformed",
                        expected="'package.module:attribute'")


def _add(table: dict[str, EntryPoint], name: str, ep: EntryPoint, origin: str) -> None:
    if name in table:
        if _target(table[name]) == _target(ep):
            return
        raise UserError(f"{name!r} from {origin} points to {_target(ep)}, but it is already registered "
                        f"as {_target(table[name])}", expected="a unique id per target")
    table[name] = ep


def _table(kind: Kind) -> dict[str, EntryPoint]:
    """Built-ins, then explicit registrations, then installed entry points, checked for clashes."""
    table: dict[str, EntryPoint] = dict(_BUILTINS[kind])
    for name, ep in _registered[kind].items():
        table[name] = ep  # register_* already checked these against the rest
    for name, value, origin in _installed(_GROUPS[kind]):
        if kind == "env":
            _check_env_id(name, origin)
        _check_target(name, value, origin)
        _add(table, name, value, origin)
    return table


def _register(kind: Kind, name: str, entry_point: EntryPoint, override: bool) -> None:
    if kind == "env":
        _check_env_id(name, "register_env")
    if isinstance(entry_point, str):
        _check_target(name, entry_point, f"register_{kind}")
    if not override:
        known = _table(kind)
        if name in known and _target(known[name]) != _target(entry_point):
            raise UserError(f"{kind} {name!r} is already registered as {_target(known[name])}",
                            expected="a new id, or override=True")
    _registered[kind][name] = entry_point


def register_env(env_id: str, entry_point: EntryPoint, *, override: bool = False) -> None:
    """Add an env factory at run time, e.g. in a notebook; packages should use entry points."""
    _register("env", env_id, entry_point, override)


def register_agent(name: str, entry_point: EntryPoint, *, override: bool = False) -> None:
    _register("agent", name, entry_point, override)


def register(kind: Kind, name: str, entry_point: EntryPoint, *, override: bool = False) -> None:
    _register(kind, name, entry_point, override)


def names(kind: Kind) -> list[str]:
    return sorted(_table(kind))


def env_ids() -> list[str]:
    return names("env")


def agent_names() -> list[str]:
    return names("agent")


def _lookup(kind: Kind, name: str) -> EntryPoint:
    """A name registered here or built in is found without reading the installed packages.

    That read scans every installed package's metadata, a few milliseconds of a short run; a plugin that
    reuses a built-in name is still refused, by every listing and by the lookup of any other name.
    """
    if name in _registered[kind]:
        return _registered[kind][name]
    if name in _BUILTINS[kind]:
        return _BUILTINS[kind][name]
    table = _table(kind)
    if name not in table:
        raise UserError(f"unknown {LABELS[kind]} {name!r}; known: {', '.join(sorted(table)) or 'none'}",
                        key=KEYS[kind])
    return table[name]


def _load(name: str, ep: EntryPoint) -> Callable[..., Any]:
    """Import the target only now; a missing plugin module is the user's to fix, not a crash."""
    if not isinstance(ep, str):
        return ep
    module_name, _, attr = ep.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name is None or not (module_name == e.name or module_name.startswith(e.name + ".")):
            raise
        raise UserError(f"cannot load {name!r}: module {module_name!r} is not installed",
                        expected="the package providing it to be installed") from e
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as e:
            raise UserError(f"cannot load {name!r}: {module_name!r} has no attribute {attr!r}") from e
    if not callable(obj):
        raise UserError(f"cannot load {name!r}: {ep} is not callable")
    return obj


def env_spec(env_id: str) -> str:
    return _target(_lookup("env", env_id))


def agent_spec(name: str) -> str:
    return _target(_lookup("agent", name))


def make(env_id: str, **kwargs: Any) -> Any:
    """Build an env by id; ``kwargs`` go to its factory (e.g. ``task=``, ``agents=``)."""
    return _load(env_id, _lookup("env", env_id))(**kwargs)


def agent_factory(name: str) -> Callable[..., Any]:
    """The agent class or factory itself, looked up once for code that makes many agents."""
    return _load(name, _lookup("agent", name))


def make_agent(name: str, **kwargs: Any) -> Any:
    return _load(name, _lookup("agent", name))(**kwargs)


def factory(kind: Kind, name: str) -> Callable[..., Any]:
    """The factory of any kind by name; an unknown name is a user error listing the known ones."""
    return _load(name, _lookup(kind, name))


def tasks(env_id: str, **kwargs: Any) -> list[Any]:
    """The runs an env offers, read from its factory's ``tasks`` attribute, so callers need no suite code."""
    factory = _load(env_id, _lookup("env", env_id))
    lister = getattr(factory, "tasks", None)
    if not callable(lister):
        raise UserError(f"env {env_id!r} does not list its tasks", key="env",
                        expected="a factory with a 'tasks' attribute")
    return list(lister(**kwargs))


__all__ = [
    "AGENT_GROUP", "BUILTIN_AGENTS", "BUILTIN_ENVS", "BUILTIN_LLMS", "BUILTIN_SCHEDULERS", "ENV_GROUP", "LLM_GROUP",
    "SCHEDULER_GROUP", "agent_factory", "agent_names", "agent_spec", "env_ids", "env_spec", "factory", "make",
    "installed", "make_agent", "names", "refresh", "register", "register_agent", "register_env", "tasks",
]
