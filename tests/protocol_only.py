"""A world that implements the documented env protocol and nothing more: no capability at all.

A shared shelf; ``make(item)`` turns the recipe's inputs on the shelf into the item. It comes with
its own agent and a small rules-reading LLM provider, so that a run needs nothing the protocol
does not promise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from causalmace.actions import Action, Wait
from causalmace.agent import Outcome, Usage
from causalmace.envs.protocol import ActionResult
from causalmace.graph import Subtask
from causalmace.judger import Refusal, RefusalKind, Score
from causalmace.llm import LLMRequest, LLMResponse, count_tokens
from causalmace.rules import Recipe, RuleSet
from causalmace.tasks import Task

RECIPES = {"plank": (), "stick": (), "seat": (), "frame": ("plank", "stick"), "chair": ("frame", "seat")}


class Make(Action):
    """Make an item from its inputs on the shared shelf."""

    name: Literal["make"] = "make"
    item: str


@dataclass(frozen=True)
class HaveItem:
    item: str

    def wants(self) -> tuple[str, ...]:
        return (self.item,)


def make_task(item: str = "chair") -> Task:
    return Task(f"make_{item}", "workshop", f"make a {item}", HaveItem(item), 1.0, 60.0, None)


class ShelfEnv:
    env_id = "test/Shelf-v0"
    capabilities: frozenset = frozenset()
    default_agent = "shelf-agent"

    def __init__(self, task: str | None = None, agents: int = 2) -> None:
        self.task = make_task((task or "make_chair").removeprefix("make_"))
        self.agents = [f"w{i}" for i in range(agents)]
        self.rules = RuleSet(recipes={k: (Recipe(k, 1, tuple((i, 1) for i in v)),) for k, v in RECIPES.items()})
        self.reset()

    def reset(self, seed: int | None = None) -> dict[str, dict[str, Any]]:
        self.shelf: dict[str, int] = {}
        self.clocks = {a: 0.0 for a in self.agents}
        self.work: dict[str, list[tuple[float, float]]] = {a: [] for a in self.agents}
        return {a: self.observe(a) for a in self.agents}

    def action_specs(self) -> tuple[type[Action], ...]:
        return (Make, Wait)

    def apply(self, agent: str, action: Action) -> ActionResult:
        start = self.clocks[agent]
        if isinstance(action, Wait):
            self.clocks[agent] += action.seconds
            return ActionResult(True, "waited", action.seconds)
        if not isinstance(action, Make) or action.item not in RECIPES:
            self.clocks[agent] += 0.5
            refusal = Refusal(RefusalKind.NOT_POSSIBLE, "no such action")
            return ActionResult(False, "no such action", 0.5, refusal=refusal)
        for need in RECIPES[action.item]:
            if self.shelf.get(need, 0) < 1:
                self.clocks[agent] += 0.5
                msg = f"the shelf has no {need}"
                return ActionResult(False, msg, 0.5, refusal=Refusal(RefusalKind.MISSING_ITEM, msg, need, need=1))
        for need in RECIPES[action.item]:
            self.shelf[need] -= 1
        self.shelf[action.item] = self.shelf.get(action.item, 0) + 1
        self.clocks[agent] += 2.0
        self.work[agent].append((start, start + 2.0))
        return ActionResult(True, f"made {action.item}", 2.0)

    def observe(self, agent: str) -> dict[str, Any]:
        return {"time": self.clocks[agent], "inventory": dict(self.shelf)}

    def clock(self, agent: str) -> float:
        return self.clocks[agent]

    def score(self) -> Score:
        done = self.shelf.get(self.task.goal.item, 0) > 0  # type: ignore[attr-defined]
        return Score(float(done), done, {"made": float(done)})

    def intervals(self) -> Mapping[str, list[tuple[float, float]]]:
        return self.work

    def busy_times(self) -> list[float]:
        return [sum(e - s for s, e in self.work[a]) for a in self.agents]

    def rules_text(self) -> str:
        return "\n".join(f"make {k} from {', '.join(v) or 'nothing'}" for k, v in RECIPES.items())

    def world_text(self) -> str:
        return "an empty shared shelf"

    def close(self) -> None:
        return None


def make_shelf(*, task: str | None = None, agents: int = 2) -> ShelfEnv:
    return ShelfEnv(task, agents)


make_shelf.tasks = lambda agents=1, **_: [make_task()]  # type: ignore[attr-defined]


class ShelfAgent:
    def __init__(self, agent_name: str, **_: Any) -> None:
        self.name, self.usage = agent_name, Usage()
        self._todo: Action | None = None
        self._out = Outcome(True)

    def start(self, subtask: Subtask, world: Any) -> None:
        self._todo, self._out = Make(item=subtask.target), Outcome(True)

    def act(self, world: Any) -> Action | None:
        todo, self._todo = self._todo, None
        return todo

    def feedback(self, result: ActionResult) -> None:
        if not result.status:
            self._out = Outcome(False, result.message, [result.refusal] if result.refusal else [])

    def outcome(self) -> Outcome:
        return self._out


class ShelfLLM:
    """Plans with one made-up edge, and answers counterfactuals from the recipes it was shown."""

    def __init__(self) -> None:
        self.usage = Usage()

    def complete(self, request: LLMRequest) -> LLMResponse:
        if request.purpose == "decompose":
            subtasks = [{"id": k, "kind": "make", "description": f"make {k}", "target": k} for k in RECIPES]
            edges = [{"from": i, "to": k} for k, v in RECIPES.items() for i in v]
            edges.append({"from": "stick", "to": "plank"})  # made up: planks need no stick
            text = json.dumps({"subtasks": subtasks, "edges": edges})
        else:
            question = request.messages[-1]["content"]
            b, a = re.search(r"Subtask B: make (\w+)\. Subtask A: make (\w+)", question).groups()  # type: ignore[union-attr]
            changed = f"without {a})" in question or f"remove recipe:{b})" in question
            text = json.dumps({"still_needed": a in RECIPES.get(b, ()) and not changed})
        usage = Usage(1, sum(count_tokens(str(m["content"])) for m in request.messages), count_tokens(text))
        self.usage.add(usage)
        return LLMResponse(text, usage)


def make_shelf_llm(config: dict, *, seed: int = 0) -> ShelfLLM:
    return ShelfLLM()
