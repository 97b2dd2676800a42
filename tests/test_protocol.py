"""The env protocol: check_env on every shipped env, a helpful failure on a broken one, and a run on an
env that offers the protocol and no optional capability."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from causalmace import registry
from causalmace.cli import main
from causalmace.envs import EnvCheckError, check_env
from causalmace.graph import Subtask, TaskGraph
from causalmace.judger import Refusal, RefusalKind, cell_key, item_key
from causalmace.repair import repair
from causalmace.scheduler import BusyRateScheduler
from tests.protocol_only import ShelfEnv, make_task

SUITES = ["craftworld/VillagerBench-Construction-v0", "craftworld/VillagerBench-Farming-v0",
          "craftworld/VillagerBench-Escape-v0"]


@pytest.mark.parametrize("env_id", SUITES)
def test_check_env_passes_on_craftworld(env_id: str) -> None:
    for task in registry.tasks(env_id, agents=3)[:3]:
        check_env(registry.make(env_id, task=task.id, agents=3))


def test_check_env_passes_on_a_protocol_only_env() -> None:
    check_env(ShelfEnv())


class Broken(ShelfEnv):
    capabilities = frozenset({__import__("causalmace.envs.protocol", fromlist=["Capability"]).Capability.FORK})

    def observe(self, agent: str) -> dict[str, Any]:
        return {"inventory": {}}

    def action_specs(self) -> tuple:
        return ()


def test_check_env_names_each_failure_and_its_fix() -> None:
    with pytest.raises(EnvCheckError) as err:
        check_env(Broken())
    text = str(err.value)
    assert "declares 'fork' but has no fork()" in text
    failures = err.value.failures
    assert any("has no 'time'" in f and "fix: add 'time'" in f for f in failures)
    assert any("lacks Wait" in f for f in failures)


@pytest.fixture()
def shelf_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_registered", {"env": {}, "agent": {}, "scheduler": {}, "llm": {}})
    registry.register_env("test/Shelf-v0", "tests.protocol_only:make_shelf")
    registry.register_agent("shelf-agent", "tests.protocol_only:ShelfAgent")
    registry.register("llm", "shelf-llm", "tests.protocol_only:make_shelf_llm")


def test_run_on_an_env_with_no_capability(tmp_path: Path, shelf_kinds: None) -> None:
    cfg = tmp_path / "shelf.yaml"
    cfg.write_text("env: test/Shelf-v0\ntask: make_chair\nagents: 2\nllm: {provider: shelf-llm}\n"
                   "refiner: {enabled: true, estimator: simulate}\n")
    main(["run", str(cfg), "--out", str(tmp_path / "out")])
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    assert result["completed"] and result["capabilities"] == []
    assert result["refiner"]["estimator"] == "llm" and "cannot fork" in result["refiner"]["reason"]
    assert result["lower_bound_s"] is None and "spurious_initial" not in result["graph"]
    events = [json.loads(line) for line in (tmp_path / "out" / "trace.jsonl").read_text().splitlines()]
    said = next(e for e in events if e["type"] == "refiner")
    assert said["requested"] == "simulate" and said["estimator"] == "llm"
    pruned = [e["edge"] for e in events if e["type"] == "graph" and e["change"] == "prune"]
    assert pruned == [["stick", "plank"]]


def test_abandoned_subtask_does_not_block_its_line() -> None:
    g = TaskGraph("t")
    for s in ("a", "b", "c"):
        g.add(Subtask(s, "make", s, s))
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    sched = BusyRateScheduler(g)
    assert sched.assign("x", {"a"}) == "a"
    sched.finished("x", "a", False, settled=True)  # its last attempt failed: it is given up
    assert sched.assign("x", {"b"}) == "b"


def test_repair_matches_facts_not_words() -> None:
    g = TaskGraph("t")
    g.add(Subtask("wall", "build", "w", "structure", produces=(cell_key((0, 1, 0)),)))
    g.add(Subtask("flour", "craft", "f", "flour"))
    g.add(Subtask("roof", "build", "r", "structure"))
    facts = [Refusal(RefusalKind.NO_SUPPORT, "wording does not matter", pos=(0, 2, 0)),
             Refusal(RefusalKind.MISSING_ITEM, "neither does this", item="flour")]
    assert sorted(repair(g, "roof", facts)) == [("flour", "roof"), ("wall", "roof")]
    assert item_key("flour") in ("item:flour",)


class NoModel(ShelfEnv):
    """Offers a world model hook but, made without one, has none to give."""

    def world_model(self) -> None:
        return None


def test_simulate_without_fork_or_world_model_asks_the_llm(tmp_path: Path, shelf_kinds: None) -> None:
    registry.register_env("test/NoModel-v0", "tests.test_protocol:make_no_model")
    cfg = tmp_path / "shelf.yaml"
    cfg.write_text("env: test/NoModel-v0\ntask: make_chair\nagents: 2\nllm: {provider: shelf-llm}\n"
                   "refiner: {enabled: true, estimator: simulate}\n")
    main(["run", str(cfg), "--out", str(tmp_path / "out")])
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    assert result["completed"] and result["refiner"]["estimator"] == "llm"


def make_no_model(*, task: str | None = None, agents: int = 2) -> NoModel:
    return NoModel(task, agents)


make_no_model.tasks = lambda agents=1, **_: [make_task()]  # type: ignore[attr-defined]
