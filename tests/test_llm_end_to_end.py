"""Whole episodes over HTTP: the planner, the refiner's counterfactual questions and the LLM agents all
talk to the OpenAI-compatible stub server, under injected faults.

The stub plays a competent model, so that these tests check the LLM path (HTTP, retries, reformats,
parsing, tool validation, refusal feedback, accounting, the API key kept out of every file) rather
than a model's skill: it answers the plan request with the env's reference plan, counterfactual
questions (told apart by their text, since ``purpose`` is not sent) with a fixed answer per kind of
question, and each agent's tool-call request with the action a scripted skill agent would take in the
same situation. That shadow agent runs in the test process, one per agent and subtask try, on the very
env object of the run (the local Worker backend keeps it in-process); the agent's first user message
names it and its subtask, and the tool results carry the Judger's verdict it is fed back.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from openai_stub_server import (
    Policy,
    Reply,
    StubServer,
    answer_json,
    chat,
    faulty,
    stub_server_fixture,  # noqa: F401  (registers the stub_server fixture)
    tool_call,
)

from causalmace import build, registry
from causalmace.agents.scripted import ScriptedSkillAgent
from causalmace.config import RunConfig
from causalmace.envs.protocol import ActionResult
from causalmace.graph import TaskGraph
from causalmace.judger import Refusal, RefusalKind
from causalmace.llm.symbolic import SymbolicLLM, plan_json
from causalmace.planner.planner import decompose, plan_schema
from causalmace.runner import run_episode

FARM, ESCAPE = "craftworld/VillagerBench-Farming-v0", "craftworld/VillagerBench-Escape-v0"
KEY_ENV = "CAUSALMACE_E2E_KEY"
SECRET = "sk-e2e-0123456789-Do-Not-Write-Me-Down"
FIRST_TURN = re.compile(r"You are (\S+)\.\nSubtask (\S+) \(try (\d+)\)")


class CompetentModel:
    """The stub's policy: answers as a competent model would (see the module's docstring)."""

    def __init__(self) -> None:
        self.env: Any = None  # the run's env, set when the run builds it
        self.truth: TaskGraph | None = None
        self.shadows: dict[tuple[str, str, int], ScriptedSkillAgent] = {}
        self.answers: dict[tuple[str, str, int, int], Reply] = {}
        self.asked: Counter[str] = Counter()

    def __call__(self, body: dict[str, Any], index: int) -> Reply:
        if body.get("tools"):
            self.asked["act"] += 1
            return self.act(body["messages"])
        text = "\n".join(str(m.get("content") or "") for m in body["messages"])
        if "would B still need A" in text:
            self.asked["counterfactual"] += 1
            return answer_json({"still_needed": "Under the normal rules" in text})
        self.asked["plan"] += 1
        self.truth = self.env.reference_plan()
        return answer_json(plan_json(self.truth))

    def act(self, messages: list[dict[str, Any]]) -> Reply:
        found = FIRST_TURN.search(str(messages[1]["content"]))
        assert found, messages[1]
        agent, sid, n = found.group(1), found.group(2), int(found.group(3))
        results = [r for r in map(_result, messages) if r is not None]  # old turns may have been dropped
        last = results[-1] if results else None
        key = (agent, sid, n, last["step"] if last else 0)
        if key not in self.answers:  # a resent or reformatted request gets the same answer
            self.answers[key] = self._next(agent, sid, n, last)
        return self.answers[key]

    def _next(self, agent: str, sid: str, n: int, last: dict[str, Any] | None) -> Reply:
        shadow = self.shadows.get((agent, sid, n))
        if shadow is None:
            assert self.truth is not None and last is None
            shadow = self.shadows[(agent, sid, n)] = ScriptedSkillAgent(agent_name=agent)
            shadow.start(self.truth.subtask(sid), self.env)
        if last is not None:
            shadow.feedback(_action_result(last))
        action = shadow.act(self.env)
        if action is None:
            out = shadow.outcome()
            return tool_call("done", {}) if out.done else tool_call("give_up", {"reason": out.reason})
        return tool_call(action.name, action.args())


def _result(message: dict[str, Any]) -> dict[str, Any] | None:
    """An action's result as the agent reported it (refusals of bad calls and reformat notes are not)."""
    if message.get("role") != "tool":
        return None
    try:
        body = json.loads(message["content"])
    except (TypeError, ValueError):
        return None
    return body if isinstance(body, dict) and "ok" in body else None


