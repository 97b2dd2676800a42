"""Game rules as data: one table read by the simulator, the planner, the Judger and interventions.

Every rule has a :class:`RuleRef` so that the causal refiner can name it, change it
(:meth:`RuleSet.changed`) and ask again whether a dependency still holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

Pos = tuple[int, int, int]
ItemCount = tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Recipe:
    output: str
    count: int
    inputs: ItemCount
    station: str | None = None  # "crafting_table" for recipes that do not fit the 2x2 grid


@dataclass(frozen=True, slots=True)
class SmeltRule:
    input: str
    output: str


@dataclass(frozen=True, slots=True)
class DigRule:
    block: str
    drops: ItemCount
    hardness: float
    tools: frozenset[str] | None = None  # None: a bare hand harvests it
    tool_kind: str | None = None  # pickaxe/axe/shovel/hoe: speeds digging up


@dataclass(frozen=True, slots=True)
class EntityRule:
    entity: str
    health: float
    drops: ItemCount


@dataclass(frozen=True, slots=True)
class UseRule:
    item: str
    entity: str
    gives: str
    consumes: bool = True


@dataclass(frozen=True, slots=True)
class Condition:
    """A world fact an escape-room trigger waits for (a lever powered, a block present...)."""

    block: str
    pos: Pos
    state: Literal["powered", "present", "open"] = "powered"
    order: int = 0  # sub-events fire in this order


@dataclass(frozen=True, slots=True)
class Effect:
    kind: Literal["set_block", "give", "teleport_merge", "teleport_split", "teleport", "open"]
    pos: Pos
    block: str = "air"
    item: str = ""
    target: Pos | None = None
    on: int | None = None  # index of the condition whose firing applies it; None: the whole trigger


@dataclass(frozen=True, slots=True)
class Trigger:
    id: str
    conditions: tuple[Condition, ...]
    effects: tuple[Effect, ...]
    mode: Literal["and", "or"] = "and"
    wait_interval: float = 4.0
    room: int = 0


@dataclass(frozen=True, slots=True)
class Durations:
    """Seconds of simulated time; the defaults suit block worlds, an env may set its own."""

    walk_speed: float = 4.317
    climb_cost: float = 2.0  # path blocks per block climbed (pathfinder pillars up)
    place: float = 0.25
    craft: float = 0.5
    smelt_per_item: float = 10.0
    container: float = 0.5
    toggle: float = 0.25
    handover: float = 0.5
    scan: float = 0.2
    equip: float = 0.05
    use_on_entity: float = 0.25
    attack_cooldown: float = 0.625
    min_dig: float = 0.05


@dataclass(frozen=True, slots=True)
class RuleRef:
    """Names one rule: ``("recipe", "cake", 0)``, ``("dig", "coal_ore")``, ``("trigger", "room1")``..."""

    kind: Literal["recipe", "smelt", "fuel", "dig", "use", "entity", "trigger", "support"]
    key: str
    index: int = 0

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}" + (f"#{self.index}" if self.index else "")


@dataclass(frozen=True, slots=True)
class RuleChange:
    """An intervention do(r changed): drop ``item`` from rule ``ref``, or drop the whole rule."""

    ref: RuleRef
    drop: str | None = None

    def __str__(self) -> str:
        return f"do({self.ref} without {self.drop})" if self.drop else f"do(remove {self.ref})"


@dataclass(frozen=True)
class RuleSet:
    recipes: Mapping[str, tuple[Recipe, ...]] = field(default_factory=dict)
    smelting: Mapping[str, SmeltRule] = field(default_factory=dict)
    fuels: Mapping[str, float] = field(default_factory=dict)  # items smelted per fuel item
    digging: Mapping[str, DigRule] = field(default_factory=dict)
    entities: Mapping[str, EntityRule] = field(default_factory=dict)
    uses: Mapping[tuple[str, str], UseRule] = field(default_factory=dict)
    tool_speed: Mapping[str, float] = field(default_factory=dict)
    weapon_damage: Mapping[str, float] = field(default_factory=dict)
    blocks: frozenset[str] = frozenset()
    items: frozenset[str] = frozenset()
    interactive: Mapping[str, str] = field(default_factory=dict)  # block -> lever/button/plate/door
    passable: frozenset[str] = frozenset()  # blocks one walks through: plates, crops, torches, signs
    triggers: tuple[Trigger, ...] = ()
    needs_support: bool = True  # a block is placed against a neighbour or the ground
    smelt_station: str | None = None  # the block smelting needs within reach
    scaffold: str | None = None  # the block a team places as temporary support
    depot: str | None = None  # the container a team keeps its stock in
    durations: Durations = field(default_factory=Durations)

    # ---- queries -------------------------------------------------------------------------
    def known(self, name: str) -> bool:
        return name in self.items or name in self.blocks

    def recipe_for(self, item: str, have: Mapping[str, int] | None = None) -> Recipe | None:
        """The first recipe for ``item``, preferring one whose inputs ``have`` covers."""
        options = self.recipes.get(item, ())
        if not options:
            return None
        if have is not None:
            for r in options:
                if all(have.get(n, 0) >= c for n, c in r.inputs):
                    return r
        return options[0]

    def relevant(self, items: Iterable[str]) -> list[RuleRef]:
        """Rules that mention any of ``items`` as input or output: the candidates to intervene on.

        In table order (recipes, smelting, fuels, digging, uses, then triggers). The tables are looked
        up in an index by item (:func:`_table_index`): the refiner and the rules text ask this per edge.
        """
        refs, by_item = _table_index(self)
        wanted = set(items)
        hits: set[int] = set()
        for name in wanted:
            found = by_item.get(name)
            if found:
                hits.update(found)
        out = [refs[i] for i in sorted(hits)]
        for t in self.triggers:
            if any(c.block in wanted for c in t.conditions):
                out.append(RuleRef("trigger", t.id))
        if "support" in wanted:
            out.append(RuleRef("support", "placement"))
        return out

    # ---- interventions ----------------------------------------------------------------------
    def mentions(self, ref: RuleRef, item: str) -> bool:
        """Whether rule ``ref`` uses ``item`` (as ingredient, station, fuel, tool or condition)."""
        if ref.kind == "recipe":
            options = self.recipes.get(ref.key, ())
            r = options[ref.index] if ref.index < len(options) else None
            return r is not None and (item == r.station or any(n == item for n, _ in r.inputs))
        if ref.kind == "smelt":
            return ref.key == item
        if ref.kind == "fuel":
            return ref.key == item
        if ref.kind == "dig":
            d = self.digging.get(ref.key)
            return d is not None and d.tools is not None and item in d.tools
        if ref.kind == "use":
            return ref.key.split("@", 1)[0] == item
        if ref.kind == "trigger":
            return any(c.block == item for t in self.triggers if t.id == ref.key for c in t.conditions)
        return ref.kind == "support"

    def changed(self, change: RuleChange) -> RuleSet:
        """A copy with one rule changed; the original is untouched."""
        ref, drop = change.ref, change.drop
        if ref.kind == "recipe":
            recipes = dict(self.recipes)
            options = list(recipes.get(ref.key, ()))
            if ref.index < len(options):
                r = options[ref.index]
                if drop is None:
                    options.pop(ref.index)
                elif drop == r.station:
                    options[ref.index] = replace(r, station=None)
                else:
                    options[ref.index] = replace(r, inputs=tuple((n, c) for n, c in r.inputs if n != drop))
            recipes[ref.key] = tuple(options)
            return replace(self, recipes=recipes)
        if ref.kind == "smelt":
            smelting = dict(self.smelting)
            smelting.pop(ref.key, None)
            return replace(self, smelting=smelting)
        if ref.kind == "fuel":
            fuels = dict(self.fuels)
            fuels.pop(ref.key, None)
            return replace(self, fuels=fuels)
        if ref.kind == "dig":
            digging = dict(self.digging)
            if ref.key in digging:
                digging[ref.key] = replace(digging[ref.key], tools=None)
            return replace(self, digging=digging)
        if ref.kind == "use":
            item, ent = ref.key.split("@", 1)
            uses = dict(self.uses)
            uses.pop((item, ent), None)
            return replace(self, uses=uses)
        if ref.kind == "trigger":
            triggers = []
            for t in self.triggers:
                if t.id == ref.key:
                    conds = tuple(c for c in t.conditions if drop is None or c.block != drop)
                    t = replace(t, conditions=conds)
                triggers.append(t)
            return replace(self, triggers=tuple(triggers))
        if ref.kind == "support":
            return replace(self, needs_support=False)
        raise ValueError(f"unknown rule kind {ref.kind!r}")


_Tables = tuple[Mapping, Mapping, Mapping, Mapping, Mapping]
_TABLE_INDEX: dict[tuple[int, ...], tuple[_Tables, list[RuleRef], dict[str | None, tuple[int, ...]]]] = {}


def _table_index(rules: RuleSet) -> tuple[list[RuleRef], dict[str | None, tuple[int, ...]]]:
    """Every table rule :meth:`RuleSet.relevant` can name, in table order, and for each item the rules
    that mention it. Kept by the tables' identity, so a copy that changes only its triggers (or another
    table) shares the rest; the tables are never changed in place (:meth:`RuleSet.changed` copies)."""
    tables = (rules.recipes, rules.smelting, rules.fuels, rules.digging, rules.uses)
    key = tuple(map(id, tables))
    hit = _TABLE_INDEX.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], tables, strict=True)):
        return hit[1], hit[2]
    refs: list[RuleRef] = []
    mentions: dict[str | None, list[int]] = {}

    def add(ref: RuleRef, names: Iterable[str | None]) -> None:
        i = len(refs)
        refs.append(ref)
        for n in dict.fromkeys(names):
            mentions.setdefault(n, []).append(i)

    for out, options in rules.recipes.items():
        for i, r in enumerate(options):
            add(RuleRef("recipe", out, i), [out, *(n for n, _ in r.inputs), r.station])
    for inp, sm in rules.smelting.items():
        add(RuleRef("smelt", inp), [inp, sm.output])
    for f in rules.fuels:
        add(RuleRef("fuel", f), [f])
    for b, d in rules.digging.items():
        if d.tools is not None:
            add(RuleRef("dig", b), [b, *sorted(d.tools)])
    for (it, ent), u in rules.uses.items():
        add(RuleRef("use", f"{it}@{ent}"), [it, u.gives, ent])
    if len(_TABLE_INDEX) >= 64:
        _TABLE_INDEX.clear()
    by_item = {n: tuple(v) for n, v in mentions.items()}
    _TABLE_INDEX[key] = (tables, refs, by_item)
    return refs, by_item
