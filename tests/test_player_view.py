"""Agents and repair know what a player knows: what they see within range, what they open, what they try."""

from __future__ import annotations

from typing import Any

import pytest

from causalmace.agents.scripted import ScriptedSkillAgent
from causalmace.envs.blocks import actions as A
from causalmace.envs.blocks.judger import REACH, distance
from causalmace.envs.villagerbench.suites import make_escape, make_farming
from causalmace.graph import Subtask, TaskGraph
from causalmace.judger import Refusal, RefusalKind, cell_key, group_key
from causalmace.repair import repair
from causalmace.solvable import run_plan


def run(env: Any, agent: Any, st: Subtask, world: Any = None) -> Any:
    """Run one subtask to its end; the agent reads ``world`` (the env itself unless given)."""
    world = world if world is not None else env
    agent.start(st, world)
    while (action := agent.act(world)) is not None:
        agent.feedback(env.apply(agent.name, action))
    return agent.outcome()


# ---- escape rooms: the door, the room's steps and its controls; never the trigger's state ------------------


def test_an_observation_shows_the_room_not_the_conditions_it_waits_for() -> None:
    env = make_escape(task="escape_1r_3", agents=1)
    env.reset(0)
    seen = env.observe("Alice")
    assert "conditions_waiting" not in seen
    assert seen["rooms_solved"] == [False] and seen["rooms_progress"] == [0]
    kinds = {c["kind"] for c in seen["controls"]}
    assert kinds == {"plate", "button"} and not any(c["active"] for c in seen["controls"])


def test_a_button_pressed_too_early_names_the_idle_plate_then_works_in_order() -> None:
    """Plate first, then button (upstream's "step on the pressure plate ..., then press the button"): pressed
    first, the room shows nothing, and what the agent saw idle is the plate."""
    env = make_escape(task="escape_1r_3", agents=1)
    env.reset(0)
    graph = env.reference_plan()
    button = next(s for s in graph.g.nodes if graph.subtask(s).kind == "toggle")
    plate = next(s for s in graph.g.nodes if graph.subtask(s).kind == "stand")
    agent = ScriptedSkillAgent("Alice")
    out = run(env, agent, graph.subtask(button))
    assert not out.done
    plate_pos = tuple(graph.subtask(plate).params["pos"])
    assert [(f.kind, f.pos) for f in out.facts] == [(RefusalKind.OUT_OF_ORDER, plate_pos)]
    assert run(env, agent, graph.subtask(plate)).done
    assert env.observe("Alice")["rooms_progress"] == [1]  # the plate's step showed
    assert run(env, agent, graph.subtask(button)).done
    assert env.observe("Alice")["rooms_solved"] == [True]


def test_repair_follows_the_control_seen_idle_not_the_plans_order_numbers() -> None:
    graph = TaskGraph("t")
    for sid, cell, order in (("plate", (1, 0, 2), 7), ("lever", (0, 0, 3), 0), ("button", (-1, 1, 3), 1)):
        graph.add(Subtask(sid, "toggle", sid, sid, params={"room": 0, "order": order},
                          produces=(group_key(0), cell_key(cell))))
    fact = Refusal(RefusalKind.OUT_OF_ORDER, "the room showed nothing; the plate is idle", "plate", (1, 0, 2), "0")
    assert repair(graph, "button", [fact]) == [("plate", "button")]


def test_the_offline_plan_still_escapes_every_room() -> None:
    for task in ("escape_1r_3", "escape_2r_3", "escape_4r_3"):
        env = make_escape(task=task, agents=1)
        env.reset(0)
        _, failure = run_plan(env, ScriptedSkillAgent("Alice"))
        assert not failure and env.score().completed, (task, failure)


# ---- containers: their contents are known by opening them ------------------------------------------------


def test_a_chest_shows_what_it_holds_only_within_reach() -> None:
    env = make_farming(task="cake_0", agents=1)
    env.reset(0)
    chest = next(iter(env.state.containers))
    assert distance(env.position("Alice"), chest) > REACH
    assert env.observe("Alice")["containers"] == []
    near = (chest[0] - 1, chest[1], chest[2] - 1)
    assert env.apply("Alice", A.NavigateTo(x=near[0], y=near[1], z=near[2])).status
    (seen,) = env.observe("Alice")["containers"]
    assert tuple(seen["pos"]) == chest and seen["items"] == dict(env.state.containers[chest].items)


class Sealed:
    """The env as an agent may read it: a container's contents from afar is not one of those reads."""

    def __init__(self, env: Any) -> None:
        self._env = env

    def container(self, pos: Any) -> Any:
        raise AssertionError(f"read the contents of the container at {pos} without opening it")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._env, name)


@pytest.mark.parametrize("task", ["cake_0", "rabbit_stew_0"])
def test_the_scripted_agent_opens_the_chest_to_see_what_it_holds(task: str) -> None:
    env = make_farming(task=task, agents=1)
    env.reset(0)
    agent = ScriptedSkillAgent("Alice")
    graph = env.reference_plan()
    for sid in graph.topo_order():
        out = run(env, agent, graph.subtask(sid), Sealed(env))
        assert out.done, (sid, out.reason)
    assert env.score().completed


def test_the_planner_is_told_where_chests_stand_not_what_they_hold() -> None:
    env = make_farming(task="cake_0", agents=1)
    env.reset(0)
    text = env.world_text()
    chest = next(iter(env.state.containers))
    assert str(chest) in text and "chest" in text
    assert not any(item in text for item in env.state.containers[chest].items)  # egg, sugar, ...: opened to see