def _action_result(body: dict[str, Any]) -> ActionResult:
    refusal = None
    if "refusal" in body:
        r = body["refusal"]
        refusal = Refusal(RefusalKind(r["kind"]), body["message"], r.get("item"),
                          tuple(r["pos"]) if r.get("pos") is not None else None, r.get("group"),
                          r.get("need", 0), r.get("have", 0))
    return ActionResult(body["ok"], body["message"], body.get("duration", 0.0), body.get("data"), refusal)


def text_mistakes(policy: Policy, rate: float, seed: int = 0) -> Policy:
    """A model's own slips on tool requests, which only the agent can catch: tool calls written as text,
    to a tool that does not exist or with arguments the action refuses."""
    import random

    rng = random.Random(seed)
    slips = [chat('{"name": "teleport", "arguments": {"to": "the end"}}'),
             chat('functions.navigateTo:\n{"x": "here"}'),
             chat("I think I should look around first.")]

    def wrapped(body: dict[str, Any], index: int) -> Reply:
        if body.get("tools") and rng.random() < rate:
            r = rng.choice(slips)
            return Reply(r.status, r.body, tag="text_slip")
        return policy(body, index)

    return wrapped


@pytest.fixture
def capture_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[CompetentModel], None]:
    """Hands the env the run builds to the stub's model."""
    def attach(model: CompetentModel) -> None:
        real = build.make_env

        def make_env(cfg: RunConfig) -> Any:
            model.env = real(cfg)
            return model.env

        monkeypatch.setattr(build, "make_env", make_env)
    return attach


def run_config(env_id: str, task: str, base_url: str, cache: Path, **workers: Any) -> RunConfig:
    llm = {"provider": "openai", "model": "stub-model", "base_url": base_url, "api_key_env": KEY_ENV,
           "timeout_s": 0.4, "max_retries": 4, "max_reformats": 2, "backoff_s": 0.01, "backoff_max_s": 0.05,
           "cache_dir": str(cache)}
    return RunConfig.model_validate({
        "env": env_id, "task": task, "agents": 2, "seed": 0, "env_options": {"think_time": 1.0}, "llm": llm,
        "refiner": {"estimator": "llm", "samples": 1}, "workers": {"agent": "llm", "max_steps": 60, **workers},
        "limits": {"max_attempts": 6, "max_actions": 5000}})


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv(KEY_ENV, SECRET)
    yield SECRET


@pytest.mark.parametrize("env_id, task", [(FARM, "rabbit_stew_2"), (ESCAPE, "escape_1r_0")])
def test_episode_completes_over_http_under_faults(stub_server: StubServer, capture_env: Any, api_key: str,
                                                  tmp_path: Path, env_id: str, task: str) -> None:
    model = CompetentModel()
    capture_env(model)
    injected = faulty(model, rate=0.3, seed=7, delay_s=1.0)
    stub_server.policy = text_mistakes(injected, rate=0.05, seed=3)
    out, cache = tmp_path / "run", tmp_path / "llm-cache"
    ep = run_episode(run_config(env_id, task, stub_server.base_url, cache), out)
    r = ep.result

    assert r["completed"] and r["completion"] == 1.0, r
    faults = injected.injected  # type: ignore[attr-defined]
    assert faults["500"] + faults["timeout"] > 0 and faults["malformed"] + faults["unknown_tool"] > 0
    assert model.asked["plan"] >= 1 and model.asked["act"] > 0
    if env_id == FARM:
        assert model.asked["counterfactual"] > 0 and r["refiner"]["estimator"] == "llm"
    u = r["llm"]
    assert u["retries"] > 0 and u["reformats"] > 0 and "failures" in u
    agents = r["llm_agents"]
    assert sorted(agents) == ["Alice", "Bob"]
    assert sum(a["refused_tool_calls"] for a in agents.values()) > 0
    assert sum(a["done"] for a in agents.values()) >= r["graph"]["nodes"]
    assert sum(a["calls"] for a in agents.values()) < u["calls"]  # the planner's calls are in the total too
    for a in agents.values():
        assert {"calls", "prompt_tokens", "completion_tokens", "retries", "reformats", "failures",
                "cache_hits", "refused_tool_calls"} <= set(a)
    on_disk = json.loads((out / "result.json").read_text())
    assert on_disk["llm_agents"] == agents and on_disk["llm"] == u
    score = [e for e in ep.trace.events if e["type"] == "score"]
    assert score and score[-1]["llm_agents"] == agents

    assert all(req.headers.get("authorization") == f"Bearer {api_key}" for req in stub_server.requests
               if req.path.endswith("/chat/completions"))  # the key is used ...
    files = [p for p in (*out.rglob("*"), *cache.rglob("*")) if p.is_file()]  # the run, and its recording
    assert (out / "result.json") in files and any(p.parent == cache for p in files)
    for p in files:  # ... and written down nowhere
        assert api_key.encode() not in p.read_bytes(), p


