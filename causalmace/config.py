"""Typed run configuration: YAML files validated by pydantic, with includes and ``--set`` overrides.

A file may name others under ``include:`` (paths relative to it); they are merged first and the
file's own keys win. Every error names the file the bad key came from (a run config, one of its
includes, a method file, ``--set`` or a command-line option), the key and what was expected.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator

from causalmace import limits
from causalmace.errors import UserError
from causalmace.inputs import check_shape, clip, one_line, read_text
from causalmace.llm.config import LocalConfig, OpenAIConfig, ReplayConfig, SymbolicConfig


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PluginLLMConfig(BaseModel):
    """A provider another package registers: its settings are its own, checked by its factory."""

    model_config = ConfigDict(extra="allow", hide_input_in_errors=True)
    provider: str


def _llm_tag(value: Any) -> str:
    provider = value.get("provider", "symbolic") if isinstance(value, dict) else getattr(value, "provider", "symbolic")
    return provider if provider in BUILTIN_PROVIDERS else "plugin"


LLMConfig = Annotated[
    Annotated[SymbolicConfig, Tag("symbolic")] | Annotated[OpenAIConfig, Tag("openai")]
    | Annotated[LocalConfig, Tag("local")] | Annotated[ReplayConfig, Tag("replay")]
    | Annotated[PluginLLMConfig, Tag("plugin")],
    Discriminator(_llm_tag),
]
BUILTIN_PROVIDERS = ("symbolic", "openai", "local", "replay")


class RefinerConfig(Strict):
    enabled: bool = True
    estimator: Literal["simulate", "llm"] = "simulate"  # simulate: try it in copies of the world; llm: ask
    verify: bool = False  # with llm: also run simulate and report how often the LLM's answers agree
    llm: LLMConfig | None = None  # the llm estimator's own model; None: the planner's (``llm``)
    threshold: float = Field(0.5, gt=0, le=1)
    samples: int = Field(3, ge=1, le=50)


class SchedulerConfig(Strict):
    type: str = "busy_rate"  # a registered scheduler
    # the scheduler's own settings, checked against the ``options`` model its factory carries (if any)
    options: dict[str, Any] = Field(default_factory=dict)


class PlannerConfig(Strict):
    use_edges: bool = True  # false: a flat list of subtasks, as AgentVerse works


class RayConfig(Strict):
    address: str | None = Field(None, pattern=r"^(auto|[A-Za-z0-9_.\-\[\]:]+:\d{1,5})$")  # None: a local runtime
    timeout_s: float = Field(60.0, ge=0.1, le=86_400, allow_inf_nan=False,
                             description="a Worker silent this long is replaced")
    object_store_mb: int = Field(100, ge=80, le=1_000_000)
    num_cpus: int | None = Field(None, ge=1, le=4096)


class WorkersConfig(Strict):
    backend: Literal["local", "ray"] = "local"
    agent: str | None = None  # a registered agent; None: the env's default_agent, else "scripted"
    llm: LLMConfig | None = None  # the agents' LLM, for LLM agents; None: the planner's (``llm``)
    max_steps: int = Field(8, ge=1, le=200)  # an LLM agent's tool calls per subtask before it gives up
    ray: RayConfig = Field(default_factory=RayConfig)


class LimitsConfig(Strict):
    max_actions: int = Field(200_000, ge=1, le=limits.MAX_ACTIONS)
    # tries per subtask before it is abandoned; the same for every method (a try that failed only because
    # a subtask still to come provides what was missing is not charged, see causalmace.loop)
    max_attempts: int = Field(6, ge=1, le=1000)
    max_time_s: float = Field(36_000.0, gt=0, le=limits.MAX_EPISODE_S, allow_inf_nan=False)
    # VillagerBench's rule: the run stops once its action time passes the task's T_max
    stop_at_t_max: bool = True
    # once every subtask is settled with the goal unmet: times the planner is asked for the work it lacked
    goal_checks: int = Field(1, ge=0, le=10)
    # end the run at the first subtask done with the env scoring the goal complete, work left or not (off:
    # every planned subtask is settled first, as the studies in the README run)
    stop_at_goal: bool = False


class RunConfig(Strict):
    env: str
    task: str | None = None
    agents: int = Field(3, ge=1, le=limits.MAX_AGENTS)
    seed: int = Field(0, ge=-(2**63), lt=2**63)
    env_options: dict[str, Any] = Field(default_factory=dict)  # passed to the env's factory as given
    method: str = "causalmace"
    llm: LLMConfig = Field(default_factory=SymbolicConfig)
    planner: PlannerConfig = Field(default_factory=PlannerConfig)
    refiner: RefinerConfig = Field(default_factory=RefinerConfig)
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)
    workers: WorkersConfig = Field(default_factory=WorkersConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)

    @field_validator("env_options")
    @classmethod
    def _think_time(cls, v: dict[str, Any]) -> dict[str, Any]:
        """The one option every env reads: checked here so a bad value stops the run before it starts."""
        t = v.get("think_time", 0.0)
        ok = isinstance(t, int | float) and not isinstance(t, bool) and math.isfinite(t)
        if not ok or not 0 <= t <= limits.MAX_WAIT_S:
            raise ValueError(f"think_time must be a number of seconds from 0 to {limits.MAX_WAIT_S:g} "
                             "(the longest wait an action allows)")
        return v


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def parse_yaml(text: str, source: str | None, key: str | None = None) -> Any:
    """YAML read safely, its errors one line (where and what), its size and nesting bounded."""
    try:
        data = yaml.safe_load(text)
    except RecursionError:
        raise UserError(f"nested more than {limits.MAX_DEPTH} deep", file=source, key=key,
                        expected="a flatter document") from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        what = ": ".join(x for x in (e.context, e.problem) if x) or "unreadable"
        raise UserError(f"not valid YAML{where}: {one_line(what)}", file=source, key=key) from None
    except yaml.YAMLError as e:
        raise UserError(f"not valid YAML: {one_line(str(e))}", file=source, key=key) from None
    check_shape(data, source)
    return data


def load_mapping(path: Path) -> dict[str, Any]:
    """One YAML file as a mapping, its ``include:`` left unread."""
    data = parse_yaml(read_text(path), str(path))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserError("top level must be a mapping", file=str(path), expected="key: value pairs")
    return data


def read_yaml(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A YAML file with its includes merged in (paths relative to it; the file's own keys win)."""
    path = path.resolve()
    if path in seen:
        raise UserError("includes itself", file=str(path), key="include")
    data = load_mapping(path)
    includes = data.pop("include", [])
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list):
        raise UserError("must be a path or a list of paths", file=str(path), key="include")
    merged: dict[str, Any] = {}
    for inc in includes:
        merged = merge(merged, read_yaml(path.parent / str(inc), (*seen, path)))
    return merge(merged, data)


