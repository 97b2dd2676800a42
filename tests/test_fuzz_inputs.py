"""Property-based fuzzing of every reader of user input: the task loaders (construction, farming, escape,
from parsed data and from raw bytes) and the config readers (run configs, bench configs, ``--set``).

Random shapes, values and sizes, and random mutations of the shipped files, may only succeed or end in
a :class:`UserError` of one line. Each property runs at most 100 examples under a memory cap, so an
input that asks for unbounded memory fails the test at once instead of exhausting the machine.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from memcap import memory_cap

from causalmace.bench import load_bench, plan_jobs
from causalmace.config import apply_override, load_config
from causalmace.envs.villagerbench.construction import read_json
from causalmace.envs.villagerbench.suites import load_raw
from causalmace.errors import UserError
from causalmace.limits import MAX_AGENTS

ROOT = Path(__file__).parent.parent
DATA = ROOT / "envs" / "villagerbench" / "data"
EXPLORE = int(os.environ.get("CAUSALMACE_FUZZ_EXAMPLES", "0"))  # > 0: a longer, random search by hand
FUZZ = settings(max_examples=EXPLORE or 100, deadline=None, database=None, derandomize=not EXPLORE,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

# leaves that reach deep into the loaders: names they know, edge numbers, path tricks
SPECIAL = st.sampled_from([
    0, 1, -1, 2, 3, 9, 10, 600, 601, 10**9, -(10**9), 10**30, 2**63, 0.5, -0.0, 1e300, float("nan"),
    float("inf"), float("-inf"), True, False, None, "", "..", ".", "/", "a/../b", "cake", "chest", "lever",
    "dirt", "air", "summon_sheep", "egg", "gold_block", "block", "structure", "and", "or", "final",
    "x" * 2000, "\x00", "\n", "material: dirt facing: A position: [0, -60, 0]",
    "[material:dirt facing:A positions:[start:[0 -60 0] end:[3 -58 3]]]", [], {}, [0, 0, 0], [0, -60, 0],
    [float("nan"), 0, 0], [10**9, 0, 0], ["0", "0", "0"],
]).map(copy.deepcopy)  # a fresh copy each time: a loader or a mutation may change what it is given
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | SPECIAL)
JSON = st.recursive(SCALARS, lambda kids: st.lists(kids, max_size=5) | st.dictionaries(st.text(max_size=12), kids,
                                                                                       max_size=5), max_leaves=25)

_SHIPPED: dict[str, Any] = {}


def shipped(name: str) -> Any:
    if name not in _SHIPPED:
        _SHIPPED[name] = json.loads((DATA / name).read_text("utf-8"))
    return _SHIPPED[name]


def _paths(doc: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a document a mutation can touch."""
    out = [at]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*at, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*at, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, base: Callable[[], Any]) -> Any:
    """A valid document with a few places replaced, deleted or duplicated."""
    doc = copy.deepcopy(base())
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(doc)))
        if not path:
            doc = draw(JSON) if draw(st.integers(0, 9)) == 0 else doc
            continue
        parent = doc
        for p in path[:-1]:
            parent = parent[p]
        last = path[-1]
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "copy"]))
        if action == "replace":
            parent[last] = draw(JSON)
        elif action == "delete":
            del parent[last]
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
        else:
            parent[draw(st.text(max_size=8))] = copy.deepcopy(parent[last])
    return doc


def construction_line() -> st.SearchStrategy[str]:
    coord = st.integers(-(10**12), 10**12) | st.integers(-70, 330)
    triple = st.tuples(coord, coord, coord).map(lambda t: f"[{t[0]} {t[1]} {t[2]}]")
    return st.one_of(
        st.tuples(st.sampled_from(["dirt", "stone", "torch", "nosuch"]), coord, coord, coord).map(
            lambda t: f"material: {t[0]} facing: A position: [{t[1]}, {t[2]}, {t[3]}]"),
        st.tuples(triple, triple).map(lambda t: f"[material:dirt facing:A positions:[start:{t[0]} end:{t[1]}]]"),
        st.lists(triple, min_size=2, max_size=6).map(lambda ts: f"material: stone corners:[{' '.join(ts)}]"),
        st.text(alphabet="material:dirtfacngposl[]0123456789 -,", max_size=120),
    )


def ok_or_one_line(fn: Callable[[], Any]) -> None:
    """The only outcomes allowed: success, or a UserError of one line."""
    with memory_cap():
        try:
            fn()
        except UserError as e:
            text = str(e)
            assert text and "\n" not in text and len(text) < 2000, text


def first(n: int, name: str) -> Callable[[], Any]:
    def get() -> Any:
        data = shipped(name)
        return dict(list(data.items())[:n]) if isinstance(data, dict) else data[:n]

    return get


# --------------------------------------------------------------------------- task loaders


@FUZZ
@given(st.one_of(JSON, mutated(first(3, "construction/blueprint_description_all.json")),
                 st.dictionaries(st.sampled_from(["t", "task_1", "..", "a b"]),
                                 st.lists(construction_line(), max_size=4), max_size=3)))
def test_construction_loader(raw: Any) -> None:
    ok_or_one_line(lambda: load_raw("construction", raw, "fuzz.json"))


