"""The run report: one episode's score, its causal graph and the fate of each edge, and its agents over
time, in one HTML file that reads only the run's own files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from causalmace.report import gantt, graphview
from causalmace.report.load import Run, load_run
from causalmace.report.model import ADDED, PRUNED, Model, build
from causalmace.report.page import card, document, esc, fmt, kv, table

MAX_ROWS = 400  # rows of a detail table before it says "and N more"


def _link(target: Path, out: Path) -> str:
    return os.path.relpath(target.resolve(), out.resolve().parent).replace(os.sep, "/")


def _cards(r: dict[str, Any], m: Model) -> str:
    cards = []
    if "completed" in r:
        cards.append(card("completed", "yes" if r["completed"] else "no", r.get("stopped", ""),
                          "ok" if r["completed"] else "bad"))
    if "completion" in r:
        cards.append(card("completion", fmt(r["completion"], 3)))
    for k, v in (r.get("score") or {}).items():
        cards.append(card(k.replace("_", " "), fmt(v, 1)))
    cards.append(card("makespan", f"{m.makespan:.1f} s"))
    if r.get("lower_bound_s"):
        cards.append(card("lower bound", f"{r['lower_bound_s']:.1f} s",
                          f"makespan / bound {fmt(r.get('makespan_over_bound'))}"))
    if m.critical:
        cards.append(card("critical path", f"{m.critical_s:.1f} s", f"{len(m.critical)} subtasks, from the trace"))
    for k in ("efficiency", "balance"):
        if k in r:
            cards.append(card(k, fmt(r[k], 2 if k == "efficiency" else 3)))
    refused = sum(1 for a in m.actions if not a.ok)
    cards.append(card("actions", str(r.get("actions", len(m.actions))), f"{refused} refused"))
    llm = r.get("llm") or {}
    if llm:
        cards.append(card("LLM calls", str(llm.get("calls", 0)),
                          f"{llm.get('prompt_tokens', 0)} + {llm.get('completion_tokens', 0)} tokens"))
    return '<div class="cards">' + "".join(cards) + "</div>"


MISSING = ('<p class="note">Not in this directory: {what} needs {files}. A study keeps only each episode\'s '
           "result.json; <code>causalmace run CONFIG --task ID --out DIR</code> keeps the trace and the graph.</p>")


def _graph_section(r: dict[str, Any], m: Model, colours: dict[str, str]) -> str:
    if not m.nodes:
        return ('<section id="graph-section"><h2>Causal task graph</h2>'
                + MISSING.format(what="the graph", files="graph.json or trace.jsonl") + "</section>")
    fates = {f: sum(1 for e in m.edges if e.fate == f) for f in ("kept", PRUNED, ADDED)}
    note = (f"{len(m.nodes)} subtasks; {fates['kept'] + fates[PRUNED]} planned edges: {fates['kept']} kept, "
            f"{fates[PRUNED]} pruned; {fates[ADDED]} added by repair.")
    ref = (r.get("refiner") or {})
    if ref:
        note += f" Refiner: {esc(ref.get('estimator', '?'))} ({esc(ref.get('reason', ''))})."
    if not m.edges:
        note += " The plan has no edges."
    truth = (f'<p class="note"><b>Against the reference plan:</b> {esc(m.truth_note)}</p>'
             if m.truth_note and m.edges else "")
    rows = []
    for i, e in enumerate(m.edges):
        if e.fate == "kept" and not e.interventions:
            continue
        ivs = "; ".join(f"{c} → {fmt(v)}" for c, v in e.interventions) or "–"
        why = e.reason + (f" ({', '.join(e.facts)})" if e.facts else "") if e.fate == ADDED else ""
        rows.append([f"{esc(e.a)} → {esc(e.b)}", esc(e.fate), esc(e.truth or "–"), (fmt(e.ate), e.ate or 0),
                     (fmt(e.p_holds), e.p_holds or 0), esc(ivs), esc(why), i])
    rows.sort(key=lambda x: ({"pruned": 0, "added": 1}.get(x[1], 2), x[-1]))
    shown = [r_[:-1] for r_ in rows[:MAX_ROWS]]
    more = f'<p class="note">and {len(rows) - MAX_ROWS} more</p>' if len(rows) > MAX_ROWS else ""
    detail = ""
    if rows:
        detail = ("<details><summary>every checked edge: ATE, interventions, the Judger's reason</summary>"
                  + table(["edge", "fate", "reference plan", "ATE", "P(holds)", "interventions (effect)",
                           "revealed by"], shown, sortable=True) + more + "</details>")
    return (f'<section id="graph-section"><h2>Causal task graph</h2><p class="note">{note}</p>{truth}'
            f'{graphview.legend()}<div class="scroll">{graphview.graph_svg(m, colours)}</div>{detail}</section>')


def _gantt_section(r: dict[str, Any], m: Model,
                   colours: dict[str, str]) -> tuple[str, list[list[object]], list[int]]:
    if not m.actions:
        return ('<section id="gantt-section"><h2>Agents over time</h2>'
                + MISSING.format(what="the timeline", files="trace.jsonl") + "</section>"), [], []
    svg, acts, where = gantt.gantt_svg(m, colours, r.get("t_max_s"))
    merged = "" if len(acts) == len(m.actions) else (
        f" {len(m.actions)} actions are drawn as {len(acts)} bars: runs on one subtask are merged.")
    bound = (f", lower bound {float(m.bound):.1f} s" if m.bound
             else " (no lower bound: the env has no copy or reference plan)")
    cp = ""
    if m.critical:
        chain = " → ".join(esc(s) for s in m.critical[:12]) + (" → …" if len(m.critical) > 12 else "")
        cp = f"; critical path {m.critical_s:.1f} s through {len(m.critical)} subtasks: {chain}"
    note = f"{len(m.agents)} agents, makespan {m.makespan:.1f} s{bound}{cp}.{merged}"
    return (f'<section id="gantt-section"><h2>Agents over time</h2><p class="note">{note}</p>{gantt.legend()}'
            f'<div class="scroll">{svg}</div>{_refusals(m)}</section>'), acts, where


def _refusals(m: Model) -> str:
    bad = [a for a in m.actions if not a.ok]
    if not bad:
        return '<p class="note">The Judger refused no action.</p>'
    rows = [[(f"{a.t:.1f}", a.t), esc(a.agent), esc(a.subtask), esc(f"{a.name}({a.args})"), esc(a.refusal or "–"),
             esc(a.message)] for a in bad[:MAX_ROWS]]
    more = f'<p class="note">and {len(bad) - MAX_ROWS} more</p>' if len(bad) > MAX_ROWS else ""
    plural = "" if len(bad) == 1 else "s"
    return (f"<details><summary>{len(bad)} refused action{plural} and the Judger's reasons</summary>"
            + table(["t (s)", "agent", "subtask", "action", "refusal", "reason"], rows, sortable=True) + more
            + "</details>")


def _agents(r: dict[str, Any], m: Model) -> str:
    if not m.agents:
        return ""
    per_llm = r.get("llm_agents") or {}
    keys = list(dict.fromkeys(k for v in per_llm.values() for k in v))
    rows = []
    for g in m.agents:
        mine = [a for a in m.actions if a.agent == g]
        busy = sum(a.d for a in mine)
        done = sum(1 for n in m.nodes.values() if n.agent == g and n.status == "done")
        row: list[Any] = [esc(g), len(mine), sum(1 for a in mine if not a.ok), f"{busy:.1f}",
                          f"{max(m.makespan - busy, 0.0):.1f}", done]
        row += [fmt((per_llm.get(g) or {}).get(k, 0)) for k in keys]
        rows.append(row)
    head = ["agent", "actions", "refused", "busy s", "idle s", "subtasks done", *(k.replace("_", " ") for k in keys)]
    note = "" if keys else '<p class="note">No per-agent LLM figures in result.json (scripted agents).</p>'
    return f'<section><h2>Agents</h2>{table(head, rows, sortable=True)}{note}</section>'


def _details(run: Run, out: Path) -> str:
    r = run.result
    ref = r.get("refiner") or {}
    pairs: list[tuple[str, Any]] = [(k, esc(fmt(r[k]))) for k in ("task", "suite", "env", "method", "agents", "seed",
                                                                   "t_max_s", "stopped", "wall_s") if k in r]
    if r.get("capabilities"):
        pairs.append(("env capabilities", esc(", ".join(r["capabilities"]))))
    if ref:
        pairs.append(("refiner", esc(f"{ref.get('estimator', '?')}: {ref.get('reason', '')}")))
        for k, v in (ref.get("cost") or {}).items():
            pairs.append((f"refiner cost: {k.replace('_', ' ')}", esc(fmt(v, 1))))
        if ref.get("verify"):
            pairs.append(("refiner verified", esc(ref["verify"])))
    llm = r.get("llm") or {}
    if llm:
        pairs.append(("LLM", esc(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in llm.items()))))
    if run.bad_lines:
        pairs.append(("trace", f"{run.bad_lines} unreadable lines skipped (the run stopped mid-write?)"))
    links = " · ".join(f'<a href="{esc(_link(run.dir / n, out))}">{n}</a>'
                       for n in ("trace.jsonl", "result.json", "graph.json") if (run.dir / n).is_file())
    pairs.append(("files", links))
    if run.config_text:
        cfg = f"<h3>Config ({esc(run.config_source)})</h3><pre>{esc(run.config_text)}</pre>"
    else:
        cfg = ('<p class="note">No config file beside the run; the values above are what result.json says. '
               "Rerun with the same config, task, agents and seed to reproduce it.</p>")
    return f'<section><h2>Run</h2>{kv(pairs)}{cfg}</section>'


def render_run(run: Run, out: Path) -> str:
    """The report's HTML; ``out`` is where it will live (its links to the run's files are relative)."""
    m = build(run)
    r = run.result
    colours = graphview.node_colours(m)
    gsec, acts, where = _gantt_section(r, m, colours)
    title = f"{r.get('task', run.dir.name)} · {r.get('method', '?')}"
    sub = " · ".join(esc(f"{k} {r[k]}") for k in ("suite", "env", "agents", "seed") if r.get(k) is not None)
    trace = run.dir / "trace.jsonl"
    link = f' · <a href="{esc(_link(trace, out))}">trace.jsonl</a>' if trace.is_file() else ""
    body = (f"<header><h1>{esc(title)}</h1><div class=sub>{sub}{link}</div></header><main>"
            f"{_cards(r, m)}{_graph_section(r, m, colours)}{gsec}{_agents(r, m)}{_details(run, out)}</main>")
    t = 0.0
    cp = []
    for sid in m.critical:
        n = m.nodes[sid]
        d = n.work if n.work > 0 else (n.est or 0.0)
        cp.append({"id": sid, "t": round(t, 3), "d": round(d, 3)})
        t += d
    data = {"edges": [{"a": e.a, "b": e.b, "fate": e.fate, "origin": e.origin, "ate": e.ate, "p": e.p_holds,
                       "iv": e.interventions, "note": e.note, "reason": e.reason, "facts": e.facts,
                       "rev": None if e.revealed_by is None else where[e.revealed_by],
                       "truth": e.truth} for e in m.edges],
            "nodes": {sid: {"kind": n.kind, "desc": n.description, "target": n.target, "count": n.count,
                            "est": n.est, "status": n.status, "agent": n.agent, "attempts": n.attempts,
                            "line": n.line, "work": round(n.work, 3)} for sid, n in m.nodes.items()},
            "acts": acts, "cp": cp, "cpTotal": round(m.critical_s, 3)}
    return document(f"causalmace · {title}", body, data)


def write_run_report(run_dir: Path, out: Path | None = None) -> Path:
    """Write ``out`` (default ``run_dir/report.html``) and return its path."""
    run = load_run(Path(run_dir))
    out = Path(out) if out is not None else run.dir / "report.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_run(run, out), encoding="utf-8")
    return out
