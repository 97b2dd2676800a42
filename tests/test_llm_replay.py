"""Replay from a recording, the provider factory and the typed configs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openai_stub_server import StubServer, answer_json, chat, tool_call
from pydantic import ValidationError

from causalmace.config import RunConfig
from causalmace.errors import UserError
from causalmace.llm import LLMRequest
from causalmace.llm.config import LocalConfig, OpenAIConfig, ReplayConfig, SymbolicConfig, parse_llm_config
from causalmace.llm.errors import LLMError, ReplayMissError
from causalmace.llm.factory import close_llm, make_llm, make_openai, make_replay
from causalmace.llm.openai_provider import OpenAIProvider
from causalmace.llm.replay import ReplayLLM
from causalmace.llm.symbolic import SymbolicLLM

COLOR = {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"]}
MINE = {"type": "function", "function": {"name": "mine", "parameters": {
    "type": "object", "properties": {"count": {"type": "integer"}}, "required": ["count"]}}}


def requests() -> list[LLMRequest]:
    return [LLMRequest([{"role": "user", "content": "Name a color."}], "color", COLOR),
            LLMRequest([{"role": "user", "content": "Mine."}], "act", tools=[MINE], tool_choice="required"),
            LLMRequest([{"role": "user", "content": "Say hi."}], "chat"),
            LLMRequest([{"role": "user", "content": "Say hi."}], "chat", seed=42),
            LLMRequest([{"role": "user", "content": "Say hi."}], "chat", sample=1)]


def record(folder: Path, **kw: Any) -> tuple[list[Any], dict[str, int]]:
    with StubServer() as server:
        server.push(chat("{bad"), answer_json({"color": "teal"}), tool_call("mine", {"count": 2}),
                    chat("hi"), chat("hello"), chat("hey"))
        p = make_llm({"provider": "openai", "model": "stub-model", "base_url": server.base_url, "api_key_env": None,
                      "cache_dir": str(folder), **kw})
        assert isinstance(p, OpenAIProvider)
        answers = [p.complete(r) for r in requests()]
        close_llm(p)
    return answers, p.usage.as_dict()


def test_replay_answers_exactly_with_the_server_gone(tmp_path: Path) -> None:
    recorded, usage = record(tmp_path)
    replay = make_llm({"provider": "replay", "cache_dir": str(tmp_path)})
    assert isinstance(replay, ReplayLLM) and len(replay) == 5
    again = [replay.complete(r) for r in requests()]
    for a, b in zip(recorded, again, strict=True):
        assert (a.text, a.tool_calls, a.parsed, a.finish_reason) == (b.text, b.tool_calls, b.parsed, b.finish_reason)
        assert b.cached
    replayed = replay.usage.as_dict()
    assert replayed.pop("cache_hits") == 5
    assert [a.text for a in again[2:]] == ["hi", "hello", "hey"]
    usage.pop("cache_hits")
    assert replayed == usage  # the same calls, tokens and reformats as the recorded run
    assert usage["reformats"] == 1


def test_replay_miss_names_the_request(tmp_path: Path) -> None:
    record(tmp_path)
    replay = ReplayLLM(ReplayConfig(provider="replay", cache_dir=str(tmp_path)))
    with pytest.raises(ReplayMissError) as e:
        replay.complete(LLMRequest([{"role": "user", "content": "Something never asked."}], "decompose"))
    assert e.value.purpose == "decompose" and e.value.kind == "replay_miss"
    assert "'decompose'" in str(e.value) and e.value.request_key in str(e.value) and str(tmp_path) in str(e.value)
    with pytest.raises(ReplayMissError):  # another seed is another request
        ReplayLLM(ReplayConfig(provider="replay", cache_dir=str(tmp_path), seed=7)).complete(requests()[2])
    assert isinstance(e.value, LLMError)


def test_replay_picks_a_model(tmp_path: Path) -> None:
    record(tmp_path)
    with StubServer() as server:
        server.push(chat("bonjour"))
        OpenAIProvider(OpenAIConfig(provider="openai", model="other", base_url=server.base_url, api_key_env=None,
                                    cache_dir=str(tmp_path))).complete(requests()[2])
    with pytest.raises(LLMError, match="set model to pick one"):
        ReplayLLM(ReplayConfig(provider="replay", cache_dir=str(tmp_path))).complete(requests()[2])
    pick = ReplayLLM(ReplayConfig(provider="replay", cache_dir=str(tmp_path), model="other"))
    assert pick.complete(requests()[2]).text == "bonjour"


def test_factory_providers_by_name() -> None:
    llm = make_llm({"provider": "symbolic", "seed": 3, "noise": {"spurious_edges": 0.3}}, seed_offset=4)
    assert isinstance(llm, SymbolicLLM) and llm.noise.spurious_edges == 0.3
    assert isinstance(make_llm({}), SymbolicLLM)  # provider defaults to symbolic
    assert isinstance(make_llm(RunConfig(env="x/Y-v0").llm), SymbolicLLM)  # the run config's own model works too
    assert make_llm(SymbolicConfig(seed=7)).rng.random() == make_llm({"seed": 3}, seed_offset=4).rng.random()


def test_registry_style_factories(tmp_path: Path) -> None:
    """``factory(config: dict, *, seed)``: the run seed is added, as for the symbolic model."""
    with StubServer() as server:
        llm = make_openai({"provider": "openai", "model": "m", "base_url": server.base_url, "api_key_env": None,
                           "seed": 2}, seed=5)
        llm.complete(LLMRequest([{"role": "user", "content": "hi"}], "chat"))
        assert server.chat_requests[0]["seed"] == 7
    assert isinstance(make_replay({"provider": "replay", "cache_dir": str(tmp_path)}, seed=1), ReplayLLM)
    with pytest.raises(UserError) as e:
        make_openai({"provider": "openai", "model": "m", "base_url": "x", "temprature": 1})
    assert e.value.key == "llm.temprature" and "unknown" in str(e.value)
    with pytest.raises(UserError, match="one of symbolic, openai, local, replay"):
        make_llm({"provider": "gpt-4o"})


@pytest.mark.parametrize("data, problem", [
    ({"provider": "gpt-4o"}, "does not match any of the expected tags"),
    ({"provider": "openai"}, "Field required"),
    ({"provider": "openai", "model": "m", "api_key": "x"}, "Extra inputs are not permitted"),
    ({"provider": "local", "model": "smollm2"}, "Extra inputs are not permitted"),
    ({"provider": "replay"}, "Field required"),
    ({"provider": "openai", "model": "m", "json_mode": "grammar"}, "json_schema"),
])
def test_config_errors(data: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        parse_llm_config(data)


def test_config_defaults() -> None:
    oc = parse_llm_config({"provider": "openai", "model": "gpt-4o-mini"})
    assert isinstance(oc, OpenAIConfig) and oc.api_key_env == "OPENAI_API_KEY" and oc.json_mode == "json_schema"
    lc = parse_llm_config({"provider": "local"})
    assert isinstance(lc, LocalConfig) and lc.n_threads == 2 and lc.model_path is None
