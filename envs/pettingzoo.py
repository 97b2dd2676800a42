"""A PettingZoo ``ParallelEnv`` over any env that follows :class:`causalmace.envs.protocol.Env`.

Our actions are structured (a name plus arguments), which RL libraries cannot sample. The adapter
therefore fixes, when it is built, a sorted *catalogue* of concrete actions read off the task and
its initial world, and exposes ``Discrete(len(catalogue))``. Observations are a flat float vector:
position, clock, inventory counts over a fixed item vocabulary, and task completion.

The simulator's per-agent clock is authoritative, so each step applies the live agents' actions in
(clock, name) order; every agent shares the reward, the increase in task completion.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

try:
    from gymnasium import spaces
    from pettingzoo import ParallelEnv
except ImportError as e:  # pragma: no cover - depends on the install
    raise ImportError("the PettingZoo adapter needs 'pettingzoo' (pip install 'causalmace[test]')") from e

from causalmace.envs.blocks import actions as A
from causalmace.envs.villagerbench.goals import BuildGoal, CraftGoal
from causalmace.rules import Pos

if TYPE_CHECKING:
    from causalmace.envs.protocol import Env

MAX_PER_KIND = 64  # catalogue entries per kind of action, so the action space stays small
MAX_ITEMS = 32  # length of the inventory part of an observation
STATIONS = ("crafting_table", "furnace")
TOGGLES = ("lever", "button", "door", "trapdoor", "gate")
CROPS = frozenset({"wheat", "carrots", "potatoes", "beetroots", "sugar_cane", "brown_mushroom",
                   "red_mushroom", "pumpkin", "melon", "cocoa", "sweet_berry_bush"})
SIDES: tuple[Pos, ...] = ((1, 0, 0), (-1, 0, 0), (0, 0, 1), (0, 0, -1), (0, 1, 0))
FACINGS = frozenset({"W", "E", "S", "N", "x", "y", "z", "A"})


def _setup(env: Env) -> Any:
    """The task's initial world as data; escape worlds wrap it together with their triggers."""
    world = env.task.world
    return getattr(world, "setup", world)


def _harvestable(name: str) -> bool:
    return name in CROPS or name.endswith(("_log", "_ore"))


def _round_robin(groups: dict[str, list[Pos]], limit: int) -> list[tuple[str, Pos]]:
    """Take positions name by name in turn, so truncation keeps every kind of block represented."""
    queues = [(name, sorted(ps)) for name, ps in sorted(groups.items())]
    out: list[tuple[str, Pos]] = []
    i = 0
    while len(out) < limit and any(i < len(ps) for _, ps in queues):
        for name, ps in queues:
            if i < len(ps) and len(out) < limit:
                out.append((name, ps[i]))
        i += 1
    return out


def _stand_cell(env: Env, pos: Pos) -> Pos:
    """A free cell beside ``pos``: walking *into* a block is refused, standing next to it is enough."""
    if env.block_at(pos) is None:
        return pos
    for d in SIDES:
        cell = (pos[0] + d[0], pos[1] + d[1], pos[2] + d[2])
        if env.block_at(cell) is None:
            return cell
    return (pos[0], pos[1] + 1, pos[2])


def build_catalogue(env: Env) -> tuple[A.Action, ...]:
    """Every concrete action the adapter offers, deterministic for a given task and rules."""
    setup = _setup(env)
    goal = env.task.goal
    interactive = env.rules.interactive
    blocks: list[tuple[str, Pos]] = [(b.name, tuple(b.pos)) for b in getattr(setup, "blocks", ())]
    containers: list[tuple[str, Pos, tuple[tuple[str, int], ...]]] = [
        (c.name, tuple(c.pos), tuple(c.items)) for c in getattr(setup, "containers", ())]
    creatures: list[tuple[str, Pos]] = [(n, tuple(p)) for n, p in getattr(setup, "creatures", ())]
    build_target: list[tuple[Pos, tuple[str, str]]] = []
    if isinstance(goal, BuildGoal):
        build_target = sorted(goal.target.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2]))
        build_target = build_target[:MAX_PER_KIND]

    places: set[Pos] = {_stand_cell(env, p) for _, p, _ in containers}
    places |= {_stand_cell(env, p) for n, p in blocks if n in STATIONS}
    places |= {_stand_cell(env, p) for _, p in creatures}
    places |= {p for p, _ in build_target}
    mechanisms = sorted((n, p) for n, p in blocks if interactive.get(n) in (*TOGGLES, "plate"))
    for n, p in mechanisms:
        # a pressure plate counts an agent standing *on* it, anything else is worked from beside
        places.add(p if interactive.get(n) == "plate" else _stand_cell(env, p))
    catalogue: list[A.Action] = [A.Wait(seconds=1)]
    catalogue += [A.NavigateTo(x=p[0], y=p[1], z=p[2]) for p in sorted(places)[: MAX_PER_KIND * 4]]

    withdraw = sorted({(cname, item) for cname, _, items in containers for item, _ in items})
    catalogue += [A.WithdrawItem(item_name=i, from_name=c) for c, i in withdraw[:MAX_PER_KIND]]
    if isinstance(goal, CraftGoal):
        crafts = sorted({cp.name for cp in goal.checkpoints} | {goal.item})
        catalogue += [A.CraftBlock(item_name=i) for i in crafts[:MAX_PER_KIND]]
    for p, (name, facing) in build_target:
        catalogue.append(A.PlaceBlock(item_name=name, x=p[0], y=p[1], z=p[2],
                                      facing=facing if facing in FACINGS else "A"))
    toggles = [(n, p) for n, p in mechanisms if interactive.get(n) in TOGGLES][:MAX_PER_KIND]
    catalogue += [A.ToggleAction(item_name=n, x=p[0], y=p[1], z=p[2]) for n, p in toggles]
    crops: dict[str, list[Pos]] = {}
    for n, p in blocks:
        if _harvestable(n):
            crops.setdefault(n, []).append(p)
    catalogue += [A.MineBlock(x=p[0], y=p[1], z=p[2]) for _, p in _round_robin(crops, MAX_PER_KIND)]
    catalogue += [A.AttackTarget(target_name=n) for n in sorted({n for n, _ in creatures})]
    return tuple(dict.fromkeys(catalogue))  # actions are frozen models: drop exact duplicates


