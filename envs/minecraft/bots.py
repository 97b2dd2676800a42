"""mineflayer bots driven from Python: one node process hosts every bot, each bot gets synchronous methods.

Calls are thread-safe, so agents may act concurrently from their own threads. Every action has a timeout
after which it is stopped on the node side and raises ActionTimeout; refusals raise ActionFailed with the
game's reason; a dropped connection raises Disconnected until :meth:`Bot.rejoin`.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ActionFailed, Disconnected, ProcessFailed
from .install import SERVER_DIR, ensure_node_modules, node_binary
from .rpc import NodeProcess
from .server import ServerAddress

Pos = tuple[float, float, float]
_MARGIN = 5.0  # seconds Python waits beyond an action's own timeout, for the node side to report it


class BotHost:
    """The node process that hosts the bots; a context manager that quits them all and ends the process."""

    def __init__(self, *, log_dir: Path | None = None, install: bool = True, ready_timeout: float = 30.0) -> None:
        self._log_dir, self._install, self._ready_timeout = log_dir, install, ready_timeout
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._proc: NodeProcess | None = None
        self.bots: dict[str, Bot] = {}
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> BotHost:
        if self._install:
            ensure_node_modules()
        node = node_binary()
        if self._log_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="causalmace-bots-")
            self._log_dir = Path(self._tmp.name)
        self._proc = NodeProcess(SERVER_DIR / "bots.js", cwd=SERVER_DIR, node=node, log_path=self._log_dir / "bots.log")
        self._proc.on_event(self._on_event)
        self._proc.start(self._ready_timeout)
        return self

    def request(self, op: str, args: dict[str, Any] | None = None, wait: float = 30.0) -> Any:
        """One request to the host; ``wait`` is how long to wait for its reply (s)."""
        if self._proc is None:
            raise ProcessFailed("bot host not started")
        return self._proc.request(op, args, wait)

    def versions(self) -> dict[str, str]:
        """Versions of node and the mineflayer packages the host actually loaded, and from where."""
        return self.request("versions")

    def join(self, name: str, server: ServerAddress, *, timeout: float = 30.0, allow_dig: bool = False,
             allow_place: bool = False, think_s: float = 5.0) -> Bot:
        """Connect a bot named ``name`` and wait until it has spawned.

        Walking never digs (``allow_dig``) nor places blocks from the inventory (``allow_place``) unless asked;
        ``think_s`` bounds the pathfinder's search for a path.
        """
        bot = Bot(self, name, server, allow_dig=allow_dig, allow_place=allow_place, think_s=think_s)
        bot.join(timeout)
        with self._lock:
            self.bots[name] = bot
        return bot

    def _on_event(self, event: str, data: dict[str, Any]) -> None:
        bot = self.bots.get(data.get("bot", ""))
        if bot is not None and event in ("end", "kicked"):
            bot._disconnected(str(data.get("reason", event)))

    def stop(self) -> None:
        """Quit every bot, then end the node process (and its group)."""
        if self._proc is not None and self._proc.alive():
            try:
                self._proc.request("shutdown", None, 8.0)
            except Exception:  # noqa: BLE001 - the process is ended below either way
                pass
        if self._proc is not None:
            self._proc.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
            self._log_dir = None

    def __enter__(self) -> BotHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Bot:
    """One player in the world. Positions are block coordinates; counts are item counts."""

    def __init__(self, host: BotHost, name: str, server: ServerAddress, *, allow_dig: bool = False,
                 allow_place: bool = False, think_s: float = 5.0) -> None:
        self.host, self.name, self.server, self.allow_dig = host, name, server, allow_dig
        self.allow_place, self.think_s = allow_place, think_s
        self.connected = False
        self.disconnect_reason: str | None = None
        self.join_seconds: float | None = None
        self._listeners: list[Callable[[Bot, str], None]] = []

    # --- connection -------------------------------------------------------------------------------
    def join(self, timeout: float = 30.0) -> None:
        t0 = time.monotonic()
        s = self.server
        self.host.request("join", {"name": self.name, "host": s.host, "port": s.port, "version": s.version,
                                   "timeout": int(timeout * 1000), "allowDig": self.allow_dig,
                                   "allowPlace": self.allow_place, "thinkMs": int(self.think_s * 1000)},
                          timeout + _MARGIN)
        self.join_seconds = time.monotonic() - t0
        self.connected, self.disconnect_reason = True, None

    def rejoin(self, timeout: float = 30.0) -> None:
        """Connect again after a disconnect (the old connection is dropped first)."""
        self.host.request("quit", {"bot": self.name}, 5.0)
        self.join(timeout)

    def on_disconnect(self, fn: Callable[[Bot, str], None]) -> None:
        """Call ``fn(bot, reason)`` (from a background thread) when the server drops or kicks this bot."""
        self._listeners.append(fn)

    def _disconnected(self, reason: str) -> None:
        if not self.connected:
            return
        self.connected, self.disconnect_reason = False, reason
        for fn in list(self._listeners):
            fn(self, reason)

    def quit(self) -> None:
        self.connected = False
        self.host.request("quit", {"bot": self.name}, 8.0)
        self.host.bots.pop(self.name, None)

    def _call(self, _op: str, _wait: float = 10.0, **args: Any) -> Any:
        """One request for this bot; ``_wait`` is how long Python waits for the reply (s)."""
        if not self.connected:
            raise Disconnected(f"{self.name} is disconnected ({self.disconnect_reason}); call rejoin()")
        try:
            return self.host.request(_op, {**args, "bot": self.name}, _wait)
        except ActionFailed as e:
            if "is disconnected" in str(e):
                self._disconnected(str(e))
                raise Disconnected(str(e)) from None
            raise

    def _act(self, _op: str, _timeout: float, **args: Any) -> Any:
        """A long action: node stops it after ``_timeout`` s; Python waits a little longer for that report."""
        return self._call(_op, _timeout + _MARGIN, timeout=int(_timeout * 1000), **args)

    # --- observation ------------------------------------------------------------------------------
    def position(self) -> Pos:
        x, y, z = self._call("position")
        return (x, y, z)

    def inventory(self) -> dict[str, int]:
        return self._call("inventory")

    def status(self) -> dict[str, Any]:
        """Position, health, food, game mode, held item and inventory in one round trip."""
        return self._call("status")

    def players(self) -> dict[str, dict[str, Any]]:
        """Players this client knows: name -> {visible: entity in view, position}."""
        return self._call("players")

    def entities(self, radius: float = 32, match: str | None = None) -> list[dict[str, Any]]:
        """Entities in ``radius``, nearest first; ``match`` filters by entity name or username."""
        return self._call("entities", radius=radius, match=match)

    def find_player(self, name: str, *, timeout: float = 3.0) -> Pos:
        """Where player ``name`` is, waiting up to ``timeout`` s for it to come into view."""
        x, y, z = self._act("find_player", timeout, player=name)
        return (x, y, z)

    def block(self, x: int, y: int, z: int) -> dict[str, Any] | None:
        """The block as this client sees it: name, stateId, properties; None if its chunk is not loaded."""
        return self._call("block", x=x, y=y, z=z)

    def messages(self, since: float = 0) -> list[dict[str, Any]]:
        """Chat lines received after ``since`` (ms since the epoch), oldest first."""
        return self._call("messages", since=since)

    # --- actions ----------------------------------------------------------------------------------
    def chat(self, text: str) -> None:
        self._call("chat", text=text)

    def command(self, line: str) -> None:
        """Send a server command (``/give``, ``/tp``...); the bot must be op for op-only commands."""
        self._call("chat", text=line if line.startswith("/") else "/" + line)

    def goto(self, x: float, y: float, z: float, *, range: float = 1.0, timeout: float = 60.0) -> Pos:
        """Walk (mineflayer-pathfinder) to within ``range`` of (x, y, z); returns where the bot ended."""
        x1, y1, z1 = self._act("goto", timeout, x=x, y=y, z=z, range=range)
        return (x1, y1, z1)

    def look_at(self, x: float, y: float, z: float) -> None:
        self._call("look", x=x, y=y, z=z)

    def dig(self, x: int, y: int, z: int, *, timeout: float = 30.0) -> dict[str, Any]:
        """Mine the block; drops go to the inventory by the rule book. Returns {block, gained}."""
        return self._act("dig", timeout, x=x, y=y, z=z)

    def place(self, item: str, x: int, y: int, z: int, *, timeout: float = 10.0) -> dict[str, Any]:
        """Place ``item`` at (x, y, z) against a neighbouring solid block; returns the new block."""
        return self._act("place", timeout, item=item, x=x, y=y, z=z)

    def equip(self, item: str, destination: str = "hand") -> None:
        self._call("equip", item=item, destination=destination)

    def activate(self, x: int, y: int, z: int) -> dict[str, Any]:
        """Right-click a block: flip a lever, press a button, open a door."""
        return self._call("activate", x=x, y=y, z=z)

    def attack(self, match: str | None = None, *, entity_id: int | None = None, radius: float = 6) -> dict[str, Any]:
        """Hit the nearest entity named ``match`` within ``radius`` (or the entity with ``entity_id``)."""
        return self._call("attack", match=match, id=entity_id, radius=radius)

    def toss(self, item: str, count: int = 1) -> dict[str, int]:
        return self._call("toss", item=item, count=count)

    def stop(self) -> None:
        """Stop walking and digging now."""
        self._call("stop")

    # --- plugin-backed actions (follow the rule book; reach is 4.5 blocks) ------------------------
    def plugin(self, op: str, timeout: float = 10.0, **args: Any) -> Any:
        """Run a plugin operation as this player through ``/causalmace`` and return its structured reply."""
        return self._act("plugin", timeout, op=op, args=args)

    def craft(self, item: str, count: int = 1) -> dict[str, Any]:
        """Craft ``count`` times; recipes too big for the 2x2 grid need a crafting_table within reach."""
        return self.plugin("craft", item=item, count=count)

    def smelt(self, item: str, count: int = 1, fuel: str = "coal") -> dict[str, Any]:
        """Smelt ``count`` items in a furnace within reach, burning ``fuel`` from the inventory."""
        return self.plugin("smelt", item=item, count=count, fuel=fuel)

    def deposit(self, item: str, count: int = 1, at: tuple[int, int, int] | None = None) -> dict[str, Any]:
        """Put items into the container at ``at`` (or the nearest within reach); returns its contents."""
        return self.plugin("deposit", item=item, count=count, **_xyz(at))

    def withdraw(self, item: str, count: int = 1, at: tuple[int, int, int] | None = None) -> dict[str, Any]:
        return self.plugin("withdraw", item=item, count=count, **_xyz(at))

    def chest_contents(self, at: tuple[int, int, int] | None = None) -> dict[str, int]:
        return self.plugin("chest", **_xyz(at))["contents"]

    def handover(self, to: str, item: str, count: int = 1, *, approach: bool = True,
                 timeout: float = 60.0) -> dict[str, Any]:
        """Give items to a teammate: walk next to them (unless ``approach`` is False), then hand over."""
        if approach:
            x, y, z = self.find_player(to)
            self.goto(x, y, z, range=2, timeout=timeout)
        return self.plugin("transfer", to=to, item=item, count=count)

    def plates(self) -> list[dict[str, Any]]:
        """Pressure plates pressed right now, each with the players standing on it."""
        return self.plugin("plates")

    def eval_js(self, code: str, timeout: float = 10.0) -> Any:
        """Run ``code`` as an async JS function body with ``bot``, ``Vec3``, ``goals``; for experiments."""
        return self._call("eval", timeout, code=code)


def _xyz(at: tuple[int, int, int] | None) -> dict[str, int]:
    return {} if at is None else {"x": at[0], "y": at[1], "z": at[2]}
