"""The env protocol every world implements, simulated or live.

Forking and re-ruling are optional capabilities: the simulator has both, a live Minecraft server
has neither, and the causal refiner asks before it uses them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from causalmace.actions import Action
from causalmace.judger import Score
from causalmace.rules import Pos, RuleChange, RuleSet
from causalmace.tasks import Task


class Capability(StrEnum):
    FORK = "fork"  # snapshot the world and continue a copy
    RERULE = "rerule"  # a copy of the env with one rule changed


@dataclass(frozen=True, slots=True)
class ActionResult:
    status: bool
    message: str
    duration: float
    data: Any = None


@runtime_checkable
class Env(Protocol):
    env_id: str
    task: Task
    rules: RuleSet
    agents: list[str]
    capabilities: frozenset[Capability]

    def reset(self, seed: int | None = None) -> dict[str, dict[str, Any]]: ...
    def action_specs(self) -> tuple[type[Action], ...]: ...
    def apply(self, agent: str, action: Action) -> ActionResult: ...
    def observe(self, agent: str) -> dict[str, Any]: ...
    def clock(self, agent: str) -> float: ...
    def score(self) -> Score: ...
    def intervals(self) -> Mapping[str, Sequence[tuple[float, float]]]: ...
    def busy_times(self) -> list[float]: ...
    def block_at(self, pos: Pos) -> tuple[str, str] | None: ...


class Forkable(Protocol):
    def fork(self) -> Env: ...


class Reruleable(Protocol):
    def rerule(self, change: RuleChange) -> Env: ...
