import json
import subprocess
import sys
from pathlib import Path

import pytest

from causalmace import registry
from causalmace.agent import Usage
from causalmace.config import RunConfig
from causalmace.envs.villagerbench.reference import decompose as truth
from causalmace.graph import TaskGraph
from causalmace.llm import LLMRequest, LLMResponse
from causalmace.llm.symbolic import Noise, SymbolicLLM
from causalmace.planner.planner import decompose
from causalmace.planner.refine import EnvEstimator, LLMEstimator, refine
from causalmace.runner import run_episode

ROOT = Path(__file__).resolve().parent.parent
FARM = "craftworld/VillagerBench-Farming-v0"


def env_and_truth(task: str):
    env = registry.make(FARM, task=task, agents=3)
    env.reset(0)
    return env, truth(env.task, env.rules, env.survey())


def estimator(env) -> EnvEstimator:
    return EnvEstimator(env, lambda n: registry.make_agent("scripted", agent_name=n))


def hand_graph(true: TaskGraph, edges: list[tuple[str, str]]) -> TaskGraph:
    g = TaskGraph(true.task_id)
    for s in true.subtasks():
        g.add(s)
    for a, b in edges:
        g.add_edge(a, b)
    return g


def test_real_dependency_survives_and_spurious_one_is_pruned() -> None:
    env, true = env_and_truth("cake_35")  # sugar from sugar cane on a farm, wheat from hay blocks
    ids = {s.id.rsplit("_", 1)[0]: s.id for s in true.subtasks()}
    real = (ids["harvest_sugar_cane"], ids["craft_sugar"])
    spurious = (ids["harvest_hay_block"], ids["craft_sugar"])
    assert real in set(true.edges()) and spurious not in set(true.edges())
    g = hand_graph(true, list(true.edges()) + [spurious])
    report = refine(g, env.rules, estimator(env))
    assert report.pruned == [spurious]
    rec = g.record(*real)
    assert rec.verdict == "kept" and rec.p_holds == 1.0 and rec.ate == 1.0
    assert any("recipe:sugar" in i.change and i.effect == 0.0 for i in rec.interventions)
    gone = g.pruned_records[spurious]
    assert gone.ate == 0.0 and gone.p_holds == 0.0


def test_edge_grounded_in_two_rules_survives_either_change() -> None:
    # rabbit stew has two recipes (brown or red mushroom); both use the carrot
    env, true = env_and_truth("rabbit_stew_8")
    carrot = next(s.id for s in true.subtasks() if s.target == "carrot")
    stew = next(s.id for s in true.subtasks() if s.target == "rabbit_stew")
    g = hand_graph(true, list(true.edges()))
    refine(g, env.rules, estimator(env))
    rec = g.record(carrot, stew)
    changes = [i.change for i in rec.interventions]
    assert any("rabbit_stew without carrot" in c for c in changes)
    assert any("rabbit_stew#1 without carrot" in c for c in changes)
    assert rec.verdict == "kept" and rec.ate == 1.0


def test_llm_estimator_runs_offline_and_counts_calls() -> None:
    env, true = env_and_truth("cake_35")
    g = hand_graph(true, list(true.edges()))
    llm = SymbolicLLM(Noise(), seed=0)
    est = LLMEstimator(llm, samples=2, rules=env.rules)
    report = refine(g, env.rules, est)
    assert report.pruned == []
    assert llm.usage.calls == est.usage.calls > 0 and est.usage.prompt_tokens > 0


class CyclicLLM:
    """A planner LLM that answers with a plan whose edges loop."""

    def __init__(self) -> None:
        self.usage = Usage()

    def complete(self, request: LLMRequest) -> LLMResponse:
        plan = {"subtasks": [{"id": i, "kind": "craft", "description": i, "target": "cake"} for i in "abc"],
                "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "c"}, {"from": "c", "to": "a"}]}
        self.usage.add(Usage(1, 10, 10))
        return LLMResponse(json.dumps(plan), Usage(1, 10, 10))


def test_cyclic_plan_is_reported_not_looped() -> None:
    env, _ = env_and_truth("cake_0")
    g, report = decompose(env, CyclicLLM())
    assert report.cycles and sorted(report.cycles[0]) == ["a", "b", "c"]
    assert g.find_cycle() is None and len(g.edges()) == 2


def test_noise_adds_independent_edges_and_drops_true_ones() -> None:
    env, true = env_and_truth("rabbit_stew_63")
    g, _ = decompose(env, SymbolicLLM(Noise(0.5, 0.25), seed=3), reference=env.reference_plan)
    planned, real = set(g.edges()), set(true.edges())
    assert len(planned - real) == round(0.5 * len(real))
    assert len(real - planned) == round(0.25 * len(real))
    assert g.find_cycle() is None


def cfg(**kw) -> RunConfig:
    base = {"env": FARM, "task": "rabbit_stew_63", "agents": 3, "seed": 0}
    return RunConfig.model_validate({**base, **kw})


def test_missing_edge_is_found_through_the_judger() -> None:
    r = run_episode(cfg(llm={"noise": {"missing_edges": 1.0}}, refiner={"enabled": False})).result
    assert r["graph"]["edges_initial"] == 0
    assert r["completed"] and r["graph"]["missing_found"] > 0


def test_same_config_and_seed_give_the_same_trace() -> None:
    c = cfg(llm={"noise": {"spurious_edges": 0.3, "missing_edges": 0.1}})
    a, b = run_episode(c), run_episode(c)
    assert a.trace.events == b.trace.events
    strip = {"wall_s", "refiner_wall_s"}
    assert {k: v for k, v in a.result.items() if k not in strip} == {k: v for k, v in b.result.items()
                                                                     if k not in strip}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "causalmace.cli", *args], capture_output=True, text=True,
                          cwd=ROOT)


