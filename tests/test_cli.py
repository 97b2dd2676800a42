import json
import subprocess
import sys
from pathlib import Path

import pytest

from causalmace.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "causalmace.cli", *args], capture_output=True, text=True)


def test_tasks_list_has_222_runs() -> None:
    r = run("tasks", "list", "--json")
    assert r.returncode == 0
    rows = json.loads(r.stdout)
    assert len(rows) == 222
    assert len({row["id"] for row in rows}) == 222


def test_envs_lists_the_simulator_envs(capsys: pytest.CaptureFixture[str]) -> None:
    main(["envs", "--json"])
    ids = [e["id"] for e in json.loads(capsys.readouterr().out)]
    assert "craftworld/VillagerBench-Farming-v0" in ids


@pytest.mark.parametrize("suite", ["farming", "escape", "construction"])
def test_tasks_check_solves_every_run(suite: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["tasks", "check", "--suite", suite, "--json"])  # exits non-zero if any run is unsolvable
    out = json.loads(capsys.readouterr().out)
    assert out["solvable"] == out["total"] == (22 if suite == "escape" else 100)


BAD = {
    "construction": [
        ('{"task_0": ["material: unobtainium facing: A position: [-8, -60, 0]"]}', "unknown material"),
        ('{"task_0": 5}', "task_0"),
        ('{"task_0": ["hello"]}', "no block"),
        ('[1, 2]', "top level"),
    ],
    "farming": [
        ('[{"name": "cake_x", "target": "cake"}]', "cake_x.component"),
        ('[{"name": "cake_x", "target": 7, "component": [], "check_point": []}]', "cake_x.target"),
        ('[{"name": "cake_x", "target": "cake", "component": [{"name": "chest", "type": "block", '
         '"position": [0, 0, 0], "items": [{"name": "mystery_meat", "count": 1}]}], "check_point": []}]',
         "unknown item"),
        ('{"broken": ', "not valid JSON"),
    ],
    "escape": [
        ('[{"init": [], "condition": [{"name": "lever"}], "effect": []}]', "[0].condition[0].position"),
        ('[{"init": [], "condition": [], "effect": [], "type": "xor"}]', "[0].type"),
        ('[{"init": [{"name": "notablock", "position": [0, 0, 0]}], "condition": [], "effect": []}]',
         "unknown block"),
    ],
}


@pytest.mark.parametrize("suite,text,needle", [(s, t, n) for s, cases in BAD.items() for t, n in cases])
def test_malformed_task_files_exit_2_with_a_message(tmp_path: Path, suite: str, text: str, needle: str) -> None:
    f = tmp_path / "tasks.json"
    f.write_text(text)
    r = run("tasks", "check", "--suite", suite, "--data", str(f))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert str(f) in r.stderr and needle in r.stderr


def test_missing_data_file_exits_2(tmp_path: Path) -> None:
    r = run("tasks", "check", "--suite", "farming", "--data", str(tmp_path / "nope.json"))
    assert r.returncode == 2 and "file not found" in r.stderr and "Traceback" not in r.stderr


def test_user_tasks_in_upstream_format(tmp_path: Path) -> None:
    f = tmp_path / "mine.json"
    f.write_text(json.dumps({"hut": ["material: oak_planks facing: A position: [-8, -60, 0]",
                                     "[material:oak_planks facing:A positions:[start:[-8 -59 0] end:[-8 -57 0]]]"]}))
    r = run("tasks", "check", "--suite", "construction", "--data", str(f))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("solvable 1/1")


@pytest.mark.parametrize("args", [
    [], ["run"], ["run", "configs/villagerbench/farming.yaml", "--agents", "abc"], ["nosuch"],
    ["tasks", "list", "--suite", "nosuch"], ["tasks", "list", "--agents", "0"],
    ["bench", "configs/bench/villagerbench.yaml", "--seeds", "abc"], ["run", "x.yaml", "--bogus"],
])
def test_usage_errors_exit_2_without_a_traceback(args: list[str]) -> None:
    r = run(*args)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    if args:  # a bare ``causalmace`` shows the help; every mistake is one line
        assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("causalmace: error: "), r.stderr


def test_internal_error_is_one_line_and_a_log(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from causalmace import cli

    def boom(**_: object) -> None:
        raise RuntimeError("something inside broke")

    monkeypatch.setattr(cli.registry, "env_ids", boom)
    with pytest.raises(SystemExit) as e:
        main(["envs"])
    err = capsys.readouterr().err
    assert e.value.code == 1 and "internal error: RuntimeError: something inside broke" in err
    log = Path(err.rsplit("the traceback is in ", 1)[1].strip())
    assert "Traceback" in log.read_text()


def test_builtin_config_by_name_from_another_folder(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "causalmace.cli", "run", "villagerbench/farming", "--task",
                        "rabbit_stew_2", "--out", str(tmp_path / "o")], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "o" / "result.json").read_text())["completed"]


def test_tasks_list_and_check_take_any_env_id(capsys: pytest.CaptureFixture[str]) -> None:
    main(["tasks", "list", "--env", "craftworld/VillagerBench-Escape-v0", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["env"] == "craftworld/VillagerBench-Escape-v0" for r in rows)
    with pytest.raises(SystemExit) as e:
        main(["tasks", "list", "--env", "nowhere/Nothing-v0"])
    assert e.value.code == 2 and "known:" in capsys.readouterr().err


def test_the_console_script_leaves_a_whole_run_and_the_exit_codes(tmp_path: Path) -> None:
    """The console script freezes the collector's view at exit; the run it wrote must be whole."""
    launch = "import sys; from causalmace.launch import main; sys.argv[0] = 'causalmace'; main()"
    r = subprocess.run([sys.executable, "-c", launch, "run", "villagerbench/farming", "--task", "cake_0",
                        "--out", str(tmp_path / "run")], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    events = [json.loads(line) for line in (tmp_path / "run" / "trace.jsonl").read_text().splitlines()]
    assert result["completed"] and events[-1]["type"] == "score" and events[-1]["task"] == "cake_0"
    lines = r.stdout.splitlines()
    assert lines[0].startswith("cake_0 · causalmace") and lines[1].split() == ["completed", "yes"]
    bad = subprocess.run([sys.executable, "-c", launch, "run", "villagerbench/farming", "--task", "no_such"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2 and "no_such" in bad.stderr and "Traceback" not in bad.stderr
