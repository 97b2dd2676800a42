"""A scriptable OpenAI-compatible chat server on 127.0.0.1, for testing the LLM boundary over real sockets.

Answers come from a queue of canned :class:`Reply` objects (``server.push(...)``), then from a
policy ``(body, index) -> Reply`` (``server.policy = ...``), then a plain ``"ok"``. Replies can be
chat answers, tool calls, HTTP errors, answers delayed past the client's timeout, dropped
connections or a body that is not JSON; :func:`faulty` wraps a policy to inject such faults at a
rate. Every request is kept in ``server.requests``. Use it through the ``stub_server`` fixture::

    from openai_stub_server import StubServer, chat, stub_server_fixture  # noqa: F401  (registers the fixture)

    def test_x(stub_server):
        stub_server.push(chat("hello"))
        ... base_url=stub_server.base_url ...
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Reply:
    """One HTTP answer. ``body`` is JSON when it is a dict, else sent as it is."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    drop: bool = False  # close the connection without answering
    tag: str = "ok"  # what kind of reply this is, for fault counts


@dataclass
class Received:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]  # names in lower case


Policy = Callable[[dict[str, Any], int], Reply]


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def chat(content: str = "ok", *, tool_calls: list[dict[str, Any]] | None = None, finish_reason: str | None = None,
         prompt_tokens: int = 11, completion_tokens: int | None = None, usage: bool = True) -> Reply:
    """A chat completion with ``content`` and optional raw tool calls (OpenAI wire format)."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    finish = finish_reason or ("tool_calls" if tool_calls else "stop")
    body: dict[str, Any] = {"id": "chatcmpl-stub", "object": "chat.completion", "created": 0, "model": "stub",
                            "choices": [{"index": 0, "message": message, "finish_reason": finish}]}
    if usage:
        done = completion_tokens if completion_tokens is not None else _tokens(content or json.dumps(tool_calls))
        body["usage"] = {"prompt_tokens": prompt_tokens, "completion_tokens": done,
                         "total_tokens": prompt_tokens + done}
    return Reply(body=body)


def answer_json(value: Any, **kw: Any) -> Reply:
    return chat(json.dumps(value), **kw)


def tool_call(name: str, arguments: dict[str, Any] | str, *, call_id: str = "call_0", **kw: Any) -> Reply:
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}
    return chat(None, tool_calls=[call], **kw)  # type: ignore[arg-type]


def error(status: int = 500, message: str = "internal error", headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"error": {"message": message, "type": "server_error", "code": None}}, headers or {},
                 tag=str(status))


def slow(seconds: float, then: Reply | None = None) -> Reply:
    """An answer sent only after ``seconds``: past the client's timeout, the client has gone."""
    r = then or chat()
    return Reply(r.status, r.body, r.headers, seconds, tag="timeout")


def dropped() -> Reply:
    return Reply(drop=True, tag="dropped")


def not_json() -> Reply:
    return Reply(200, "<html>bad gateway</html>", {"Content-Type": "application/json"}, tag="not_json")


FAULTS = ("500", "timeout", "malformed", "unknown_tool")


def faulty(policy: Policy, rate: float = 0.3, seed: int = 0, faults: tuple[str, ...] = FAULTS,
           delay_s: float = 2.0) -> Policy:
    """``policy`` with a fault instead of its answer at ``rate``; counts in the returned policy's ``injected``."""
    rng = random.Random(seed)
    injected: Counter[str] = Counter()

    def wrapped(body: dict[str, Any], index: int) -> Reply:
        if rng.random() >= rate:
            injected["none"] += 1
            return policy(body, index)
        kind = rng.choice(faults)
        injected[kind] += 1
        if kind == "500":
            return error(500)
        if kind == "timeout":
            return slow(delay_s)
        if kind == "malformed":
            r = chat('{"answer": "unfinished", ')
            r.tag = "malformed"
            return r
        if kind == "unknown_tool":
            r = tool_call("teleport", {"to": "nowhere"})
            r.tag = "unknown_tool"
            return r
        if kind == "dropped":
            return dropped()
        raise ValueError(f"unknown fault {kind!r}")

    wrapped.injected = injected  # type: ignore[attr-defined]
    return wrapped


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # idle keep-alive connections end instead of holding a thread forever
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def _send(self, reply: Reply) -> None:
        data = reply.body if isinstance(reply.body, str | bytes) else json.dumps(reply.body)
        raw = data.encode() if isinstance(data, str) else data
        try:
            self.send_response(reply.status)
            headers = {"Content-Type": "application/json", **reply.headers}
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout) before the answer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.rstrip("/").endswith("/models"):
            self._send(Reply(body={"object": "list", "data": [{"id": "stub", "object": "model", "owned_by": "me"}]}))
        else:
            self._send(error(404, "not found"))

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._send(error(400, "body is not JSON"))
            return
        stub = self.server.stub
        reply = stub.next_reply(Received(self.path, body, {k.lower(): v for k, v in self.headers.items()}))
        if reply.delay_s and stub.stopping.wait(reply.delay_s):
            self.close_connection = True
            return
        if reply.drop:
            self.close_connection = True
            return
        self._send(reply)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    stub: StubServer


class StubServer:
    """The server; ``start()``/``stop()`` or use it as a context manager."""

    def __init__(self, policy: Policy | None = None) -> None:
        self.policy = policy
        self.queue: deque[Reply] = deque()
        self.requests: list[Received] = []
        self.tags: Counter[str] = Counter()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "start the server first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.path.endswith("/chat/completions")]

    def push(self, *replies: Reply) -> StubServer:
        with self._lock:
            self.queue.extend(replies)
        return self

    def next_reply(self, received: Received) -> Reply:
        with self._lock:
            self.requests.append(received)
            index = len(self.requests) - 1
            queued = self.queue.popleft() if self.queue else None
        reply = queued or (self.policy(received.body, index) if self.policy else chat())
        with self._lock:
            self.tags[reply.tag] += 1
        return reply

    def start(self) -> StubServer:
        self.stopping.clear()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.stub = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="openai-stub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture(name="stub_server")
def stub_server_fixture() -> Iterator[StubServer]:
    """A started :class:`StubServer`, stopped after the test."""
    with StubServer() as server:
        yield server
