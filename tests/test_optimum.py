"""The proven optimum of a run's own schedule, and the study's makespan / OPT column."""

import dataclasses
from pathlib import Path

import pytest

from causalmace import bench, optimum
from causalmace.bench import Job
from causalmace.config import load_config

FARM_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "villagerbench" / "farming.yaml"


def events(*rows: tuple[str, str, str, float]) -> list[dict[str, object]]:
    return [{"type": "decision" if kind == "go" else "subtask", "agent": a, "subtask": s, "t": t,
             **({} if kind == "go" else {"status": kind})} for kind, a, s, t in rows]


def test_durations_run_from_the_successful_attempt_to_its_end() -> None:
    ev = events(("go", "A", "x", 0.0), ("failed", "A", "x", 1.0), ("go", "B", "x", 2.0), ("done", "B", "x", 5.0),
                ("go", "A", "y", 1.5), ("done", "A", "y", 4.0))
    assert optimum.durations(ev) == {"x": 3.0, "y": 2.5}
    assert optimum.makespan(ev) == 5.0


def test_the_optimum_is_proven_on_small_graphs() -> None:
    pytest.importorskip("ortools")
    d = {"a": 2.0, "b": 2.0, "c": 2.0, "d": 1.0}
    assert optimum.solve(d, [], 2, 5.0) == optimum.Bound(4.0, 4.0, True)  # 7 s of work on two agents
    assert optimum.solve(d, [("a", "b"), ("b", "c")], 2, 5.0).opt == 6.0  # the chain decides
    assert optimum.solve({"a": 0.019}, [], 1, 5.0).opt == 0.01  # rounded down: never overstated


def test_work_begun_at_the_outset_can_be_kept_there() -> None:
    """Two agents begin next to their first work (1 s and 3 s), then take 2 s each: freely rearranged,
    both first durations would go to one agent (OPT 4 s), which neither could have done from there."""
    pytest.importorskip("ortools")
    ev = events(("go", "A", "a", 0.0), ("go", "B", "b", 0.0), ("done", "A", "a", 1.0), ("go", "A", "c", 1.0),
                ("done", "A", "c", 3.0), ("done", "B", "b", 3.0), ("go", "B", "d", 3.0), ("done", "B", "d", 5.0))
    assert optimum.outset(ev) == {"a", "b"}
    assert optimum.makespan_bound(ev, [], 2, 5.0, keep_outset=False).opt == 4.0
    assert optimum.makespan_bound(ev, [], 2, 5.0).opt == 5.0  # the default: what the run's team could do
    assert optimum.over_opt(ev, [], 2, 5.0) == 1.0
    retried = events(("go", "A", "x", 0.0), ("failed", "A", "x", 1.0), ("go", "A", "x", 2.0), ("done", "A", "x", 4.0))
    assert optimum.outset(retried) == set()  # its successful attempt began later


def test_a_run_is_never_better_than_its_own_optimum() -> None:
    pytest.importorskip("ortools")
    from causalmace.runner import run_episode

    cfg = load_config(FARM_CONFIG, ["llm.noise.spurious_edges=0", "llm.noise.missing_edges=0"],
                      task="rabbit_stew_14", agents=3)
    ep = run_episode(cfg)
    ratio = optimum.over_opt(ep.trace.events, ep.graph.edges(), 3)
    assert ratio is not None and 1.0 <= ratio < 1.5


def test_without_the_solver_there_is_no_ratio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(optimum, "available", lambda: False)
    assert optimum.over_opt(events(("go", "A", "x", 0.0), ("done", "A", "x", 1.0)), [], 1) is None


def test_a_study_reports_makespan_over_opt(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_config(FARM_CONFIG, task="cake_0", agents=2)
    job = Job("m/farming/cake_0", "m", "farming", "cake_0", 2, 0.0, 0, cfg.model_dump(mode="json"), opt=True)
    monkeypatch.setattr(optimum, "over_opt", lambda *a, **k: 1.25)
    r = bench.run_job(job)
    assert r["makespan_over_opt"] == 1.25
    assert bench.run_job(dataclasses.replace(job, opt=False))["makespan_over_opt"] is None  # asked for only
    rows = bench.summarize([r])
    assert rows[0]["makespan_over_opt_mean"] == 1.25
    assert "makespan / OPT" in bench.summary_markdown(rows)