def yaml_layers(path: Path, seen: tuple[Path, ...] = ()) -> list[tuple[str, dict[str, Any]]]:
    """The file and everything it includes, each with its own keys, the one whose keys win first."""
    path = path.resolve()
    if path in seen:
        return []
    data = load_mapping(path)
    includes = data.pop("include", [])
    layers = [(str(path), data)]
    for inc in reversed([includes] if isinstance(includes, str) else includes):
        layers += yaml_layers(path.parent / str(inc), (*seen, path))
    return layers


Layer = tuple[str | None, str, dict[str, Any]]  # (file, how the key was given if not in it, its keys)


def _holds(data: Any, loc: list[Any]) -> bool:
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, dict) and str(part) in {str(k) for k in data}:
            data = next(v for k, v in data.items() if str(k) == str(part))
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return False
    return True


def blame(layers: list[Layer], loc: list[Any]) -> tuple[str | None, str, str]:
    """(file, key, how it was given) of the layer a bad key came from: the first, in order of precedence,
    that sets it; a key nobody sets (a missing one) is the last layer's."""
    key = ".".join(str(x) for x in loc)
    for n in range(len(loc), 0, -1):
        for file, how, data in layers:
            if _holds(data, loc[:n]):
                return file, key, how
    file, how, _ = layers[-1]
    return file, key, how


def validation_error(e: ValidationError, layers: list[Layer], tags: tuple[str, ...] = (),
                     prefix: tuple[str, ...] = ()) -> UserError:
    """Pydantic's first complaint as one line naming the file and key it came from (``prefix``: where in
    the config the validated part sits)."""
    err = e.errors()[0]
    loc = [*prefix, *(x for x in err["loc"] if str(x) not in tags)]  # union tags are not keys
    bad = err.get("input")
    if [str(x) for x in loc] == ["env_options"] and "think_time" in err["msg"] and isinstance(bad, dict):
        loc, bad = [*loc, "think_time"], bad.get("think_time")
    file, key, how = blame(layers, loc)
    expected = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        expected = "one of the documented keys; this one is unknown"
    secret = "llm" in [str(x) for x in loc]  # an API key pasted into the wrong place must not be echoed
    shown = "invalid value" if secret else f"invalid value {clip(bad)}"
    return UserError((shown if err["type"] != "missing" else "missing") + how, file=file, key=key,
                     expected=one_line(expected))


def apply_override(data: dict[str, Any], assignment: str) -> None:
    key, sep, raw = assignment.partition("=")
    if not sep or not key:
        raise UserError(f"bad override {clip(assignment)}", key="--set", expected="key.path=value")
    value = parse_yaml(raw, None, key="--set " + key) if raw else ""
    node = data
    parts = key.split(".")
    for p in parts[:-1]:
        nxt = node.setdefault(p, {})
        if not isinstance(nxt, dict):
            raise UserError(f"{clip(p)} is not a section", key=key, expected="a dotted path to a setting")
        node = nxt
    node[parts[-1]] = value


