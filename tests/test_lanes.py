"""Rooms side by side: a player is in the room whose walls hold it, not merely the nearest row.

The live env once told rooms apart by z alone, so in a split (two lanes at one row) a player in the
right-hand lane counted as being in the left one, and a walk between lanes checked the wrong exits.
"""

from __future__ import annotations

from causalmace.envs.craftworld.lanes import closed_between, room_of
from causalmace.envs.craftworld.world import RoomSpec, WorldState


def split() -> WorldState:
    first = RoomSpec((0, -60, 0), ((0, -60, 4),), (0, -60, -3))
    left = RoomSpec((-6, -60, 10), ((-6, -60, 14),), (-6, -60, 7))
    right = RoomSpec((6, -60, 10), ((6, -60, 14),), (6, -60, 7))
    last = RoomSpec((6, -60, 20), ((6, -60, 24),), (6, -60, 17))
    return WorldState(ground_y=-60, rooms=[first, left, right, last])


def test_side_by_side_rooms_are_told_apart_by_x() -> None:
    st = split()
    assert room_of(st, (-6.0, -60.0, 10.0)) == 1 and room_of(st, (6.0, -60.0, 10.0)) == 2
    assert room_of(st, (0.0, -60.0, 40.0)) == 3  # outside every room: the nearest row


def test_closed_room_on_the_way_follows_the_targets_lane() -> None:
    st = split()
    shut = {1}
    is_open = lambda r: r not in shut  # noqa: E731
    assert closed_between(st, (6.0, -60.0, 10.0), (6.0, -60.0, 20.0), is_open) is None  # the right lane is open
    assert closed_between(st, (-6.0, -60.0, 10.0), (6.0, -60.0, 20.0), is_open) == 1  # out of the shut left room
    assert closed_between(st, (0.0, -60.0, 0.0), (0.0, -60.0, 0.5), is_open) is None  # same room: no exit on the way
