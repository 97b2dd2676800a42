"""Scene building by server-side operations: set and fill blocks, fill chests, give items, teleport players.

With our own server the operations run on its admin channel (no player needed); with an external server
they go through an op'd bot's ``/causalmace`` command. Both reach the same plugin code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .bots import Bot
from .server import FlyingSquidServer

Run = Callable[..., Any]


class WorldEditor:
    """Block and inventory edits for setting up a task."""

    def __init__(self, run: Run) -> None:
        self._run = run

    @classmethod
    def of(cls, target: FlyingSquidServer | Bot) -> WorldEditor:
        """Edit through our server's admin channel, or through an op'd bot."""
        if isinstance(target, FlyingSquidServer):
            return cls(target.admin)
        return cls(target.plugin)

    def setblock(self, x: int, y: int, z: int, name: str,
                 properties: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Set one block, with block-state properties (e.g. {"facing": "north"}); returns it as stored."""
        return self._run("setblock", x=x, y=y, z=z, name=name, properties=dict(properties or {}))

    def fill(self, a: tuple[int, int, int], b: tuple[int, int, int], name: str,
             properties: Mapping[str, Any] | None = None) -> int:
        """Fill the box between corners ``a`` and ``b`` (inclusive); returns the number of blocks set."""
        return self._run("fill", timeout=120.0, **{"from": list(a), "to": list(b)}, name=name,
                         properties=dict(properties or {}))["count"]

    def block(self, x: int, y: int, z: int) -> dict[str, Any]:
        """The server's own block state at (x, y, z) (not a client's view of it)."""
        return self._run("block", x=x, y=y, z=z)

    def give(self, player: str, item: str, count: int = 1) -> dict[str, int]:
        """Add items with proper stacking; returns the player's inventory (name -> count)."""
        return self._run("give", player=player, item=item, count=count)["inventory"]

    def clear(self, player: str, item: str | None = None) -> dict[str, int]:
        return self._run("clear", player=player, item=item)

    def inventory(self, player: str) -> dict[str, int]:
        return self._run("inventory", player=player)

    def teleport(self, player: str, x: float, y: float, z: float) -> list[float]:
        return self._run("tp", player=player, x=x, y=y, z=z)

    def set_chest(self, x: int, y: int, z: int, items: Mapping[str, int], name: str = "chest") -> dict[str, int]:
        """Place a container block and set what it holds."""
        self.setblock(x, y, z, name)
        return self._run("chest_set", x=x, y=y, z=z, items=dict(items))["contents"]

    def chest(self, x: int, y: int, z: int) -> dict[str, int]:
        return self._run("chest", x=x, y=y, z=z)["contents"]

    def containers(self) -> list[dict[str, Any]]:
        """Every container the plugin keeps: ``[{"position": [x, y, z], "items": {name: count}}]``."""
        return self._run("containers")

    def plates(self) -> list[dict[str, Any]]:
        """Pressed pressure plates and who stands on each."""
        return self._run("plates")

    def players(self) -> list[dict[str, Any]]:
        return self._run("players")

    def summon(self, name: str, x: float, y: float, z: float) -> int:
        """Spawn a creature (it stands still: flying-squid has no creature AI); returns its entity id."""
        return int(self._run("summon", name=name, x=x, y=y, z=z)["id"])

    def creatures(self) -> list[dict[str, Any]]:
        """The creatures the plugin spawned that are alive: ``[{"id", "name", "position", "health"}]``."""
        return self._run("creatures")

    def despawn(self, ids: list[int]) -> list[dict[str, Any]]:
        """Take creatures away by entity id; returns those left alive."""
        return self._run("despawn", ids=list(ids))

    def command(self, line: str) -> str:
        """Run a stock server command as the console (or as the op'd bot); returns its reply text, if any."""
        return self._run("command", line=line)["output"]
