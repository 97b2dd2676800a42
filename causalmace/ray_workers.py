"""Ray Workers: one actor per agent, holding its policy (and, for LLM agents, its conversation).

The episode loop keeps the world and its clock. It sends an actor the world's state when it wants
that agent's next decision and applies the returned action itself, in simulated-time order, so a run
on Ray gives the same trace as a local one. An actor that dies or hangs past ``timeout_s`` is
replaced; the runner gives its subtask back to the scheduler.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from causalmace import registry
from causalmace.actions import Action, parse_action
from causalmace.agent import Outcome, Usage
from causalmace.graph import Subtask


class WorkerLost(RuntimeError):
    """The agent's actor died or stopped answering; its current subtask is lost."""

    def __init__(self, agent: str, reason: str) -> None:
        self.agent = agent
        super().__init__(f"{agent}: {reason}")


def init_ray(address: str | None = None, object_store_mb: int = 100, num_cpus: int | None = None) -> None:
    """Start (or join, with ``address``) a Ray runtime quietly: no dashboard, no telemetry, loopback only."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, log_to_driver=False, configure_logging=False)
    else:
        ray.init(address="local", num_cpus=num_cpus, include_dashboard=False,
                 object_store_memory=object_store_mb * 1024 * 1024, _node_ip_address="127.0.0.1",
                 log_to_driver=False, configure_logging=False)


class AgentActor:
    """Lives in its own process: the agent's policy and a world of its own to read states into."""

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], agent: str, policy: str) -> None:
        self.env = registry.make(env_id, **env_kwargs)
        self.policy = registry.make_agent(policy, agent_name=agent)

    def pid(self) -> int:
        return os.getpid()

    def set_rules(self, rules: Any) -> None:
        self.env.rules = rules

    def start(self, subtask: Subtask, state: Any) -> None:
        self.env.state = state
        self.policy.start(subtask, self.env)

    def act(self, state: Any) -> dict[str, Any] | None:
        self.env.state = state
        action = self.policy.act(self.env)
        return None if action is None else action.model_dump()

    def feedback(self, ok: bool, message: str) -> None:
        self.policy.feedback(ok, message)

    def outcome(self) -> Outcome:
        return self.policy.outcome()

    def usage(self) -> Usage:
        return self.policy.usage


@dataclass
class _Slot:
    actor: Any
    pid: int


class RayWorkers:
    def __init__(self, env_id: str, env_kwargs: dict[str, Any], agents: list[str], policy: str = "scripted",
                 timeout_s: float = 60.0) -> None:
        import ray

        self.ray = ray
        self.env_id, self.env_kwargs, self.policy, self.timeout_s = env_id, env_kwargs, policy, timeout_s
        self._remote = ray.remote(num_cpus=0, max_restarts=0)(AgentActor)
        self.slots: dict[str, _Slot] = {}
        self.replaced = 0
        self._usage = Usage()
        self._rules_seen: dict[str, int] = {}  # agent -> id() of the rules its actor holds
        for a in agents:
            self.slots[a] = self._spawn(a)

    def _spawn(self, agent: str) -> _Slot:
        actor = self._remote.remote(self.env_id, self.env_kwargs, agent, self.policy)
        return _Slot(actor, self.ray.get(actor.pid.remote(), timeout=max(self.timeout_s, 120.0)))

    def _sync_rules(self, agent: str, world: Any) -> None:
        """The rules travel when they change (a new world, a re-ruled one), not with every decision."""
        if self._rules_seen.get(agent) != id(world.rules):
            self._call(agent, "set_rules", world.rules)
            self._rules_seen[agent] = id(world.rules)

    def _call(self, agent: str, method: str, *args: Any) -> Any:
        from ray.exceptions import GetTimeoutError, RayActorError

        try:
            return self.ray.get(getattr(self.slots[agent].actor, method).remote(*args), timeout=self.timeout_s)
        except GetTimeoutError:
            raise WorkerLost(agent, f"no answer within {self.timeout_s:g} s") from None
        except RayActorError as e:
            raise WorkerLost(agent, f"actor died ({type(e).__name__})") from None

    def replace(self, agent: str) -> int:
        """A fresh actor for ``agent``; returns its pid."""
        old = self.slots[agent]
        try:
            self._usage.add(self.ray.get(old.actor.usage.remote(), timeout=1.0))
        except Exception:  # noqa: BLE001 - a dead actor has no usage to report
            pass
        self.ray.kill(old.actor, no_restart=True)
        self.slots[agent] = self._spawn(agent)
        self._rules_seen.pop(agent, None)
        self.replaced += 1
        return self.slots[agent].pid

    def pids(self) -> dict[str, int]:
        return {a: s.pid for a, s in self.slots.items()}

    def start(self, agent: str, subtask: Subtask, world: Any) -> None:
        self._sync_rules(agent, world)
        self._call(agent, "start", subtask, world.state)

    def act(self, agent: str, world: Any) -> Action | None:
        self._sync_rules(agent, world)
        data = self._call(agent, "act", world.state)
        return None if data is None else parse_action(data)

    def feedback(self, agent: str, ok: bool, message: str) -> None:
        self._call(agent, "feedback", ok, message)

    def outcome(self, agent: str) -> Outcome:
        return self._call(agent, "outcome")

    def usage(self) -> Usage:
        total = Usage()
        total.add(self._usage)
        for a in self.slots:
            try:
                total.add(self._call(a, "usage"))
            except WorkerLost:
                pass
        return total

    def close(self) -> None:
        for s in self.slots.values():
            self.ray.kill(s.actor, no_restart=True)
        self.slots.clear()
