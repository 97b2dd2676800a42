"""The kitchen's scripted cook: turns a subtask into walk / take / cook / put / serve steps.

It reads the recipe from the world's current rules (so it follows an intervention that changed
one) and where things are from the kitchen's layout. It never waits for a part that is not there:
the refused ``take`` ends the subtask with the Judger's typed refusal, which is how a dependency the
plan missed comes to light. Before giving up it puts back everything it carries, so nothing is lost.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

from causalmace.actions import Action
from causalmace.agent import Outcome, Usage
from causalmace.envs.kitchen.actions import Cook, GoTo, Put, Serve, Take
from causalmace.graph import Subtask
from causalmace.judger import Refusal, RefusalKind

Steps = Generator[Action, Any, None]
MAX_PER_ACTION = 64  # the most a take or put moves at once


class Failed(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


class KitchenAgent:
    """Registered as ``kitchen-scripted``; made with ``KitchenAgent(agent_name=...)``."""

    def __init__(self, agent_name: str, **_: Any) -> None:
        self.name = agent_name
        self.usage = Usage()
        self._steps: Steps | None = None
        self._last: Any = None
        self._outcome = Outcome(True)

    # ---- protocol -----------------------------------------------------------------------------
    def start(self, subtask: Subtask, world: Any) -> None:
        self._outcome = Outcome(True)
        self._last = None
        self._steps = self._run(subtask, world)

    def act(self, world: Any) -> Action | None:
        if self._steps is None:
            return None
        try:
            return next(self._steps) if self._last is None else self._steps.send(self._last)
        except StopIteration:
            self._steps = None
            return None

    def feedback(self, result: Any) -> None:
        self._last = result

    def outcome(self) -> Outcome:
        return self._outcome

    # ---- steps ----------------------------------------------------------------------------------
    def _do(self, action: Action) -> Generator[Action, Any, None]:
        result = yield action
        if not result.status:
            raise Failed(result.refusal or Refusal(RefusalKind.NOT_POSSIBLE, result.message))

    def _go(self, world: Any, place: str) -> Steps:
        if world.observe(self.name)["position"] != place:
            yield from self._do(GoTo(place=place))

    def _move(self, spec: type[Take] | type[Put], item: str, count: int) -> Steps:
        while count > 0:
            n = min(count, MAX_PER_ACTION)
            yield from self._do(spec(item=item, count=n))
            count -= n

    def _run(self, st: Subtask, world: Any) -> Steps:
        try:
            if st.kind != "return":  # "return": only put back what a lost Worker left in our hands
                yield from self._make(st, world)
        except Failed as f:
            self._outcome = Outcome(False, f.refusal.message, [f.refusal])
        try:
            yield from self._put_back(world)
        except Failed:
            pass

    def _make(self, st: Subtask, world: Any) -> Steps:
        kitchen, item = world.kitchen, st.target
        units = max(1, st.count)
        recipe = world.rules.recipe_for(item)
        if recipe is None:
            if not kitchen.raw(item):
                raise Failed(Refusal(RefusalKind.NOT_POSSIBLE, f"no recipe makes {item}", item=item))
            yield from self._fetch(world, item, units)
            return
        batches = math.ceil(units / recipe.count)
        need = {i: n * batches for i, n in recipe.inputs}
        for source in (kitchen.pass_, kitchen.pantry):  # parts the team made first: they may be missing
            carried = world.observe(self.name)["inventory"]
            todo = [(i, n - carried.get(i, 0)) for i, n in need.items()
                    if kitchen.source(i) == source and n > carried.get(i, 0)]
            if todo:
                yield from self._go(world, source)
                for i, n in todo:
                    yield from self._move(Take, i, n)
        if recipe.station is not None:
            yield from self._go(world, kitchen.stations.get(recipe.station, recipe.station))
        for _ in range(batches):
            yield from self._do(Cook(item=item))
        if st.kind == "serve":
            yield from self._go(world, kitchen.table)
            for _ in range(units):
                yield from self._do(Serve(item=item))
        else:
            yield from self._go(world, kitchen.pass_)
            yield from self._move(Put, item, batches * recipe.count)

    def _fetch(self, world: Any, item: str, units: int) -> Steps:
        """A raw ingredient as a subtask of its own: from the pantry to the pass."""
        kitchen = world.kitchen
        yield from self._go(world, kitchen.pantry)
        yield from self._move(Take, item, units)
        yield from self._go(world, kitchen.pass_)
        yield from self._move(Put, item, units)

    def _put_back(self, world: Any) -> Steps:
        """Everything carried back where it belongs: ingredients to the pantry, the rest to the pass."""
        kitchen = world.kitchen
        carried = world.observe(self.name)["inventory"]
        here = world.observe(self.name)["position"]
        places = sorted({kitchen.source(i) for i in carried}, key=lambda p: (p != here, p))
        for place in places:
            yield from self._go(world, place)
            for item, n in sorted(carried.items()):
                if kitchen.source(item) == place:
                    yield from self._move(Put, item, n)


__all__ = ["KitchenAgent"]
