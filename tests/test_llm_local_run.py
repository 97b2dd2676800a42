"""A whole run on the shipped local model (SmolLM2-135M behind llama.cpp's server), recorded, then replayed.

A model this small plans and acts poorly: what is checked is that the framework survives it. The run
ends with a result (completed or not) and a trace, no traceback, within a bounded number of calls; bad
plans are repaired or refused and bad actions refused. The recording then replays without the model,
to the same trace and result. Figures (score, calls, tokens, wall time) are printed (run with ``-s``)
and attached as test properties.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from causalmace.config import read_yaml
from causalmace.llm.local import missing_packages

pytestmark = pytest.mark.local_llm

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "configs" / "llm" / "local-farming.yaml"
WALL_CLOCK = ("wall_s", "refiner_wall_s")
RUN_TIMEOUT_S = 1200  # a hang fails the test instead of holding it forever


def comparable(value: Any) -> Any:
    """A trace event or result without what a replay cannot reproduce: wall-clock times, and the cache hits
    that replaying adds by definition (every replayed answer is one)."""
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items() if k not in (*WALL_CLOCK, "cache_hits")}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    return value


def run(config: Path, out: Path, *sets: str) -> tuple[dict[str, Any], list[dict[str, Any]], float, str]:
    args = [sys.executable, "-m", "causalmace.cli", "run", str(config), "--out", str(out)]
    for s in sets:
        args += ["--set", s]
    t0 = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, cwd=ROOT)
    wall = time.perf_counter() - t0
    assert done.returncode in (0, 1), done.stderr  # 1: ran to the end, not completed
    assert "Traceback" not in done.stderr + done.stdout and "internal error" not in done.stderr, done.stderr
    result = json.loads((out / "result.json").read_text())
    trace = [json.loads(line) for line in (out / "trace.jsonl").read_text().splitlines()]
    return result, trace, wall, done.stderr


def test_local_model_run_and_replay(tmp_path: Path, record_property: Callable[[str, Any], None]) -> None:
    missing = missing_packages()
    if missing:
        pytest.skip(f"the local model needs {', '.join(missing)}: pip install '.[local]'")
    cfg = read_yaml(CONFIG)
    cache = tmp_path / "llm-cache"

    result, trace, wall, _ = run(CONFIG, tmp_path / "recorded", f"llm.cache_dir={cache}")
    u = result["llm"]
    nodes, steps = result["graph"]["nodes"], cfg["workers"]["max_steps"]
    agent_calls = sum(a["calls"] for a in result["llm_agents"].values())
    print(f"\nlocal model: completion {result['completion']} (completed: {result['completed']}), "
          f"{u['calls']} calls ({agent_calls} by the agents), {u['prompt_tokens']} + {u['completion_tokens']} tokens, "
          f"{u['retries']} retries, {u['reformats']} reformats, {u['failures']} failures, "
          f"refused tool calls {[a['refused_tool_calls'] for a in result['llm_agents'].values()]}, "
          f"{result['actions']} actions, {wall:.0f} s")
    for k, v in {"completion": result["completion"], "calls": u["calls"], "prompt_tokens": u["prompt_tokens"],
                 "completion_tokens": u["completion_tokens"], "wall_s": round(wall, 1)}.items():
        record_property(k, v)
    assert result["task"] == cfg["task"] and 0 <= result["completion"] <= 1  # "no_plan" is a result too
    assert result["stopped"] in ("finished", "no_plan", "deadlock", "actions", "time")
    assert {e["type"] for e in trace} >= {"plan", "refiner", "score"} and trace[-1]["type"] == "score"
    assert result["actions"] <= cfg["limits"]["max_actions"]
    bound = 1 + cfg["llm"]["max_reformats"]  # answers one call may take
    assert agent_calls <= nodes * cfg["limits"]["max_attempts"] * steps * bound
    questions = result["refiner"]["interventions"] + 2 * result["graph"]["edges_initial"]  # each edge judged <= twice
    assert u["calls"] - agent_calls <= bound * (3 + cfg["refiner"]["samples"] * questions)  # 3 tries at a plan
    assert u["calls"] > 0 and u["cache_hits"] == 0 and any(cache.glob("*.json"))

    replay = json.dumps({"provider": "replay", "cache_dir": str(cache)})  # the whole section, not one key
    again, again_trace, replay_wall, _ = run(CONFIG, tmp_path / "replayed", f"llm={replay}", f"workers.llm={replay}")
    print(f"replayed in {replay_wall:.1f} s")
    record_property("replay_wall_s", round(replay_wall, 1))
    if u["failures"]:  # a recording holds answers, not failures: those calls replay as misses
        assert again["llm"]["failures"] >= 1
        pytest.skip(f"the recording has {u['failures']} failed call(s), which a replay cannot reproduce")
    assert comparable(again_trace) == comparable(trace)
    assert comparable(again) == comparable(result)
    assert again["llm"]["cache_hits"] == again["llm"]["calls"] - again["llm"]["reformats"]
