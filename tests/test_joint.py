"""A plate held while a teammate presses the button: a made-up edge between the two must not stall.

Neither subtask succeeds alone, so the refiner keeps the edge for safety; the agent on the plate then
waits for the room to open while the button waits for it. A teammate seeing it wait takes the next
subtask instead of idling.
"""

from __future__ import annotations

from causalmace.cli import resolve_config
from causalmace.config import load_config
from causalmace.runner import run_episode


def test_a_waiting_holder_releases_the_subtask_it_waits_for() -> None:
    cfg = load_config(resolve_config("villagerbench/escape"), [], task="escape_2r_3", agents=3)
    ep = run_episode(cfg)
    planned = next(e for e in ep.trace.events if e["type"] == "plan")
    assert ["r0_stand_0", "r0_toggle_1"] in planned["edges"]  # the made-up edge this seed draws
    joint = [e for e in ep.trace.events if e["type"] == "graph" and e.get("change") == "joint"]
    assert [e["edge"] for e in joint] == [["r0_stand_0", "r0_toggle_1"]]
    r = ep.result
    assert r["completed"] and r["graph"]["subtasks_abandoned"] == 0
    assert r["makespan_s"] < 5 * r["lower_bound_s"]  # was 736.8 s against a 5.7 s bound: six 2-minute waits


def test_nobody_is_released_early_when_work_is_ready() -> None:
    cfg = load_config(resolve_config("villagerbench/farming"), [], task="rabbit_stew_63", agents=3)
    ep = run_episode(cfg)
    assert not [e for e in ep.trace.events if e["type"] == "graph" and e.get("change") == "joint"]
    assert ep.result["completed"]


def test_one_agent_that_finds_no_way_is_charged_instead_of_deadlocking() -> None:
    """With the ``single`` method nobody else takes a subtask the lone worker found no way to, so the
    loop charges the try, lets repair read what stopped it, and offers the subtask again."""
    cfg = load_config(resolve_config("villagerbench/escape"), [], task="escape_2r_1", agents=3, method="single")
    r = run_episode(cfg).result
    assert r["stopped"] == "finished", r["stopped"]
    assert r["graph"]["subtasks_abandoned"] >= 1
