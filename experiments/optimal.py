"""How far each scheduler is from the optimal schedule, proven with CP-SAT.

    pip install -e ".[optimal]"        # the solver; not needed by anything else
    python3 experiments/optimal.py [--agents 2,3,4] [--per-suite 4] [--limit-s 10] [--ablate all]

For each suite and team size it picks ``--per-suite`` tasks spread over the graph sizes where the team
has something to schedule (at least two subtasks per agent, largest first, then evenly down the list),
runs an episode per scheduler (noise 0, the simulate refiner), takes each subtask's measured duration
from the trace (from the decision that started its successful attempt to its end: walking and
thinking included), and solves P|prec|Cmax on the final graph with those durations, the work begun at
time 0 kept there (:mod:`causalmace.optimum`): the shortest makespan any assignment of the subtasks to
the team could have had. It prints makespan / OPT per scheduler, side by side, on the instances where
CP-SAT proved the optimum for every scheduler within ``--limit-s`` seconds, then the mean per scheduler
and the worst instance of the new scheduler against the busy-rate rule (by makespan / OPT and by
makespan). Last, the same against the free optimum, which may move every subtask, also an agent's
first one, measured from where it started (often next to the depot), to where its agent would have
come from elsewhere, so that it may give two such short durations to one agent, which no team could do.
With ``--ablate``, measured-rank runs again on the proven instances with each named part switched in
turn (off where it is on by default, on where it is off: ``scheduler.options``), and a table says what
each part buys.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from causalmace import registry
from causalmace.config import load_config
from causalmace.measured_rank import MeasuredRankOptions
from causalmace.optimum import Bound, makespan, makespan_bound
from causalmace.runner import run_episode

ROOT = Path(__file__).resolve().parent.parent
SUITES = {"construction": "craftworld/VillagerBench-Construction-v0", "farming": "craftworld/VillagerBench-Farming-v0",
          "escape": "craftworld/VillagerBench-Escape-v0"}
METHODS = {"busy-rate": "causalmace", "critical-path": "critical-path", "measured-rank": "causalmace-measured"}
BASE, NEW = "busy-rate", "measured-rank"


def pick(env_id: str, agents: int, n: int) -> list[tuple[str, int]]:
    """``n`` tasks (id, reference subtasks) with at least two subtasks per agent, spread over their sizes."""
    sizes = []
    for t in registry.tasks(env_id, agents=agents):
        env = registry.make(env_id, task=t.id, agents=agents)
        env.reset(0)
        size = len(env.reference_plan())
        if size >= 2 * agents:
            sizes.append((size, t.id))
    sizes.sort(key=lambda x: (-x[0], x[1]))
    if len(sizes) <= n:
        return [(t, s) for s, t in sizes]
    step = (len(sizes) - 1) / max(n - 1, 1)
    return [(sizes[round(i * step)][1], sizes[round(i * step)][0]) for i in range(n)]


def measure(suite: str, task: str, agents: int, method: str, limit_s: float, sets: Sequence[str] = ()
            ) -> tuple[float, Bound, bool, Bound | None]:
    """Makespan, OPT, whether the run completed, and the free OPT (where OPT was proven)."""
    cfg = load_config(ROOT / "configs" / "villagerbench" / f"{suite}.yaml",
                      ["llm.noise.spurious_edges=0", "llm.noise.missing_edges=0", *sets],
                      method=method, task=task, agents=agents)
    ep = run_episode(cfg)
    bound = makespan_bound(ep.trace.events, ep.graph.edges(), agents, limit_s)
    free = makespan_bound(ep.trace.events, ep.graph.edges(), agents, limit_s, keep_outset=False) \
        if bound.proven else None
    return makespan(ep.trace.events), bound, bool(ep.result["completed"]), free


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", default="2,3,4")
    ap.add_argument("--per-suite", type=int, default=4, help="tasks per suite and team size")
    ap.add_argument("--limit-s", type=float, default=10.0, help="CP-SAT's time per instance and scheduler")
    ap.add_argument("--ablate", default="", help="measured-rank's parts to switch one at a time, off if on by default "
                    "and on if off, comma-separated (boolean fields of MeasuredRankOptions, e.g. standby,lines; "
                    "'all': every one)")
    args = ap.parse_args()
    ablate = ablations(args.ablate)
    t0 = time.perf_counter()
    rows: list[dict[str, Any]] = []
    head = "| suite | task | agents | subtasks | " + " | ".join(f"{m} makespan / OPT" for m in METHODS) + " |"
    print(head)
    print("|" + "---|" * (4 + len(METHODS)))
    for suite, env_id in SUITES.items():
        for agents in (int(a) for a in args.agents.split(",")):
            for task, size in pick(env_id, agents, args.per_suite):
                row: dict[str, Any] = {"suite": suite, "task": task, "agents": agents, "size": size}
                for label, method in METHODS.items():
                    row[label] = measure(suite, task, agents, method, args.limit_s)
                rows.append(row)
                cells = []
                for label in METHODS:
                    ms, b, ok, _ = row[label]
                    cells.append((f"{ms / b.opt:.3f} ({ms:.1f} s)" if b.proven and b.opt > 0
                                  else f"– ({ms:.1f} s, OPT ≥ {b.lower:.1f})") + ("" if ok else " unfinished"))
                print(f"| {suite} | {task} | {agents} | {size} | " + " | ".join(cells) + " |", flush=True)
    proven = [r for r in rows if all(r[m][1].proven and r[m][1].opt > 0 and r[m][2] for m in METHODS)]
    print()
    print(f"{len(proven)} of {len(rows)} instances finished and proven for every scheduler within {args.limit_s:g} s "
          f"({time.perf_counter() - t0:.0f} s in all)")
    summary(proven, 1)
    if proven:
        slow = max(proven, key=lambda r: r[NEW][0] / r[BASE][0])
        print(f"worst {NEW} against {BASE} by makespan: {100 * (slow[NEW][0] / slow[BASE][0] - 1):+.1f} % "
              f"({slow['suite']} {slow['task']}, {slow['agents']} agents)")
        free = [r for r in proven if all(r[m][3] is not None and r[m][3].proven for m in METHODS)]
        print()
        print(f"Against the free optimum (the work begun at time 0 may move too, with the duration it had from "
              f"where its agent started), {len(free)} instances proven:")
        summary(free, 3)
    if ablate and proven:
        ablation_table(proven, ablate, args.limit_s)


def ablations(spec: str) -> list[str]:
    """The boolean options of measured-rank named in ``spec`` (``all``: every one)."""
    known = [k for k, f in MeasuredRankOptions.model_fields.items() if isinstance(f.default, bool)]
    names = known if spec == "all" else [x for x in spec.split(",") if x]
    bad = [x for x in names if x not in known]
    if bad:
        raise SystemExit(f"optimal.py: --ablate {','.join(bad)}: not a part of measured-rank "
                         f"(expected some of {', '.join(known)})")
    return names


def ablation_table(rows: list[dict[str, Any]], names: list[str], limit_s: float) -> None:
    """Measured-rank with each part switched in turn, on the instances proven above: what each part buys."""
    print()
    print("What each part of measured-rank buys (each switched in turn, on the same instances; OPT from "
          "each run's own trace, with the work begun at time 0 kept there):")
    print()
    print("| measured-rank | instances proven | mean makespan / OPT | max | within 3 % | worst against busy-rate "
          "| mean makespan (s) |")
    print("|---|---|---|---|---|---|---|")

    def line(label: str, runs: list[tuple[dict[str, Any], tuple[float, Bound, bool, Bound | None]]]) -> None:
        ok = [(r, m) for r, m in runs if m[1].proven and m[1].opt > 0 and m[2]]
        vals = [m[0] / m[1].opt for _, m in ok]
        if not vals:
            print(f"| {label} | 0 | – | – | – | – | – |")
            return
        worst = max(m[0] / m[1].opt - r[BASE][0] / r[BASE][1].opt for r, m in ok)
        print(f"| {label} | {len(ok)} | {statistics.mean(vals):.3f} | {max(vals):.3f} | "
              f"{sum(v <= 1.03 for v in vals)}/{len(vals)} | {worst:+.3f} | "
              f"{statistics.mean(m[0] for _, m in ok):.1f} |", flush=True)

    line("as shipped", [(r, r[NEW]) for r in rows])
    for name in names:
        on = MeasuredRankOptions.model_fields[name].default
        runs = [(r, measure(r["suite"], r["task"], r["agents"], METHODS[NEW], limit_s,
                            [f"scheduler.options.{name}={str(not on).lower()}"])) for r in rows]
        line(f"{'without' if on else 'with'} `{name}`", runs)


def summary(rows: list[dict[str, Any]], which: int) -> None:
    """Per scheduler: mean makespan / OPT (overall and per suite), the worst, how many within 3 %; then
    the new scheduler's worst instance against busy-rate and how often it is more than 0.02 above it.
    ``which`` picks the yardstick from :func:`measure`'s answer: 1 the optimum, 3 the free optimum."""
    def ratio(r: dict[str, Any], label: str) -> float:
        return r[label][0] / r[label][which].opt

    print()
    print("| scheduler | instances | mean makespan / OPT | " + " · ".join(SUITES) + " | max | within 3 % "
          "| mean makespan (s) |")
    print("|---|---|---|---|---|---|---|")
    for label in METHODS:
        vals = [ratio(r, label) for r in rows]
        if not vals:
            continue
        per = " · ".join(f"{statistics.mean(ratio(r, label) for r in rows if r['suite'] == s):.3f}"
                         if any(r["suite"] == s for r in rows) else "–" for s in SUITES)
        print(f"| {label} | {len(vals)} | {statistics.mean(vals):.3f} | {per} | {max(vals):.3f} | "
              f"{sum(v <= 1.03 for v in vals)}/{len(vals)} | {statistics.mean(r[label][0] for r in rows):.1f} |")
    if rows:
        gap = max(rows, key=lambda r: ratio(r, NEW) - ratio(r, BASE))
        over = sum(ratio(r, NEW) - ratio(r, BASE) > 0.02 for r in rows)
        print()
        print(f"worst {NEW} against {BASE} by makespan / OPT: {ratio(gap, NEW) - ratio(gap, BASE):+.3f} "
              f"({gap['suite']} {gap['task']}, {gap['agents']} agents); more than 0.02 above it on {over} "
              f"of {len(rows)}")

if __name__ == "__main__":
    main()
