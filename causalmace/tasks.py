"""What a task asks for, independent of any env: the core sees a goal only through :class:`Goal`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Goal(Protocol):
    """A task's goal. Whether it is met, and how well, is the env's ``score()``; the core asks only this."""

    def wants(self) -> tuple[str, ...]:
        """Names of what the goal asks for (items, blocks, places): the planner's rules are chosen by them."""
        ...


@dataclass(frozen=True)
class Task:
    """A runnable task. ``suite`` is a free label grouping tasks; ``world`` is the env's own set-up,
    never looked inside by the core. ``t_max`` is the time budget efficiency is measured against."""

    id: str
    suite: str
    description: str
    goal: Goal
    complexity: float
    t_max: float
    world: Any
    min_agents: int = 1
    source: str = ""
