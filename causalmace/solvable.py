"""Prove a task solvable: one agent follows the env's reference plan, and the env scores it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from causalmace import metrics, registry
from causalmace.envs.protocol import Capability, has
from causalmace.errors import UserError


@dataclass(frozen=True, slots=True)
class CheckRow:
    task: str
    suite: str
    solved: bool
    completion: float
    actions: int
    makespan_s: float
    efficiency: float
    detail: str


def run_plan(env: Any, agent: Any, max_actions: int = 100_000) -> tuple[int, str]:
    """Execute the reference plan in topological order; returns (actions, failure reason or '')."""
    graph = env.reference_plan()
    n = 0
    for sid in graph.topo_order():
        agent.start(graph.subtask(sid), env)
        while (action := agent.act(env)) is not None:
            result = env.apply(agent.name, action)
            agent.feedback(result)
            n += 1
            if n > max_actions:
                return n, f"{sid}: more than {max_actions} actions"
        out = agent.outcome()
        if not out.done:
            return n, f"{sid}: {out.reason}"
    return n, ""


def check_task(env_id: str, task: Any, seed: int = 0, agent: str | None = None) -> CheckRow:
    env = registry.make(env_id, task=task, agents=1)
    try:
        if not has(env, Capability.REFERENCE):
            raise UserError(f"env {env_id!r} has no reference plan, so its tasks cannot be checked offline",
                            key="env", expected="an env with the 'reference' capability")
        env.reset(seed)
        name = agent or getattr(env, "default_agent", None) or "scripted"
        policy = registry.make_agent(name, agent_name=env.agents[0])
        n, failure = run_plan(env, policy)
        score = env.score()
        intervals = [iv for ivs in env.intervals().values() for iv in ivs]
    finally:
        env.close()
    makespan = max((e for _, e in intervals), default=0.0)
    detail = failure or ", ".join(f"{k} {v:.2f}" for k, v in score.detail.items())
    return CheckRow(env.task.id, env.task.suite, score.completed and not failure, score.completion, n, makespan,
                    metrics.efficiency(env.task.t_max, intervals), detail)
