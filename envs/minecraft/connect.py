"""Getting a team into a live world: our own server (or a shared one, or one started elsewhere), a bot host,
one bot per agent, and the channel that builds the scene.

Everything started here is put in ``procs`` at once, so that a failure half-way still stops it all.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from causalmace.rules import RuleSet

from .bots import Bot, BotHost
from .errors import MinecraftError, ServerGone
from .frame import Frame
from .install import ensure_node_modules
from .live import LiveWorld
from .options import ServerSpec
from .server import FlyingSquidServer, ServerAddress
from .world import WorldEditor


@dataclass
class Connection:
    live: LiveWorld
    bots: dict[str, Bot]
    where: str
    owned: bool  # the server is ours: a new one per episode
    alive: Callable[[], bool]


def _port_open(host: str, port: int) -> Callable[[], bool]:
    def alive() -> bool:
        try:
            with socket.create_connection((host, port), timeout=2.0):
                return True
        except OSError:
            return False
    return alive


def connect(spec: ServerSpec, agents: list[str], rules: RuleSet, frame: Frame, *, procs: list[Any],
            join_timeout: float, log_dir: Path | None, path_think_s: float = 2.0) -> Connection:
    """Start or reach the server, join one bot per agent, and return the live world to play in."""
    ensure_node_modules()
    server: FlyingSquidServer | None = spec.shared
    owned = spec.shared is None and spec.kind == "flying-squid"
    if log_dir is not None:
        (log_dir / "server").mkdir(parents=True, exist_ok=True)
    if owned:
        server = FlyingSquidServer(port=spec.port, version=spec.version, rules=rules,
                                   work_dir=None if log_dir is None else log_dir / "server")
        procs.append(server)
        server.start()
    if server is not None:
        assert server.address is not None
        address, alive = server.address, server.alive
    else:
        address, alive = ServerAddress(spec.host, spec.port, spec.version), _port_open(spec.host, spec.port)
    where = f"{address.host}:{address.port}"
    host = BotHost(log_dir=None if log_dir is None else log_dir / "bots")
    procs.append(host)
    host.start()
    bots: dict[str, Bot] = {}
    try:
        for a in agents:
            bots[a] = host.join(a, address, timeout=join_timeout, think_s=path_think_s)
    except MinecraftError as e:
        if not alive():
            raise ServerGone(f"no Minecraft server answers at {where}") from None
        raise MinecraftError(f"cannot join the server at {where}: {e}") from None
    if server is not None:
        editor = WorldEditor.of(server)
    else:
        admin = spec.admin or agents[0]
        if admin not in bots:
            raise MinecraftError(f"the admin player {admin!r} is not one of the agents {agents}")
        editor = WorldEditor.of(bots[admin])
    live = LiveWorld(editor, bots, frame, rules, where=where, own_server=server is not None, alive=alive)
    for a in agents:
        live.wait_ready(a, join_timeout)
    return Connection(live, bots, where, owned, alive)
