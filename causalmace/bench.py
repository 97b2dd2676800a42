"""Studies over many episodes: methods × suites × tasks × team sizes × planner noise × seeds.

A bench YAML names the methods (each a file ``<methods_dir>/<name>.yaml``), the suites (each a run
config), and the values to sweep. Every episode is one job with a stable id that is also its output
directory, so results stream to disk as they finish and an interrupted study resumes where it stopped.
The summary gives each method × suite × agents × noise cell a mean and a 95 % confidence interval over
tasks and seeds, because single-run differences between methods are mostly noise.

Each result stores a fingerprint of the config it was computed under; ``--resume`` keeps only results
whose fingerprint matches the job's, so a study never mixes results of an older config. One study at a
time writes a results directory (a lock file holds its pid).
"""

from __future__ import annotations

import contextlib
import copy
import csv
import hashlib
import io
import itertools
import json
import math
import signal
import statistics
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from causalmace import limits, optimum, registry
from causalmace.config import (
    Layer,
    RunConfig,
    apply_override,
    check_kinds,
    check_scheduler_options,
    load_mapping,
    merge,
    read_yaml,
    validation_error,
    yaml_layers,
)
from causalmace.errors import UserError
from causalmace.inputs import clip
from causalmace.outdir import locked, make_dir, write_atomic

NAME = r"^[A-Za-z0-9_.-]{1,100}$"  # one path segment of a job id (. and .. are refused on their own)

# Two-sided 95 % critical values of Student's t for 1..30 degrees of freedom.
T975 = (12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
        2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
        2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272)

# Summary metrics: name -> how to read it from a result (None: not defined for this run, left out).
METRICS: dict[str, Callable[[dict[str, Any]], float | None]] = {
    "completion": lambda r: r["completion"],
    "efficiency": lambda r: r["efficiency"],
    "efficiency_uncapped": lambda r: r.get("efficiency_uncapped"),
    "balance": lambda r: r["balance"],
    "makespan_over_bound": lambda r: r.get("makespan_over_bound"),
    "makespan_over_opt": lambda r: r.get("makespan_over_opt"),  # where CP-SAT proved it (causalmace.optimum)
    "llm_calls": lambda r: r["llm"]["calls"],
    "tokens": lambda r: r["llm"]["prompt_tokens"] + r["llm"]["completion_tokens"],
    # what the refiner's checks cost: trial runs and simulated seconds in copies (simulate), or LLM calls (llm)
    "refiner_trials": lambda r: _cost(r, "simulate").get("trial_runs"),
    "refiner_sim_s": lambda r: _cost(r, "simulate").get("simulated_s"),
    "refiner_calls": lambda r: _cost(r, "llm").get("calls"),
    # with refiner.verify: how the LLM's counterfactual answers compare with simulation's
    "llm_agree": lambda r: _verify(r).get("accuracy"),
    "wrongly_pruned": lambda r: _verify(r).get("wrongly_pruned"),
    "made_up_kept": lambda r: _verify(r).get("made_up_kept"),
    # planner noise beyond edges (the subtasks axis): how much was injected and what caught it
    "missing_subtasks": lambda r: _plan_noise(r, "missing_subtasks", "injected"),
    "missing_recovered": lambda r: _plan_noise(r, "missing_subtasks", "recovered"),
    "wrong_counts": lambda r: _plan_noise(r, "wrong_counts", "injected"),
    "wrong_repaired": lambda r: _plan_noise(r, "wrong_counts", "repaired"),
    "made_up_subtasks": lambda r: _plan_noise(r, "made_up_subtasks", "injected"),
    "made_up_abandoned": lambda r: _plan_noise(r, "made_up_subtasks", "abandoned"),
}
LABELS = {"completion": "completion", "efficiency": "efficiency", "efficiency_uncapped": "efficiency uncapped",
          "balance": "balance",
          "makespan_over_bound": "makespan / bound", "makespan_over_opt": "makespan / OPT",
          "llm_calls": "LLM calls", "tokens": "tokens",
          "refiner_trials": "refiner trial runs", "refiner_sim_s": "refiner s in copies",
          "refiner_calls": "refiner LLM calls", "llm_agree": "LLM agrees with simulate",
          "wrongly_pruned": "edges wrongly pruned", "made_up_kept": "made-up edges kept",
          "missing_subtasks": "subtasks left out", "missing_recovered": "put back by goal check",
          "wrong_counts": "wrong counts", "wrong_repaired": "topped up by Judger",
          "made_up_subtasks": "made-up subtasks", "made_up_abandoned": "made-up stopped by Judger"}
