"""Ray Workers: one actor per agent, holding its policy (and, for LLM agents, its conversation).

The episode loop keeps the world and its clock. Each actor builds its own env from the env id and
task, then follows the world through the protocol: an opaque ``snapshot()`` where the env offers
one, the agent's observation otherwise. It answers with the next decision, and the loop applies it
in simulated-time order, so a run on Ray gives the same trace as a local one. An actor that dies
or hangs past ``timeout_s`` is replaced; the runner gives its subtask back to the scheduler.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any

from causalmace import registry
from causalmace.actions import Action, parse_action
from causalmace.agent import Outcome, Usage
from causalmace.envs.protocol import Capability, has
from causalmace.errors import UserError
from causalmace.graph import Subtask
from causalmace.workers import add_stats, close_policy, policy_stats


class WorkerLost(RuntimeError):
    """The agent's actor died or stopped answering; its current subtask is lost."""

    def __init__(self, agent: str, reason: str) -> None:
        self.agent = agent
        super().__init__(f"{agent}: {reason}")


def init_ray(address: str | None = None, object_store_mb: int = 100, num_cpus: int | None = None) -> None:
    """Start (or join, with ``address``) a Ray runtime quietly: no dashboard, no telemetry, loopback only."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if not address:
        # Ray turns a loopback node address into the machine's reachable one, and then listens on every
        # interface; with clusters off it keeps the loopback address, so every socket stays on 127.0.0.1.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    import ray

    if ray.is_initialized():
        return
    if address:
        _reachable(address)
        ray.init(address=address, log_to_driver=False, configure_logging=False)
    else:
        ray.init(address="local", num_cpus=num_cpus, include_dashboard=False,
                 object_store_memory=object_store_mb * 1024 * 1024, _node_ip_address="127.0.0.1",
                 log_to_driver=False, configure_logging=False)


class ObservedWorld:
    """What a policy sees of an env that cannot snapshot: the latest observation of its agent."""

    def __init__(self, env: Any, agent: str) -> None:
        self.env, self.agent = env, agent
        self.last: dict[str, Any] = {}

    def observe(self, agent: str) -> dict[str, Any]:
        return self.last

    def __getattr__(self, name: str) -> Any:  # rules, task, action_specs, ...: the actor's own env
        return getattr(self.env, name)


CONNECT_TIMEOUT_S = 10.0


def _reachable(address: str) -> None:
    """Fail fast, with a clear message, when nothing answers at a cluster's address (Ray itself waits)."""
    if address == "auto":
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(f"Ray address {address!r} is malformed", key="workers.ray.address",
                        expected="HOST:PORT, e.g. 127.0.0.1:6379")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as e:
        raise UserError(f"no Ray cluster answers at {address} ({e.strerror or e})", key="workers.ray.address",
                        expected="the address of a running Ray head (ray start --head)") from None


def check_policy(env_id: str, env_kwargs: dict[str, Any], policy: str) -> None:
    """A world that cannot snapshot cannot be followed by a copy in another process; only a policy
    that reads the world through observations alone can run there. Checked before Ray starts."""
    factory = registry.factory("env", env_id)
    caps = getattr(factory, "capabilities", None)
    if caps is None:
        env = registry.make(env_id, **env_kwargs)
        caps = getattr(env, "capabilities", frozenset())
        env.close()
    if Capability.SNAPSHOT in caps or getattr(registry.agent_factory(policy), "observes_only", False):
        return
    raise UserError(f"agent {policy!r} reads more of the world than observations, and env {env_id!r} "
                    "cannot snapshot itself for a Worker in another process", key="workers.backend",
                    expected="workers.backend: local, or an agent that only observes (e.g. workers.agent: llm)")


