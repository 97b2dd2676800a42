"""The Judger: checks every action against the rules before the world applies it, and scores tasks.

Checks read only the :class:`WorldView` protocol and the :class:`~causalmace.rules.RuleSet`, so the
same code judges the simulator and a live Minecraft world.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from causalmace import actions as A
from causalmace import scoring
from causalmace.rules import Pos, RuleSet
from causalmace.tasks import BuildGoal, CraftGoal, EscapeGoal, Task

REACH = 4.5
NEIGHBOURS: tuple[Pos, ...] = ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1))


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
    def path_blocked(self, agent: str, target: Pos) -> str | None: ...


def distance(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    return math.sqrt((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2)


def _fmt(p: tuple[float, float, float]) -> str:
    return "(" + ",".join(f"{v:g}" for v in p) + ")"


def _in_reach(view: WorldView, agent: str, pos: Pos, what: str) -> str | None:
    if distance(view.position(agent), pos) > REACH:
        return f"{what} at {_fmt(pos)} is out of reach ({REACH:g} blocks)"
    return None


def _needs(have: Mapping[str, int], item: str, count: int) -> str | None:
    n = have.get(item, 0)
    return None if n >= count else f"needs {count} {item}, has {n}"


def _near_station(view: WorldView, rules: RuleSet, agent: str, station: str) -> str | None:
    if view.nearest_block(station, view.position(agent), REACH) is None:
        return f"no {station} within {REACH:g} blocks"
    return None


def check(rules: RuleSet, view: WorldView, agent: str, action: A.Action) -> str | None:
    """Why ``action`` may not happen now, or None if the rules allow it."""
    inv = view.inventory(agent)
    if isinstance(action, A.NavigateTo):
        target = (action.x, action.y, action.z)
        if view.solid(target):
            return f"{_fmt(target)} is inside a block"
        return view.path_blocked(agent, target)
    if isinstance(action, A.MineBlock):
        pos = (action.x, action.y, action.z)
        b = view.block(pos)
        if b is None:
            return f"no block at {_fmt(pos)}"
        if (r := _in_reach(view, agent, pos, b[0])) is not None:
            return r
        dig = rules.digging.get(b[0])
        if dig is not None and dig.hardness < 0:
            return f"{b[0]} cannot be mined"
        if dig is not None and dig.tools is not None and not any(inv.get(t, 0) > 0 for t in dig.tools):
            best = sorted(dig.tools, key=lambda t: rules.tool_speed.get(t, 1.0))[0]
            return f"{b[0]} needs a tool such as {best}"
        return None
    if isinstance(action, A.PlaceBlock):
        pos = (action.x, action.y, action.z)
        if action.item_name not in rules.blocks:
            return f"{action.item_name} is not a placeable block"
        if (r := _needs(inv, action.item_name, 1)) is not None:
            return r
        if view.solid(pos):
            return f"{_fmt(pos)} is occupied"
        if (r := _in_reach(view, agent, pos, "position")) is not None:
            return r
        if rules.needs_support and not any(
            view.solid((pos[0] + d[0], pos[1] + d[1], pos[2] + d[2])) for d in NEIGHBOURS
        ):
            return f"nothing to place {action.item_name} against at {_fmt(pos)}"
        return None
    if isinstance(action, A.CraftBlock):
        recipe = rules.recipe_for(action.item_name, inv)
        if recipe is None:
            return f"no recipe makes {action.item_name}"
        for name, count in recipe.inputs:
            if (r := _needs(inv, name, count * action.count)) is not None:
                return r
        if recipe.station is not None:
            return _near_station(view, rules, agent, recipe.station)
        return None
    if isinstance(action, A.SmeltingCooking):
        rule = rules.smelting.get(action.item_name)
        if rule is None:
            return f"{action.item_name} cannot be smelted"
        if (r := _needs(inv, action.item_name, action.item_count)) is not None:
            return r
        per_fuel = rules.fuels.get(action.fuel_item_name)
        if per_fuel is None:
            return f"{action.fuel_item_name} is not a fuel"
        if (r := _needs(inv, action.fuel_item_name, math.ceil(action.item_count / per_fuel))) is not None:
            return r
        return _near_station(view, rules, agent, "furnace")
    if isinstance(action, A.WithdrawItem | A.StoreItem | A.FetchContainerContents):
        cname = action.to_name if isinstance(action, A.StoreItem) else (
            action.from_name if isinstance(action, A.WithdrawItem) else action.item_name)
        pos = view.nearest_block(cname, view.position(agent), REACH)
        if pos is None or view.container(pos) is None:
            return f"no {cname} within {REACH:g} blocks"
        items, lock = view.container(pos)  # type: ignore[misc]
        if lock and inv.get(lock, 0) <= 0:
            return f"{cname} at {_fmt(pos)} is locked; it needs the {lock}"
        if isinstance(action, A.WithdrawItem):
            n = items.get(action.item_name, 0)
            if n < action.item_count:
                return f"{cname} at {_fmt(pos)} has {n} {action.item_name}, not {action.item_count}"
        if isinstance(action, A.StoreItem):
            return _needs(inv, action.item_name, action.item_count)
        return None
    if isinstance(action, A.HandoverBlock):
        if action.target_player_name not in view.agent_names() or action.target_player_name == agent:
            return f"no teammate named {action.target_player_name}"
        return _needs(inv, action.item_name, action.item_count)
    if isinstance(action, A.ToggleAction):
        pos = (action.x, action.y, action.z)
        b = view.block(pos)
        if b is None or b[0] != action.item_name:
            return f"no {action.item_name} at {_fmt(pos)}"
        if rules.interactive.get(b[0]) not in ("lever", "button", "door", "trapdoor", "gate"):
            return f"{b[0]} cannot be toggled" + (" (stand on a pressure plate instead)"
                                                  if rules.interactive.get(b[0]) == "plate" else "")
        if b[0].startswith("iron_") and rules.interactive.get(b[0]) in ("door", "trapdoor"):
            return f"{b[0]} opens only by redstone power"
        return _in_reach(view, agent, pos, b[0])
    if isinstance(action, A.AttackTarget):
        if action.target_name not in rules.entities:
            return f"{action.target_name} is not a creature"
        if view.nearest_entity(action.target_name, view.position(agent)) is None:
            return f"no {action.target_name} alive"
        return None
    if isinstance(action, A.UseItemOnEntity):
        if (action.item_name, action.entity_name) not in rules.uses:
            return f"using {action.item_name} on {action.entity_name} does nothing"
        if (r := _needs(inv, action.item_name, 1)) is not None:
            return r
        if view.nearest_entity(action.entity_name, view.position(agent)) is None:
            return f"no {action.entity_name} alive"
        return None
    if isinstance(action, A.EquipItem):
        return _needs(inv, action.item_name, 1)
    if isinstance(action, A.ScanNearbyEntities | A.Wait):
        return None
    return f"unknown action {action.name}"


@dataclass(frozen=True, slots=True)
class Score:
    completion: float  # 0..1
    completed: bool
    detail: dict[str, float]


def score_task(task: Task, world: Callable[[Pos], tuple[str, str] | None], *,
               achieved: set[str] | None = None, owners: Mapping[str, int] | None = None,
               rooms: Sequence[tuple[bool, float]] = (), n_agents: int = 1) -> Score:
    """VillagerBench's score for one task, from the final world and what agents achieved."""
    goal = task.goal
    if isinstance(goal, BuildGoal):
        bh = scoring.block_hit_rate(goal.target, world)
        vh = scoring.view_hit_rate(goal.target, world)
        return Score(bh, bh >= 1.0, {"block_hit_rate": bh, "view_hit_rate": vh})
    if isinstance(goal, CraftGoal):
        pts = scoring.checkpoint_score(goal.checkpoints, achieved or set())
        coop = scoring.cooperation_score(owners or {}, n_agents)
        return Score(pts / 100.0, pts >= 100.0, {"checkpoint_score": pts, "cooperation": coop})
    if isinstance(goal, EscapeGoal):
        comp = scoring.escape_completion(rooms)
        solved = sum(1 for s, _ in rooms if s)
        return Score(comp, bool(rooms) and solved == len(rooms),
                     {"rooms_solved": float(solved), "rooms": float(len(goal.rooms))})
    raise TypeError(f"unknown goal {type(goal).__name__}")
