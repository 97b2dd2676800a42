"""HTML reports of runs and studies: built from the files alone, then opened in headless Chromium and
checked for what a person sees (nodes, edges, pruned edges drawn apart, one Gantt row per agent, one bar
per action, an edge's ATE on hover) and for script errors."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from causalmace.cli import main
from causalmace.report import write_report
from causalmace.report.gantt import MAX_BARS
from causalmace.report.layout import _pav, layout
from causalmace.report.load import load_run
from causalmace.report.model import build

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BIGGEST_CONSTRUCTION = "task_84"  # most subtasks (33) and actions (197) of the construction suite with 3 agents


# --------------------------------------------------------------------------- runs to look at


def _run(tmp: Path, config: str, task: str, *extra: str) -> Path:
    out = tmp / task
    main(["run", config, "--task", task, "--out", str(out), "--report", *extra])
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("runs")
    return {"farming": _run(tmp, "villagerbench/farming", "rabbit_stew_63"),
            "escape": _run(tmp, "villagerbench/escape", "escape_4r_0"),
            "construction": _run(tmp, "villagerbench/construction", BIGGEST_CONSTRUCTION)}


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from causalmace.bench import load_bench, plan_jobs, run_bench
    from causalmace.config import RunConfig
    from causalmace.runner import run_episode

    out = tmp_path_factory.mktemp("study")
    bench = load_bench(Path(__file__).parents[1] / "configs/bench/villagerbench.yaml")
    plan = plan_jobs(bench, methods=["causalmace", "single"], suites=["farming", "escape"], noise=[0.0, 0.3],
                     tasks=1)
    run_bench(plan, out, jobs_n=1, progress=False)
    # one episode with its trace and graph beside its result, so the study has a run report to link to
    full = out.parent / "full"
    full.mkdir()
    run_episode(RunConfig.model_validate(plan[0].config), full)
    for name in ("trace.jsonl", "graph.json"):
        shutil.copy(full / name, out / plan[0].id / name)
    write_report(out)
    return out


def synthetic_run(d: Path, subtasks: int = 200, actions: int = 20000, agents: int = 6, seed: int = 0) -> Path:
    """A construction-like run far larger than any shipped task: many subtasks, many actions, refusals."""
    rng = random.Random(seed)
    d.mkdir(parents=True, exist_ok=True)
    ids = [f"build_block_{i}" for i in range(subtasks)]
    edges, pruned = [], []
    for i in range(1, subtasks):
        for j in rng.sample(range(i), min(i, rng.choice((1, 1, 2)))):
            edges.append({"from": ids[j], "to": ids[i], "origin": "planner", "interventions": [], "p_holds": 1.0,
                          "ate": 1.0, "verdict": "kept", "note": ""})
        if rng.random() < 0.1:
            j = rng.randrange(i)
            pruned.append({"from": ids[j], "to": ids[i], "origin": "planner",
                           "interventions": [{"change": "do(x)", "effect": 0.0}], "p_holds": 0.0, "ate": 0.0,
                           "verdict": "pruned", "note": ""})
    seen: set[tuple[str, str]] = set()
    edges = [e for e in edges if (e["from"], e["to"]) not in seen and not seen.add((e["from"], e["to"]))]
    pruned = [e for e in pruned if (e["from"], e["to"]) not in seen]
    graph = {"task": "synthetic", "nodes": [{"id": s, "kind": "build", "description": f"place block {k}",
                                             "target": "stone", "count": 1} for k, s in enumerate(ids)],
             "edges": edges, "pruned": pruned}
    (d / "graph.json").write_text(json.dumps(graph))
    names = [f"agent_{k}" for k in range(agents)]
    clock = dict.fromkeys(names, 0.0)
    lines = []
    for n in range(actions):
        g = names[n % agents]
        ok = rng.random() > 0.02
        dur = rng.uniform(0.2, 2.0)
        ev: dict[str, Any] = {"type": "action", "t": round(clock[g], 3), "agent": g,
                              "subtask": ids[n * subtasks // actions], "action": {"name": "placeBlock", "x": n},
                              "ok": ok, "duration": round(dur, 3),
                              "message": "placed" if ok else "no block in the inventory"}
        if not ok:
            ev["refusal"] = "missing_item"
        lines.append(json.dumps(ev))
        clock[g] += dur + rng.uniform(0, 0.5)
    (d / "trace.jsonl").write_text("\n".join(lines) + "\n")
    makespan = max(clock.values())
    (d / "result.json").write_text(json.dumps({"task": "synthetic", "suite": "construction", "method": "causalmace",
                                               "agents": agents, "seed": seed, "completed": True, "completion": 1.0,
                                               "makespan_s": makespan, "lower_bound_s": makespan / 2,
                                               "makespan_over_bound": 2.0, "actions": actions,
                                               "llm": {"calls": 1, "prompt_tokens": 1, "completion_tokens": 1}}))
    return d


def _count(html: str, pattern: str) -> int:
    return len(re.findall(pattern, html))


# --------------------------------------------------------------------------- without a browser


def test_pav_keeps_order_and_gaps() -> None:
    # three boxes that all want y = 5 spread around it, 10 apart; the fourth stays where it wants to be
    assert _pav([5.0, 5.0, 5.0, 40.0], [10.0, 10.0, 10.0]) == pytest.approx([-5.0, 5.0, 15.0, 40.0])
    assert _pav([0.0, 30.0], [10.0]) == pytest.approx([0.0, 30.0])


@pytest.mark.parametrize("seed", range(5))
def test_layout_of_a_30_subtask_graph_has_no_overlapping_boxes(seed: int) -> None:
    rng = random.Random(seed)
    nodes = [f"subtask_with_a_long_name_{i}" for i in range(30)]
    edges = [(nodes[j], nodes[i]) for i in range(1, 30) for j in rng.sample(range(i), min(i, rng.randint(1, 3)))]
    edges += [(nodes[5], nodes[2])]  # a cycle, as a repair can make: drawn, but left out of the layering
    size = {n: (len(n) * 6.7 + 22, 34.0) for n in nodes}
    lay = layout(nodes, edges, size)
    boxes = list(lay.boxes.values())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y
            assert apart, (a, b)
    assert len(lay.routes) == len(edges)
    for k, (u, v) in enumerate(edges):
        if k not in lay.back:
            assert lay.boxes[u].layer < lay.boxes[v].layer
    assert lay.back


def test_run_report_draws_every_node_edge_and_action(runs: dict[str, Path]) -> None:
    for d in runs.values():
        html = (d / "report.html").read_text()
        graph = json.loads((d / "graph.json").read_text())
        events = [json.loads(x) for x in (d / "trace.jsonl").read_text().splitlines()]
        assert _count(html, r'<g class="node ') == len(graph["nodes"])
        assert _count(html, r'<g class="edge ') == len(graph["edges"]) + len(graph["pruned"])
        assert _count(html, r'<g class="edge pruned') == len(graph["pruned"])
        assert _count(html, r'<rect class="bar') == sum(e["type"] == "action" for e in events)
        agents = {e["agent"] for e in events if e["type"] == "action"}
        assert _count(html, r'<g class="row"') == len(agents)
        assert 'href="trace.jsonl"' in html


def test_a_standby_walk_is_drawn_and_says_what_it_heads_for(tmp_path: Path) -> None:
    d = _run(tmp_path, "villagerbench/escape", "escape_4r_1", "--agents", "3", "--method", "causalmace-measured",
             "--set", "llm.noise.spurious_edges=0", "--set", "llm.noise.missing_edges=0")
    events = [json.loads(x) for x in (d / "trace.jsonl").read_text().splitlines()]
    walks = [e for e in events if e["type"] == "standby"]
    assert walks
    html = (d / "report.html").read_text()
    assert _count(html, r'<rect class="bar') == sum(e["type"] in ("action", "standby") for e in events)
    m = build(load_run(d))
    assert sum(a.message.startswith("standing by for ") for a in m.actions) == len(walks)


def test_report_is_self_contained(runs: dict[str, Path], study: Path) -> None:
    for page in [*(d / "report.html" for d in runs.values()), study / "report.html"]:
        html = page.read_text()
        assert "<script src" not in html and "<link" not in html and "@import" not in html
        urls = set(re.findall(r"https?://[^\s\"')]+", html)) - {"http://www.w3.org/2000/svg"}
        assert not urls, urls


def test_reference_plan_fates_are_derived_from_the_counts(runs: dict[str, Path]) -> None:
    run = load_run(runs["farming"])
    m = build(run)
    g = run.result["graph"]
    pruned = [e for e in m.edges if e.fate == "pruned"]
    added = [e for e in m.edges if e.fate == "added"]
    assert g["spurious_pruned"] == len(pruned) and all(e.truth == "made up" for e in pruned)
    assert g["missing_found"] == len(added) and all(e.truth == "missing from the plan" for e in added)
    assert all(e.reason and e.revealed_by is not None for e in added)  # which refusal revealed it
    assert not m.actions[added[0].revealed_by].ok
    assert "made up" in m.truth_note


def test_critical_path_follows_the_final_graph(runs: dict[str, Path]) -> None:
    m = build(load_run(runs["farming"]))
    final = {(e.a, e.b) for e in m.edges if e.fate != "pruned"}
    assert m.critical and all(pair in final for pair in zip(m.critical, m.critical[1:], strict=False))
    assert m.critical_s == pytest.approx(sum(m.nodes[s].work for s in m.critical))
    assert m.critical_s <= m.makespan + 1e-6


def test_a_run_cut_short_still_reports(tmp_path: Path, runs: dict[str, Path]) -> None:
    d = tmp_path / "cut"
    d.mkdir()
    text = (runs["escape"] / "trace.jsonl").read_text()
    (d / "trace.jsonl").write_text(text[: len(text) * 2 // 3])  # no result, no graph, a half line at the end
    out = write_report(d)[0]
    html = out.read_text()
    assert "unreadable lines skipped" in html
    assert _count(html, r'<g class="node ') > 0


def test_a_huge_run_stays_small(tmp_path: Path) -> None:
    d = synthetic_run(tmp_path / "huge")
    out = write_report(d)[0]
    size = out.stat().st_size
    print(f"synthetic run, 200 subtasks, 20000 actions: report {size / 1e6:.2f} MB")
    assert size < 5_000_000
    assert _count(out.read_text(), r'<rect class="bar') <= MAX_BARS


def test_study_report_summarizes_and_links(study: Path) -> None:
    html = (study / "report.html").read_text()
    results = list(study.rglob("result.json"))
    assert _count(html, r'<svg class="chart"') == 4
    assert "± " in html
    assert _count(html, r"<tr>") - 2 >= len(results)  # a row per episode, below two header rows
    linked = re.findall(r'href="([^"]+/report\.html)"', html)
    assert linked and all((study / p).is_file() for p in linked)


def test_cli_report_and_flags(tmp_path: Path, runs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "elsewhere" / "farm.html"
    main(["report", str(runs["farming"]), "--out", str(out)])
    assert out.is_file() and str(out) in capsys.readouterr().out
    assert 'href="../../' in out.read_text()  # links back to the run's files, relative to the report
    with pytest.raises(SystemExit) as e:
        main(["report", str(tmp_path / "nothing")])
    assert e.value.code == 2
    main(["run", "villagerbench/escape", "--task", "escape_1r_0", "--out", str(tmp_path / "plain")])
    said = capsys.readouterr().out
    assert "causalmace report" in said and not (tmp_path / "plain" / "report.html").exists()


# --------------------------------------------------------------------------- in a browser


def _chromium() -> Path:
    """Debian's Chromium; installed when it is missing and apt-get can (as root), else the test is skipped."""
    if not CHROMIUM.exists() and shutil.which("apt-get") and os.geteuid() == 0:
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
            subprocess.run(cmd, capture_output=True, check=False)
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium and no way to install it (apt-get install chromium as root)")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Any:
    exe = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="the Python package playwright drives Chromium")
    with tempfile.TemporaryDirectory() as profile, sync_api.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(profile, executable_path=str(exe), headless=True,
                                                    args=[f for f in FLAGS if f != "--headless"],
                                                    viewport={"width": 1400, "height": 900})
        yield ctx
        ctx.close()


