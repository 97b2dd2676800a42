"""VillagerBench farm-to-table cooking from ``farm_setting.json``: upstream's 36 cakes and 64 rabbit stews,
and any other dish the 1.19.2 recipe or smelting tables make.

A setting names its dish (``target``), its ingredient sources (every other string field, ``"ITEM in
PLACE"`` as upstream writes them: ``"wheat": "hay_block in farm"``), its components (blocks, chests with
items, and structures of ``farm_blue_print.json`` with their blocks and creatures) and its checkpoints.
Cake and rabbit stew keep upstream's complexity table; another dish gets
:func:`~causalmace.envs.villagerbench.scoring.dish_complexity` from its recipe tree.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any

from causalmace.envs.craftworld.setup import BlockSpec, ContainerSpec, WorldSetup, creature_names
from causalmace.envs.villagerbench import scoring
from causalmace.envs.villagerbench.goals import Checkpoint, CraftGoal
from causalmace.errors import UserError
from causalmace.inputs import clip
from causalmace.rules import Pos, RuleSet
from causalmace.tasks import Task

FACING = {"north": "N", "south": "S", "east": "E", "west": "W"}
RESERVED = ("name", "target", "component", "check_point")  # every other field names an ingredient source
SOURCE = re.compile(r"^\s*(?:minecraft:)?([a-z0-9_]+)\s+in\s+([a-z0-9_]+(?:\s+[a-z0-9_]+)*)\s*$")
SOURCE_FORM = "an ingredient source 'ITEM in PLACE', e.g. 'wheat in chest' or 'carrot in farm'"


def steps_to(dish: str, rules: RuleSet) -> dict[str, int]:
    """For each item, block or creature that leads to ``dish``: the fewest crafting, smelting and use rules
    on the way. Harvesting a block or hunting a creature for its drop costs no step; a fuel counts as an
    input of the smelting it feeds."""
    smelted: dict[str, list[str]] = {}
    for r in rules.smelting.values():
        smelted.setdefault(r.output, []).append(r.input)
    dropped: dict[str, list[str]] = {}
    for d in rules.digging.values():
        for item, _ in d.drops:
            dropped.setdefault(item, []).append(d.block)
    for e in rules.entities.values():
        for item, _ in e.drops:
            dropped.setdefault(item, []).append(e.entity)
    used: dict[str, list[str]] = {}
    for u in rules.uses.values():
        used.setdefault(u.gives, []).append(u.item)
    dist = {dish: 0}
    queue: deque[str] = deque([dish])
    while queue:  # 0-1 breadth-first search backwards from the dish
        item = queue.popleft()
        d = dist[item]
        for src in dropped.get(item, ()):
            if dist.get(src, d + 1) > d:
                dist[src] = d
                queue.appendleft(src)
        made = [n for r in rules.recipes.get(item, ()) for n, _ in r.inputs]
        fuel = list(rules.fuels) if item in smelted else []  # a smelting step burns fuel
        for src in made + smelted.get(item, []) + fuel + used.get(item, []):
            if src not in dist:
                dist[src] = d + 1
                queue.append(src)
    return dist


def _dish_complexity(sources: dict[str, str], target: str, rules: RuleSet, source: str, key: str) -> float:
    """The generic complexity of a dish upstream has no table for (see ``scoring.dish_complexity``)."""
    recipes = rules.recipes.get(target, ())
    if not recipes and not any(r.output == target for r in rules.smelting.values()):
        raise UserError(f"no recipe makes {target!r}", file=source, key=f"{key}.target",
                        expected="a dish the 1.19.2 recipe or smelting tables make")
    dist = steps_to(target, rules)
    options = []
    for field, text in sources.items():
        m = SOURCE.match(text)
        if m is None:
            raise UserError(f"bad ingredient source {clip(text)}", file=source, key=f"{key}.{field}",
                            expected=SOURCE_FORM)
        item, place = m.group(1), m.group(2)
        if item not in dist:
            raise UserError(f"{item!r} does not lead to {target!r}", file=source, key=f"{key}.{field}",
                            expected=f"an item, block or creature the recipe, smelting or use tables turn into "
                                     f"{target}")
        options.append(scoring.SourceOption(dist[item], place != "chest"))
    inputs = len({n for n, _ in recipes[0].inputs}) if recipes else 1
    return scoring.dish_complexity(options, inputs)


def _pos(v: Any, source: str, key: str) -> Pos:
    if not (isinstance(v, list | tuple) and len(v) == 3 and all(isinstance(c, int | float) for c in v)):
        raise UserError(f"bad position {clip(v)}", file=source, key=key, expected="[x, y, z] numbers")
    return (int(v[0]), int(v[1]), int(v[2]))


def _req(d: Any, field: str, source: str, key: str, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(d, dict) or field not in d:
        raise UserError("missing field", file=source, key=f"{key}.{field}")
    v = d[field]
    if not isinstance(v, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise UserError(f"wrong type {type(v).__name__}", file=source, key=f"{key}.{field}", expected=names)
    return v


def _block_spec(b: dict[str, Any], origin: Pos, source: str, key: str) -> BlockSpec:
    p = _pos(_req(b, "position", source, key, list), source, f"{key}.position")
    facing = b.get("axis") or FACING.get(str(b.get("facing", "")), "A")
    open_ = str(b.get("open", "false")).lower() == "true"
    return BlockSpec(b["name"], (p[0] + origin[0], p[1] + origin[1], p[2] + origin[2]), facing, False, open_)


def load_farming(settings: Any, blueprints: Any, rules: RuleSet, source: str,
                 blueprint_source: str) -> list[Task]:
    if not isinstance(settings, list):
        raise UserError("top level must be a list of farm settings", file=source, expected="a JSON list")
    if not isinstance(blueprints, dict):
        raise UserError("top level must be an object of structures", file=blueprint_source,
                        expected="a JSON object")
    tasks: list[Task] = []
    for i, s in enumerate(settings):
        key = f"[{i}]"
        name = _req(s, "name", source, key, str)
        key = name
        target = _req(s, "target", source, key, str)
        if target not in rules.items:
            raise UserError(f"unknown item {target!r}", file=source, key=f"{key}.target",
                            expected="a Minecraft 1.19.2 item")
        blocks: list[BlockSpec] = []
        containers: list[ContainerSpec] = []
        creatures: list[tuple[str, Pos]] = []
        for j, c in enumerate(_req(s, "component", source, key, list)):
            ck = f"{key}.component[{j}]"
            cname = _req(c, "name", source, ck, str)
            ctype = _req(c, "type", source, ck, str)
            origin = _pos(_req(c, "position", source, ck, list), source, f"{ck}.position")
            if ctype == "block":
                if cname not in rules.blocks:
                    raise UserError(f"unknown block {cname!r}", file=source, key=f"{ck}.name",
                                    expected="a Minecraft 1.19.2 block")
                if rules.interactive.get(cname) == "container":
                    items = []
                    for k, it in enumerate(c.get("items", [])):
                        ik = f"{ck}.items[{k}]"
                        iname = _req(it, "name", source, ik, str)
                        if iname not in rules.items:
                            raise UserError(f"unknown item {iname!r}", file=source, key=f"{ik}.name",
                                            expected="a Minecraft 1.19.2 item")
                        items.append((iname, int(_req(it, "count", source, ik, int))))
                    containers.append(ContainerSpec(cname, origin, tuple(items)))
                else:
                    blocks.append(BlockSpec(cname, origin, FACING.get(str(c.get("facing", "")), "A")))
            elif ctype == "structure":
                bp = blueprints.get(cname)
                if bp is None:
                    raise UserError(f"unknown structure {cname!r}", file=source, key=f"{ck}.name",
                                    expected="a structure of " + blueprint_source)
                for k, b in enumerate(bp.get("blocks", [])):
                    bk = f"{cname}.blocks[{k}]"
                    spec = _block_spec(b, origin, blueprint_source, bk)
                    if spec.name not in rules.blocks:
                        raise UserError(f"unknown block {spec.name!r}", file=blueprint_source,
                                        key=f"{bk}.name", expected="a Minecraft 1.19.2 block")
                    if rules.interactive.get(spec.name) == "container":
                        items = tuple((it["name"], int(it["count"])) for it in b.get("items", []))
                        containers.append(ContainerSpec(spec.name, spec.pos, items))
                    else:
                        blocks.append(spec)
                for k, e in enumerate(bp.get("entities", [])):
                    ek = f"{cname}.entities[{k}]"
                    ename = _req(e, "name", blueprint_source, ek, str)
                    if ename not in creature_names(rules):
                        raise UserError(f"unknown creature {ename!r}", file=blueprint_source, key=f"{ek}.name",
                                        expected="a Minecraft 1.19.2 animal")
                    p = _req(e, "position", blueprint_source, ek, list)
                    _pos(p, blueprint_source, f"{ek}.position")  # a creature may stand between cells
                    creatures.append((ename, (int(origin[0] + p[0]), int(origin[1] + p[1]),
                                              int(origin[2] + p[2]))))
            else:
                raise UserError(f"unknown component type {ctype!r}", file=source, key=f"{ck}.type",
                                expected="'block' or 'structure'")
        checkpoints = []
        for k, cp in enumerate(_req(s, "check_point", source, key, list)):
            pk = f"{key}.check_point[{k}]"
            checkpoints.append(Checkpoint(
                _req(cp, "name", source, pk, str), int(_req(cp, "count", source, pk, int)),
                float(_req(cp, "score", source, pk, (int, float))),
                tuple(x for x in _req(cp, "sub_check_point", source, pk, list) if x != cp["name"]),
            ))
        sources = {}
        for k, v in s.items():
            if k in RESERVED:
                continue
            if not isinstance(v, str):
                raise UserError(f"wrong type {type(v).__name__}", file=source, key=f"{key}.{k}", expected=SOURCE_FORM)
            sources[k] = v
        if target in scoring.UPSTREAM_DISHES:
            try:
                complexity = scoring.farming_complexity(sources, target)
            except ValueError as e:
                raise UserError(str(e), file=source, key=key, expected="VillagerBench ingredient sources") from None
        else:
            complexity = _dish_complexity(sources, target, rules, source, key)
        world = WorldSetup(
            ground_y=0, blocks=tuple(blocks), containers=tuple(containers), creatures=tuple(creatures),
            spawn=tuple((x, 0, 2) for x in (0, 1, -1, 2, -2, 3, -3, 4)),
        )
        desc = f"Make {target}. Ingredients: " + "; ".join(f"{k}: {v}" for k, v in sources.items())
        tasks.append(Task(
            id=name, suite="farming", description=desc,
            goal=CraftGoal(target, 1, tuple(checkpoints), sources), complexity=complexity,
            t_max=scoring.farming_t_max(complexity), world=world, source=source,
        ))
    return tasks
