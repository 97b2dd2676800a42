"""The small directed graph: its orders are part of what a plan and a trace look like."""

from __future__ import annotations

import copy
import pickle

import pytest

from causalmace import dag


def diamond() -> dag.DiGraph:
    g = dag.DiGraph()
    for n in ("d", "b", "c", "a"):
        g.add_node(n, label=n.upper())
    g.add_edge("a", "c")
    g.add_edge("a", "b")
    g.add_edge("c", "d")
    g.add_edge("b", "d")
    return g


def test_insertion_orders() -> None:
    g = diamond()
    assert list(g.nodes) == list(g) == ["d", "b", "c", "a"]
    assert list(g.edges) == [("b", "d"), ("c", "d"), ("a", "c"), ("a", "b")]
    assert list(g.successors("a")) == ["c", "b"] and list(g.predecessors("d")) == ["c", "b"]
    assert g.in_degree("d") == 2 and g.out_degree("a") == 2 and g.in_degree("a") == 0
    assert len(g) == g.number_of_nodes() == 4 and g.number_of_edges() == len(g.edges) == 4
    assert "a" in g and "z" not in g and [] not in g and g.has_node("b")
    assert g.has_edge("a", "b") and not g.has_edge("b", "a") and not g.has_edge("z", "a")
    assert ("a", "b") in g.edges and ("b", "a") not in g.edges
    assert g.nodes["a"] == {"label": "A"} and list(g["a"]) == ["c", "b"]


def test_attributes_update_in_place() -> None:
    g = dag.DiGraph()
    g.add_edge("a", "b", record=1)
    data = g.edges["a", "b"]
    g.add_edge("a", "b", note="x")  # an existing edge keeps its place and its data dict
    assert data == {"record": 1, "note": "x"} and g.edges[("a", "b")] is data
    g.add_node("a", subtask=2)
    g.nodes["a"]["subtask"] = 3
    assert g.nodes["a"] == {"subtask": 3} and list(g.nodes) == ["a", "b"]


def test_copy_lists_predecessors_in_node_order() -> None:
    g = dag.DiGraph()
    for n in ("x", "y", "z"):
        g.add_node(n)
    g.add_edge("y", "z", w=[1])
    g.add_edge("x", "z")
    assert list(g.predecessors("z")) == ["y", "x"]
    c = g.copy()
    assert list(c.predecessors("z")) == ["x", "y"] and list(c.edges) == [("x", "z"), ("y", "z")]
    assert c.edges["y", "z"] == {"w": [1]} and c.edges["y", "z"] is not g.edges["y", "z"]
    assert c.edges["y", "z"]["w"] is g.edges["y", "z"]["w"]  # attribute values are shared, as in a shallow copy
    c.add_edge("z", "x")
    assert not g.has_edge("z", "x")


def test_remove() -> None:
    g = diamond()
    g.remove_edge("a", "b")
    assert list(g.successors("a")) == ["c"] and list(g.predecessors("b")) == []
    with pytest.raises(dag.GraphError):
        g.remove_edge("a", "b")
    g.remove_node("c")
    assert list(g.nodes) == ["d", "b", "a"] and list(g.edges) == [("b", "d")]
    with pytest.raises(dag.GraphError):
        g.remove_node("c")
    with pytest.raises(dag.GraphError):
        g.successors("c")


def test_pickles_and_deep_copies() -> None:
    g = diamond()
    for other in (pickle.loads(pickle.dumps(g)), copy.deepcopy(g)):
        assert list(other.edges) == list(g.edges) and other.nodes["a"] == {"label": "A"}
        assert other.edges["a", "c"] is other._pred["c"]["a"]  # one data dict per edge, still


def test_topological_orders() -> None:
    g = dag.DiGraph()
    for n in ("e", "c", "a", "d", "b"):
        g.add_node(n)
    for u, v in [("c", "b"), ("a", "b"), ("e", "d"), ("b", "d"), ("a", "d")]:
        g.add_edge(u, v)
    # generations: sources in node order (e, c, a), then each node once its last parent is reached
    assert list(dag.topological_sort(g)) == ["e", "c", "a", "b", "d"]
    assert list(dag.lexicographical_topological_sort(g)) == ["a", "c", "b", "e", "d"]
    g.add_edge("d", "c")
    with pytest.raises(dag.Unfeasible):
        list(dag.topological_sort(g))
    with pytest.raises(dag.Unfeasible):
        list(dag.lexicographical_topological_sort(g))


def test_reach() -> None:
    g = diamond()
    g.add_edge("e", "f")
    assert dag.descendants(g, "a") == {"b", "c", "d"} and dag.ancestors(g, "d") == {"a", "b", "c"}
    assert dag.descendants(g, "d") == set() and dag.ancestors(g, "f") == {"e"}
    assert dag.has_path(g, "a", "d") and dag.has_path(g, "d", "d") and not dag.has_path(g, "d", "a")
    assert not dag.has_path(g, "a", "f")
    with pytest.raises(dag.NodeNotFound):
        dag.has_path(g, "a", "zz")
    with pytest.raises(dag.GraphError):
        dag.ancestors(g, "zz")
    closure = dag.transitive_closure_dag(g)
    assert sorted(closure.edges) == [("a", "b"), ("a", "c"), ("a", "d"), ("b", "d"), ("c", "d"), ("e", "f")]
    assert not g.has_edge("a", "d")


def test_find_cycle_follows_the_depth_first_edge_search() -> None:
    assert dag.find_cycle(diamond()) is None
    g = dag.DiGraph()
    for u, v in [("a", "b"), ("b", "c"), ("c", "d"), ("b", "e"), ("e", "b"), ("d", "b")]:
        g.add_edge(u, v)
    # from a: a->b, b->c, c->d, d->b closes at b; the cycle starts at that node
    assert dag.find_cycle(g) == [("b", "c"), ("c", "d"), ("d", "b")]
    h = dag.DiGraph([("x", "y"), ("y", "z"), ("p", "q"), ("q", "p")])
    assert dag.find_cycle(h) == [("p", "q"), ("q", "p")]  # x's search finds none; p's does
    loop = dag.DiGraph([("s", "s")])
    assert dag.find_cycle(loop) == [("s", "s")]
    # after backtracking the path is cut back to the branching node before going on
    k = dag.DiGraph([("a", "b"), ("b", "c"), ("a", "d"), ("d", "a")])
    assert dag.find_cycle(k) == [("a", "d"), ("d", "a")]


def test_first_cycle_and_components() -> None:
    assert dag.first_cycle(diamond()) is None
    g = dag.DiGraph([("a", "b"), ("b", "a"), ("c", "d"), ("d", "e"), ("e", "c"), ("e", "e")])
    assert dag.first_cycle(g) == ["e"]  # a self-loop first
    g.remove_edge("e", "e")
    comps = [sorted(c) for c in dag.strongly_connected_components(g)]
    assert comps == [["a", "b"], ["c", "d", "e"]]
    assert dag.first_cycle(g) == ["c", "d", "e"]  # the last component found, from its first node
    h = dag.DiGraph([("r", "s"), ("s", "t"), ("t", "s"), ("s", "r")])
    assert dag.first_cycle(h) == ["r", "s"]  # depth first: s's first successor closes nothing, r does
