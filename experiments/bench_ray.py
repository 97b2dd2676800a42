"""Cost of the Ray backend: per-decision overhead against local Workers, and sweep throughput.

    python3 experiments/bench_ray.py [--task rabbit_stew_63] [--episodes 64] [--parallel 2]

Prints seconds per agent decision (a start/act/feedback round trip) on each backend for the same
episode, and episodes per second for a sweep run locally one after another and as Ray tasks.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = str(ROOT / "configs" / "villagerbench" / "farming.yaml")


def main() -> None:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", default="rabbit_stew_63")
    ap.add_argument("--episodes", type=int, default=64)
    ap.add_argument("--parallel", type=int, default=2)
    args = ap.parse_args()

    from causalmace import registry
    from causalmace.config import load_config
    from causalmace.ray_workers import RayWorkers, init_ray
    from causalmace.runner import run_episode
    from causalmace.sweep import local_map, ray_map, run_config

    t0 = time.perf_counter()
    init_ray(num_cpus=args.parallel)
    print(f"ray start-up: {time.perf_counter() - t0:.2f} s")

    overrides = ["refiner.enabled=false"]  # time the Workers, not the refiner
    per_decision = {}
    for backend in ("local", "ray"):
        cfg = load_config(CONFIG, [*overrides, f"workers.backend={backend}"], task=args.task)
        run_episode(cfg)  # warm-up: actors, imports, rule tables
        t = time.perf_counter()
        ep = run_episode(cfg)
        wall = time.perf_counter() - t
        decisions = sum(1 for e in ep.trace.events if e["type"] in ("action", "subtask", "decision"))
        per_decision[backend] = wall / decisions
        print(f"{backend:5s}: {decisions} decisions in {wall:.3f} s = {1000 * per_decision[backend]:.3f} ms each")
    env = registry.make("craftworld/VillagerBench-Farming-v0", task=args.task, agents=3)
    t = time.perf_counter()
    workers = RayWorkers("craftworld/VillagerBench-Farming-v0", {"task": args.task, "agents": 3}, env.agents)
    spawn = time.perf_counter() - t
    workers.close()
    print(f"starting the 3 agent actors of an episode: {spawn:.3f} s (included above)")
    ray_decision = per_decision["ray"] - spawn / decisions
    print(f"ray overhead per decision, actor start-up aside: {1000 * (ray_decision - per_decision['local']):.3f} ms")

    tasks = [t.id for t in registry.tasks("craftworld/VillagerBench-Farming-v0")][: args.episodes]
    jobs = [(CONFIG, (), t, 0) for t in tasks]
    for name, mapper in (("local, one after another", lambda: local_map(run_config, jobs)),
                         (f"ray, {args.parallel} at a time", lambda: ray_map(run_config, jobs, args.parallel))):
        t = time.perf_counter()
        done = sum(1 for r in mapper() if r["completed"])
        wall = time.perf_counter() - t
        print(f"sweep of {len(jobs)} episodes, {name}: {wall:.1f} s = {len(jobs) / wall:.2f} episodes/s "
              f"({done} completed)")


if __name__ == "__main__":
    main()
