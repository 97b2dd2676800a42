"""Run CausalMACE over every VillagerBench run and print the table the README shows.

    python3 experiments/villagerbench_table.py [--estimator simulate|llm] [--agents 3] [--jobs 2]
        [--set key=value ...] [--markdown FILE]

Per suite: completion, the share of made-up edges the refiner pruned, the share of true edges it
pruned by mistake, missing edges the Judger revealed, mean makespan / lower bound (the one bound of
causalmace.metrics.makespan_lower_bound, walking included, as in the study's table), efficiency as
VillagerBench scores it and uncapped, LLM calls. With the planner's subtask noise on (``--set
llm.noise.missing_subtasks=...``) it adds how many subtasks were left out, miscounted or made up and
how many of each were caught.
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from causalmace import registry
from causalmace.config import load_config
from causalmace.runner import run_episode

ROOT = Path(__file__).resolve().parent.parent
SUITES = {"construction": "construction.yaml", "farming": "farming.yaml", "escape": "escape.yaml"}


def one(job: tuple[str, str, int, str, list[str]]) -> dict[str, Any]:
    suite, task, agents, estimator, sets = job
    cfg = load_config(ROOT / "configs" / "villagerbench" / SUITES[suite],
                      [*sets, f"refiner.estimator={estimator}"], task=task, agents=agents)
    return run_episode(cfg).result


def table(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for suite in SUITES:
        rs = [r for r in results if r["suite"] == suite]
        if not rs:
            continue
        g = {k: sum(r["graph"][k] for r in rs) for k in rs[0]["graph"]}
        true_planned = g["edges_initial"] - g["spurious_initial"]
        rows.append({
            "suite": suite, "runs": len(rs),
            "completion": statistics.fmean(r["completion"] for r in rs),
            "completed": sum(r["completed"] for r in rs),
            "spurious_pruned": g["spurious_pruned"] / max(1, g["spurious_initial"]),
            "true_pruned": g["true_pruned"] / max(1, true_planned),
            "missing_found": f"{g['missing_found']}/{g['missing_initial']}",
            "makespan_over_bound": statistics.fmean(r["makespan_over_bound"] for r in rs
                                                    if r["makespan_over_bound"] is not None),
            "efficiency": statistics.fmean(r["efficiency"] for r in rs),
            "efficiency_uncapped": statistics.fmean(r["efficiency_uncapped"] for r in rs),
            "noise": _noise(rs),
            "balance": statistics.fmean(r["balance"] for r in rs),
            "llm_calls": sum(r["llm"]["calls"] for r in rs),
            "tokens": sum(r["llm"]["prompt_tokens"] + r["llm"]["completion_tokens"] for r in rs),
        })
    return rows


def _noise(rs: list[dict[str, Any]]) -> dict[str, str] | None:
    """Subtasks the plan left out / miscounted / made up, over the runs, with how many were caught."""
    pn = [r["plan_noise"] for r in rs if r.get("plan_noise")]
    total = {(k, f): sum(p[k][f] for p in pn) for k, f in (
        ("missing_subtasks", "injected"), ("missing_subtasks", "recovered"), ("wrong_counts", "injected"),
        ("wrong_counts", "repaired"), ("made_up_subtasks", "injected"), ("made_up_subtasks", "abandoned"))}
    if not any(total[(k, "injected")] for k in ("missing_subtasks", "wrong_counts", "made_up_subtasks")):
        return None
    return {"missing": f"{total[('missing_subtasks', 'recovered')]}/{total[('missing_subtasks', 'injected')]}",
            "wrong": f"{total[('wrong_counts', 'repaired')]}/{total[('wrong_counts', 'injected')]}",
            "made_up": f"{total[('made_up_subtasks', 'abandoned')]}/{total[('made_up_subtasks', 'injected')]}"}


def markdown(rows: list[dict[str, Any]], title: str) -> str:
    noisy = any(r["noise"] for r in rows)
    head = ("| suite | runs | completion | completed | made-up edges pruned | true edges pruned | "
            "missing found | makespan / bound | efficiency | efficiency uncapped | balance | LLM calls | tokens |")
    extra = " subtasks left out: put back | wrong counts: topped up | made-up subtasks: stopped |"
    lines = [f"**{title}**", "", head + (extra if noisy else ""), "|" + "---|" * (13 + 3 * noisy)]
    for r in rows:
        n = r["noise"] or {"missing": "0/0", "wrong": "0/0", "made_up": "0/0"}
        lines.append(f"| {r['suite']} | {r['runs']} | {r['completion']:.3f} | {r['completed']} | "
                     f"{r['spurious_pruned']:.1%} | {r['true_pruned']:.1%} | {r['missing_found']} | "
                     f"{r['makespan_over_bound']:.2f} | {r['efficiency']:.2f} | {r['efficiency_uncapped']:.2f} | "
                     f"{r['balance']:.3f} | {r['llm_calls']} | {r['tokens']} |"
                     + (f" {n['missing']} | {n['wrong']} | {n['made_up']} |" if noisy else ""))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--estimator", choices=["simulate", "llm"], default="simulate")
    ap.add_argument("--agents", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--suites", default="construction,farming,escape")
    ap.add_argument("--limit", type=int, default=0, help="first N runs per suite (0: all)")
    ap.add_argument("--set", action="append", default=[], dest="sets")
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args()
    jobs = []
    for suite in args.suites.split(","):
        env_id = load_config(ROOT / "configs" / "villagerbench" / SUITES[suite]).env
        tasks = registry.tasks(env_id, agents=args.agents)
        if args.limit:
            tasks = tasks[: args.limit]
        jobs += [(suite, t.id, args.agents, args.estimator, args.sets) for t in tasks]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(one, jobs, chunksize=2))
    wall = time.perf_counter() - t0
    rows = table(results)
    text = markdown(rows, f"estimator {args.estimator}, {args.agents} agents, {len(results)} runs, "
                          f"{' '.join(args.sets) or 'configs as shipped'}")
    print(text)
    print(f"\nwall time: {wall:.1f} s on {args.jobs} processes")
    if args.markdown:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()
