"""The scripted skill agent: turns a subtask into go / collect / craft / smelt / place / toggle steps.

It reads the world only through the block-world Judger's
:class:`~causalmace.envs.blocks.judger.WorldView` and the observation dict, so it runs on any block
world that offers them, simulated or live. A refused action ends the subtask with the Judger's typed
refusal (after putting back what it took), which is how a missing dependency surfaces.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

from causalmace.agent import Outcome, Usage
from causalmace.envs.blocks import actions as A
from causalmace.envs.blocks.judger import REACH, distance
from causalmace.graph import Subtask
from causalmace.judger import Refusal, RefusalKind
from causalmace.rules import Pos

Steps = Generator[A.Action, Any, None]
OFFSETS = sorted(  # standing cells around a target, nearest first; below it too, since one reaches up
    ((dx, dy, dz) for dx in range(-3, 4) for dz in range(-3, 4) for dy in range(-4, 4) if (dx, dy, dz) != (0, 0, 0)),
    key=lambda o: (abs(o[0]) + abs(o[2]) + abs(o[1]) * 0.5, o),
)
MAX_WAITS = 120
STEP_ASIDE_WAITS = 20  # seconds a builder waits for a teammate to step off the cell its block goes in


class Failed(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


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
        offsets = OFFSETS if not around else sorted(OFFSETS, key=lambda o: _inside(around, pos, o))
        for r in (reach, REACH):  # the safe margin first, then the Judger's full reach
            for o in offsets:
                c = (pos[0] + o[0], pos[1] + o[1], pos[2] + o[2])
                if distance(c, pos) > r or _in_the_way(c, pos) or not _can_stand(world, c):
                    continue
                if world.path_blocked(self.name, c) is None:
                    yield from self._do(A.NavigateTo(x=c[0], y=c[1], z=c[2]))
                    return
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
            self._outcome = Outcome(False, f.refusal.message, [f.refusal])
            try:  # put back what was taken so that nothing is lost with the failure
                yield from self._store_all(world, depot, sorted(self._taken))
            except Failed:
                pass

    def _return(self, st: Subtask, world: Any, depot: Pos | None) -> Steps:
        """Put everything carried back in the depot: what a lost Worker left in its hands."""
        depot = world.survey().depot()
        yield from self._store_all(world, depot, sorted(world.inventory(self.name)))

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
        stock = world.container(depot)
        have = stock[0].get(st.target, 0) if stock else 0
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
        held = world.container(depot) if depot is not None else None
        for item, n in (held[0].items() if held else ()):
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
        for _, name, _ in st.params["blocks"]:
            need[name] = need.get(name, 0) + 1
        for name, n in sorted(need.items()):
            have = world.inventory(self.name).get(name, 0)
            if have < n:
                yield from self._withdraw(world, depot, name, n - have)
        for p, name, facing in st.params["blocks"]:
            pos = tuple(p)
            if world.block(pos) == (name, facing) or (world.block(pos) or ("",))[0] == name:
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

    def _room_solved(self, world: Any, room: int) -> bool:
        solved = world.observe(self.name).get("rooms_solved") or []
        return room < len(solved) and solved[room]

    def _counted(self, world: Any, st: Subtask) -> bool:
        """Whether the room took this condition (or no longer waits for it)."""
        pos = tuple(st.params["pos"])
        return self._room_solved(world, st.params["room"]) or pos not in world.observe(self.name).get(
            "conditions_waiting", ())

    def _not_counted(self, st: Subtask) -> Failed:
        return _fail(RefusalKind.OUT_OF_ORDER, f"the {st.target} at {tuple(st.params['pos'])} did not count: "
                     f"room {st.params['room']} waits for something else first", item=st.target,
                     pos=tuple(st.params["pos"]), group=str(st.params["room"]))

    def _toggle(self, st: Subtask, world: Any, depot: Pos | None) -> Steps:
        pos = tuple(st.params["pos"])
        room = st.params["room"]
        yield from self._near(world, pos)
        yield from self._do(A.ToggleAction(item_name=st.target, x=pos[0], y=pos[1], z=pos[2]))
        if st.params.get("repeat") and st.params.get("hold"):
            for _ in range(MAX_WAITS):  # a button counts only while the others hold: press until it opens
                if self._room_solved(world, room):
                    return
                yield from self._do(A.Wait(seconds=1.0))
                yield from self._do(A.ToggleAction(item_name=st.target, x=pos[0], y=pos[1], z=pos[2]))
            raise _fail(RefusalKind.GAVE_UP, f"room {room} did not open", group=str(room))
        if not self._counted(world, st):
            raise self._not_counted(st)

    def _stand(self, st: Subtask, world: Any, depot: Pos | None) -> Steps:
        pos = tuple(st.params["pos"])
        room = st.params["room"]
        yield from self._do(A.NavigateTo(x=pos[0], y=pos[1], z=pos[2]))
        if not st.params.get("hold", True):
            if not self._counted(world, st):
                raise self._not_counted(st)
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


def _cell(p: tuple[float, float, float]) -> Pos:
    return (math.floor(p[0] + 0.5), math.floor(p[1] + 0.5), math.floor(p[2] + 0.5))


def _inside(box: Any, pos: Pos, o: Pos) -> bool:
    x, z = pos[0] + o[0], pos[2] + o[2]
    return bool(box[0] <= x <= box[2] and box[1] <= z <= box[3])


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
