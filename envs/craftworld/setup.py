"""The initial world of a task as plain data; :meth:`WorldSetup.build` makes a fresh state from it."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from causalmace.envs.craftworld.world import (
    AgentState,
    Block,
    Container,
    Creature,
    RoomSpec,
    WorldState,
)
from causalmace.rules import Pos, RuleSet


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
