"""Does B still need A under these rules? Read from the rules tables alone, never from a world.

This is how the offline symbolic model answers the refiner's counterfactual question: A is needed
when a rule of B's links A's output to B (a recipe's input or station, a smelting input or fuel, a
digging tool, an item used on a creature, a block B's blocks rest on, a trigger condition that must
fire before B's area opens). It reads only what a plan states about its subtasks (``target``,
``produces``, ``params``), as a careful reader of the rules would, so it can be wrong where the
world holds more than the rules say; the refiner's ``simulate`` estimator is the yardstick.
"""

from __future__ import annotations

from causalmace.graph import Subtask
from causalmace.judger import NEIGHBOURS
from causalmace.rules import RuleSet


def _items(st: Subtask) -> set[str]:
    keys = [k.split(":", 1)[1] for k in st.produces if k.startswith("item:")]
    return set(keys) or {st.target}


def _cells(st: Subtask) -> set[tuple[int, ...]]:
    out = {tuple(int(v) for v in k.split(":", 1)[1].split(",")) for k in st.produces if k.startswith("cell:")}
    return out


def _groups(st: Subtask) -> set[str]:
    return {k.split(":", 1)[1] for k in st.produces if k.startswith("group:")}


def _b_cells(st: Subtask) -> set[tuple[int, ...]]:
    cells = {tuple(b[0]) for b in st.params.get("blocks", []) if isinstance(b, list | tuple) and b
             and isinstance(b[0], list | tuple)}
    cells |= {tuple(p) for p in st.params.get("blocks", []) if isinstance(p, list | tuple) and p
              and isinstance(p[0], int)}
    cells |= {tuple(w[0]) for w in st.params.get("wait_for", [])}
    return cells


def needs(rules: RuleSet, a: Subtask, b: Subtask) -> bool:
    """Whether ``b`` needs ``a`` to be done first under ``rules``."""
    items = _items(a)
    options = rules.recipes.get(b.target, ()) if b.kind not in ("build", "scaffold", "clear") else ()
    planned = {str(i[0]) for i in b.params.get("inputs", []) if isinstance(i, list | tuple) and i}
    if planned:  # the plan says which recipe B follows: does that recipe, as the rules now stand, use A's output?
        options = tuple(r for r in options if {n for n, _ in r.inputs} <= planned)
    if options and all(any(n in items for n, _ in r.inputs) or r.station in items for r in options):
        return True
    if b.params.get("input") in items and b.params.get("input") in rules.smelting:
        return True
    if b.params.get("fuel") in items and b.params.get("fuel") in rules.fuels:
        return True
    dig = rules.digging.get(str(b.params.get("block", "")))
    if dig is not None and dig.tools is not None and items & set(dig.tools):
        return True
    tool = b.params.get("tool")
    if tool in items and any(t == tool and u.gives == b.target for (t, _), u in rules.uses.items()):
        return True
    if rules.needs_support:
        mine = _cells(a)
        if mine and any((c[0] + d[0], c[1] + d[1], c[2] + d[2]) in mine for c in _b_cells(b) for d in NEIGHBOURS):
            return True
    return _trigger_link(rules, a, b)


def _trigger_link(rules: RuleSet, a: Subtask, b: Subtask) -> bool:
    """A condition of an area's trigger comes before B when B is in a later area, or later in the same one;
    it stops doing so when the trigger no longer waits for A's block."""
    trig = a.params.get("trigger")
    if trig is None or not _groups(a):
        return False
    t = next((t for t in rules.triggers if t.id == trig), None)
    if t is None or not any(c.block == a.params.get("block") for c in t.conditions):
        return False
    ga, gb = a.params.get("room"), b.params.get("room")
    if ga is None or gb is None:
        return False
    if ga != gb:
        return int(ga) < int(gb)
    return int(a.params.get("order", 0)) < int(b.params.get("order", 0))
