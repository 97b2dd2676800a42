"""VillagerBench farm-to-table cooking: 36 cakes and 64 rabbit stews, from ``farm_setting.json``."""

from __future__ import annotations

from typing import Any

from causalmace.envs.craftworld.setup import BlockSpec, ContainerSpec, WorldSetup
from causalmace.envs.villagerbench import scoring
from causalmace.envs.villagerbench.goals import Checkpoint, CraftGoal
from causalmace.errors import UserError
from causalmace.inputs import clip
from causalmace.rules import Pos, RuleSet
from causalmace.tasks import Task

FACING = {"north": "N", "south": "S", "east": "E", "west": "W"}
SOURCE_KEYS = ("milk", "wheat", "sugar", "cooked_rabbit", "baked_potato", "carrot", "brown_mushroom",
               "bowl", "coal")


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
                for e in bp.get("entities", []):
                    p = e["position"]
                    creatures.append((e["name"], (int(origin[0] + p[0]), int(origin[1] + p[1]),
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
        sources = {k: v for k, v in s.items() if k in SOURCE_KEYS}
        try:
            complexity = scoring.farming_complexity(sources, target)
        except ValueError as e:
            raise UserError(str(e), file=source, key=key, expected="VillagerBench ingredient sources") from None
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
