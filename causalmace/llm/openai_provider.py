"""Any OpenAI-compatible chat endpoint, with the boundary a real model needs.

The ``openai`` client is built with ``max_retries=0``: this module retries on its own terms (429,
5xx, timeouts, lost connections; exponential backoff with jitter from a seeded RNG, honouring
``Retry-After``), asks once more when an answer breaks its schema or calls a tool that does not
exist, treats a cut-off answer as a failure, paces requests per endpoint, counts tokens, retries,
reformats, failures and cache hits, and raises :class:`LLMError` with every attempt when it gives up.
The API key is read from the environment variable named in the config and lives only in the client.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import openai

from causalmace.agent import Usage
from causalmace.errors import UserError
from causalmace.llm import LLMRequest, LLMResponse, count_tokens
from causalmace.llm.cache import ResponseCache, digest, request_key, response_from_record
from causalmace.llm.config import OpenAIConfig
from causalmace.llm.errors import Attempt, LLMError
from causalmace.llm.output import Answer, OutputError, read_answer
from causalmace.llm.ratelimit import limiter_for

RETRY_STATUS = frozenset({408, 409, 429})  # and every 5xx
NO_KEY = "no-key"  # endpoints without auth still need a non-empty bearer for the client


def response_format(schema: dict[str, Any], json_mode: str, name: str) -> dict[str, Any] | None:
    """``json_schema`` for OpenAI and vLLM; ``json_object`` plus ``schema`` for llama.cpp's server."""
    if json_mode == "json_schema":
        safe = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in name)[:64] or "answer"
        return {"type": "json_schema", "json_schema": {"name": safe, "schema": schema, "strict": False}}
    if json_mode == "json_object":
        return {"type": "json_object", "schema": schema}
    return None


def prepare_messages(messages: list[dict[str, Any]], fold_tool_results: bool) -> list[dict[str, Any]]:
    """Messages as the endpoint wants them: no null content; tool results as user turns if asked."""
    out: list[dict[str, Any]] = []
    names: dict[str, str] = {}  # tool call id -> tool name, to say whose result a folded turn is
    for m in messages:
        m = dict(m)
        if m.get("content") is None:
            m["content"] = ""
        for c in m.get("tool_calls") or []:
            names[str(c.get("id"))] = str(c.get("function", {}).get("name"))
        if fold_tool_results and m.get("role") == "tool":
            who = m.get("name") or names.get(str(m.get("tool_call_id"))) or "a tool"
            m = {"role": "user", "content": f"Result of {who}: {m['content']}"}
        out.append(m)
    return out


def _tool_choice(choice: str) -> str | dict[str, Any]:
    if choice in ("auto", "none", "required"):
        return choice
    return {"type": "function", "function": {"name": choice}}


def _retry_after(exc: openai.APIStatusError) -> float | None:
    try:
        return float(exc.response.headers.get("retry-after", ""))
    except (TypeError, ValueError):
        return None


