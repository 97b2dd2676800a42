"""The agent protocol: a policy that turns one subtask into actions, one decision at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from causalmace.actions import Action
from causalmace.graph import Subtask


@dataclass(slots=True)
class Usage:
    """LLM calls and tokens, counted where they are spent."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens

    def as_dict(self) -> dict[str, int]:
        return {"calls": self.calls, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens}


@dataclass(slots=True)
class Outcome:
    """How a subtask ended: done, or failed with the Judger's reason."""

    done: bool
    reason: str = ""
    missing: list[str] = field(default_factory=list)  # items or facts the agent found missing


class AgentPolicy(Protocol):
    name: str
    usage: Usage

    def start(self, subtask: Subtask, world: Any) -> None: ...
    def act(self, world: Any) -> Action | None: ...  # None: the subtask has ended, see outcome()
    def feedback(self, ok: bool, message: str) -> None: ...
    def outcome(self) -> Outcome: ...
