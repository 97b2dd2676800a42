"""``check_env``: our own API test of the env protocol, for plugin authors, in PettingZoo's manner.

Each check says what is wrong and how to fix it. Run it on a fresh env::

    from causalmace.envs import check_env
    check_env(my_env)            # raises EnvCheckError listing every failure
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable
from typing import Any

from causalmace.actions import Action, Wait
from causalmace.envs.protocol import OBSERVATION_KEYS, ActionResult, Capability
from causalmace.graph import TaskGraph
from causalmace.judger import Refusal, Score

REQUIRED_ATTRS = ("env_id", "task", "rules", "agents", "capabilities")
REQUIRED_METHODS = ("reset", "action_specs", "apply", "observe", "clock", "score", "intervals", "busy_times",
                    "rules_text", "world_text", "close")
CAPABILITY_METHODS: dict[Capability, tuple[str, ...]] = {
    Capability.FORK: ("fork",), Capability.RERULE: ("rerule",), Capability.SNAPSHOT: ("snapshot", "restore"),
    Capability.REFERENCE: ("reference_plan",),
}


class EnvCheckError(AssertionError):
    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        super().__init__("the env does not follow the protocol:\n" + "\n".join(f"- {f}" for f in failures))


class _Checker:
    def __init__(self, env: Any) -> None:
        self.env = env
        self.failures: list[str] = []

    def fail(self, what: str, fix: str) -> None:
        self.failures.append(f"{what}; fix: {fix}")

    def guard(self, name: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - every failure is reported, not raised
            self.fail(f"{name} raised {type(e).__name__}: {e}", f"make {name} work on a fresh env")
            return None


def _check_observation(c: _Checker, agent: str, obs: Any, where: str) -> None:
    if not isinstance(obs, dict):
        c.fail(f"{where} for {agent!r} returned {type(obs).__name__}", "return a dict")
        return
    for k in OBSERVATION_KEYS:
        if k not in obs:
            c.fail(f"{where} for {agent!r} has no {k!r}", f"add {k!r} to every observation")
    if not isinstance(obs.get("inventory", {}), dict):
        c.fail(f"{where}['inventory'] is not a dict", "give inventory as {item: count}")


def check_env(env: Any, seed: int = 0) -> None:
    """Check ``env`` against the protocol; raises :class:`EnvCheckError` naming each failure and its fix."""
    c = _Checker(env)
    for a in REQUIRED_ATTRS:
        if not hasattr(env, a):
            c.fail(f"no attribute {a!r}", f"set self.{a} in the constructor (see causalmace.envs.protocol.Env)")
    for m in REQUIRED_METHODS:
        if not callable(getattr(env, m, None)):
            c.fail(f"no method {m}()", f"implement {m} as documented in causalmace.envs.protocol.Env")
    caps = getattr(env, "capabilities", frozenset())
    if not isinstance(caps, frozenset) or not all(isinstance(x, Capability) for x in caps):
        c.fail("capabilities is not a frozenset of Capability", "use frozenset({Capability.FORK, ...}) or frozenset()")
        caps = frozenset()
    if c.failures:  # without the basics nothing else can be tried
        raise EnvCheckError(c.failures)
    for cap in list(caps):
        for m in CAPABILITY_METHODS[cap]:
            if not callable(getattr(env, m, None)):
                c.fail(f"declares {cap.value!r} but has no {m}()", f"implement {m} or drop {cap.value!r}")
                caps = caps - {cap}

    agents = list(env.agents)
    if not agents or len(set(agents)) != len(agents) or not all(isinstance(a, str) for a in agents):
        c.fail(f"agents is {agents!r}", "give a non-empty list of distinct names")
    obs = c.guard("reset(seed)", lambda: env.reset(seed))
    if isinstance(obs, dict):
        if set(obs) != set(agents):
            c.fail("reset() did not return one observation per agent", "return {agent: observe(agent)}")
        for a, o in obs.items():
            _check_observation(c, a, o, "reset()")
    specs = c.guard("action_specs()", env.action_specs) or ()
    if not all(isinstance(s, type) and issubclass(s, Action) for s in specs):
        c.fail("action_specs() holds something that is not an Action subclass", "derive actions from Action")
    if Wait not in tuple(specs):
        c.fail("action_specs() lacks Wait", "include causalmace.actions.Wait: the runner sends it to idle agents")
    for s in specs:
        if not (s.__doc__ or "").strip():
            c.fail(f"action {s.__name__} has no docstring", "describe it: the docstring is what an LLM reads")
    for a in agents:
        _check_observation(c, a, c.guard("observe()", lambda a=a: env.observe(a)), "observe()")
        t = c.guard("clock()", lambda a=a: env.clock(a))
        if not isinstance(t, int | float) or not math.isfinite(t):
            c.fail(f"clock({a!r}) returned {t!r}", "return the agent's time in seconds as a float")
    for name in ("rules_text", "world_text"):
        text = c.guard(f"{name}()", getattr(env, name))
        if not isinstance(text, str):
            c.fail(f"{name}() returned {type(text).__name__}", "return a string (it goes into the planner's prompt)")
    score = c.guard("score()", env.score)
    if not isinstance(score, Score) or not 0.0 <= score.completion <= 1.0:
        c.fail(f"score() returned {score!r}", "return causalmace.judger.Score with completion in [0, 1]")
    if agents and Wait in tuple(specs):
        before = env.clock(agents[0])
        res = c.guard("apply(Wait)", lambda: env.apply(agents[0], Wait(seconds=1.0)))
        if not isinstance(res, ActionResult):
            c.fail(f"apply() returned {type(res).__name__}", "return causalmace.envs.protocol.ActionResult")
        elif not res.status:
            c.fail("apply(Wait) was refused", "always allow Wait")
        elif env.clock(agents[0]) < before + 1.0 - 1e-9:
            c.fail("apply(Wait(1 s)) did not move the agent's clock on by 1 s", "advance the clock by the duration")
        bad = c.guard("apply(an unknown action)", lambda: env.apply(agents[0], _Unknown()))
        if isinstance(bad, ActionResult) and (bad.status or not isinstance(bad.refusal, Refusal)):
            c.fail("an action not in action_specs() was not refused with a Refusal",
                   "refuse it: ActionResult(False, message, cost, refusal=Refusal(RefusalKind.NOT_POSSIBLE, ...))")
    iv = c.guard("intervals()", env.intervals)
    if iv is not None and not (hasattr(iv, "items") and all(a in agents for a in iv)):
        c.fail("intervals() is not a mapping of agent -> [(start, end)]", "return {agent: [(start, end), ...]}")
    busy = c.guard("busy_times()", env.busy_times)
    if busy is not None and len(list(busy)) != len(agents):
        c.fail("busy_times() does not give one figure per agent", "return a list in the order of agents")
    _check_capabilities(c, env, agents, caps)
    c.guard("close()", env.close)
    if c.failures:
        raise EnvCheckError(c.failures)


class _Unknown(Action):
    """An action no env offers."""

    name: str = "__no_such_action__"


def _check_capabilities(c: _Checker, env: Any, agents: list[str], caps: frozenset[Capability]) -> None:
    if Capability.FORK in caps:
        other = c.guard("fork()", env.fork)
        if other is not None and other is env:
            c.fail("fork() returned the env itself", "return an independent copy")
        elif other is not None and agents and Wait in tuple(env.action_specs()):
            t = env.clock(agents[0])
            other.apply(agents[0], Wait(seconds=2.0))
            if env.clock(agents[0]) != t:
                c.fail("acting in a fork changed the original", "copy the world's state in fork()")
    if Capability.SNAPSHOT in caps:
        snap = c.guard("snapshot()", env.snapshot)
        if snap is not None:
            try:
                pickle.dumps(snap)
            except Exception as e:  # noqa: BLE001
                c.fail(f"snapshot() is not picklable ({type(e).__name__})", "return plain, picklable data")
            c.guard("restore(snapshot())", lambda: env.restore(snap))
    if Capability.REFERENCE in caps:
        g = c.guard("reference_plan()", env.reference_plan)
        if g is not None and not isinstance(g, TaskGraph):
            c.fail(f"reference_plan() returned {type(g).__name__}", "return a causalmace.graph.TaskGraph")
        elif g is not None:
            c.guard("reference_plan().topo_order()", g.topo_order)
