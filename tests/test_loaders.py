import json
from pathlib import Path
from typing import Any

import pytest

from causalmace.envs.villagerbench.construction_text import parse_description, parse_line
from causalmace.envs.villagerbench.goals import BuildGoal, CraftGoal, EscapeGoal
from causalmace.envs.villagerbench.suites import load_tasks


def test_construction_loads_all_100_tasks() -> None:
    tasks = load_tasks("construction")
    assert len(tasks) == 100
    assert all(isinstance(t.goal, BuildGoal) and t.goal.target for t in tasks)
    total = sum(len(t.goal.target) for t in tasks)
    assert total > 3000


def test_construction_line_formats() -> None:
    blocks, strict = parse_line("material: cut_sandstone facing: A position: [-8, -60, 0]")
    assert strict and [(b.name, b.pos, b.facing) for b in blocks] == [("cut_sandstone", (-8, -60, 0), "A")]
    blocks, strict = parse_line("[material:bone_block facing:y positions:[start:[-10 -60 0] end:[-10 -58 0]]]")
    assert strict and sorted(b.pos for b in blocks) == [(-10, -60, 0), (-10, -59, 0), (-10, -58, 0)]
    assert {b.facing for b in blocks} == {"y"}
    blocks, strict = parse_line(
        "[material:torch positions:[pos:[-9 -58 -1] facing:N pos:[-10 -58 0] facing:W]]")
    assert not strict and {(b.pos, b.facing) for b in blocks} == {((-9, -58, -1), "N"), ((-10, -58, 0), "W")}
    blocks, _ = parse_line("[material:dirt_path facing:A shape:rectangle corners:[[-12 -60 -2] [-8 -60 2]]]")
    assert len(blocks) == 25
    blocks, _ = parse_line("[material:smooth_sandstone facing:A shape:rectangle corners:[[-15 -60 -1] "
                           "[-9 -60 -1] [-15 -60 1] [-9 -60 1]] missing:[[-11 -60 0] [-12 -60 0]] "
                           "material:smooth_sandstone facing:A position:[-8 -60 2]]")
    assert len(blocks) == 21 - 2 + 1


def test_tolerant_lines_are_reported_not_fatal() -> None:
    from causalmace.envs.villagerbench.suites import _shipped

    data, _ = _shipped("construction/blueprint_description_all.json")
    tolerant = sum(len(parse_description(lines).tolerant_lines) for lines in data.values())
    skipped = sum(len(parse_description(lines).skipped) for lines in data.values())
    assert sum(len(v) for v in data.values()) == 832
    assert 30 <= tolerant <= 60 and skipped == 0


def test_farming_loads_36_cakes_and_64_stews() -> None:
    tasks = load_tasks("farming")
    assert len(tasks) == 100
    goals = [t.goal for t in tasks]
    assert all(isinstance(g, CraftGoal) for g in goals)
    assert sum(g.item == "cake" for g in goals) == 36
    assert sum(g.item == "rabbit_stew" for g in goals) == 64
    cake = tasks[0]
    assert cake.world.containers and cake.goal.checkpoints[0].score == 100


@pytest.mark.parametrize("agents", [1, 2, 3])
def test_escape_22_runs_honour_min_player(agents: int) -> None:
    tasks = load_tasks("escape", n_agents=agents)
    assert len(tasks) == 22
    # upstream's generator drops a room it has too few players for, and a merge adds one room per player
    assert all(t.goal.rooms for t in tasks) and max(len(t.goal.rooms) for t in tasks) >= 3
    for t in tasks:
        assert isinstance(t.goal, EscapeGoal)
        assert t.min_agents <= agents
        assert len(t.world.triggers) == len(t.goal.rooms)


def test_random_items_are_replicated_per_player() -> None:
    three = {t.id: t for t in load_tasks("escape", n_agents=3)}
    # room atoms with random plates/levers get one condition per player
    counts = [len(tr.conditions) for t in three.values() for tr in t.world.triggers]
    assert max(counts) >= 3


def test_escape_chain_is_seeded() -> None:
    a = [[r.atom for r in t.goal.rooms] for t in load_tasks("escape", n_agents=2)]
    from causalmace.envs.villagerbench import suites

    suites._load.cache_clear()
    b = [[r.atom for r in t.goal.rooms] for t in load_tasks("escape", n_agents=2)]
    assert a == b


