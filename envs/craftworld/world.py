"""CraftWorld's mutable state: blocks, containers, creatures and agents, cheap to copy for forking."""

from __future__ import annotations

import hashlib
import itertools
import os
from dataclasses import dataclass, field
from functools import lru_cache

from causalmace.rules import Pos

Vec = tuple[float, float, float]
FINAL_ORDER = 1000  # a condition order this high is upstream's "final" sub-event: it opens the room, earns no credit
ROOM_HALF = 4  # a room's walls stand this far from its centre
_VERSIONS = itertools.count(1)
_STAMPS = itertools.count(int.from_bytes(os.urandom(6), "big") << 16)  # apart from another process's
_MISSING = object()
_MASK = (1 << 64) - 1
# blocks a walker holds on to, and blocks it never enters (mineflayer-pathfinder's defaults; see movement)
CLIMBABLE = frozenset({"ladder", "vine", "scaffolding", "twisting_vines", "twisting_vines_plant", "weeping_vines",
                       "weeping_vines_plant", "cave_vines", "cave_vines_plant"})
AVOID = frozenset({"lava", "fire", "soul_fire", "cobweb", "sweet_berry_bush", "powder_snow"})


@lru_cache(maxsize=1 << 16)
def zobrist(pos: Pos, content: object) -> int:
    """A well-mixed 64-bit key for one cell's content. Python's tuple hashes do not do: for neighbouring
    cells the same change in both can cancel out exactly, leaving the version (and stale routes) as before."""
    return int.from_bytes(hashlib.blake2b(repr((pos, content)).encode(), digest_size=8).digest(), "little")


