"""One registry of envs and agents, Gymnasium-style.

Built-ins are lazy ``"module:attr"`` strings, so importing the registry never imports a simulator.
Other installed packages add envs or agents through the ``causalmace.envs`` / ``causalmace.agents``
entry-point groups without touching this repository. Entry points are read on every lookup (a few
milliseconds) rather than cached, so a package installed while a program runs is seen at once.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Literal

from causalmace.errors import UserError

Kind = Literal["env", "agent"]
EntryPoint = str | Callable[..., Any]

ENV_GROUP = "causalmace.envs"
AGENT_GROUP = "causalmace.agents"
ENV_ID = re.compile(r"^[\w.:-]+/[\w.:-]+-v\d+$")

BUILTIN_ENVS: dict[str, str] = {
    "craftworld/VillagerBench-Construction-v0": "causalmace.envs.villagerbench.suites:make_construction",
    "craftworld/VillagerBench-Farming-v0": "causalmace.envs.villagerbench.suites:make_farming",
    "craftworld/VillagerBench-Escape-v0": "causalmace.envs.villagerbench.suites:make_escape",
}
BUILTIN_AGENTS: dict[str, str] = {
    "scripted": "causalmace.agents.scripted:ScriptedSkillAgent",
}

_registered: dict[Kind, dict[str, EntryPoint]] = {"env": {}, "agent": {}}
_GROUPS: dict[Kind, str] = {"env": ENV_GROUP, "agent": AGENT_GROUP}
_BUILTINS: dict[Kind, dict[str, str]] = {"env": BUILTIN_ENVS, "agent": BUILTIN_AGENTS}


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
    for ep in entry_points(group=_GROUPS[kind]):
        dist = getattr(ep, "dist", None)
        origin = f"package {dist.name!r}" if dist is not None else f"entry-point group {_GROUPS[kind]}"
        if kind == "env":
            _check_env_id(ep.name, origin)
        _check_target(ep.name, ep.value, origin)
        _add(table, ep.name, ep.value, origin)
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


def env_ids() -> list[str]:
    return sorted(_table("env"))


def agent_names() -> list[str]:
    return sorted(_table("agent"))


def _lookup(kind: Kind, name: str) -> EntryPoint:
    table = _table(kind)
    if name not in table:
        label = "env id" if kind == "env" else "agent"
        raise UserError(f"unknown {label} {name!r}; known: {', '.join(sorted(table)) or 'none'}",
                        key="env" if kind == "env" else "agent")
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


def tasks(env_id: str, **kwargs: Any) -> list[Any]:
    """The runs an env offers, read from its factory's ``tasks`` attribute, so callers need no suite code."""
    factory = _load(env_id, _lookup("env", env_id))
    lister = getattr(factory, "tasks", None)
    if not callable(lister):
        raise UserError(f"env {env_id!r} does not list its tasks", key="env",
                        expected="a factory with a 'tasks' attribute")
    return list(lister(**kwargs))


__all__ = [
    "AGENT_GROUP", "BUILTIN_AGENTS", "BUILTIN_ENVS", "ENV_GROUP", "agent_factory", "agent_names", "agent_spec",
    "env_ids",
    "env_spec", "make", "make_agent", "register_agent", "register_env", "tasks",
]
