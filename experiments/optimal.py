"""How far each scheduler is from the optimal schedule, proven with CP-SAT.

    pip install ortools        # the solver; not needed by anything else
    python3 experiments/optimal.py [--agents 2,3,4] [--per-suite 4] [--limit-s 10]

For each task and team size it runs an episode per scheduler (noise 0, the simulate refiner), takes
each subtask's measured duration from the trace (from the decision that started its successful attempt
to its end: walking and thinking included), and solves P|prec|Cmax on the final graph with those
durations: the shortest makespan any assignment of the subtasks to the team could have had. It prints
makespan / OPT per scheduler where CP-SAT proved the optimum within the time limit.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path
from typing import Any

from causalmace import registry
from causalmace.config import load_config
from causalmace.runner import run_episode

ROOT = Path(__file__).resolve().parent.parent
SUITES = {"construction": "craftworld/VillagerBench-Construction-v0", "farming": "craftworld/VillagerBench-Farming-v0",
          "escape": "craftworld/VillagerBench-Escape-v0"}
METHODS = {"busy-rate": "causalmace", "critical-path": "critical-path", "measured-rank": "causalmace-measured"}
SCALE = 10  # CP-SAT works in integers: tenths of a second


def durations(events: list[dict[str, Any]]) -> dict[str, float]:
    """Each subtask's measured duration: decision of its successful attempt to its end."""
    started: dict[tuple[str, str], float] = {}
    out: dict[str, float] = {}
    for e in events:
        if e["type"] == "decision":
            started[(e["agent"], e["subtask"])] = e["t"]
        elif e["type"] == "subtask" and e.get("status") == "done":
            out[e["subtask"]] = e["t"] - started.get((e["agent"], e["subtask"]), e["t"])
    return out


def optimum(d: dict[str, float], edges: list[tuple[str, str]], m: int, limit_s: float) -> tuple[float, bool]:
    """(makespan, proven optimal) of P|prec|Cmax for durations ``d``, ``m`` machines and precedence ``edges``."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    horizon = sum(round(v * SCALE) for v in d.values()) + 1
    start, end, iv = {}, {}, []
    for s, v in d.items():
        dur = round(v * SCALE)
        start[s] = model.new_int_var(0, horizon, f"s_{s}")
        end[s] = model.new_int_var(0, horizon, f"e_{s}")
        iv.append(model.new_interval_var(start[s], dur, end[s], f"i_{s}"))
    model.add_cumulative(iv, [1] * len(iv), m)
    for a, b in edges:
        if a in d and b in d:
            model.add(start[b] >= end[a])
    cmax = model.new_int_var(0, horizon, "cmax")
    model.add_max_equality(cmax, list(end.values()) or [model.new_constant(0)])
    model.minimize(cmax)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = limit_s
    solver.parameters.num_workers = 2
    status = solver.solve(model)
    return solver.value(cmax) / SCALE, status == cp_model.OPTIMAL


def makespan(events: list[dict[str, Any]]) -> float:
    return max((e["t"] for e in events if e["type"] == "subtask" and e.get("status") == "done"), default=0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", default="2,3,4")
    ap.add_argument("--per-suite", type=int, default=4, help="tasks per suite (the largest graphs)")
    ap.add_argument("--limit-s", type=float, default=10.0)
    args = ap.parse_args()
    rows = []
    for suite, env_id in SUITES.items():
        for agents in (int(a) for a in args.agents.split(",")):
            tasks = registry.tasks(env_id, agents=agents)
            sizes = []
            for t in tasks:
                env = registry.make(env_id, task=t.id, agents=agents)
                env.reset(0)
                sizes.append((len(env.reference_plan()), t.id))
            for _, task in sorted(sizes, reverse=True)[: args.per_suite]:
                row: dict[str, Any] = {"suite": suite, "task": task, "agents": agents}
                for label, method in METHODS.items():
                    cfg = load_config(ROOT / "configs" / "villagerbench" / f"{suite}.yaml",
                                      ["llm.noise.spurious_edges=0", "llm.noise.missing_edges=0"],
                                      method=method, task=task, agents=agents)
                    ep = run_episode(cfg)
                    events = ep.trace.events
                    opt, proven = optimum(durations(events), ep.graph.edges(), agents, args.limit_s)
                    row[label] = makespan(events) / opt if proven and opt > 0 else None
                rows.append(row)
                print(f"{suite:12s} {task:16s} a{agents}  " + "  ".join(
                    f"{k} {v:.3f}" if v else f"{k} –" for k, v in row.items() if k in METHODS), flush=True)
    print()
    print("| scheduler | instances proven | mean makespan / OPT | max | within 3 % |")
    print("|---|---|---|---|---|")
    for label in METHODS:
        vals = [r[label] for r in rows if r[label] is not None]
        if vals:
            print(f"| {label} | {len(vals)} | {statistics.mean(vals):.3f} | {max(vals):.3f} | "
                  f"{sum(v <= 1.03 for v in vals)}/{len(vals)} |")


if __name__ == "__main__":
    main()
