"""How the local provider talks to its server, checked against the stub in place of llama.cpp."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openai_stub_server import StubServer, answer_json, tool_call

from causalmace.llm import LLMRequest
from causalmace.llm import local as local_mod
from causalmace.llm.config import LocalConfig
from causalmace.llm.errors import LLMError
from causalmace.llm.local import TOOL_SYSTEM, LocalLLM

MINE = {"type": "function", "function": {"name": "mine", "parameters": {
    "type": "object", "properties": {"count": {"type": "integer"}}, "required": ["count"]}}}
SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}


class FakeServer:
    """Stands in for a llama.cpp child process: the stub's address, alive until told otherwise."""

    def __init__(self, stub: StubServer, model_path: Path) -> None:
        self.base_url, self.model_path, self.up = stub.base_url, model_path, True

    def alive(self) -> bool:
        return self.up

    def log_tail(self) -> str:
        return "exit code -11; Segmentation fault"


@pytest.fixture
def gguf(tmp_path: Path) -> Path:
    path = tmp_path / "Tiny-Model.Q4_1.gguf"
    path.write_bytes(b"GGUF")
    return path


def local_on(stub: StubServer, gguf: Path, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> LocalLLM:
    server = FakeServer(stub, gguf)
    monkeypatch.setattr(local_mod, "acquire_server", lambda *a: server)
    monkeypatch.setattr(local_mod, "release_server", lambda s: None)
    return LocalLLM(LocalConfig(provider="local", model_path=str(gguf), backoff_s=0, **kw))


def test_local_requests_suit_llama_cpp(gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with StubServer() as stub:
        stub.push(answer_json({"n": 3}), tool_call("mine", {"count": 1}))
        llm = local_on(stub, gguf, monkeypatch)
        assert llm.complete(LLMRequest([{"role": "user", "content": "n?"}], "n", SCHEMA)).parsed == {"n": 3}
        history = [{"role": "user", "content": "Mine."},
                   {"role": "assistant", "content": None, "tool_calls": [
                       {"id": "c1", "type": "function", "function": {"name": "mine", "arguments": '{"count": 1}'}}]},
                   {"role": "tool", "tool_call_id": "c1", "name": "mine", "content": "done"}]
        r = llm.complete(LLMRequest(history, "act", tools=[MINE], tool_choice="auto"))
        assert r.tool_calls[0].arguments == {"count": 1}
        first, second = stub.chat_requests
    assert first["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert first["model"] == "Tiny-Model.Q4_1" and first["max_tokens"] == 256
    assert second["messages"][0] == {"role": "system", "content": TOOL_SYSTEM}  # tool calls need one there
    assert second["messages"][2]["content"] == ""  # never null
    assert second["messages"][3] == {"role": "user", "content": "Result of mine: done"}  # role tool is dropped there
    llm.close()


def test_cache_survives_a_new_port_and_a_dead_server(gguf: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    req = LLMRequest([{"role": "user", "content": "n?"}], "n", SCHEMA)
    with StubServer() as stub:
        stub.push(answer_json({"n": 5}))
        local_on(stub, gguf, monkeypatch, cache_dir=str(tmp_path / "rec")).complete(req)
    with StubServer() as stub:  # another port, as every start of the server has
        llm = local_on(stub, gguf, monkeypatch, cache_dir=str(tmp_path / "rec"))
        assert llm.complete(req).parsed == {"n": 5} and stub.chat_requests == []
        llm.server.up = False  # type: ignore[attr-defined]
        assert llm.complete(req).cached  # a dead server does not stop cached answers
        with pytest.raises(LLMError, match="server has stopped: exit code -11") as e:
            llm.complete(LLMRequest([{"role": "user", "content": "other"}], "n", SCHEMA))
        assert e.value.kind == "server" and llm.usage.failures == 1 and stub.chat_requests == []