class AgentActor:
    """Lives in its own process: the agent's policy and a world of its own that follows the real one."""

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], agent: str, policy: str,
                 policy_kwargs: dict[str, Any] | None = None) -> None:
        self.env = registry.make(env_id, **env_kwargs)
        if has(self.env, Capability.SNAPSHOT):
            self.env.reset()
            self.world: Any = self.env
        else:  # a live world is not started twice: the copy only lends its static parts (specs, texts)
            self.world = ObservedWorld(self.env, agent)
        self.policy = registry.make_agent(policy, agent_name=agent, **(policy_kwargs or {}))

    def pid(self) -> int:
        return os.getpid()

    def _follow(self, view: Any) -> None:
        if isinstance(self.world, ObservedWorld):
            self.world.last = view
        else:
            self.env.restore(view)

    def start(self, subtask: Subtask, view: Any) -> None:
        self._follow(view)
        self.policy.start(subtask, self.world)

    def act(self, view: Any) -> dict[str, Any] | None:
        self._follow(view)
        action = self.policy.act(self.world)
        return None if action is None else action.model_dump()

    def feedback(self, result: Any) -> None:
        self.policy.feedback(result)

    def outcome(self) -> Outcome:
        return self.policy.outcome()

    def usage(self) -> Usage:
        return self.policy.usage

    def stats(self) -> dict[str, int]:
        return policy_stats(self.policy)

    def close(self) -> None:
        close_policy(self.policy)


@dataclass
class _Slot:
    actor: Any
    pid: int


class RayWorkers:
    def __init__(self, env_id: str, env_kwargs: dict[str, Any], agents: list[str], policy: str = "scripted",
                 timeout_s: float = 60.0, policy_kwargs: dict[str, Any] | None = None) -> None:
        import ray

        self.ray = ray
        self.env_id, self.env_kwargs, self.policy, self.timeout_s = env_id, env_kwargs, policy, timeout_s
        self.policy_kwargs = policy_kwargs or {}
        self._remote = ray.remote(num_cpus=0, max_restarts=0)(AgentActor)
        self.slots: dict[str, _Slot] = {}
        self.replaced = 0
        self._usage = Usage()
        self._lost_stats: dict[str, dict[str, int]] = {}
        for a in agents:
            self.slots[a] = self._spawn(a)

    def _spawn(self, agent: str) -> _Slot:
        actor = self._remote.remote(self.env_id, self.env_kwargs, agent, self.policy, self.policy_kwargs)
        return _Slot(actor, self.ray.get(actor.pid.remote(), timeout=max(self.timeout_s, 120.0)))

    @staticmethod
    def _view(agent: str, world: Any) -> Any:
        return world.snapshot() if has(world, Capability.SNAPSHOT) else world.observe(agent)

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
            if gone := self.ray.get(old.actor.stats.remote(), timeout=1.0):
                self._lost_stats[agent] = add_stats(self._lost_stats.get(agent, {}), gone)
            self.ray.get(old.actor.close.remote(), timeout=1.0)
        except Exception:  # noqa: BLE001 - a dead actor has no usage to report
            pass
        self.ray.kill(old.actor, no_restart=True)
        self.slots[agent] = self._spawn(agent)
        self.replaced += 1
        return self.slots[agent].pid

    def pids(self) -> dict[str, int]:
        return {a: s.pid for a, s in self.slots.items()}

    def start(self, agent: str, subtask: Subtask, world: Any) -> None:
        self._call(agent, "start", subtask, self._view(agent, world))

    def act(self, agent: str, world: Any) -> Action | None:
        data = self._call(agent, "act", self._view(agent, world))
        return None if data is None else parse_action(data, world.action_specs())

    def feedback(self, agent: str, result: Any) -> None:
        self._call(agent, "feedback", result)

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

    def stats(self) -> dict[str, dict[str, int]]:
        """Per agent, its model's usage and the policy's own counts, for policies that keep any."""
        out = {}
        for a in self.slots:
            try:
                own = self._call(a, "stats")
            except WorkerLost:
                own = {}
            if merged := add_stats(self._lost_stats.get(a, {}), own):
                out[a] = merged
        return out

    def close(self) -> None:
        for s in self.slots.values():
            try:  # let the policy release what it holds (a local model server) before the actor goes
                self.ray.get(s.actor.close.remote(), timeout=5.0)
            except Exception:  # noqa: BLE001 - a dead or hung actor has nothing left to release
                pass
            self.ray.kill(s.actor, no_restart=True)
        self.slots.clear()