def _fresh() -> int:
    return hash(("craftworld-version", next(_VERSIONS))) & _MASK


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
    best_by_order: dict[int, int] = field(default_factory=dict)  # sub-event -> most conditions met at once


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
    version: int = field(default_factory=_fresh)  # what one walks through and on: routes are cached by it
    busy_cells: dict[Pos, tuple[str, float]] = field(default_factory=dict)  # cell -> (agent, until) being dug
    # names of the blocks that change in place (levers, buttons, doors): a copy shares every other Block
    # object with its original, as those are only ever replaced. None: a copy copies every block.
    mutable: frozenset[str] | None = None
    # where such blocks stand, found at the first copy and shared by copies (a tuple, so never changed
    # in place): a copy renews the blocks there without looking at every other block of the world
    toggles: tuple[Pos, ...] | None = None
    # the blocks' contents exactly: a new number at every change, kept by a copy. Unlike ``version`` (a sum of
    # hashes, so two contents may share one) two states with one stamp hold the same blocks.
    stamp: int = field(default_factory=_STAMPS.__next__)

    def block(self, pos: Pos) -> Block | None:
        if pos in self.blocks:
            return self.blocks[pos]
        if pos[1] < self.ground_y:
            return Block(self.ground_block)
        return None

    def _content(self, pos: Pos) -> object:
        """What a walker cares about in a cell: air, the ground, or a block and whether it is open.

        A block one walks through as through air (a crop, a plate, an open door) counts as air, so that
        harvesting a field or stepping on a plate leaves the routes as they were.
        """
        b = self.blocks.get(pos, _MISSING)
        if b is _MISSING:
            return "ground" if pos[1] < self.ground_y else None
        if b is None:
            return None
        block: Block = b  # type: ignore[assignment]
        name = block.name
        if (block.open or name in self.passable) and name not in AVOID and name not in CLIMBABLE \
                and not name.endswith(("_trapdoor", "_carpet")):
            return None
        return (name, block.open)

    def touch(self, pos: Pos | None = None, was: object = None) -> None:
        """The cell ``pos`` (which held ``was``) changed: a new version, so that no stale route is reused.

        The version hashes the world's changes cell by cell (Zobrist hashing: each cell's old content is
        XORed out, its new one in), so a block placed and dug again gives back the version before, and forks
        replaying the same actions reach the same versions and share their routes. Two different worlds
        share a version only by a 64-bit hash collision. Without ``pos``, a fresh version.
        """
        self.stamp = next(_STAMPS)
        if pos is None:
            self.version = _fresh()
            return
        now = self._content(pos)
        if now != was:
            self.version ^= zobrist(pos, was) ^ zobrist(pos, now)

    def set_block(self, pos: Pos, block: Block | None) -> None:
        """Put ``block`` (None: air) at ``pos``."""
        was = self._content(pos)
        self.blocks[pos] = block
        toggles = self.toggles
        if toggles is not None and block is not None and block.name in self.mutable and pos not in toggles:  # type: ignore[operator]
            self.toggles = (*toggles, pos)
        self.touch(pos, was)

    def set_open(self, pos: Pos, block: Block, open_: bool) -> None:
        """Open or shut the door, gate or trapdoor ``block`` at ``pos``."""
        was = self._content(pos)
        if self.mutable is not None and block.name not in self.mutable and self.blocks.get(pos) is block:
            block = self.blocks[pos] = Block(block.name, block.facing, block.powered, block.open, block.pressed_at)
        block.open = open_
        self.touch(pos, was)

    def solid(self, pos: Pos) -> bool:
        if pos in self.blocks:
            b = self.blocks[pos]
            return b is not None and not b.open and b.name not in self.passable
        return pos[1] < self.ground_y

    def room_of(self, z: float) -> int:
        """The first room whose row (centre z) is nearest ``z``: rooms in a line along +z are told apart by z."""
        if not self.rooms:
            return 0
        return min(range(len(self.rooms)), key=lambda i: (abs(self.rooms[i].center[2] - z), i))

    def room_at(self, pos: tuple[float, float, float]) -> int | None:
        """The room whose walls enclose ``pos`` (rooms side by side are told apart by x too), or None."""
        for i, r in enumerate(self.rooms):
            if abs(pos[0] - r.center[0]) <= ROOM_HALF and abs(pos[2] - r.center[2]) <= ROOM_HALF:
                return i
        return None

    def copy(self) -> WorldState:
        """A copy by hand: forking is on the causal refiner's hot path.

        With ``mutable`` set, blocks are copied on write: the copy shares the Block objects that are only
        ever replaced (:meth:`set_block`) and gets its own of those that change in place.
        """
        mutable = self.mutable
        if mutable is None:
            blocks = {p: None if b is None else Block(b.name, b.facing, b.powered, b.open, b.pressed_at)
                      for p, b in self.blocks.items()}
        else:
            blocks = dict(self.blocks)
            if self.toggles is None:
                self.toggles = tuple(p for p, b in blocks.items() if b is not None and b.name in mutable)
            for p in self.toggles:
                b = blocks[p]
                if b is not None and b.name in mutable:  # a toggle may have been replaced since
                    blocks[p] = Block(b.name, b.facing, b.powered, b.open, b.pressed_at)
        return WorldState(
            ground_y=self.ground_y, ground_block=self.ground_block,
            blocks=blocks,
            containers={p: Container(c.name, dict(c.items), c.lock) for p, c in self.containers.items()},
            creatures={i: Creature(c.name, c.pos, c.health, c.alive) for i, c in self.creatures.items()},
            agents={n: AgentState(a.name, a.pos, dict(a.inventory), a.held, a.clock, a.busy)
                    for n, a in self.agents.items()},
            rooms=list(self.rooms),
            triggers={k: TriggerState(dict(t.last_true), dict(t.registered), t.fired, t.fired_at, t.best_fraction,
                                      dict(t.best_by_order)) for k, t in self.triggers.items()},
            achieved=set(self.achieved), owners=dict(self.owners),
            intervals={k: list(v) for k, v in self.intervals.items()}, passable=self.passable,
            version=self.version, busy_cells=dict(self.busy_cells), mutable=mutable, toggles=self.toggles,
            stamp=self.stamp,
        )
