"""The one command line: ``causalmace``. Arguments are parsed inside :func:`main`."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from causalmace import registry
from causalmace.errors import UserError

SUITE_ENVS = {
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
                  help="Causality-empowered multi-agent cooperation in Minecraft-like worlds.")
tasks_app = typer.Typer(no_args_is_help=True, help="VillagerBench runs: list them, prove them solvable.")
app.add_typer(tasks_app, name="tasks")
out = Console()


def _suites(suite: SuiteChoice) -> list[str]:
    return list(SUITE_ENVS) if suite is SuiteChoice.all else [suite.value]


@app.command("envs")
def envs_cmd(json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """The registered envs and where each comes from."""
    rows = [(e, registry.env_spec(e)) for e in registry.env_ids()]
    if json_out:
        print(json.dumps([{"id": e, "entry_point": s} for e, s in rows], indent=1))
        return
    t = Table("env id", "entry point")
    for e, s in rows:
        t.add_row(e, s)
    out.print(t)


@tasks_app.command("list")
def tasks_list(
    suite: Annotated[SuiteChoice, typer.Option(help="which suite")] = SuiteChoice.all,
    agents: Annotated[int, typer.Option(help="team size (escape runs depend on it)")] = 1,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """The runs of VillagerBench, with their ids."""
    rows = []
    for s in _suites(suite):
        for t in registry.tasks(SUITE_ENVS[s], agents=agents):
            rows.append({"id": t.id, "suite": s, "env": SUITE_ENVS[s], "t_max": round(t.t_max, 1),
                         "min_agents": t.min_agents, "description": t.description[:100]})
    if json_out:
        print(json.dumps(rows, indent=1))
        return
    t = Table("id", "suite", "T_max s", "min agents", "description")
    for r in rows:
        t.add_row(r["id"], r["suite"], f"{r['t_max']:g}", str(r["min_agents"]), r["description"])
    out.print(t)
    out.print(f"{len(rows)} runs")


@tasks_app.command("check")
def tasks_check(
    suite: Annotated[SuiteChoice, typer.Option(help="which suite")] = SuiteChoice.all,
    data: Annotated[Path | None, typer.Option(help="a task file in the upstream format of --suite")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Solve every run with one scripted agent following a correct plan, and score it."""
    from causalmace.check import check_task

    if data is not None and suite is SuiteChoice.all:
        raise UserError("--data needs one suite", key="--suite", expected="construction, farming or escape")
    jobs = [(s, t) for s in _suites(suite)
            for t in registry.tasks(SUITE_ENVS[s], data=data, agents=1)]
    rows = []
    with Progress(console=Console(stderr=True), transient=True, disable=json_out) as bar:
        tick = bar.add_task("checking", total=len(jobs))
        for s, t in jobs:
            rows.append(check_task(SUITE_ENVS[s], t))
            bar.advance(tick)
    solved = sum(r.solved for r in rows)
    if json_out:
        print(json.dumps({"rows": [asdict(r) for r in rows], "solvable": solved, "total": len(rows)}, indent=1))
    else:
        t = Table("task", "suite", "solved", "completion", "actions", "makespan s", "efficiency", "detail")
        for r in rows:
            t.add_row(r.task, r.suite, "yes" if r.solved else "[red]no[/red]", f"{r.completion:.2f}",
                      str(r.actions), f"{r.makespan_s:.1f}", f"{r.efficiency:.2f}", r.detail)
        out.print(t)
        print(f"solvable {solved}/{len(rows)}")
    if solved != len(rows):
        raise typer.Exit(1)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become a one-line message and exit code 2, never a traceback."""
    try:
        app(args=argv, prog_name="causalmace", standalone_mode=False)
    except UserError as e:
        print(f"causalmace: error: {e}", file=sys.stderr)
        sys.exit(2)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        print("causalmace: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as e:  # click's usage errors
        import click

        if isinstance(e, click.ClickException):
            e.show()
            sys.exit(2)
        raise


if __name__ == "__main__":
    main()
