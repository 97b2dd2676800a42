"""The kitchen as data: its fixed layout (places, stations, stock, timings) and its changing state."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from causalmace.rules import RuleSet


@dataclass(frozen=True, eq=False)
class Kitchen:
    """What never changes during a run: where things are, how long things take, the recipes.

    ``rules`` holds the recipes as a :class:`~causalmace.rules.RuleSet`, so that interventions
    (``RuleSet.changed``) work on them like on any other env's rules; ``cook_seconds`` is the time of
    one batch of each output, which a changed recipe keeps.
    """

    places: Mapping[str, tuple[float, float]]
    walk_speed: float
    stations: Mapping[str, str]  # station -> the place it stands at
    pantry: str
    pass_: str
    table: str
    start: str
    stock: Mapping[str, int]  # the pantry's contents at the start
    cook_seconds: Mapping[str, float]
    rules: RuleSet
    handle_s: float = 2.0
    serve_s: float = 5.0
    refused_s: float = 1.0

    def travel(self, a: str, b: str) -> float:
        """Seconds to walk from place ``a`` to place ``b``."""
        (xa, ya), (xb, yb) = self.places[a], self.places[b]
        return round(math.hypot(xa - xb, ya - yb) / self.walk_speed, 1)

    def raw(self, item: str) -> bool:
        """Whether ``item`` is an ingredient fetched from the pantry rather than made."""
        return item in self.stock

    def source(self, item: str) -> str:
        """Where a cook finds ``item``: the pantry for ingredients, the pass for what the team made."""
        return self.pantry if self.raw(item) else self.pass_

    def storages(self) -> tuple[str, ...]:
        return (self.pantry, self.pass_)


@dataclass(frozen=True)
class Order:
    """A task's goal: dishes to serve, and how many of each."""

    dishes: tuple[tuple[str, int], ...]

    def wants(self) -> tuple[str, ...]:
        return tuple(d for d, _ in self.dishes)


@dataclass
class Cook:
    """One agent: where it stands, what it carries, its clock and how long it has worked."""

    name: str
    place: str
    clock: float = 0.0
    busy: float = 0.0
    inventory: dict[str, int] = field(default_factory=dict)

    def copy(self) -> Cook:
        return Cook(self.name, self.place, self.clock, self.busy, dict(self.inventory))


@dataclass
class KitchenState:
    """Everything a run changes: the cooks, the storage at the pantry and the pass, what was served."""

    cooks: dict[str, Cook]
    storage: dict[str, dict[str, int]]  # place -> item -> count
    served: dict[str, int] = field(default_factory=dict)
    intervals: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    @classmethod
    def fresh(cls, kitchen: Kitchen, agents: list[str]) -> KitchenState:
        storage: dict[str, dict[str, int]] = {p: {} for p in kitchen.storages()}
        storage[kitchen.pantry] = dict(kitchen.stock)
        return cls({a: Cook(a, kitchen.start) for a in agents}, storage)

    def copy(self) -> KitchenState:
        return KitchenState({a: c.copy() for a, c in self.cooks.items()},
                            {p: dict(s) for p, s in self.storage.items()}, dict(self.served),
                            {a: list(v) for a, v in self.intervals.items()})


def add(counts: dict[str, int], item: str, n: int) -> None:
    """Add ``n`` (possibly negative) of ``item``; a count that reaches zero is removed."""
    left = counts.get(item, 0) + n
    if left > 0:
        counts[item] = left
    else:
        counts.pop(item, None)