def item_vocabulary(env: Env) -> tuple[str, ...]:
    """Items worth counting: what containers start with, what the task scores, what it builds with."""
    setup = _setup(env)
    goal = env.task.goal
    items: set[str] = {i for c in getattr(setup, "containers", ()) for i, _ in c.items}
    if isinstance(goal, CraftGoal):
        items |= {cp.name for cp in goal.checkpoints} | {goal.item}
    if isinstance(goal, BuildGoal):
        items |= {name for name, _ in goal.target.values()}
    return tuple(sorted(items)[:MAX_ITEMS])


class CausalMaceParallelEnv(ParallelEnv[str, np.ndarray, int]):
    """PettingZoo's parallel API over one task; ``env.env`` stays reachable for richer tools."""

    def __init__(self, env: Env, max_cycles: int = 200, name: str | None = None) -> None:
        self.env = env
        self.max_cycles = max_cycles
        self.catalogue = build_catalogue(env)
        self.items = item_vocabulary(env)
        self.possible_agents: list[str] = list(env.agents)
        self.agents: list[str] = []
        label = name or getattr(env, "env_id", type(env).__name__)
        self.metadata: dict[str, Any] = {"name": f"{label}:{env.task.id}", "render_modes": [],
                                         "is_parallelizable": True}
        self.render_mode: str | None = None
        size = 5 + len(self.items)
        self._obs_spaces = {a: spaces.Box(-np.inf, np.inf, (size,), np.float32) for a in self.possible_agents}
        self._act_spaces = {a: spaces.Discrete(len(self.catalogue)) for a in self.possible_agents}
        self.state_space = spaces.Box(-np.inf, np.inf, (size * len(self.possible_agents),), np.float32)
        self._cycles = 0
        self._completion = 0.0

    def observation_space(self, agent: str) -> spaces.Box:
        return self._obs_spaces[agent]

    def action_space(self, agent: str) -> spaces.Discrete:
        return self._act_spaces[agent]

    def action_of(self, index: int) -> A.Action:
        return self.catalogue[int(index)]

    def _observe(self, agent: str, completion: float) -> np.ndarray:
        o = self.env.observe(agent)
        inv: dict[str, int] = o.get("inventory", {})
        pos = o.get("position", (0.0, 0.0, 0.0))
        vec = [float(pos[0]), float(pos[1]), float(pos[2]), float(self.env.clock(agent))]
        vec += [float(inv.get(i, 0)) for i in self.items]
        vec.append(completion)
        return np.asarray(vec, dtype=np.float32)

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        self.env.reset(seed)
        self.agents = list(self.possible_agents)
        self._cycles = 0
        self._completion = float(self.env.score().completion)
        obs = {a: self._observe(a, self._completion) for a in self.agents}
        return obs, {a: {} for a in self.agents}

    def step(self, actions: dict[str, int]) -> tuple[dict[str, np.ndarray], dict[str, float], dict[str, bool],
                                                    dict[str, bool], dict[str, dict[str, Any]]]:
        live = list(self.agents)
        infos: dict[str, dict[str, Any]] = {a: {} for a in live}
        for agent in sorted((a for a in live if a in actions), key=lambda a: (self.env.clock(a), a)):
            index = int(actions[agent])
            if not 0 <= index < len(self.catalogue):
                raise ValueError(f"action {index} for {agent} is outside Discrete({len(self.catalogue)})")
            action = self.catalogue[index]
            result = self.env.apply(agent, action)
            infos[agent] = {"action": action.name, "accepted": result.status, "message": result.message,
                            "duration": float(result.duration)}
        self._cycles += 1
        score = self.env.score()
        completion = float(score.completion)
        gain = completion - self._completion
        self._completion = completion
        obs = {a: self._observe(a, completion) for a in live}
        rewards = dict.fromkeys(live, gain)
        terminations = dict.fromkeys(live, bool(score.completed))
        truncations = dict.fromkeys(live, self._cycles >= self.max_cycles and not score.completed)
        self.agents = [a for a in live if not (terminations[a] or truncations[a])]
        return obs, rewards, terminations, truncations, infos

    def state(self) -> np.ndarray:
        """Every agent's observation, in ``possible_agents`` order, for centralised critics."""
        return np.concatenate([self._observe(a, self._completion) for a in self.possible_agents])

    def render(self) -> None:
        return None

    def close(self) -> None:
        close: Callable[[], Any] | None = getattr(self.env, "close", None)
        if close is not None:
            close()


def parallel_env(env_id: str, max_cycles: int = 200, **kwargs: Any) -> CausalMaceParallelEnv:
    """Make a registered env (``kwargs`` go to its factory) and wrap it."""
    from causalmace.registry import make

    return CausalMaceParallelEnv(make(env_id, **kwargs), max_cycles=max_cycles, name=env_id)


def catalogue_names(catalogue: Iterable[A.Action]) -> list[str]:
    """Short readable labels, e.g. for logging a policy's choices."""
    return [f"{a.name}({', '.join(f'{k}={v}' for k, v in a.args().items())})" for a in catalogue]


__all__ = ["CausalMaceParallelEnv", "build_catalogue", "catalogue_names", "item_vocabulary", "parallel_env"]
