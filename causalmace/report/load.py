"""Reading what a run or a study left on disk. Only the files: a report never needs the env or its agents.

Every file is optional except that a run needs result.json, trace.jsonl or graph.json; a trace cut off
mid-line (a run that was stopped) is read up to its last whole line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from causalmace.errors import UserError

CONFIG_NAMES = ("config.yaml", "config.yml", "config.json", "run.yaml")


@dataclass
class Run:
    """One episode's files."""

    dir: Path
    result: dict[str, Any]
    graph: dict[str, Any] | None
    events: list[dict[str, Any]]
    config_text: str | None = None
    config_source: str = ""
    bad_lines: int = 0

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("type") == kind]


@dataclass
class Study:
    """A study's episodes (result.json each, with its ``bench`` coordinates) and where each one lives."""

    dir: Path
    results: list[dict[str, Any]]
    dirs: list[Path]
    errors: list[Path] = field(default_factory=list)


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_trace(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The trace's events and how many lines could not be read."""
    events, bad = [], 0
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return [], 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            e = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if isinstance(e, dict):
            events.append(e)
    return events, bad


def _config(d: Path, result: dict[str, Any]) -> tuple[str | None, str]:
    """The config that produced the run: a file beside it, else the copy a study stores in result.json."""
    for name in CONFIG_NAMES:
        p = d / name
        if p.is_file():
            return p.read_text(encoding="utf-8", errors="replace"), name
    if isinstance(result.get("config"), dict):
        return json.dumps(result["config"], indent=1, sort_keys=True), "result.json (config)"
    return None, ""


def is_run(d: Path) -> bool:
    return any((d / n).is_file() for n in ("result.json", "trace.jsonl", "graph.json"))


def load_run(d: Path) -> Run:
    """Read a run directory; a UserError when it holds none of the run's files."""
    d = Path(d)
    if not is_run(d):
        raise UserError("not a run directory", file=str(d), expected="result.json, trace.jsonl or graph.json in it")
    result = _json(d / "result.json")
    events, bad = read_trace(d / "trace.jsonl")
    if not isinstance(result, dict):  # a run that stopped early: its score line, if any, is the result
        scores = [e for e in events if e.get("type") == "score"]
        result = {k: v for k, v in scores[-1].items() if k not in ("type", "t")} if scores else {}
    graph = _json(d / "graph.json")
    text, source = _config(d, result)
    return Run(d, result, graph if isinstance(graph, dict) else None, events, text, source, bad)


def is_study(d: Path) -> bool:
    """A study directory: a summary, or episode results below it but none of its own."""
    d = Path(d)
    if (d / "summary.csv").is_file():
        return True
    return not is_run(d) and next(d.rglob("result.json"), None) is not None


def load_study(d: Path) -> Study:
    d = Path(d)
    results, dirs, errors = [], [], []
    for p in sorted(d.rglob("result.json")):
        if p.parent == d:
            continue
        r = _json(p)
        if isinstance(r, dict):
            results.append(r)
            dirs.append(p.parent)
    errors = sorted(p.parent for p in d.rglob("error.txt"))
    if not results and not errors:
        raise UserError("no episodes found", file=str(d), expected="a directory written by 'causalmace bench'")
    return Study(d, results, dirs, errors)