class OpenAIProvider:
    """One model at one endpoint; thread-safe, so agents may share it."""

    def __init__(self, config: OpenAIConfig, *, seed_offset: int = 0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.usage = Usage()
        self.seed = config.seed + seed_offset
        self.endpoint = config.endpoint_id or config.base_url
        self._client = openai.OpenAI(api_key=self._read_key(config), base_url=config.base_url,
                                     timeout=config.timeout_s, max_retries=0)
        self._limiter = limiter_for(config.base_url, config.rate_limit_per_s)
        self._cache = ResponseCache(config.cache_dir) if config.cache_dir else None
        self._rng = random.Random(self.seed)
        self._sleep = sleep
        self._lock = threading.Lock()

    @staticmethod
    def _read_key(config: OpenAIConfig) -> str:
        if config.api_key_env is None:
            return NO_KEY
        key = os.environ.get(config.api_key_env, "")
        if not key:
            raise UserError(f"environment variable {config.api_key_env} is not set", key="llm.api_key_env",
                            expected="the API key in that variable, or api_key_env: null for an endpoint "
                                     "without one")
        return key

    def __repr__(self) -> str:
        return (f"OpenAIProvider(model={self.config.model!r}, base_url={self.config.base_url!r}, "
                f"api_key_env={self.config.api_key_env!r})")

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> OpenAIProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the request as sent ------------------------------------------------------------------

    def body(self, request: LLMRequest, messages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        cfg = self.config
        body: dict[str, Any] = {
            "model": cfg.model,
            "messages": prepare_messages(request.messages if messages is None else messages,
                                         cfg.fold_tool_results),
            "seed": (self.seed if request.seed is None else request.seed) + request.sample,
            "temperature": cfg.temperature if request.temperature is None else request.temperature,
        }
        max_tokens = request.max_tokens or cfg.max_tokens
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        if request.schema is not None:
            fmt = response_format(request.schema, cfg.json_mode, request.purpose)
            if fmt is not None:
                body["response_format"] = fmt
        if request.tools:
            body["tools"] = request.tools
            if request.tool_choice is not None:
                body["tool_choice"] = _tool_choice(request.tool_choice)
        return body

    def cache_key(self, body: dict[str, Any]) -> str:
        return digest({"endpoint": self.endpoint, "body": body})

    # -- one call -----------------------------------------------------------------------------

    def cached(self, request: LLMRequest) -> LLMResponse | None:
        """The cached answer to ``request`` (counted as a hit), or None."""
        if self._cache is None or (record := self._cache.get(self.cache_key(self.body(request)))) is None:
            return None
        return self._from_record(record)

    def fail(self, error: LLMError) -> LLMError:
        """Count a failure decided outside :meth:`complete`; returns ``error`` for raising."""
        self._count(Usage(failures=1))
        return error

    def complete(self, request: LLMRequest) -> LLMResponse:
        body = self.body(request)
        key = self.cache_key(body)
        if self._cache is not None and (record := self._cache.get(key)) is not None:
            return self._from_record(record)
        usage, attempts = Usage(), []
        try:
            answer = self._answer(request, body, usage, attempts)
        except LLMError:
            usage.failures += 1
            self._count(usage)
            raise
        self._count(usage)
        if self._cache is not None:
            self._cache.put(key, self._record(request, body, answer, usage))
        return LLMResponse(answer.text, usage, answer.tool_calls, answer.finish_reason, answer.parsed)

    def _count(self, usage: Usage) -> None:
        with self._lock:
            self.usage.add(usage)

    def _answer(self, request: LLMRequest, body: dict[str, Any], usage: Usage, attempts: list[Attempt]) -> Answer:
        messages = list(request.messages)
        while True:
            text, raw_calls, finish = self._send(body, request.purpose, usage, attempts)
            try:
                answer = read_answer(request, text, raw_calls, finish, self.config.json_mode)
            except OutputError as e:
                attempts.append(Attempt(e.kind, str(e)[:200]))
                if usage.reformats >= self.config.max_reformats:
                    raise LLMError(f"no valid answer: {e}", purpose=request.purpose, kind="invalid_output",
                                   attempts=attempts, last_text=text) from None
                usage.reformats += 1
                messages = messages + e.feedback
                body = self.body(request, messages)
                continue
            attempts.append(Attempt("ok"))
            return answer

    def _send(self, body: dict[str, Any], purpose: str, usage: Usage,
              attempts: list[Attempt]) -> tuple[str, list[dict[str, Any]], str | None]:
        """One answer from the endpoint, resent on transport failures within the retry budget."""
        wait_hint: float | None = None
        for n in range(self.config.max_retries + 1):
            if n:
                usage.retries += 1
                self._sleep(self._backoff(n, wait_hint))
                wait_hint = None
            if self._limiter is not None:
                self._limiter.acquire()
            try:
                completion = self._client.chat.completions.create(**body)
                return self._read(completion, body, usage)
            except openai.APITimeoutError:
                attempts.append(Attempt("timeout", f"no answer within {self.config.timeout_s} s"))
            except openai.APIConnectionError as e:
                attempts.append(Attempt("connection", self._scrub(str(e))[:200]))
            except openai.APIStatusError as e:
                attempts.append(Attempt("status", self._scrub(e.message)[:200], e.status_code))
                if e.status_code < 500 and e.status_code not in RETRY_STATUS:
                    raise LLMError(f"the endpoint refused the request ({e.status_code})", purpose=purpose,
                                   kind="status", attempts=attempts) from None
                wait_hint = _retry_after(e)
            except (openai.OpenAIError, ValueError, AttributeError, IndexError, TypeError) as e:
                attempts.append(Attempt("bad_response", self._scrub(f"{type(e).__name__}: {e}")[:200]))
        raise LLMError(f"gave up after {self.config.max_retries} retries", purpose=purpose, kind="transport",
                       attempts=attempts)

    def _read(self, completion: Any, body: dict[str, Any],
              usage: Usage) -> tuple[str, list[dict[str, Any]], str | None]:
        choice = completion.choices[0]
        msg = choice.message
        text = msg.content or ""
        raw_calls = [{"id": tc.id or f"call_{i}", "type": "function",
                      "function": {"name": tc.function.name, "arguments": tc.function.arguments or ""}}
                     for i, tc in enumerate(msg.tool_calls or [])]
        u = completion.usage
        usage.calls += 1
        if u is not None and u.prompt_tokens is not None:
            usage.prompt_tokens += u.prompt_tokens
            usage.completion_tokens += u.completion_tokens or 0
        else:  # some servers omit usage: estimate rather than report zero
            usage.prompt_tokens += sum(count_tokens(str(m.get("content") or "")) for m in body["messages"])
            usage.completion_tokens += count_tokens(text + "".join(c["function"]["arguments"] for c in raw_calls))
        return text, raw_calls, choice.finish_reason

    def _backoff(self, n: int, hint: float | None) -> float:
        cfg = self.config
        with self._lock:
            jitter = 0.5 + 0.5 * self._rng.random()
        delay = min(cfg.backoff_max_s, cfg.backoff_s * 2 ** (n - 1)) * jitter
        if hint is not None:
            delay = max(delay, min(hint, cfg.backoff_max_s))
        return delay

    def _scrub(self, text: str) -> str:
        key = self._client.api_key
        return text.replace(key, "***") if key and key != NO_KEY else text

    # -- the cache ----------------------------------------------------------------------------

    def _record(self, request: LLMRequest, body: dict[str, Any], answer: Answer, usage: Usage) -> dict[str, Any]:
        spent = usage.as_dict()
        for k in ("failures", "cache_hits"):
            spent.pop(k)
        return {"request_key": request_key(request, body["seed"]), "purpose": request.purpose,
                "endpoint": self.endpoint, "model": self.config.model, "request": body,
                "response": response_dict(answer), "usage": spent}

    def _from_record(self, record: dict[str, Any]) -> LLMResponse:
        resp = response_from_record(record)
        self._count(resp.usage)
        return resp


def response_dict(answer: Answer) -> dict[str, Any]:
    return {"text": answer.text, "raw_text": answer.raw_text, "finish_reason": answer.finish_reason,
            "parsed": answer.parsed, "tool_calls": [c.as_dict() for c in answer.tool_calls]}
