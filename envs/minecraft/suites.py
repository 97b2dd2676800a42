"""VillagerBench's three suites on a live Minecraft server: the same tasks and loaders as CraftWorld's.

Env ids ``minecraft/VillagerBench-Construction-v0``, ``-Farming-v0`` and ``-Escape-v0``. A factory builds no
process: the server and the bots start on the env's first ``reset()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from causalmace.envs.villagerbench import suites as vb
from causalmace.envs.villagerbench.reference import decompose
from causalmace.tasks import Task

from .env import MinecraftEnv

ENV_IDS = {
    "construction": "minecraft/VillagerBench-Construction-v0",
    "farming": "minecraft/VillagerBench-Farming-v0",
    "escape": "minecraft/VillagerBench-Escape-v0",
}
WORLD_MODELS = {"construction": vb.make_construction, "farming": vb.make_farming, "escape": vb.make_escape}


def make_env(suite: str, task: str | Task | None = None, agents: int = 1, *, think_time: float = 0.0,
             data: str | None = None, server: Any = None, action_timeout_s: float = 60.0,
             origin: Sequence[int] = (0, 0), navigate_fallback: str = "teleport", join_timeout_s: float = 30.0,
             path_think_s: float = 2.0, log_dir: str | Path | None = None) -> MinecraftEnv:
    """The protocol's factory. Options (a run config's ``env_options``):

    * ``server``: ``{kind: flying-squid, version: "1.19.2", port: 0}`` (default: our own server per episode on
      a free loopback port) or ``{kind: external, host, port, version, feet_y, admin}`` (a running server with
      causalmace's plugin, e.g. ``causalmace minecraft serve``; ``admin`` is the op'd agent that builds the
      scene). A started :class:`~causalmace.envs.minecraft.FlyingSquidServer` is shared, never stopped.
    * ``action_timeout_s``: a bot action still running after this long is stopped and refused.
    * ``think_time``: seconds an agent's clock gains per decision (counted, not slept).
    * ``origin``: ``[x, z]`` where the task's (0, 0) stands on the server, so scenes can share one server.
    * ``navigate_fallback``: ``teleport`` (default) or ``refuse`` when no walking path reaches a cell.
    * ``path_think_s``: how long the pathfinder may search for a path before the fallback.
    * ``join_timeout_s``, ``log_dir`` (keeps the server's and the bots' logs), ``data`` (a task file).
    """
    if task is None:
        t = vb.load_tasks(suite, data, agents)[0]
    elif isinstance(task, str):
        t = vb.get_task(suite, task, agents, data)
    else:
        t = task
    return MinecraftEnv(t, vb.rules_for(t), n_agents=agents, env_id=ENV_IDS[suite], think_time=think_time,
                        action_timeout_s=action_timeout_s, server=server, origin=origin,
                        navigate_fallback=navigate_fallback, join_timeout_s=join_timeout_s,
                        path_think_s=path_think_s, log_dir=log_dir,
                        reference=decompose, world_model=WORLD_MODELS[suite])


def make_construction(**kwargs: Any) -> MinecraftEnv:
    return make_env("construction", **kwargs)


def make_farming(**kwargs: Any) -> MinecraftEnv:
    return make_env("farming", **kwargs)


def make_escape(**kwargs: Any) -> MinecraftEnv:
    return make_env("escape", **kwargs)


# each factory lists its runs, as CraftWorld's do, so `causalmace tasks list --env ID` works
make_construction.tasks = vb.make_construction.tasks  # type: ignore[attr-defined]
make_farming.tasks = vb.make_farming.tasks  # type: ignore[attr-defined]
make_escape.tasks = vb.make_escape.tasks  # type: ignore[attr-defined]
