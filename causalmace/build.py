"""Everything a run is made of, built from its config through the registry."""

from __future__ import annotations

from typing import Any

from causalmace import registry
from causalmace.config import RunConfig
from causalmace.graph import TaskGraph
from causalmace.llm import LLM
from causalmace.scheduler import Scheduler
from causalmace.workers import LocalWorkers

DEFAULT_AGENT = "scripted"


def make_env(cfg: RunConfig) -> Any:
    return registry.make(cfg.env, task=cfg.task, agents=cfg.agents, **cfg.env_options)


def agent_name(cfg: RunConfig, env: Any) -> str:
    """The configured agent, else the env's own default, else the scripted agent."""
    return cfg.workers.agent or getattr(env, "default_agent", None) or DEFAULT_AGENT


def llm_from(settings: Any, seed: int) -> LLM:
    """An LLM from one ``llm`` section, by its explicit provider name."""
    return registry.factory("llm", settings.provider)(settings.model_dump(), seed=seed)


def make_llm(cfg: RunConfig) -> LLM:
    return llm_from(cfg.llm, cfg.seed)


def agent_options(cfg: RunConfig) -> dict[str, Any]:
    """What an agent factory gets besides its name: LLM agents build their own client from these
    settings (a client does not travel to a Worker in another process)."""
    settings = cfg.workers.llm or cfg.llm
    return {"llm": settings.model_dump(), "seed": cfg.seed, "max_steps": cfg.workers.max_steps}


def make_scheduler(cfg: RunConfig, graph: TaskGraph, agents: list[str], llm: LLM, env: Any = None) -> Scheduler:
    return registry.factory("scheduler", cfg.scheduler.type)(graph=graph, agents=agents, llm=llm, env=env,
                                                             **cfg.scheduler.options)


def make_workers(cfg: RunConfig, env: Any) -> Any:
    agent = agent_name(cfg, env)
    if cfg.workers.backend == "ray":
        from causalmace.ray_workers import RayWorkers, check_policy, init_ray

        r = cfg.workers.ray
        kwargs = {"task": env.task.id, "agents": cfg.agents, **cfg.env_options}
        check_policy(cfg.env, kwargs, agent)
        init_ray(r.address, r.object_store_mb, r.num_cpus)
        return RayWorkers(cfg.env, kwargs, env.agents, agent, r.timeout_s, policy_kwargs=agent_options(cfg))
    return LocalWorkers(env.agents, agent, **agent_options(cfg))
