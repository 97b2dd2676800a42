"""A node script driven over JSON lines on an inherited socket: thread-safe calls, events, and sure shutdown.

The node side (``server/lib/rpc.js``) reads requests and writes replies on that socket only, so logs on
stdout/stderr never corrupt the channel, and it exits when the socket closes, so a crashed Python process
leaves no node process behind. Each process gets its own process group, killed as a whole on stop.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from .errors import ActionFailed, ActionTimeout, ProcessFailed

EventHandler = Callable[[str, dict[str, Any]], None]


class NodeProcess:
    """One node script with a request/reply channel; use :meth:`start`, :meth:`call`, :meth:`stop`."""

    def __init__(self, script: Path, args: Sequence[str] = (), *, cwd: Path, log_path: Path,
                 node: str = "node", env: dict[str, str] | None = None) -> None:
        self.script, self.args, self.cwd, self.log_path, self.node = script, list(args), cwd, log_path, node
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._wlock = threading.Lock()
        self._pending: dict[int, Future[Any]] = {}
        self._ids = itertools.count(1)
        self._handlers: list[EventHandler] = []
        self._events: dict[str, list[dict[str, Any]]] = {}
        self._cond = threading.Condition()
        self._reader: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def on_event(self, handler: EventHandler) -> None:
        """Call ``handler(event, data)`` from the reader thread for each event the script emits."""
        self._handlers.append(handler)

    def start(self, ready_timeout: float) -> dict[str, Any]:
        """Spawn the script and wait for its ``ready`` event; returns that event's data."""
        parent, child = socket.socketpair()
        env = {**os.environ, **self.env, "CAUSALMACE_RPC_FD": str(child.fileno()), "FORCE_COLOR": "0"}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [self.node, str(self.script), *self.args], cwd=self.cwd, env=env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, pass_fds=(child.fileno(),), start_new_session=True)
        child.close()
        self._sock = parent
        self._reader = threading.Thread(target=self._read, name=f"node-rpc-{self.proc.pid}", daemon=True)
        self._reader.start()
        try:
            return self.wait_event("ready", ready_timeout)
        except BaseException:
            self.stop()
            raise

    def wait_event(self, name: str, timeout: float) -> dict[str, Any]:
        """Block until the script emits ``name`` (or has already), or it dies, or time runs out."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._events.get(name):
                if not self.alive() or self._sock is None:
                    raise ProcessFailed(f"{self.script.name} exited before '{name}'; log:\n{self.log_tail()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ProcessFailed(
                        f"{self.script.name} sent no '{name}' in {timeout:.0f} s; log:\n{self.log_tail()}")
                self._cond.wait(min(left, 0.2))
            return self._events[name][-1]

    def request(self, op: str, args: dict[str, Any] | None = None, wait: float = 30.0) -> Any:
        """Run ``op`` on the node side and return its result; raises ActionFailed with the node's message.

        ``wait`` is how long Python waits for the reply, in seconds.
        """
        if self._sock is None or not self.alive():
            raise ProcessFailed(f"{self.script.name} is not running")
        rid = next(self._ids)
        fut: Future[Any] = Future()
        self._pending[rid] = fut
        data = (json.dumps({"id": rid, "op": op, "args": args or {}}) + "\n").encode()
        try:
            with self._wlock:
                self._sock.sendall(data)
            return fut.result(wait)
        except TimeoutError:
            if fut.done():  # the node side reported its own timeout (ActionTimeout is a TimeoutError)
                raise
            raise ActionTimeout(f"{op} got no reply in {wait:.1f} s") from None
        except OSError as e:
            raise ProcessFailed(f"{self.script.name} channel broke: {e}") from e
        finally:
            self._pending.pop(rid, None)

    def _read(self) -> None:
        assert self._sock is not None
        buf = self._sock.makefile("rb")
        try:
            for line in buf:
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                if "event" in msg:
                    self._dispatch(msg["event"], msg.get("data") or {})
                    continue
                fut = self._pending.get(msg.get("id"))
                if fut is None or fut.done():
                    continue
                if msg.get("ok"):
                    fut.set_result(msg.get("result"))
                else:
                    fut.set_exception(_remote_error(msg.get("error", "unknown error")))
        except (OSError, ValueError):
            pass
        finally:
            for fut in list(self._pending.values()):
                if not fut.done():
                    fut.set_exception(ProcessFailed(f"{self.script.name} went away"))
            with self._cond:
                self._cond.notify_all()

    def _dispatch(self, event: str, data: dict[str, Any]) -> None:
        with self._cond:
            self._events.setdefault(event, []).append(data)
            self._cond.notify_all()
        for h in list(self._handlers):
            try:
                h(event, data)
            except Exception:  # noqa: BLE001 - a bad handler must not kill the reader
                pass

    def stop(self, grace: float = 2.0) -> None:
        """End the process group: close the channel (the script exits on it), then SIGTERM, then SIGKILL."""
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            _killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        _killpg(proc.pid, signal.SIGKILL)  # whatever the group still holds
        if proc.poll() is None:
            proc.wait(5)
        if self._reader is not None:
            self._reader.join(2)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")[-chars:]
        except OSError:
            return "(no log)"


def _killpg(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _remote_error(message: str) -> Exception:
    if "timed out" in message:
        return ActionTimeout(message)
    return ActionFailed(message)
