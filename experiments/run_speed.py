"""How long one ``causalmace run`` takes from the shell, and where that time goes.

    python3 experiments/run_speed.py                         # the README's farming run, 16 rounds
    python3 experiments/run_speed.py --against OTHER/bin/causalmace --against ...   # interleaved with other installs
    python3 experiments/run_speed.py --phases 6              # one process, phase by phase (best of 6)
    python3 experiments/run_speed.py --study 2               # the full study's CPU and wall time (best of 2)

Each round starts the console script afresh (interpreter, imports, the run, exit) and the installs take turns,
so a busier moment of the machine falls on all of them alike; best and median are printed. ``--phases`` times,
in fresh processes, the interpreter alone, then the imports in groups, the typed config, the rule tables, the
refiner (as the run reports it) and the rest of the episode; parsing the command line, the summary and the
interpreter's exit are what remains of the whole command's time.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUN = ["run", "villagerbench/farming", "--task", "rabbit_stew_63", "--agents", "3"]

PHASES = r"""
import json, sys, time
t = [time.perf_counter()]
import typer, causalmace.cli                                   # the command line
from causalmace.launch import set_collector
set_collector()                                                # as the console script does
t.append(time.perf_counter())
from pydantic import BaseModel, ValidationError                # the libraries every run needs
import yaml
t.append(time.perf_counter())
import causalmace.config, causalmace.runner, causalmace.envs.villagerbench.suites  # our modules
import causalmace.envs.craftworld.env, causalmace.agents.scripted, causalmace.llm.symbolic
t.append(time.perf_counter())
from causalmace.config import load_config
from causalmace.cli import resolve_config
cfg = load_config(resolve_config(sys.argv[1]), [], method=None, task=sys.argv[2], agents=int(sys.argv[3]), seed=None)
t.append(time.perf_counter())
from causalmace.envs.craftworld.rules_data import base_rules
base_rules()
t.append(time.perf_counter())
result = causalmace.runner.run_episode(cfg).result
t.append(time.perf_counter())
print(json.dumps({"steps": [b - a for a, b in zip(t, t[1:])], "refiner": result["refiner_wall_s"]}))
"""
LABELS = ["typer and causalmace.cli", "pydantic and PyYAML", "our modules (pydantic builds our models)",
          "the typed config and the task", "the 1.19.2 rule tables"]


def wall(cmd: list[str], cwd: Path) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def console_script() -> str:
    here = Path(sys.executable).parent / "causalmace"
    return str(here) if here.exists() else (shutil.which("causalmace") or "causalmace")


def rounds(scripts: list[str], n: int, tmp: Path) -> None:
    times: dict[str, list[float]] = {s: [] for s in scripts}
    for _ in range(n):
        for s in scripts:
            times[s].append(wall([s, *RUN, "--out", str(tmp / "run")], tmp))
    print(f"`causalmace {' '.join(RUN)}`, {n} rounds, run from {tmp} (another folder than the project's)")
    for s, ts in times.items():
        print(f"  {min(ts):.3f} s best, {statistics.median(ts):.3f} s median   {s}")


def phases(n: int, tmp: Path) -> None:
    python = sys.executable
    start = min(wall([python, "-c", "pass"], tmp) for _ in range(n))
    whole = min(wall([console_script(), *RUN, "--out", str(tmp / "run")], tmp) for _ in range(n))
    runs = []
    for _ in range(n):
        out = subprocess.run([python, "-c", PHASES, *RUN[1:2], RUN[3], RUN[5]], cwd=tmp, capture_output=True,
                             text=True, check=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    steps = [min(r["steps"][i] for r in runs) for i in range(len(LABELS) + 1)]
    refiner = min(r["refiner"] for r in runs)
    rows = [("interpreter start-up", start), *zip(LABELS, steps[:-1], strict=True),
            ("the refiner's trial runs", refiner),
            ("the env, planning, the episode and the trace", steps[-1] - refiner)]
    rows.append(("parsing the command line, the summary, the exit (what remains)", whole - sum(v for _, v in rows)))
    print(f"where `causalmace {' '.join(RUN)}` spends {whole:.3f} s (best of {n} each, {python})")
    for label, v in rows:
        print(f"  {v:6.3f} s  {label}")


def study(n: int, tmp: Path) -> None:
    config = Path(__file__).resolve().parents[1] / "configs" / "bench" / "villagerbench.yaml"
    best_cpu = best_wall = float("inf")
    for i in range(n):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        w = wall([console_script(), "bench", str(config), "--out", str(tmp / f"study{i}")], tmp)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_cpu, best_wall = min(best_cpu, cpu), min(best_wall, w)
    print(f"`causalmace bench {config.name}`: {best_cpu:.1f} s of CPU, {best_wall:.1f} s of wall time (best of {n})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=16)
    p.add_argument("--against", action="append", default=[], help="another install's causalmace script")
    p.add_argument("--phases", type=int, default=0, help="time the phases, best of this many processes")
    p.add_argument("--study", type=int, default=0, help="time the full study this many times")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if a.rounds:
            rounds([console_script(), *a.against], a.rounds, tmp)
        if a.phases:
            phases(a.phases, tmp)
        if a.study:
            study(a.study, tmp)


if __name__ == "__main__":
    main()
