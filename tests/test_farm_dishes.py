"""Farm settings for dishes other than cake and rabbit stew: they load with a complexity from the recipe
tree, the reference plan solves them, an episode finishes them, and malformed variants stop with exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from causalmace.cli import main
from causalmace.envs.craftworld.rules_data import base_rules
from causalmace.envs.villagerbench import scoring
from causalmace.envs.villagerbench.farming import steps_to
from causalmace.envs.villagerbench.suites import load_raw, load_tasks
from causalmace.errors import UserError
from causalmace.solvable import check_task

FARM = "craftworld/VillagerBench-Farming-v0"


def chest(pos: list[int], items: list[tuple[str, int]]) -> dict[str, Any]:
    return {"name": "chest", "type": "block", "position": pos, "facing": "north",
            "items": [{"name": n, "count": c} for n, c in items]}


def block(name: str, pos: list[int]) -> dict[str, Any]:
    return {"name": name, "type": "block", "position": pos}


def structure(name: str, pos: list[int]) -> dict[str, Any]:
    return {"name": name, "type": "structure", "position": pos}


def cp(name: str, count: int, score: float, sub: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"name": name, "count": count, "score": score, "sub_check_point": list(sub)}


# one per kind of way to the dish: crafting at a table from a farm, a 2x2 craft, a long craft chain through a
# structure, smelting with creatures hunted and fuel mined, a chest-only recipe making several at once
DISHES: list[dict[str, Any]] = [
    {"name": "bread_0", "target": "bread", "wheat": "hay_block in farm",
     "component": [block("crafting_table", [0, 0, 10]), chest([-1, 0, 10], []), structure("hay_farm", [-6, 0, 18])],
     "check_point": [cp("bread", 1, 100, ("wheat",)), cp("wheat", 3, 40, ("hay_block",)), cp("hay_block", 1, 20)]},
    {"name": "pumpkin_pie_0", "target": "pumpkin_pie", "pumpkin": "pumpkin in chest",
     "sugar": "sugar_cane in farm", "egg": "egg in chest",
     "component": [chest([-1, 0, 10], [("pumpkin", 1), ("egg", 1)]), structure("sugar_cane_farm", [-6, 0, 18])],
     "check_point": [cp("pumpkin_pie", 1, 100, ("pumpkin", "sugar", "egg")), cp("sugar", 1, 20, ("sugar_cane",)),
                     cp("sugar_cane", 1, 10), cp("pumpkin", 1, 10), cp("egg", 1, 10)]},
    {"name": "mushroom_stew_0", "target": "mushroom_stew", "brown_mushroom": "brown_mushroom in farm",
     "red_mushroom": "red_mushroom in chest", "bowl": "acacia_log in pasture",
     "component": [chest([-1, 0, 10], [("red_mushroom", 1)]), structure("mushroom_farm", [-6, 0, 18]),
                   structure("material_factory", [5, 0, 18])],
     "check_point": [cp("mushroom_stew", 1, 100, ("brown_mushroom", "red_mushroom", "bowl")),
                     cp("brown_mushroom", 1, 10), cp("red_mushroom", 1, 10), cp("bowl", 1, 30, ("acacia_planks",)),
                     cp("acacia_planks", 3, 20, ("acacia_log",)), cp("acacia_log", 1, 10)]},
    {"name": "cooked_beef_0", "target": "cooked_beef", "beef": "cow in pasture", "coal": "coal in mine",
     "component": [chest([-1, 0, 12], [("iron_sword", 1)]), structure("house", [5, 0, 6]),
                   structure("cow_pasture", [-6, 0, 7]), structure("material_factory", [5, 0, 18])],
     "check_point": [cp("cooked_beef", 1, 100, ("beef", "coal")), cp("beef", 1, 30), cp("coal", 1, 20)]},
    {"name": "golden_carrot_0", "target": "golden_carrot", "gold_nugget": "gold_ingot in chest",
     "carrot": "carrot in farm",
     "component": [block("crafting_table", [0, 0, 10]), chest([-1, 0, 10], [("gold_ingot", 1)]),
                   structure("carrot_farm", [-6, 0, 18])],
     "check_point": [cp("golden_carrot", 1, 100, ("gold_nugget", "carrot")),
                     cp("gold_nugget", 8, 40, ("gold_ingot",)), cp("carrot", 1, 20)]},
    {"name": "cookie_0", "target": "cookie", "wheat": "wheat in chest", "cocoa_beans": "cocoa_beans in chest",
     "component": [block("crafting_table", [0, 0, 10]), chest([-1, 0, 10], [("wheat", 2), ("cocoa_beans", 1)])],
     "check_point": [cp("cookie", 8, 100, ("wheat", "cocoa_beans")), cp("wheat", 2, 30), cp("cocoa_beans", 1, 30)]},
]
# C = sources + sum(max(0, steps - 1) + in_world): see scoring.dish_complexity
COMPLEXITY = {"bread_0": 1 + 1 + 1, "pumpkin_pie_0": 3 + 1 + 1, "mushroom_stew_0": 3 + 1 + 3,
              "cooked_beef_0": 2 + 1 + 1, "golden_carrot_0": 2 + 1 + 1, "cookie_0": 2}


@pytest.fixture
def dishes(tmp_path: Path) -> Path:
    f = tmp_path / "dishes.json"
    f.write_text(json.dumps(DISHES))
    return f


def test_dishes_load_with_the_generic_complexity(dishes: Path) -> None:
    tasks = {t.id: t for t in load_tasks("farming", dishes)}
    assert {k: t.complexity for k, t in tasks.items()} == COMPLEXITY
    assert tasks["bread_0"].t_max == scoring.farming_t_max(3)
    assert tasks["cooked_beef_0"].world.creatures and {n for n, _ in tasks["cooked_beef_0"].world.creatures} == {"cow"}
    assert tasks["mushroom_stew_0"].goal.item == "mushroom_stew"


def test_upstream_dishes_keep_upstream_table() -> None:
    tasks = load_tasks("farming")
    shipped = json.loads((Path(__file__).parent.parent / "envs" / "villagerbench" / "data" / "farming" /
                          "farm_setting.json").read_text())
    for t, s in zip(tasks, shipped, strict=True):
        sources = {k: v for k, v in s.items() if k not in ("name", "target", "component", "check_point")}
        assert t.complexity == scoring.farming_complexity(sources, s["target"])


def test_generic_formula_agrees_with_upstream_on_cake_chest_options() -> None:
    dist = steps_to("cake", base_rules())
    index = {item: max(0, dist[item] - 1) for item in ("milk_bucket", "bucket", "iron_ingot", "wheat", "hay_block",
                                                        "sugar", "sugar_cane")}
    assert index == {"milk_bucket": 0, "bucket": 1, "iron_ingot": 2, "wheat": 0, "hay_block": 1, "sugar": 0,
                     "sugar_cane": 1}
    assert scoring.dish_complexity([], inputs=4) == 4  # no sources named: the recipe's distinct inputs
    assert scoring.dish_complexity([scoring.SourceOption(3, True)], inputs=4) == 1 + 2 + 1


def test_tasks_check_solves_every_dish(dishes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["tasks", "check", "--suite", "farming", "--data", str(dishes), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["solvable"] == out["total"] == len(DISHES), out["rows"]
    for t in load_tasks("farming", dishes):
        assert check_task(FARM, t).solved


def test_tasks_list_shows_a_files_dishes(dishes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["tasks", "list", "--suite", "farming", "--data", str(dishes), "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len(DISHES) and all(r["t_max"] > 0 for r in rows)


@pytest.mark.parametrize("task", ["mushroom_stew_0", "cooked_beef_0"])
def test_an_episode_finishes_a_dish(task: str, dishes: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    main(["run", "villagerbench/farming", "--task", task, "--set", f"env_options.data={dishes}", "--out", str(out)])
    result = json.loads((out / "result.json").read_text())
    assert result["task"] == task and result["completed"] and result["completion"] == 1.0


def _one(**change: Any) -> list[dict[str, Any]]:
    s = dict(DISHES[0])
    s.update(change)
    return [{k: v for k, v in s.items() if v is not None}]


@pytest.mark.parametrize(("setting", "key", "needle"), [
    (_one(target="apple"), "bread_0.target", "no recipe makes 'apple'"),
    (_one(target="moon_cheese"), "bread_0.target", "unknown item"),
    (_one(wheat="hay_block from farm"), "bread_0.wheat", "bad ingredient source"),
    (_one(wheat="cobblestone in mine"), "bread_0.wheat", "'cobblestone' does not lead to 'bread'"),
    (_one(wheat=3), "bread_0.wheat", "bad ingredient source"),
    (_one(wheat=None, flour=["wheat"]), "bread_0.flour", "bad ingredient source"),
    (_one(component=[structure("unicorn_stable", [0, 0, 0])]), "bread_0.component[0].name", "unknown structure"),
])
def test_a_malformed_dish_names_file_key_and_expectation(setting: list[dict[str, Any]], key: str,
                                                           needle: str) -> None:
    with pytest.raises(UserError) as e:
        load_raw("farming", setting, "mine.json")
    assert e.value.file == "mine.json" and e.value.key == key and needle in str(e.value)
    assert e.value.expected


def test_a_malformed_dish_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "dishes.json"
    f.write_text(json.dumps(_one(wheat="cobblestone in mine")))
    with pytest.raises(SystemExit) as e:
        main(["tasks", "check", "--suite", "farming", "--data", str(f)])
    err = capsys.readouterr().err
    assert e.value.code == 2 and str(f) in err and "bread_0.wheat" in err and "expected" in err
