"""Repair: a refusal reveals a dependency the plan missed; whoever provides what was missing goes first."""

from __future__ import annotations

import networkx as nx

from causalmace.graph import TaskGraph
from causalmace.judger import Refusal, RefusalKind, item_key, wanted


def provides(graph: TaskGraph, sid: str) -> tuple[str, ...]:
    st = graph.subtask(sid)
    return st.produces or (item_key(st.target),)


def repair(graph: TaskGraph, sid: str, facts: list[Refusal]) -> list[tuple[str, str]]:
    """Add an edge into ``sid`` from each subtask that provides a key the refusals want; returns them.

    A refusal for doing things out of order within a group only points back to the group's
    subtasks the plan puts earlier (by their ``order`` parameter where they have one).
    """
    own = graph.subtask(sid)
    found: list[str] = []
    for fact in facts:
        keys = set(wanted(fact))
        for other in graph.g.nodes:
            if other == sid or not keys & set(provides(graph, other)):
                continue
            if fact.kind is RefusalKind.OUT_OF_ORDER and not (
                    graph.subtask(other).params.get("order", 0) < own.params.get("order", 0)):
                continue
            found.append(other)
    added: list[tuple[str, str]] = []
    note = "; ".join(f.message for f in facts)
    for f in dict.fromkeys(found):
        if graph.g.has_edge(f, sid) or nx.has_path(graph.g, sid, f):
            continue
        rec = graph.add_edge(f, sid, origin="judger", note=f"found missing: {note}")
        rec.verdict = "added"
        added.append((f, sid))
    return added
