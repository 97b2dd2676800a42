"""A scheduler's own settings (``scheduler.options``): checked when the config is read, and passed on, so an
ablation of measured-rank's parts runs from the command line."""

from pathlib import Path

import pytest

from causalmace import build
from causalmace.cli import main
from causalmace.config import load_config
from causalmace.errors import UserError
from causalmace.measured_rank import MeasuredRankOptions
from causalmace.runner import run_episode

CONFIGS = Path(__file__).resolve().parent.parent / "configs" / "villagerbench"
EXACT = ["llm.noise.spurious_edges=0", "llm.noise.missing_edges=0"]


def measured(suite: str, task: str, agents: int, *sets: str) -> dict:
    cfg = load_config(CONFIGS / f"{suite}.yaml", [*EXACT, *sets], method="causalmace-measured", task=task,
                      agents=agents)
    return run_episode(cfg).result


def test_options_reach_the_scheduler() -> None:
    cfg = load_config(CONFIGS / "escape.yaml", ["scheduler.options.standby=false", "scheduler.options.tie=0.05"],
                      method="causalmace-measured", task="escape_4r_1", agents=2)
    env = build.make_env(cfg)
    env.reset(0)
    s = build.make_scheduler(cfg, env.reference_plan(), env.agents, build.make_llm(cfg), env)
    assert s.opts == MeasuredRankOptions(standby=False, tie=0.05)


def test_switching_a_part_off_gives_the_run_it_had_without_it() -> None:
    """The README's figures for two of measured-rank's parts, each switched off from the config."""
    assert measured("escape", "escape_4r_1", 2)["makespan_s"] == pytest.approx(11.35, abs=0.01)
    assert measured("escape", "escape_4r_1", 2, "scheduler.options.skip_failing=false")["makespan_s"] \
        == pytest.approx(13.5, abs=0.05)
    assert measured("farming", "rabbit_stew_63", 3)["makespan_s"] == pytest.approx(69.2, abs=0.05)
    assert measured("farming", "rabbit_stew_63", 3, "scheduler.options.keep_free=false")["makespan_s"] \
        == pytest.approx(73.2, abs=0.05)


@pytest.mark.parametrize(("setting", "key", "expected"), [
    ("scheduler.options.bogus=1", "scheduler.options.bogus", "one of trial, match, try_pairs"),
    ("scheduler.options.tie=7", "scheduler.options.tie", "less than or equal to 1"),
    ("scheduler.options.standby=perhaps", "scheduler.options.standby", "valid boolean"),
])
def test_a_bad_option_names_its_key(setting: str, key: str, expected: str) -> None:
    with pytest.raises(UserError) as e:
        load_config(CONFIGS / "farming.yaml", [setting], method="causalmace-measured", task="cake_0", agents=2)
    assert e.value.key == key and expected in str(e.value.expected)


def test_a_scheduler_without_options_takes_none(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as e:
        main(["run", str(CONFIGS / "farming.yaml"), "--task", "cake_0", "--set", "scheduler.options.tie=0.1",
              "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "Traceback" not in err
    assert "key 'scheduler.options'" in err and "'busy_rate' takes no options" in err
    assert not (tmp_path / "run").exists()


def test_a_study_checks_every_method_s_scheduler_before_it_runs(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A method file with a mistyped option, or an unknown scheduler, stops the study before any episode,
    naming the file and the key (it used to fail every episode, each with a traceback in its error.txt)."""
    methods = tmp_path / "methods"
    methods.mkdir()
    study = tmp_path / "study.yaml"
    study.write_text(f"methods: [m]\nsuites:\n  escape: {CONFIGS / 'escape.yaml'}\nagents: [2]\nnoise: [0.0]\n"
                     "seeds: 1\ntasks: 1\njobs: 1\nmethods_dir: methods\n")
    for body, key in (("scheduler: {type: measured_rank, options: {standbye: false}}", "scheduler.options.standbye"),
                      ("scheduler: {type: measured_rnak}", "scheduler.type")):
        (methods / "m.yaml").write_text(f"method: m\n{body}\n")
        with pytest.raises(SystemExit) as e:
            main(["bench", str(study), "--out", str(tmp_path / "out")])
        err = capsys.readouterr().err
        assert e.value.code == 2 and "Traceback" not in err
        assert f"{methods / 'm.yaml'}: key '{key}'" in err
        assert not (tmp_path / "out").exists()
