"""Measured-rank's makespan against the paper's busy-rate rule on every VillagerBench task and team size.

    python3 experiments/against_busy_rate.py [--agents 2,3,4] [--suites construction,farming,escape]

``experiments/optimal.py`` compares the schedulers with the proven optimum on 36 instances; this runs
both on every task (noise 0, seed 0, the simulate refiner, the same graph for both) and prints, per
suite and team size, the geometric mean of measured-rank's makespan over busy-rate's, how many runs
it finishes more than 2 % sooner or later, and the worst three. About a minute and a half on two cores.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path

from causalmace import registry
from causalmace.config import load_config
from causalmace.runner import run_episode

ROOT = Path(__file__).resolve().parent.parent
SUITES = {"construction": "craftworld/VillagerBench-Construction-v0", "farming": "craftworld/VillagerBench-Farming-v0",
          "escape": "craftworld/VillagerBench-Escape-v0"}
BASE, NEW = "causalmace", "causalmace-measured"


def makespan(suite: str, task: str, agents: int, method: str) -> float:
    cfg = load_config(ROOT / "configs" / "villagerbench" / f"{suite}.yaml",
                      ["llm.noise.spurious_edges=0", "llm.noise.missing_edges=0"],
                      method=method, task=task, agents=agents)
    return float(run_episode(cfg).result["makespan_s"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", default="2,3,4")
    ap.add_argument("--suites", default=",".join(SUITES))
    args = ap.parse_args()
    t0 = time.perf_counter()
    print("| suite | agents | runs | measured-rank / busy-rate (geometric mean) | > 2 % sooner | > 2 % later | "
          "worst |")
    print("|---|---|---|---|---|---|---|")
    total = sooner_all = later_all = 0
    for suite in args.suites.split(","):
        for agents in (int(a) for a in args.agents.split(",")):
            ratios: dict[str, float] = {}
            for t in registry.tasks(SUITES[suite], agents=agents):
                ratios[t.id] = makespan(suite, t.id, agents, NEW) / makespan(suite, t.id, agents, BASE)
            vals = list(ratios.values())
            sooner, later = sum(r < 0.98 for r in vals), sum(r > 1.02 for r in vals)
            total, sooner_all, later_all = total + len(vals), sooner_all + sooner, later_all + later
            worst = sorted(ratios.items(), key=lambda kv: -kv[1])[:3]
            gm = math.exp(statistics.mean(math.log(r) for r in vals))
            print(f"| {suite} | {agents} | {len(vals)} | {gm:.3f} | {sooner} | {later} | "
                  + ", ".join(f"{k} {v:.3f}" for k, v in worst) + " |", flush=True)
    print()
    print(f"{total} runs: measured-rank > 2 % sooner on {sooner_all}, > 2 % later on {later_all} "
          f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