DIGITS = {"completion": 3, "efficiency": 2, "efficiency_uncapped": 2,
          "balance": 3, "makespan_over_bound": 2, "makespan_over_opt": 3, "llm_calls": 1, "tokens": 0,
          "refiner_trials": 0, "refiner_sim_s": 0, "refiner_calls": 0, "llm_agree": 3, "wrongly_pruned": 2,
          "made_up_kept": 2, "missing_subtasks": 2, "missing_recovered": 2, "wrong_counts": 2,
          "wrong_repaired": 2, "made_up_subtasks": 2, "made_up_abandoned": 2}
GROUP = ("method", "suite", "agents", "noise", "subtasks", "estimator", "flip")
Executor = Callable[[Callable[["Job"], dict[str, Any]], Iterable["Job"]], Iterator[dict[str, Any]]]


# --------------------------------------------------------------------------- statistics


Z975 = 1.959963984540054


def t_critical(df: int) -> float:
    """Two-sided 95 % Student's t critical value, one rule whatever is installed: the exact table up to
    30 degrees of freedom, then the Cornish-Fisher expansion (Abramowitz & Stegun 26.7.5), which is
    within 1e-5 of the exact value past 30."""
    if df < 1:
        return math.nan
    if df <= len(T975):
        return T975[df - 1]
    z, v = Z975, float(df)
    return (z + (z**3 + z) / (4 * v) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
            + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * v**4))


def mean_ci(values: Sequence[float]) -> tuple[float, float]:
    """Mean and half width of its 95 % t confidence interval; one value has width 0, none gives NaNs."""
    n = len(values)
    if n == 0:
        return math.nan, math.nan
    mean = statistics.fmean(values)
    if n == 1:
        return mean, 0.0
    return mean, t_critical(n - 1) * statistics.stdev(values) / math.sqrt(n)


# --------------------------------------------------------------------------- config


class BenchConfig(BaseModel):
    """What to sweep; paths are relative to the bench YAML so a study can be moved as a folder."""

    model_config = ConfigDict(extra="forbid")
    methods: list[Annotated[str, Field(pattern=NAME)]] = Field(min_length=1)
    suites: dict[Annotated[str, Field(pattern=NAME)], str] = Field(min_length=1)
    agents: list[Annotated[int, Field(ge=1, le=limits.MAX_AGENTS)]] = Field(default_factory=lambda: [3], min_length=1)
    noise: list[Annotated[float, Field(ge=0, le=3)]] = Field(default_factory=lambda: [0.0], min_length=1)
    estimators: list[Literal["simulate", "llm"]] = Field(default_factory=list)  # empty: as each method says
    answer_flip: list[Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=lambda: [0.0], min_length=1)
    # planner noise beyond edges: v sets llm.noise.missing_subtasks, wrong_counts and made_up_subtasks to v
    subtask_noise: list[Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=lambda: [0.0], min_length=1)
    set: list[str] = Field(default_factory=list)  # key.path=value applied to every run, as run's --set
    opt: bool = False  # makespan / OPT per episode (needs ortools; up to 1 s of CP-SAT on 4 threads each)
    seeds: int = Field(1, ge=1, le=limits.MAX_SEEDS)
    tasks: int | str = "all"
    jobs: int = Field(2, ge=1, le=limits.MAX_PARALLEL)
    methods_dir: str = "../methods"
    _path: Path = PrivateAttr(default_factory=lambda: Path("bench.yaml").resolve())

    @field_validator("methods", "suites")
    @classmethod
    def _not_dots(cls, v: Any) -> Any:
        """``.`` and ``..`` match NAME but would put a job's results outside the results directory."""
        if any(name in (".", "..") for name in v):
            raise ValueError("'.' and '..' are not names")
        return v

    @field_validator("tasks", mode="before")
    @classmethod
    def _tasks(cls, v: Any) -> int | str:
        if v == "all":
            return "all"
        if isinstance(v, int) and not isinstance(v, bool) and v >= 1:
            return v
        if isinstance(v, str) and v.isdigit() and int(v) >= 1:
            return int(v)
        raise ValueError("must be 'all' or a positive number of tasks per suite")

    @property
    def path(self) -> Path:
        return self._path

    def resolve(self, rel: str) -> Path:
        return (self._path.parent / rel).resolve()


