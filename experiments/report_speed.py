"""How fast the HTML report of the largest construction run opens, and how big it is.

    python3 experiments/report_speed.py [--task task_84] [--scan] [--repeat 5] [--screenshots docs/img]

Runs the construction task (by default task_84: with 3 agents the suite's run with the most subtasks, 33,
and the most actions, 197; ``--scan`` runs every construction task and takes the one with the most actions),
writes its report, and opens it in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)
``--repeat`` times in fresh pages. Prints the report's size, the time to write it, and the time until the
browser's load event (wall clock of the navigation, and the page's own navigation timing).
``--screenshots DIR`` also writes the PNGs the README shows: a farming run, an escape run, this
construction run, and a small study.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # and --headless, which Playwright adds
ROOT = Path(__file__).resolve().parents[1]


def run(config: str, task: str, out: Path) -> Path:
    subprocess.run([sys.executable, "-m", "causalmace.cli", "run", config, "--task", task, "--out", str(out)],
                   check=False, capture_output=True)
    if not (out / "result.json").is_file():
        raise SystemExit(f"report_speed: the run of {task} wrote no result.json")
    return out


def biggest(tmp: Path) -> str:
    """The construction task whose run takes the most actions."""
    ids = json.loads(subprocess.run([sys.executable, "-m", "causalmace.cli", "tasks", "list", "--suite",
                                     "construction", "--json"], check=True, capture_output=True, text=True).stdout)
    sizes = {}
    for t in ids:
        d = run("villagerbench/construction", t["id"], tmp / "scan" / t["id"])
        sizes[t["id"]] = json.loads((d / "result.json").read_text())["actions"]
    return max(sizes, key=sizes.__getitem__)


def browser(pw: Any, profile: str) -> Any:
    return pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=FLAGS,
                                                 viewport={"width": 1400, "height": 900})


def open_times(ctx: Any, page_path: Path, repeat: int) -> tuple[list[float], list[float], list[str]]:
    wall, nav, errors = [], [], []
    for _ in range(repeat):
        page = ctx.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        t0 = time.perf_counter()
        page.goto(page_path.resolve().as_uri(), wait_until="load")
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")  # painted
        wall.append(time.perf_counter() - t0)
        nav.append(page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd") / 1000)
        page.close()
    return wall, nav, errors


def shoot(ctx: Any, page_path: Path, png: Path, width: int = 1400, max_h: int | None = None) -> None:
    page = ctx.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(page_path.resolve().as_uri(), wait_until="load")
    h = int(page.evaluate("() => document.documentElement.scrollHeight"))
    clip = {"x": 0, "y": 0, "width": width, "height": min(h, max_h or h)}
    page.screenshot(path=str(png), full_page=True, clip=clip)
    page.close()
    print(f"wrote {png}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", default="task_84")
    ap.add_argument("--scan", action="store_true", help="run every construction task and take the biggest")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--screenshots", type=Path, help="also write report_*.png into this folder")
    args = ap.parse_args()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit("report_speed: needs the Python package playwright (pip install playwright)") from None
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"report_speed: no {CHROMIUM} (apt-get install chromium)")
    sys.path.insert(0, str(ROOT))
    from causalmace.report import write_report

    with tempfile.TemporaryDirectory() as tmp_s, tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        tmp = Path(tmp_s)
        task = biggest(tmp) if args.scan else args.task
        d = run("villagerbench/construction", task, tmp / task)
        result = json.loads((d / "result.json").read_text())
        graph = json.loads((d / "graph.json").read_text())
        t0 = time.perf_counter()
        page_path = write_report(d)[0]
        write_s = time.perf_counter() - t0
        ctx = browser(pw, profile)
        wall, nav, errors = open_times(ctx, page_path, args.repeat)
        size = page_path.stat().st_size
        print(f"construction {task}: {len(graph['nodes'])} subtasks, {len(graph['edges']) + len(graph['pruned'])} "
              f"edges, {result['actions']} actions, {result['agents']} agents")
        print(f"report size           {size / 1e6:.3f} MB (limit 5 MB)")
        print(f"written in            {write_s:.3f} s")
        print(f"opened (to load+paint) median {statistics.median(wall):.3f} s, max {max(wall):.3f} s "
              f"over {args.repeat} fresh pages (limit 2 s)")
        print(f"navigation loadEventEnd median {statistics.median(nav):.3f} s, max {max(nav):.3f} s")
        print(f"script errors         {len(errors)}")
        if args.screenshots:
            out = args.screenshots
            out.mkdir(parents=True, exist_ok=True)
            farm = run("villagerbench/farming", "rabbit_stew_63", tmp / "farming")
            esc = run("villagerbench/escape", "escape_4r_0", tmp / "escape")
            shoot(ctx, write_report(farm)[0], out / "report_farming.png", width=1600)
            shoot(ctx, write_report(esc)[0], out / "report_escape.png", width=1600)
            shoot(ctx, page_path, out / "report_construction.png", width=1900, max_h=1100)
            study = tmp / "study"
            bench = ROOT / "configs/bench/villagerbench.yaml"
            subprocess.run([sys.executable, "-m", "causalmace.cli", "bench", str(bench), "--tasks", "2", "--out",
                            str(study)], check=False, capture_output=True)
            shoot(ctx, write_report(study)[0], out / "report_study.png", max_h=2300)
        ctx.close()
        if errors or size >= 5_000_000 or max(wall) >= 2.0:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
