"""The kitchen env: a team of cooks making dishes from a pantry, stations and a shared pass.

It implements :class:`causalmace.envs.protocol.Env` with the core types alone, as an example of
plugging a world of one's own into the framework. Each cook has its own simulated clock; the runner
applies actions for the cook whose clock is earliest. Every action is judged first
(:func:`~causalmace.envs.kitchen.judge.judge`); a refused one costs a moment and changes nothing else.
"""

from __future__ import annotations

from typing import Any

from causalmace.actions import Action, Wait
from causalmace.envs.kitchen.actions import ACTION_SPECS, Cook, GoTo, Put, Serve, Take
from causalmace.envs.kitchen.judge import judge
from causalmace.envs.kitchen.loader import load_kitchen, task_by_id
from causalmace.envs.kitchen.reference import reference_plan
from causalmace.envs.kitchen.text import rules_text, world_text
from causalmace.envs.kitchen.world import Kitchen, KitchenState, Order, add
from causalmace.envs.protocol import ActionResult, Capability
from causalmace.graph import TaskGraph
from causalmace.judger import Score
from causalmace.rules import RuleChange, RuleSet
from causalmace.tasks import Task

ENV_ID = "kitchen/Kitchen-v0"
COOK_NAMES = ("Basil", "Clove", "Dill", "Fennel", "Ginger", "Juniper", "Laurel", "Mint", "Nutmeg", "Parsley",
              "Rosemary", "Sage")


def cook_names(n: int) -> list[str]:
    return [COOK_NAMES[i] if i < len(COOK_NAMES) else f"Cook{i}" for i in range(n)]


