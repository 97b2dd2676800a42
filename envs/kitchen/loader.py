"""Reading the kitchen's YAML (the shipped one or a user's): checked, then turned into a Kitchen and Tasks.

Every problem is a :class:`~causalmace.errors.UserError` naming the file, the key and what was
expected, so a typo in a recipe is a one-line message, not a traceback.
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from causalmace import dag
from causalmace.envs.kitchen.world import Kitchen, Order
from causalmace.errors import UserError
from causalmace.rules import Recipe, RuleSet
from causalmace.tasks import Task

SHIPPED = "kitchen/kitchen.yaml"
SUITE = "kitchen"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SecondsSpec(_Strict):
    handle: float = Field(2.0, gt=0)
    serve: float = Field(5.0, gt=0)
    refused: float = Field(1.0, gt=0)


class RecipeSpec(_Strict):
    inputs: dict[str, int] = Field(min_length=1)
    station: str | None = None
    seconds: float = Field(gt=0)
    count: int = Field(1, ge=1)


class TaskSpec(_Strict):
    id: str = Field(min_length=1)
    description: str
    dishes: dict[str, int] = Field(min_length=1)
    t_max: float = Field(gt=0)
    min_agents: int = Field(1, ge=1)


class KitchenSpec(_Strict):
    walk_speed: float = Field(gt=0)
    places: dict[str, tuple[float, float]] = Field(min_length=1)
    pantry: str
    pass_: str = Field(alias="pass")
    table: str
    start: str
    stations: dict[str, str]
    seconds: SecondsSpec = Field(default_factory=SecondsSpec)
    stock: dict[str, int]
    recipes: dict[str, RecipeSpec]
    tasks: list[TaskSpec] = Field(min_length=1)


def _fail(message: str, source: str, key: str, expected: str | None = None) -> UserError:
    return UserError(message, file=source, key=key, expected=expected)


def _parse(text: str, source: str) -> KitchenSpec:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise UserError(f"not valid YAML: {e}", file=source) from None
    if not isinstance(data, dict):
        raise UserError("top level must be a mapping", file=source, expected="keys places, stations, recipes, ...")
    try:
        return KitchenSpec.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        key = ".".join(str(x) for x in err["loc"])
        if err["type"] == "missing":
            raise _fail("missing", source, key) from None
        expected = "a documented key; this one is unknown" if err["type"] == "extra_forbidden" else err["msg"]
        raise _fail(f"invalid value {err.get('input')!r}", source, key, expected) from None


def _check_counts(counts: dict[str, int], source: str, key: str) -> None:
    for item, n in counts.items():
        if not isinstance(n, int) or n < 1:
            raise _fail(f"count {n!r} of {item!r}", source, f"{key}.{item}", "a whole number of at least 1")


def _check(spec: KitchenSpec, source: str) -> None:
    """Cross-references the schema cannot see: every name used is defined, and the recipes do not loop."""
    places = ", ".join(spec.places)
    for key, place in (("pantry", spec.pantry), ("pass", spec.pass_), ("table", spec.table), ("start", spec.start)):
        if place not in spec.places:
            raise _fail(f"unknown place {place!r}", source, key, f"one of the places: {places}")
    if spec.pantry == spec.pass_:
        raise _fail("the pantry and the pass are the same place", source, "pass", "two different places")
    for station, place in spec.stations.items():
        if place not in spec.places:
            raise _fail(f"unknown place {place!r}", source, f"stations.{station}", f"one of the places: {places}")
    _check_counts(spec.stock, source, "stock")
    for out, r in spec.recipes.items():
        if out in spec.stock:
            raise _fail(f"{out!r} is both in the pantry's stock and made by a recipe", source, f"recipes.{out}",
                        "an item either stocked or made, not both")
        if r.station is not None and r.station not in spec.stations:
            raise _fail(f"unknown station {r.station!r}", source, f"recipes.{out}.station",
                        "one of the stations: " + ", ".join(spec.stations))
        _check_counts(r.inputs, source, f"recipes.{out}.inputs")
        for item in r.inputs:
            if item not in spec.stock and item not in spec.recipes:
                raise _fail(f"unknown ingredient {item!r}", source, f"recipes.{out}.inputs.{item}",
                            "an item of the stock or the output of another recipe")
    made = dag.DiGraph([(i, out) for out, r in spec.recipes.items() for i in r.inputs if i in spec.recipes])
    loop = dag.first_cycle(made)
    if loop:
        raise _fail("recipes make each other in a loop: " + " -> ".join(loop), source, "recipes",
                    "recipes whose inputs never need their own output")
    seen: set[str] = set()
    for k, t in enumerate(spec.tasks):
        key = f"tasks[{k}]"
        if t.id in seen:
            raise _fail(f"task id {t.id!r} is used twice", source, f"{key}.id", "unique task ids")
        seen.add(t.id)
        _check_counts(t.dishes, source, f"{key}.dishes")
        for dish in t.dishes:
            if dish not in spec.recipes:
                raise _fail(f"no recipe makes {dish!r}", source, f"{key}.dishes.{dish}", "the output of a recipe")
        for item, need in raw_needs(spec, t.dishes).items():
            if spec.stock.get(item, 0) < need:
                raise _fail(f"the task needs {need} {item} but the pantry holds {spec.stock.get(item, 0)}", source,
                            f"{key}.dishes", "dishes the pantry's stock is enough for")


def raw_needs(spec: KitchenSpec, dishes: dict[str, int]) -> dict[str, int]:
    """Pantry ingredients the dishes need, counted through the recipe tree."""
    need: dict[str, int] = {}

    def walk(item: str, n: int) -> None:
        r = spec.recipes.get(item)
        if r is None:
            need[item] = need.get(item, 0) + n
            return
        batches = math.ceil(n / r.count)
        for inp, c in r.inputs.items():
            walk(inp, c * batches)

    for dish, n in dishes.items():
        walk(dish, n)
    return need


def build(spec: KitchenSpec) -> Kitchen:
    recipes = {out: (Recipe(out, r.count, tuple(r.inputs.items()), r.station),) for out, r in spec.recipes.items()}
    items = frozenset(spec.stock) | frozenset(spec.recipes)
    rules = RuleSet(recipes=recipes, items=items, depot=spec.pass_, needs_support=False)
    return Kitchen(
        places={p: (float(x), float(y)) for p, (x, y) in spec.places.items()}, walk_speed=spec.walk_speed,
        stations=dict(spec.stations), pantry=spec.pantry, pass_=spec.pass_, table=spec.table, start=spec.start,
        stock=dict(spec.stock), cook_seconds={out: r.seconds for out, r in spec.recipes.items()}, rules=rules,
        handle_s=spec.seconds.handle, serve_s=spec.seconds.serve, refused_s=spec.seconds.refused,
    )


def complexity(spec: KitchenSpec, dishes: dict[str, int]) -> float:
    """Recipe steps the dishes take: a rough size of the task."""
    steps: set[str] = set()

    def walk(item: str) -> None:
        r = spec.recipes.get(item)
        if r is None or item in steps:
            return
        steps.add(item)
        for inp in r.inputs:
            walk(inp)

    for dish in dishes:
        walk(dish)
    return float(len(steps))


def parse_kitchen(text: str, source: str) -> tuple[Kitchen, tuple[Task, ...]]:
    """A kitchen and its tasks from YAML text; ``source`` names the file in errors and in ``Task.source``."""
    spec = _parse(text, source)
    _check(spec, source)
    kitchen = build(spec)
    tasks = tuple(Task(id=t.id, suite=SUITE, description=t.description,
                       goal=Order(tuple(t.dishes.items())), complexity=complexity(spec, t.dishes), t_max=t.t_max,
                       world=kitchen, min_agents=t.min_agents, source=source) for t in spec.tasks)
    return kitchen, tasks


@lru_cache(maxsize=8)
def load_kitchen(path: str | None = None) -> tuple[Kitchen, tuple[Task, ...]]:
    """The shipped kitchen (``path`` None) or a user's file, read once per process."""
    if path is None:
        text = resources.files("causalmace.envs.kitchen").joinpath("data", "kitchen.yaml").read_text("utf-8")
        return parse_kitchen(text, SHIPPED)
    try:
        text = Path(path).read_text("utf-8")
    except FileNotFoundError:
        raise UserError("file not found", file=str(path)) from None
    return parse_kitchen(text, str(path))


def task_by_id(tasks: tuple[Task, ...], task_id: str) -> Task:
    for t in tasks:
        if t.id == task_id:
            return t
    raise UserError(f"no kitchen task {task_id!r}", key="task", expected="one of: " + ", ".join(t.id for t in tasks))


__all__ = ["load_kitchen", "parse_kitchen", "raw_needs", "task_by_id"]
