"""Production lines and the busy-rate rule that sends idle agents to work.

``production_lines`` splits the refined graph by DFS into paths that cover every subtask exactly
once: it starts at the first subtask (by id) whose predecessors are all on earlier lines and keeps
following its first successor not yet on a line.

The busy rate of a line ``l`` is::

    busy(l) = agents(l) + ALPHA * done(l) / len(l)

It rises with the agents working on the line and with how far the line is from its start. An idle
agent joins the line with the lowest busy rate that has a ready subtask (all predecessors done) and
takes that line's next ready subtask. A line whose next subtask waits for another line is blocked
and skipped, so the agent moves elsewhere. Ties go to the line listed first.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from typing import Any, Protocol

from causalmace.graph import TaskGraph

ALPHA = 0.5


def production_lines(graph: TaskGraph) -> list[list[str]]:
    order = graph.topo_order()
    placed: set[str] = set()
    lines: list[list[str]] = []
    for start in order:
        if start in placed:
            continue
        line = [start]
        placed.add(start)
        node = start
        while True:
            nxt = sorted(s for s in graph.succs(node) if s not in placed)
            if not nxt:
                break
            node = nxt[0]
            line.append(node)
            placed.add(node)
        lines.append(line)
    return lines


class Scheduler(Protocol):
    """Chooses work for idle agents. Made by a registered factory ``factory(*, graph, agents, llm)``."""

    def assign(self, agent: str, ready: Set[str]) -> str | None:
        """A subtask from ``ready`` (all predecessors settled, nobody on it) for ``agent``, or None."""
        ...

    def finished(self, agent: str, subtask: str, ok: bool, settled: bool = False) -> None:
        """``agent`` is back from ``subtask``: done if ``ok``; ``settled`` if it will never run again
        (done, or abandoned after its last attempt)."""
        ...


@dataclass
class BusyRateScheduler:
    graph: TaskGraph
    lines: list[list[str]] = field(default_factory=list)
    working: dict[str, tuple[int, str]] = field(default_factory=dict)  # agent -> (line, subtask)
    done: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if not self.lines:
            self.lines = production_lines(self.graph)

    def busy(self, k: int) -> float:
        line = self.lines[k]
        agents = sum(1 for lk, _ in self.working.values() if lk == k)
        return agents + ALPHA * sum(1 for s in line if s in self.done) / len(line)

    def assign(self, agent: str, ready: Set[str]) -> str | None:
        taken = {s for _, s in self.working.values()}
        best: tuple[float, int, str] | None = None
        for k, line in enumerate(self.lines):
            nxt = next((s for s in line if s not in self.done and s not in taken), None)
            if nxt is None or nxt not in ready:
                continue  # finished, or blocked waiting for another line
            cand = (self.busy(k), k, nxt)
            if best is None or cand < best:
                best = cand
        if best is None:
            return None
        self.working[agent] = (best[1], best[2])
        return best[2]

    def finished(self, agent: str, subtask: str, ok: bool, settled: bool = False) -> None:
        self.working.pop(agent, None)
        if ok or settled:  # an abandoned subtask must not block the rest of its line
            self.done.add(subtask)

    def add(self, subtask: str) -> None:
        """Work that joined the graph during the run (or came back to it) gets a line of its own."""
        self.done.discard(subtask)
        if not any(subtask in line for line in self.lines):
            self.lines.append([subtask])


def make_busy_rate(*, graph: TaskGraph, agents: list[str], llm: Any = None, env: Any = None) -> BusyRateScheduler:
    return BusyRateScheduler(graph)