class KitchenEnv:
    """One kitchen task for a team. ``task.world`` is the :class:`Kitchen` it is played in."""

    env_id = ENV_ID
    capabilities = frozenset({Capability.FORK, Capability.RERULE, Capability.SNAPSHOT, Capability.REFERENCE})
    default_agent = "kitchen-scripted"

    def __init__(self, task: Task, n_agents: int = 1, think_time: float = 0.0) -> None:
        if n_agents < 1:
            raise ValueError("n_agents must be at least 1")
        if not isinstance(task.world, Kitchen) or not isinstance(task.goal, Order):
            raise TypeError("a kitchen task's world is a Kitchen and its goal an Order")
        self.task = task
        self.kitchen: Kitchen = task.world
        self.order: Order = task.goal
        self.rules: RuleSet = self.kitchen.rules
        self.agents = cook_names(n_agents)
        self.think_time = float(think_time)
        self.seed = 0
        self.state = KitchenState.fresh(self.kitchen, self.agents)

    # ---- protocol -----------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> dict[str, dict[str, Any]]:
        """The kitchen as it starts; nothing in it is random, so every seed gives the same one."""
        self.seed = 0 if seed is None else int(seed)
        self.state = KitchenState.fresh(self.kitchen, self.agents)
        return {a: self.observe(a) for a in self.agents}

    def action_specs(self) -> tuple[type[Action], ...]:
        return ACTION_SPECS

    def apply(self, agent: str, action: Action) -> ActionResult:
        cook = self.state.cooks[agent]
        start = cook.clock + (0.0 if isinstance(action, Wait) else self.think_time)  # waiting is no decision
        refusal = judge(self.kitchen, self.rules, self.state, agent, action, self.still_ordered())
        if refusal is not None:
            cook.clock = start + self.kitchen.refused_s
            return ActionResult(False, refusal.message, self.kitchen.refused_s, refusal=refusal)
        message, duration = self._execute(agent, action)
        cook.clock = start + duration
        if duration > 0 and not isinstance(action, Wait):  # waiting is not work
            cook.busy += duration
            self.state.intervals.setdefault(agent, []).append((start, cook.clock))
        return ActionResult(True, message, duration)

    def observe(self, agent: str) -> dict[str, Any]:
        cook = self.state.cooks[agent]
        stored = self.state.storage.get(cook.place)
        return {"time": cook.clock, "inventory": dict(cook.inventory), "position": cook.place,
                "storage": None if stored is None else dict(stored), "served": dict(self.state.served)}

    def clock(self, agent: str) -> float:
        return self.state.cooks[agent].clock

    def score(self) -> Score:
        detail = {dish: min(self.state.served.get(dish, 0), n) / n for dish, n in self.order.dishes}
        wanted = sum(n for _, n in self.order.dishes)
        got = sum(min(self.state.served.get(dish, 0), n) for dish, n in self.order.dishes)
        return Score(got / wanted, got == wanted, detail)

    def intervals(self) -> dict[str, list[tuple[float, float]]]:
        return {a: list(v) for a, v in self.state.intervals.items()}

    def busy_times(self) -> list[float]:
        return [self.state.cooks[a].busy for a in self.agents]

    def rules_text(self) -> str:
        return rules_text(self.kitchen, self.rules, self.order.wants())

    def world_text(self) -> str:
        return world_text(self.kitchen, self.state, self.agents)

    def close(self) -> None:
        return None

    # ---- capabilities -------------------------------------------------------------------------
    def fork(self) -> KitchenEnv:
        other = object.__new__(KitchenEnv)
        other.__dict__.update(self.__dict__)
        other.state = self.state.copy()
        return other

    def rerule(self, change: RuleChange) -> KitchenEnv:
        other = self.fork()
        other.rules = self.rules.changed(change)
        return other

    def snapshot(self) -> tuple[KitchenState, RuleSet]:
        return self.state.copy(), self.rules

    def restore(self, snap: tuple[KitchenState, RuleSet]) -> None:
        self.state, self.rules = snap[0].copy(), snap[1]

    def reference_plan(self) -> TaskGraph:
        return reference_plan(self.task.id, self.order, self.kitchen, self.rules)

    # ---- helpers ------------------------------------------------------------------------------
    def still_ordered(self) -> dict[str, int]:
        """Dish -> how many are still to be served."""
        return {d: n - self.state.served.get(d, 0) for d, n in self.order.dishes}

    def _execute(self, agent: str, action: Action) -> tuple[str, float]:
        """Carry out an action the Judger allowed; returns (message, seconds)."""
        k, cook = self.kitchen, self.state.cooks[agent]
        if isinstance(action, GoTo):
            seconds = k.travel(cook.place, action.place)
            cook.place = action.place
            return f"walked to the {action.place}", seconds
        if isinstance(action, Take):
            add(self.state.storage[cook.place], action.item, -action.count)
            add(cook.inventory, action.item, action.count)
            return f"took {action.count} {action.item} from the {cook.place}", k.handle_s
        if isinstance(action, Put):
            add(cook.inventory, action.item, -action.count)
            add(self.state.storage[cook.place], action.item, action.count)
            return f"put {action.count} {action.item} on the {cook.place}", k.handle_s
        if isinstance(action, Cook):
            recipe = self.rules.recipe_for(action.item, cook.inventory)
            assert recipe is not None
            for item, n in recipe.inputs:
                add(cook.inventory, item, -n)
            add(cook.inventory, recipe.output, recipe.count)
            return f"made {recipe.count} {recipe.output}", k.cook_seconds.get(recipe.output, 1.0)
        if isinstance(action, Serve):
            add(cook.inventory, action.item, -1)
            self.state.served[action.item] = self.state.served.get(action.item, 0) + 1
            return f"served {action.item}", k.serve_s
        if isinstance(action, Wait):
            return "waited", action.seconds
        raise TypeError(f"unhandled action {action.name}")


def kitchen_tasks(agents: int = 1, **_: Any) -> list[Task]:
    """The runs the kitchen offers; they do not depend on the team size."""
    return list(load_kitchen()[1])


def make_kitchen(*, task: str | Task | None = None, agents: int = 1, think_time: float = 0.0) -> KitchenEnv:
    """The registered factory. ``task`` is a task id (None: the first), ``think_time`` the seconds a
    cook spends on each decision."""
    tasks = load_kitchen()[1]
    if task is None:
        chosen = tasks[0]
    elif isinstance(task, str):
        chosen = task_by_id(tasks, task)
    else:
        chosen = task
    return KitchenEnv(chosen, n_agents=agents, think_time=think_time)


make_kitchen.tasks = kitchen_tasks  # type: ignore[attr-defined]

__all__ = ["ENV_ID", "KitchenEnv", "cook_names", "kitchen_tasks", "make_kitchen"]
