"""Bad input and shared output folders: each case ends in success or in one line and exit code 2, and a
results folder never mixes, loses or half-writes results."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from memcap import memory_cap

from causalmace import bench, limits, registry
from causalmace.bench import Job, load_bench, plan_jobs, run_bench
from causalmace.cli import main
from causalmace.config import load_config
from causalmace.envs.villagerbench.suites import load_tasks
from causalmace.errors import UserError
from causalmace.runner import run_episode
from causalmace.tasks import Task

FARM = "craftworld/VillagerBench-Farming-v0"
FARM_CONFIG = Path(__file__).parent.parent / "configs" / "villagerbench" / "farming.yaml"


# --------------------------------------------------------------------------- helpers


def study(tmp_path: Path, body: str | None = None, suite: str | None = None) -> Path:
    """A study of one method on the farming suite, all under tmp_path."""
    (tmp_path / "methods").mkdir(exist_ok=True)
    (tmp_path / "methods" / "alpha.yaml").write_text("method: alpha\nrefiner: {enabled: true}\n")
    (tmp_path / "suites").mkdir(exist_ok=True)
    (tmp_path / "suites" / "farming.yaml").write_text(suite or f"env: {FARM}\ntask: cake_0\n")
    path = tmp_path / "bench.yaml"
    path.write_text(body or "methods: [alpha]\nsuites: {farming: suites/farming.yaml}\nnoise: [0.0]\n"
                            "tasks: 2\njobs: 1\nmethods_dir: methods\n")
    return path


def fake_result(job: Job) -> dict[str, Any]:
    return {"task": job.task, "completed": True, "completion": 1.0, "efficiency": 2.0, "balance": 0.5,
            "llm": {"calls": 1, "prompt_tokens": 10, "completion_tokens": 5}, "bench": job.meta()}


def serial(fn: Callable[[Job], dict[str, Any]], items: Iterable[Job]) -> Iterator[dict[str, Any]]:
    return map(fn, items)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """The command line in this process: its exit code and the one line it printed on stderr."""
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = [x for x in err.splitlines() if x.strip()]
    return code, (lines[-1] if lines else "")


def assert_one_line(e: UserError) -> str:
    text = str(e)
    assert "\n" not in text and len(text) < 1000, text
    return text


# --------------------------------------------------------------------------- a study's results folder


CHILD = """
import sys
from causalmace import bench
from causalmace.bench import load_bench, plan_jobs, run_bench

calls = []

def job(j):
    calls.append(j.id)
    if len(calls) == 2:  # the first result is on disk; hold the folder until the test lets go
        print("running", flush=True)
        sys.stdin.readline()
    return {"task": j.task, "completed": True, "completion": 1.0, "efficiency": 2.0, "balance": 0.5,
            "llm": {"calls": 1, "prompt_tokens": 1, "completion_tokens": 1}, "bench": j.meta()}

