"""Workers run the agents' policies; the episode loop owns the world and its clock.

The local backend keeps every policy in this process. A backend only has to give each agent a
policy that answers ``start`` / ``act`` / ``feedback`` / ``outcome``; the world applies the actions it
returns in simulated-time order, whichever backend answered.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

from causalmace import registry
from causalmace.actions import Action
from causalmace.agent import Outcome, Usage
from causalmace.graph import Subtask


class Workers(Protocol):
    def start(self, agent: str, subtask: Subtask, world: Any) -> None: ...
    def act(self, agent: str, world: Any) -> Action | None: ...
    def feedback(self, agent: str, result: Any) -> None: ...
    def outcome(self, agent: str) -> Outcome: ...
    def usage(self) -> Usage: ...
    def stats(self) -> dict[str, dict[str, int]]: ...
    def replace(self, agent: str) -> int: ...
    def pids(self) -> dict[str, int]: ...
    def close(self) -> None: ...


class LocalWorkers:
    def __init__(self, agents: list[str], policy: str = "scripted", **kwargs: Any) -> None:
        """``kwargs`` go to the agent factory with each agent's name."""
        self.policy, self.kwargs = policy, kwargs
        self.policies = {a: registry.make_agent(policy, agent_name=a, **kwargs) for a in agents}
        self.lost = Usage()
        self.lost_stats: dict[str, dict[str, int]] = {}  # per agent, what replaced policies had counted

    def replace(self, agent: str) -> int:
        """A fresh policy for ``agent`` (its conversation is lost); returns this process's pid."""
        old = self.policies[agent]
        self.lost.add(old.usage)
        if gone := policy_stats(old):
            self.lost_stats[agent] = add_stats(self.lost_stats.get(agent, {}), gone)
        close_policy(old)
        self.policies[agent] = registry.make_agent(self.policy, agent_name=agent, **self.kwargs)
        return os.getpid()

    def pids(self) -> dict[str, int]:
        return {a: os.getpid() for a in self.policies}

    def start(self, agent: str, subtask: Subtask, world: Any) -> None:
        self.policies[agent].start(subtask, world)

    def act(self, agent: str, world: Any) -> Action | None:
        return self.policies[agent].act(world)

    def feedback(self, agent: str, result: Any) -> None:
        self.policies[agent].feedback(result)

    def outcome(self, agent: str) -> Outcome:
        return self.policies[agent].outcome()

    def usage(self) -> Usage:
        total = Usage()
        total.add(self.lost)
        for p in self.policies.values():
            total.add(p.usage)
        return total

    def stats(self) -> dict[str, dict[str, int]]:
        """Per agent, its model's usage and the policy's own counts, for policies that keep any."""
        merged = {a: add_stats(self.lost_stats.get(a, {}), policy_stats(p)) for a, p in self.policies.items()}
        return {a: v for a, v in merged.items() if v}

    def close(self) -> None:
        for p in self.policies.values():
            close_policy(p)


def policy_stats(policy: Any) -> dict[str, int]:
    """An LLM policy's figures (``stats()``) with its usage; empty for a policy that keeps none."""
    own = getattr(policy, "stats", None)
    if not callable(own):
        return {}
    return {**policy.usage.as_dict(), **own()}


def add_stats(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: a.get(k, 0) + b.get(k, 0) for k in dict.fromkeys([*a, *b])}


def close_policy(policy: Any) -> None:
    """Release what a policy holds (an LLM client, a local model server); most hold nothing."""
    close = getattr(policy, "close", None)
    if callable(close):
        close()
