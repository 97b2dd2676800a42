"""Build the CraftWorld :class:`RuleSet` from the 1.19.2 tables and ``extra_rules.yaml``."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from causalmace.rules import DigRule, EntityRule, Recipe, RuleSet, SmeltRule, UseRule

TOOL_KINDS = ("pickaxe", "axe", "shovel", "hoe", "sword")


def _data(name: str) -> Any:
    text = resources.files("causalmace.envs.craftworld").joinpath("data", name).read_text("utf-8")
    if name.endswith(".yaml"):  # a shipped table: libyaml's parser where installed, the same data faster
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return json.loads(text)


def _needs_table(r: dict[str, Any], table_only: set[str]) -> bool:
    shape = r.get("inShape")
    if shape is not None:
        return len(shape) > 2 or any(len(row) > 2 for row in shape)
    return sum(i["count"] for i in r["ingredients"]) > 4 or r["result"]["name"] in table_only


@lru_cache(maxsize=1)
def remainders() -> dict[str, str]:
    """Ingredient -> the container it leaves behind (milk_bucket -> bucket), as Minecraft's crafting grid does.

    The core :class:`RuleSet` has no field for it yet, so the simulator reads it from here.
    """
    return {str(k): str(v) for k, v in _data("extra_rules.yaml").get("remainders", {}).items()}


@lru_cache(maxsize=1)
def base_rules() -> RuleSet:
    """The full rule table; cached because every env and planner reads the same one."""
    extra = _data("extra_rules.yaml")
    table_only = set(extra.get("table_only", []))
    recipes: dict[str, list[Recipe]] = {}
    for r in _data("recipes.json"):
        out = r["result"]["name"]
        inputs = tuple((i["name"], int(i["count"])) for i in r["ingredients"])
        station = "crafting_table" if _needs_table(r, table_only) else None
        recipes.setdefault(out, []).append(Recipe(out, int(r["result"]["count"]), inputs, station))
    blocks_json = _data("minecraft_data/blocks.json")
    tools_json = {d["name"]: d.get("tools") for d in _data("minecraft_data/dig_item.json")}
    drops = extra["drops"]
    digging: dict[str, DigRule] = {}
    for b in blocks_json:
        name = b["name"]
        hardness = b.get("hardness")
        hardness = -1.0 if hardness is None or not b.get("diggable", True) else float(hardness)
        material = str(b.get("material", ""))
        kind = material.split("/")[1] if material.startswith("mineable/") else None
        tools = tools_json.get(name)
        d = drops.get(name, {name: 1})
        digging[name] = DigRule(name, tuple((k, int(v)) for k, v in d.items()), hardness,
                                frozenset(tools) if tools else None, kind)
    for name in extra.get("extra_blocks", []):
        digging.setdefault(name, DigRule(name, (), -1.0))
    passable = frozenset(b["name"] for b in blocks_json if b.get("boundingBox") == "empty")
    items = frozenset(i["name"] for i in _data("minecraft_data/items.json"))
    blocks = frozenset(b["name"] for b in blocks_json) | frozenset(extra.get("extra_blocks", []))
    interactive: dict[str, str] = {}
    for name in blocks:
        for suffix, kind in extra["interactive"].items():
            if name == suffix or (suffix.startswith("_") and name.endswith(suffix)):
                interactive[name] = kind
    for c in extra["containers"]:
        interactive[c] = "container"
    interactive[str(extra["smelt_station"])] = "station"
    tool_speed: dict[str, float] = {}
    for material, speed in extra["tool_speed"].items():
        for kind in TOOL_KINDS:
            tool_speed[f"{material}_{kind}"] = float(speed)
    return RuleSet(
        recipes={k: tuple(v) for k, v in recipes.items()},
        smelting={k: SmeltRule(k, v) for k, v in extra["smelting"].items()},
        fuels={k: float(v) for k, v in extra["fuels"].items()},
        digging=digging,
        entities={k: EntityRule(k, float(v["health"]), tuple((n, int(c)) for n, c in v["drops"].items()))
                  for k, v in extra["entities"].items()},
        uses={(u["item"], u["entity"]): UseRule(u["item"], u["entity"], u["gives"]) for u in extra["uses"]},
        tool_speed=tool_speed,
        weapon_damage={k: float(v) for k, v in extra["weapon_damage"].items()},
        blocks=blocks,
        items=items | {"key"},
        interactive=interactive,
        smelt_station=str(extra["smelt_station"]),
        scaffold=str(extra["scaffold_block"]),
        depot=str(extra["depot_container"]),
        passable=passable,
    )
