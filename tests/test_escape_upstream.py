"""Escape runs chain rooms as VillagerBench's generator does, and score as its ``calculate_score`` does.

The expected rooms below were produced by upstream's own ``StateTree`` (env/minecraft_define.py) for the
same atoms, team size, room count and seed: (atom, lane, room-centre z, copies of each random item).
"""

import json
from importlib import resources

import pytest

from causalmace.envs.blocks import actions as A
from causalmace.envs.craftworld.rules_data import base_rules
from causalmace.envs.villagerbench import escape, scoring
from causalmace.envs.villagerbench.escape import load_escape
from causalmace.envs.villagerbench.suites import load_tasks, make_escape
from causalmace.judger import RefusalKind
from causalmace.rules import Condition, Trigger


def atoms() -> list[dict]:
    res = resources.files("causalmace.envs.villagerbench").joinpath("data", "escape_room", "escape_atom.json")
    return json.loads(res.read_text("utf-8"))


def run(agents: int, rooms: int, seed: int, pick: list[int] | None = None):
    data = atoms() if pick is None else [atoms()[i] for i in pick]
    return load_escape(data, base_rules(), "test", agents, runs=[(rooms, seed)])[0]


UPSTREAM = [  # (agents, rooms, seed, atom subset), rooms as upstream generates them, complexity
    (1, 4, 0, None, [(16, 0, -45, 1)], 0.25),
    (1, 4, 1, None, [(17, 0, -9, 1), (6, 0, -18, 1), (16, 0, -27, 1)], 1.5),
    (2, 1, 1, None, [(3, -1, -9, 1), (3, 0, -9, 1)], 4.0),
    (2, 4, 1, None, [(3, -1, -9, 1), (3, 0, -9, 1), (16, -1, -18, 1), (4, 0, -27, 2)], 5.25),
    (3, 4, 1, None, [(3, -1, -9, 1), (3, 0, -9, 1), (3, 1, -9, 1), (4, 0, -18, 3), (14, 0, -27, 3),
                     (8, 0, -36, 3)], 25.0),
    (2, 2, 0, None, [(11, 0, -9, 2), (9, 0, -18, 2)], 2.0),
    (2, 2, 0, [3, 5, 16], [(0, -1, -9, 1), (0, 0, -9, 1), (2, 0, -18, 1)], 4.25),
    (2, 3, 2, [3, 5, 16], [(0, -1, -9, 1), (0, 0, -9, 1), (1, -1, -18, 1), (1, 0, -18, 1), (1, -1, -27, 1),
                           (1, 0, -27, 1)], 8.0),
]


@pytest.mark.parametrize("agents,rooms,seed,pick,expected,complexity", UPSTREAM)
def test_rooms_and_complexity_are_upstreams(agents, rooms, seed, pick, expected, complexity) -> None:
    data = atoms() if pick is None else [atoms()[i] for i in pick]
    gen = escape.generate(data, rooms, seed, agents)
    assert [(r.atom, r.at[0], r.at[1] * 3, r.repeat) for r in gen.rooms] == expected
    assert gen.complexity == pytest.approx(complexity)
    task = run(agents, rooms, seed, pick)  # the run as loaded: the same rooms, rows closed up
    assert sorted(r.atom for r in task.goal.rooms) == sorted(a for a, *_ in expected)
    assert len({r.center for r in task.goal.rooms}) == len(expected)
    assert task.complexity == pytest.approx(complexity)
    assert task.t_max == pytest.approx(30 * complexity + 60)


@pytest.mark.parametrize("agents", [2, 3, 4])
def test_the_team_starts_together_so_the_last_room_is_never_a_split_or_a_cross(agents: int) -> None:
    tasks = load_tasks("escape", n_agents=agents)
    kinds = [r.kind for t in tasks for r in t.goal.rooms]
    assert "merge" in kinds and "split" in kinds  # rooms today's chain never made
    for t in tasks:
        last = max(r.center[2] for r in t.goal.rooms)
        assert all(r.kind not in ("split", "cross") for r in t.goal.rooms if r.center[2] == last)


def test_min_player_is_checked_after_the_pick() -> None:
    """With one agent, upstream picks two-player rooms and then drops them: escape_4r_0 keeps one room."""
    task = {t.id: t for t in load_tasks("escape", n_agents=1)}["escape_4r_0"]
    assert [r.atom for r in task.goal.rooms] == [16]
    assert task.complexity == pytest.approx(0.25)


def test_a_cross_pair_opens_each_others_way_out() -> None:
    task = run(2, 3, 2, [3, 5, 16])
    cross = [r for r in task.goal.rooms if r.kind == "cross"]
    assert len(cross) == 4
    triggers = {t.id: t for t in task.world.triggers}
    for r in cross:
        opened = {e.pos for e in triggers[r.trigger].effects if e.kind == "set_block"}
        partner = next(o for o in cross if o.center[2] == r.center[2] and o is not r)
        assert opened == set(partner.exit_cells)  # the partner's exit, not its own


