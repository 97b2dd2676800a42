"""Run a local flying-squid Minecraft server (or point at one already running) for the live env."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from causalmace.rules import RuleSet

from .install import SERVER_DIR, ensure_node_modules, node_binary
from .rpc import NodeProcess
from .rulebook import REACH, write_rules

DEFAULT_VERSION = "1.19.2"  # VillagerBench's own version


@dataclass(frozen=True)
class ServerAddress:
    """Where bots connect."""

    host: str
    port: int
    version: str


class ExternalServer:
    """A server started elsewhere: bots only connect; scene building needs an op'd bot (see WorldEditor)."""

    admin = None

    def __init__(self, host: str = "127.0.0.1", port: int = 25565, version: str = DEFAULT_VERSION) -> None:
        self.address = ServerAddress(host, port, version)

    def __enter__(self) -> ExternalServer:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class FlyingSquidServer:
    """flying-squid with causalmace's plugin on 127.0.0.1, in its own process group; a context manager.

    ``port=0`` lets the OS pick a free port (no race between choosing and binding). The game rules go to the
    plugin from ``rules`` (default: the CraftWorld table). :meth:`admin` runs plugin operations directly on the
    server (scene building, queries) without any op'd player.
    """

    def __init__(self, *, port: int = 0, host: str = "127.0.0.1", version: str = DEFAULT_VERSION,
                 rules: RuleSet | None = None, reach: float = REACH, max_players: int = 16,
                 view_distance: int = 4, gamemode: str = "survival", ops: tuple[str, ...] = (),
                 ready_timeout: float = 30.0, work_dir: Path | None = None, install: bool = True) -> None:
        self._opts = dict(port=port, host=host, version=version, max_players=max_players,
                          view_distance=view_distance, gamemode=gamemode, ops=ops)
        self._rules, self._reach, self._ready_timeout, self._install = rules, reach, ready_timeout, install
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._work_dir = work_dir
        self._proc: NodeProcess | None = None
        self.address: ServerAddress | None = None
        self.start_seconds: float | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def log_path(self) -> Path | None:
        return self._proc.log_path if self._proc else None

    def start(self) -> ServerAddress:
        if self._install:
            ensure_node_modules()
        node = node_binary()
        if self._work_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="causalmace-mc-")
            self._work_dir = Path(self._tmp.name)
        rules_path = write_rules(self._work_dir / "rules.json", self._rules, reach=self._reach)
        o = self._opts
        args = ["--port", str(o["port"]), "--host", o["host"], "--version", o["version"],
                "--max-players", str(o["max_players"]), "--view-distance", str(o["view_distance"]),
                "--gamemode", o["gamemode"], "--rules", str(rules_path), "--ops", ",".join(o["ops"])]
        self._proc = NodeProcess(SERVER_DIR / "serve.js", args, cwd=self._work_dir, node=node,
                                 log_path=self._work_dir / "server.log")
        t0 = time.monotonic()
        ready = self._proc.start(self._ready_timeout)
        self.start_seconds = time.monotonic() - t0
        self.address = ServerAddress(o["host"], int(ready["port"]), o["version"])
        return self.address

    def admin(self, op: str, timeout: float = 30.0, **args: Any) -> Any:
        """Run a plugin operation on the server itself (see ``plugins/causalmace/ops.js``)."""
        if self._proc is None:
            raise RuntimeError("server not started")
        return self._proc.request(op, args, timeout)

    def alive(self) -> bool:
        return self._proc is not None and self._proc.alive()

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
            self._work_dir = None

    def __enter__(self) -> FlyingSquidServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
