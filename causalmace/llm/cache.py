"""The on-disk response cache, which is also the recording a replayed run answers from.

Each answer is one JSON file named by the hash of the full request as sent: endpoint identity,
model, messages, schema, tools, seed, temperature, token limit and output mode (never the API key).
A record also carries ``request_key``: the hash of what the caller asked (with the seed in effect)
without the provider's other settings, so a replay needs only the folder and the seed. The same
request asked twice gets the same answer; callers that want independent samples pass their own
``seed`` per sample.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from causalmace.agent import Usage
from causalmace.llm import LLMRequest, LLMResponse, ToolCall

FORMAT_VERSION = 1


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(obj: Any) -> str:
    return hashlib.sha256(canonical(obj).encode("utf-8")).hexdigest()


def request_key(request: LLMRequest, seed: int) -> str:
    """The hash of what the caller asked, with the seed in effect (``purpose`` and ``context`` are not sent)."""
    return digest({"messages": request.messages, "schema": request.schema, "tools": request.tools,
                   "tool_choice": request.tool_choice, "seed": seed, "temperature": request.temperature,
                   "max_tokens": request.max_tokens})


class ResponseCache:
    """A folder of ``<key>.json`` records, written atomically so a crash never leaves half a file."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            record = json.loads(self.path(key).read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return None  # absent, or unreadable: ask the model again and overwrite
        return record if record.get("version") == FORMAT_VERSION else None

    def put(self, key: str, record: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"version": FORMAT_VERSION, "key": key, **record}, ensure_ascii=False, indent=1)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(data)
            os.replace(tmp, self.path(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def records(self) -> Iterator[dict[str, Any]]:
        if not self.folder.is_dir():
            return
        for p in sorted(self.folder.glob("*.json")):
            if p.name.startswith(".tmp-"):
                continue
            rec = self.get(p.stem)
            if rec is not None:
                yield rec


def response_from_record(record: dict[str, Any]) -> LLMResponse:
    """A recorded answer, with the usage it cost when it was recorded and one cache hit."""
    r = record["response"]
    usage = Usage(**{k: int(v) for k, v in record.get("usage", {}).items() if k in Usage.__dataclass_fields__})
    usage.cache_hits += 1
    calls = [ToolCall(c["name"], c["arguments"], c.get("id", "")) for c in r.get("tool_calls", [])]
    return LLMResponse(r["text"], usage, calls, r.get("finish_reason"), r.get("parsed"), cached=True)
