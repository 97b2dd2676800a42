"""The PettingZoo adapter passes PettingZoo's own API and seeding checks on every CraftWorld env."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test, parallel_seed_test

from causalmace import registry
from causalmace.envs.blocks.actions import NavigateTo, Wait

if TYPE_CHECKING:
    from causalmace.envs.pettingzoo import CausalMaceParallelEnv

CRAFTWORLD = [e for e in registry.env_ids() if e.startswith("craftworld/")]


def _make(env_id: str, **kwargs: Any) -> CausalMaceParallelEnv:
    from causalmace.envs.pettingzoo import parallel_env

    return parallel_env(env_id, agents=2, **kwargs)


@pytest.mark.parametrize("env_id", CRAFTWORLD)
def test_parallel_api(env_id: str) -> None:
    parallel_api_test(_make(env_id), num_cycles=50)


@pytest.mark.parametrize("env_id", CRAFTWORLD)
def test_parallel_seed(env_id: str) -> None:
    parallel_seed_test(lambda: _make(env_id), num_cycles=50)


def test_craftworld_ids_found() -> None:
    assert len(CRAFTWORLD) >= 3


@pytest.mark.parametrize("env_id", CRAFTWORLD)
def test_catalogue_and_spaces(env_id: str) -> None:
    env = _make(env_id)
    assert env.catalogue[0] == Wait(seconds=1)
    assert env.catalogue == _make(env_id).catalogue  # deterministic
    obs, infos = env.reset(seed=3)
    a = env.possible_agents[0]
    assert env.action_space(a).n == len(env.catalogue)
    assert obs[a].dtype == np.float32 and obs[a] in env.observation_space(a)
    assert env.state().shape == env.state_space.shape
    assert env.render() is None


def test_farming_reward_is_completion_gain() -> None:
    env = _make("craftworld/VillagerBench-Farming-v0")
    env.reset(seed=0)
    names = [a.name for a in env.catalogue]
    go = names.index("navigateTo")  # the chest's side comes first: it sorts before the table
    take = next(i for i, a in enumerate(env.catalogue)
                if a.name == "withdrawItem" and a.args()["item_name"] == "egg")
    total = 0.0
    for index in (go, take):
        _, rewards, terms, truncs, infos = env.step({a: index for a in env.agents})
        total += rewards["Alice"]
        assert rewards["Alice"] == rewards["Bob"]
    assert infos["Alice"]["accepted"] or infos["Bob"]["accepted"]
    assert total == pytest.approx(env.env.score().completion) and total > 0


def test_truncation_removes_agents() -> None:
    env = _make("craftworld/VillagerBench-Escape-v0", max_cycles=3)
    env.reset(seed=0)
    for _ in range(3):
        _, _, _, truncs, _ = env.step(dict.fromkeys(env.agents, 0))
    assert all(truncs.values()) and env.agents == []


def test_out_of_range_action_is_refused() -> None:
    env = _make("craftworld/VillagerBench-Construction-v0")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="outside"):
        env.step({"Alice": len(env.catalogue)})


def test_escape_plates_are_in_the_catalogue() -> None:
    """Standing on both plates of the first room solves it: the episode terminates for everyone."""
    env = _make("craftworld/VillagerBench-Escape-v0")
    env.reset(seed=0)
    on = [(i, env.env.block_at((a.x, a.y, a.z))) for i, a in enumerate(env.catalogue)
          if isinstance(a, NavigateTo)]
    plates = [i for i, b in on if b is not None and b[0].endswith("_pressure_plate")]
    assert len(plates) == 2
    _, rewards, terms, truncs, _ = env.step(dict(zip(env.agents, plates, strict=True)))
    assert rewards == {"Alice": 1.0, "Bob": 1.0}
    assert all(terms.values()) and not any(truncs.values()) and env.agents == []
