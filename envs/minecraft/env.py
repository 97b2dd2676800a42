"""MinecraftEnv: VillagerBench tasks on a real Minecraft-protocol server, played by real mineflayer bots.

The env follows the same protocol as CraftWorld and is a block-world ``WorldView``, so the Judger's
:func:`~causalmace.envs.blocks.judger.check` and the scripted agent run on it unchanged; only here every read
(blocks, chests, pressure plates, inventories, positions) goes to the live server, and every action is a bot's.

Time: actions run one at a time, and each agent's clock advances by the measured wall-clock seconds of its own
actions (plus ``think_time``, which is counted, not slept), so the runner's earliest-clock loop orders them as
in CraftWorld. A ``Wait`` moves the clock on without sleeping: nothing in this world changes while no one acts.
An action the Judger refuses costs ``REJECT_COST`` at least; one the game refuses (``ActionFailed``) or that
outlives ``action_timeout_s`` (``ActionTimeout``) comes back as a refused result with the game's reason.

What differs from CraftWorld, and what is not supported, is listed in :data:`LIMITS`.
"""

from __future__ import annotations

import random
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from causalmace.actions import Action, Wait
from causalmace.envs.blocks import actions as A
from causalmace.envs.blocks.judger import REACH, check, distance
from causalmace.envs.blocks.outcome import WorldFacts
from causalmace.envs.blocks.sight import containers_in_reach, controls, steps_shown
from causalmace.envs.blocks.survey import Survey, survey_text
from causalmace.envs.blocks.text import rules_text
from causalmace.envs.craftworld.env import agent_names
from causalmace.envs.craftworld.lanes import closed_between, passable_exit, room_of
from causalmace.envs.craftworld.movement import body_fits
from causalmace.envs.craftworld.world import ROOM_HALF, WorldState
from causalmace.envs.protocol import ActionResult, Capability
from causalmace.judger import Refusal, RefusalKind, Score
from causalmace.rules import Condition, Pos, RuleSet, Trigger
from causalmace.tasks import Task

from .actions import Refused, act
from .connect import Connection, connect
from .errors import ActionFailed, ActionTimeout, Disconnected, MinecraftError, ProcessFailed, ServerGone
from .frame import Frame, Vec, facing_of, is_true
from .live import LiveWorld
from .options import server_spec
from .scene import build_scene, clear_scene
from .triggers import TriggerBook

REJECT_COST = 0.5  # seconds at least that a refused action costs, as in CraftWorld
LIMITS = (
    "creatures stand still (flying-squid has no creature AI), where the scene put them, until killed",
    "no walking path (blocks in the air, closed-in cells): the bot is teleported there, or refused "
    "with navigate_fallback: refuse",
    "a block's facing is set by the server after the bot places it (mineflayer cannot choose it)",
)
Reference = Callable[[Task, RuleSet, Survey], Any]
WorldModel = Callable[..., Any]


@dataclass
class _Agent:
    clock: float = 0.0
    busy: float = 0.0
    pos: Vec = (0.0, 0.0, 0.0)  # last seen, to put a rejoined bot back
    inv: dict[str, int] = field(default_factory=dict)
    lost: str | None = None  # why the bot is out of the game for good


