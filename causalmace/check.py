"""Prove a task solvable: one scripted agent follows the correct plan, and the Judger scores it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from causalmace import registry, scoring
from causalmace.planner.symbolic import decompose


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
    """Execute the true plan in topological order; returns (actions, failure reason or '')."""
    graph = decompose(env.task, env.rules, env.survey())
    n = 0
    for sid in graph.topo_order():
        agent.start(graph.subtask(sid), env)
        while (action := agent.act(env)) is not None:
            result = env.apply(agent.name, action)
            agent.feedback(result.status, result.message)
            n += 1
            if n > max_actions:
                return n, f"{sid}: more than {max_actions} actions"
        out = agent.outcome()
        if not out.done:
            return n, f"{sid}: {out.reason}"
    return n, ""


def check_task(env_id: str, task: Any, seed: int = 0) -> CheckRow:
    env = registry.make(env_id, task=task, agents=1)
    env.reset(seed)
    agent = registry.make_agent("scripted", agent_name=env.agents[0])
    n, failure = run_plan(env, agent)
    score = env.score()
    intervals = [iv for ivs in env.intervals().values() for iv in ivs]
    makespan = max((e for _, e in intervals), default=0.0)
    detail = failure or ", ".join(f"{k} {v:.2f}" for k, v in score.detail.items())
    return CheckRow(task.id, task.suite, score.completed and not failure, score.completion, n, makespan,
                    scoring.efficiency(task.t_max, intervals), detail)