bench.run_job = job
jobs = plan_jobs(load_bench(sys.argv[1]))
run_bench(jobs, sys.argv[2], executor=lambda fn, items: map(fn, items), progress=False)
"""


def test_a_second_bench_on_a_busy_out_is_refused_and_deletes_nothing(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path, out = study(tmp_path), tmp_path / "out"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(out)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "running"
        first = out / "farming/cake_0/alpha/a3/n0/s0/result.json"
        before = first.read_text()
        jobs = plan_jobs(load_bench(path))
        with pytest.raises(UserError) as e:
            run_bench(jobs, out, executor=serial, progress=False)
        assert str(out) in assert_one_line(e.value) and f"pid {child.pid}" in str(e.value)
        code, line = cli(capsys, "bench", path, "--out", out)
        assert code == 2 and str(out) in line and f"pid {child.pid}" in line
        assert first.read_text() == before  # the running study's finished result is untouched
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait()
    assert child.returncode == 0
    assert len(list(out.rglob("result.json"))) == 2
    report = run_bench(jobs, out, resume=True, executor=serial, progress=False)  # free again once it ended
    assert report.skipped == 2


def test_resume_reruns_results_computed_under_another_config(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path, out = study(tmp_path), tmp_path / "out"
    calls: list[str] = []
    monkeypatch.setattr(bench, "run_job", lambda job: (calls.append(job.id), fake_result(job))[1])
    jobs = plan_jobs(load_bench(path))
    run_bench(jobs, out, executor=serial, progress=False)
    stored = json.loads((out / jobs[0].id / "result.json").read_text())
    assert stored["fingerprint"] == jobs[0].fingerprint

    calls.clear()
    (tmp_path / "methods" / "alpha.yaml").write_text("method: alpha\nrefiner: {enabled: true, threshold: 0.9}\n")
    changed = plan_jobs(load_bench(path))
    assert [j.id for j in changed] == [j.id for j in jobs] and changed[0].fingerprint != jobs[0].fingerprint
    report = run_bench(changed, out, resume=True, executor=serial, progress=False)
    assert report.skipped == 0 and sorted(calls) == sorted(j.id for j in jobs)

    calls.clear()
    report = run_bench(changed, out, resume=True, executor=serial, progress=False)
    assert report.skipped == 2 and calls == []


@pytest.mark.parametrize("content", ["{}", "[]", "{not json", '{"fingerprint": "FP"}', '{"fingerprint": "FP", '
                                     '"completion": "x", "efficiency": 1, "balance": 1, "llm": {}}'])
def test_an_empty_or_broken_result_is_rerun_on_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       content: str) -> None:
    path, out = study(tmp_path), tmp_path / "out"
    monkeypatch.setattr(bench, "run_job", fake_result)
    jobs = plan_jobs(load_bench(path))
    run_bench(jobs, out, executor=serial, progress=False)
    (out / jobs[0].id / "result.json").write_text(content.replace("FP", jobs[0].fingerprint))
    report = run_bench(jobs, out, resume=True, executor=serial, progress=False)
    assert (report.ran, report.skipped) == (1, 1)
    report = run_bench(jobs, out, resume=True, executor=serial, progress=False)
    assert (report.ran, report.skipped) == (0, 2) and report.rows[0]["n"] == 2


def test_an_interrupted_study_resumed_matches_an_uninterrupted_one_byte_for_byte(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = study(tmp_path)
    jobs = plan_jobs(load_bench(path), tasks=3, seeds=2)
    monkeypatch.setattr(bench, "run_job", fake_result)
    run_bench(jobs, tmp_path / "whole", executor=serial, progress=False)
    n = 0

    def stops(job: Job) -> dict[str, Any]:
        nonlocal n
        n += 1
        if n == 4:
            raise KeyboardInterrupt
        return fake_result(job)

    monkeypatch.setattr(bench, "run_job", stops)
    assert run_bench(jobs, tmp_path / "parts", executor=serial, progress=False).interrupted
    monkeypatch.setattr(bench, "run_job", fake_result)
    run_bench(jobs, tmp_path / "parts", resume=True, executor=serial, progress=False)
    files = sorted(p.relative_to(tmp_path / "whole") for p in (tmp_path / "whole").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "parts") for p in (tmp_path / "parts").rglob("*")
                           if p.is_file())
    for f in files:
        assert (tmp_path / "whole" / f).read_bytes() == (tmp_path / "parts" / f).read_bytes(), f


def test_a_full_disk_is_one_line_and_leaves_no_temporary_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path, out = study(tmp_path), tmp_path / "out"
    monkeypatch.setattr(bench, "run_job", fake_result)

    def full(src: Any, dst: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(UserError) as e:
        run_bench(plan_jobs(load_bench(path)), out, executor=serial, progress=False)
    assert "No space left on device" in assert_one_line(e.value) and str(out) in str(e.value)
    assert not list(out.rglob("*.tmp"))
    code, line = cli(capsys, "bench", path, "--out", out)
    assert code == 2 and "No space left on device" in line
    assert not list(out.rglob("*.tmp"))


@pytest.mark.parametrize("body", [
    "methods: [alpha]\nsuites: {'..': suites/farming.yaml}\nmethods_dir: methods\n",
    "methods: [alpha]\nsuites: {'.': suites/farming.yaml}\nmethods_dir: methods\n",
    "methods: ['..']\nsuites: {farming: suites/farming.yaml}\nmethods_dir: methods\n",
])
def test_a_suite_or_method_named_dots_is_refused(tmp_path: Path, body: str) -> None:
    with pytest.raises(UserError) as e:
        load_bench(study(tmp_path, body))
    assert e.value.key in ("suites", "methods")


def test_task_ids_that_leave_the_results_folder_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def evil(**_: Any) -> Any:
        raise AssertionError("not made")

    evil.tasks = lambda **_: [Task("../../evil", "x", "", None, 1.0, 1.0, None)]  # type: ignore[attr-defined]
    monkeypatch.setitem(registry._registered["env"], "test/Evil-v0", evil)
    path = study(tmp_path, suite="env: test/Evil-v0\ntask: x\n")
    with pytest.raises(UserError, match="evil"):
        plan_jobs(load_bench(path))
    assert not (tmp_path.parent / "evil").exists()


# --------------------------------------------------------------------------- a run's folder


def old_run(out: Path) -> dict[str, str]:
    out.mkdir(parents=True)
    files = {"trace.jsonl": '{"type": "old"}\n', "result.json": '{"old": true}\n', "graph.json": "{}\n"}
    for name, text in files.items():
        (out / name).write_text(text)
    return files


def fail_at(n: int, error: BaseException) -> Callable[[int, Any], None]:
    def hook(count: int, _: Any) -> None:
        if count == n:
            raise error

    return hook


@pytest.mark.parametrize(("error", "why"), [(KeyboardInterrupt(), "interrupted"),
                                            (RuntimeError("broke\ninside"), "internal error: RuntimeError")])
def test_a_stopped_run_replaces_the_old_one_and_says_it_is_partial(tmp_path: Path, error: BaseException,
                                                                   why: str) -> None:
    out = tmp_path / "run"
    old_run(out)
    with pytest.raises(type(error)):
        run_episode(load_config(FARM_CONFIG, task="cake_0"), out, on_action=fail_at(5, error))
    assert sorted(os.listdir(out)) == ["PARTIAL", "trace.jsonl"]  # no result of the previous run beside it
    marker = (out / "PARTIAL").read_text()
    assert why in marker and marker.count("\n") == 1
    events = [json.loads(line) for line in (out / "trace.jsonl").read_text().splitlines()]
    assert sum(e["type"] == "action" for e in events) == 5
    assert os.listdir(tmp_path) == ["run"]  # nothing left beside it


def test_a_late_user_error_keeps_the_previous_run_whole(tmp_path: Path) -> None:
    out = tmp_path / "run"
    files = old_run(out)
    with pytest.raises(UserError):
        run_episode(load_config(FARM_CONFIG, task="cake_0"), out, on_action=fail_at(3, UserError("found late")))
    assert {p.name: p.read_text() for p in out.iterdir()} == files
    assert os.listdir(tmp_path) == ["run"]


def test_a_finished_run_replaces_the_old_one_whole(tmp_path: Path) -> None:
    out = tmp_path / "run"
    old_run(out)
    (out / "PARTIAL").write_text("partial run: interrupted\n")
    run_episode(load_config(FARM_CONFIG, task="cake_0"), out)
    assert sorted(os.listdir(out)) == ["graph.json", "result.json", "trace.jsonl"]
    assert "old" not in json.loads((out / "result.json").read_text())
    assert os.listdir(tmp_path) == ["run"]


@pytest.mark.parametrize("args", [["--task", "nope"], ["--agents", "0"], ["--set", "refiner.threshold=7"],
                                  ["--set", "env_options.think_time=abc"], ["--method", "nosuch"]])
def test_nothing_is_written_before_config_and_task_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               args: list[str]) -> None:
    code, _ = cli(capsys, "run", FARM_CONFIG, "--task", "cake_0", *args, "--out", tmp_path / "new")
    assert code == 2 and list(tmp_path.iterdir()) == []


def test_an_out_holding_other_files_is_not_replaced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    code, line = cli(capsys, "run", FARM_CONFIG, "--task", "cake_0", "--out", tmp_path)
    assert code == 2 and "notes.txt" in line and str(tmp_path) in line
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("command", ["run", "bench"])
@pytest.mark.parametrize("where", ["file", "under_file", "proc"])
def test_an_unusable_out_is_exit_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch, command: str, where: str) -> None:
    monkeypatch.setattr(bench, "run_job", fake_result)
    (tmp_path / "afile").write_text("x")
    out = {"file": tmp_path / "afile", "under_file": tmp_path / "afile" / "sub",
           "proc": Path("/proc/causalmace-no-such-dir")}[where]
    first = [FARM_CONFIG, "--task", "cake_0"] if command == "run" else [study(tmp_path)]
    code, line = cli(capsys, command, *first, "--out", out)
    named = out if where != "under_file" else tmp_path / "afile"
    assert code == 2 and str(named) in line, line


# --------------------------------------------------------------------------- task files


BAD_FILES: list[tuple[str, str, str]] = [
    ("farming", '[{"name": "c", "target": "cake", "component": [{"name": "chest", "type": "block", '
                '"position": [NaN, 0, 0]}], "check_point": []}]', "NaN"),
    ("farming", '[{"name": "c", "target": "cake", "component": [{"name": "chest", "type": "block", '
                '"position": [Infinity, 0, 0]}], "check_point": []}]', "Infinity"),
    ("farming", '[{"name": "c", "target": "cake", "component": [{"name": "chest", "type": "block", '
                '"position": [0, 0, 1e300]}], "check_point": []}]', "outside the world"),
    ("farming", '[{"name": "c", "target": "cake", "component": [{"name": "chest", "type": "block", '
                '"position": [0, 0, 0], "items": 5}], "check_point": []}]', "c.component[0].items': not a list"),
    ("farming", '[{"name": "c", "target": "cake", "component": [{"name": "chest", "type": "block", '
                '"position": [0, 0, 0], "items": [{"name": "egg", "count": -3}]}], "check_point": []}]',
     "c.component[0].items[0].count"),
    ("farming", '[{"name": "c", "target": "cake", "component": [], "check_point": [{"name": "cake", "count": 1, '
                '"score": 1e999, "sub_check_point": []}]}]', "c.check_point[0].score"),
    ("farming", "[]", "no tasks"),
    ("escape", '[{"init": [], "condition": [], "effect": [], "wait_interval": 0}]', "[0].wait_interval"),
    ("escape", '[{"init": [], "condition": [], "effect": [], "min_player": 1.5}]', "[0].min_player"),
    ("escape", '[{"init": [], "condition": [], "effect": [], "out": {"key": 1.5}}]', "[0].out.key"),
    ("escape", '[{"init": [], "condition": [], "effect": [], "in": {"key": "two"}}]', "[0].in.key"),
    ("escape", '[{"init": [], "condition": [], "effect": [], "score": "high"}]', "[0].score"),
    ("escape", '[{"init": [{"name": "lever", "position": [0, 0, 0], "random": 20}], "condition": [], '
               '"effect": []}]', "[0].init[0].random"),
    ("escape", '[{"init": [{"name": "lever", "position": [0, 0, 0], "random": 9}, {"name": "lever", '
               '"position": [1, 0, 1]}], "condition": [], "effect": []}]', "3x3 floor"),
    ("escape", "[]", "no atoms"),
    ("escape", '[{"init": [], "condition": [], "effect": [], "min_player": 5}]', "min_player"),
    ("construction", "{}", "no tasks"),
    ("construction", '{"t": ["material: dirt facing: A position: [0, -60, 0]"], "t": []}', "duplicate key 't'"),
    ("construction", '{"t": ["material: dirt facing: A position: [0, 1000000000, 0]"]}', "far outside the world"),
    ("construction", '{"t": ["material: dirt facing: A position: [0, 400, 0]"]}', "outside the world"),
    ("construction", '{"t": ["material: dirt facing: A position: [0, -60, 5000]"]}', "outside the world"),
    ("construction", '{"t": ["[material:dirt facing:A positions:[start:[0 -60 0] end:[100000 -60 100000]]]"]}',
     "more than 4096 blocks"),
    ("construction", '{"t": ["material: dirt facing: A position: [0, -60, ' + "9" * 5000 + ']"]}', "far outside"),
    ("construction", '{"a/../b": ["material: dirt facing: A position: [0, -60, 0]"]}', "bad task id"),
    ("construction", "[" * 100_000 + "]" * 100_000, "nested more than 64 deep"),
    ("construction", "", "not valid JSON"),
]


@pytest.mark.parametrize(("suite", "text", "needle"), BAD_FILES, ids=[f"{s}-{n}" for s, _, n in BAD_FILES])
def test_a_bad_task_file_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], suite: str,
                                                text: str, needle: str) -> None:
    f = tmp_path / "tasks.json"
    f.write_text(text)
    with memory_cap():
        code, line = cli(capsys, "tasks", "check", "--suite", suite, "--data", f)
    assert code == 2 and str(f) in line and needle in line, line


@pytest.mark.parametrize("make", ["directory", "binary", "fifo"])
def test_a_task_file_that_is_not_a_text_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        make: str) -> None:
    f = tmp_path / "tasks.json"
    if make == "directory":
        f.mkdir()
    elif make == "binary":
        f.write_bytes(b'{"t": ["\xff\xfe"]}')
    else:
        os.mkfifo(f)
    code, line = cli(capsys, "tasks", "check", "--suite", "construction", "--data", f)
    assert code == 2 and str(f) in line


def test_a_task_file_with_a_duplicate_farm_name_names_it(tmp_path: Path) -> None:
    f = tmp_path / "farm.json"
    shipped = Path(__file__).parent.parent / "envs" / "villagerbench" / "data" / "farming" / "farm_setting.json"
    one = json.loads(shipped.read_text())[0]
    f.write_text(json.dumps([one, one]))
    with pytest.raises(UserError, match="duplicate task id 'cake_0'"):
        load_tasks("farming", f)


NAN = float("nan")


@pytest.mark.parametrize(("suite", "raw", "key"), [
    ("farming", [{"name": "c", "target": "cake", "component": [{"name": "chest", "type": "block",
                                                                 "position": [NAN, 0, 0]}], "check_point": []}],
     "c.component[0].position"),
    ("farming", [{"name": "c", "target": "cake", "component": [], "check_point": [
        {"name": "cake", "count": 1, "score": NAN, "sub_check_point": []}]}], "c.check_point[0].score"),
    ("escape", [{"init": [], "condition": [], "effect": [], "wait_interval": float("inf")}], "[0].wait_interval"),
    ("escape", [{"init": [{"name": "lever", "position": [0, 0, True]}], "condition": [], "effect": []}],
     "[0].init[0].position"),
    ("construction", {"t": ["material: dirt facing: A position: [0, -60, 0]"] * 2 + [7]}, "t[2]"),
])
def test_raw_task_data_is_checked_before_the_loaders(suite: str, raw: Any, key: str) -> None:
    from causalmace.envs.villagerbench.suites import load_raw

    with pytest.raises(UserError) as e:
        load_raw(suite, raw, "mine.json")
    assert e.value.key == key and e.value.file == "mine.json"


# --------------------------------------------------------------------------- limits that agree


def test_the_team_size_limit_is_one_number(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from causalmace.envs.villagerbench import validate

    n = limits.MAX_AGENTS
    for args in (["run", "villagerbench/escape", "--agents", n + 1, "--out", tmp_path / "r"],
                 ["tasks", "list", "--suite", "escape", "--agents", n + 1],
                 ["bench", study(tmp_path), "--agents", n + 1, "--out", tmp_path / "b"]):
        code, _ = cli(capsys, *args)
        assert code == 2, args
    with pytest.raises(UserError):
        load_tasks("escape", n_agents=n + 1)
    assert all(t.goal.rooms for t in load_tasks("escape", n_agents=n))  # every run of the biggest team
    shipped = json.loads((Path(__file__).parent.parent / "envs" / "villagerbench" / "data" / "escape_room" /
                          "escape_atom.json").read_text())
    validate.check_escape(shipped, "escape_atom.json", n)
    with pytest.raises(UserError, match="3x3 floor"):  # why the limit is 8: atom 0's copies fill its floor
        validate.check_escape(shipped, "escape_atom.json", n + 1)


def test_think_time_is_bounded_by_the_longest_wait() -> None:
    from causalmace import loop
    from causalmace.actions import Wait

    assert f"le={limits.MAX_WAIT_S:g}" in repr(Wait.model_fields["seconds"]).replace(".0", "")
    assert loop.MAX_WAIT_S == limits.MAX_WAIT_S
    assert load_config(FARM_CONFIG, ["env_options.think_time=600.0"], task="cake_0").env_options["think_time"] == 600
    for bad in ("600.5", "abc", ".nan", ".inf", "-1", "true"):
        with pytest.raises(UserError) as e:
            load_config(FARM_CONFIG, [f"env_options.think_time={bad}"], task="cake_0")
        assert e.value.key == "env_options.think_time" and "--set" in str(e.value), bad


def test_a_huge_sweep_is_refused_before_it_is_built(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = study(tmp_path)
    with memory_cap():
        code, line = cli(capsys, "bench", path, "--seeds", "1000000000", "--out", tmp_path / "o")
    assert code == 2 and "--seeds" in line
    monkeypatch.setattr(limits, "MAX_JOBS", 3)
    with pytest.raises(UserError, match="4 episodes"):
        plan_jobs(load_bench(path), seeds=2)


BOMB = "".join(f"{c}: &{c} [" + ", ".join([f"*{p}"] * 9) + "]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))


@pytest.mark.parametrize("where", ["agents: *i\n", "env_options: {x: *i}\n", "llm: {provider: *i}\n"],
                         ids=["agents", "env_options", "llm"])
def test_a_yaml_alias_bomb_in_a_config_value_is_refused(tmp_path: Path, where: str) -> None:
    f = tmp_path / "bomb.yaml"
    f.write_text(f"env: {FARM}\ntask: cake_0\nx:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                 + "".join("  " + line + "\n" for line in BOMB.splitlines()) + where)
    assert len(f.read_bytes()) < 1000
    with memory_cap(), pytest.raises(UserError) as e:
        load_config(f)
    assert str(f) in assert_one_line(e.value) and len(str(e.value)) < 300


@pytest.mark.parametrize("text", ["agents: &a [*a]\n", "env: " + "[" * 5000 + "]" * 5000 + "\n",
                                  "env:\n  " + "- " * 500 + "x\n"], ids=["self", "flow", "block"])
def test_self_referencing_or_deep_yaml_is_refused(tmp_path: Path, text: str) -> None:
    f = tmp_path / "c.yaml"
    f.write_text(text)
    with pytest.raises(UserError) as e:
        load_config(f)
    assert str(f) in assert_one_line(e.value)


# --------------------------------------------------------------------------- messages


def test_a_yaml_error_is_one_line_with_file_line_and_column(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text(f"env: {FARM}\ntask: cake_0\nrefiner: {{enabled: true\nagents: 3\n")
    with pytest.raises(UserError) as e:
        load_config(f)
    text = assert_one_line(e.value)
    assert text.startswith(f"{f}: not valid YAML at line 4, column 7: ")


@pytest.mark.parametrize("make", ["directory", "binary", "huge"])
def test_a_config_that_is_not_a_text_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     make: str) -> None:
    f = tmp_path / "c.yaml"
    if make == "directory":
        f.mkdir()
    elif make == "binary":
        f.write_bytes(b"env: \xff\xfe\n")
    else:
        f.write_text("# " + "x" * limits.MAX_FILE_BYTES + "\n")
    code, line = cli(capsys, "run", f, "--out", tmp_path / "o")
    assert code == 2 and str(f) in line


def test_an_error_in_a_method_file_names_the_method_file(tmp_path: Path) -> None:
    (tmp_path / "methods").mkdir()
    method = tmp_path / "methods" / "m.yaml"
    method.write_text("refiner: {threshold: 7}\n")
    run = tmp_path / "run.yaml"
    run.write_text(f"env: {FARM}\ntask: cake_0\n")
    with pytest.raises(UserError) as e:
        load_config(run, method="m")
    assert (e.value.file, e.value.key) == (str(method.resolve()), "refiner.threshold")
    method.write_text("scheduler: {type: nosuch}\n")
    with pytest.raises(UserError) as e:
        load_config(run, method="m")
    assert (e.value.file, e.value.key) == (str(method.resolve()), "scheduler.type")


def test_an_error_in_an_included_file_names_it(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text("agents: many\n")
    run = tmp_path / "run.yaml"
    run.write_text(f"include: base.yaml\nenv: {FARM}\ntask: cake_0\n")
    with pytest.raises(UserError) as e:
        load_config(run)
    assert (e.value.file, e.value.key) == (str(base.resolve()), "agents")


def test_an_error_in_a_bench_suite_file_names_the_suite_file(tmp_path: Path) -> None:
    path = study(tmp_path, suite=f"env: {FARM}\ntask: cake_0\nagents: many\n")
    with pytest.raises(UserError) as e:
        plan_jobs(load_bench(path))
    assert (e.value.file, e.value.key) == (str(tmp_path / "suites" / "farming.yaml"), "agents")
    (tmp_path / "suites" / "farming.yaml").write_text(f"env: {FARM}\ntask: cake_0\n")
    (tmp_path / "methods" / "alpha.yaml").write_text("refiner: {samples: 0}\n")
    with pytest.raises(UserError) as e:
        plan_jobs(load_bench(path))
    assert (e.value.file, e.value.key) == (str(tmp_path / "methods" / "alpha.yaml"), "refiner.samples")