class Page:
    """A report opened in the browser, with every script error it raised."""

    def __init__(self, ctx: Any, path: Path) -> None:
        self.page = ctx.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        t0 = time.perf_counter()
        self.page.goto(path.resolve().as_uri(), wait_until="load")
        self.open_s = time.perf_counter() - t0

    def count(self, selector: str) -> int:
        return int(self.page.locator(selector).count())

    def hover_path(self, selector: str) -> bool:
        """Point at a spot on the first matching SVG path that the path itself receives."""
        spot = self.page.evaluate(
            """sel => { const p = document.querySelector(sel); if (!p) return null;
                p.scrollIntoView({block: 'center'}); const L = p.getTotalLength(), m = p.getScreenCTM();
                for (const f of [0.5, 0.35, 0.65, 0.25, 0.75, 0.15, 0.85]) {
                  const q = p.getPointAtLength(L * f), x = m.a * q.x + m.c * q.y + m.e, y = m.b * q.x + m.d * q.y + m.f;
                  const hit = document.elementFromPoint(x, y);
                  if (hit && (hit === p || p.parentNode.contains(hit))) return [x, y]; }
                return null; }""", selector)
        if spot is None:
            return False
        self.page.mouse.move(*spot)
        return True

    def clashes(self) -> list[int]:
        """Graph labels wider than their boxes, and pairs of boxes that overlap, as drawn."""
        return list(self.page.evaluate("""() => {
            const boxes = [...document.querySelectorAll('svg.graph g.node')].map(g => {
              const r = g.querySelector('rect').getBBox();
              const wide = Math.max(...[...g.querySelectorAll('text')].map(t => t.getBBox().x + t.getBBox().width));
              return {x: r.x, y: r.y, w: r.width, h: r.height, over: wide > r.x + r.width + 0.5}; });
            let overlap = 0;
            for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
              const a = boxes[i], b = boxes[j];
              if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) overlap++; }
            return [boxes.filter(b => b.over).length, overlap]; }"""))

    def tip(self) -> str:
        return str(self.page.locator("#tip").inner_text()) if self.page.locator("#tip").is_visible() else ""

    def close(self) -> None:
        self.page.close()