OPTION = {"methods": "--methods", "suites": "--suites", "agents": "--agents", "noise": "--noise",
          "seeds": "--seeds", "tasks": "--tasks", "jobs": "--jobs", "estimators": "--estimators",
          "answer_flip": "--answer-flip", "subtask_noise": "--subtask-noise", "opt": "--opt"}


def _validate(data: dict[str, Any], path: Path | None) -> BenchConfig:
    try:
        return BenchConfig.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = [str(x) for x in err["loc"]]
        if path is None and loc:  # a command-line value: name the option
            loc[0] = OPTION.get(loc[0], loc[0])
        key = ".".join(loc) or None
        expected = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            expected = f"one of {', '.join(BenchConfig.model_fields)}; this one is unknown"
        message = "missing" if err["type"] == "missing" else f"invalid value {clip(err.get('input'))}"
        raise UserError(message, file=str(path) if path else None, key=key, expected=expected) from None


def load_bench(path: str | Path) -> BenchConfig:
    """Read and validate a bench YAML; every error names the file and the key."""
    path = Path(path).resolve()
    data = read_yaml(path)  # a bench file may include others, as run configs do
    bench = _validate(data, path)
    bench._path = path
    return bench


def with_overrides(bench: BenchConfig, **overrides: Any) -> BenchConfig:
    """Command-line values replace the YAML's; ``suites`` picks a subset of the YAML's suites by name."""
    data = bench.model_dump()
    for k, v in overrides.items():
        if v is None:
            continue
        if k == "suites":
            unknown = [s for s in v if s not in bench.suites]
            if unknown:
                raise UserError(f"unknown suite {unknown[0]!r}", key="--suites",
                                expected=f"one of {', '.join(bench.suites)} (from {bench.path.name})")
            v = {s: bench.suites[s] for s in v}
        elif k not in OPTION:
            raise TypeError(f"unknown bench override {k!r}")
        data[k] = v
    out = _validate(data, None)
    out._path = bench.path
    return out


# --------------------------------------------------------------------------- jobs


@dataclass(frozen=True)
class Job:
    """One episode of the study; ``id`` is stable across runs and names its output directory."""

    id: str
    method: str
    suite: str
    task: str
    agents: int
    noise: float
    seed: int
    config: dict[str, Any] = field(compare=False, hash=False, repr=False)
    estimator: str = ""
    flip: float = 0.0
    subtasks: float = 0.0
    opt: bool = False  # also prove the optimum with CP-SAT for a makespan / OPT column (costs CPU)

    @property
    def fingerprint(self) -> str:
        """A hash of the job's effective config: a result computed under another config is not this job's."""
        data = {**self.config, "bench.opt": True} if self.opt else self.config
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def meta(self) -> dict[str, Any]:
        return {"id": self.id, "method": self.method, "suite": self.suite, "task": self.task,
                "agents": self.agents, "noise": self.noise, "seed": self.seed, "estimator": self.estimator,
                "flip": self.flip, "subtasks": self.subtasks}


def job_id(suite: str, task: str, method: str, agents: int, noise: float, seed: int, estimator: str | None = None,
           flip: float = 0.0, subtasks: float = 0.0) -> str:
    """Stable ids; the estimator, answer-flip and subtask-noise axes appear only when a study sweeps them."""
    tail = (f"/e{estimator}" if estimator else "") + (f"/f{flip:g}" if flip else "") + (
        f"/p{subtasks:g}" if subtasks else "")
    return f"{suite}/{task}/{method}/a{agents}/n{noise:g}/s{seed}{tail}"


