"""Errors from the LLM boundary: one type that says what was tried and why each attempt failed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Attempt:
    """One request sent, and how it went: ``ok``, or the kind of failure and a short detail."""

    kind: str  # "ok", "timeout", "connection", "status", "invalid_output", "length"
    detail: str = ""
    status: int | None = None

    def __str__(self) -> str:
        code = f" {self.status}" if self.status is not None else ""
        return f"{self.kind}{code}: {self.detail}" if self.detail else f"{self.kind}{code}"


class LLMError(Exception):
    """The model gave no usable answer within the retry and reformat budgets.

    ``kind`` is the final failure (``"transport"``, ``"status"``, ``"invalid_output"``, ``"replay_miss"``,
    ``"server"``); ``attempts`` lists every request made for this call.
    """

    def __init__(self, message: str, *, purpose: str = "", kind: str = "transport",
                 attempts: list[Attempt] | None = None, last_text: str | None = None) -> None:
        self.purpose, self.kind = purpose, kind
        self.attempts = list(attempts or [])
        self.last_text = last_text
        head = f"LLM call {purpose!r} failed" if purpose else "LLM call failed"
        text = f"{head}: {message}"
        if self.attempts:
            text += f" (after {len(self.attempts)} attempt(s): " + "; ".join(map(str, self.attempts[-4:])) + ")"
        super().__init__(text)


class ReplayMissError(LLMError):
    """A replayed run asked something the recording does not hold."""

    def __init__(self, message: str, *, purpose: str, request_key: str) -> None:
        self.request_key = request_key
        super().__init__(message, purpose=purpose, kind="replay_miss")
