"""The study report: the summary with 95 % intervals, its figures as inline SVG, and every episode with a
link to its own run report where its directory holds one."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from causalmace import bench
from causalmace.report import charts
from causalmace.report.load import Study, is_run, load_study
from causalmace.report.page import card, document, esc, fmt, table
from causalmace.report.run import write_run_report


def _meta(r: dict[str, Any], d: Path, root: Path) -> dict[str, Any]:
    """A result's study coordinates; a plain run gathered into a folder gets them from its own fields."""
    if isinstance(r.get("bench"), dict):
        meta = dict(r["bench"])
    else:
        noise = ((r.get("config") or {}).get("llm") or {}).get("noise") or {}
        meta = {"method": r.get("method", "?"), "suite": r.get("suite") or "?", "task": r.get("task", "?"),
                "agents": r.get("agents", 0), "noise": float(noise.get("spurious_edges", 0.0)),
                "seed": r.get("seed", 0)}
    meta.setdefault("id", d.relative_to(root).as_posix())
    for k, v in (("estimator", ""), ("flip", 0.0), ("noise", 0.0)):
        meta.setdefault(k, v)
    return meta


def _cell(row: dict[str, Any], metric: str) -> tuple[str, float]:
    mean, ci = row[f"{metric}_mean"], row[f"{metric}_ci95"]
    if not isinstance(mean, float) or math.isnan(mean):
        return "–", -1e300
    d = bench.DIGITS.get(metric, 2)
    return f"{mean:.{d}f} <span class=m>± {ci:.{d}f}</span>", mean


def _summary(rows: list[dict[str, Any]]) -> str:
    group = [k for k in bench.GROUP if k in ("method", "suite") or len({str(r.get(k)) for r in rows}) > 1]
    metrics = [m for m in bench.METRICS if any(not math.isnan(r[f"{m}_mean"]) for r in rows)]
    head = [*group, "n", "completed", *(bench.LABELS.get(m, m) for m in metrics)]
    body = []
    for r in rows:
        cells: list[Any] = [esc(fmt(r[k], 3) if not isinstance(r[k], float) else f"{r[k]:g}") for k in group]
        cells += [r["n"], f"{r['completed']}/{r['n']}", *(_cell(r, m) for m in metrics)]
        body.append(cells)
    return (table(head, body, "summary", sortable=True)
            + '<p class="note">Mean ± half width of the 95 % confidence interval (Student\'s t) over tasks and seeds; '
            "noise v means <code>llm.noise.spurious_edges = v</code>, <code>missing_edges = v / 3</code>. "
            "Click a column to sort.</p>")


def _episodes(study: Study, metas: list[dict[str, Any]], out: Path) -> str:
    rows = []
    for r, d, meta in zip(study.results, study.dirs, metas, strict=True):
        rep = d / "report.html"
        link = (f'<a href="{esc(os.path.relpath(rep.resolve(), out.resolve().parent))}">report</a>'
                if rep.is_file() else "–")
        mob = r.get("makespan_over_bound")
        rows.append([esc(meta["method"]), esc(meta["suite"]), esc(meta.get("task", r.get("task", ""))),
                     meta.get("agents", ""), f"{meta.get('noise', 0):g}", meta.get("seed", ""),
                     '<span class="ok">yes</span>' if r.get("completed") else '<span class="bad">no</span>',
                     (fmt(r.get("completion"), 3), r.get("completion") or 0),
                     (fmt(r.get("efficiency"), 2), r.get("efficiency") or 0),
                     (fmt(mob, 2), mob if mob is not None else -1), link])
    head = ["method", "suite", "task", "agents", "noise", "seed", "completed", "completion", "efficiency",
            "makespan / bound", "run report"]
    t = table(head, rows, "episodes", sortable=True).replace('<table class="episodes">',
                                                              '<table class="episodes" id="episodes">', 1)
    failed = ""
    if study.errors:
        failed = ('<p class="note bad">Episodes that failed (see their error.txt): '
                  + ", ".join(esc(p.relative_to(study.dir).as_posix()) for p in study.errors) + "</p>")
    return ('<section><h2>Episodes</h2><input class="filter" data-for="episodes" placeholder="filter episodes">'
            f"{failed}<div class=scroll>{t}</div></section>")


def render_study(study: Study, out: Path) -> str:
    metas = [_meta(r, d, study.dir) for r, d in zip(study.results, study.dirs, strict=True)]
    results = [{**r, "bench": m} for r, m in zip(study.results, metas, strict=True)]
    rows = bench.summarize(results) if results else []
    methods = list(dict.fromkeys(r["method"] for r in rows))
    colours = charts.method_colours(methods)
    n_done = sum(bool(r.get("completed")) for r in results)
    cards = "".join([card("episodes", str(len(results)), f"{len(study.errors)} failed to run"),
                     card("completed", f"{n_done}/{len(results)}"),
                     card("methods", str(len(methods))),
                     card("suites", str(len({r['suite'] for r in rows})))])
    figs = []
    if rows:
        figs = [("Completion per method and suite", charts.bar_figure(rows, "completion", "completion", colours,
                                                                      fixed_top=1.05)),
                ("Efficiency per method and suite (T_max / time taken)",
                 charts.bar_figure(rows, "efficiency", "efficiency", colours)),
                ("Efficiency against planner noise", charts.noise_figure(rows, "efficiency", "efficiency", colours)),
                ("Makespan over its lower bound (1 = as fast as the reference plan allows)",
                 charts.bar_figure(rows, "makespan_over_bound", "makespan / bound", colours, ref_line=1.0))]
    fig_html = "".join(f'<section class="fig"><h3>{esc(t)}</h3><div class="scroll">{svg}</div></section>'
                       for t, svg in figs)
    summary = _summary(rows) if rows else '<p class="note">No finished episodes yet.</p>'
    files = " · ".join(f'<a href="{esc(os.path.relpath((study.dir / n).resolve(), out.resolve().parent))}">{n}</a>'
                       for n in ("summary.csv", "summary.md") if (study.dir / n).is_file())
    body = (f"<header><h1>Study · {esc(study.dir.name)}</h1><div class=sub>{len(results)} episodes"
            f"{' · ' + files if files else ''}</div></header><main><div class=cards>{cards}</div>"
            f"<section><h2>Summary</h2><div class=scroll>{summary}</div></section>"
            f'<section><h2>Figures</h2><div class="figs">{fig_html}</div></section>{_episodes(study, metas, out)}'
            "</main>")
    return document(f"causalmace · study {study.dir.name}", body, {})


def write_study_report(study_dir: Path, out: Path | None = None, episodes: bool = True) -> list[Path]:
    """Write each episode's run report where its directory holds a trace or a graph (so the study can
    link to it), then the study's; the study report's path comes first."""
    study = load_study(Path(study_dir))
    written = []
    if episodes:
        for d in study.dirs:
            if is_run(d) and ((d / "trace.jsonl").is_file() or (d / "graph.json").is_file()):
                written.append(write_run_report(d))
    out = Path(out) if out is not None else study.dir / "report.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_study(study, out), encoding="utf-8")
    return [out, *written]
