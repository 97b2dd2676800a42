"""Run subtasks one after another in a world, with the team's players where they are needed.

Used on forks of the world: by the env estimator to try "B without A", and to measure each
subtask's work for the makespan lower bound. A player sent to stand on a pressure plate stays there
until its room opens, and the next subtask goes to another player.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from causalmace.actions import Wait
from causalmace.graph import Subtask, TaskGraph

MAX_ACTIONS = 5000


def run_one(world: Any, agent: Any, st: Subtask, last: dict[str, float] | None = None) -> tuple[bool, float]:
    """Whether the subtask succeeded, and its work: the seconds of every action but walking and waiting.

    Walking depends on where a player happens to stand, so leaving it out keeps the work a lower
    bound on what any player needs for the subtask. ``last`` gets the work of its final such action
    (the one that leaves its output), which no schedule can start before the inputs exist.
    """
    agent.start(st, world)
    n = 0
    work = final = 0.0
    think = float(getattr(world, "think_time", 0.0))
    while (action := agent.act(world)) is not None and n < MAX_ACTIONS:
        r = world.apply(agent.name, action)
        agent.feedback(r)
        if r.status and not isinstance(action, Wait) and not getattr(action, "travel", False):
            work += think + r.duration
            final = think + r.duration
        n += 1
    if last is not None:
        last[st.id] = final
    return agent.outcome().done and n < MAX_ACTIONS, work


@dataclass
class Turns:
    """A world and where the team's players are: what running subtasks in turn goes on from."""

    world: Any
    graph: TaskGraph
    make_agent: Callable[[str], Any]
    pool: list[str] = field(default_factory=list)
    standing: dict[str, int] = field(default_factory=dict)  # player on a plate -> its room
    last: dict[str, float] = field(default_factory=dict)  # subtask -> the work of its final action

    @classmethod
    def start(cls, world: Any, graph: TaskGraph, make_agent: Callable[[str], Any]) -> Turns:
        return cls(world, graph, make_agent, list(world.agents))

    def copy(self) -> Turns:
        return Turns(self.world.fork(), self.graph, self.make_agent, list(self.pool), dict(self.standing))

    def step(self, sid: str) -> tuple[bool, float]:
        solved = (self.world.observe(self.world.agents[0]).get("rooms_solved") or []) if self.standing else []
        for name, room in list(self.standing.items()):
            if room < len(solved) and solved[room]:
                del self.standing[name]
                self.pool.append(name)
        st = self.graph.subtask(sid)
        if not self.pool:
            return False, 0.0
        if st.kind == "stand":
            st = Subtask(st.id, st.kind, st.description, st.target, st.count, st.est_duration,
                         {**st.params, "hold": False, "together": st.params.get("hold", True)}, st.check)
            name = self.pool.pop()
            self.standing[name] = st.params.get("room", 0)
        else:
            name = self.pool[0]
        return run_one(self.world, self.make_agent(name), st, self.last)


def run_in_turn(world: Any, graph: TaskGraph, ids: Iterable[str], make_agent: Callable[[str], Any],
                stop_at: str | None = None, last: dict[str, float] | None = None) -> dict[str, tuple[bool, float]]:
    """(succeeded, seconds of work) for each subtask run; stops after ``stop_at``. ``last`` gets each
    subtask's final action's work."""
    turns = Turns.start(world, graph, make_agent)
    out: dict[str, tuple[bool, float]] = {}
    for sid in ids:
        out[sid] = turns.step(sid)
        if sid == stop_at:
            break
    if last is not None:
        last.update(turns.last)
    return out
