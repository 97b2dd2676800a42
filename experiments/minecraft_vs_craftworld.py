"""The same VillagerBench tasks in CraftWorld and on a live Minecraft server, side by side; prints a markdown table.

    python3 experiments/minecraft_vs_craftworld.py [--agents 2] [--markdown FILE] [--suite S] [suite:task ...]

Each run is one CausalMACE episode from ``configs/villagerbench/`` or ``configs/minecraft/`` (the live one starts
its own flying-squid server and bots). Makespan is on the agents' clocks: simulated seconds in CraftWorld,
measured seconds of the bots' actions on the live server (plus the same think time); wall time is the whole
episode on this machine, server start included. ``--suite escape`` runs every run of a suite and ends with a
line per world: runs completed, mean makespan, total wall time.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from causalmace import registry
from causalmace.config import load_config
from causalmace.runner import run_episode

ROOT = Path(__file__).resolve().parent.parent
WORLDS = {"CraftWorld": "villagerbench", "Minecraft": "minecraft"}
DEFAULT = ("construction:task_11", "farming:rabbit_stew_0", "escape:escape_2r_0")
SUITE_ENVS = {"construction": "craftworld/VillagerBench-Construction-v0",
              "farming": "craftworld/VillagerBench-Farming-v0", "escape": "craftworld/VillagerBench-Escape-v0"}


def one(world: str, suite: str, task: str, agents: int) -> dict[str, Any]:
    cfg = load_config(ROOT / "configs" / WORLDS[world] / f"{suite}.yaml", task=task, agents=agents)
    t0 = time.perf_counter()
    r = run_episode(cfg).result
    return {"suite": suite, "task": task, "world": world, "completed": r["completed"],
            "completion": r["completion"], "makespan_s": r["makespan_s"], "actions": r["actions"],
            "wall_s": time.perf_counter() - t0}


def markdown(rows: list[dict[str, Any]], agents: int) -> str:
    lines = ["| suite | task | world | completed | completion | makespan (s) | actions | wall (s) |",
             "|---|---|---|---|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['suite']} | {r['task']} | {r['world']} | {'yes' if r['completed'] else 'no'} | "
                     f"{r['completion']:.3f} | {r['makespan_s']:.1f} | {r['actions']} | {r['wall_s']:.1f} |")
    lines.append(f"\n{agents} agents, CausalMACE with the offline symbolic planner, scripted agents, seed 0.")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="*", help=f"suite:task pairs [{' '.join(DEFAULT)}]")
    ap.add_argument("--agents", type=int, default=2)
    ap.add_argument("--suite", choices=sorted(SUITE_ENVS), help="every run of this suite")
    ap.add_argument("--markdown", type=Path, help="also write the table here")
    args = ap.parse_args()
    runs = list(args.runs)
    if args.suite:
        runs += [f"{args.suite}:{t.id}" for t in registry.tasks(SUITE_ENVS[args.suite], agents=args.agents)]
    rows = []
    for run in runs or DEFAULT:
        suite, task = run.split(":", 1)
        for world in WORLDS:
            rows.append(one(world, suite, task, args.agents))
            print(f"{world:10s} {suite}:{task} done in {rows[-1]['wall_s']:.1f} s", flush=True)
    table = markdown(rows, args.agents)
    print(table)
    for world in WORLDS:
        mine = [r for r in rows if r["world"] == world]
        mean = sum(r["makespan_s"] for r in mine) / len(mine)
        print(f"{world}: {sum(r['completed'] for r in mine)}/{len(mine)} completed, mean makespan {mean:.1f} s, "
              f"{sum(r['wall_s'] for r in mine):.0f} s of wall time")
    if args.markdown:
        args.markdown.write_text(table + "\n")


if __name__ == "__main__":
    main()
