"""The scripted skill agent: turns a subtask into go / collect / craft / smelt / place / toggle steps.

It reads the world only through the block-world Judger's
:class:`~causalmace.envs.blocks.judger.WorldView` (where things are, where it can walk) and the
observation dict, so it runs on any block world that offers them, simulated or live. It knows what a
player knows: what a chest holds once it stands at it (the observation lists the containers within
reach), and of an escape room what shows (its way out, the steps it took, its controls), never which of
the room's conditions still wait. A refused action ends the subtask with the Judger's typed refusal
(after putting back what it took), which is how a missing dependency surfaces.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

from causalmace.agent import Outcome, Usage
from causalmace.envs.blocks import actions as A
from causalmace.envs.blocks.judger import REACH, distance
from causalmace.envs.blocks.sight import seen_contents
from causalmace.graph import Subtask
from causalmace.judger import Refusal, RefusalKind
from causalmace.rules import Pos

Steps = Generator[A.Action, Any, None]
OFFSETS = sorted(  # standing cells around a target, nearest first; below it too, since one reaches up
    ((dx, dy, dz) for dx in range(-3, 4) for dz in range(-3, 4) for dy in range(-4, 4) if (dx, dy, dz) != (0, 0, 0)),
    key=lambda o: (abs(o[0]) + abs(o[2]) + abs(o[1]) * 0.5, o),
)
# an offset's length: distance(pos + o, pos) for a cell pos of whole numbers, as the judger works it out
_REACH_OF = {o: distance(o, (0, 0, 0)) for o in OFFSETS}
_ORDERS: dict[tuple[Any, ...], tuple[Pos, ...]] = {}  # clipped box relative to the target -> offsets in order
MAX_WAITS = 120
STEP_ASIDE_WAITS = 20  # seconds a builder waits for a teammate to step off the cell its block goes in
WATCH_S = 3  # seconds an agent watches a room after acting on one of its controls


class Failed(Exception):
    def __init__(self, refusal: Refusal, more: tuple[Refusal, ...] = ()) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal
        self.more = more  # further facts seen at the same time


def _fail(kind: RefusalKind, message: str, **fact: Any) -> Failed:
    return Failed(Refusal(kind, message, **fact))


class ScriptedSkillAgent:
    # the subtask kinds it has a skill for (``_<kind>``); the planner offers these as the plan's vocabulary.
    # ``return`` is left out: it is the runner's recovery step, never planned.
    kinds: tuple[str, ...] = ("fetch", "harvest", "hunt", "use", "smelt", "craft", "build", "scaffold", "clear",
                              "toggle", "stand", "place")

    def __init__(self, agent_name: str, **_: Any) -> None:
        self.name = agent_name
        self.usage = Usage()
        self._gen: Steps | None = None
        self._last: Any = None
        self._outcome = Outcome(True)

    # ---- protocol --------------------------------------------------------------------------
    def start(self, subtask: Subtask, world: Any) -> None:
        self._outcome = Outcome(True)
        self._last = None
        self._gen = self._run(subtask, world)

    def act(self, world: Any) -> A.Action | None:
        if self._gen is None:
            return None
        try:
            if self._last is None:
                return next(self._gen)
            return self._gen.send(self._last)
        except StopIteration:
            self._gen = None
            return None

    def feedback(self, result: Any) -> None:
        self._last = result

    def outcome(self) -> Outcome:
        return self._outcome

    # ---- skills ----------------------------------------------------------------------------
    def _do(self, action: A.Action) -> Generator[A.Action, Any, str]:
        result = yield action
        if not result.status:
            raise Failed(result.refusal or Refusal(RefusalKind.NOT_POSSIBLE, result.message))
        return str(result.message)

    def _near(self, world: Any, pos: Pos, reach: float = REACH - 0.6,
              around: Any = None) -> Generator[A.Action, Any, None]:
        """Walk to a cell within reach of ``pos`` that one can stand on and get to, unless already there.

        The cell is never ``pos`` itself nor under it: the agent would stand where its block goes. With
        ``around`` (a structure's x/z box), cells outside it come first, so a builder does not wall itself in.
        """
        here = world.position(self.name)
        if distance(here, pos) <= reach and not _in_the_way(_cell(here), pos):
            return
        offsets = OFFSETS if not around else _outside_first(around, pos)
        closed: Refusal | None = None
        whole = type(pos[0]) is int and type(pos[1]) is int and type(pos[2]) is int
        for r in (reach, REACH):  # the safe margin first, then the Judger's full reach
            for o in offsets:
                c = (pos[0] + o[0], pos[1] + o[1], pos[2] + o[2])
                if (_REACH_OF[o] if whole else distance(c, pos)) > r or _in_the_way(c, pos) or not _can_stand(
                        world, c):
                    continue
                why = world.path_blocked(self.name, c)
                if why is None:
                    yield from self._do(A.NavigateTo(x=c[0], y=c[1], z=c[2]))
                    return
                if closed is None and why.kind is RefusalKind.WAY_CLOSED:
                    closed = why
        if closed is not None:  # a closed area stands between: what must open first
            raise Failed(closed)
        raise _fail(RefusalKind.UNREACHABLE, f"no cell to stand on within reach of {pos} that can be walked to",
                    pos=pos)

    def _put(self, world: Any, action: A.PlaceBlock) -> Generator[A.Action, Any, None]:
        """Place a block; while a teammate stands where it goes (no block there), wait for them to move on."""
        pos = (action.x, action.y, action.z)
        for _ in range(STEP_ASIDE_WAITS):
            result = yield action
            if result.status:
                return
            r = result.refusal
            if r is None or r.kind is not RefusalKind.OCCUPIED or world.solid(pos) or _in_the_way(
                    _cell(world.position(self.name)), pos):
                raise Failed(r or Refusal(RefusalKind.NOT_POSSIBLE, result.message))
            yield from self._do(A.Wait(seconds=1.0))
        raise Failed(r or Refusal(RefusalKind.OCCUPIED, f"{pos} stayed taken", pos=pos))

    def _withdraw(self, world: Any, depot: Pos, item: str, n: int) -> Generator[A.Action, Any, None]:
        yield from self._near(world, depot)
        yield from self._do(A.WithdrawItem(item_name=item, from_name=world.rules.depot, item_count=n))
        self._taken[item] = self._taken.get(item, 0) + n

    def _store_all(self, world: Any, depot: Pos | None, items: list[str]) -> Generator[A.Action, Any, None]:
        if depot is None:
            return
        inv = world.inventory(self.name)
        todo = [(i, inv.get(i, 0)) for i in items if inv.get(i, 0) > 0]
        if not todo:
            return
        yield from self._near(world, depot)
        for item, n in todo:
            yield from self._do(A.StoreItem(item_name=item, to_name=world.rules.depot, item_count=n))
            self._taken.pop(item, None)

    def _run(self, st: Subtask, world: Any) -> Steps:
        self._taken: dict[str, int] = {}
        skill = getattr(self, "_" + st.kind, None) if st.kind.isidentifier() else None
        try:
            depot = tuple(st.params["depot"]) if st.params.get("depot") is not None else None
        except (TypeError, ValueError):
            depot = None
        try:
            if skill is None:
                raise _fail(RefusalKind.NOT_POSSIBLE, f"no skill for subtasks of kind {st.kind!r}")
            try:
                yield from skill(st, world, depot)
            except (KeyError, TypeError, ValueError, IndexError) as e:  # a plan's subtask that lacks its details
                raise _fail(RefusalKind.NOT_POSSIBLE, f"subtask {st.id} lacks what {st.kind} needs: {e!r}") from e
        except Failed as f:
            self._outcome = Outcome(False, f.refusal.message, [f.refusal, *f.more])
            try:  # put back what was taken so that nothing is lost with the failure
                yield from self._store_all(world, depot, sorted(self._taken))
            except Failed:
                pass

    def _return(self, st: Subtask, world: Any, depot: Pos | None) -> Steps:
        """Put back in the depot the ``items`` listed (what a failed subtask left in hand), or everything
        carried (what a lost Worker left)."""
        depot = world.survey().depot()
        if depot is None:
            return
        items = st.params.get("items")
        if items is None:
            yield from self._store_all(world, depot, sorted(world.inventory(self.name)))
            return
        inv = world.inventory(self.name)
        todo = [(i, min(int(n), inv.get(i, 0))) for i, n in items if inv.get(i, 0) > 0]
        if todo:
            yield from self._near(world, depot)
        for item, n in todo:
            yield from self._do(A.StoreItem(item_name=item, to_name=world.rules.depot, item_count=n))

    def _stock(self, world: Any, depot: Pos) -> Generator[A.Action, Any, dict[str, int]]:
        """What the depot holds: known by going there and opening it, as a player does."""
        yield from self._near(world, depot)
        return seen_contents(world.observe(self.name), depot) or {}

    def _fetch(self, st: Subtask, world: Any, depot: Pos) -> Steps:
        yield from self._near(world, tuple(st.params["source"]))
        yield from self._do(A.WithdrawItem(item_name=st.target, from_name=world.rules.depot, item_count=st.count))
        self._taken[st.target] = st.count
        yield from self._store_all(world, depot, [st.target])

    def _harvest(self, st: Subtask, world: Any, depot: Pos) -> Steps:
        tool = st.params.get("tool")
        rule = world.rules.digging.get(st.params.get("block", ""))
        if rule is not None and rule.tools is None:
            tool = None  # the block no longer needs one
        if tool:
            yield from self._withdraw(world, depot, tool, 1)
        for p in st.params["positions"]:
            pos = tuple(p)
            if world.block(pos) is None:  # dug already, by an earlier try of this subtask
                continue
            yield from self._near(world, pos)
            yield from self._do(A.MineBlock(x=pos[0], y=pos[1], z=pos[2]))
        self._taken[st.target] = 1
        yield from self._store_all(world, depot, [st.target] + ([tool] if tool else []))
        have = (yield from self._stock(world, depot)).get(st.target, 0)
        if have < st.count:
            raise _fail(RefusalKind.MISSING_ITEM, f"{world.rules.depot} at {depot} has {have} {st.target}, "
                        f"not {st.count}", item=st.target, pos=depot, need=st.count, have=have)

    def _hunt(self, st: Subtask, world: Any, depot: Pos) -> Steps:
        for _ in range(st.params["kills"]):
            yield from self._do(A.AttackTarget(target_name=st.params["entity"]))
        self._taken[st.target] = 1
        yield from self._store_all(world, depot, [st.target])

    def _use(self, st: Subtask, world: Any, depot: Pos) -> Steps:
        yield from self._withdraw(world, depot, st.params["tool"], st.count)
        for _ in range(st.count):
            yield from self._do(A.UseItemOnEntity(item_name=st.params["tool"], entity_name=st.params["entity"]))
        self._taken.pop(st.params["tool"], None)
        self._taken[st.target] = 1
        yield from self._store_all(world, depot, [st.target])

    def _smelt(self, st: Subtask, world: Any, depot: Pos) -> Steps:
        yield from self._withdraw(world, depot, st.params["input"], st.count)
        yield from self._withdraw(world, depot, st.params["fuel"], st.params["fuel_count"])
        yield from self._near(world, tuple(st.params["station"]))
        yield from self._do(A.SmeltingCooking(item_name=st.params["input"], item_count=st.count,
                                              fuel_item_name=st.params["fuel"]))
        self._taken = {st.target: st.count}
        yield from self._store_all(world, depot, [st.target])

    def _craft(self, st: Subtask, world: Any, depot: Pos) -> Steps:
        have = dict(world.inventory(self.name))
        held = (yield from self._stock(world, depot)) if depot is not None else {}
        for item, n in held.items():
            have[item] = have.get(item, 0) + n
        recipe = _choose_recipe(world.rules, st.target, have, {n for n, _ in st.params.get("inputs", [])})
        ops = st.params.get("ops", 1)
        inputs = [(n, c * ops) for n, c in recipe.inputs] if recipe is not None else st.params["inputs"]
        for item, n in inputs:
            yield from self._withdraw(world, depot, item, n)
        if st.params.get("station"):
            yield from self._near(world, tuple(st.params["station"]))
        yield from self._do(A.CraftBlock(item_name=st.target, count=st.params["ops"]))
        self._taken = {st.target: 1}
        if st.params.get("keep"):
            self._taken = {}
            return
        yield from self._store_all(world, depot, [st.target])

    def _build(self, st: Subtask, world: Any, depot: Pos) -> Steps:
        need: dict[str, int] = {}
        for p, name, _ in st.params["blocks"]:
            if not _placed(world, tuple(p), name):  # placed by an earlier try: nothing to take for it
                need[name] = need.get(name, 0) + 1
        for name, n in sorted(need.items()):
            have = world.inventory(self.name).get(name, 0)
            if have < n:
                yield from self._withdraw(world, depot, name, n - have)
        for p, name, facing in st.params["blocks"]:
            pos = tuple(p)
            if _placed(world, pos, name):
                continue
            yield from self._near(world, pos, around=st.params.get("footprint"))
            yield from self._put(world, A.PlaceBlock(item_name=name, x=pos[0], y=pos[1], z=pos[2], facing=facing))
            self._taken[name] = self._taken.get(name, 0) - 1
        self._taken = {k: v for k, v in self._taken.items() if v > 0}
        yield from self._store_all(world, depot, sorted(self._taken))
        yield from self._step_off(world, st.params.get("footprint"), depot)

    _scaffold = _build

    def _step_off(self, world: Any, around: Any, depot: Pos | None) -> Generator[A.Action, Any, None]:
        """Done on a structure: go back to the depot rather than stand where a teammate's block may go."""
        if around and depot is not None and _inside(around, _cell(world.position(self.name)), (0, 0, 0)):
            yield from self._near(world, depot)

    def _clear(self, st: Subtask, world: Any, depot: Pos) -> Steps:
        if world.rules.needs_support:  # blocks still to come rest on the scaffold
            for p, name in st.params.get("wait_for", []):
                if (world.block(tuple(p)) or ("",))[0] != name:
                    raise _fail(RefusalKind.NOT_PLACED, f"{name} at {tuple(p)} is not placed yet; its scaffold "
                                "is still needed", item=name, pos=tuple(p))
        for p in st.params["blocks"]:
            pos = tuple(p)
            if world.block(pos) is None:
                continue
            yield from self._near(world, pos, around=st.params.get("footprint"))
            yield from self._do(A.MineBlock(x=pos[0], y=pos[1], z=pos[2]))
        self._taken = {world.rules.scaffold: 1}
        yield from self._store_all(world, depot, [world.rules.scaffold])
        yield from self._step_off(world, st.params.get("footprint"), depot)

    def _room(self, world: Any, room: int) -> tuple[bool, int]:
        """What shows of ``room``: whether its way out is open, and how many of its steps it took."""
        obs = world.observe(self.name)
        solved = obs.get("rooms_solved") or []
        steps = obs.get("rooms_progress") or []
        return bool(room < len(solved) and solved[room]), int(steps[room]) if room < len(steps) else 0

    def _room_solved(self, world: Any, room: int) -> bool:
        return self._room(world, room)[0]

    def _control_on(self, world: Any, pos: Pos) -> bool:
        return any(tuple(c["pos"]) == pos and c["active"] for c in world.observe(self.name).get("controls") or ())

    def _watch(self, world: Any, st: Subtask, before: int, again: A.Action | None = None) -> Steps:
        """After acting on a control: done once the room shows a step taken or opens. If it shows nothing,
        the controls the agent sees idle are what the room waits for first: each is a fact for repair."""
        room, pos = st.params["room"], tuple(st.params["pos"])
        for _ in range(WATCH_S):
            if self._responded(world, room, before):
                return
            if again is not None:  # a button's press is short: press it again while watching
                yield from self._do(again)
            yield from self._do(A.Wait(seconds=1.0))
        if self._responded(world, room, before):
            return
        idle = [c for c in world.observe(self.name).get("controls") or ()
                if not c["active"] and tuple(c["pos"]) != pos]
        if not idle:
            raise _fail(RefusalKind.GAVE_UP, f"room {room} showed nothing after the {st.target} at {pos}",
                        group=str(room))
        facts = [Refusal(RefusalKind.OUT_OF_ORDER, f"room {room} showed nothing after the {st.target} at {pos}; "
                         f"the {c['block']} at {tuple(c['pos'])} is idle", c["block"], tuple(c["pos"]), str(room))
                 for c in idle]
        raise Failed(facts[0], tuple(facts[1:]))

    def _responded(self, world: Any, room: int, before: int) -> bool:
        solved, steps = self._room(world, room)
        return solved or steps > before

    def _toggle(self, st: Subtask, world: Any, depot: Pos | None) -> Steps:
        pos = tuple(st.params["pos"])
        room = st.params["room"]
        press = A.ToggleAction(item_name=st.target, x=pos[0], y=pos[1], z=pos[2])
        yield from self._near(world, pos)
        if world.rules.interactive.get(st.target) == "lever":  # it stays as set: it counts when the room comes to it
            if not self._control_on(world, pos):  # a try before may have set it already
                yield from self._do(press)
            return
        if st.params.get("team"):
            yield from self._wait_for_team(world, room, int(st.params["team"]))
        before = self._room(world, room)[1]
        yield from self._do(press)
        if st.params.get("hold"):
            for _ in range(MAX_WAITS):  # a button counts only while the others hold: press until it opens
                if self._room_solved(world, room):
                    return
                yield from self._do(A.Wait(seconds=1.0))
                yield from self._do(press)
            raise _fail(RefusalKind.GAVE_UP, f"room {room} did not open", group=str(room))
        yield from self._watch(world, st, before, again=press)

    def _wait_for_team(self, world: Any, room: int, team: int) -> Steps:
        """A control that sends the room's players on: use it only once ``team`` players (it too) are in."""
        for _ in range(MAX_WAITS):
            rooms = (world.observe(self.name).get("teammates") or {}).values()
            if 1 + sum(1 for r in rooms if r == room) >= team:
                return
            yield from self._do(A.Wait(seconds=1.0))
        raise _fail(RefusalKind.GAVE_UP, f"fewer than {team} players came to room {room}", group=str(room))

    def _stand(self, st: Subtask, world: Any, depot: Pos | None) -> Steps:
        pos = tuple(st.params["pos"])
        room = st.params["room"]
        before = self._room(world, room)[1]
        yield from self._do(A.NavigateTo(x=pos[0], y=pos[1], z=pos[2]))
        if st.params.get("together"):  # teammates take the room's other plates while it stays here
            return
        if not st.params.get("hold", True):
            yield from self._watch(world, st, before)
            return
        for _ in range(MAX_WAITS):
            if self._room_solved(world, room):
                return
            yield from self._do(A.Wait(seconds=1.0))
        raise _fail(RefusalKind.GAVE_UP, f"room {room} did not open", group=str(room))

    def _place(self, st: Subtask, world: Any, depot: Pos | None) -> Steps:
        pos = tuple(st.params["pos"])
        if world.inventory(self.name).get(st.target, 0) < 1 and st.params.get("fetch_from"):
            src = tuple(st.params["fetch_from"])
            yield from self._near(world, src)
            yield from self._do(A.WithdrawItem(item_name=st.target, from_name=world.rules.depot, item_count=1))
        yield from self._near(world, pos)
        current = world.block(pos)
        if current is not None and current[0] != st.target:
            yield from self._do(A.MineBlock(x=pos[0], y=pos[1], z=pos[2]))
        yield from self._put(world, A.PlaceBlock(item_name=st.target, x=pos[0], y=pos[1], z=pos[2]))


def _placed(world: Any, pos: Pos, name: str) -> bool:
    return (world.block(pos) or ("",))[0] == name


def _cell(p: tuple[float, float, float]) -> Pos:
    return (math.floor(p[0] + 0.5), math.floor(p[1] + 0.5), math.floor(p[2] + 0.5))


def _inside(box: Any, pos: Pos, o: Pos) -> bool:
    x, z = pos[0] + o[0], pos[2] + o[2]
    return bool(box[0] <= x <= box[2] and box[1] <= z <= box[3])


def _outside_first(box: Any, pos: Pos) -> tuple[Pos, ...] | list[Pos]:
    """:data:`OFFSETS` with the cells outside ``box`` first, each part in its order (a stable sort by
    :func:`_inside`), partitioned once per box as seen from ``pos``: this runs for every block placed.

    Offsets lie within 3 of the target, so the box's sides seen from ``pos`` are clipped to [-4, 4]:
    the same boxes seen from different targets share one order.
    """
    x0, z0, x1, z1 = box[0], box[1], box[2], box[3]
    if not all(type(v) is int for v in (x0, z0, x1, z1, pos[0], pos[2])):
        return sorted(OFFSETS, key=lambda o: _inside(box, pos, o))
    key = (min(4, max(-4, x0 - pos[0])), min(4, max(-4, z0 - pos[2])), min(4, max(-4, x1 - pos[0])),
           min(4, max(-4, z1 - pos[2])))
    got = _ORDERS.get(key)
    if got is None:
        got = _ORDERS[key] = tuple([o for o in OFFSETS if not _inside(key, (0, 0, 0), o)] +
                                   [o for o in OFFSETS if _inside(key, (0, 0, 0), o)])
    return got


def _in_the_way(stand: Pos, pos: Pos) -> bool:
    """Standing at ``stand`` puts feet or head in ``pos``."""
    return stand == pos or (stand[0], stand[1] + 1, stand[2]) == pos


def _can_stand(world: Any, c: Pos) -> bool:
    """Room for a body at ``c`` and a block under it; whether it can be walked to is asked next."""
    return not world.solid(c) and not world.solid((c[0], c[1] + 1, c[2])) and world.solid((c[0], c[1] - 1, c[2]))


def _choose_recipe(rules: Any, item: str, have: dict[str, int], planned: set[str]) -> Any:
    """The rules as they stand, not as planned: a recipe the stock covers, else the planned one."""
    options = rules.recipes.get(item, ())
    for r in options:
        if all(have.get(n, 0) >= c for n, c in r.inputs):
            return r
    for r in options:
        if {n for n, _ in r.inputs} <= planned:
            return r
    return options[0] if options else None


__all__ = ["ScriptedSkillAgent"]