def test_complexity_formulas() -> None:
    escape_room_complexity = scoring.escape_room_complexity
    assert escape_room_complexity("same_room", 1, 2, 3, 4) == pytest.approx(1.5)
    assert escape_room_complexity("split", 2, 5) == 2
    assert escape_room_complexity("merge", 1, 3) == 3  # each of the three merge rooms
    assert escape_room_complexity("cross", 1, 2) == 2


def test_start_items_are_given_as_upstreams_loader_gives_them() -> None:
    task = {t.id: t for t in load_tasks("escape", n_agents=1)}["escape_1r_6"]
    assert [r.atom for r in task.goal.rooms] == [2]  # the gold block goes in: one carried, two more given
    assert dict(task.world.setup.start_items) == {"gold_block": 3}


# ---- calculate_score --------------------------------------------------------------------------------


def test_partial_credit_counts_each_sub_event_apart_and_leaves_the_final_out() -> None:
    from causalmace.envs.craftworld.rooms import partial
    from causalmace.envs.craftworld.world import FINAL_ORDER, TriggerState

    escape_partial = scoring.escape_partial
    conds = (Condition("stone_pressure_plate", (0, 0, 0), "powered", 0),
             Condition("stone_button", (1, 0, 0), "powered", 1),
             Condition("lever", (2, 0, 0), "powered", FINAL_ORDER))
    trig = Trigger("room0", conds, ())
    ts = TriggerState({}, {}, best_by_order={0: 1, 1: 1})  # met one after the other, never together
    assert partial(trig, ts) == pytest.approx(1.0)
    assert escape_partial([(1, 1), (0, 1)]) == pytest.approx(0.5)
    assert escape_partial([]) == 0.0  # only a final sub-event: nothing to earn


def test_an_unsolved_room_scores_its_non_final_sub_events() -> None:
    """escape_1r_0 (one agent) is atom 7: plate "0", then the final plate. The first alone earns it all."""
    env = make_escape(task="escape_1r_0", agents=1)
    env.reset(0)
    trig = env.rules.triggers[0]
    assert [c.block for c in trig.conditions] == ["oak_pressure_plate"] * 2
    first = min(trig.conditions, key=lambda c: c.order).pos
    assert env.apply("Alice", A.NavigateTo(x=first[0], y=first[1], z=first[2])).status
    env.apply("Alice", A.NavigateTo(x=0, y=0, z=-3))
    score = env.score()
    assert not score.completed and score.completion == pytest.approx(1.0)


# ---- rooms in the world: walls, exits and teleports ----------------------------------------------


def test_walls_keep_a_team_in_until_its_room_opens() -> None:
    env = make_escape(task="escape_2r_0", agents=1)
    env.reset(0)
    second = env.state.rooms[1].center
    r = env.apply("Alice", A.NavigateTo(x=second[0], y=0, z=second[2] - 3))
    assert not r.status and r.refusal.kind is RefusalKind.WAY_CLOSED and r.refusal.group == "0"
    for c in env.rules.triggers[0].conditions:  # atom 16: stand on the plate
        assert env.apply("Alice", A.NavigateTo(x=c.pos[0], y=c.pos[1], z=c.pos[2])).status
    assert env.observe("Alice")["rooms_solved"][0]
    assert env.apply("Alice", A.NavigateTo(x=second[0], y=0, z=second[2] - 3)).status


def test_merge_rooms_send_each_player_to_the_room_they_share() -> None:
    env = make_escape(task="escape_1r_1", agents=2)  # two merge rooms, side by side
    env.reset(0)
    rooms = env.state.rooms
    assert [r.center[2] for r in rooms] == [0, 0] and rooms[0].center[0] != rooms[1].center[0]
    for name in env.agents:
        here = env.state.room_at(env.position(name))
        lever = env.rules.triggers[here].conditions[0].pos
        other = rooms[1 - here].center
        r = env.apply(name, A.NavigateTo(x=other[0], y=0, z=other[2] - 2))
        assert not r.status  # the lanes do not meet
        assert env.apply(name, A.NavigateTo(x=lever[0] + 1, y=0, z=lever[2])).status
        assert env.apply(name, A.ToggleAction(item_name="lever", x=lever[0], y=lever[1], z=lever[2])).status
    spots = {env.position(n) for n in env.agents}
    assert len({(p[0], p[2]) for p in spots}) <= 2 and all(p[2] > 4 for p in spots)  # past the rooms, together
    assert env.score().completed


def test_a_split_room_sends_its_players_to_different_lanes() -> None:
    env = make_escape(task="escape_4r_1", agents=2)
    env.reset(0)
    split = env.state.rooms[0]
    assert env.task.goal.rooms[0].kind == "split"
    lever = env.rules.triggers[0].conditions[0].pos
    assert env.apply("Alice", A.NavigateTo(x=lever[0] + 1, y=0, z=lever[2])).status
    assert env.apply("Alice", A.ToggleAction(item_name="lever", x=lever[0], y=lever[1], z=lever[2])).status
    lanes = {env.position(n)[0] for n in env.agents}
    assert len(lanes) == 2 and all(env.position(n)[2] > split.center[2] + 4 for n in env.agents)