def _cost(r: dict[str, Any], estimator: str) -> dict[str, Any]:
    """The refiner's cost in a run of ``estimator``; nothing spent (zeros) where it had no edge to check."""
    if r.get("bench", {}).get("estimator") != estimator:
        return {}
    return (r.get("refiner") or {}).get("cost") or {"trial_runs": 0, "simulated_s": 0.0, "calls": 0}


def _plan_noise(r: dict[str, Any], kind: str, what: str) -> float | None:
    """A planner-noise figure of a run on the subtasks axis (left out of runs without that noise)."""
    if not r.get("bench", {}).get("subtasks"):
        return None
    return ((r.get("plan_noise") or {}).get(kind) or {}).get(what, 0)


def _verify(r: dict[str, Any]) -> dict[str, Any]:
    return (r.get("refiner") or {}).get("verify") or {}


def _estimator(config: dict[str, Any]) -> str:
    refiner = config.get("refiner", {})
    return str(refiner.get("estimator", "")) if refiner.get("enabled", True) else "off"


def _unique(xs: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(xs))


def method_config(bench: BenchConfig, suite: str, method: str) -> tuple[dict[str, Any], Path]:
    """The suite's run config with the method file merged over it (the suite's own ``include:`` is
    dropped: the method file takes its place)."""
    suite_path, method_path = _paths(bench, suite, method)
    base = load_mapping(suite_path)
    base.pop("include", None)
    return merge(base, read_yaml(method_path)), method_path


def _paths(bench: BenchConfig, suite: str, method: str) -> tuple[Path, Path]:
    suite_path = bench.resolve(bench.suites[suite])
    if not suite_path.is_file():
        raise UserError(f"suite file {suite_path} not found", file=str(bench.path), key=f"suites.{suite}",
                        expected="a run config path relative to the bench file")
    method_path = bench.resolve(bench.methods_dir) / f"{method}.yaml"
    if not method_path.is_file():
        raise UserError(f"no method file {method_path}", file=str(bench.path), key="methods",
                        expected=f"a file <methods_dir>/{method}.yaml")
    return suite_path, method_path


def _layers(bench: BenchConfig, suite: str, method: str) -> list[Layer]:
    """Where a job's keys come from, highest precedence first: the bench's ``set``, the method, the suite."""
    suite_path, method_path = _paths(bench, suite, method)
    sets: dict[str, Any] = {}
    for assignment in bench.set:
        apply_override(sets, assignment)
    suite_keys = load_mapping(suite_path)
    suite_keys.pop("include", None)
    return [(str(bench.path), " (given in its set:)", sets), *((f, "", d) for f, d in yaml_layers(method_path)),
            (str(suite_path), "", suite_keys)]


def _run_config(data: dict[str, Any], bench: BenchConfig, suite: str, method: str,
                check: bool = False) -> dict[str, Any]:
    """A job's config, validated; with ``check`` also every kind it names and its scheduler options (once
    per method and suite: the axes a study sweeps change neither)."""
    try:
        cfg = RunConfig.model_validate(data)
    except ValidationError as e:
        raise validation_error(e, _layers(bench, suite, method), ("symbolic", "openai", "local", "replay",
                                                                  "plugin")) from None
    if check:
        layers = lambda: _layers(bench, suite, method)  # noqa: E731 - read again only when a key is wrong
        check_kinds(cfg, bench.path, layers)
        check_scheduler_options(cfg, bench.path, layers)
    return cfg.model_dump(mode="json")


def _check_id(jid: str, bench: BenchConfig, suite: str) -> str:
    """A job id is a relative path of plain names, so its results stay inside the results directory."""
    parts = jid.split("/")
    if any(p in ("", ".", "..") or not all(c.isalnum() or c in "_.-" for c in p) for p in parts):
        raise UserError(f"job id {clip(jid)} is not a path of plain names", file=str(bench.path),
                        key=f"suites.{suite}", expected="task ids of letters, digits, '_', '.' and '-'")
    return jid


