"""Escape-room triggers over a live world: which conditions count, in which order, and when a room opens.

The bookkeeping is CraftWorld's (conditions register in their sub-event order, the last ones must all hold
within the trigger's wait interval); only where the facts come from differs: here every condition is read
from the live server after each action.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from causalmace.envs.craftworld.world import TriggerState
from causalmace.rules import Condition, Pos, Trigger

Holds = Callable[[Condition], bool]


class TriggerBook:
    """The state of every trigger of a task; :meth:`update` says which fired just now."""

    def __init__(self, triggers: Sequence[Trigger]) -> None:
        self.triggers = tuple(triggers)
        self.state = {t.id: TriggerState({}, {}) for t in self.triggers}

    def update(self, now: float, holds: Holds) -> list[Trigger]:
        fired: list[Trigger] = []
        for t in self.triggers:
            ts = self.state[t.id]
            if ts.fired:
                continue
            if not t.conditions:
                self._fire(ts, now)
                fired.append(t)
                continue
            keys = [(c.block, c.pos) for c in t.conditions]
            lowest = min((c.order for c, k in zip(t.conditions, keys, strict=True) if not ts.registered.get(k)),
                         default=None)
            live = 0
            for c, k in zip(t.conditions, keys, strict=True):
                if holds(c):
                    live += 1
                    ts.last_true[k] = now
                    if lowest is not None and c.order <= lowest:
                        ts.registered[k] = True
            ts.best_fraction = max(ts.best_fraction, live / len(t.conditions))
            if t.mode == "or":
                ok = any(ts.registered.get(k) for k in keys)
            else:
                top = max(c.order for c in t.conditions)
                final = [k for c, k in zip(t.conditions, keys, strict=True) if c.order == top]
                ok = all(ts.registered.get(k) for k in keys) and all(
                    now - ts.last_true.get(k, -1e9) <= t.wait_interval for k in final)
            if ok:
                self._fire(ts, now)
                fired.append(t)
        return fired

    @staticmethod
    def _fire(ts: TriggerState, now: float) -> None:
        ts.fired, ts.fired_at, ts.best_fraction = True, now, 1.0

    def solved(self) -> list[bool]:
        return [self.state[t.id].fired for t in self.triggers]

    def waiting(self) -> list[Pos]:
        """Condition positions of unsolved rooms that have not counted yet."""
        return sorted({c.pos for t in self.triggers for c in t.conditions
                       if not self.state[t.id].fired and not self.state[t.id].registered.get((c.block, c.pos))})

    def facts(self) -> dict[str, tuple[bool, float]]:
        return {t.id: (self.state[t.id].fired, self.state[t.id].best_fraction) for t in self.triggers}
