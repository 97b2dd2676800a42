"""What a player can see or open, and nothing more: the parts of an observation that block worlds share.

* **Rooms.** Whether a room's way out is open, and how many of its steps (VillagerBench's sub-events)
  have shown their effects: upstream gives each sub-event effects of its own that a player sees (a
  redstone wire lit, a door opened, a teleport), so a player sees a step taken, never which of the
  room's conditions it is still waiting for.
* **Controls.** The levers, buttons and pressure plates in the room a player stands in, each with what
  one sees of it: a lever up or down, a button still pressed, someone on a plate.
* **Containers.** What a chest holds is known by opening it: an observation lists the contents of the
  containers within reach, as they are now; anything further off is a closed box.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from causalmace.rules import Pos, Trigger

CONTROLS = ("lever", "button", "plate")


def steps_shown(trigger: Trigger, registered: Mapping[tuple[str, Pos], bool], fired: bool) -> int:
    """How many of the room's sub-events, in their order, have taken effect (all of them once it opened)."""
    steps = _steps(trigger)
    if fired:
        return len(steps)
    n = 0
    for keys in steps:
        if not all(registered.get(k) for k in keys):
            break
        n += 1
    return n


_STEPS: dict[int, tuple[Trigger, tuple[tuple[tuple[str, Pos], ...], ...]]] = {}


def _steps(trigger: Trigger) -> tuple[tuple[tuple[str, Pos], ...], ...]:
    """Per sub-event, in order, its conditions' keys: laid out once per trigger, as every observation asks."""
    got = _STEPS.get(id(trigger))
    if got is not None and got[0] is trigger:
        return got[1]
    steps = tuple(tuple((c.block, c.pos) for c in trigger.conditions if c.order == o)
                  for o in sorted({c.order for c in trigger.conditions}))
    if len(_STEPS) > 4096:
        _STEPS.clear()
    _STEPS[id(trigger)] = (trigger, steps)
    return steps


def controls(cells: Iterable[tuple[Pos, str]], kind_of: Callable[[str], str | None],
             active: Callable[[Pos, str], bool]) -> list[dict[str, Any]]:
    """The controls among ``cells`` (position, block name) as a player sees them, in position order."""
    out = []
    for pos, name in sorted(cells):
        kind = kind_of(name)
        if kind in CONTROLS:
            out.append({"pos": list(pos), "block": name, "kind": kind, "active": bool(active(pos, name))})
    return out


def containers_in_reach(found: Iterable[tuple[Pos, str, Mapping[str, int]]], near: tuple[float, float, float],
                        reach: float) -> list[dict[str, Any]]:
    """The containers within ``reach`` of ``near``, opened: position, name and what they hold now."""
    out = []
    for pos, name, items in sorted(found, key=lambda c: c[0]):
        if sum((a - b) ** 2 for a, b in zip(pos, near, strict=True)) <= reach * reach:
            out.append({"pos": list(pos), "name": name, "items": {k: n for k, n in sorted(items.items()) if n > 0}})
    return out


def seen_contents(obs: Mapping[str, Any], pos: Pos) -> dict[str, int] | None:
    """What the container at ``pos`` holds, if the observation shows it opened; None if it does not."""
    for c in obs.get("containers") or ():
        if tuple(c["pos"]) == tuple(pos):
            return dict(c["items"])
    return None


__all__ = ["CONTROLS", "containers_in_reach", "controls", "seen_contents", "steps_shown"]
