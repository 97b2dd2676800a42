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


def make_llm(cfg: RunConfig) -> LLM:
    factory = registry.factory("llm", cfg.llm.provider)
    return factory(cfg.llm.model_dump(), seed=cfg.seed)


def make_scheduler(cfg: RunConfig, graph: TaskGraph, agents: list[str], llm: LLM) -> Scheduler:
    return registry.factory("scheduler", cfg.scheduler.type)(graph=graph, agents=agents, llm=llm)


def make_workers(cfg: RunConfig, env: Any) -> Any:
    agent = agent_name(cfg, env)
    if cfg.workers.backend == "ray":
        from causalmace.ray_workers import RayWorkers, init_ray

        r = cfg.workers.ray
        init_ray(r.address, r.object_store_mb, r.num_cpus)
        kwargs = {"task": env.task.id, "agents": cfg.agents, **cfg.env_options}
        return RayWorkers(cfg.env, kwargs, env.agents, agent, r.timeout_s)
    return LocalWorkers(env.agents, agent)
