"""Which escape room a player is in, and which closed room stands between two places.

Rooms stand in lanes along +z; a split puts lanes side by side in x. CraftWorld and the live Minecraft
env both ask these questions of the same scene, each with its own idea of whether a room's way out is
open (the simulated grid, the live server's blocks), so the geometry lives here once.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from causalmace.rules import Pos

from .world import WorldState

Vec = tuple[float, float, float]


def room_of(state: WorldState, pos: Vec) -> int:
    """The room whose walls enclose ``pos``; outside every room, the one whose row is nearest."""
    inside = state.room_at(pos)
    return inside if inside is not None else state.room_of(pos[2])


def passable_exit(cells: tuple[Pos, ...], body_fits: Callable[[Pos], bool]) -> bool:
    """Some cell of a room's way out lets a player through: feet and head fit there (air over an open
    trapdoor, which stands up in the way, is no way out)."""
    for x, y, z in cells:
        if body_fits((x, y, z)) and (body_fits((x, y + 1, z)) or body_fits((x, y - 1, z))):
            return True
    return False


def closed_between(state: WorldState, here: Vec, target: Vec, is_open: Callable[[int], bool]) -> int | None:
    """The first room with a closed way out on the walk from ``here`` to ``target``, or None.

    That is the room the walker stands in, then the rooms before the target's in the target's lane,
    nearest the walker first.
    """
    if not state.rooms:
        return None
    start_room, end_room = state.room_at(here), state.room_at(target)
    if start_room == end_room:
        return None
    order: list[int] = [] if start_room is None else [start_room]
    if end_room is not None:
        lane, row = state.rooms[end_room].center[0], state.rooms[end_room].center[2]
        start = state.rooms[start_room].center[2] if start_room is not None else -math.inf
        order += sorted((i for i, r in enumerate(state.rooms) if r.center[0] == lane and start <= r.center[2] < row
                         and i != start_room), key=lambda i: state.rooms[i].center[2])
    return next((r for r in order if not is_open(r)), None)


__all__ = ["closed_between", "passable_exit", "room_of"]
