"""VillagerBench's three kinds of goal: a building to stand, a dish to cook, rooms to escape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from causalmace.envs.blocks.outcome import WorldFacts
from causalmace.envs.villagerbench import scoring
from causalmace.judger import Score
from causalmace.rules import Pos


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

    def wants(self) -> tuple[str, ...]:
        return (*sorted({n for n, _ in self.target.values()}), "support")

    def score(self, facts: WorldFacts) -> Score:
        bh = scoring.block_hit_rate(self.target, facts.block)
        vh = scoring.view_hit_rate(self.target, facts.block)
        # completed as upstream judges it: every block in place and every view matching
        return Score(bh, bh >= 1.0 and vh >= 1.0, {"block_hit_rate": bh, "view_hit_rate": vh})


@dataclass(frozen=True)
class CraftGoal:
    item: str
    count: int
    checkpoints: tuple[Checkpoint, ...]
    sources: dict[str, str] = field(default_factory=dict)  # ingredient -> "item in place"

    def wants(self) -> tuple[str, ...]:
        return (self.item, *(c.name for c in self.checkpoints))

    def score(self, facts: WorldFacts) -> Score:
        pts = scoring.checkpoint_score(self.checkpoints, facts.achieved)
        coop = scoring.cooperation_score(facts.owners, facts.n_agents)
        return Score(pts / 100.0, pts >= 100.0, {"checkpoint_score": pts, "cooperation": coop})


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

    def wants(self) -> tuple[str, ...]:
        return ("exit",)

    def score(self, facts: WorldFacts) -> Score:
        rooms = [facts.triggers.get(r.trigger, (False, 0.0)) for r in self.rooms]
        comp = scoring.escape_completion(rooms)
        solved = sum(1 for s, _ in rooms if s)
        return Score(comp, bool(rooms) and solved == len(rooms),
                     {"rooms_solved": float(solved), "rooms": float(len(self.rooms))})


VillagerBenchGoal = BuildGoal | CraftGoal | EscapeGoal
