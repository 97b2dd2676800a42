"""The agent protocol: a policy that turns one subtask into actions, one decision at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from causalmace.actions import Action
from causalmace.graph import Subtask
from causalmace.judger import Refusal


@dataclass(slots=True)
class Usage:
    """LLM calls and tokens, counted where they are spent, and how often the boundary had to step in.

    ``retries`` are requests sent again after a transport failure (429, 5xx, timeout, lost connection);
    ``reformats`` are extra requests asking the model to fix an answer that failed its schema;
    ``failures`` are calls that gave up; ``cache_hits`` are answers taken from the response cache.
    """

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: int = 0
    reformats: int = 0
    failures: int = 0
    cache_hits: int = 0

    def add(self, other: Usage) -> None:
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.retries += other.retries
        self.reformats += other.reformats
        self.failures += other.failures
        self.cache_hits += other.cache_hits

    def as_dict(self) -> dict[str, int]:
        return {"calls": self.calls, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "retries": self.retries,
                "reformats": self.reformats, "failures": self.failures, "cache_hits": self.cache_hits}


@dataclass(slots=True)
class Outcome:
    """How a subtask ended: done, or failed with the reason; ``facts`` are the refusals behind it,
    which the runner's repair step matches to what other subtasks produce."""

    done: bool
    reason: str = ""
    facts: list[Refusal] = field(default_factory=list)


class AgentPolicy(Protocol):
    """One agent's policy. Made by a registered factory ``factory(agent_name=..., **options)``.

    ``world`` is the env (or, in a Worker of another process, a copy following it): a policy may use
    the env protocol's ``observe``, and whatever else its own kind of world offers.

    A policy class may set ``observes_only = True`` when it reads the world only through the protocol
    (``observe``, ``action_specs``, ``rules_text``, ``world_text``): then it can run in a Worker of
    another process even for an env that cannot snapshot itself (a live server), where a copy of the
    world cannot follow the real one.
    """

    name: str
    usage: Usage

    def start(self, subtask: Subtask, world: Any) -> None: ...
    def act(self, world: Any) -> Action | None: ...  # None: the subtask has ended, see outcome()
    def feedback(self, result: Any) -> None: ...  # the ActionResult of the last action
    def outcome(self) -> Outcome: ...
