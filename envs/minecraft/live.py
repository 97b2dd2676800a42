"""The live world as the env reads and edits it, in task coordinates, with reads cached for one step.

Between two actions nothing in the world moves (creatures have no AI, no fluids flow, bots stand still), so a read
made while an agent decides its next action stays true until the next action: the env clears the cache before
and after each action. Edits go through the plugin's admin channel on our own server, or through an op'd bot's
``/causalmace`` command on a server started elsewhere.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from causalmace.rules import Pos, RuleSet

from .bots import Bot
from .errors import ActionFailed, ActionTimeout, Disconnected, ProcessFailed, ServerGone
from .frame import Frame, Vec, is_true, item_form
from .world import WorldEditor

AIR = frozenset({"air", "cave_air", "void_air"})
FLUIDS = frozenset({"water", "lava"})
Block = tuple[str, dict[str, Any]]  # name and block-state properties


class LiveWorld:
    """Reads and edits of one scene on a live server; every position here is in task coordinates."""

    def __init__(self, editor: WorldEditor, bots: Mapping[str, Bot], frame: Frame, rules: RuleSet, *,
                 where: str, own_server: bool, alive: Callable[[], bool]) -> None:
        self.editor, self.bots, self.frame, self.rules = editor, bots, frame, rules
        self.where, self.own_server, self._alive = where, own_server, alive
        self._cache: dict[Any, Any] = {}

    # ---- plumbing --------------------------------------------------------------------------------
    def clear_cache(self) -> None:
        self._cache.clear()

    def _cached(self, key: Any, read: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = read()
        return self._cache[key]

    def admin(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One edit or read on the server; a server that stopped answering ends the episode."""
        try:
            return fn(*args, **kwargs)
        except ProcessFailed as e:
            raise ServerGone(f"the server at {self.where} is gone ({e})") from None
        except (ActionTimeout, Disconnected) as e:
            if not self._alive():
                raise ServerGone(f"the server at {self.where} is gone ({e})") from None
            raise ServerGone(f"the server at {self.where} did not answer: {e}") from None

    # ---- reads -------------------------------------------------------------------------------------
    def block(self, pos: Pos) -> Block | None:
        """The server's block at ``pos`` (wall-mounted ones by their item's name); None for air."""
        def read() -> Block | None:
            b = self.admin(self.editor.block, *self.frame.live(pos))
            return None if b["name"] in AIR else (item_form(b["name"]), dict(b.get("properties") or {}))
        return self._cached(("block", pos), read)

    def solid(self, pos: Pos) -> bool:
        b = self.block(pos)
        if b is None or b[0] in FLUIDS or b[0] in self.rules.passable:
            return False
        return not is_true(b[1].get("open"))

    def containers(self) -> dict[Pos, dict[str, int]]:
        """What each container the plugin keeps holds, by task position."""
        def read() -> dict[Pos, dict[str, int]]:
            rows = self.admin(self.editor.containers)
            return {self.frame.task(tuple(r["position"])): dict(r["items"]) for r in rows}  # type: ignore[arg-type]
        return self._cached("containers", read)

    def pressed_plates(self) -> dict[Pos, list[str]]:
        """Pressure plates pressed now (task positions) and who stands on each."""
        def read() -> dict[Pos, list[str]]:
            rows = self.admin(self.editor.plates)
            return {self.frame.task(tuple(r["position"])): list(r["players"]) for r in rows}  # type: ignore[arg-type]
        return self._cached("plates", read)

    def inventory(self, agent: str) -> dict[str, int]:
        """The server's count of what ``agent`` carries (the client's view may lag a tick behind)."""
        def read() -> dict[str, int]:
            if self.own_server:
                return dict(self.admin(self.editor.inventory, agent))
            return dict(self.bots[agent].plugin("inventory"))  # through an op'd bot, reads are the caller's own
        return self._cached(("inv", agent), read)

    def creatures(self) -> set[int]:
        """Entity ids of the creatures the plugin spawned that are alive (other scenes' too, on a shared server)."""
        return self._cached("creatures", lambda: {int(c["id"]) for c in self.admin(self.editor.creatures)})

    def position(self, agent: str) -> Vec:
        return self._cached(("pos", agent), lambda: self.frame.task_vec(self.bots[agent].position()))

    # ---- edits -------------------------------------------------------------------------------------
    def setblock(self, pos: Pos, name: str, props: Mapping[str, Any] | None = None) -> None:
        self.admin(self.editor.setblock, *self.frame.live(pos), name, props)
        self._cache.pop(("block", pos), None)

    def fill(self, a: Pos, b: Pos, name: str, props: Mapping[str, Any] | None = None) -> None:
        self.admin(self.editor.fill, self.frame.live(a), self.frame.live(b), name, props)
        self.clear_cache()

    def set_chest(self, pos: Pos, name: str, items: Mapping[str, int]) -> None:
        self.admin(self.editor.set_chest, *self.frame.live(pos), dict(items), name)
        self.clear_cache()

    def summon(self, name: str, pos: Pos) -> int:
        """A creature standing in cell ``pos``; returns its entity id."""
        x, y, z = self.frame.live(pos)
        self._cache.pop("creatures", None)
        return int(self.admin(self.editor.summon, name, x + 0.5, y, z + 0.5))

    def despawn(self, ids: list[int]) -> None:
        self._cache.pop("creatures", None)
        self.admin(self.editor.despawn, ids)

    def give(self, agent: str, item: str, count: int) -> None:
        self.admin(self.editor.give, agent, item, count)
        self._cache.pop(("inv", agent), None)

    def clear_inventory(self, agent: str) -> None:
        self.admin(self.editor.clear, agent)
        self._cache.pop(("inv", agent), None)

    def teleport(self, agent: str, to: Vec, timeout: float = 8.0) -> None:
        """Move ``agent`` to task position ``to`` and wait until its client stands there with the chunks around.

        The command is sent again each second: a player still logging in (just joined) may miss the first.
        """
        x, y, z = self.frame.live_feet(to)
        bot = self.bots[agent]
        deadline = time.monotonic() + timeout
        sent = 0.0
        while time.monotonic() < deadline:
            if time.monotonic() - sent > 1.0:
                self.admin(self.editor.teleport, agent, x, y, z)
                self._cache.pop(("pos", agent), None)
                sent = time.monotonic()
            try:
                px, _, pz = bot.position()
                near = abs(px - x) < 0.5 and abs(pz - z) < 0.5
                if near and bot.block(math.floor(x), math.floor(y) - 1, math.floor(z)) is not None:
                    return
            except ActionFailed:
                pass
            time.sleep(0.05)
        raise ActionTimeout(f"{agent} did not arrive at {to} within {timeout:g} s of being teleported")

    def wait_ready(self, agent: str, timeout: float = 10.0) -> None:
        """Wait until the server has finished logging ``agent`` in.

        flying-squid ends a login only when the client first looks around, and then puts the player back where it
        logged in: a teleport before that would be undone by the bot's first look. So the bot looks about now.
        """
        bot = self.bots[agent]
        deadline = time.monotonic() + timeout
        turn = 0
        while time.monotonic() < deadline:
            me = [p for p in self.admin(self.editor.players) if p["name"] == agent]
            if me and me[0].get("ready", True):
                return
            x, y, z = bot.position()
            turn += 1
            bot.look_at(x + (1 if turn % 2 else -1), y + 1.6, z + 1)
            time.sleep(0.1)
        raise ActionTimeout(f"the server did not finish logging {agent} in within {timeout:g} s")

    def sync_client(self, agent: str, timeout: float = 2.0) -> None:
        """Wait until the bot's own inventory agrees with the server's, so its next action sees its items."""
        want = self.inventory(agent)
        bot = self.bots[agent]
        deadline = time.monotonic() + timeout
        while bot.inventory() != want and time.monotonic() < deadline:
            time.sleep(0.03)
