from causalmace.graph import Subtask, TaskGraph
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
