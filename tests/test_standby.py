"""An agent with nothing to do walks toward the work about to be ready, where the scheduler and the env say how.

Only the measured-rank scheduler names such work (the paper's busy-rate rule leaves idle agents where they
are); CraftWorld says how to get nearer: within reach of where the subtask starts, by the time the
scheduler gives, never onto a plate nor into cells work still to do builds in, never off a plate a shut
room still needs, never toward a room of another lane.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from causalmace.config import load_config
from causalmace.envs.blocks import actions as A
from causalmace.envs.blocks.judger import REACH
from causalmace.envs.craftworld.standby import holding, kept_clear, plates, toward
from causalmace.envs.villagerbench.suites import make_construction, make_escape, make_farming
from causalmace.runner import run_episode

CONFIGS = Path(__file__).resolve().parent.parent / "configs" / "villagerbench"


def _episode(suite: str, task: str, agents: int, method: str, *sets: str) -> Any:
    cfg = load_config(CONFIGS / f"{suite}.yaml", ["llm.noise.spurious_edges=0", "llm.noise.missing_edges=0", *sets],
                      method=method, task=task, agents=agents)
    return run_episode(cfg)


def _escape() -> Any:
    env = make_escape(task="escape_4r_1", agents=3)
    env.reset(0)
    return env, env.reference_plan()


def test_an_idle_agent_walks_toward_a_room_not_yet_open_but_never_onto_a_plate() -> None:
    env, plan = _escape()
    later = plan.subtask("r2_toggle_0")  # room 2's lever, behind rooms 0 and 1
    here = env.state.agents["Alice"].pos
    walk = toward(env, "Alice", later)
    assert walk is not None
    to = (walk.x, walk.y, walk.z)
    site = tuple(later.params["pos"])
    assert math.dist(to, site) < math.dist(here, site) - 2
    assert to not in plates(env)
    assert env.apply("Alice", walk).status  # the Judger lets it through: a walk the agent can make


def test_the_walk_ends_by_the_time_given_or_is_not_made() -> None:
    env, plan = _escape()
    later = plan.subtask("r2_toggle_0")
    far = toward(env, "Alice", later)
    by = env.clock("Alice") + env.think_time + 1.0  # one second of walking
    near = toward(env, "Alice", later, by=by)
    assert far is not None and near is not None and (near.x, near.y, near.z) != (far.x, far.y, far.z)
    env.apply("Alice", near)
    assert env.clock("Alice") <= by + 1e-6
    assert toward(env, "Alice", later, by=env.clock("Alice") + env.think_time) is None  # no time left to walk


def test_a_reachable_place_is_approached_to_within_reach() -> None:
    env = make_farming(task="cake_0", agents=2)
    env.reset(0)
    craft = env.reference_plan().subtask("craft_cake_1")
    walk = toward(env, "Alice", craft)
    assert walk is not None
    # a craft takes its inputs from the depot first: that is where it starts
    assert math.dist((walk.x, walk.y, walk.z), craft.params["depot"]) <= REACH
    assert env.apply("Alice", walk).status
    assert toward(env, "Alice", craft) is None  # there already: nothing to gain


def test_an_agent_on_a_plate_of_a_shut_room_stays() -> None:
    env, plan = _escape()
    plate = plan.subtask("r0_stand_0").params["pos"]
    env.state.agents["Alice"].pos = tuple(float(x) for x in plate)
    assert holding(env, "Alice")
    assert toward(env, "Alice", plan.subtask("r2_toggle_0")) is None


def test_a_plate_counted_in_an_earlier_sub_event_may_be_left() -> None:
    """escape_4r_2's room 0 counts its plate once stood on (its lever, the last sub-event, opens it) and
    teleports whoever still stands there onto a ledge when it opens; room 1 opens only while all four of
    its plates are held at once."""
    env = make_escape(task="escape_4r_2", agents=4)
    env.reset(0)
    plan = env.reference_plan()
    x, y, z = plan.subtask("r0_stand_0").params["pos"]
    assert env.apply("Bob", A.NavigateTo(x=x, y=y, z=z)).status
    assert not holding(env, "Bob")
    assert toward(env, "Bob", plan.subtask("r1_stand_0")) is not None
    env.state.agents["Alice"].pos = tuple(float(v) for v in plan.subtask("r1_stand_0").params["pos"])
    assert holding(env, "Alice")


def test_no_walk_toward_a_room_of_another_lane() -> None:
    env, plan = _escape()
    lane3 = env.state.rooms[3].center
    env.state.agents["Bob"].pos = tuple(float(x) for x in env.state.rooms[4].center)
    assert env.state.room_at(lane3) == 3
    assert toward(env, "Bob", plan.subtask("r3_toggle_0")) is None  # room 3 lies beside room 4, not ahead


def test_an_agent_never_waits_where_work_still_to_do_builds() -> None:
    env = make_construction(task="task_66", agents=4)
    env.reset(0)
    plan = env.reference_plan()
    pending = list(plan.subtasks())
    clear = kept_clear(pending)
    assert clear
    for st in pending:
        walk = toward(env, "Alice", st, pending=pending)
        if walk is not None:
            assert (walk.x, walk.y, walk.z) not in clear


def test_standing_by_shortens_the_run_it_was_made_for() -> None:
    """escape_4r_1, 3 agents: the agent left on room 0's plate used to walk from there to room 2 once it
    opened (17.1 s against 15.4 s for busy-rate); standing by, it follows the team."""
    ep = _episode("escape", "escape_4r_1", 3, "causalmace-measured")
    walks = [e for e in ep.trace.events if e["type"] == "standby"]
    assert walks and all(e["ok"] and e["until"] > e["t"] for e in walks)
    without = _episode("escape", "escape_4r_1", 3, "causalmace-measured", "scheduler.options.standby=false")
    assert not [e for e in without.trace.events if e["type"] == "standby"]
    assert ep.result["completed"] and without.result["completed"]
    assert ep.result["makespan_s"] < without.result["makespan_s"] - 1.0


def test_when_the_next_room_needs_the_whole_team_the_ones_behind_catch_up() -> None:
    """escape_4r_2, 4 agents: room 1 has four plates, so everyone is needed there, not only the one farthest
    away; the player left on room 0's plate used to be carried onto a ledge when the room opened."""
    ep = _episode("escape", "escape_4r_2", 4, "causalmace-measured")
    before = _episode("escape", "escape_4r_2", 4, "causalmace-measured", "scheduler.options.wave=false")
    assert ep.result["completed"] and before.result["completed"]
    assert ep.result["makespan_s"] < before.result["makespan_s"] - 1.0


def test_the_busy_rate_rule_leaves_idle_agents_where_they_are() -> None:
    ep = _episode("escape", "escape_4r_1", 3, "causalmace")
    assert not [e for e in ep.trace.events if e["type"] == "standby"]