def plan_jobs(bench: BenchConfig, **overrides: Any) -> list[Job]:
    """The cross product methods × suites × agents × noise × tasks × seeds, in that nesting order.

    ``overrides`` are command-line values (see :func:`with_overrides`). A planner noise ``v`` sets
    ``llm.noise.spurious_edges = v`` and ``llm.noise.missing_edges = v / 3``.
    """
    bench = with_overrides(bench, **overrides)
    jobs: list[Job] = []
    task_cache: dict[tuple[str, int], list[str]] = {}
    bases: dict[tuple[str, str], dict[str, Any]] = {}
    axes = [(noise, est, flip, sub) for noise, est, flip, sub in itertools.product(
        _unique(float(v) for v in bench.noise), bench.estimators or [None], _unique(bench.answer_flip),
        _unique(float(v) for v in bench.subtask_noise))
        if not (est == "simulate" and flip)]  # wrong answers are the LLM's; a simulation has none to flip
    total = 0
    for method in _unique(bench.methods):  # count first: a sweep too large to hold is refused, not built
        for suite in bench.suites:
            bases[(method, suite)] = base = method_config(bench, suite, method)[0]
            given = copy.deepcopy(base)
            for assignment in bench.set:
                apply_override(given, assignment)
            env = _run_config(given, bench, suite, method, check=True)["env"]  # before any job is built
            for agents in _unique(bench.agents):
                if (env, agents) not in task_cache:
                    ids = [t.id for t in registry.tasks(env, agents=agents)]
                    task_cache[(env, agents)] = ids if bench.tasks == "all" else ids[: int(bench.tasks)]
                total += len(axes) * len(task_cache[(env, agents)]) * bench.seeds
    if total > limits.MAX_JOBS:
        raise UserError(f"{total} episodes is more than a study may hold", file=str(bench.path),
                        expected=f"at most {limits.MAX_JOBS}: fewer methods, suites, tasks, seeds or values")
    for method in _unique(bench.methods):
        for suite in bench.suites:
            base = bases[(method, suite)]
            env = _run_config(base, bench, suite, method)["env"]
            for agents in _unique(bench.agents):
                for noise, est, flip, sub in axes:
                    for task in task_cache[(env, agents)]:
                        for seed in range(bench.seeds):
                            data = copy.deepcopy(base)
                            for assignment in bench.set:
                                apply_override(data, assignment)
                            data.update(task=task, agents=agents, seed=seed)
                            llm = data.setdefault("llm", {})
                            llm.setdefault("noise", {}).update(spurious_edges=noise, missing_edges=noise / 3,
                                                               answer_flip=flip)
                            if sub:
                                llm["noise"].update(missing_subtasks=sub, wrong_counts=sub, made_up_subtasks=sub)
                            if est is not None:
                                data.setdefault("refiner", {})["estimator"] = est
                            config = _run_config(data, bench, suite, method)
                            jid = _check_id(job_id(suite, task, method, agents, noise, seed, est, flip, sub), bench,
                                            suite)
                            jobs.append(Job(jid, method, suite, task, agents, noise, seed, config, _estimator(config),
                                            flip, sub, bench.opt))
    return jobs


# --------------------------------------------------------------------------- running


def run_job(job: Job) -> dict[str, Any]:
    """Run one episode; the result carries the job's coordinates and config so it describes itself."""
    from causalmace.runner import run_episode

    ep = run_episode(RunConfig.model_validate(job.config))
    ratio = (optimum.over_opt(ep.trace.events, ep.graph.edges(), ep.result["agents"])  # None without CP-SAT
             if job.opt else None)
    return {**ep.result, "makespan_over_opt": ratio, "bench": job.meta(), "config": job.config}


def _guarded(job: Job) -> dict[str, Any]:
    """A failing episode becomes an error record instead of stopping the study."""
    try:
        return run_job(job)
    except Exception:
        return {"bench": job.meta(), "error": traceback.format_exc()}


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop at once: running episodes are abandoned, finished ones are already on disk."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(5)


