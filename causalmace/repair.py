"""Repair: a refusal reveals a dependency the plan missed; whoever provides what was missing goes first.

Repair reads the refusal's fact and the plan, nothing else: no hidden state of the world. Where the
fact names what the agent saw (the cell of a control still idle in a group that ignored its action),
only the subtasks that provide that cell are put first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field

from causalmace import dag
from causalmace.graph import TaskGraph
from causalmace.judger import Refusal, RefusalKind, cell_key, group_key, item_key, wanted


def provides(graph: TaskGraph, sid: str) -> tuple[str, ...]:
    st = graph.subtask(sid)
    return st.produces or (item_key(st.target),)


def sources(graph: TaskGraph, sid: str, fact: Refusal) -> list[str]:
    """The subtasks that provide what ``fact`` wants, besides ``sid``, in the plan's order.

    ``out_of_order`` with a ``pos``: the subtasks of the group that provide that cell (the agent saw it
    idle while the group ignored its action); without one, the group's other subtasks.
    """
    if fact.kind is RefusalKind.OUT_OF_ORDER and fact.pos is not None:
        keys = {cell_key(fact.pos)}
        within = group_key(fact.group) if fact.group is not None else None
    else:
        keys, within = set(wanted(fact)), None
    if not keys:
        return []
    order = {s: i for i, s in enumerate(dag.lexicographical_topological_sort(graph.g))}
    found = [o for o in graph.g.nodes if o != sid and keys & set(provides(graph, o))
             and (within is None or within in provides(graph, o))]
    return sorted(found, key=lambda o: (order.get(o, len(order)), o))


def _needed(graph: TaskGraph, sid: str, fact: Refusal) -> list[str]:
    """Which of the providers to put before ``sid``: all of them, but for a missing support, where any one
    neighbour will do, one (already a predecessor: none); never one that waits for ``sid``."""
    found = [o for o in sources(graph, sid, fact) if not dag.has_path(graph.g, sid, o)]
    if fact.kind is RefusalKind.NO_SUPPORT:
        preds = set(graph.g.predecessors(sid))
        return [] if any(o in preds for o in found) else found[:1]
    return found


def repair(graph: TaskGraph, sid: str, facts: list[Refusal]) -> list[tuple[str, str]]:
    """Add an edge into ``sid`` from the subtasks that provide what the refusals want; returns them.

    A missing support needs one neighbour, so it gets one edge, from the provider the plan runs
    earliest: an edge from every neighbour would also tie the blocks that rest on this one before it.
    """
    found: list[str] = []
    for fact in facts:
        found.extend(_needed(graph, sid, fact))
    added: list[tuple[str, str]] = []
    note = "; ".join(f.message for f in facts)
    for f in dict.fromkeys(found):
        if graph.g.has_edge(f, sid) or dag.has_path(graph.g, sid, f):
            continue
        rec = graph.add_edge(f, sid, origin="judger", note=f"found missing: {note}")
        rec.verdict = "added"
        added.append((f, sid))
    return added


WAYS = (RefusalKind.UNREACHABLE, RefusalKind.WAY_CLOSED)


@dataclass
class Ways:
    """Subtasks that some agents found no way to since a subtask was last done, and what stopped each.

    "No way there" is a fact about where an agent stands, not about the subtask: a teammate elsewhere
    may walk there at once. So the subtask goes to the others first, and is not given back to an
    agent that found no way until the world changes (a subtask is done). Only once every agent has
    found no way does repair read what stopped them (the closed areas that must open first).
    """

    blocked: dict[str, dict[str, list[Refusal]]] = field(default_factory=dict)

    @staticmethod
    def about_agent(facts: Sequence[Refusal]) -> bool:
        return any(f.kind in WAYS for f in facts)

    def facts(self, sid: str, agent: str, facts: list[Refusal], agents: Sequence[str]) -> list[Refusal]:
        """Record ``agent``'s refusals for ``sid``; the facts repair is to read now."""
        if not self.about_agent(facts):
            return facts
        seen = self.blocked.setdefault(sid, {})
        seen[agent] = list(facts)
        if set(agents) - set(seen):
            return []
        return [f for a in sorted(seen) for f in seen[a]]

    def open_to(self, agent: str, ready: Set[str]) -> set[str]:
        """The ready subtasks ``agent`` has not found closed to it."""
        return {s for s in ready if agent not in self.blocked.get(s, ())}

    def clear(self) -> None:
        self.blocked.clear()


def gained(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """What an agent holds now beyond what it held before: what it took or made for a subtask."""
    return {k: n - before.get(k, 0) for k, n in sorted(after.items()) if n > before.get(k, 0)}
