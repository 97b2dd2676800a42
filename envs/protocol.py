"""The env protocol: everything the runner, the planner, the Judger and the agents ask of a world.

A world is simulated or live; the core reaches it through this protocol alone. Each method's
docstring is its contract, and :func:`causalmace.envs.check_env` tests an env against it.

An env is made by a factory registered under an id (``namespace/Name-vN``)::

    factory(*, task: str | None, agents: int, **options) -> Env

``task`` is one of the ids the factory's ``tasks()`` lists (None: the first); ``options`` is the
run config's ``env_options`` mapping, passed through untouched. ``factory.tasks(agents=1)`` lists
the runs the env offers, so that ``causalmace tasks list --env ID`` works for any env.

Optional capabilities are declared in ``capabilities`` and checked before they are used; a run
without them proceeds with what it has (the refiner picks an estimator that needs none, and the
trace says so):

* ``fork``: :meth:`Forkable.fork`, an independent copy of the world as it stands.
* ``rerule``: :meth:`Reruleable.rerule`, a copy of the env with one rule changed (interventions).
* ``snapshot``: :meth:`Snapshotable.snapshot` / ``restore``, an opaque picklable state, so that
  Workers in other processes can follow the world.
* ``reference``: :meth:`HasReference.reference_plan`, the correct task graph, for offline runs
  (the symbolic model plans from it) and for metrics (made-up and missing edges, lower bound).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from causalmace.actions import Action
from causalmace.graph import TaskGraph
from causalmace.judger import Refusal, Score
from causalmace.rules import RuleChange, RuleSet
from causalmace.tasks import Task


class Capability(StrEnum):
    FORK = "fork"
    RERULE = "rerule"
    SNAPSHOT = "snapshot"
    REFERENCE = "reference"


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What happened to one action.

    ``status`` False means the Judger refused it and the world did not change (beyond the time the
    agent lost); ``refusal`` then says why as a typed fact, ``message`` in words for an LLM.
    ``duration`` is the seconds the action took on the agent's clock.
    """

    status: bool
    message: str
    duration: float
    data: Any = None
    refusal: Refusal | None = None


Observation = dict[str, Any]
"""What one agent perceives: a JSON-able dict with at least ``time`` (float) and ``inventory``
(item -> count); ``position`` where the world has places; any other key is the env's own."""
OBSERVATION_KEYS = ("time", "inventory")


@runtime_checkable
class Env(Protocol):
    """One task in one world, for a team of named agents.

    Attributes: ``env_id`` (the registry id), ``task`` (a :class:`~causalmace.tasks.Task`), ``rules``
    (the game rules as data; an env without such rules gives an empty ``RuleSet``), ``agents`` (the
    agents' names, fixed for the env's life) and ``capabilities`` (a frozenset of :class:`Capability`).
    """

    env_id: str
    task: Task
    rules: RuleSet
    agents: list[str]
    capabilities: frozenset[Capability]

    def reset(self, seed: int | None = None) -> dict[str, Observation]:
        """Lay the world out anew; the same seed gives the same world. Returns each agent's observation."""
        ...

    def action_specs(self) -> tuple[type[Action], ...]:
        """The action types agents may send: pydantic models, which also become LLM tool schemas.

        Must include :class:`~causalmace.actions.Wait`, which the runner sends to idle agents.
        """
        ...

    def apply(self, agent: str, action: Action) -> ActionResult:
        """Judge ``action`` against the rules, then carry it out at ``agent``'s clock.

        A refused action changes nothing but the agent's clock and returns ``refusal``. The runner
        calls this for the agent whose clock is earliest, so actions land in time order.
        """
        ...

    def observe(self, agent: str) -> Observation:
        """What ``agent`` perceives now: its time, inventory, position if any, and env facts."""
        ...

    def clock(self, agent: str) -> float:
        """Seconds on ``agent``'s clock (simulated, or wall-clock since reset for a live world)."""
        ...

    def score(self) -> Score:
        """The task's score now, from the world's state: completion in [0, 1] and named details."""
        ...

    def intervals(self) -> Mapping[str, Sequence[tuple[float, float]]]:
        """Per agent, the (start, end) of every action that was work (not waiting)."""
        ...

    def busy_times(self) -> list[float]:
        """Seconds of work per agent, in ``agents`` order."""
        ...

    def rules_text(self) -> str:
        """The rules that matter for this task, in words: what the planner's prompt shows the LLM."""
        ...

    def world_text(self) -> str:
        """What the team can see at the start (resources, stations, places), in words."""
        ...

    def close(self) -> None:
        """Release what the env holds (servers, bots, files). Safe to call twice."""
        ...


class Forkable(Protocol):
    def fork(self) -> Env:
        """An independent copy of the world as it stands now."""
        ...


class Reruleable(Protocol):
    def rerule(self, change: RuleChange) -> Env:
        """A copy of the env, as it stands, with ``change`` applied to its rules."""
        ...


class Snapshotable(Protocol):
    def snapshot(self) -> Any:
        """An opaque, picklable state of the world."""
        ...

    def restore(self, snap: Any) -> None:
        """Set the world to a state ``snapshot`` gave (of an env made with the same id and task)."""
        ...


class HasReference(Protocol):
    def reference_plan(self) -> TaskGraph:
        """The correct task graph for this task, with ``origin="truth"`` edges."""
        ...


def has(env: Any, cap: Capability) -> bool:
    return cap in getattr(env, "capabilities", frozenset())


def inventory_of(env: Env, agent: str) -> Mapping[str, int]:
    return env.observe(agent)["inventory"]