@FUZZ
@given(st.one_of(JSON, mutated(first(2, "farming/farm_setting.json"))))
def test_farming_loader(raw: Any) -> None:
    ok_or_one_line(lambda: load_raw("farming", raw, "fuzz.json"))


@FUZZ
@given(st.one_of(JSON, mutated(lambda: shipped("escape_room/escape_atom.json")),
                 mutated(first(3, "escape_room/escape_atom.json"))), st.integers(1, MAX_AGENTS))
def test_escape_loader(raw: Any, agents: int) -> None:
    ok_or_one_line(lambda: load_raw("escape", raw, "fuzz.json", agents))


@FUZZ
@given(st.sampled_from(["construction", "farming", "escape"]),
       st.one_of(st.binary(max_size=300), st.text(alphabet='[]{}",:0123456789.eE-NaIfinty \\ux\n', max_size=300),
                 st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),
                 st.integers(1, 3000).map(lambda n: '{"a":' * n + "1" + "}" * n)))
def test_task_files_as_bytes(tmp_path_factory: Any, suite: str, content: Any) -> None:
    f = tmp_path_factory.mktemp("fuzz") / "tasks.json"
    if isinstance(content, bytes):
        f.write_bytes(content)
    else:
        f.write_text(content, encoding="utf-8")
    ok_or_one_line(lambda: load_raw(suite, read_json(f), str(f)))


# --------------------------------------------------------------------------- config readers


def run_config() -> dict[str, Any]:
    return {"env": "craftworld/VillagerBench-Farming-v0", "task": "cake_0", "agents": 2, "seed": 0,
            "env_options": {"think_time": 1.0}, "method": "m", "llm": {"provider": "symbolic", "noise": {
                "spurious_edges": 0.3}}, "refiner": {"enabled": True, "threshold": 0.5, "samples": 3},
            "scheduler": {"type": "busy_rate"}, "workers": {"backend": "local", "max_steps": 8},
            "limits": {"max_actions": 1000, "max_time_s": 100.0}}


@st.composite
def alias_bomb(draw: st.DrawFn) -> str:
    width, depth = draw(st.integers(2, 12)), draw(st.integers(1, 10))
    lines = ["x0: &x0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * width) + "]" for i in range(1, depth)]
    key = draw(st.sampled_from(["agents", "env_options", "task", "llm"]))
    return "pad:\n" + "".join(f"  {line}\n" for line in lines) + f"{key}: *x{depth - 1}\n"


YAML_TEXT = st.one_of(
    mutated(run_config).map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
    JSON.map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
    st.text(alphabet=":-[]{}&*!|>'\"#%@`?,.\n abc0123xyz\t", max_size=200),
    alias_bomb(),
    st.just("a: &a [*a]\n"),
    st.integers(1, 3000).map(lambda n: "a: " + "[" * n + "]" * n + "\n"),
    st.sampled_from(["!!python/object/apply:os.system ['true']\n", "a: !!binary aGVsbG8=\n", "a: !!set {x, y}\n",
                     "a: 2001-12-14\n", "? [a, b]\n: c\n", "<<: {a: 1}\n", "--- a\n--- b\n", "\ufeffa: 1\n"]),
)


@FUZZ
@given(YAML_TEXT, st.lists(st.text(max_size=30), max_size=2))
def test_run_config_reader(tmp_path_factory: Any, text: str, sets: list[str]) -> None:
    f = tmp_path_factory.mktemp("cfg") / "run.yaml"
    f.write_text(text, encoding="utf-8")
    ok_or_one_line(lambda: load_config(f, sets))


@FUZZ
@given(YAML_TEXT)
def test_config_as_raw_bytes(tmp_path_factory: Any, text: str) -> None:
    f = tmp_path_factory.mktemp("cfg") / "run.yaml"
    f.write_bytes(text.encode("utf-8", "surrogatepass")[:150] + b"\xff\xfe" + text.encode("utf-8", "ignore"))
    ok_or_one_line(lambda: load_config(f))


def bench_config() -> dict[str, Any]:
    return {"methods": ["alpha"], "suites": {"farming": "suites/farming.yaml"}, "agents": [2], "noise": [0.0],
            "seeds": 1, "tasks": 1, "jobs": 1, "methods_dir": "methods", "set": ["seed=0"]}


@FUZZ
@given(st.one_of(mutated(bench_config).map(yaml.safe_dump), YAML_TEXT),
       st.one_of(mutated(run_config).map(yaml.safe_dump), st.just("env: craftworld/VillagerBench-Farming-v0\n")))
def test_bench_config_reader(tmp_path_factory: Any, text: str, suite: str) -> None:
    d = tmp_path_factory.mktemp("bench")
    (d / "methods").mkdir()
    (d / "methods" / "alpha.yaml").write_text("method: alpha\n")
    (d / "suites").mkdir()
    (d / "suites" / "farming.yaml").write_text(suite)
    (d / "bench.yaml").write_text(text, encoding="utf-8")
    ok_or_one_line(lambda: plan_jobs(load_bench(d / "bench.yaml")))


@FUZZ
@given(st.text(max_size=60), st.text(max_size=60))
def test_set_overrides(key: str, value: str) -> None:
    ok_or_one_line(lambda: apply_override(run_config(), f"{key}={value}"))
