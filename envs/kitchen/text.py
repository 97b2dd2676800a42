"""The kitchen in words: what the planner's prompt shows an LLM about the rules and the world."""

from __future__ import annotations

from collections.abc import Iterable

from causalmace.envs.kitchen.world import Kitchen, KitchenState
from causalmace.rules import RuleSet


def _closure(rules: RuleSet, items: Iterable[str]) -> list[str]:
    """The wanted items and every made item they need, users first."""
    out: list[str] = []
    stack = list(items)
    while stack:
        item = stack.pop(0)
        recipe = rules.recipe_for(item)
        if recipe is None or item in out:
            continue
        out.append(item)
        stack += [i for i, _ in recipe.inputs]
    return out


def rules_text(kitchen: Kitchen, rules: RuleSet, wants: Iterable[str]) -> str:
    lines = [
        f"Ingredients are taken from the {kitchen.pantry}. Whatever a cook makes for others is put on the "
        f"{kitchen.pass_}, where anyone can take it. Dishes are served at the {kitchen.table}.",
        "A recipe is cooked at its station, one batch at a time, from what the cook carries.",
        "Recipes:",
    ]
    for item in _closure(rules, wants):
        recipe = rules.recipe_for(item)
        assert recipe is not None
        parts = " + ".join(f"{n} {i}" for i, n in recipe.inputs)
        where = (f" at the {recipe.station} ({kitchen.stations.get(recipe.station, '?')})"
                 if recipe.station else " anywhere")
        made = f"{recipe.count} {item}" if recipe.count > 1 else item
        lines.append(f"- {made} <- {parts}{where}, {kitchen.cook_seconds.get(item, 0):g} s")
    return "\n".join(lines)


def world_text(kitchen: Kitchen, state: KitchenState, agents: list[str]) -> str:
    places = list(kitchen.places)
    lines = [f"Places: {', '.join(places)}. Walking times in seconds:"]
    for i, a in enumerate(places):
        lines.append(f"- {a}: " + ", ".join(f"{b} {kitchen.travel(a, b):g}" for b in places[i + 1:]))
    by_place: dict[str, list[str]] = {}
    for station, place in kitchen.stations.items():
        by_place.setdefault(place, []).append(station)
    lines.append("Stations: " + "; ".join(f"{', '.join(s)} at the {p}" for p, s in by_place.items()))
    for place, stored in state.storage.items():
        contents = ", ".join(f"{n} {i}" for i, n in sorted(stored.items())) or "nothing"
        lines.append(f"The {place} holds: {contents}.")
    starts = sorted({state.cooks[a].place for a in agents})
    lines.append(f"Cooks: {', '.join(agents)}, at the {' and the '.join(starts)}.")
    return "\n".join(lines)
