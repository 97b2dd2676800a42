"""The env/agent registry: built-ins, unknown ids, and envs added by another installed package."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from causalmace import registry
from causalmace.actions import Wait
from causalmace.errors import UserError

BUILTIN = (
    "craftworld/VillagerBench-Construction-v0",
    "craftworld/VillagerBench-Farming-v0",
    "craftworld/VillagerBench-Escape-v0",
)



@pytest.fixture(autouse=True)
def fresh_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests install plugins while running: read entry points on every lookup here."""
    monkeypatch.setattr(registry, "_installed", registry._read_installed)

def test_builtin_ids_listed() -> None:
    ids = registry.env_ids()
    assert set(BUILTIN) <= set(ids)
    assert ids == sorted(ids)
    assert "scripted" in registry.agent_names()
    assert registry.env_spec(BUILTIN[1]) == "causalmace.envs.villagerbench.suites:make_farming"
    assert registry.agent_spec("scripted") == "causalmace.agents.scripted:ScriptedSkillAgent"


def test_import_does_not_load_simulator() -> None:
    """The registry must stay cheap to import: built-ins are strings until make() is called."""
    code = ("import sys, causalmace.registry as r; r.env_ids(); "
            "sys.exit(int('causalmace.envs.craftworld.env' in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.parametrize("env_id", BUILTIN)
def test_make_builtin(env_id: str) -> None:
    env = registry.make(env_id, agents=2)
    obs = env.reset(seed=0)
    assert set(obs) == set(env.agents) and len(env.agents) == 2
    result = env.apply(env.agents[0], Wait(seconds=1))
    assert result.status
    assert env.clock(env.agents[0]) == pytest.approx(1.0)


def test_tasks_listed_through_the_factory() -> None:
    runs = registry.tasks(BUILTIN[2], agents=2)
    assert runs and all(t.suite == "escape" for t in runs)
    assert registry.make(BUILTIN[2], task=runs[-1], agents=2).task.id == runs[-1].id


def test_make_agent() -> None:
    agent = registry.make_agent("scripted", agent_name="Alice")
    assert type(agent).__name__ == "ScriptedSkillAgent" and agent.name == "Alice"


def test_unknown_id_names_it_and_lists_known() -> None:
    with pytest.raises(UserError) as e:
        registry.make("craftworld/NoSuchEnv-v0")
    assert "craftworld/NoSuchEnv-v0" in str(e.value)
    assert BUILTIN[0] in str(e.value)
    with pytest.raises(UserError, match="nobody"):
        registry.make_agent("nobody")
    with pytest.raises(UserError):
        registry.env_spec("craftworld/NoSuchEnv-v0")


def test_register_env_at_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_registered", {"env": {}, "agent": {}, "scheduler": {}, "llm": {}})
    registry.register_env("mine/Farm-v1", "causalmace.envs.villagerbench.suites:make_farming")
    assert "mine/Farm-v1" in registry.env_ids()
    assert registry.make("mine/Farm-v1").task.suite == "farming"
    registry.register_env("mine/Farm-v1", "causalmace.envs.villagerbench.suites:make_farming")  # same: fine
    with pytest.raises(UserError, match="already registered"):
        registry.register_env("mine/Farm-v1", "causalmace.envs.villagerbench.suites:make_escape")
    with pytest.raises(UserError, match="malformed"):
        registry.register_env("no-namespace", "causalmace.envs.villagerbench.suites:make_farming")


def _install_plugin(root: Path, dist: str, module: str, entries: dict[str, str]) -> None:
    """Lay out a package and its ``.dist-info`` as pip would, so importlib.metadata finds it."""
    (root / f"{module}.py").write_text(textwrap.dedent("""
        from typing import Any

        from causalmace.envs.villagerbench.suites import make_farming


        def make_toy(**kw: Any) -> Any:
            return make_farming(**kw)
    """))
    info = root / f"{dist}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    lines = "\n".join(f"{k} = {v}" for k, v in entries.items())
    (info / "entry_points.txt").write_text(f"[causalmace.envs]\n{lines}\n")


def test_entry_point_from_another_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "toyns/Toy-v0" not in registry.env_ids()
    _install_plugin(tmp_path, "cm_extra_env", "cm_extra_env", {"toyns/Toy-v0": "cm_extra_env:make_toy"})
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "toyns/Toy-v0" in registry.env_ids()
    assert registry.env_spec("toyns/Toy-v0") == "cm_extra_env:make_toy"
    env = registry.make("toyns/Toy-v0", agents=2)
    assert env.task.suite == "farming" and len(env.reset(seed=1)) == 2
    with pytest.raises(UserError, match="does not list its tasks"):
        registry.tasks("toyns/Toy-v0")
    assert env.apply(env.agents[1], Wait(seconds=2)).status


def test_entry_point_duplicates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    same = {BUILTIN[1]: "causalmace.envs.villagerbench.suites:make_farming"}
    (tmp_path / "a").mkdir()
    _install_plugin(tmp_path / "a", "cm_same", "cm_same", same)
    monkeypatch.syspath_prepend(str(tmp_path / "a"))
    assert registry.env_ids().count(BUILTIN[1]) == 1  # same target: silently ignored

    (tmp_path / "b").mkdir()
    _install_plugin(tmp_path / "b", "cm_clash", "cm_clash", {BUILTIN[1]: "cm_clash:make_toy"})
    monkeypatch.syspath_prepend(str(tmp_path / "b"))
    with pytest.raises(UserError, match="cm_clash"):
        registry.env_ids()
    # a built-in is found without reading the installed packages; any other name still meets the clash
    assert registry.env_spec(BUILTIN[1]) == "causalmace.envs.villagerbench.suites:make_farming"
    with pytest.raises(UserError, match="cm_clash"):
        registry.env_spec("toyns/Other-v0")


def test_entry_point_bad_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install_plugin(tmp_path, "cm_bad", "cm_bad", {"Toy": "cm_bad:make_toy"})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(UserError, match="namespace/Name-vN"):
        registry.env_ids()


def test_missing_plugin_module_is_a_user_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install_plugin(tmp_path, "cm_gone", "cm_present", {"gone/Gone-v0": "cm_gone_module:make_toy"})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(UserError, match="not installed"):
        registry.make("gone/Gone-v0")
