"""Answers from a recording: the response cache an ``openai`` or ``local`` provider wrote.

A replayed run asks the same questions in the same order as the recorded one and gets the same
answers, with the usage they cost when recorded (plus a cache hit each), so its results match.
A request the recording does not hold is an error naming its purpose and hash, never a guess.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

from causalmace.agent import Usage
from causalmace.llm import LLMRequest, LLMResponse
from causalmace.llm.cache import ResponseCache, canonical, request_key, response_from_record
from causalmace.llm.config import ReplayConfig
from causalmace.llm.errors import LLMError, ReplayMissError


class ReplayLLM:
    def __init__(self, config: ReplayConfig, *, seed_offset: int = 0) -> None:
        self.config = config
        self.seed = config.seed + seed_offset
        self.usage = Usage()
        self._lock = threading.Lock()
        self._index: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for rec in ResponseCache(config.cache_dir).records():
            if config.model is None or rec.get("model") == config.model:
                self._index[rec["request_key"]].append(rec)

    def __repr__(self) -> str:
        return f"ReplayLLM(cache_dir={self.config.cache_dir!r}, model={self.config.model!r})"

    def __len__(self) -> int:
        return sum(len(v) for v in self._index.values())

    def complete(self, request: LLMRequest) -> LLMResponse:
        key = request_key(request, (self.seed if request.seed is None else request.seed) + request.sample)
        found = self._index.get(key, [])
        if not found:
            raise ReplayMissError(f"the recording in {self.config.cache_dir} has no answer for this request "
                                  f"(request hash {key}); record it with the openai or local provider and "
                                  f"cache_dir: {self.config.cache_dir}", purpose=request.purpose, request_key=key)
        if len({canonical(r["response"]) for r in found}) > 1:
            models = sorted({str(r.get("model")) for r in found})
            raise LLMError(f"the recording holds different answers for request hash {key} from models {models}; "
                           "set model to pick one", purpose=request.purpose, kind="replay_miss")
        resp = response_from_record(found[0])
        with self._lock:
            self.usage.add(resp.usage)
        return resp