@pytest.mark.parametrize("kind", ["farming", "escape", "construction"])
def test_run_report_in_the_browser(browser: Any, runs: dict[str, Path], kind: str) -> None:
    d = runs[kind]
    graph = json.loads((d / "graph.json").read_text())
    events = [json.loads(x) for x in (d / "trace.jsonl").read_text().splitlines()]
    acts = [e for e in events if e["type"] == "action"]
    p = Page(browser, d / "report.html")
    try:
        assert p.count("svg.graph g.node") == len(graph["nodes"])
        assert p.count("svg.graph g.edge") == len(graph["edges"]) + len(graph["pruned"])
        assert p.count("svg.gantt g.row") == len({e["agent"] for e in acts})
        assert p.count("svg.gantt rect.bar") == len(acts)
        assert p.count("svg.gantt rect.bar.refused") == sum(not e["ok"] for e in acts)
        if graph["pruned"]:
            style = p.page.evaluate("""() => {
                const s = q => getComputedStyle(document.querySelector(q));
                const k = s('svg.graph g.edge.kept path.v'), r = s('svg.graph g.edge.pruned path.v');
                return [k.strokeDasharray, k.stroke, r.strokeDasharray, r.stroke]; }""")
            assert style[2] not in ("none", "") and style[0] in ("none", "")
            assert style[1] != style[3]
            assert p.hover_path("svg.graph g.edge.pruned path.hit")
            tip = p.tip()
            rec = graph["pruned"][0]
            assert "ATE" in tip and "pruned" in tip
            assert f"{rec['ate']:.2f}" in tip and rec["interventions"][0]["change"] in tip
        p.page.locator("svg.gantt rect.bar").first.hover(force=True)
        assert acts[0]["agent"] in p.tip()
        refused = [e for e in acts if not e["ok"]]
        if refused:
            p.page.locator("svg.gantt rect.bar.refused").first.hover(force=True)
            assert refused[0]["message"] in p.tip()
        p.page.locator("svg.graph g.node").first.hover(force=True)
        assert graph["nodes"][0]["id"] in p.tip()
        assert p.clashes() == [0, 0], "labels run out of their boxes, or boxes overlap"
        assert not p.errors, p.errors
        print(f"{kind}: opened in {p.open_s:.3f} s, {(d / 'report.html').stat().st_size / 1e3:.0f} kB")
    finally:
        p.close()