def test_plan_request_carries_the_env_vocabulary(stub_server: StubServer) -> None:
    env = registry.make(FARM, task="cake_1", agents=2)
    env.reset(0)
    stub_server.push(answer_json(plan_json(env.reference_plan())))
    from causalmace.llm.factory import make_llm

    llm = make_llm({"provider": "openai", "model": "m", "base_url": stub_server.base_url, "api_key_env": None})
    graph, report = decompose(env, llm)
    assert not report.error and sorted(graph.g.nodes) == sorted(env.reference_plan().g.nodes)
    sent = stub_server.chat_requests[0]["response_format"]["json_schema"]["schema"]
    item = sent["properties"]["subtasks"]["items"]
    assert item["properties"]["kind"]["enum"] == list(ScriptedSkillAgent.kinds)
    assert item["properties"]["id"] == {"type": "string"} and "$ref" not in json.dumps(sent)
    assert sent["properties"]["edges"]["items"]["properties"]["from"] == {"type": "string"}


def test_plan_schema_is_cached_per_env_and_kinds() -> None:
    farm = registry.make(FARM, task="cake_1", agents=2)
    escape = registry.make(ESCAPE, task="escape_1r_0", agents=2)
    assert plan_schema(farm) is plan_schema(registry.make(FARM, task="cake_0", agents=3))
    assert plan_schema(farm) is not plan_schema(escape)
    assert plan_schema(farm) == plan_schema(escape)  # same default agent, same vocabulary
    kinds = json.dumps(plan_schema(farm))
    assert all(f'"{k}"' in kinds for k in ScriptedSkillAgent.kinds) and '"return"' not in kinds
    assert "enum" not in json.dumps(plan_schema())  # no env: kinds are free


def test_kinds_are_free_when_the_default_agent_declares_none() -> None:
    from tests.protocol_only import ShelfEnv

    shelf = ShelfEnv()
    registry.register_agent("shelf-agent", "tests.protocol_only:ShelfAgent", override=True)
    assert "enum" not in json.dumps(plan_schema(shelf))
    kitchen = registry.make("kitchen/Kitchen-v0")
    assert "enum" not in json.dumps(plan_schema(kitchen))


def test_symbolic_model_still_plans_with_the_schema() -> None:
    env = registry.make(FARM, task="rabbit_stew_2", agents=2)
    env.reset(0)
    graph, report = decompose(env, SymbolicLLM(), reference=env.reference_plan)
    assert not report.error and set(graph.edges()) == set(env.reference_plan().edges())


def test_llm_agents_on_ray_workers(stub_server: StubServer, tmp_path: Path) -> None:
    """Each Ray actor builds its agent's client itself (clients do not travel) and reports its figures."""
    import os

    os.environ.update({"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"})
    from causalmace.ray_workers import init_ray

    init_ray(num_cpus=2)
    env = registry.make(FARM, task="cake_13", agents=2)
    env.reset(0)
    plan = plan_json(env.reference_plan())
    stub_server.policy = lambda body, i: tool_call("done", {}) if body.get("tools") else answer_json(plan)
    cfg = RunConfig.model_validate({
        "env": FARM, "task": "cake_13", "agents": 2, "refiner": {"enabled": False},
        "llm": {"provider": "openai", "model": "stub-model", "base_url": stub_server.base_url, "api_key_env": None},
        "workers": {"agent": "llm", "backend": "ray", "max_steps": 2}})
    r = run_episode(cfg, tmp_path).result
    agents = r["llm_agents"]
    assert sorted(agents) == ["Alice", "Bob"] and sum(a["done"] for a in agents.values()) == r["graph"]["nodes"]
    checks = r["plan_noise"]["goal_checks"] if r.get("plan_noise") else 0  # the goal unmet: the planner asked again
    assert sum(a["calls"] for a in agents.values()) == r["graph"]["nodes"] == r["llm"]["calls"] - 1 - checks