def method_file(config: Path, method: str) -> Path:
    """A method by name (``configs/methods/NAME.yaml`` beside the config's folder) or by path."""
    as_path = Path(method)
    if as_path.suffix in (".yaml", ".yml"):
        return as_path
    for folder in (config.parent / "methods", config.parent.parent / "methods"):
        if (folder / f"{method}.yaml").exists():
            return folder / f"{method}.yaml"
    raise UserError(f"no method {clip(method)}", file=str(config), key="method",
                    expected=f"configs/methods/{method}.yaml or a path to a method YAML")


def load_config(path: str | Path, overrides: list[str] | None = None, method: str | None = None,
                **direct: Any) -> RunConfig:
    """Read, merge, override (method file, then ``--set``, then explicit CLI options) and validate."""
    path = Path(path)
    data = read_yaml(path)
    mpath = method_file(path, method) if method else None
    if mpath is not None:
        data = merge(data, read_yaml(mpath))
    for o in overrides or []:
        apply_override(data, o)
    for k, v in direct.items():
        if v is not None:
            data[k] = v

    def layers() -> list[Layer]:
        """Where each key came from, read again only when a key is wrong."""
        out: list[Layer] = [(str(path), f" (given with --{k})", {k: v}) for k, v in direct.items() if v is not None]
        for o in reversed(overrides or []):
            one: dict[str, Any] = {}
            apply_override(one, o)
            out.append((str(path), " (given with --set)", one))
        files = (yaml_layers(mpath) if mpath is not None else []) + yaml_layers(path)
        return out + [(f, "", d) for f, d in files]

    try:
        cfg = RunConfig.model_validate(data)
    except ValidationError as e:
        raise validation_error(e, layers(), (*BUILTIN_PROVIDERS, "plugin")) from None
    if cfg.task is None:
        raise UserError("no task given", file=str(path), key="task", expected="--task ID or task: in the config")
    check_kinds(cfg, path, layers)
    check_scheduler_options(cfg, path, layers)
    check_task(cfg, path, layers)
    return cfg


def check_scheduler_options(cfg: RunConfig, path: Path, layers: Any = None) -> None:
    """``scheduler.options`` are what the scheduler's factory declares (a pydantic model as its ``options``
    attribute); a scheduler that declares none takes none."""
    from causalmace import registry

    given = cfg.scheduler.options
    model = getattr(registry.factory("scheduler", cfg.scheduler.type), "options", None)
    if model is None:
        if given:
            file, key, how = blame(layers(), ["scheduler", "options"]) if layers is not None \
                else (str(path), "scheduler.options", "")
            raise UserError(f"scheduler {clip(cfg.scheduler.type)} takes no options{how}", file=file, key=key,
                            expected="no scheduler.options for this scheduler")
        return
    try:
        model.model_validate(given)
    except ValidationError as e:
        err = validation_error(e, layers() if layers is not None else [(str(path), "", {})],
                               prefix=("scheduler", "options"))
        first = e.errors()[0]
        if first["type"] == "extra_forbidden" and layers is not None:  # name the options there are
            file, key, how = blame(layers(), ["scheduler", "options", *first["loc"]])
            err = UserError(f"unknown option for scheduler {clip(cfg.scheduler.type)}{how}", file=file, key=key,
                            expected="one of " + ", ".join(model.model_fields))
        raise err from None


def check_task(cfg: RunConfig, path: Path, layers: Any = None) -> None:
    """The task exists (for an env that lists its tasks), so a typo stops the run before any output."""
    from causalmace import registry

    factory = registry.factory("env", cfg.env)
    lister = getattr(factory, "tasks", None)
    if not callable(lister):
        return
    extra = {"data": cfg.env_options["data"]} if "data" in cfg.env_options else {}
    ids = getattr(factory, "task_ids", None)  # optional: the ids alone, cheaper than making every task
    known = ids(agents=cfg.agents, **extra) if callable(ids) else None
    if known is not None and cfg.task in known:
        return
    if any(t.id == cfg.task for t in lister(agents=cfg.agents, **extra)):
        return
    file, key, how = blame(layers(), ["task"]) if layers is not None else (str(path), "task", "")
    raise UserError(f"no task {clip(cfg.task)} in {cfg.env}{how}", file=file, key=key,
                    expected=f"an id from 'causalmace tasks list --env {cfg.env} --agents {cfg.agents}'")


def check_kinds(cfg: RunConfig, path: Path, layers: Any = None) -> None:
    """Every kind the config names is registered, so a typo stops the run before it starts."""
    from causalmace import registry

    named: list[tuple[registry.Kind, str | None, str]] = [
        ("env", cfg.env, "env"), ("llm", cfg.llm.provider, "llm.provider"),
        ("scheduler", cfg.scheduler.type, "scheduler.type"), ("agent", cfg.workers.agent, "workers.agent")]
    for kind, name, key in named:
        if name is not None and name not in registry.names(kind):
            file, where, how = blame(layers(), key.split(".")) if layers is not None else (str(path), key, "")
            raise UserError(f"unknown {registry.LABELS[kind]} {clip(name)}{how}", file=file, key=where,
                            expected="one of " + ", ".join(registry.names(kind)))
