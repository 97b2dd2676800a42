"""The kitchen's Judger: whether an action is allowed here and now, and if not, the typed reason.

It only reads the world; the env applies an action after this has found nothing against it. The
refusal's fields are what repair reads: a MISSING_ITEM for an item on the pass points to whoever
puts that item there.
"""

from __future__ import annotations

from causalmace.actions import Action, Wait
from causalmace.envs.kitchen.actions import Cook, GoTo, Put, Serve, Take
from causalmace.envs.kitchen.world import Kitchen, KitchenState
from causalmace.judger import Refusal, RefusalKind
from causalmace.rules import RuleSet


def _missing(item: str, need: int, have: int, where: str) -> Refusal:
    return Refusal(RefusalKind.MISSING_ITEM, f"{where} has {have} {item}, {need} needed", item=item, need=need,
                   have=have)


def judge(kitchen: Kitchen, rules: RuleSet, state: KitchenState, agent: str, action: Action,
          ordered: dict[str, int]) -> Refusal | None:
    """None if ``agent`` may do ``action`` now; else why not. ``ordered`` is dish -> count still to serve."""
    cook = state.cooks[agent]
    here = cook.place
    if isinstance(action, Wait):
        return None
    if isinstance(action, GoTo):
        if action.place not in kitchen.places:
            return Refusal(RefusalKind.NO_TARGET, f"there is no place called {action.place!r}; places: "
                           + ", ".join(kitchen.places), item=action.place)
        return None
    if isinstance(action, Take | Put):
        store = state.storage.get(here)
        if store is None:
            return Refusal(RefusalKind.NO_TARGET, f"nothing is stored at the {here}; storage is at the "
                           + " and the ".join(kitchen.storages()), item=action.item)
        if isinstance(action, Take):
            have = store.get(action.item, 0)
            return None if have >= action.count else _missing(action.item, action.count, have, f"the {here}")
        have = cook.inventory.get(action.item, 0)
        return None if have >= action.count else _missing(action.item, action.count, have, "your inventory")
    if isinstance(action, Cook):
        recipe = rules.recipe_for(action.item, cook.inventory)
        if recipe is None:
            return Refusal(RefusalKind.NOT_POSSIBLE, f"no recipe makes {action.item}", item=action.item)
        if recipe.station is not None and kitchen.stations.get(recipe.station) != here:
            where = kitchen.stations.get(recipe.station, "nowhere")
            return Refusal(RefusalKind.NO_STATION, f"{action.item} is made at the {recipe.station}, which is at the "
                           f"{where}, not the {here}", item=recipe.station)
        for item, need in recipe.inputs:
            have = cook.inventory.get(item, 0)
            if have < need:
                return _missing(item, need, have, "your inventory")
        return None
    if isinstance(action, Serve):
        if here != kitchen.table:
            return Refusal(RefusalKind.NO_STATION, f"dishes are served at the {kitchen.table}, not the {here}",
                           item=kitchen.table)
        if ordered.get(action.item, 0) <= 0:
            return Refusal(RefusalKind.NOT_POSSIBLE, f"no {action.item} is (still) ordered", item=action.item)
        have = cook.inventory.get(action.item, 0)
        return None if have >= 1 else _missing(action.item, 1, have, "your inventory")
    return Refusal(RefusalKind.NOT_POSSIBLE, f"the kitchen has no action {action.name!r}")
