"""The planner's mistakes beyond edges: missing, miscounted and made-up subtasks, and what catches them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from causalmace.config import RunConfig, load_config
from causalmace.graph import Subtask, TaskGraph
from causalmace.llm.symbolic import Noise, add_subtask_noise
from causalmace.runner import run_episode

ROOT = Path(__file__).resolve().parent.parent
FARM = ROOT / "configs/villagerbench/farming.yaml"


def chain(n: int) -> TaskGraph:
    g = TaskGraph("t")
    for i in range(n):
        g.add(Subtask(f"s{i}", "fetch", f"fetch {i + 2} of item {i}", f"item{i}", i + 2))
    for i in range(n - 1):
        g.add_edge(f"s{i}", f"s{i + 1}", origin="truth")
    return g


def test_each_kind_injects_its_fraction() -> None:
    g = chain(10)
    missing = add_subtask_noise(g, Noise(missing_subtasks=0.2), seed=1)
    assert len(missing) == 8 and missing.find_cycle() is None
    kept = sorted(missing.g.nodes, key=lambda s: int(s[1:]))
    assert all(missing.g.has_edge(a, b) or not {a, b} <= set(kept) for a, b in zip(kept, kept[1:], strict=False))
    wrong = add_subtask_noise(g, Noise(wrong_counts=0.3), seed=1)
    lower = [s for s in g.g.nodes if wrong.subtask(s).count < g.subtask(s).count]
    assert len(lower) == 3 and all(wrong.subtask(s).count >= 1 for s in lower)
    extra = add_subtask_noise(g, Noise(made_up_subtasks=0.2), seed=1)
    assert sorted(set(extra.g.nodes) - set(g.g.nodes)) == ["extra_1", "extra_2"]


def test_kinds_are_seeded_independently() -> None:
    g = chain(20)
    alone = add_subtask_noise(g, Noise(missing_subtasks=0.2), seed=4)
    with_more = add_subtask_noise(g, Noise(missing_subtasks=0.2, made_up_subtasks=0.3, wrong_counts=0.5), seed=4)
    assert set(g.g.nodes) - set(alone.g.nodes) == set(g.g.nodes) - set(with_more.g.nodes)
    assert add_subtask_noise(g, Noise(missing_subtasks=0.2), seed=5).g.nodes != alone.g.nodes


def test_shipped_defaults_leave_subtasks_alone() -> None:
    noise = yaml.safe_load((ROOT / "configs/methods/causalmace.yaml").read_text())["llm"]["noise"]
    assert noise["missing_subtasks"] == noise["wrong_counts"] == noise["made_up_subtasks"] == 0.0
    assert load_config(FARM).llm.noise.missing_subtasks == 0.0


def test_a_missing_subtask_is_put_back_by_the_goal_check() -> None:
    cfg = load_config(FARM, ["llm.noise.missing_subtasks=0.2", "llm.noise.spurious_edges=0"])
    r = run_episode(cfg).result
    n = r["plan_noise"]["missing_subtasks"]
    assert n["injected"] > 0 and n["recovered"] == n["injected"] and r["plan_noise"]["goal_checks"] == 1
    assert r["completed"]


def test_a_wrong_count_is_topped_up_after_the_judgers_refusal() -> None:
    cfg = load_config(FARM, ["llm.noise.wrong_counts=1.0"], task="cake_12")
    r = run_episode(cfg).result
    assert r["plan_noise"]["wrong_counts"] == {"injected": 1, "repaired": 1, "by": "judger top-up"}
    assert r["plan_noise"]["work_added"]["judger"] == 1 and r["completed"]


def test_made_up_subtasks_are_reported() -> None:
    cfg = load_config(FARM, ["llm.noise.made_up_subtasks=0.2"])
    made_up = run_episode(cfg).result["plan_noise"]["made_up_subtasks"]
    assert made_up["injected"] > 0 and made_up["abandoned"] + made_up["done"] == made_up["injected"]


@pytest.mark.parametrize("method", ["agentverse", "villageragent", "single"])
def test_methods_without_a_refiner_or_graph_meet_the_same_plan(method: str) -> None:
    cfg = load_config(FARM, ["llm.noise.missing_subtasks=0.2", "llm.noise.wrong_counts=0.5",
                             "llm.noise.made_up_subtasks=0.2"], method=method)
    r = run_episode(cfg).result
    assert r["plan_noise"]["missing_subtasks"]["injected"] == 2
    assert r["plan_noise"]["made_up_subtasks"]["injected"] == 2
    assert r["plan_noise"]["missing_subtasks"]["recovered"] == 2


def test_noise_config_refuses_out_of_range() -> None:
    with pytest.raises(ValueError):
        RunConfig.model_validate({"env": "x", "llm": {"noise": {"wrong_counts": 1.5}}})


def test_bench_axis_turns_subtask_noise_on(tmp_path: Path) -> None:
    from causalmace.bench import load_bench, plan_jobs, summarize, summary_markdown

    bench = load_bench(ROOT / "configs/bench/plan-noise.yaml")
    jobs = plan_jobs(bench, methods=["causalmace"], suites=["farming"], tasks=1)
    assert [j.subtasks for j in jobs] == [0.0, 0.2]
    on = jobs[1]
    assert on.id.endswith("/p0.2") and on.config["llm"]["noise"]["made_up_subtasks"] == 0.2
    assert jobs[0].config["llm"]["noise"]["missing_subtasks"] == 0.0
    res = [{**run_episode(RunConfig.model_validate(j.config)).result, "bench": j.meta()} for j in jobs]
    text = summary_markdown(summarize(res))
    assert "subtasks left out" in text and "efficiency uncapped" in text
    assert summarize(res)[0]["missing_subtasks_mean"] != summarize(res)[0]["missing_subtasks_mean"]  # NaN at 0
