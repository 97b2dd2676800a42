"""The kitchen: a second env built on the public protocol alone and registered through entry points."""

import ast
import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import get_args

import pytest

from causalmace import registry
from causalmace.actions import Wait, openai_tools
from causalmace.cli import main
from causalmace.config import RefinerConfig, load_config
from causalmace.envs import check_env
from causalmace.envs.kitchen.actions import Cook, GoTo, Put, Serve, Take
from causalmace.envs.kitchen.agent import KitchenAgent
from causalmace.envs.kitchen.env import KitchenEnv, kitchen_tasks, make_kitchen
from causalmace.envs.kitchen.loader import parse_kitchen
from causalmace.errors import UserError
from causalmace.judger import RefusalKind, item_key
from causalmace.rules import RuleChange, RuleRef
from causalmace.runner import run_episode

ROOT = Path(__file__).resolve().parent.parent
KITCHEN = ROOT / "envs" / "kitchen"
CONFIG = ROOT / "configs" / "kitchen" / "dinner.yaml"
ENV_ID = "kitchen/Kitchen-v0"
TASK_IDS = [t.id for t in kitchen_tasks()]
CORE = {"causalmace.actions", "causalmace.judger", "causalmace.rules", "causalmace.graph", "causalmace.tasks",
        "causalmace.agent", "causalmace.envs.protocol", "causalmace.errors"}
SIMULATE = next(e for e in get_args(RefinerConfig.model_fields["estimator"].annotation) if e != "llm")  # tries forks
FORBIDDEN = ("causalmace.envs.craftworld", "causalmace.envs.villagerbench", "causalmace.envs.blocks",
             "causalmace.agents")


def cli(*args: str) -> None:
    """Run the CLI in this process; a clean finish may or may not raise SystemExit(0)."""
    try:
        main(list(args))
    except SystemExit as e:
        assert e.code in (0, None), f"exit code {e.code}"


def run_dinner(tmp_path: Path, *args: str) -> tuple[dict, list[dict], dict]:
    cli("run", str(CONFIG), "--out", str(tmp_path), *args)
    result = json.loads((tmp_path / "result.json").read_text())
    trace = [json.loads(line) for line in (tmp_path / "trace.jsonl").read_text().splitlines()]
    graph = json.loads((tmp_path / "graph.json").read_text())
    return result, trace, graph


def until_done(env: KitchenEnv, agent: KitchenAgent, sid: str):
    st = env.reference_plan().subtask(sid)
    agent.start(st, env)
    while (action := agent.act(env)) is not None:
        agent.feedback(env.apply(agent.name, action))
    return agent.outcome()


# ---- registration and isolation ------------------------------------------------------------------
def test_registered_through_entry_points_not_the_builtin_table() -> None:
    assert ENV_ID not in registry.BUILTIN_ENVS and "kitchen-scripted" not in registry.BUILTIN_AGENTS
    assert ENV_ID in [ep.name for ep in entry_points(group=registry.ENV_GROUP)]
    assert registry.env_spec(ENV_ID) == "causalmace.envs.kitchen.env:make_kitchen"
    assert registry.agent_spec("kitchen-scripted") == "causalmace.envs.kitchen.agent:KitchenAgent"
    env = registry.make(ENV_ID, task="dinner", agents=2)
    assert isinstance(env, KitchenEnv) and env.default_agent == "kitchen-scripted"
    assert isinstance(registry.make_agent("kitchen-scripted", agent_name=env.agents[0]), KitchenAgent)


