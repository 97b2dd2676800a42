"""The one command line: ``causalmace``. Arguments are parsed inside :func:`main`."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from causalmace import limits, registry
from causalmace.errors import UserError
from causalmace.inputs import clip, one_line

if TYPE_CHECKING:
    from rich.console import Console

SUITE_ENVS: dict[str, str] = {
    "construction": "craftworld/VillagerBench-Construction-v0",
    "farming": "craftworld/VillagerBench-Farming-v0",
    "escape": "craftworld/VillagerBench-Escape-v0",
}


class SuiteChoice(StrEnum):
    construction = "construction"
    farming = "farming"
    escape = "escape"
    all = "all"


app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Causality-empowered multi-agent cooperation in shared worlds.")
tasks_app = typer.Typer(no_args_is_help=True, help="An env's runs: list them, prove them solvable.")
app.add_typer(tasks_app, name="tasks")
COMMAND_GROUP = "causalmace.commands"  # envs and other packages add sub-commands (a typer app) here


@cache
def _console(width: int | None = None) -> Console:
    """Rich's console for the tables of the listing and study commands; imported only by them, since rich
    costs a short run some 20 ms (``run`` prints its summary as plain text)."""
    from rich.console import Console

    return Console(width=width)


def _summary(title: str, rows: list[tuple[str, str]]) -> str:
    """A run's summary as aligned plain text: readable in a terminal, a log file or a pipe alike."""
    width = max(len(k) for k, _ in rows) + 2
    lines = [title]
    for key, value in rows:
        first, *rest = value.split("\n")
        lines.append(f"  {key:<{width}}{first}")
        lines += [f"  {'':<{width}}{more}" for more in rest]
    return "\n".join(lines)


def _table(*columns: str, title: str | None = None) -> Any:
    from rich.table import Table

    return Table(*columns, title=title)


def _own_commands() -> set[str]:
    return {c.name for c in app.registered_commands if c.name} | {g.name for g in app.registered_groups if g.name}


def _mount_commands(args: list[str]) -> None:
    """Sub-commands that packages bring through entry points, e.g. ``causalmace minecraft``; the core
    imports none of them by name, and loads one only when it is called or help lists them all."""
    listing = not args or args[0] in ("--help", "-h")
    if not listing and args[0] in _own_commands():
        return  # no need to scan every installed package's metadata for a plugin's command
    for ep in registry.installed(COMMAND_GROUP):
        if not listing and args[0] != ep.name:
            continue
        try:
            sub = ep.load()
        except Exception as e:  # noqa: BLE001 - a broken plugin must not take the command line down
            print(f"causalmace: warning: command {ep.name!r} from {ep.value} is not available ({e})", file=sys.stderr)
            continue
        app.add_typer(sub, name=ep.name)


def _envs(suite: SuiteChoice, env: str | None) -> list[tuple[str, str]]:
    """(label, env id) pairs: one registered env by id, or VillagerBench suites by name."""
    if env is not None:
        registry.env_spec(env)  # an unknown id is a user error listing the known ones
        return [(env.split("/", 1)[-1], env)]
    names = list(SUITE_ENVS) if suite is SuiteChoice.all else [suite.value]
    return [(s, SUITE_ENVS[s]) for s in names]


def resolve_config(config: str) -> Path:
    """A config file by path, or a built-in one by name (``villagerbench/farming``)."""
    path = Path(config)
    if path.exists():
        return path
    from importlib import resources

    name = config.removesuffix(".yaml")
    builtin = resources.files("causalmace.configs").joinpath(f"{name}.yaml")
    if builtin.is_file():
        return Path(str(builtin))
    raise UserError("no such config file, nor a built-in config of that name", file=config,
                    expected="a YAML path or one of: " + ", ".join(builtin_configs()))


def builtin_configs() -> list[str]:
    from importlib import resources

    root = resources.files("causalmace.configs")
    return sorted(f"{d.name}/{f.name.removesuffix('.yaml')}" for d in root.iterdir() if d.is_dir()
                  for f in d.iterdir() if f.name.endswith(".yaml"))


