"""The LLM behind one small protocol: a request in, text and token counts out.

Providers are chosen explicitly by name, never guessed from a model name: ``symbolic`` is the
offline knowledge model derived from the game rules; ``openai`` speaks to any OpenAI-compatible
endpoint (``base_url``: OpenAI, vLLM, Ollama, llama.cpp's server).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from causalmace.agent import Usage


@dataclass(slots=True)
class LLMRequest:
    """What the caller asks. ``context`` carries structured facts that only offline models read."""

    messages: list[dict[str, str]]
    purpose: str  # "decompose", "counterfactual", ...
    schema: dict[str, Any] | None = None
    context: dict[str, Any] = field(default_factory=dict)
    temperature: float = 0.0


@dataclass(slots=True)
class LLMResponse:
    text: str
    usage: Usage


class LLM(Protocol):
    usage: Usage

    def complete(self, request: LLMRequest) -> LLMResponse: ...


def count_tokens(text: str) -> int:
    """A tokenizer-free estimate (about four characters a token) for offline models."""
    return max(1, (len(text) + 3) // 4)


Factory = Callable[..., LLM]
