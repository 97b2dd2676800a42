"""VillagerBench construction: 100 structures described in text, materials in a chest by the site."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from causalmace.envs.craftworld.setup import ContainerSpec, WorldSetup
from causalmace.envs.villagerbench import scoring
from causalmace.envs.villagerbench.construction_text import DescriptionError, parse_description
from causalmace.envs.villagerbench.goals import BuildGoal
from causalmace.errors import UserError
from causalmace.inputs import clip, load_json
from causalmace.limits import WORLD_XZ, WORLD_Y_MAX
from causalmace.rules import RuleSet
from causalmace.tasks import Task

GROUND_Y = -60
CHEST_POS = (-4, GROUND_Y, 0)
SCAFFOLD = (("dirt", 128), ("ladder", 128))  # upstream's building_material_load adds these too


def load_construction(data: Any, rules: RuleSet, source: str) -> list[Task]:
    if not isinstance(data, dict):
        raise UserError("top level must be an object of task_N -> list of lines", file=source,
                        expected="a JSON object")
    tasks: list[Task] = []
    for tid, lines in data.items():
        if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
            raise UserError("description must be a list of strings", file=source, key=tid,
                            expected="list of text lines")
        try:
            parsed = parse_description(lines)
        except DescriptionError as e:
            raise UserError(f"line {e.line + 1}: {e}", file=source, key=tid,
                            expected="a structure of reasonable size inside the world") from None
        if not parsed.blocks:
            raise UserError("no block could be read from the description", file=source, key=tid,
                            expected="lines such as 'material: dirt facing: A position: [-8, -60, 0]'")
        target: dict[tuple[int, int, int], tuple[str, str]] = {}
        for b in parsed.blocks:
            if b.name not in rules.blocks:
                raise UserError(f"unknown material {clip(b.name)}", file=source, key=f"{tid}.material",
                                expected="a Minecraft 1.19.2 block name")
            if b.pos[1] < GROUND_Y:
                raise UserError(f"position {b.pos} is below the ground (y={GROUND_Y})", file=source,
                                key=f"{tid}.position", expected=f"y >= {GROUND_Y}")
            if b.pos[1] > WORLD_Y_MAX or abs(b.pos[0]) > WORLD_XZ or abs(b.pos[2]) > WORLD_XZ:
                raise UserError(f"position {b.pos} is outside the world", file=source, key=f"{tid}.position",
                                expected=f"|x|, |z| <= {WORLD_XZ} and y from {GROUND_Y} to {WORLD_Y_MAX}")
            target[b.pos] = (b.name, b.facing)
        materials = Counter(name for name, _ in target.values())
        for item, n in SCAFFOLD:
            materials[item] += n
        complexity = scoring.construction_complexity(target)
        notes = tuple(f"line {i + 1} read by the tolerant rule" for i in parsed.tolerant_lines)
        world = WorldSetup(
            ground_y=GROUND_Y,
            containers=(ContainerSpec("chest", CHEST_POS, tuple(sorted(materials.items()))),),
            spawn=tuple((-2, GROUND_Y, z) for z in (-2, -1, 0, 1, 2, 3, 4, 5)),
            notes=notes,
        )
        tasks.append(Task(
            id=tid, suite="construction",
            description="Build the structure: " + " ".join(lines)[:2000],
            goal=BuildGoal(target, GROUND_Y), complexity=complexity,
            t_max=scoring.construction_t_max(complexity), world=world, source=source,
        ))
    return tasks


def read_json(path: Path | str) -> Any:
    """A user's task file: strict JSON of bounded size and nesting (see :mod:`causalmace.inputs`)."""
    return load_json(path)
