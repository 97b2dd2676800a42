import copy
import math
from typing import Any

from causalmace.graph import Subtask, TaskGraph
from causalmace.measured_rank import MeasuredRankOptions, MeasuredRankScheduler, trial_durations
from causalmace.scheduler import BusyRateScheduler, production_lines


def graph(edges: list[tuple[str, str]], nodes: list[str]) -> TaskGraph:
    g = TaskGraph("t")
    for n in nodes:
        g.add(Subtask(n, "craft", n, n))
    for a, b in edges:
        g.add_edge(a, b)
    return g


def test_dfs_lines_cover_every_node_exactly_once() -> None:
    # a -> b -> d, a -> c -> d, e alone
    g = graph([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")], ["a", "b", "c", "d", "e"])
    lines = production_lines(g)
    assert lines == [["a", "b", "d"], ["c"], ["e"]]
    flat = [n for line in lines for n in line]
    assert sorted(flat) == sorted(set(flat)) == ["a", "b", "c", "d", "e"]


def test_new_agent_goes_to_the_emptiest_line() -> None:
    g = graph([("a1", "a2"), ("b1", "b2")], ["a1", "a2", "b1", "b2"])
    s = BusyRateScheduler(g)
    assert s.lines == [["a1", "a2"], ["b1", "b2"]]
    assert s.assign("Alice", {"a1", "b1"}) == "a1"
    assert s.assign("Bob", {"a1", "b1"}) == "b1"  # line a has an agent: busy 1 > 0
    s.finished("Alice", "a1", True)
    s.finished("Bob", "b1", False)  # failed: b1 goes back to its line
    # line a: 0 agents, half done -> 0.25; line b: 0 agents, nothing done -> 0.0
    assert s.assign("Cindy", {"a2", "b1"}) == "b1"


def test_blocked_line_is_skipped() -> None:
    g = graph([("a", "b")], ["a", "b"])
    s = BusyRateScheduler(g, lines=[["b"], ["a"]])
    assert s.assign("Alice", {"a"}) == "a"  # line 0 waits for line 1
    assert s.assign("Bob", {"a"}) is None


class Stand:
    """Where each agent stands and its clock: all a scheduler asks of a world."""

    def __init__(self, where: dict[str, tuple[float, float, float]]) -> None:
        self.agents = list(where)
        self.where = where
        self.t = dict.fromkeys(where, 0.0)
        self.capabilities = frozenset()

    def observe(self, agent: str) -> dict[str, object]:
        return {"position": self.where[agent], "time": self.t[agent]}

    def clock(self, agent: str) -> float:
        return self.t[agent]


def placed(nodes: dict[str, tuple[float, float]], edges: list[tuple[str, str]] = ()) -> TaskGraph:
    g = TaskGraph("t")
    for n, (x, est) in nodes.items():
        g.add(Subtask(n, "craft", n, n, est_duration=est, params={"pos": [x, 0, 0]}))
    for a, b in edges:
        g.add_edge(a, b)
    return g


def test_measured_rank_takes_the_longest_remaining_path_first() -> None:
    g = placed({"a": (0, 1.0), "b": (0, 1.0), "c": (0, 5.0)}, [("a", "b")])
    s = MeasuredRankScheduler(g, Stand({"Alice": (0, 0, 0)}))
    assert s.assign("Alice", {"a", "c"}) == "c"  # rank c = 5 > rank a = 2


def test_measured_rank_learns_durations_from_the_episode() -> None:
    # estimates leave walking and thinking out: once one craft has taken four times its estimate,
    # every craft is expected to
    g = TaskGraph("t")
    for n, kind, est in (("c1", "craft", 1.0), ("c2", "craft", 1.0), ("c3", "craft", 1.0), ("s", "smelt", 4.0)):
        g.add(Subtask(n, kind, n, n, est_duration=est))
    g.add_edge("c2", "c3")
    world = Stand({"Alice": (0, 0, 0)})
    s = MeasuredRankScheduler(g, world)
    assert s.assign("Alice", {"c1", "c2", "s"}) == "s"
    world.t["Alice"] = 4.0
    s.finished("Alice", "s", True)
    assert s.assign("Alice", {"c1", "c2"}) == "c2"
    world.t["Alice"] = 8.0
    s.finished("Alice", "c2", True)
    assert s._durations()["c1"] == 4.0 and s._durations()["c3"] == 4.0


def test_urgent_work_goes_to_the_free_agent_standing_nearest() -> None:
    g = placed({"near_bob": (10, 5.0), "near_alice": (0, 1.0)})
    world = Stand({"Alice": (0, 0, 0), "Bob": (10, 0, 0)})
    s = MeasuredRankScheduler(g, world)
    # near_bob is the most urgent but Bob, free as soon, stands next to it: Alice takes the other one
    assert s.assign("Alice", {"near_bob", "near_alice"}) == "near_alice"
    assert s.assign("Bob", {"near_bob"}) == "near_bob"


def test_an_agent_waits_for_a_nearer_teammate_only_while_someone_works() -> None:
    g = placed({"x": (10, 1.0), "y": (20, 1.0)})
    world = Stand({"Alice": (0, 0, 0), "Bob": (10, 0, 0), "Cindy": (30, 0, 0)})
    s = MeasuredRankScheduler(g, world)
    assert s.assign("Alice", {"x"}) == "x"  # nobody works: Alice goes, so the team never stands still
    s = MeasuredRankScheduler(g, world)
    world.t["Cindy"] = 0.1
    assert s.assign("Cindy", {"y"}) == "y"
    assert s.assign("Alice", {"x"}) is None  # Bob, free as soon, stands nearer; Cindy works
    assert s.assign("Bob", {"x"}) == "x"


def test_trial_durations_come_from_a_copy_of_the_world() -> None:
    from causalmace.envs.villagerbench.suites import make_farming

    env = make_farming(task="cake_0", agents=2, think_time=1.0)
    env.reset(0)
    plan = env.reference_plan()
    before = {a: env.clock(a) for a in env.agents}
    took = trial_durations(env, plan)
    assert set(took) == set(plan.g.nodes)  # every subtask of the reference plan runs in the copy
    assert all(took[n] > plan.subtask(n).est_duration for n in took)  # walking and thinking included
    assert {a: env.clock(a) for a in env.agents} == before  # the world itself is untouched
    assert trial_durations(Stand({"Alice": (0, 0, 0)}), plan) == {}  # no copy, no trial


def test_measured_rank_gives_added_work_back() -> None:
    g = placed({"a": (0, 1.0)})
    s = MeasuredRankScheduler(g, Stand({"Alice": (0, 0, 0)}))
    assert s.assign("Alice", {"a"}) == "a"
    s.finished("Alice", "a", False, settled=True)
    assert "a" in s.done
    s.add("a")
    assert "a" not in s.done and s.assign("Alice", {"a"}) == "a"


def test_equally_urgent_work_is_paired_so_the_last_to_arrive_walks_least() -> None:
    # two plates that must both be held: greedy nearest-first would send Alice to p1 (1 away) and
    # Bob to p2 (9 away); the pairing that makes the last arrival earliest is Alice p2, Bob p1
    g = placed({"p1": (1, 1.0), "p2": (-3, 1.0)})
    world = Stand({"Alice": (0, 0, 0), "Bob": (6, 0, 0)})
    s = MeasuredRankScheduler(g, world)
    assert s.assign("Alice", {"p1", "p2"}) == "p2"
    assert s.assign("Bob", {"p1"}) == "p1"


def test_who_is_better_placed_is_tried_in_a_copy_of_the_world() -> None:
    from causalmace.envs.villagerbench.suites import make_farming

    env = make_farming(task="cake_0", agents=2, think_time=1.0)
    env.reset(0)
    plan = env.reference_plan()
    first = plan.topo_order()[0]
    s = MeasuredRankScheduler(plan, env)
    before = copy.deepcopy((env.state.agents, env.state.blocks, env.state.containers))
    took = s._cost("Alice", first)
    assert 0 < took < math.inf and took >= plan.subtask(first).est_duration
    assert (env.state.agents, env.state.blocks, env.state.containers) == before  # tried in a copy
    straight = MeasuredRankScheduler(plan, env, MeasuredRankOptions(try_pairs=False))
    assert straight._cost("Alice", first) == s._distance("Alice", first)


def test_an_agent_stays_free_for_urgent_work_no_teammate_could_take() -> None:
    """Coal feeds two smelts; Bob digs it, Cindy is busy until long after: Alice, free now, keeps herself
    for the second smelt rather than start mushrooms that would still be under way when the coal is in."""
    g = placed({"coal": (0, 5.0), "smelt1": (0, 20.0), "smelt2": (0, 20.0), "bowl": (0, 12.0), "mush": (0, 8.0)},
               [("coal", "smelt1"), ("coal", "smelt2")])
    world = Stand({"Alice": (0, 0, 0), "Bob": (0, 0, 0), "Cindy": (0, 0, 0)})
    s = MeasuredRankScheduler(g, world)
    assert s.assign("Bob", {"coal", "bowl", "mush"}) == "coal"  # rank 25
    assert s.assign("Cindy", {"bowl", "mush"}) == "bowl"
    world.t["Alice"] = 3.0
    assert s.assign("Alice", {"mush"}) is None  # mushrooms would end at 11; the smelts are due at 5
    world.t["Alice"] = 5.0
    s.finished("Bob", "coal", True)
    world.t["Bob"] = 5.0
    assert s.assign("Alice", {"smelt1", "smelt2", "mush"}) in {"smelt1", "smelt2"}


def test_an_agent_starts_what_it_can_when_teammates_will_be_free_in_time() -> None:
    g = placed({"coal": (0, 5.0), "smelt1": (0, 20.0), "smelt2": (0, 20.0), "mush": (0, 8.0)},
               [("coal", "smelt1"), ("coal", "smelt2")])
    world = Stand({"Alice": (0, 0, 0), "Bob": (0, 0, 0), "Cindy": (0, 0, 0)})
    s = MeasuredRankScheduler(g, world)
    assert s.assign("Bob", {"coal", "mush"}) == "coal"
    assert s.assign("Alice", {"mush"}) == "mush"  # Cindy, idle, will take the second smelt


def test_an_agent_does_not_wait_when_what_it_leaves_would_become_the_longest_path() -> None:
    """Two agents: the bowl also feeds the stew; left until both smelts are done, it would hold the stew
    back longer than the second smelt starting a little late does."""
    g = placed({"coal": (0, 5.0), "smelt1": (0, 20.0), "smelt2": (0, 20.0), "bowl": (0, 13.0), "stew": (0, 13.0)},
               [("coal", "smelt1"), ("coal", "smelt2"), ("smelt1", "stew"), ("smelt2", "stew"), ("bowl", "stew")])
    world = Stand({"Alice": (0, 0, 0), "Bob": (0, 0, 0)})
    s = MeasuredRankScheduler(g, world)
    assert s.assign("Bob", {"coal", "bowl"}) == "coal"  # rank 38 against 26
    world.t["Alice"] = 3.0
    assert s.assign("Alice", {"bowl"}) == "bowl"


def test_work_every_free_agent_would_be_refused_at_once_is_not_tried() -> None:
    """escape_4r_1, 2 agents: the refiner pruned the edge into room 2's lever, so it counts as ready at the
    start; both players used to try it, be refused (room 0 is shut) and lose a second each."""
    from pathlib import Path

    from causalmace.config import load_config
    from causalmace.runner import run_episode

    def cfg(*sets: str) -> Any:
        return load_config(Path(__file__).resolve().parent.parent / "configs" / "villagerbench" / "escape.yaml",
                           ["llm.noise.spurious_edges=0", "llm.noise.missing_edges=0", *sets],
                           method="causalmace-measured", task="escape_4r_1", agents=2)

    def refused_at_start(ep: Any) -> list[str]:
        return [e["subtask"] for e in ep.trace.events if e["type"] == "subtask" and e["status"] == "failed"
                and e["t"] == 0.0]

    ep = run_episode(cfg())
    before = run_episode(cfg("scheduler.options.skip_failing=false"))
    assert refused_at_start(before) and not refused_at_start(ep)
    assert ep.result["completed"] and ep.result["makespan_s"] < before.result["makespan_s"] - 1.0


def test_with_lines_an_agent_keeps_to_its_production_line_among_equally_urgent_work() -> None:
    """a1 -> a2 and b alone: after a1, a2 and b are equally urgent; b is nearer, a2 is on a1's DFS line."""
    g = placed({"a1": (0, 1.0), "a2": (5, 1.0), "b": (1, 1.0)}, [("a1", "a2")])
    for opts, second in ((MeasuredRankOptions(), "b"), (MeasuredRankOptions(lines=True), "a2")):
        s = MeasuredRankScheduler(g, Stand({"Alice": (0, 0, 0)}), opts)
        assert s.assign("Alice", {"a1", "b"}) == "a1"
        s.finished("Alice", "a1", True)
        assert s.assign("Alice", {"a2", "b"}) == second
