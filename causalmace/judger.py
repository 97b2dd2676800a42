"""What the Judger says, whatever the world: typed refusals and the score.

Every env judges each action against its own rules before the world applies it (see
``Env.apply``); what it returns when it refuses is a :class:`Refusal`, a typed fact beside a
message in words. Agents and the runner's repair step read the fact, never the words, so a message
can be reworded or translated without switching repair off.

Facts name what a subtask can provide with :func:`item_key`, :func:`cell_key` and
:func:`group_key`; a subtask lists the keys it provides in ``Subtask.produces``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

Pos = tuple[int, int, int]
NEIGHBOURS: tuple[Pos, ...] = ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1))


class RefusalKind(StrEnum):
    MISSING_ITEM = "missing_item"  # ``item``: an input the agent (or a container) lacks; need/have counts
    NEEDS_TOOL = "needs_tool"  # ``item``: a tool that would make the action possible
    NO_STATION = "no_station"  # ``item``: the station (or container) that must be within reach
    NO_SUPPORT = "no_support"  # ``pos``: nothing to place against there yet
    NOT_PLACED = "not_placed"  # ``pos``/``item``: a block that must be there first
    OCCUPIED = "occupied"  # ``pos`` is taken
    OUT_OF_REACH = "out_of_reach"  # ``pos`` is too far away
    UNREACHABLE = "unreachable"  # no path to ``pos``
    WAY_CLOSED = "way_closed"  # ``group``: the area that must open first
    OUT_OF_ORDER = "out_of_order"  # ``group``: something else in it must happen first
    LOCKED = "locked"  # ``item``: the key it needs
    NO_TARGET = "no_target"  # ``item``: no such block, creature or teammate there
    NOT_POSSIBLE = "not_possible"  # the rules never allow it (no recipe, unbreakable, ...)
    GAVE_UP = "gave_up"  # the agent waited for something that never happened
    UNAVAILABLE = "unavailable"  # ``item``: this world lacks it for good (a server that cannot spawn creatures)


@dataclass(frozen=True, slots=True)
class Refusal:
    kind: RefusalKind
    message: str
    item: str | None = None
    pos: Pos | None = None
    group: str | None = None
    need: int = 0
    have: int = 0

    def __str__(self) -> str:
        return self.message


def item_key(item: str) -> str:
    return f"item:{item}"


def cell_key(pos: Sequence[int]) -> str:
    return "cell:{},{},{}".format(*pos)


def group_key(group: object) -> str:
    return f"group:{group}"


def wanted(refusal: Refusal) -> list[str]:
    """The keys a subtask would have to provide for this refusal to go away."""
    k = refusal.kind
    if k in (RefusalKind.MISSING_ITEM, RefusalKind.NEEDS_TOOL, RefusalKind.NO_STATION, RefusalKind.LOCKED):
        return [item_key(refusal.item)] if refusal.item else []
    if k is RefusalKind.NO_SUPPORT and refusal.pos is not None:
        p = refusal.pos
        return [cell_key((p[0] + d[0], p[1] + d[1], p[2] + d[2])) for d in NEIGHBOURS]
    if k is RefusalKind.NOT_PLACED:
        return [cell_key(refusal.pos)] if refusal.pos is not None else (
            [item_key(refusal.item)] if refusal.item else [])
    if k in (RefusalKind.WAY_CLOSED, RefusalKind.OUT_OF_ORDER) and refusal.group is not None:
        return [group_key(refusal.group)]
    return []


@dataclass(frozen=True, slots=True)
class Score:
    completion: float  # 0..1
    completed: bool
    detail: dict[str, float]
