"""The initial world of a task as plain data; :meth:`WorldSetup.build` makes a fresh state from it."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from causalmace.envs.craftworld.world import (
    AgentState,
    Block,
    Container,
    Creature,
    RoomSpec,
    WorldState,
)
from causalmace.rules import Pos, RuleSet


@lru_cache(maxsize=1)
def animal_names() -> frozenset[str]:
    """The creatures of the 1.19.2 tables (``minecraft_data/animals.json``): what a task may place in a world."""
    text = resources.files("causalmace.envs.craftworld").joinpath("data", "minecraft_data", "animals.json")
    return frozenset(str(a["name"]) for a in json.loads(text.read_text("utf-8")))


def creature_names(rules: RuleSet) -> frozenset[str]:
    """Creatures a task may place: those the rules give drops to, and the 1.19.2 animals."""
    return frozenset(rules.entities) | animal_names()


@dataclass(frozen=True, slots=True)
class BlockSpec:
    name: str
    pos: Pos
    facing: str = "A"
    powered: bool = False
    open: bool = False


@dataclass(frozen=True, slots=True)
class ContainerSpec:
    name: str
    pos: Pos
    items: tuple[tuple[str, int], ...] = ()
    lock: str | None = None


@dataclass(frozen=True)
class WorldSetup:
    ground_y: int
    blocks: tuple[BlockSpec, ...] = ()
    containers: tuple[ContainerSpec, ...] = ()
    creatures: tuple[tuple[str, Pos], ...] = ()
    spawn: tuple[Pos, ...] = ((0, 0, 0),)
    rooms: tuple[RoomSpec, ...] = ()
    start_items: tuple[tuple[str, int], ...] = ()  # every agent carries these in
    ground_block: str = "grass_block"
    notes: tuple[str, ...] = field(default=())

    def build(self, agents: list[str], rules: RuleSet, rng: random.Random) -> WorldState:
        st = WorldState(ground_y=self.ground_y, ground_block=self.ground_block, passable=rules.passable)
        for b in self.blocks:
            st.blocks[b.pos] = None if b.name == "air" else Block(b.name, b.facing, b.powered, b.open)
        for c in self.containers:
            st.blocks.setdefault(c.pos, Block(c.name))
            st.containers[c.pos] = Container(c.name, dict(c.items), c.lock)
        for i, (name, pos) in enumerate(self.creatures):
            rule = rules.entities.get(name)
            st.creatures[i] = Creature(name, pos, rule.health if rule else 10.0)
        spawn = list(self.spawn)
        rng.shuffle(spawn)
        for i, a in enumerate(agents):
            p = spawn[i % len(spawn)]
            st.agents[a] = AgentState(a, (float(p[0]), float(p[1]), float(p[2])))
            st.intervals[a] = []
        for a in agents:
            st.agents[a].inventory.update(dict(self.start_items))
        st.rooms = list(self.rooms)
        return st