def process_pool(n: int) -> Executor:
    """The default executor: ``n`` processes, results yielded as they finish (in-process for n = 1).

    Workers ignore Ctrl-C; the main process handles it and stops the pool, so nothing half-written
    is left behind and the rerun with ``--resume`` starts from what finished.
    """

    def run(fn: Callable[[Job], dict[str, Any]], items: Iterable[Job]) -> Iterator[dict[str, Any]]:
        items = list(items)
        if n <= 1 or len(items) <= 1:
            yield from map(fn, items)
            return
        pool = ProcessPoolExecutor(n, initializer=_ignore_sigint)
        done = False
        try:
            futures = [pool.submit(fn, it) for it in items]
            for f in as_completed(futures):
                yield f.result()
            done = True
        finally:
            if done:
                pool.shutdown()
            else:
                _stop(pool)

    return run


def _load_result(path: Path, job: Job | None = None) -> dict[str, Any] | None:
    """A finished result of ``job``: readable, computed under the same config, and summarizable."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    if job is not None and data.get("fingerprint") != job.fingerprint:
        return None
    try:
        for get in METRICS.values():
            v = get({**data, "bench": job.meta() if job else data.get("bench", {})})
            if v is not None and not isinstance(v, int | float):
                return None
    except (KeyError, TypeError, AttributeError):
        return None
    return data


@dataclass
class BenchReport:
    """What a bench run did; ``rows`` is the summary written to summary.csv and summary.md."""

    total: int
    ran: int
    skipped: int
    interrupted: bool
    errors: dict[str, str]
    results: list[dict[str, Any]]
    rows: list[dict[str, Any]]


def run_bench(jobs: Sequence[Job], out_dir: str | Path, resume: bool = False, jobs_n: int = 2,
              executor: Executor | None = None, progress: bool = True) -> BenchReport:
    """Run the jobs, writing ``<out>/<job id>/result.json`` as each finishes, then the summary.

    With ``resume`` a job whose result.json is readable and carries the job's config fingerprint is
    not run again; without it, the old results of these jobs are removed first so a later resume never
    mixes in a previous study. An interrupt (Ctrl-C) stops the run, keeps what finished and still writes
    the summary of it. ``executor(fn, jobs)`` must yield ``fn(job)`` results as they complete (e.g. a
    Ray pool). The directory is locked for the whole run: a second study on it is refused.
    """
    out = make_dir(Path(out_dir))
    with locked(out):
        return _run_locked(jobs, out, resume, jobs_n, executor, progress)


def _run_locked(jobs: Sequence[Job], out: Path, resume: bool, jobs_n: int, executor: Executor | None,
                progress: bool) -> BenchReport:
    root = out.resolve()
    for job in jobs:
        if not (root / job.id).resolve().is_relative_to(root):
            raise UserError(f"job id {clip(job.id)} points outside the results directory", file=str(out))
    by_id = {job.id: job for job in jobs}
    results: dict[str, dict[str, Any]] = {}
    todo: list[Job] = []
    for job in jobs:
        path = out / job.id / "result.json"
        prev = _load_result(path, job) if resume else None
        if prev is not None:
            results[job.id] = {**prev, "bench": job.meta()}
            continue
        if not resume:
            with contextlib.suppress(OSError):  # one that cannot go is rerun and replaced all the same
                path.unlink(missing_ok=True)
        todo.append(job)
    skipped = len(results)
    errors: dict[str, str] = {}
    ran = 0
    interrupted = False
    stream = (executor or process_pool(jobs_n))(_guarded, todo)
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    try:
        with Progress(*columns, console=Console(stderr=True), disable=not progress) as bar:
            tick = bar.add_task("bench", total=len(todo))
            for res in stream:
                jid = res["bench"]["id"]
                if "error" in res:
                    errors[jid] = res["error"]
                    write_atomic(out / jid / "error.txt", res["error"])
                else:
                    res = {**res, "fingerprint": by_id[jid].fingerprint}
                    write_atomic(out / jid / "result.json", json.dumps(res, indent=1, sort_keys=True) + "\n")
                    (out / jid / "error.txt").unlink(missing_ok=True)
                    results[jid] = res
                ran += 1
                bar.update(tick, advance=1, description=jid)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        close = getattr(stream, "close", None)
        if callable(close):
            close()
        finished = [results[j.id] for j in jobs if j.id in results]
        rows = summarize(finished)
        write_summary(rows, out)
    return BenchReport(len(jobs), ran, skipped, interrupted, errors, finished, rows)


# --------------------------------------------------------------------------- summary


def summarize(results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per method × suite × agents × noise, in order of first appearance, with mean and CI."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in results:
        meta = r["bench"]
        groups.setdefault(tuple(meta.get(k, "") for k in GROUP), []).append(r)
    rows = []
    for key, rs in groups.items():
        row: dict[str, Any] = dict(zip(GROUP, key, strict=True))
        row["n"] = len(rs)
        row["completed"] = sum(bool(r.get("completed")) for r in rs)
        for name, get in METRICS.items():
            vals = [float(v) for v in (get(r) for r in rs) if v is not None]
            row[f"{name}_mean"], row[f"{name}_ci95"] = mean_ci(vals)
        rows.append(row)
    return rows


def summary_columns() -> list[str]:
    return [*GROUP, "n", "completed", *(f"{m}_{s}" for m in METRICS for s in ("mean", "ci95"))]


def _cell(row: dict[str, Any], metric: str, sep: str = " ± ") -> str:
    mean, ci = row[f"{metric}_mean"], row[f"{metric}_ci95"]
    if math.isnan(mean):
        return "–"
    d = DIGITS[metric]
    return f"{mean:.{d}f}{sep}{ci:.{d}f}"


def shown_metrics(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The metrics some row has a value for: a column of dashes only is left out of the tables."""
    return [m for m in METRICS if not rows or any(not math.isnan(r[f"{m}_mean"]) for r in rows)]


