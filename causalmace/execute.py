"""Run subtasks one after another in a world, with the team's players where they are needed.

Used on forks of the world: by the env estimator to try "B without A", and to measure each
subtask's work for the makespan lower bound. A player sent to stand on a pressure plate stays there
until its room opens, and the next subtask goes to another player.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from causalmace.actions import NavigateTo, Wait
from causalmace.graph import Subtask, TaskGraph

MAX_ACTIONS = 5000


def run_one(world: Any, agent: Any, st: Subtask) -> tuple[bool, float]:
    """Whether the subtask succeeded, and its work: the seconds of every action but walking and waiting.

    Walking depends on where a player happens to stand, so leaving it out keeps the work a lower
    bound on what any player needs for the subtask.
    """
    agent.start(st, world)
    n = 0
    work = 0.0
    think = float(getattr(world, "think_time", 0.0))
    while (action := agent.act(world)) is not None and n < MAX_ACTIONS:
        r = world.apply(agent.name, action)
        agent.feedback(r.status, r.message)
        if r.status and not isinstance(action, NavigateTo | Wait):
            work += think + r.duration
        n += 1
    return agent.outcome().done and n < MAX_ACTIONS, work


def run_in_turn(world: Any, graph: TaskGraph, ids: Iterable[str], make_agent: Callable[[str], Any],
                stop_at: str | None = None) -> dict[str, tuple[bool, float]]:
    """(succeeded, seconds of work) for each subtask run; stops after ``stop_at``."""
    pool = list(world.agents)
    standing: dict[str, int] = {}
    out: dict[str, tuple[bool, float]] = {}
    for sid in ids:
        solved = world.observe(world.agents[0]).get("rooms_solved") or []
        for name, room in list(standing.items()):
            if room < len(solved) and solved[room]:
                del standing[name]
                pool.append(name)
        st = graph.subtask(sid)
        if not pool:
            out[sid] = (False, 0.0)
        else:
            if st.kind == "stand":
                st = Subtask(st.id, st.kind, st.description, st.target, st.count, st.est_duration,
                             {**st.params, "hold": False}, st.check)
                name = pool.pop()
                standing[name] = st.params.get("room", 0)
            else:
                name = pool[0]
            out[sid] = run_one(world, make_agent(name), st)
        if sid == stop_at:
            break
    return out