def test_kitchen_imports_core_types_only() -> None:
    for path in sorted(KITCHEN.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                if name.startswith("causalmace."):
                    assert name in CORE or name.startswith("causalmace.envs.kitchen"), f"{path.name} imports {name}"
    code = ("import sys, causalmace.envs.kitchen.env, causalmace.envs.kitchen.agent; "
            f"print([m for m in sys.modules if m.startswith({FORBIDDEN!r})])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---- the protocol --------------------------------------------------------------------------------
@pytest.mark.parametrize("task", TASK_IDS)
def test_check_env_passes(task: str) -> None:
    for agents in (1, 3):
        check_env(make_kitchen(task=task, agents=agents, think_time=1.0))


def test_actions_are_tools_and_moving_is_travel() -> None:
    env = make_kitchen()
    tools = {t["function"]["name"]: t for t in openai_tools(env.action_specs())}
    assert set(tools) == {"goTo", "take", "put", "cook", "serve", "wait"}
    assert all(t["function"]["description"] for t in tools.values())
    assert GoTo.travel and not Cook.travel


def test_refusals_are_typed_and_cost_a_moment() -> None:
    env = make_kitchen(task="salad", agents=1, think_time=1.0)
    env.reset(0)
    a = env.agents[0]
    r = env.apply(a, Take(item="chopped_lettuce"))  # the pass is empty
    assert r.refusal.kind is RefusalKind.MISSING_ITEM and r.refusal.item == "chopped_lettuce"
    assert (r.refusal.need, r.refusal.have) == (1, 0)
    assert env.clock(a) == pytest.approx(1.0 + env.kitchen.refused_s)
    assert env.apply(a, GoTo(place="garden")).refusal.kind is RefusalKind.NO_TARGET
    assert env.apply(a, Cook(item="chopped_lettuce")).refusal.item == "cutting_board"  # not at the counter
    assert env.apply(a, Cook(item="gravy")).refusal.kind is RefusalKind.NOT_POSSIBLE
    assert env.apply(a, Serve(item="salad")).refusal.kind is RefusalKind.NO_STATION
    assert env.apply(a, GoTo(place="counter")).status
    assert env.apply(a, Take(item="lettuce")).refusal.kind is RefusalKind.NO_TARGET  # no storage at the counter
    assert env.apply(a, Put(item="lettuce")).refusal.kind is RefusalKind.NO_TARGET
    [(start, end)] = env.intervals()[a]  # only the walk was work
    assert end - start == pytest.approx(env.kitchen.travel("pass", "counter"))
    env.apply(a, Wait(seconds=5))
    assert len(env.intervals()[a]) == 1


def test_cooking_and_serving_score_the_order() -> None:
    env = make_kitchen(task="salad", agents=1)
    env.reset(0)
    agent = KitchenAgent(agent_name=env.agents[0])
    for sid in env.reference_plan().topo_order():
        assert until_done(env, agent, sid).done
    s = env.score()
    assert s.completed and s.completion == 1.0 and s.detail == {"salad": 1.0}
    assert env.observe(agent.name)["inventory"] == {}


def test_fork_snapshot_and_rerule() -> None:
    env = make_kitchen(task="salad", agents=2)
    env.reset(0)
    a = env.agents[0]
    snap = env.snapshot()
    other = env.fork()
    other.apply(a, GoTo(place="pantry"))
    assert env.observe(a)["position"] == "pass" and other.observe(a)["position"] == "pantry"
    env.apply(a, GoTo(place="table"))
    env.restore(snap)
    assert env.observe(a)["position"] == "pass" and env.clock(a) == 0.0
    changed = env.rerule(RuleChange(RuleRef("recipe", "salad"), drop="chopped_lettuce"))
    assert env.rules.recipe_for("salad").inputs != changed.rules.recipe_for("salad").inputs
    agent = KitchenAgent(agent_name=a)
    assert until_done(changed, agent, "make_chopped_tomato").done
    assert until_done(changed, agent, "serve_salad").done  # no chopped lettuce needed any more
    assert not until_done(env.fork(), agent, "serve_salad").done


def test_reference_plan_is_the_recipe_tree_with_a_join() -> None:
    graph = make_kitchen(task="dinner").reference_plan()
    assert sorted(graph.preds("serve_dinner")) == ["make_bread", "make_salad", "make_soup"]
    assert sorted(graph.preds("make_soup")) == ["make_chopped_carrot", "make_chopped_onion"]
    assert all(graph.record(a, b).origin == "truth" for a, b in graph.edges())
    assert graph.subtask("make_soup").produces == (item_key("soup"),)
    assert graph.subtask("make_soup").params["station"] == "stove"


def test_a_failed_subtask_puts_back_what_it_took() -> None:
    env = make_kitchen(task="salad", agents=1)
    env.reset(0)
    agent = KitchenAgent(agent_name=env.agents[0])
    assert until_done(env, agent, "make_chopped_lettuce").done
    before = {p: dict(s) for p, s in env.state.storage.items()}
    out = until_done(env, agent, "serve_salad")  # the chopped tomato is not on the pass yet
    assert not out.done and out.facts[0].kind is RefusalKind.MISSING_ITEM and out.facts[0].item == "chopped_tomato"
    assert env.observe(agent.name)["inventory"] == {}
    assert env.state.storage == before


BAD = [
    ("recipes:\n  salad: {inputs: {lettuce: 1}, station: wok, seconds: 5}", "recipes.salad.station"),
    ("recipes:\n  salad: {inputs: {unicorn: 1}, station: stove, seconds: 5}", "recipes.salad.inputs.unicorn"),
    ("recipes:\n  salad: {inputs: {salad: 1}, station: stove, seconds: 5}", "loop"),
    ("recipes:\n  salad: {inputs: {lettuce: 9}, station: stove, seconds: 5}", "tasks[0].dishes"),
    ("recipes:\n  salad: {inputs: {lettuce: 1}, station: stove, seconds: -5}", "recipes.salad.seconds"),
    ("pantry: cellar", "'pantry'"),
    ("tasks: [{id: x, description: y, dishes: {soup: 1}, t_max: 10}]", "tasks[0].dishes.soup"),
    ("walk_speed: [", "not valid YAML"),
]
GOOD = """walk_speed: 1.0
places: {pantry: [0, 0], stove: [3, 4], pass: [0, 5], table: [0, 9]}
pantry: pantry
pass: pass
table: table
start: pass
stations: {stove: stove}
stock: {lettuce: 2}
recipes:
  salad: {inputs: {lettuce: 1}, station: stove, seconds: 5}
tasks: [{id: x, description: y, dishes: {salad: 1}, t_max: 10}]
"""


@pytest.mark.parametrize("change,needle", BAD)
def test_a_malformed_kitchen_file_is_a_user_error(change: str, needle: str) -> None:
    assert parse_kitchen(GOOD, "mine.yaml")[1][0].id == "x"
    key = change.split(":", 1)[0]
    lines = GOOD.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(key + ":"))
    end = start + 1 + next((i for i, line in enumerate(lines[start + 1:]) if not line.startswith(" ")), 0)
    text = "\n".join(lines[:start] + change.splitlines() + lines[end:])
    with pytest.raises(UserError) as err:
        parse_kitchen(text, "mine.yaml")
    assert "mine.yaml" in str(err.value) and needle in str(err.value)


def test_a_loop_of_recipes_is_named_the_same_whatever_the_hash_seed() -> None:
    """The message used to start the loop at a recipe that depended on PYTHONHASHSEED."""
    loop = GOOD.replace("recipes:\n  salad: {inputs: {lettuce: 1}, station: stove, seconds: 5}",
                        "recipes:\n  salad: {inputs: {soup: 1}, station: stove, seconds: 5}\n"
                        "  soup: {inputs: {stew: 1}, station: stove, seconds: 5}\n"
                        "  stew: {inputs: {salad: 1}, station: stove, seconds: 5}")
    code = ("import sys\nfrom causalmace.envs.kitchen.loader import parse_kitchen\n"
            "try:\n    parse_kitchen(sys.stdin.read(), 'mine.yaml')\nexcept Exception as e:\n    print(e)\n")
    seen = {subprocess.run([sys.executable, "-c", code], input=loop, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in range(6)}
    assert len(seen) == 1 and "in a loop" in seen.pop()


def test_an_unknown_task_is_a_user_error() -> None:
    with pytest.raises(UserError, match="dinner"):
        make_kitchen(task="banquet")


# ---- the command line ----------------------------------------------------------------------------
def test_tasks_list_and_check(capsys: pytest.CaptureFixture[str]) -> None:
    cli("tasks", "list", "--env", ENV_ID, "--json")
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == TASK_IDS and 4 <= len(rows) <= 8
    cli("tasks", "check", "--env", ENV_ID, "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["solvable"] == out["total"] == len(TASK_IDS)


@pytest.mark.parametrize("args", [
    ("--agents", "1"), ("--agents", "3"), ("--set", "llm.noise.spurious_edges=0.5"),
    ("--set", "refiner.estimator=llm"), ("--set", f"refiner.estimator={SIMULATE}"),
])
def test_dinner_runs_to_completion(tmp_path: Path, args: tuple[str, ...]) -> None:
    result, _, _ = run_dinner(tmp_path, *args)
    assert result["completed"] and result["env"] == ENV_ID and result["task"] == "dinner"
    assert result["agents"] == (1 if args == ("--agents", "1") else 3)


def test_a_made_up_edge_is_pruned(tmp_path: Path) -> None:
    result, trace, graph = run_dinner(tmp_path, "--set", "llm.noise.spurious_edges=0.5")
    truth = set(make_kitchen(task="dinner").reference_plan().edges())
    pruned = {(e["from"], e["to"]) for e in graph["pruned"]}
    assert pruned and not pruned & truth
    assert result["graph"]["spurious_pruned"] == result["graph"]["spurious_initial"] > 0
    assert any(e["type"] == "graph" and e["change"] == "prune" for e in trace)


def test_a_missing_edge_is_found_by_a_refusal(tmp_path: Path) -> None:
    result, trace, _ = run_dinner(tmp_path, "--set", "llm.noise.missing_edges=1.0")
    truth = set(make_kitchen(task="dinner").reference_plan().edges())
    added = [e for e in trace if e["type"] == "graph" and e["change"] == "add"]
    assert added and all(tuple(e["edge"]) in truth for e in added)
    assert all("missing_item" in e["facts"] for e in added)
    assert result["completed"] and result["graph"]["missing_found"] == len(added)


def same_but_wall_time(result: dict) -> dict:
    return {k: v for k, v in result.items() if not k.endswith("wall_s")}


# ---- Workers on Ray ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ray_runtime():
    os.environ.update({"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"})
    import ray

    from causalmace.ray_workers import init_ray

    started = not ray.is_initialized()
    init_ray(num_cpus=2)
    yield ray
    if started:
        ray.shutdown()


def test_ray_and_local_give_the_same_trace(ray_runtime) -> None:
    sets = ["llm.noise.missing_edges=0.5"]
    local = run_episode(load_config(CONFIG, sets))
    remote = run_episode(load_config(CONFIG, [*sets, "workers.backend=ray"]))
    assert remote.result["completed"]
    assert local.trace.events == remote.trace.events
    assert same_but_wall_time(local.result) == same_but_wall_time(remote.result)
