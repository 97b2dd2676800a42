"""The same VillagerBench tasks in CraftWorld and on a live Minecraft server, side by side; prints a markdown table.

    python3 experiments/minecraft_vs_craftworld.py [--agents 2] [--markdown FILE] [suite:task ...]

Each run is one CausalMACE episode from ``configs/villagerbench/`` or ``configs/minecraft/`` (the live one starts
its own flying-squid server and bots). Makespan is on the agents' clocks: simulated seconds in CraftWorld,
measured seconds of the bots' actions on the live server (plus the same think time); wall time is the whole
episode on this machine, server start included.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from causalmace.config import load_config
from causalmace.runner import run_episode

ROOT = Path(__file__).resolve().parent.parent
WORLDS = {"CraftWorld": "villagerbench", "Minecraft": "minecraft"}
DEFAULT = ("construction:task_11", "farming:rabbit_stew_0", "escape:escape_2r_0")


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
    ap.add_argument("runs", nargs="*", default=list(DEFAULT), help="suite:task pairs")
    ap.add_argument("--agents", type=int, default=2)
    ap.add_argument("--markdown", type=Path, help="also write the table here")
    args = ap.parse_args()
    rows = []
    for run in args.runs:
        suite, task = run.split(":", 1)
        for world in WORLDS:
            rows.append(one(world, suite, task, args.agents))
            print(f"{world:10s} {suite}:{task} done in {rows[-1]['wall_s']:.1f} s", flush=True)
    table = markdown(rows, args.agents)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")


if __name__ == "__main__":
    main()
