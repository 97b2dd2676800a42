"""The Judger's rules for block worlds: may this action happen now, and if not, which fact stops it.

Checks read only the :class:`WorldView` protocol and the :class:`~causalmace.rules.RuleSet`, so the
same code judges the simulator and a live server. Every refusal is a typed
:class:`~causalmace.judger.Refusal`; its message is for people and LLMs only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Protocol

from causalmace.actions import Action, Wait
from causalmace.envs.blocks import actions as A
from causalmace.judger import NEIGHBOURS, Refusal
from causalmace.judger import RefusalKind as K
from causalmace.rules import Pos, RuleSet

REACH = 4.5  # blocks from an agent's feet cell to a block it digs, places or uses
ENTITY_REACH = 3.0  # Minecraft's reach for creatures and players: attack, use an item, hand something over


class WorldView(Protocol):
    """What the Judger may ask of a world."""

    def position(self, agent: str) -> tuple[float, float, float]: ...
    def inventory(self, agent: str) -> Mapping[str, int]: ...
    def block(self, pos: Pos) -> tuple[str, str] | None: ...  # (name, facing) or None for air
    def solid(self, pos: Pos) -> bool: ...
    def nearest_block(self, name: str, near: tuple[float, float, float], radius: float) -> Pos | None: ...
    def container(self, pos: Pos) -> tuple[Mapping[str, int], str | None] | None: ...  # items, lock key
    def nearest_entity(self, name: str, near: tuple[float, float, float]) -> tuple[int, Pos] | None: ...
    def agent_names(self) -> Sequence[str]: ...
    def path_blocked(self, agent: str, target: Pos) -> Refusal | None: ...  # can it walk to stand there


class Approach(Protocol):
    """What a world that finds its agents' routes may add: can ``agent`` walk to within ``reach`` of ``pos``.

    Actions on a creature or a teammate walk there first. A world without it (a live server, whose
    pathfinder walks there) is asked ``path_blocked`` for ``pos`` instead.
    """

    def approach_blocked(self, agent: str, pos: Pos, reach: float) -> Refusal | None: ...


def distance(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    return math.sqrt((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2)


def _fmt(p: tuple[float, float, float]) -> str:
    return "(" + ",".join(f"{v:g}" for v in p) + ")"


def _in_reach(view: WorldView, agent: str, pos: Pos, what: str) -> Refusal | None:
    if distance(view.position(agent), pos) > REACH:
        return Refusal(K.OUT_OF_REACH, f"{what} at {_fmt(pos)} is out of reach ({REACH:g} blocks)", what, pos)
    return None


def _needs(have: Mapping[str, int], item: str, count: int) -> Refusal | None:
    n = have.get(item, 0)
    return None if n >= count else Refusal(K.MISSING_ITEM, f"needs {count} {item}, has {n}", item, need=count, have=n)


def _cell(p: tuple[float, float, float]) -> Pos:
    return (math.floor(p[0] + 0.5), math.floor(p[1] + 0.5), math.floor(p[2] + 0.5))


def _approach(view: WorldView, agent: str, pos: Pos) -> Refusal | None:
    """Actions on a creature or a teammate walk there first: refused if there is no way within reach."""
    if distance(view.position(agent), pos) <= ENTITY_REACH:
        return None
    walk = getattr(view, "approach_blocked", None)
    if walk is None:
        return view.path_blocked(agent, pos)
    return walk(agent, pos, ENTITY_REACH)


def _someone_at(view: WorldView, pos: Pos) -> str | None:
    """A player whose body (feet or head) fills ``pos``: no block can go there."""
    for name in view.agent_names():
        feet = _cell(view.position(name))
        if pos == feet or pos == (feet[0], feet[1] + 1, feet[2]):
            return name
    return None


def _near_station(view: WorldView, agent: str, station: str) -> Refusal | None:
    if view.nearest_block(station, view.position(agent), REACH) is None:
        return Refusal(K.NO_STATION, f"no {station} within {REACH:g} blocks", station)
    return None


def _no(message: str, item: str | None = None, pos: Pos | None = None) -> Refusal:
    return Refusal(K.NOT_POSSIBLE, message, item, pos)


def check(rules: RuleSet, view: WorldView, agent: str, action: Action) -> Refusal | None:
    """What stops ``action`` now, or None if the rules allow it."""
    inv = view.inventory(agent)
    if isinstance(action, A.NavigateTo):
        target = (action.x, action.y, action.z)
        if view.solid(target):
            return Refusal(K.OCCUPIED, f"{_fmt(target)} is inside a block", pos=target)
        return view.path_blocked(agent, target)
    if isinstance(action, A.MineBlock):
        pos = (action.x, action.y, action.z)
        b = view.block(pos)
        if b is None:
            return Refusal(K.NO_TARGET, f"no block at {_fmt(pos)}", pos=pos)
        if (r := _in_reach(view, agent, pos, b[0])) is not None:
            return r
        dig = rules.digging.get(b[0])
        if dig is not None and dig.hardness < 0:
            return _no(f"{b[0]} cannot be mined", b[0], pos)
        if dig is not None and dig.tools is not None and not any(inv.get(t, 0) > 0 for t in dig.tools):
            best = sorted(dig.tools, key=lambda t: rules.tool_speed.get(t, 1.0))[0]
            return Refusal(K.NEEDS_TOOL, f"{b[0]} needs a tool such as {best}", best, pos)
        return None
    if isinstance(action, A.PlaceBlock):
        pos = (action.x, action.y, action.z)
        if action.item_name not in rules.blocks:
            return _no(f"{action.item_name} is not a placeable block", action.item_name)
        if (r := _needs(inv, action.item_name, 1)) is not None:
            return r
        if view.solid(pos):
            return Refusal(K.OCCUPIED, f"{_fmt(pos)} is occupied", pos=pos)
        if (who := _someone_at(view, pos)) is not None:
            return Refusal(K.OCCUPIED, f"{_fmt(pos)} is where {'you stand' if who == agent else who + ' stands'}",
                           pos=pos)
        if (r := _in_reach(view, agent, pos, "position")) is not None:
            return r
        if rules.needs_support and not any(
            view.solid((pos[0] + d[0], pos[1] + d[1], pos[2] + d[2])) for d in NEIGHBOURS
        ):
            return Refusal(K.NO_SUPPORT, f"nothing to place {action.item_name} against at {_fmt(pos)}",
                           action.item_name, pos)
        return None
    if isinstance(action, A.CraftBlock):
        recipe = rules.recipe_for(action.item_name, inv)
        if recipe is None:
            return _no(f"no recipe makes {action.item_name}", action.item_name)
        for name, count in recipe.inputs:
            if (r := _needs(inv, name, count * action.count)) is not None:
                return r
        if recipe.station is not None:
            return _near_station(view, agent, recipe.station)
        return None
    if isinstance(action, A.SmeltingCooking):
        rule = rules.smelting.get(action.item_name)
        if rule is None:
            return _no(f"{action.item_name} cannot be smelted", action.item_name)
        if (r := _needs(inv, action.item_name, action.item_count)) is not None:
            return r
        per_fuel = rules.fuels.get(action.fuel_item_name)
        if per_fuel is None:
            return _no(f"{action.fuel_item_name} is not a fuel", action.fuel_item_name)
        if (r := _needs(inv, action.fuel_item_name, math.ceil(action.item_count / per_fuel))) is not None:
            return r
        if rules.smelt_station is None:
            return _no("nothing smelts in this world")
        return _near_station(view, agent, rules.smelt_station)
    if isinstance(action, A.WithdrawItem | A.StoreItem | A.FetchContainerContents):
        cname = action.to_name if isinstance(action, A.StoreItem) else (
            action.from_name if isinstance(action, A.WithdrawItem) else action.item_name)
        pos = view.nearest_block(cname, view.position(agent), REACH)
        if pos is None or view.container(pos) is None:
            return Refusal(K.NO_STATION, f"no {cname} within {REACH:g} blocks", cname)
        items, lock = view.container(pos)  # type: ignore[misc]
        if lock and inv.get(lock, 0) <= 0:
            return Refusal(K.LOCKED, f"{cname} at {_fmt(pos)} is locked; it needs the {lock}", lock, pos)
        if isinstance(action, A.WithdrawItem):
            n = items.get(action.item_name, 0)
            if n < action.item_count:
                return Refusal(K.MISSING_ITEM, f"{cname} at {_fmt(pos)} has {n} {action.item_name}, "
                               f"not {action.item_count}", action.item_name, pos, need=action.item_count, have=n)
        if isinstance(action, A.StoreItem):
            return _needs(inv, action.item_name, action.item_count)
        return None
    if isinstance(action, A.HandoverBlock):
        if action.target_player_name not in view.agent_names() or action.target_player_name == agent:
            return Refusal(K.NO_TARGET, f"no teammate named {action.target_player_name}",
                           action.target_player_name)
        if (r := _needs(inv, action.item_name, action.item_count)) is not None:
            return r
        return _approach(view, agent, _cell(view.position(action.target_player_name)))
    if isinstance(action, A.ToggleAction):
        pos = (action.x, action.y, action.z)
        b = view.block(pos)
        if b is None or b[0] != action.item_name:
            return Refusal(K.NO_TARGET, f"no {action.item_name} at {_fmt(pos)}", action.item_name, pos)
        if rules.interactive.get(b[0]) not in ("lever", "button", "door", "trapdoor", "gate"):
            return _no(f"{b[0]} cannot be toggled" + (" (stand on a pressure plate instead)"
                                                      if rules.interactive.get(b[0]) == "plate" else ""), b[0], pos)
        if b[0].startswith("iron_") and rules.interactive.get(b[0]) in ("door", "trapdoor"):
            return _no(f"{b[0]} opens only by redstone power", b[0], pos)
        return _in_reach(view, agent, pos, b[0])
    if isinstance(action, A.AttackTarget):
        if action.target_name not in rules.entities:
            return _no(f"{action.target_name} is not a creature", action.target_name)
        hit = view.nearest_entity(action.target_name, view.position(agent))
        if hit is None:
            return Refusal(K.NO_TARGET, f"no {action.target_name} alive", action.target_name)
        return _approach(view, agent, hit[1])
    if isinstance(action, A.UseItemOnEntity):
        if (action.item_name, action.entity_name) not in rules.uses:
            return _no(f"using {action.item_name} on {action.entity_name} does nothing", action.item_name)
        if (r := _needs(inv, action.item_name, 1)) is not None:
            return r
        hit = view.nearest_entity(action.entity_name, view.position(agent))
        if hit is None:
            return Refusal(K.NO_TARGET, f"no {action.entity_name} alive", action.entity_name)
        return _approach(view, agent, hit[1])
    if isinstance(action, A.EquipItem):
        return _needs(inv, action.item_name, 1)
    if isinstance(action, A.ScanNearbyEntities | Wait):
        return None
    return _no(f"unknown action {action.name}")
