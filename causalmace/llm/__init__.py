"""The LLM behind one small protocol: a request in, text, tool calls and token counts out.

Providers are chosen explicitly by name, never guessed from a model name: ``symbolic`` is the
offline knowledge model derived from the game rules; ``openai`` speaks to any OpenAI-compatible
endpoint (``base_url``: OpenAI, vLLM, Ollama, llama.cpp's server); ``local`` starts llama.cpp's
server on a small model shipped as a Python package; ``replay`` answers from a recording.
:func:`causalmace.llm.factory.make_llm` builds one from its config.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from causalmace.agent import Usage


@dataclass(slots=True)
class LLMRequest:
    """What the caller asks. ``context`` carries structured facts that only offline models read.

    ``None`` for ``temperature``, ``seed`` or ``max_tokens`` means the provider's configured value.
    ``tools`` is an OpenAI tools list; ``tool_choice`` is ``"auto"``, ``"required"``, ``"none"`` or a
    tool's name. The same request gets the same answer (and is cached as one); to ask the same
    question again as an independent sample, count ``sample`` up: it is added to the seed.
    """

    messages: list[dict[str, Any]]
    purpose: str  # "decompose", "counterfactual", ...
    schema: dict[str, Any] | None = None
    context: dict[str, Any] = field(default_factory=dict)
    temperature: float | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | None = None
    seed: int | None = None
    max_tokens: int | None = None
    sample: int = 0


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One call the model asked for, its arguments already parsed and checked against the tool."""

    name: str
    arguments: dict[str, Any]
    id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "arguments": self.arguments}


@dataclass(slots=True)
class LLMResponse:
    """The answer. With a schema, ``text`` is the validated JSON re-serialised and ``parsed`` its value."""

    text: str
    usage: Usage
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    parsed: Any = None
    cached: bool = False


class LLM(Protocol):
    usage: Usage

    def complete(self, request: LLMRequest) -> LLMResponse: ...


def count_tokens(text: str) -> int:
    """A tokenizer-free estimate (about four characters a token) for offline models."""
    return max(1, (len(text) + 3) // 4)


Factory = Callable[..., LLM]
