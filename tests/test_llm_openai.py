"""The openai provider over real sockets: answers, tool calls, schemas, usage, the cache, faults and budgets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openai_stub_server import (
    StubServer,
    answer_json,
    chat,
    dropped,
    error,
    faulty,
    not_json,
    slow,
    stub_server_fixture,  # noqa: F401  (registers the stub_server fixture)
    tool_call,
)

from causalmace.errors import UserError
from causalmace.llm import LLMRequest, LLMResponse
from causalmace.llm.config import OpenAIConfig
from causalmace.llm.errors import LLMError
from causalmace.llm.factory import make_llm
from causalmace.llm.openai_provider import OpenAIProvider
from causalmace.llm.ratelimit import RateLimiter, limiter_for

COLOR = {"type": "object", "properties": {"color": {"type": "string", "enum": ["red", "green", "blue"]}},
         "required": ["color"], "additionalProperties": False}
MINE = {"type": "function", "function": {"name": "mine", "description": "Mine blocks", "parameters": {
    "type": "object", "properties": {"block": {"type": "string", "enum": ["stone", "dirt"]},
                                     "count": {"type": "integer", "minimum": 1}},
    "required": ["block", "count"]}}}
SECRET = "sk-test-5EcReT-0123456789abcdef"


def make(server: StubServer, sleeps: list[float] | None = None, **kw: Any) -> OpenAIProvider:
    """A provider on the stub; backoff sleeps are recorded instead of slept, so tests stay fast."""
    settings: dict[str, Any] = {"provider": "openai", "model": "stub-model", "base_url": server.base_url,
                                "api_key_env": None, "timeout_s": 5.0, "backoff_s": 0.5, "max_retries": 3}
    settings.update(kw)
    return OpenAIProvider(OpenAIConfig(**settings), sleep=(sleeps if sleeps is not None else []).append)


def ask(content: str = "Name a color.", purpose: str = "color", **kw: Any) -> LLMRequest:
    return LLMRequest([{"role": "user", "content": content}], purpose, **kw)


def test_plain_answer_and_usage(stub_server: StubServer) -> None:
    stub_server.push(chat("hello there", prompt_tokens=7, completion_tokens=3))
    p = make(stub_server, seed=5, temperature=0.2, max_tokens=50)
    r = p.complete(ask())
    assert (r.text, r.finish_reason, r.tool_calls, r.parsed, r.cached) == ("hello there", "stop", [], None, False)
    assert r.usage.as_dict() == {"calls": 1, "prompt_tokens": 7, "completion_tokens": 3, "retries": 0,
                                 "reformats": 0, "failures": 0, "cache_hits": 0}
    body = stub_server.chat_requests[0]
    assert body["model"] == "stub-model" and body["seed"] == 5 and body["temperature"] == 0.2
    assert body["max_tokens"] == 50 and "response_format" not in body and "tools" not in body
    p.complete(ask("again", seed=9, temperature=0.0, max_tokens=7))
    body = stub_server.chat_requests[1]
    assert (body["seed"], body["temperature"], body["max_tokens"]) == (9, 0.0, 7)
    assert p.usage.calls == 2


def test_missing_usage_is_estimated(stub_server: StubServer) -> None:
    stub_server.push(chat("four score and seven", usage=False))
    r = make(stub_server).complete(ask())
    assert r.usage.prompt_tokens > 0 and r.usage.completion_tokens > 0


@pytest.mark.parametrize("mode, expected", [
    ("json_schema", {"type": "json_schema", "json_schema": {"name": "pick_color", "schema": COLOR, "strict": False}}),
    ("json_object", {"type": "json_object", "schema": COLOR}),
    ("none", None),
])
def test_json_modes(stub_server: StubServer, mode: str, expected: Any) -> None:
    stub_server.push(chat('Sure: ```json\n{"color": "red",}\n```'))
    r = make(stub_server, json_mode=mode).complete(ask(purpose="pick color", schema=COLOR))
    assert r.parsed == {"color": "red"} and json.loads(r.text) == {"color": "red"}
    assert stub_server.chat_requests[0].get("response_format") == expected


def test_tool_call(stub_server: StubServer) -> None:
    stub_server.push(tool_call("mine", '{"block": "stone", "count": 2}', call_id="call_7"))
    r = make(stub_server).complete(ask("Mine two stone.", "act", tools=[MINE], tool_choice="mine"))
    assert [c.as_dict() for c in r.tool_calls] == [{"id": "call_7", "name": "mine",
                                                   "arguments": {"block": "stone", "count": 2}}]
    assert r.finish_reason == "tool_calls"
    body = stub_server.chat_requests[0]
    assert body["tools"] == [MINE] and body["tool_choice"] == {"type": "function", "function": {"name": "mine"}}


def test_assistant_tool_turns_carry_empty_content(stub_server: StubServer) -> None:
    history = [{"role": "user", "content": "Mine."},
               {"role": "assistant", "content": None, "tool_calls": [
                   {"id": "c1", "type": "function", "function": {"name": "mine", "arguments": "{}"}}]},
               {"role": "tool", "tool_call_id": "c1", "name": "mine", "content": "mined 1 stone"}]
    make(stub_server).complete(LLMRequest(history, "act", tools=[MINE], tool_choice="auto"))
    sent = stub_server.chat_requests[0]["messages"]
    assert sent[1]["content"] == "" and sent[2]["role"] == "tool"
    make(stub_server, fold_tool_results=True).complete(LLMRequest(history, "act", tools=[MINE], tool_choice="auto"))
    sent = stub_server.chat_requests[1]["messages"]
    assert sent[2] == {"role": "user", "content": "Result of mine: mined 1 stone"}


def test_reformat_after_schema_failure(stub_server: StubServer) -> None:
    stub_server.push(chat('{"color": "purple"}'), chat('{"color": "blue"}'))
    p = make(stub_server)
    r = p.complete(ask(schema=COLOR))
    assert r.parsed == {"color": "blue"}
    assert (r.usage.calls, r.usage.reformats, r.usage.retries) == (2, 1, 0)
    second = stub_server.chat_requests[1]["messages"]
    assert second[-2] == {"role": "assistant", "content": '{"color": "purple"}'}
    assert "'purple' is not one of" in second[-1]["content"]


def test_unknown_tool_is_reformatted(stub_server: StubServer) -> None:
    stub_server.push(tool_call("teleport", {"to": "home"}), tool_call("mine", {"block": "dirt", "count": 1}))
    r = make(stub_server).complete(ask("Mine.", "act", tools=[MINE], tool_choice="required"))
    assert r.tool_calls[0].name == "mine" and r.usage.reformats == 1
    sent = stub_server.chat_requests[1]["messages"]
    assert sent[1]["role"] == "assistant" and sent[1]["content"] == ""
    assert sent[2]["role"] == "tool" and "there is no tool 'teleport'" in sent[2]["content"]


def test_invalid_output_budget(stub_server: StubServer) -> None:
    stub_server.policy = lambda body, i: chat("not json at all")
    p = make(stub_server, max_reformats=1)
    with pytest.raises(LLMError) as e:
        p.complete(ask(purpose="color", schema=COLOR))
    assert e.value.kind == "invalid_output" and e.value.purpose == "color" and e.value.last_text == "not json at all"
    assert "LLM call 'color' failed" in str(e.value) and len(e.value.attempts) == 2
    assert len(stub_server.chat_requests) == 2
    assert (p.usage.calls, p.usage.reformats, p.usage.failures) == (2, 1, 1)


def test_cut_off_answer_fails_after_reformat(stub_server: StubServer) -> None:
    stub_server.policy = lambda body, i: chat('{"color": "re', finish_reason="length")
    with pytest.raises(LLMError) as e:
        make(stub_server).complete(ask(schema=COLOR))
    assert [a.kind for a in e.value.attempts] == ["length", "length"]


@pytest.mark.parametrize("fault", [error(500), error(503), error(429), dropped(), not_json()], ids=str)
def test_transport_faults_are_retried(stub_server: StubServer, fault: Any) -> None:
    stub_server.push(fault, fault, answer_json({"color": "green"}))
    sleeps: list[float] = []
    p = make(stub_server, sleeps)
    r = p.complete(ask(schema=COLOR))
    assert r.parsed == {"color": "green"} and r.usage.retries == 2 and p.usage.retries == 2
    assert len(sleeps) == 2 and 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0  # doubling, with jitter


def test_timeout_is_retried(stub_server: StubServer) -> None:
    stub_server.push(slow(3.0), answer_json({"color": "red"}))
    p = make(stub_server, timeout_s=0.3)
    r = p.complete(ask(schema=COLOR))
    assert r.parsed == {"color": "red"} and r.usage.retries == 1


def test_retry_after_is_honoured_and_backoff_is_seeded(stub_server: StubServer) -> None:
    runs = []
    for _ in range(2):
        stub_server.push(error(429, headers={"Retry-After": "7"}), error(500), chat("ok"))
        sleeps: list[float] = []
        make(stub_server, sleeps, seed=3, backoff_max_s=10).complete(ask())
        runs.append(sleeps)
    assert runs[0] == runs[1]  # same seed, same jitter
    assert runs[0][0] == 7.0 and runs[0][1] < 7.0


def test_transport_budget(stub_server: StubServer) -> None:
    stub_server.policy = lambda body, i: error(502, "bad gateway")
    p = make(stub_server, max_retries=2)
    with pytest.raises(LLMError) as e:
        p.complete(ask())
    assert e.value.kind == "transport" and len(e.value.attempts) == 3 and len(stub_server.chat_requests) == 3
    assert all(a.status == 502 for a in e.value.attempts) and "gave up after 2 retries" in str(e.value)
    assert (p.usage.retries, p.usage.failures, p.usage.calls) == (2, 1, 0)


def test_client_errors_are_not_retried(stub_server: StubServer) -> None:
    stub_server.push(error(400, "unsupported response_format"))
    with pytest.raises(LLMError) as e:
        make(stub_server).complete(ask())
    assert e.value.kind == "status" and e.value.attempts[0].status == 400
    assert len(stub_server.chat_requests) == 1


def test_connection_refused_is_an_llm_error() -> None:
    with StubServer() as server:
        p = make(server, max_retries=1)
    with pytest.raises(LLMError) as e:  # the server is gone: nothing listens on that port
        p.complete(ask())
    assert [a.kind for a in e.value.attempts] == ["connection", "connection"]


def test_fault_injection_counts(stub_server: StubServer) -> None:
    """About 30% of answers are faults; every fault shows up as a retry, a reformat or a failure."""
    def good(body: dict[str, Any], index: int) -> Any:
        return tool_call("mine", {"block": "stone", "count": 1}) if body.get("tools") else answer_json({"color": "red"})

    policy = faulty(good, rate=0.3, seed=11, delay_s=3.0)
    stub_server.policy = policy
    p = make(stub_server, timeout_s=0.3, max_retries=2, max_reformats=1)
    ok: list[LLMResponse] = []
    errors: list[LLMError] = []
    for i in range(30):
        req = ask(f"q{i}", "act", tools=[MINE], tool_choice="required") if i % 2 else ask(f"q{i}", schema=COLOR)
        try:
            ok.append(p.complete(req))
        except LLMError as e:
            errors.append(e)
    tags, u = stub_server.tags, p.usage
    injected = policy.injected  # type: ignore[attr-defined]
    assert sum(injected[k] for k in ("500", "timeout", "malformed", "unknown_tool")) > 0
    assert len(ok) + len(errors) == 30 and len(ok) >= 20 and u.failures == len(errors)
    transport_fail = sum(e.kind == "transport" for e in errors)
    output_fail = sum(e.kind == "invalid_output" for e in errors)
    assert tags["500"] + tags["timeout"] == u.retries + transport_fail
    assert tags["malformed"] + tags["unknown_tool"] == u.reformats + output_fail
    assert u.calls == tags["ok"] + tags["malformed"] + tags["unknown_tool"]
    for r in ok:
        assert r.parsed == {"color": "red"} or [c.name for c in r.tool_calls] == ["mine"]


def test_cache_hit_makes_no_request(stub_server: StubServer, tmp_path: Path) -> None:
    stub_server.policy = lambda body, i: answer_json({"color": "blue"}, prompt_tokens=20, completion_tokens=4)
    p = make(stub_server, cache_dir=str(tmp_path))
    first = p.complete(ask(schema=COLOR))
    second = p.complete(ask(schema=COLOR))
    assert len(stub_server.chat_requests) == 1 and second.cached and not first.cached
    assert (second.text, second.parsed) == (first.text, first.parsed)
    assert second.usage.cache_hits == 1 and second.usage.prompt_tokens == 20  # the recorded cost
    assert p.usage.cache_hits == 1 and p.usage.calls == 2
    make(stub_server, cache_dir=str(tmp_path)).complete(ask(schema=COLOR))  # another provider, same folder
    assert len(stub_server.chat_requests) == 1
    p.complete(ask(schema=COLOR, seed=1))  # another seed is another request
    p.complete(ask("Name another color.", schema=COLOR))
    assert len(stub_server.chat_requests) == 3 and len(list(tmp_path.glob("*.json"))) == 3
    p.complete(ask(schema=COLOR, sample=2))  # a second sample of the same question: seed + 2
    assert len(stub_server.chat_requests) == 4 and stub_server.chat_requests[-1]["seed"] == 2


def test_failures_are_not_cached(stub_server: StubServer, tmp_path: Path) -> None:
    stub_server.push(error(500), chat("late but fine"))
    p = make(stub_server, cache_dir=str(tmp_path), max_retries=0)
    with pytest.raises(LLMError):
        p.complete(ask())
    assert list(tmp_path.glob("*.json")) == []
    assert p.complete(ask()).text == "late but fine"


def test_api_key_never_stored(stub_server: StubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAUSALMACE_TEST_KEY", SECRET)
    stub_server.push(answer_json({"color": "red"}), tool_call("mine", {"block": "stone", "count": 1}),
                     error(401, f"Incorrect API key provided: {SECRET}"))
    cfg = {"provider": "openai", "model": "stub-model", "base_url": stub_server.base_url,
           "api_key_env": "CAUSALMACE_TEST_KEY", "cache_dir": str(tmp_path), "backoff_s": 0}
    p = make_llm(cfg)
    p.complete(ask(schema=COLOR))
    p.complete(ask("Mine.", "act", tools=[MINE], tool_choice="auto"))
    with pytest.raises(LLMError) as e:
        p.complete(ask("third"))
    assert stub_server.requests[0].headers["authorization"] == f"Bearer {SECRET}"  # the key is used...
    stored = "".join(f.read_text() for f in tmp_path.rglob("*"))  # ...and never written down or shown
    assert stored and SECRET not in stored
    for text in (repr(p), str(p.__dict__.get("config")), repr(e.value), str(e.value), json.dumps(p.usage.as_dict())):
        assert SECRET not in text


def test_key_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAUSALMACE_UNSET_KEY", raising=False)
    with pytest.raises(UserError, match="CAUSALMACE_UNSET_KEY is not set"):
        make_llm({"provider": "openai", "model": "m", "api_key_env": "CAUSALMACE_UNSET_KEY"})
    with pytest.raises(UserError, match="NAME of an environment variable") as e:
        make_llm({"provider": "openai", "model": "m", "api_key_env": SECRET})
    assert SECRET not in str(e.value) and e.value.key == "llm.api_key_env"


def test_rate_limit_is_shared_per_endpoint() -> None:
    a = limiter_for("http://127.0.0.1:1/v1#test", 10.0)
    b = limiter_for("http://127.0.0.1:1/v1#test", 4.0)
    assert a is b and a.rate_per_s == 4.0  # the slower wish wins
    assert limiter_for("http://127.0.0.1:1/v1#test", None) is None
    slept: list[float] = []
    lim = RateLimiter(2.0, clock=lambda: 100.0, sleep=slept.append)
    assert [lim.acquire() for _ in range(3)] == [0.0, 0.5, 1.0] and slept == [0.5, 1.0]


def test_providers_on_one_endpoint_share_a_limiter(stub_server: StubServer) -> None:
    p1 = make(stub_server, rate_limit_per_s=1000.0)
    p2 = make(stub_server, rate_limit_per_s=500.0)
    assert p1._limiter is p2._limiter and p1._limiter is not None and p1._limiter.rate_per_s == 500.0
    p1.complete(ask())
    p2.complete(ask())
    assert len(stub_server.chat_requests) == 2
