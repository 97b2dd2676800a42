"""What a block-world goal is scored from, whether the world is simulated or live."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from causalmace.rules import Pos


@dataclass(frozen=True)
class WorldFacts:
    block: Callable[[Pos], tuple[str, str] | None]  # (name, facing) at a cell, None for air
    achieved: set[str]  # tracked items some agent has held in the needed count
    owners: Mapping[str, int]  # agent -> tracked items it held first
    triggers: Mapping[str, tuple[bool, float]]  # trigger id -> (fired, best fraction of conditions met)
    n_agents: int
