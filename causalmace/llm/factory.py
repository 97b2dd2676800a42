"""LLM providers built from config, chosen by the explicit ``provider`` name, never by model name.

``make_openai``, ``make_local`` and ``make_replay`` have the registry's LLM factory signature
``factory(config: dict, *, seed: int) -> LLM``: ``config`` is the run config's ``llm`` section, checked
here against the provider's strict model, and ``seed`` (the run's) is added to the configured one.
:func:`make_llm` picks among all four by name, for callers without a registry. Providers are
imported only when chosen, so a run with the symbolic model never loads ``openai`` or llama.cpp.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from causalmace.errors import UserError
from causalmace.llm import LLM
from causalmace.llm.config import LocalConfig, OpenAIConfig, ReplayConfig, SymbolicConfig, parse_llm_config

PROVIDERS = ("symbolic", "openai", "local", "replay")
_OWN = (SymbolicConfig, OpenAIConfig, LocalConfig, ReplayConfig)
M = TypeVar("M", bound=BaseModel)


def _user_error(e: ValidationError) -> UserError:
    """The first problem as a user error naming the key; the offending value is never echoed (it may be a key)."""
    err = e.errors(include_input=False)[0]
    if err["type"] == "union_tag_invalid":
        return UserError("unknown LLM provider", key="llm.provider", expected="one of " + ", ".join(PROVIDERS))
    key = ".".join(["llm", *(str(x) for x in err["loc"] if str(x) not in PROVIDERS)])
    expected = "one of the documented keys; this one is unknown" if err["type"] == "extra_forbidden" else err["msg"]
    return UserError("invalid LLM setting" if err["type"] != "missing" else "missing", key=key, expected=expected)


def _check(model: type[M], config: Any) -> M:
    if isinstance(config, model):
        return config
    try:
        return model.model_validate(config)
    except ValidationError as e:
        raise _user_error(e) from None


def make_openai(config: dict[str, Any], *, seed: int = 0) -> LLM:
    from causalmace.llm.openai_provider import OpenAIProvider

    return OpenAIProvider(_check(OpenAIConfig, config), seed_offset=seed)


def make_local(config: dict[str, Any], *, seed: int = 0) -> LLM:
    from causalmace.llm.local import LocalLLM

    return LocalLLM(_check(LocalConfig, config), seed_offset=seed)


def make_replay(config: dict[str, Any], *, seed: int = 0) -> LLM:
    from causalmace.llm.replay import ReplayLLM

    return ReplayLLM(_check(ReplayConfig, config), seed_offset=seed)


def make_llm(config: Any, *, seed_offset: int = 0) -> LLM:
    """Build the provider ``config`` names (a config model or a mapping; ``provider`` defaults to symbolic)."""
    if isinstance(config, BaseModel) and not isinstance(config, _OWN):
        config = config.model_dump()  # an equivalent model from elsewhere, e.g. the run config's own
    if not isinstance(config, _OWN):
        try:
            config = parse_llm_config(config)
        except ValidationError as e:
            raise _user_error(e) from None
    if isinstance(config, SymbolicConfig):
        from causalmace.llm.symbolic import make_symbolic

        return make_symbolic(config.model_dump(), seed=seed_offset)
    if isinstance(config, OpenAIConfig):
        return make_openai(config.model_dump(), seed=seed_offset)
    if isinstance(config, LocalConfig):
        return make_local(config.model_dump(), seed=seed_offset)
    return make_replay(config.model_dump(), seed=seed_offset)


def close_llm(llm: Any) -> None:
    """Release what a provider holds (HTTP connections, a local server); a no-op for the others."""
    close = getattr(llm, "close", None)
    if callable(close):
        close()
