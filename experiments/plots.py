"""Figures of a bench run: what `causalmace bench` wrote into DIR, as PNGs next to it.

    python3 experiments/plots.py DIR

Reads DIR/summary.csv and writes, into DIR:
- completion.png, efficiency.png, balance.png, makespan_over_bound.png: bars per method and suite,
  one panel per planner noise level (and team size), error bars = 95 % confidence interval;
- efficiency_vs_noise.png: efficiency against planner noise, one line per method, one panel per suite.
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

BARS = {"completion": "completion", "efficiency": "efficiency (T_max / T_act)", "balance": "balance",
        "makespan_over_bound": "makespan / lower bound"}
DPI = 150


def read_summary(path: Path) -> list[dict[str, Any]]:
    """Rows of summary.csv with numbers as numbers."""
    rows = []
    with path.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            row: dict[str, Any] = {"method": r["method"], "suite": r["suite"], "agents": int(r["agents"]),
                                   "noise": float(r["noise"]), "n": int(r["n"])}
            for k, v in r.items():
                if k.endswith(("_mean", "_ci95")):
                    row[k] = float(v) if v not in ("", None) else math.nan
            rows.append(row)
    return rows


def _order(rows: list[dict[str, Any]], key: str) -> list[Any]:
    return list(dict.fromkeys(r[key] for r in rows))


def _colors(methods: list[str]) -> dict[str, Any]:
    cmap = plt.get_cmap("tab10")
    return {m: cmap(i % 10) for i, m in enumerate(methods)}


def _grid(n_rows: int, n_cols: int, w: float, h: float) -> tuple[Any, list[list[Any]]]:
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(w * n_cols, h * n_rows), squeeze=False, sharey=True)
    return fig, [list(row) for row in axes]


def bar_figure(rows: list[dict[str, Any]], metric: str, out: Path) -> Path:
    """Grouped bars: suites on the x axis, one bar per method, a panel per noise level and team size."""
    methods, suites = _order(rows, "method"), _order(rows, "suite")
    noises, teams = sorted(_order(rows, "noise")), sorted(_order(rows, "agents"))
    colors = _colors(methods)
    fig, axes = _grid(len(teams), len(noises), max(4.0, 1.2 * len(suites) * max(1, len(methods)) / 3), 3.6)
    width = min(0.8 / len(methods), 0.4)
    for i, agents in enumerate(teams):
        for j, noise in enumerate(noises):
            ax = axes[i][j]
            for k, method in enumerate(methods):
                cells = {r["suite"]: r for r in rows
                         if r["method"] == method and r["noise"] == noise and r["agents"] == agents}
                xs = [s + (k - (len(methods) - 1) / 2) * width for s in range(len(suites))]
                ys = [cells[s][f"{metric}_mean"] if s in cells else math.nan for s in suites]
                es = [cells[s][f"{metric}_ci95"] if s in cells else math.nan for s in suites]
                ax.bar(xs, ys, width, yerr=es, capsize=3, color=colors[method], label=method,
                       error_kw={"elinewidth": 1})
            if metric == "makespan_over_bound":
                ax.axhline(1.0, color="black", lw=0.8, ls="--")
            ax.set_xticks(range(len(suites)), suites)
            ax.set_xlim(-0.6, len(suites) - 0.4)
            ax.set_title(f"planner noise {noise:g} · {agents} agents", fontsize=10)
            ax.grid(axis="y", alpha=0.3)
            if j == 0:
                ax.set_ylabel(BARS[metric])
            ax.set_xlabel("suite")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(methods), 6), frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(f"{BARS[metric]} (mean, 95 % CI)")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    path = out / f"{metric}.png"
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def noise_figure(rows: list[dict[str, Any]], out: Path, metric: str = "efficiency") -> Path:
    """Metric against planner noise: how gracefully each method degrades with a worse planner."""
    methods, suites, teams = _order(rows, "method"), _order(rows, "suite"), sorted(_order(rows, "agents"))
    colors = _colors(methods)
    noises = _order(rows, "noise")
    dodge = 0.012 * ((max(noises) - min(noises)) or 1.0)
    fig, axes = plt.subplots(len(teams), len(suites), figsize=(4.2 * len(suites), 3.6 * len(teams)),
                             squeeze=False)
    for i, agents in enumerate(teams):
        for j, suite in enumerate(suites):
            ax = axes[i][j]
            for k, method in enumerate(methods):
                pts = sorted((r["noise"], r[f"{metric}_mean"], r[f"{metric}_ci95"]) for r in rows
                             if r["method"] == method and r["suite"] == suite and r["agents"] == agents)
                if not pts:
                    continue
                xs, ys, es = zip(*pts, strict=True)
                xs = tuple(x + (k - (len(methods) - 1) / 2) * dodge for x in xs)  # keep equal lines visible
                ax.errorbar(xs, ys, yerr=es, marker="o", capsize=3, color=colors[method], label=method)
            ax.set_title(f"{suite} · {agents} agents", fontsize=10)
            ax.set_xlabel("planner noise (made-up edges per true edge)")
            if j == 0:
                ax.set_ylabel(BARS.get(metric, metric))
            ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(methods), 6), frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(f"{BARS.get(metric, metric)} against planner noise (mean, 95 % CI)")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    path = out / f"{metric}_vs_noise.png"
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path, help="a bench output directory (with summary.csv)")
    args = ap.parse_args()
    summary = args.dir / "summary.csv"
    if not summary.is_file():
        raise SystemExit(f"plots: {summary} not found (run 'causalmace bench' first)")
    rows = read_summary(summary)
    if not rows:
        raise SystemExit(f"plots: {summary} has no rows")
    for path in [*(bar_figure(rows, m, args.dir) for m in BARS), noise_figure(rows, args.dir)]:
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