class MinecraftEnv:
    """One VillagerBench task on a live server; options are documented on :func:`envs.minecraft.suites.make_env`."""

    capabilities = frozenset({Capability.REFERENCE})
    default_agent = "scripted"

    def __init__(self, task: Task, rules: RuleSet, n_agents: int = 1, *, env_id: str = "minecraft",
                 think_time: float = 0.0, action_timeout_s: float = 60.0, server: Any = None,
                 origin: Sequence[int] = (0, 0), navigate_fallback: str = "teleport", join_timeout_s: float = 30.0,
                 path_think_s: float = 2.0, log_dir: str | Path | None = None, reference: Reference | None = None,
                 world_model: WorldModel | None = None) -> None:
        if n_agents < 1:
            raise ValueError("n_agents must be at least 1")
        if navigate_fallback not in ("teleport", "refuse"):
            raise ValueError("navigate_fallback must be 'teleport' or 'refuse'")
        self.env_id, self.task, self.rules, self.n_agents = env_id, task, rules, n_agents
        self.think_time, self.action_timeout_s = float(think_time), float(action_timeout_s)
        self.navigate_fallback, self.join_timeout_s = navigate_fallback, float(join_timeout_s)
        self.path_think_s = float(path_think_s)
        self.log_dir = None if log_dir is None else Path(log_dir)
        self.agents = agent_names(n_agents)
        self.spec = server_spec(server)
        self._reference, self._world_model = reference, world_model
        if reference is None:
            self.capabilities = self.capabilities - {Capability.REFERENCE}
        self._seed = 0
        self.state: WorldState = task.world.build(self.agents, rules, random.Random(0))  # the scene, task coords
        self.frame = Frame.for_ground(self.state.ground_y, self.spec.ground_feet_y, (origin[0], origin[1]))
        self._conn: Connection | None = None
        self._procs: list[Any] = []
        self._finalizer = weakref.finalize(self, _stop_all, self._procs)
        self._reset_books()
        self.teleports = 0  # walks finished by teleport (no walking path)
        self.rejoins = 0

    def _reset_books(self) -> None:
        self._ag = {a: _Agent(pos=self.state.agents[a].pos, inv=dict(self.state.agents[a].inventory))
                    for a in self.agents}
        self._intervals: dict[str, list[tuple[float, float]]] = {a: [] for a in self.agents}
        self._book = TriggerBook(self.rules.triggers)
        self._achieved: set[str] = set()
        self._owners: dict[str, str] = {}
        self._known: dict[Pos, str] = {}  # non-air blocks by position: the scene and what actions changed
        self._creatures: dict[int, int] = {}  # the scene's creature -> its entity id on the server
        self._no_creatures = ""  # why the server could not spawn the scene's creatures, if it could not

    # ---- life cycle ------------------------------------------------------------------------------
    @property
    def live(self) -> LiveWorld:
        """The live world; only after ``reset()`` (a copy of this env elsewhere never starts a server of its own)."""
        if self._conn is None:
            raise MinecraftError(f"{self.env_id}: the live world is not laid out; call reset() first")
        return self._conn.live

    @property
    def server_pids(self) -> list[int]:
        """Process ids of the node processes this env started (server and bot host)."""
        return [p.pid for p in self._procs if getattr(p, "pid", None)]

    def reset(self, seed: int | None = None) -> dict[str, dict[str, Any]]:
        """Lay the task out anew; with our own server that is a fresh server, elsewhere the old scene is cleared."""
        self._seed = 0 if seed is None else int(seed)
        if self._conn is not None and self._conn.owned:
            self.close()
        old = set(self._known) | set(self.state.blocks)
        self.state = self.task.world.build(self.agents, self.rules, random.Random(self._seed))
        try:
            self._lay_out(old)
        except BaseException:
            self.close()  # a half-built episode leaves no process behind
            raise
        return {a: self.observe(a) for a in self.agents}

    def _lay_out(self, old: set[Pos]) -> None:
        if self._conn is None:
            self._conn = connect(self.spec, self.agents, self.rules, self.frame, procs=self._procs,
                                 join_timeout=self.join_timeout_s, log_dir=self.log_dir,
                                 path_think_s=self.path_think_s)
        else:
            clear_scene(self._conn.live, old, self.state.ground_y)
            if self._creatures:
                self._conn.live.despawn(sorted(self._creatures.values()))
        self._reset_books()
        live = self._conn.live
        self._known = build_scene(live, self.state, self.rules)
        self._no_creatures = ""
        try:
            self._creatures = {cid: live.summon(c.name, c.pos) for cid, c in sorted(self.state.creatures.items())}
        except ActionFailed as e:  # a server without our creatures op, or a version without the creature
            self._no_creatures = str(e)
        for a in self.agents:
            live.clear_inventory(a)
            for item, n in sorted(self.state.agents[a].inventory.items()):
                live.give(a, item, n)
            live.teleport(a, self.state.agents[a].pos)
            live.sync_client(a)
        live.clear_cache()
        self._after(self.agents[0], 0.0)

    def close(self) -> None:
        """Quit every bot and stop what this env started (never a shared or external server). Safe twice."""
        self._conn = None
        _stop_all(self._procs)

    # ---- protocol -----------------------------------------------------------------------------------
    def action_specs(self) -> tuple[type[Action], ...]:
        return A.ACTION_TYPES

    def clock(self, agent: str) -> float:
        return self._ag[agent].clock

    def apply(self, agent: str, action: Action) -> ActionResult:
        """Judge ``action`` on the live world, then have ``agent``'s bot do it; see the module doc for time."""
        ag = self._ag[agent]
        start = ag.clock + self.think_time
        if isinstance(action, Wait):  # waiting is no decision: no think time
            ag.clock += action.seconds
            if self._conn is not None:
                self._conn.live.clear_cache()
            self._after(agent, ag.clock)
            return ActionResult(True, "waited", action.seconds)
        live = self.live
        t0 = time.perf_counter()
        live.clear_cache()
        msg, data, refusal = "", None, None
        try:
            refusal = self._ready(agent, action) or check(self.rules, self, agent, action) or self._occupied(action)
            if refusal is None:
                msg, data = self._act(agent, action)
        except Refused as r:
            refusal = r.refusal
        duration = time.perf_counter() - t0
        live.clear_cache()
        if refusal is not None:
            duration = max(duration, REJECT_COST)
        ag.clock = start + duration
        self._after(agent, ag.clock)
        if refusal is not None:
            return ActionResult(False, refusal.message, duration, refusal=refusal)
        ag.busy += duration
        self._intervals[agent].append((start, ag.clock))
        return ActionResult(True, msg, duration, data)

    def _act(self, agent: str, action: Action) -> tuple[str, Any]:
        """The action through the bot; one rejoin and retry if the bot drops out in the middle."""
        for attempt in (0, 1):
            try:
                return act(self, agent, action)
            except (ActionFailed, ActionTimeout) as e:
                raise Refused(_game_refusal(e, action)) from None
            except Disconnected:
                if attempt:
                    raise Refused(self._gone(agent, "it dropped out again right after rejoining")) from None
                if (r := self._rejoin(agent)) is not None:
                    raise Refused(r) from None
            except ProcessFailed as e:
                where = self._conn.where if self._conn else "?"
                raise ServerGone(f"the bot host or the server at {where} is gone: {e}") from None
        raise AssertionError("unreachable")

    def observe(self, agent: str) -> dict[str, Any]:
        """What the agent sees, as in CraftWorld (:mod:`causalmace.envs.blocks.sight`): no trigger's hidden state."""
        pos = self.position(agent)
        held = self._conn.live.containers() if self._conn is not None else {}
        found = ((p, c.name, held.get(p, c.items)) for p, c in self.state.containers.items())
        obs: dict[str, Any] = {"position": pos, "inventory": dict(self.inventory(agent)),
                               "time": self._ag[agent].clock, "containers": containers_in_reach(found, pos, REACH),
                               "room": room_of(self.state, pos) if self.state.rooms else None,
                               "rooms_solved": self._book.solved()}
        if self.state.rooms:
            book = self._book
            obs["rooms_progress"] = [steps_shown(t, book.state[t.id].registered, book.state[t.id].fired)
                                     for t in book.triggers]
            obs["controls"] = self._controls(pos)
            obs["teammates"] = {a: room_of(self.state, self.position(a)) for a in self.agents if a != agent}
        return obs

    def _controls(self, pos: Vec) -> list[dict[str, Any]]:
        """The levers, buttons and plates in the agent's room (the scene's), as the live world shows them."""
        inside = self.state.room_at(pos)
        if inside is None or self._conn is None:
            return []
        cx, _, cz = self.state.rooms[inside].center
        cells = [(p, b.name) for p, b in self.state.blocks.items() if b is not None
                 and abs(p[0] - cx) <= ROOM_HALF and abs(p[2] - cz) <= ROOM_HALF]
        live = self.live

        def active(p: Pos, name: str) -> bool:
            if self.rules.interactive.get(name) == "plate":
                return p in live.pressed_plates()
            b = live.block(p)
            return b is not None and b[0] == name and is_true(b[1].get("powered"))

        return controls(cells, self.rules.interactive.get, active)

    def facts(self) -> WorldFacts:
        owners: dict[str, int] = {}
        for who in self._owners.values():
            owners[who] = owners.get(who, 0) + 1
        return WorldFacts(self.block, set(self._achieved), owners, self._book.facts(), self.n_agents)

    def score(self) -> Score:
        if self._conn is not None:
            self._conn.live.clear_cache()
        return self.task.goal.score(self.facts())  # type: ignore[attr-defined]

    def intervals(self) -> dict[str, list[tuple[float, float]]]:
        return {a: list(v) for a, v in self._intervals.items()}

    def busy_times(self) -> list[float]:
        return [self._ag[a].busy for a in self.agents]

    def rules_text(self) -> str:
        return rules_text(self.rules, self.task.goal.wants())

    def world_text(self) -> str:
        text = survey_text(self.survey())
        if self.state.creatures and self._no_creatures:
            text += f"\nNote: this server has no creatures ({self._no_creatures})."
        return text

    def reference_plan(self) -> Any:
        if self._reference is None:
            raise RuntimeError("this env does not declare the 'reference' capability: it has no reference plan")
        return self._reference(self.task, self.rules, self.survey())

    def world_model(self) -> Any:
        """A CraftWorld env of the same task and team, laid out with the same seed: what the refiner's
        ``simulate`` estimator can fork and re-rule, since a live world cannot."""
        if self._world_model is None:  # made without one: the refiner then asks the LLM instead
            return None
        env = self._world_model(task=self.task, agents=self.n_agents, think_time=self.think_time)
        env.reset(self._seed)
        return env

    def survey(self) -> Survey:
        st = self.state
        blocks: dict[str, list[Pos]] = {}
        for pos, b in st.blocks.items():
            if b is not None:
                blocks.setdefault(b.name, []).append(pos)
        held = self._conn.live.containers() if self._conn is not None else {}
        containers = tuple(sorted((p, c.name, tuple(sorted(held.get(p, c.items).items())), c.lock)
                                  for p, c in st.containers.items()))
        first = st.agents[self.agents[0]]
        return Survey(containers=containers, blocks={k: tuple(sorted(v)) for k, v in blocks.items()},
                      creatures=tuple(sorted((c.name, c.pos) for c in st.creatures.values())),
                      spawn=(int(first.pos[0]), int(first.pos[1]), int(first.pos[2])), ground_y=st.ground_y,
                      start_items=tuple(sorted(first.inventory.items())), depot_name=self.rules.depot)

    # ---- WorldView: every read goes to the live world ---------------------------------------------
    def position(self, agent: str) -> Vec:
        if self._conn is None:
            return self._ag[agent].pos
        try:
            return self._conn.live.position(agent)
        except MinecraftError:
            return self._ag[agent].pos

    def inventory(self, agent: str) -> Mapping[str, int]:
        if self._conn is None:
            return self._ag[agent].inv
        try:
            return self._conn.live.inventory(agent)
        except (ActionFailed, Disconnected):
            return self._ag[agent].inv

    def block(self, pos: Pos) -> tuple[str, str] | None:
        if self._conn is None:
            b = self.state.block(pos)
            return None if b is None else (b.name, b.facing)
        got = self._conn.live.block(pos)
        return None if got is None else (got[0], facing_of(got[1]))

    def solid(self, pos: Pos) -> bool:
        return self.live.solid(pos)

    def nearest_block(self, name: str, near: Vec, radius: float) -> Pos | None:
        cands = {p for p, n in self._known.items() if n == name}
        if self.rules.interactive.get(name) == "container":
            cands |= set(self.live.containers())
        for p in sorted(cands, key=lambda p: (distance(near, p), p)):
            if distance(near, p) > radius:
                break
            b = self.live.block(p)
            if b is not None and b[0] == name:
                return p
        return None

    def container(self, pos: Pos) -> tuple[Mapping[str, int], str | None] | None:
        b = self.live.block(pos)
        if b is None or self.rules.interactive.get(b[0]) != "container":
            return None
        spec = self.state.containers.get(pos)
        return self.live.containers().get(pos, {}), spec.lock if spec else None

    def nearest_entity(self, name: str, near: Vec) -> tuple[int, Pos] | None:
        """The nearest of the scene's creatures named ``name`` still alive on the server (they do not move)."""
        if not self._creatures or self._conn is None:
            return None
        alive = self.live.creatures()
        found = [(distance(near, c.pos), cid, c.pos) for cid, c in self.state.creatures.items()
                 if c.name == name and self._creatures.get(cid) in alive]
        return min(found)[1:] if found else None

    def agent_names(self) -> Sequence[str]:
        return self.agents

    def path_blocked(self, agent: str, target: Pos) -> Refusal | None:
        """The closed room between ``agent`` and ``target``, read from the live blocks of each way out."""
        r = closed_between(self.state, self.position(agent), target, self._exit_open)
        if r is None:
            return None
        cell = self.state.rooms[r].exit_cells[0]
        b = self.block(cell)
        return Refusal(RefusalKind.WAY_CLOSED, f"the way out of room {r} is closed ({b[0] if b else 'wall'} at {cell})",
                       b[0] if b else None, cell, str(r))

    def _exit_open(self, room: int) -> bool:
        """By the simulator's rule, on the live blocks: an open trapdoor stands up in the way."""
        def fits(pos: Pos) -> bool:
            b = self.live.block(pos)
            return b is None or body_fits(b[0], is_true(b[1].get("open")), self.rules.passable)

        return passable_exit(self.state.rooms[room].exit_cells, fits)

    # ---- bookkeeping after each action ---------------------------------------------------------------
    def _ready(self, agent: str, action: Action) -> Refusal | None:
        """What stops the bot before the rules are asked: creatures the server could not spawn, or a bot out of
        the game."""
        if isinstance(action, A.AttackTarget | A.UseItemOnEntity) and self._no_creatures:
            what = action.target_name if isinstance(action, A.AttackTarget) else action.entity_name
            return Refusal(RefusalKind.UNAVAILABLE, f"there is no {what} here: {self._no_creatures}", what)
        if self._ag[agent].lost:
            return self._gone(agent, self._ag[agent].lost or "")
        if not self._conn or self._conn.bots[agent].connected:
            return None
        return self._rejoin(agent)

    def _occupied(self, action: Action) -> Refusal | None:
        """A block cannot go where a player stands (CraftWorld's agents take no room; real players do)."""
        if not isinstance(action, A.PlaceBlock):
            return None
        pos = (action.x, action.y, action.z)
        for a in self.agents:
            x, y, z = self.frame.live_feet(self.position(a))
            lx, ly, lz = self.frame.live(pos)
            if lx < x + 0.3 and x - 0.3 < lx + 1 and lz < z + 0.3 and z - 0.3 < lz + 1 and ly < y + 1.8 and y < ly + 1:
                return Refusal(RefusalKind.OCCUPIED, f"{a} stands at {pos}", pos=pos)
        return None

    def _gone(self, agent: str, why: str) -> Refusal:
        return Refusal(RefusalKind.GAVE_UP, f"{agent} is out of the game: {why}")

    def _rejoin(self, agent: str) -> Refusal | None:
        """Bring a dropped bot back once, where it stood and with what it carried; None when that worked."""
        conn = self._conn
        assert conn is not None
        bot, ag = conn.bots[agent], self._ag[agent]
        reason = bot.disconnect_reason or "disconnected"
        try:
            bot.rejoin(self.join_timeout_s)
            self.rejoins += 1
            live = conn.live
            live.wait_ready(agent, self.join_timeout_s)
            live.clear_inventory(agent)
            for item, n in sorted(ag.inv.items()):
                live.give(agent, item, n)
            live.teleport(agent, ag.pos)
            live.sync_client(agent)
        except MinecraftError as e:
            if not conn.alive():
                raise ServerGone(f"the server at {conn.where} is gone ({reason})") from None
            ag.lost = f"left the game ({reason}) and could not rejoin: {e}"
            return self._gone(agent, ag.lost)
        finally:
            conn.live.clear_cache()
        return None

    def _after(self, agent: str, now: float) -> None:
        """Rooms that open, items first held, and where the agent stands: read from the world as it is now."""
        if self._conn is None:
            return
        live = self._conn.live
        if self.rules.triggers:
            for t in self._book.update(now, self._holds):
                self._fire(t)
        checkpoints = getattr(self.task.goal, "checkpoints", ())
        order = [agent] + [a for a in self.agents if a != agent]
        for a in order if checkpoints else ():
            inv = self.inventory(a)
            for cp in checkpoints:
                have = inv.get(cp.name, 0)
                if have > 0 and cp.name not in self._owners:
                    self._owners[cp.name] = a
                if have >= cp.count:
                    self._achieved.add(cp.name)
        if self._conn.bots[agent].connected:
            self._ag[agent].pos = self.position(agent)
            self._ag[agent].inv = dict(self.inventory(agent))
        live.clear_cache()

    def _holds(self, cond: Condition) -> bool:
        live = self.live
        b = live.block(cond.pos)
        if cond.state == "present":
            return b is not None and b[0] == cond.block
        if b is None or b[0] != cond.block:
            return False
        if self.rules.interactive.get(b[0]) == "plate":
            return cond.pos in live.pressed_plates()
        if cond.state == "open":
            return is_true(b[1].get("open"))
        return is_true(b[1].get("powered"))

    def _fire(self, t: Trigger) -> None:
        """A room's effects, as CraftWorld applies them, done with server commands."""
        live, rooms = self.live, self.state.rooms
        if t.room < len(rooms):
            for cell in rooms[t.room].exit_cells:
                self._set(cell, "air")
        for e in t.effects:
            if e.kind == "set_block":
                self._set(e.pos, e.block)
            elif e.kind == "open":
                b = live.block(e.pos)
                if b is not None:
                    live.setblock(e.pos, b[0], {**b[1], "open": not is_true(b[1].get("open"))})
            elif e.kind == "give":
                for a in self.agents:
                    live.give(a, e.item, 1)
            elif e.kind in ("teleport_merge", "teleport_split", "teleport"):
                nxt = t.room + 1
                for k, a in enumerate(self.agents):
                    if room_of(self.state, self.position(a)) != t.room:
                        continue
                    if e.target is not None:
                        dest = e.target
                    elif nxt < len(rooms):
                        s = rooms[nxt].start
                        dest = (s[0] + (k if e.kind == "teleport_split" else 0), s[1], s[2])
                    else:
                        c = rooms[t.room].center
                        dest = (c[0], c[1], c[2] + 6)
                    live.teleport(a, (float(dest[0]), float(dest[1]), float(dest[2])))
        live.clear_cache()

    def _set(self, pos: Pos, name: str) -> None:
        """Set one cell; a door taken away goes whole: the server leaves its upper half standing otherwise,
        where the simulator, whose doors are one block, has air."""
        live = self.live
        was = live.block(pos) if name == "air" else None
        live.setblock(pos, name)
        if name == "air":
            self._known.pop(pos, None)
            top = (pos[0], pos[1] + 1, pos[2])
            above = live.block(top) if was is not None and self.rules.interactive.get(was[0]) == "door" else None
            if above is not None and above[0] == was[0] and above[1].get("half") == "upper":
                live.setblock(top, "air")
                self._known.pop(top, None)
        else:
            self._known[pos] = name