def test_study_report_in_the_browser(browser: Any, study: Path) -> None:
    p = Page(browser, study / "report.html")
    try:
        assert p.count("svg.chart") == 4
        assert p.count("table.episodes tbody tr") == len([r for r in study.rglob("result.json")])
        p.page.locator("svg.chart .barc").first.hover(force=True)
        assert "95 % CI" in p.tip()
        p.page.fill("input.filter", "escape")
        shown = p.page.evaluate("() => [...document.querySelectorAll('table.episodes tbody tr')]"
                                ".filter(r => r.style.display !== 'none').length")
        assert 0 < shown < p.count("table.episodes tbody tr")
        assert not p.errors, p.errors
    finally:
        p.close()


def test_huge_run_in_the_browser(browser: Any, tmp_path: Path) -> None:
    d = synthetic_run(tmp_path / "huge")
    out = write_report(d)[0]
    p = Page(browser, out)
    try:
        assert p.count("svg.graph g.node") == 200
        assert p.clashes() == [0, 0]
        assert p.count("svg.gantt g.row") == 6
        bars = p.count("svg.gantt rect.bar")
        assert 0 < bars <= MAX_BARS
        assert not p.errors, p.errors
        print(f"synthetic 200 subtasks, 20000 actions: {bars} bars, opened in {p.open_s:.3f} s, "
              f"{out.stat().st_size / 1e6:.2f} MB")
    finally:
        p.close()


def test_edges_kinds_counted(runs: dict[str, Path]) -> None:
    m = build(load_run(runs["construction"]))
    fates = Counter(e.fate for e in m.edges)
    g = json.loads((runs["construction"] / "graph.json").read_text())
    assert fates["pruned"] == len(g["pruned"]) and fates["kept"] + fates["added"] == len(g["edges"])


def test_llm_figures_per_agent_are_shown(tmp_path: Path, runs: dict[str, Path]) -> None:
    d = tmp_path / "llm"
    shutil.copytree(runs["farming"], d)
    result = json.loads((d / "result.json").read_text())
    result["llm_agents"] = {"Alice": {"calls": 7, "prompt_tokens": 1234, "completion_tokens": 56, "refused_calls": 2}}
    (d / "result.json").write_text(json.dumps(result))
    html = write_report(d)[0].read_text()
    assert "prompt tokens" in html and ">1234<" in html and "refused calls" in html
