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
    def replace(self, agent: str) -> int: ...
    def pids(self) -> dict[str, int]: ...
    def close(self) -> None: ...


class LocalWorkers:
    def __init__(self, agents: list[str], policy: str = "scripted", **kwargs: Any) -> None:
        """``kwargs`` go to the agent factory with each agent's name."""
        self.policy, self.kwargs = policy, kwargs
        self.policies = {a: registry.make_agent(policy, agent_name=a, **kwargs) for a in agents}
        self.lost = Usage()

    def replace(self, agent: str) -> int:
        """A fresh policy for ``agent`` (its conversation is lost); returns this process's pid."""
        self.lost.add(self.policies[agent].usage)
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

    def close(self) -> None:
        return None