def _game_refusal(e: Exception, action: Action) -> Refusal:
    """The game's own reason, typed as closely as its words allow."""
    text = str(e)
    m = text.lower()
    kind = RefusalKind.NOT_POSSIBLE
    if isinstance(e, ActionTimeout) or "timed out" in m:
        kind = RefusalKind.GAVE_UP
    elif "blocks away" in m or "out of reach" in m:
        kind = RefusalKind.OUT_OF_REACH
    elif "within reach" in m:
        kind = RefusalKind.NO_STATION
    elif "not enough" in m or "holds" in m or "in inventory" in m:
        kind = RefusalKind.MISSING_ITEM
    elif "nothing to place" in m:
        kind = RefusalKind.NO_SUPPORT
    elif "already at" in m:
        kind = RefusalKind.OCCUPIED
    elif "path" in m:
        kind = RefusalKind.UNREACHABLE
    pos = tuple(getattr(action, k) for k in ("x", "y", "z")) if hasattr(action, "x") else None
    return Refusal(kind, f"the game refused {action.name}: {text}", pos=pos)  # type: ignore[arg-type]


def _stop_all(procs: list[Any]) -> None:
    """Stop the bot host first (its bots quit), then our server; each by its own process group."""
    while procs:
        p = procs.pop()
        try:
            p.stop()
        except Exception:  # noqa: BLE001 - stopping goes on for the rest
            pass


__all__ = ["LIMITS", "REJECT_COST", "MinecraftEnv"]
