import csv
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from causalmace import bench
from causalmace.bench import Job, load_bench, mean_ci, plan_jobs, run_bench, t_critical
from causalmace.cli import main
from causalmace.errors import UserError

FARM = "craftworld/VillagerBench-Farming-v0"
ESCAPE = "craftworld/VillagerBench-Escape-v0"


def write_bench(tmp_path: Path, body: str | None = None) -> Path:
    """A self-contained study: two method files and two suites, all under tmp_path."""
    (tmp_path / "methods").mkdir()
    (tmp_path / "methods" / "alpha.yaml").write_text("method: alpha\nrefiner: {enabled: true}\n")
    (tmp_path / "methods" / "beta.yaml").write_text("method: beta\nrefiner: {enabled: false}\n")
    (tmp_path / "suites").mkdir()
    # the suite's own include is replaced by the method file, so a dangling one does no harm
    (tmp_path / "suites" / "farming.yaml").write_text(
        f"include: ../nowhere.yaml\nenv: {FARM}\ntask: cake_0\nenv_options: {{think_time: 1.0}}\n")
    (tmp_path / "suites" / "escape.yaml").write_text(f"env: {ESCAPE}\ntask: escape_1r_0\n")
    path = tmp_path / "bench.yaml"
    path.write_text(body or (
        "methods: [alpha, beta]\n"
        "suites: {farming: suites/farming.yaml, escape: suites/escape.yaml}\n"
        "agents: [3]\nnoise: [0.0, 0.3]\nseeds: 1\ntasks: all\njobs: 2\nmethods_dir: methods\n"))
    return path


def fake_result(job: Job) -> dict[str, Any]:
    k = len(job.task)
    return {"task": job.task, "completed": True, "completion": 1.0, "efficiency": 2.0 + k, "balance": 0.5,
            "makespan_over_bound": 1.5, "llm": {"calls": 1, "prompt_tokens": 10, "completion_tokens": 5},
            "bench": job.meta()}


def serial(fn: Callable[[Job], dict[str, Any]], items: Iterable[Job]) -> Iterator[dict[str, Any]]:
    return map(fn, items)


def summary_rows(out: Path) -> list[dict[str, str]]:
    with (out / "summary.csv").open() as fh:
        return list(csv.DictReader(fh))


def test_mean_ci_on_known_numbers() -> None:
    mean, half = mean_ci([1, 2, 3, 4, 5])  # sd 1.5811, t(4) = 2.776
    assert mean == pytest.approx(3.0)
    assert half == pytest.approx(1.9632, abs=1e-4)
    assert mean_ci([7.5]) == (7.5, 0.0)
    assert mean_ci([2, 2, 2]) == (2.0, 0.0)


def test_t_is_one_rule_with_or_without_scipy(monkeypatch: pytest.MonkeyPatch) -> None:
    with_scipy = [t_critical(d) for d in (1, 4, 30, 31, 99, 1000)]
    monkeypatch.setitem(sys.modules, "scipy.stats", None)  # import now fails
    assert [t_critical(d) for d in (1, 4, 30, 31, 99, 1000)] == with_scipy
    assert t_critical(4) == pytest.approx(2.776445)
    assert t_critical(1) == pytest.approx(12.706205)
    assert t_critical(31) == pytest.approx(2.039513, abs=1e-6)  # Student's t, not the normal 1.96
    assert mean_ci([1, 2, 3, 4, 5])[1] == pytest.approx(1.9632, abs=1e-4)


def test_t_table_matches_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    for df, value in enumerate(bench.T975, start=1):
        assert value == pytest.approx(stats.t.ppf(0.975, df), abs=1e-5)


def test_plan_is_the_cross_product(tmp_path: Path) -> None:
    b = load_bench(write_bench(tmp_path))
    jobs = plan_jobs(b, agents=[2, 3], tasks=3, seeds=2)
    assert len(jobs) == 2 * 2 * 2 * 2 * 3 * 2  # methods, suites, agents, noise, tasks, seeds
    assert len({j.id for j in jobs}) == len(jobs)
    j = next(j for j in jobs if j.id == "farming/cake_1/beta/a2/n0.3/s1")
    assert (j.method, j.suite, j.task, j.agents, j.noise, j.seed) == ("beta", "farming", "cake_1", 2, 0.3, 1)
    assert j.config["method"] == "beta" and j.config["refiner"]["enabled"] is False
    assert j.config["env"] == FARM and j.config["env_options"]["think_time"] == 1.0 and j.config["seed"] == 1
    assert j.config["llm"]["noise"]["spurious_edges"] == 0.3
    assert j.config["llm"]["noise"]["missing_edges"] == pytest.approx(0.1)
    all_tasks = plan_jobs(b, methods=["alpha"], suites=["escape"], noise=[0])
    assert len(all_tasks) == 22


