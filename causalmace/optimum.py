"""The proven optimum of a run's own schedule, with CP-SAT where it is installed (the ``optimal`` extra).

A run's trace gives each subtask's measured duration: from the decision that started its successful
attempt to its end, walking and thinking included. On the run's final graph with those durations and
the team size, P|prec|Cmax (each agent does one subtask at a time, a subtask starts after its
predecessors end) has an optimum OPT: the shortest makespan any assignment of the same subtasks to the
same team could have had. Durations depend on where the agent came from, and one dependence is large
and certain: an agent's first subtask is measured from where it started (often next to the depot, so
without the walk back there every later one makes). Left free, the solver may give two such first
durations to one agent, which no team can do (eight builds on four agents: OPT 36.6 s where pairing
any first build with a later one cannot beat 38.2 s). So by default the work begun at time 0 stays at
time 0, one subtask per agent, as in the run. The run's own schedule satisfies that, so
makespan / OPT >= 1 still, and how far above 1 it is says what the scheduler lost. Durations are
rounded down to hundredths of a second, so OPT is never overstated.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

SCALE = 100  # CP-SAT works in integers: hundredths of a second
BENCH_LIMIT_S = 1.0  # the solver's time per run when a study asks for the ratio


@dataclass(frozen=True)
class Bound:
    opt: float  # the best makespan found (the optimum when proven)
    lower: float  # the solver's lower bound on it
    proven: bool


def available() -> bool:
    """Whether CP-SAT (``ortools``) is installed."""
    return importlib.util.find_spec("ortools") is not None


def durations(events: Iterable[dict[str, Any]]) -> dict[str, float]:
    """Each subtask's measured duration: the decision of its successful attempt to its end."""
    started: dict[tuple[str, str], float] = {}
    out: dict[str, float] = {}
    for e in events:
        if e["type"] == "decision":
            started[(e["agent"], e["subtask"])] = e["t"]
        elif e["type"] == "subtask" and e.get("status") == "done":
            out[e["subtask"]] = e["t"] - started.get((e["agent"], e["subtask"]), e["t"])
    return out


def outset(events: Iterable[dict[str, Any]]) -> set[str]:
    """The subtasks whose successful attempt began at time 0, each agent's first from where it started."""
    began: dict[tuple[str, str], float] = {}
    out: set[str] = set()
    for e in events:
        if e["type"] == "decision":
            began[(e["agent"], e["subtask"])] = e["t"]
        elif e["type"] == "subtask" and e.get("status") == "done":
            if began.get((e["agent"], e["subtask"])) == 0.0:
                out.add(e["subtask"])
            else:
                out.discard(e["subtask"])
    return out


def makespan(events: Iterable[dict[str, Any]]) -> float:
    """When the last subtask was done."""
    return max((e["t"] for e in events if e["type"] == "subtask" and e.get("status") == "done"), default=0.0)


def solve(d: dict[str, float], edges: Sequence[tuple[str, str]], m: int, limit_s: float,
          at_start: Iterable[str] = ()) -> Bound:
    """P|prec|Cmax for durations ``d`` on ``m`` machines with precedence ``edges``, within ``limit_s`` s.

    ``at_start`` (at most ``m``) must begin at time 0: a duration measured from where an agent started
    (often next to the depot, so shorter) is then not moved to a place in the schedule where its agent
    would have come from elsewhere.
    """
    from ortools.sat.python import cp_model

    ticks = {s: max(0, math.floor(v * SCALE + 1e-6)) for s, v in d.items()}
    if not ticks:
        return Bound(0.0, 0.0, True)
    model = cp_model.CpModel()
    horizon = sum(ticks.values()) + 1
    start, end, iv = {}, {}, []
    for s, dur in ticks.items():
        start[s] = model.new_int_var(0, horizon, f"s_{s}")
        end[s] = model.new_int_var(0, horizon, f"e_{s}")
        iv.append(model.new_interval_var(start[s], dur, end[s], f"i_{s}"))
    model.add_cumulative(iv, [1] * len(iv), m)
    for s in at_start:
        if s in start:
            model.add(start[s] == 0)
    for a, b in edges:
        if a in ticks and b in ticks:
            model.add(start[b] >= end[a])
    cmax = model.new_int_var(0, horizon, "cmax")
    model.add_max_equality(cmax, list(end.values()))
    model.add(m * cmax >= sum(ticks.values()))  # the work bound, which the cumulative alone proves slowly
    model.minimize(cmax)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = limit_s
    solver.parameters.num_workers = 4  # the portfolio's LP workers prove in a second what one worker cannot
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Bound(math.inf, solver.best_objective_bound / SCALE, False)
    return Bound(solver.value(cmax) / SCALE, solver.best_objective_bound / SCALE, status == cp_model.OPTIMAL)


def makespan_bound(events: Sequence[dict[str, Any]], edges: Sequence[tuple[str, str]], m: int,
                   limit_s: float, keep_outset: bool = True) -> Bound:
    """The optimum of a run's own subtasks and durations (see the module doc): the work begun at time 0
    stays there (:func:`outset`), or with ``keep_outset=False`` is free to move."""
    return solve(durations(events), edges, m, limit_s, outset(events) if keep_outset else ())


def over_opt(events: Sequence[dict[str, Any]], edges: Sequence[tuple[str, str]], m: int,
             limit_s: float = BENCH_LIMIT_S) -> float | None:
    """The run's makespan / OPT where CP-SAT is installed and proves OPT within ``limit_s``, else None."""
    if not available():
        return None
    b = makespan_bound(events, edges, m, limit_s)
    return makespan(events) / b.opt if b.proven and b.opt > 0 else None
