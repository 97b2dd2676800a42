"""CraftWorld's mutable state: blocks, containers, creatures and agents, cheap to copy for forking."""

from __future__ import annotations

from dataclasses import dataclass, field

from causalmace.rules import Pos

Vec = tuple[float, float, float]


@dataclass(slots=True)
class Block:
    name: str
    facing: str = "A"  # W/E/S/N, or the axis x/y/z, or A
    powered: bool = False
    open: bool = False
    pressed_at: float = -1e9  # buttons stay powered briefly after a press


@dataclass(slots=True)
class Container:
    name: str
    items: dict[str, int] = field(default_factory=dict)
    lock: str | None = None


@dataclass(slots=True)
class Creature:
    name: str
    pos: Pos
    health: float
    alive: bool = True


@dataclass(slots=True)
class AgentState:
    name: str
    pos: Vec
    inventory: dict[str, int] = field(default_factory=dict)
    held: str | None = None
    clock: float = 0.0
    busy: float = 0.0


@dataclass(frozen=True, slots=True)
class RoomSpec:
    """An escape room along +z: agents leave through ``exit_cells`` or are teleported on."""

    center: Pos
    exit_cells: tuple[Pos, ...]
    start: Pos  # where agents stand on entering


@dataclass(slots=True)
class TriggerState:
    last_true: dict[tuple[str, Pos], float]  # by condition (block, position)
    registered: dict[tuple[str, Pos], bool]
    fired: bool = False
    fired_at: float = -1.0
    best_fraction: float = 0.0


@dataclass(slots=True)
class WorldState:
    ground_y: int
    ground_block: str = "grass_block"
    blocks: dict[Pos, Block | None] = field(default_factory=dict)  # None: air where ground would be
    containers: dict[Pos, Container] = field(default_factory=dict)
    creatures: dict[int, Creature] = field(default_factory=dict)
    agents: dict[str, AgentState] = field(default_factory=dict)
    rooms: list[RoomSpec] = field(default_factory=list)
    triggers: dict[str, TriggerState] = field(default_factory=dict)
    achieved: set[str] = field(default_factory=set)
    owners: dict[str, str] = field(default_factory=dict)  # checkpoint item -> first agent to hold it
    intervals: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    passable: frozenset[str] = frozenset()

    def block(self, pos: Pos) -> Block | None:
        if pos in self.blocks:
            return self.blocks[pos]
        if pos[1] < self.ground_y:
            return Block(self.ground_block)
        return None

    def solid(self, pos: Pos) -> bool:
        if pos in self.blocks:
            b = self.blocks[pos]
            return b is not None and not b.open and b.name not in self.passable
        return pos[1] < self.ground_y

    def room_of(self, z: float) -> int:
        if not self.rooms:
            return 0
        z0 = self.rooms[0].center[2]
        step = (self.rooms[1].center[2] - z0) if len(self.rooms) > 1 else 9
        return max(0, min(len(self.rooms) - 1, int((z - z0 + step / 2) // step)))

    def copy(self) -> WorldState:
        """A deep copy by hand: forking is on the causal refiner's hot path."""
        return WorldState(
            ground_y=self.ground_y, ground_block=self.ground_block,
            blocks={p: None if b is None else Block(b.name, b.facing, b.powered, b.open, b.pressed_at)
                    for p, b in self.blocks.items()},
            containers={p: Container(c.name, dict(c.items), c.lock) for p, c in self.containers.items()},
            creatures={i: Creature(c.name, c.pos, c.health, c.alive) for i, c in self.creatures.items()},
            agents={n: AgentState(a.name, a.pos, dict(a.inventory), a.held, a.clock, a.busy)
                    for n, a in self.agents.items()},
            rooms=list(self.rooms),
            triggers={k: TriggerState(dict(t.last_true), dict(t.registered), t.fired, t.fired_at, t.best_fraction)
                      for k, t in self.triggers.items()},
            achieved=set(self.achieved), owners=dict(self.owners),
            intervals={k: list(v) for k, v in self.intervals.items()}, passable=self.passable,
        )
