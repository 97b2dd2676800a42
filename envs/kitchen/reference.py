"""The kitchen's reference plan: the recipe tree of the ordered dishes, one subtask per made item.

Each intermediate is made by one ``cook`` subtask that leaves it on the pass; each ordered dish by a
``serve`` subtask that takes its parts from the pass, makes it and serves it. An edge runs from the
subtask making an item to the one using it, so a dish with several parts is a join.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from causalmace import dag
from causalmace.envs.kitchen.world import Kitchen, Order
from causalmace.graph import Subtask, TaskGraph
from causalmace.judger import item_key
from causalmace.rules import RuleSet


def recipe_tree(rules: RuleSet, order: Order) -> dag.DiGraph:
    """The made items the order takes, with an edge from each to the items made from it."""
    tree = dag.DiGraph()
    stack = [dish for dish, _ in order.dishes]
    while stack:
        item = stack.pop()
        tree.add_node(item)
        recipe = rules.recipe_for(item)
        for inp, _ in recipe.inputs if recipe else ():
            if rules.recipe_for(inp) is not None and not tree.has_edge(inp, item):
                tree.add_edge(inp, item)
                stack.append(inp)
    return tree


def needs(rules: RuleSet, order: Order, tree: dag.DiGraph) -> dict[str, int]:
    """Units of every made item the order takes, summed over everything that uses it."""
    units = {item: 0 for item in tree}
    for dish, n in order.dishes:
        units[dish] += n
    for item in reversed(list(dag.topological_sort(tree))):  # users before their parts
        recipe = rules.recipe_for(item)
        batches = math.ceil(units[item] / recipe.count) if recipe else 0
        for inp, c in recipe.inputs if recipe else ():
            if inp in units:
                units[inp] += c * batches
    return units


def subtask_id(item: str, served: bool) -> str:
    return f"serve_{item}" if served else f"make_{item}"


def _est(kitchen: Kitchen, rules: RuleSet, item: str, units: int, served: bool) -> float:
    """Seconds one cook needs: fetch the parts, make the batches, bring the result to the pass or table."""
    recipe = rules.recipe_for(item)
    assert recipe is not None
    batches = math.ceil(units / recipe.count)
    station = kitchen.stations.get(recipe.station or "", kitchen.pass_)
    route = [kitchen.pass_]
    if any(kitchen.raw(i) for i, _ in recipe.inputs):
        route.append(kitchen.pantry)
    route += [station, kitchen.table if served else kitchen.pass_]
    walk = sum(kitchen.travel(a, b) for a, b in zip(route, route[1:], strict=False))
    handling = kitchen.handle_s * (len(recipe.inputs) + 1) + (kitchen.serve_s * units if served else 0.0)
    return round(walk + handling + kitchen.cook_seconds.get(item, 0.0) * batches, 3)


def reference_plan(task_id: str, order: Order, kitchen: Kitchen, rules: RuleSet) -> TaskGraph:
    """The correct task graph for ``order`` under ``rules``, with ``origin="truth"`` edges."""
    tree = recipe_tree(rules, order)
    units = needs(rules, order, tree)
    dishes: Mapping[str, int] = dict(order.dishes)
    graph = TaskGraph(task_id)
    for item in dag.lexicographical_topological_sort(tree):  # parts before what is made of them
        served = item in dishes
        recipe = rules.recipe_for(item)
        assert recipe is not None
        station = recipe.station
        inputs = {i: c * math.ceil(units[item] / recipe.count) for i, c in recipe.inputs}
        sources = {i: kitchen.source(i) for i in inputs}
        where = kitchen.stations.get(station or "", "anywhere")
        parts = ", ".join(f"{n} {i}" for i, n in inputs.items())
        end = f"serve {units[item]} at the {kitchen.table}" if served else f"put it on the {kitchen.pass_}"
        graph.add(Subtask(
            id=subtask_id(item, served), kind="serve" if served else "cook",
            description=f"Make {units[item]} {item} from {parts} at the {station or 'nearest spot'} ({where}), "
                        f"then {end}",
            target=item, count=units[item], est_duration=_est(kitchen, rules, item, units[item], served),
            params={"station": station, "place": where, "inputs": inputs, "sources": sources,
                    "to": kitchen.table if served else kitchen.pass_},
            check={"served": {item: units[item]}} if served else {"on_pass": {item: units[item]}},
            produces=() if served else (item_key(item),),
            consumes=tuple(item_key(i) for i in inputs if not kitchen.raw(i)),
        ))
    for part, item in sorted(tree.edges):
        graph.add_edge(subtask_id(part, part in dishes), subtask_id(item, item in dishes), origin="truth")
    graph.check_acyclic()
    return graph