@pytest.mark.parametrize(("body", "key"), [
    ("methods: [alpha]\nsuites: {farming: suites/farming.yaml}\nnoise: [0, lots]\n", "noise.1"),
    ("methods: [alpha]\nsuites: {farming: suites/farming.yaml}\ntasks: some\n", "tasks"),
    ("methods: [alpha]\nsuites: {farming: suites/farming.yaml}\nseed: 3\n", "seed"),
    ("suites: {farming: suites/farming.yaml}\n", "methods"),
    ("methods: [alpha]\nsuites: {farming: suites/farming.yaml}\nagents: [0]\n", "agents.0"),
])
def test_bad_bench_config_names_the_key(tmp_path: Path, body: str, key: str) -> None:
    path = write_bench(tmp_path, body)
    with pytest.raises(UserError) as e:
        load_bench(path)
    assert e.value.key == key and e.value.file == str(path)


def test_missing_method_file_and_unknown_suite(tmp_path: Path) -> None:
    b = load_bench(write_bench(tmp_path))
    with pytest.raises(UserError, match="gamma.yaml") as e:
        plan_jobs(b, methods=["gamma"])
    assert e.value.key == "methods"
    with pytest.raises(UserError) as e:
        plan_jobs(b, suites=["cooking"])
    assert e.value.key == "--suites"
    with pytest.raises(UserError) as e:
        plan_jobs(b, noise=[-1.0])
    assert e.value.key == "--noise.0"


def test_interrupt_keeps_results_and_resume_runs_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    b = load_bench(write_bench(tmp_path))
    jobs = plan_jobs(b, methods=["alpha"], suites=["farming"], tasks=3)
    assert len(jobs) == 6
    out = tmp_path / "out"
    calls: list[str] = []

    def interrupted_after_three(job: Job) -> dict[str, Any]:
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(job.id)
        return fake_result(job)

    monkeypatch.setattr(bench, "run_job", interrupted_after_three)
    report = run_bench(jobs, out, resume=False, executor=serial, progress=False)
    assert report.interrupted and report.ran == 3
    done = sorted(p.parent.relative_to(out).as_posix() for p in out.rglob("result.json"))
    assert done == sorted(calls)
    assert not list(out.rglob("*.tmp"))
    rows = summary_rows(out)
    assert sum(int(r["n"]) for r in rows) == 3
    assert (out / "summary.md").read_text().startswith("| method |")

    first = list(calls)
    calls.clear()
    monkeypatch.setattr(bench, "run_job", lambda job: (calls.append(job.id), fake_result(job))[1])
    report = run_bench(jobs, out, resume=True, executor=serial, progress=False)
    assert not report.interrupted and (report.ran, report.skipped) == (3, 3)
    assert sorted(calls) == sorted(j.id for j in jobs if j.id not in first)
    rows = summary_rows(out)
    assert [(r["method"], r["suite"], r["noise"], r["n"]) for r in rows] == [
        ("alpha", "farming", "0.0", "3"), ("alpha", "farming", "0.3", "3")]
    assert float(rows[0]["efficiency_mean"]) == pytest.approx(8.0)  # cake_0..2: 2 + 6 each
    assert float(rows[0]["efficiency_ci95"]) == 0.0


def test_failed_or_corrupt_results_run_again_on_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    b = load_bench(write_bench(tmp_path))
    jobs = plan_jobs(b, methods=["alpha"], suites=["farming"], tasks=2, noise=[0])
    out = tmp_path / "out"

    def first_fails(job: Job) -> dict[str, Any]:
        if job.task == "cake_0":
            raise RuntimeError("boom")
        return fake_result(job)

    monkeypatch.setattr(bench, "run_job", first_fails)
    report = run_bench(jobs, out, executor=serial, progress=False)
    assert list(report.errors) == [jobs[0].id]
    assert "boom" in (out / jobs[0].id / "error.txt").read_text()
    (out / jobs[1].id / "result.json").write_text("{not json")
    calls: list[str] = []
    monkeypatch.setattr(bench, "run_job", lambda job: (calls.append(job.id), fake_result(job))[1])
    report = run_bench(jobs, out, resume=True, executor=serial, progress=False)
    assert calls == [j.id for j in jobs] and not report.errors
    assert not (out / jobs[0].id / "error.txt").exists()
    assert json.loads((out / jobs[1].id / "result.json").read_text())["bench"]["id"] == jobs[1].id


def test_cli_bench_prints_the_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = write_bench(tmp_path)
    monkeypatch.setattr(bench, "run_job", fake_result)
    out = tmp_path / "out"
    main(["bench", str(path), "--methods", "beta", "--suites", "escape", "--tasks", "2", "--noise", "0.3",
          "--jobs", "1", "--out", str(out)])
    text = capsys.readouterr().out
    assert "beta" in text and "escape" in text
    assert len(list(out.rglob("result.json"))) == 2
    with pytest.raises(SystemExit) as e:
        main(["bench", str(path), "--agents", "two"])
    assert e.value.code == 2
