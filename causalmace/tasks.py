"""What a task asks for, independent of any env: the goal the Judger scores and the planner reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from causalmace.rules import Pos

Suite = Literal["construction", "farming", "escape", "custom"]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A scored item in a farming task; an achieved checkpoint voids the points of its ``sub`` items."""

    name: str
    count: int
    score: float
    sub: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuildGoal:
    """Blocks to stand at given positions: pos -> (block name, facing letter)."""

    target: dict[Pos, tuple[str, str]]
    ground_y: int


@dataclass(frozen=True)
class CraftGoal:
    item: str
    count: int
    checkpoints: tuple[Checkpoint, ...]
    sources: dict[str, str] = field(default_factory=dict)  # ingredient -> "item in place"


@dataclass(frozen=True)
class Room:
    index: int
    atom: int
    center: Pos
    trigger: str
    exit_cells: tuple[Pos, ...]
    description: str
    kind: Literal["same_room", "split", "merge", "cross"] = "same_room"


@dataclass(frozen=True)
class EscapeGoal:
    rooms: tuple[Room, ...]


Goal = BuildGoal | CraftGoal | EscapeGoal


@dataclass(frozen=True)
class Task:
    """A runnable task. ``world`` is the env-specific set-up; the core never looks inside it."""

    id: str
    suite: Suite
    description: str
    goal: Goal
    complexity: float
    t_max: float
    world: Any
    min_agents: int = 1
    source: str = ""
