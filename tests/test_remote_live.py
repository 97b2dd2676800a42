"""Workers in other processes on a world that cannot snapshot itself (a live server).

A copy of such a world cannot follow the real one, so a Worker's copy must not start a second world,
and only a policy that reads the world through observations may run there; any other is refused at
start-up with the fix, before Ray starts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from causalmace import registry
from causalmace.config import RunConfig
from causalmace.errors import UserError
from causalmace.graph import Subtask
from causalmace.ray_workers import AgentActor, check_policy
from causalmace.runner import run_episode
from tests.openai_stub_server import StubServer, stub_server_fixture  # noqa: F401  (the stub_server fixture)
from tests.protocol_only import ShelfEnv
from tests.test_llm_end_to_end import CompetentModel, capture_env, run_config  # noqa: F401  (a fixture)


class CountingShelf(ShelfEnv):
    resets = 0

    def reset(self, seed: int | None = None) -> dict[str, dict[str, Any]]:
        CountingShelf.resets += 1
        return super().reset(seed)


class ObservingAgent:
    observes_only = True

    def __init__(self, agent_name: str, **_: Any) -> None:
        self.name = agent_name
        self.seen: list[Any] = []

    def start(self, subtask: Subtask, world: Any) -> None:
        self.seen.append((world.observe(self.name), world.rules_text()))

    def act(self, world: Any) -> None:
        self.seen.append(world.observe(self.name))


@pytest.fixture
def shelf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_registered", {"env": {}, "agent": {}, "scheduler": {}, "llm": {}})
    registry.register_env("test/CountingShelf-v0", "tests.test_remote_live:CountingShelf")
    registry.register_agent("shelf-agent", "tests.protocol_only:ShelfAgent")
    registry.register_agent("observer", "tests.test_remote_live:ObservingAgent")


def test_a_workers_copy_of_a_live_world_is_never_started(shelf: None) -> None:
    CountingShelf.resets = 0
    actor = AgentActor("test/CountingShelf-v0", {"agents": 2}, "w0", "observer")
    view = {"time": 3.0, "inventory": {"plank": 1}}
    actor.start(Subtask("s", "make", "make a chair", ""), view)
    actor.act({"time": 4.0, "inventory": {}})
    assert CountingShelf.resets == 0
    seen = actor.policy.seen
    assert seen[0][0] == view and isinstance(seen[0][1], str) and seen[1]["time"] == 4.0


def test_a_policy_that_reads_the_world_is_refused_with_the_fix(shelf: None) -> None:
    with pytest.raises(UserError) as err:
        check_policy("test/CountingShelf-v0", {"agents": 2}, "shelf-agent")
    assert err.value.key == "workers.backend" and "workers.backend: local" in str(err.value)
    check_policy("test/CountingShelf-v0", {"agents": 2}, "observer")  # observes only: allowed


def test_the_live_minecraft_env_refuses_the_scripted_agent_on_ray(tmp_path: Path) -> None:
    """Checked from the env's construction alone: no server, no Ray."""
    with pytest.raises(UserError, match="cannot snapshot"):
        check_policy("minecraft/VillagerBench-Construction-v0", {"task": "task_0", "agents": 2}, "scripted")
    check_policy("minecraft/VillagerBench-Construction-v0", {"task": "task_0", "agents": 2}, "llm")
    check_policy("craftworld/VillagerBench-Construction-v0", {"task": "task_0", "agents": 2}, "scripted")



@pytest.mark.minecraft
def test_llm_agents_in_ray_actors_build_on_a_live_server(stub_server: StubServer, capture_env: Any,  # noqa: F811
                                                         tmp_path: Path) -> None:
    """Bots and the world stay in the episode's process; each agent's conversation lives in an actor.

    The stub wants no key: a Ray runtime another test started would not see one set here."""
    model = CompetentModel()
    capture_env(model)
    stub_server.policy = model
    base = run_config("minecraft/VillagerBench-Construction-v0", "task_0", stub_server.base_url,
                      tmp_path / "cache", backend="ray").model_dump()
    cfg = RunConfig.model_validate({**base, "llm": {**base["llm"], "api_key_env": None}})
    seen: list[dict[str, int]] = []
    ep = run_episode(cfg, tmp_path / "run", on_action=lambda n, workers: seen.append(workers.pids()))
    r = ep.result
    assert r["completed"] and r["score"]["block_hit_rate"] == 1.0, r
    assert model.asked["act"] > 0 and sorted(r["llm_agents"]) == ["Alice", "Bob"]
    assert seen and all(os.getpid() not in pids.values() for pids in seen)