def summary_markdown(rows: Sequence[dict[str, Any]]) -> str:
    metrics = shown_metrics(rows)
    head = ["method", "suite", "agents", "noise", "subtasks", "estimator", "flip", "n", *(LABELS[m] for m in metrics)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["method"], r["suite"], str(r["agents"]), f"{r['noise']:g}", f"{r.get('subtasks') or 0:g}",
                 str(r["estimator"] or "–"), f"{r['flip']:g}", str(r["n"]), *(_cell(r, m) for m in metrics)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Mean ± half width of the 95 % confidence interval (Student's t) over tasks and seeds; "
              "noise v means `llm.noise.spurious_edges = v`, `missing_edges = v / 3`; subtasks v means "
              "`llm.noise.missing_subtasks = wrong_counts = made_up_subtasks = v` (per run: how many were "
              "injected and how many the goal check, the Judger's top-ups or its refusals caught); flip is "
              "`llm.noise.answer_flip`, the offline model's wrong answers to counterfactual questions. The "
              "refiner's cost: trial runs and simulated seconds in copies of the world (simulate), or LLM calls "
              "(llm); – where it does not apply."]
    return "\n".join(lines) + "\n"


def write_summary(rows: Sequence[dict[str, Any]], out_dir: Path) -> None:
    """summary.csv for tools and plots, summary.md for reading; both written atomically."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, summary_columns(), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: (round(v, 6) if isinstance(v, float) else v) for k, v in r.items()})
    write_atomic(out_dir / "summary.csv", buf.getvalue())
    write_atomic(out_dir / "summary.md", summary_markdown(rows))


def summary_table(rows: Sequence[dict[str, Any]], title: str | None = None) -> Table:
    """The summary as a rich table for the terminal."""
    metrics = shown_metrics(rows)
    t = Table("method", "suite", "agents", "noise", "subtasks", "estimator", "flip", "n",
              *(LABELS[m] for m in metrics), title=title, caption="mean±95 % CI half width")
    for r in rows:
        t.add_row(r["method"], r["suite"], str(r["agents"]), f"{r['noise']:g}", f"{r.get('subtasks') or 0:g}",
                  str(r["estimator"] or "–"), f"{r['flip']:g}", str(r["n"]), *(_cell(r, m, "±") for m in metrics))
    return t