def test_causalmace_run_writes_trace_and_result(tmp_path: Path) -> None:
    r = run_cli("run", "configs/villagerbench/farming.yaml", "--task", "cake_0", "--agents", "3",
                "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    for key in ("task", "method", "agents", "seed", "completed", "completion", "efficiency", "balance",
                "makespan_s", "lower_bound_s", "graph", "llm"):
        assert key in result
    assert result["completed"] and result["agents"] == 3
    lines = (tmp_path / "trace.jsonl").read_text().splitlines()
    assert all(json.loads(line)["type"] for line in lines)
    assert json.loads(lines[-1])["type"] == "score"


@pytest.mark.parametrize("setting,key", [
    ("refiner.estimatr=env", "refiner.estimatr"),
    ("agents=zero", "agents"),
    ("refiner.threshold=2", "refiner.threshold"),
    ("llm.provider=gpt", "llm.provider"),
])
def test_malformed_config_exits_2_naming_the_key(setting: str, key: str) -> None:
    r = run_cli("run", "configs/villagerbench/farming.yaml", "--set", setting)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"key '{key}'" in r.stderr and "farming.yaml" in r.stderr


def test_bad_yaml_and_unknown_task_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("env: [unclosed\n")
    r = run_cli("run", str(bad))
    assert r.returncode == 2 and "not valid YAML" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("run", "configs/villagerbench/farming.yaml", "--task", "cake_999")
    assert r.returncode == 2 and "cake_999" in r.stderr and "Traceback" not in r.stderr


def test_graph_exports_json_and_dot_with_the_causal_records() -> None:
    env, true = env_and_truth("cake_35")
    ids = {s.id.rsplit("_", 1)[0]: s.id for s in true.subtasks()}
    spurious = (ids["harvest_hay_block"], ids["craft_sugar"])
    g = hand_graph(true, list(true.edges()) + [spurious])
    refine(g, env.rules, estimator(env))
    data = json.loads(g.dumps())
    assert {(e["from"], e["to"]) for e in data["pruned"]} == {spurious}
    assert all(e["verdict"] == "kept" and e["interventions"] for e in data["edges"])
    dot = g.to_dot()
    assert dot.startswith('digraph "cake_35"')
    assert f'"{spurious[0]}" -> "{spurious[1]}" [style=dotted label="ATE 0.00"]' in dot


ESCAPE = "craftworld/VillagerBench-Escape-v0"


def test_escape_bound_counts_the_walk_to_the_rooms() -> None:
    """A room whose conditions take no work (plates to stand on) still needs walking: the bound is never 0,
    and it stays below what every method really took."""
    for task in ("escape_1r_0", "escape_2r_2", "escape_3r_2"):
        for method in ("causalmace", "single"):
            c = {"env": ESCAPE, "task": task, "agents": 3, "seed": 0, "method": method,
                 "scheduler": {"type": "busy_rate" if method == "causalmace" else "single"}}
            r = run_episode(RunConfig.model_validate(c)).result
            assert r["lower_bound_s"] > 0, (task, r["lower_bound_s"])
            assert r["lower_bound_s"] <= r["makespan_s"] + 1e-9, (task, method)


def test_env_reports_travel_for_subtasks_with_places() -> None:
    env, true = env_and_truth("rabbit_stew_63")
    travel = env.min_travel(true)
    assert set(travel) == set(true.g.nodes)
    assert any(v["release"] > 0 for v in travel.values())
    assert all(v["release"] >= v["within"] >= 0 for v in travel.values())
    # a chest 30 blocks from the depot: fetching from it walks at least 30 - 2 x (reach + 1) blocks
    from causalmace.envs.craftworld.travel import unavoidable_travel
    from causalmace.graph import Subtask

    g = TaskGraph("t")
    g.add(Subtask("f", "fetch", "fetch", "wheat", 1, params={"depot": (0, 0, 0), "source": (30, 0, 0)}))
    t = unavoidable_travel(g, [(0, 0, 0)], walk_speed=1.0, reach=4.5)["f"]
    assert t["within"] == pytest.approx(30 - 11) and t["release"] == pytest.approx(2 * (30 - 4.5 - 2) - 4.5)
