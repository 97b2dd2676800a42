"""Typed run configuration: YAML files validated by pydantic, with includes and ``--set`` overrides.

A file may name others under ``include:`` (paths relative to it); they are merged first and the
file's own keys win. Every error names the file, the key and what was expected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from causalmace.errors import UserError
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
    threshold: float = Field(0.5, gt=0, le=1)
    samples: int = Field(3, ge=1, le=50)


class SchedulerConfig(Strict):
    type: str = "busy_rate"  # a registered scheduler


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
    max_actions: int = Field(200_000, ge=1)
    max_attempts: int = Field(6, ge=1)
    max_time_s: float = Field(36_000.0, gt=0)


class RunConfig(Strict):
    env: str
    task: str | None = None
    agents: int = Field(3, ge=1, le=64)
    seed: int = 0
    env_options: dict[str, Any] = Field(default_factory=dict)  # passed to the env's factory untouched
    method: str = "causalmace"
    llm: LLMConfig = Field(default_factory=SymbolicConfig)
    planner: PlannerConfig = Field(default_factory=PlannerConfig)
    refiner: RefinerConfig = Field(default_factory=RefinerConfig)
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)
    workers: WorkersConfig = Field(default_factory=WorkersConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_mapping(path: Path) -> dict[str, Any]:
    """One YAML file as a mapping, its ``include:`` left unread."""
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except FileNotFoundError:
        raise UserError("file not found", file=str(path)) from None
    except yaml.YAMLError as e:
        raise UserError(f"not valid YAML: {e}", file=str(path)) from None
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


def apply_override(data: dict[str, Any], assignment: str) -> None:
    key, sep, raw = assignment.partition("=")
    if not sep or not key:
        raise UserError(f"bad override {assignment!r}", key="--set", expected="key.path=value")
    value = yaml.safe_load(raw) if raw else ""
    node = data
    parts = key.split(".")
    for p in parts[:-1]:
        nxt = node.setdefault(p, {})
        if not isinstance(nxt, dict):
            raise UserError(f"{p!r} is not a section", key=key, expected="a dotted path to a setting")
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
    raise UserError(f"no method {method!r}", file=str(config), key="method",
                    expected=f"configs/methods/{method}.yaml or a path to a method YAML")


def load_config(path: str | Path, overrides: list[str] | None = None, method: str | None = None,
                **direct: Any) -> RunConfig:
    """Read, merge, override (method file, then ``--set``, then explicit CLI options) and validate."""
    path = Path(path)
    data = read_yaml(path)
    if method:
        data = merge(data, read_yaml(method_file(path, method)))
    for o in overrides or []:
        apply_override(data, o)
    for k, v in direct.items():
        if v is not None:
            data[k] = v
    try:
        cfg = RunConfig.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = [str(x) for x in err["loc"] if str(x) not in (*BUILTIN_PROVIDERS, "plugin")]  # union tags
        key = ".".join(loc)
        expected = err["msg"]
        if err["type"] == "extra_forbidden":
            expected = "one of the documented keys; this one is unknown"
        secret = "llm" in loc  # an API key pasted into the wrong place must not be echoed
        shown = "invalid value" if secret else f"invalid value {err.get('input')!r}"
        raise UserError(shown if err["type"] != "missing" else "missing",
                        file=str(path), key=key, expected=expected) from None
    if cfg.task is None:
        raise UserError("no task given", file=str(path), key="task", expected="--task ID or task: in the config")
    check_kinds(cfg, path)
    return cfg


def check_kinds(cfg: RunConfig, path: Path) -> None:
    """Every kind the config names is registered, so a typo stops the run before it starts."""
    from causalmace import registry

    named: list[tuple[registry.Kind, str | None, str]] = [
        ("env", cfg.env, "env"), ("llm", cfg.llm.provider, "llm.provider"),
        ("scheduler", cfg.scheduler.type, "scheduler.type"), ("agent", cfg.workers.agent, "workers.agent")]
    for kind, name, key in named:
        if name is not None and name not in registry.names(kind):
            raise UserError(f"unknown {registry.LABELS[kind]} {name!r}", file=str(path), key=key,
                            expected="one of " + ", ".join(registry.names(kind)))
