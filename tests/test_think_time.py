"""Think time is paid once per decision: standing still is not a decision, so waiting never pays it."""

from pathlib import Path
from typing import Any

import pytest

from causalmace.actions import Wait
from causalmace.config import load_config
from causalmace.envs.blocks import actions as A
from causalmace.envs.kitchen.env import make_kitchen
from causalmace.envs.minecraft.suites import make_env as make_minecraft
from causalmace.envs.villagerbench.suites import make_farming
from causalmace.loop import FAIL_PAUSE_S
from causalmace.runner import run_episode

CONFIGS = Path(__file__).resolve().parent.parent / "configs" / "villagerbench"
THINK = 1.0


def test_a_wait_costs_its_seconds_and_an_action_its_think_time() -> None:
    env = make_farming(task="cake_0", agents=1, think_time=THINK)
    env.reset(0)
    env.apply("Alice", Wait(seconds=2.0))
    assert env.clock("Alice") == pytest.approx(2.0)
    r = env.apply("Alice", A.NavigateTo(x=-1, y=0, z=9))
    assert r.status and env.clock("Alice") == pytest.approx(2.0 + THINK + r.duration)


@pytest.mark.parametrize("make", [lambda: make_kitchen(task="salad", agents=1, think_time=THINK),
                                  lambda: make_minecraft("farming", task="cake_0", agents=1, think_time=THINK)])
def test_every_world_charges_a_wait_its_seconds_only(make: Any) -> None:
    env = make()  # the live world's clock needs no server: a Wait moves it on without one
    before = env.clock(env.agents[0])
    env.apply(env.agents[0], Wait(seconds=2.0))
    assert env.clock(env.agents[0]) == pytest.approx(before + 2.0)


def _lateness(events: list[dict[str, Any]], preds: dict[str, set[str]]) -> list[tuple[float, str, str]]:
    """For each decision: how long after both its subtask became ready and its agent became free it came."""
    done: dict[str, float] = {}
    free: dict[str, float] = {}
    out = []
    for e in events:
        if e["type"] == "decision":
            ready = max((done[p] for p in preds[e["subtask"]]), default=0.0)
            out.append((e["t"] - max(ready, free.get(e["agent"], 0.0)), e["agent"], e["subtask"]))
        elif e["type"] == "subtask":
            ok = e["status"] == "done"
            free[e["agent"]] = e["t"] + (0.0 if ok else FAIL_PAUSE_S)
            if ok:
                done[e["subtask"]] = e["t"]
    return out


@pytest.mark.parametrize(("suite", "task", "method"), [
    ("escape", "escape_4r_2", "causalmace"), ("farming", "rabbit_stew_63", "causalmace"),
    ("farming", "rabbit_stew_55", "causalmace-measured")])
def test_an_agent_waiting_for_a_predecessor_starts_as_soon_as_it_is_done(suite: str, task: str,
                                                                          method: str) -> None:
    cfg = load_config(CONFIGS / f"{suite}.yaml", ["llm.noise.spurious_edges=0", "llm.noise.missing_edges=0",
                                                  f"env_options.think_time={THINK}"],
                      method=method, task=task, agents=4)
    ep = run_episode(cfg)
    assert ep.result["completed"]
    preds = {s: set(ep.graph.preds(s)) for s in ep.graph.g.nodes}
    late = [x for x in _lateness(ep.trace.events, preds) if x[0] > 0.1]
    assert not late  # before: each wait for a teammate charged a decision's think time on top