# --------------------------------------------------------------------------- creatures in escape atoms

CREATURE_ATOM = {
    "init": [{"name": "lever", "position": [0, 0, 1]},
             {"name": "summon_cow", "position": [1, 0, -1]},  # upstream's form
             {"name": "air", "position": [-1, 0, -1], "command": "/summon minecraft:rabbit ~ ~ ~1"}],
    "condition": [{"name": "lever", "position": [0, 0, 1], "powered": True}],
    "effect": [{"name": "air", "position": [0, 0, 4]}, {"name": "air", "position": [0, 1, 4]},
               {"name": "summon_pig", "position": [0, 0, 0]}],
    "task_description": "flip the lever",
}


def test_an_atom_with_creatures_puts_them_in_its_room_after_reset() -> None:
    from causalmace.envs.villagerbench.suites import load_raw, make_escape

    task = load_raw("escape", [CREATURE_ATOM], "atoms.json", 1)[0]
    (room,) = task.goal.rooms
    cx, _, cz = room.center
    assert sorted(task.world.setup.creatures) == [("cow", (cx + 1, 0, cz - 1)), ("rabbit", (cx - 1, 0, cz))]
    env = make_escape(task=task, agents=1)
    env.reset(0)
    alive = sorted((c.name, c.pos) for c in env.state.creatures.values() if c.alive)
    assert alive == sorted(task.world.setup.creatures)
    assert not any(e.block.startswith("summon_") for t in task.world.triggers for e in t.effects)


def test_an_atom_with_creatures_is_solvable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from causalmace.cli import main

    f = tmp_path / "atoms.json"
    f.write_text(json.dumps([CREATURE_ATOM]))
    main(["tasks", "check", "--suite", "escape", "--data", str(f), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["solvable"] == out["total"] == 22


@pytest.mark.parametrize(("init", "key", "needle"), [
    ({"name": "summon_dragonfly", "position": [0, 0, 0]}, "[0].init[1].name", "unknown creature 'dragonfly'"),
    ({"name": "air", "position": [0, 0, 0], "command": "/summon cow 10 -60 3"}, "[0].init[1].command",
     "is not in the room"),
    ({"name": "air", "position": [0, 0, 0], "command": "/summon"}, "[0].init[1].command", "bad summon command"),
    ({"name": "air", "position": [0, 0, 0], "command": "/summon unicorn _pos_"}, "[0].init[1].command",
     "unknown creature 'unicorn'"),
])
def test_a_malformed_creature_names_file_key_and_expectation(init: dict[str, Any], key: str, needle: str,
                                                              tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from causalmace.cli import main
    from causalmace.envs.villagerbench.suites import load_raw
    from causalmace.errors import UserError

    atom = {**CREATURE_ATOM, "init": [CREATURE_ATOM["init"][0], init]}
    with pytest.raises(UserError) as e:
        load_raw("escape", [atom], "atoms.json", 1)
    assert e.value.file == "atoms.json" and e.value.key == key and needle in str(e.value) and e.value.expected
    f = tmp_path / "atoms.json"
    f.write_text(json.dumps([atom]))
    with pytest.raises(SystemExit) as exit_:
        main(["tasks", "check", "--suite", "escape", "--data", str(f)])
    assert exit_.value.code == 2 and str(f) in capsys.readouterr().err


def test_a_farm_structure_with_a_bad_creature_names_the_blueprint() -> None:
    from causalmace.envs.craftworld.rules_data import base_rules
    from causalmace.envs.villagerbench.farming import load_farming
    from causalmace.errors import UserError

    setting = [{"name": "stew_x", "target": "cooked_beef", "component": [
        {"name": "pen", "type": "structure", "position": [0, 0, 0]}], "check_point": []}]
    for entity, key, needle in [({"name": "griffin", "position": [1, 0, 1]}, "pen.entities[0].name", "griffin"),
                                ({"name": "cow"}, "pen.entities[0].position", "missing field"),
                                ({"name": "cow", "position": [1, "a", 1]}, "pen.entities[0].position", "bad position")]:
        blueprints = {"pen": {"blocks": [], "entities": [entity]}}
        with pytest.raises(UserError) as e:
            load_farming(setting, blueprints, base_rules(), "mine.json", "prints.json")
        assert e.value.file == "prints.json" and e.value.key == key and needle in str(e.value)
