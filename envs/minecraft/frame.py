"""Where a task's coordinates sit in the live world, and block facings as Minecraft block-state properties.

VillagerBench's worlds stand on a flat ground at some height (construction at y = -60, the others at 0);
flying-squid's superflat ground is at y = 4 (players stand at 5), a vanilla 1.18+ superflat at y = -61.
A :class:`Frame` shifts every position by one offset, so tasks keep their own coordinates while the scene
stands on the server's real ground, and several scenes can share one server side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from causalmace.rules import Pos

Vec = tuple[float, float, float]

FLYING_SQUID_FEET_Y = 5  # superflat: bedrock 0, dirt 1-3, grass 4
VANILLA_FEET_Y = -60  # 1.18+ superflat: bedrock -64, dirt -63..-62, grass -61

_DIRECTIONS = {"N": "north", "S": "south", "E": "east", "W": "west"}
_LETTERS = {v: k for k, v in _DIRECTIONS.items()}


@dataclass(frozen=True)
class Frame:
    """live = task + (dx, dy, dz); an agent at task cell (x, y, z) stands at the centre of live cell x+dx..."""

    dx: int = 0
    dy: int = 0
    dz: int = 0

    @classmethod
    def for_ground(cls, task_ground_y: int, live_feet_y: int, origin: tuple[int, int] = (0, 0)) -> Frame:
        """The frame that puts the task's ground (agents stand at ``task_ground_y``) on the server's."""
        return cls(int(origin[0]), int(live_feet_y) - int(task_ground_y), int(origin[1]))

    def live(self, p: Pos) -> Pos:
        return (p[0] + self.dx, p[1] + self.dy, p[2] + self.dz)

    def task(self, p: Pos) -> Pos:
        return (p[0] - self.dx, p[1] - self.dy, p[2] - self.dz)

    def live_feet(self, v: Vec) -> Vec:
        """Where a player stands in the live world for a task position: the centre of the cell."""
        return (v[0] + self.dx + 0.5, v[1] + self.dy, v[2] + self.dz + 0.5)

    def task_vec(self, v: Vec) -> Vec:
        """A player's live position in task coordinates (the centre of a cell maps to the cell)."""
        return (v[0] - self.dx - 0.5, v[1] - self.dy, v[2] - self.dz - 0.5)


def properties(facing: str = "A", *, open_: bool = False, powered: bool = False) -> dict[str, Any]:
    """Block-state properties for a facing letter (W/E/S/N or an axis x/y/z); unknown keys are ignored."""
    props: dict[str, Any] = {}
    if facing in _DIRECTIONS:
        props["facing"] = _DIRECTIONS[facing]
    elif facing in ("x", "y", "z"):
        props["axis"] = facing
    if open_:
        props["open"] = True
    if powered:
        props["powered"] = True
    return props


def facing_of(props: Mapping[str, Any]) -> str:
    """The facing letter of a live block, as the goals score it: a direction, else an axis, else A."""
    f = props.get("facing")
    if isinstance(f, str) and f in _LETTERS:
        return _LETTERS[f]
    a = props.get("axis")
    if isinstance(a, str) and a in ("x", "y", "z"):
        return a
    return "A"


_WALL_SUFFIXES = ("torch", "sign", "banner", "skull", "head", "fan")


def wall_form(name: str) -> str | None:
    """The wall-mounted block of an item that has one (torch -> wall_torch, oak_sign -> oak_wall_sign)."""
    if name == "torch":
        return "wall_torch"
    for k in _WALL_SUFFIXES:
        if name.endswith("_" + k):
            return name[: -len(k)] + "wall_" + k
    return None


def item_form(name: str) -> str:
    """A wall-mounted block by its item's name, as blueprints and CraftWorld name it (wall_torch -> torch)."""
    if name == "wall_torch":
        return "torch"
    if "_wall_" in name:
        plain = name.replace("_wall_", "_", 1)
        if wall_form(plain) == name:
            return plain
    return name


def is_true(v: Any) -> bool:
    return v is True or (isinstance(v, str) and v.lower() == "true")