@app.command("envs")
def envs_cmd(json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """The registered envs and where each comes from."""
    rows = [(e, registry.env_spec(e)) for e in registry.env_ids()]
    if json_out:
        print(json.dumps([{"id": e, "entry_point": s} for e, s in rows], indent=1))
        return
    t = _table("env id", "entry point")
    for e, s in rows:
        t.add_row(e, s)
    _console().print(t)


@tasks_app.command("list")
def tasks_list(
    suite: Annotated[SuiteChoice, typer.Option(help="a VillagerBench suite (shorthand for its env)")] = SuiteChoice.all,
    env: Annotated[str | None, typer.Option(help="any registered env id (see 'causalmace envs')")] = None,
    agents: Annotated[int, typer.Option(min=1, max=limits.MAX_AGENTS,
                                        help="team size (escape runs depend on it)")] = 1,
    data: Annotated[Path | None, typer.Option(help="a task file in the upstream format of --suite")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """The runs of an env (by default VillagerBench's three suites), with their ids."""
    if data is not None and suite is SuiteChoice.all and env is None:
        raise UserError("--data needs one suite", key="--suite", expected="construction, farming or escape")
    extra = {"data": data} if data is not None else {}
    rows = []
    for s, env_id in _envs(suite, env):
        for t in registry.tasks(env_id, agents=agents, **extra):
            rows.append({"id": t.id, "suite": t.suite or s, "env": env_id, "t_max": round(t.t_max, 1),
                         "min_agents": t.min_agents, "description": t.description[:100]})
    if json_out:
        print(json.dumps(rows, indent=1))
        return
    t = _table("id", "suite", "T_max s", "min agents", "description")
    for r in rows:
        t.add_row(r["id"], r["suite"], f"{r['t_max']:g}", str(r["min_agents"]), r["description"])
    _console().print(t)
    _console().print(f"{len(rows)} runs")


@tasks_app.command("check")
def tasks_check(
    suite: Annotated[SuiteChoice, typer.Option(help="a VillagerBench suite (shorthand for its env)")] = SuiteChoice.all,
    env: Annotated[str | None, typer.Option(help="any registered env id with a reference plan")] = None,
    data: Annotated[Path | None, typer.Option(help="a task file in the upstream format of --suite")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Solve every run with one agent following the env's reference plan, and score it."""
    from rich.console import Console
    from rich.progress import Progress

    from causalmace.solvable import check_task

    if data is not None and suite is SuiteChoice.all and env is None:
        raise UserError("--data needs one suite", key="--suite", expected="construction, farming or escape")
    extra = {"data": data} if data is not None else {}
    jobs = [(env_id, t) for _, env_id in _envs(suite, env) for t in registry.tasks(env_id, agents=1, **extra)]
    rows = []
    with Progress(console=Console(stderr=True), transient=True, disable=json_out) as bar:
        tick = bar.add_task("checking", total=len(jobs))
        for env_id, t in jobs:
            rows.append(check_task(env_id, t))
            bar.advance(tick)
    solved = sum(r.solved for r in rows)
    if json_out:
        print(json.dumps({"rows": [asdict(r) for r in rows], "solvable": solved, "total": len(rows)}, indent=1))
    else:
        t = _table("task", "suite", "solved", "completion", "actions", "makespan s", "efficiency", "detail")
        for r in rows:
            t.add_row(r.task, r.suite, "yes" if r.solved else "[red]no[/red]", f"{r.completion:.2f}",
                      str(r.actions), f"{r.makespan_s:.1f}", f"{r.efficiency:.2f}", r.detail)
        _console().print(t)
        print(f"solvable {solved}/{len(rows)}")
    if solved != len(rows):
        raise typer.Exit(1)


@app.command("run")
def run_cmd(
    config: Annotated[str, typer.Argument(help="a run config: a YAML path, or a built-in name such as "
                                               "villagerbench/farming")],
    task: Annotated[str | None, typer.Option(help="task id (see 'causalmace tasks list')")] = None,
    agents: Annotated[int | None, typer.Option(help="team size")] = None,
    seed: Annotated[int | None, typer.Option(help="seed of the world and the offline model")] = None,
    method: Annotated[str | None, typer.Option(help="a method from configs/methods/ (name or path)")] = None,
    ray_address: Annotated[str | None, typer.Option(help="run the Workers on this Ray cluster")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="override a key: a.b.c=value")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help=(
        "where trace.jsonl, result.json and graph.json go. The run is written into a new folder beside it "
        "that replaces it at the end, so a previous run there is never mixed with this one; a run stopped "
        "by Ctrl-C or an internal error leaves its trace and a file PARTIAL saying why, and no result.json. "
        "A folder holding other files is not replaced."))] = Path("runs/last"),
    make_report: Annotated[bool, typer.Option("--report", help="also write DIR/report.html")] = False,
) -> None:
    """Run one episode: plan, refine, schedule, act, judge; write the trace and the result."""
    from causalmace.config import load_config
    from causalmace.runner import run_episode

    sets = list(set_ or [])
    if ray_address:
        sets += ["workers.backend=ray", f"workers.ray.address={ray_address}"]
    path = resolve_config(config)
    cfg = load_config(path, sets, method=method, task=task, agents=agents, seed=seed)  # all checks, no output
    episode = run_episode(cfg, out_dir)
    r = episode.result
    g = r["graph"]
    rows: list[tuple[str, str]] = []
    rows.append(("completed", "yes" if r["completed"] else "no"))
    rows.append(("completion", f"{r['completion']:.3f}"))
    if r["lower_bound_s"]:
        rows.append(("makespan / lower bound", f"{r['makespan_s']:.1f} s / {r['lower_bound_s']:.1f} s"
                      f" = {r['makespan_over_bound'] or 0:.2f}"))
    else:
        rows.append(("makespan", f"{r['makespan_s']:.1f} s (no lower bound: the env has no copy or reference plan)"))
    rows.append(("efficiency · balance", f"{r['efficiency']:.2f} · {r['balance']:.3f}"))
    if "spurious_initial" in g:
        rows.append(("planned edges", f"{g['edges_initial']} ({g['spurious_initial']} made up, "
                      f"{g['missing_initial']} missing)"))
        rows.append(("refiner pruned", f"{g['edges_pruned']}: {g['spurious_pruned']} made up, "
                      f"{g['true_pruned']} true"))
        rows.append(("missing found by the Judger", str(g["missing_found"])))
    else:
        rows.append(("planned edges · pruned", f"{g['edges_initial']} · {g['edges_pruned']}"))
    pruned = sorted(episode.graph.pruned_records.items())
    if pruned:
        rows.append(("pruned edges (ATE)", "\n".join(f"{a} → {b} ({rec.ate:.2f})" for (a, b), rec in pruned[:8])
                      + (f"\n… {len(pruned) - 8} more" if len(pruned) > 8 else "")))
    rows.append(("work per agent", " · ".join(f"{a} {s:.0f} s" for a, s in r["busy_s"].items())))
    ref = r["refiner"]
    rows.append(("refiner", f"{ref['estimator']} ({ref['reason']})"))
    cost = ref.get("cost") or {}
    if "trial_runs" in cost:
        rows.append(("refiner cost", f"{cost['trial_runs']} trial runs, {cost['simulated_s']:.0f} s simulated in "
                      f"copies, {r.get('refiner_wall_s', 0):.2f} s wall"))
    elif "calls" in cost:
        rows.append(("refiner cost", f"{cost['calls']} LLM calls, {cost['prompt_tokens']}+{cost['completion_tokens']}"
                      f" tokens, {r.get('refiner_wall_s', 0):.2f} s wall"))
    if ref.get("verify"):
        v = ref["verify"]
        rows.append(("LLM answers vs simulation", f"{v['interventions_agree']}/{v['interventions']} agree; "
                      f"{v['wrongly_pruned']} edges wrongly pruned, {v['made_up_kept']} made-up kept"))
    rows.append(("LLM calls · tokens", f"{r['llm']['calls']} · {r['llm']['prompt_tokens']}+"
                  f"{r['llm']['completion_tokens']}"))
    print(_summary(f"{r['task']} · {r['method']} · {r['agents']} agents · seed {r['seed']}", rows))
    print(f"wrote {out_dir / 'trace.jsonl'} and {out_dir / 'result.json'}")
    _report(out_dir, make_report)
    if not r["completed"]:
        raise typer.Exit(1)


@app.command("bench")
def bench_cmd(
    config: Annotated[Path, typer.Argument(help="a bench config (YAML), e.g. configs/bench/villagerbench.yaml")],
    methods: Annotated[str | None, typer.Option(help="comma-separated methods (files in methods_dir)")] = None,
    suites: Annotated[str | None, typer.Option(help="comma-separated suites of the bench file")] = None,
    agents: Annotated[str | None, typer.Option(help="comma-separated team sizes")] = None,
    noise: Annotated[str | None, typer.Option(help="comma-separated planner noise levels")] = None,
    estimators: Annotated[str | None, typer.Option(help="comma-separated refiner estimators: simulate, llm")] = None,
    answer_flip: Annotated[str | None, typer.Option(help="comma-separated chances of a wrong counterfactual "
                                                         "answer (offline model)")] = None,
    subtask_noise: Annotated[str | None, typer.Option(help="comma-separated planner noise beyond edges "
                                                           "(missing, miscounted and made-up subtasks)")] = None,
    opt: Annotated[bool | None, typer.Option("--opt/--no-opt", help="also prove each episode's optimum with "
                                             "CP-SAT for a makespan / OPT column (needs ortools)")] = None,
    seeds: Annotated[int | None, typer.Option(help="seeds per task (0..N-1)")] = None,
    tasks: Annotated[str | None, typer.Option(help="first N tasks per suite, or 'all'")] = None,
    jobs: Annotated[int | None, typer.Option(help="episodes in parallel")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="results directory [runs/bench/<config name>]; "
                                                      "one study at a time (DIR/.lock)")] = None,
    resume: Annotated[bool, typer.Option(help="skip jobs whose result.json is there and was computed under the "
                                              "same config (its fingerprint); rerun the others")] = False,
    backend: Annotated[str, typer.Option(help="process (a local pool) or ray (episodes as Ray tasks)")] = "process",
    ray_address: Annotated[str | None, typer.Option(help="with --backend ray: join this cluster")] = None,
    make_report: Annotated[bool, typer.Option("--report", help="also write DIR/report.html")] = False,
) -> None:
    """Run a study (methods x suites x tasks x agents x noise x seeds) and summarize it with 95 % CIs."""
    from causalmace.bench import load_bench, plan_jobs, run_bench, summary_table

    def split(value: str | None, conv: type, option: str) -> list | None:
        if value is None:
            return None
        try:
            return [conv(v.strip()) for v in value.split(",") if v.strip()]
        except ValueError:
            raise UserError(f"bad list {clip(value)}", key=option,
                            expected=f"comma-separated {conv.__name__}s") from None

    bench = load_bench(config)
    plan = plan_jobs(bench, methods=split(methods, str, "--methods"), suites=split(suites, str, "--suites"),
                     agents=split(agents, int, "--agents"), noise=split(noise, float, "--noise"),
                     estimators=split(estimators, str, "--estimators"),
                     answer_flip=split(answer_flip, float, "--answer-flip"),
                     subtask_noise=split(subtask_noise, float, "--subtask-noise"),
                     seeds=seeds, tasks=tasks, jobs=jobs, opt=opt)
    out_dir = out_dir or Path("runs/bench") / config.stem
    n_jobs = jobs or bench.jobs
    _console().print(f"{len(plan)} episodes, {n_jobs} at a time ({backend}) -> {out_dir}")
    if backend not in ("process", "ray"):
        raise UserError(f"unknown backend {backend!r}", key="--backend", expected="process or ray")
    executor = None
    if backend == "ray":
        from causalmace.sweep import ray_map

        def executor(fn, items):  # type: ignore[no-untyped-def]
            return ray_map(fn, items, n_jobs, ray_address)

    report = run_bench(plan, out_dir, resume=resume, jobs_n=n_jobs, executor=executor)
    wide = _console() if _console().is_terminal else _console(200)  # a log file should not wrap the table
    wide.print(summary_table(report.rows, title=f"{len(report.results)}/{report.total} episodes"))
    wide.print(f"ran {report.ran}, kept {report.skipped} from before; wrote {out_dir / 'summary.csv'} and "
              f"{out_dir / 'summary.md'}")
    for jid in report.errors:
        _console().print(f"[red]failed[/red] {jid}: see {out_dir / jid / 'error.txt'}")
    _report(out_dir, make_report)
    if report.interrupted:
        _console().print("interrupted: finished results are kept; rerun with --resume to continue")
        raise typer.Exit(130)
    if report.errors:
        raise typer.Exit(1)


def _report(directory: Path, write: bool) -> None:
    """Write the HTML report now, or say how to; either way the user learns where it lives."""
    if not write:
        print(f"report: causalmace report {directory} (writes {directory / 'report.html'})")
        return
    from causalmace.report import write_report

    print(f"wrote report {write_report(directory)[0]}")


@app.command("report")
def report_cmd(
    directory: Annotated[Path, typer.Argument(help="a run directory (result.json, trace.jsonl, graph.json) or a "
                                                   "study directory from 'causalmace bench'")],
    out_file: Annotated[Path | None, typer.Option("--out", help="the HTML file [DIR/report.html]")] = None,
) -> None:
    """Write one self-contained HTML report of a run or a study; it opens offline in any browser."""
    from causalmace.report import write_report

    paths = write_report(directory, out_file)
    extra = f" and {len(paths) - 1} episode reports" if len(paths) > 1 else ""
    print(f"wrote {paths[0]}{extra}")


def _click_errors() -> tuple[type[BaseException], ...]:
    """Usage errors of click, and of the copy of click that newer typer versions carry. Only the copies
    already imported: one that is not cannot have raised anything, and importing it costs start-up."""
    names = ("click.exceptions", "typer._click.exceptions")
    return tuple(m.ClickException for m in map(sys.modules.get, names) if m is not None)


def _usage(e: BaseException) -> None:
    """A usage error of the command line: one line (bare ``causalmace``: the help) and its exit code."""
    if type(e).__name__ == "NoArgsIsHelpError":  # bare ``causalmace``: the help is the answer
        e.show()  # type: ignore[attr-defined]
    else:  # one line, as every other user error
        ctx = getattr(e, "ctx", None)
        where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        print(f"causalmace: error: {e.format_message()}{where}", file=sys.stderr)  # type: ignore[attr-defined]
    sys.exit(getattr(e, "exit_code", 2) or 2)


def _internal(e: BaseException) -> None:
    """An unexpected error: one line, and the whole traceback in a log file for the bug report."""
    import tempfile
    import traceback

    log = Path(tempfile.gettempdir()) / f"causalmace-error-{os.getpid()}.log"
    try:
        log.write_text("".join(traceback.format_exception(e)), encoding="utf-8")
        where = f"; the traceback is in {log}"
    except OSError:
        where = ""
    print(f"causalmace: internal error: {type(e).__name__}: {one_line(str(e))}{where}", file=sys.stderr)
    sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    """Entry point: a user's mistake is one line and exit code 2, never a traceback; an internal error
    is one line, exit code 1, and the traceback in a log file."""
    _mount_commands(list(sys.argv[1:] if argv is None else argv))
    try:
        rc = app(args=argv, prog_name="causalmace", standalone_mode=False)
        if isinstance(rc, int) and rc:  # click hands typer.Exit's code back instead of raising it
            sys.exit(rc)
    except UserError as e:
        print(f"causalmace: error: {one_line(str(e), 1000)}", file=sys.stderr)
        sys.exit(2)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        print("causalmace: interrupted", file=sys.stderr)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - whatever it is, the user sees one line and a log path
        if isinstance(e, _click_errors()):
            _usage(e)
        _internal(e)


if __name__ == "__main__":
    main()
