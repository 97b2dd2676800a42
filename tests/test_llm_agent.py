"""The LLM agent on scripted replies: what it sends, what it refuses, and how a subtask ends.

Most tests go over HTTP to the stub server, through the real ``openai`` provider; a few hand the agent a
client that returns tool calls unchecked, as a plugin provider might, to reach the agent's own checks.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai_stub_server import (
    StubServer,
    chat,
    error,
    stub_server_fixture,  # noqa: F401  (registers the stub_server fixture)
    tool_call,
)

from causalmace import registry
from causalmace.agent import Usage
from causalmace.agents.llm import MAX_REFUSED_IN_ROW, LLMAgent, brief, text_call
from causalmace.envs.blocks.actions import CraftBlock, NavigateTo
from causalmace.errors import UserError
from causalmace.graph import Subtask
from causalmace.judger import RefusalKind
from causalmace.llm import LLMRequest, LLMResponse, ToolCall

FARM = "craftworld/VillagerBench-Farming-v0"
GO = {"x": 0, "y": 0, "z": 9}


@pytest.fixture
def world() -> Any:
    env = registry.make(FARM, task="cake_1", agents=2)
    env.reset(0)
    return env


@pytest.fixture
def subtask(world: Any) -> Subtask:
    plan = world.reference_plan()
    return plan.subtask(plan.topo_order()[0])


def agent_on(server: StubServer, **kw: Any) -> LLMAgent:
    settings = {"provider": "openai", "model": "stub-model", "base_url": server.base_url, "api_key_env": None,
                "backoff_s": 0, "max_retries": 0, "max_reformats": 1}
    return LLMAgent(agent_name="Alice", llm=settings, **kw)


def sent(server: StubServer, i: int = -1) -> list[dict[str, Any]]:
    return server.chat_requests[i]["messages"]


def test_registered_and_built_lazily(stub_server: StubServer, world: Any, subtask: Subtask) -> None:
    agent = registry.make_agent("llm", agent_name="Bob", llm={"provider": "openai", "model": "m",
                                                               "base_url": stub_server.base_url,
                                                               "api_key_env": None}, seed=3, max_steps=2)
    assert isinstance(agent, LLMAgent) and agent.max_steps == 2 and agent.usage == Usage()
    agent.start(subtask, world)
    assert agent._client is None and stub_server.requests == []  # no client until it has to ask
    stub_server.push(tool_call("navigateTo", GO))
    assert agent.act(world) == NavigateTo(**GO)
    assert agent.usage.calls == 1 and stub_server.chat_requests[0]["seed"] == 3


def test_the_symbolic_model_cannot_drive_an_agent() -> None:
    with pytest.raises(UserError, match="needs a model that calls tools"):
        LLMAgent(agent_name="Alice", llm={"provider": "symbolic"})
    with pytest.raises(UserError):
        LLMAgent(agent_name="Alice")


def test_the_conversation_it_starts(stub_server: StubServer, world: Any, subtask: Subtask) -> None:
    agent = agent_on(stub_server)
    agent.start(subtask, world)
    stub_server.push(tool_call("navigateTo", GO))
    agent.act(world)
    body = stub_server.chat_requests[0]
    system, first = body["messages"][0], body["messages"][1]
    assert system["role"] == "system" and "Alice" not in system["content"]  # shared by every agent
    assert "Minecraft" not in system["content"] and "`done`" in system["content"]
    text = first["content"]
    assert text.startswith(f"You are Alice.\nSubtask {subtask.id} (try 1): {subtask.description}")
    assert f"Target: {subtask.count} {subtask.target}" in text and world.rules_text() in text
    assert json.dumps(world.observe("Alice"), separators=(",", ":")) in text
    names = [t["function"]["name"] for t in body["tools"]]
    assert names[-2:] == ["done", "give_up"] and "navigateTo" in names and body["tool_choice"] == "auto"
    agent.start(subtask, world)  # the same subtask again: the model is told it is another try
    stub_server.push(tool_call("navigateTo", GO))
    agent.act(world)
    assert f"Subtask {subtask.id} (try 2)" in sent(stub_server)[1]["content"]


def test_the_judgers_verdict_goes_back_as_data(stub_server: StubServer, world: Any, subtask: Subtask) -> None:
    agent = agent_on(stub_server)
    agent.start(subtask, world)
    stub_server.push(tool_call("craftBlock", {"item_name": "sugar", "count": 2}))
    action = agent.act(world)
    assert action == CraftBlock(item_name="sugar", count=2)
    result = world.apply("Alice", action)  # Alice holds no sugar cane: the Judger refuses
    assert not result.status and result.refusal.kind is RefusalKind.MISSING_ITEM
    agent.feedback(result)
    stub_server.push(tool_call("give_up", {"reason": "no sugar_cane at hand"}))
    assert agent.act(world) is None
    messages = sent(stub_server)
    call, answer = messages[-2], messages[-1]
    assert call["role"] == "assistant" and call["tool_calls"][0]["function"]["name"] == "craftBlock"
    assert answer["role"] == "tool" and answer["tool_call_id"] == call["tool_calls"][0]["id"]
    body = json.loads(answer["content"])
    assert body["ok"] is False and body["message"] == result.message
    assert body["refusal"]["kind"] == "missing_item" and body["refusal"]["item"] == result.refusal.item
    assert body["observation"] == json.loads(json.dumps(world.observe("Alice")))
    out = agent.outcome()
    assert not out.done and "gave up: no sugar_cane at hand" in out.reason
    assert out.facts == [result.refusal]  # the last refusals the Judger gave, for the repair step
    assert agent.stats()["gave_up"] == 1 and agent.act(world) is None


def test_done_finishes_the_subtask(stub_server: StubServer, world: Any, subtask: Subtask) -> None:
    agent = agent_on(stub_server)
    agent.start(subtask, world)
    stub_server.push(tool_call("navigateTo", GO), tool_call("done", {}))
    action = agent.act(world)
    agent.feedback(world.apply("Alice", action))
    assert agent.act(world) is None and agent.outcome().done and agent.outcome().facts == []
    assert json.loads(sent(stub_server)[-1]["content"])["ok"] is True
    assert agent.stats() == {"refused_tool_calls": 0, "actions": 1, "done": 1, "gave_up": 0, "out_of_steps": 0,
                             "llm_errors": 0}


@pytest.mark.parametrize("slip, why", [
    (chat('{"name": "teleport", "arguments": {"to": "home"}}'), "there is no tool 'teleport'"),
    (chat("functions.fly:\n{}"), "there is no tool 'fly'"),
    (chat('functions.navigateTo:\n{"x": "far"}'), "bad arguments for 'navigateTo'"),
    (chat('{"name": "navigateTo", "x": 1, "y": 2}'), "bad arguments for 'navigateTo': z: Field required"),
    (chat('{"name": "navigateTo", "arguments": {"name": "x", "x": 1, "y": 2, "z": 3}}'), "takes no argument"),
    (chat("Let me think about where to go."), "no tool call in the answer"),
], ids=["unknown-json", "unknown-text", "bad-type", "missing", "name-arg", "prose"])
def test_bad_calls_are_refused_and_never_run(stub_server: StubServer, world: Any, subtask: Subtask, slip: Any,
                                             why: str) -> None:
    agent = agent_on(stub_server)
    agent.start(subtask, world)
    before = world.observe("Alice")
    stub_server.push(slip, tool_call("navigateTo", GO))
    assert agent.act(world) == NavigateTo(**GO)  # the refused call was never handed to the world
    assert world.observe("Alice") == before and agent.refused == 1
    refusal = sent(stub_server)[-1]
    assert refusal["role"] == "user" and refusal["content"].startswith("Refused, not run: ")
    assert why in refusal["content"]


def test_structured_bad_calls_are_reformatted_by_the_provider(stub_server: StubServer, world: Any,
                                                              subtask: Subtask) -> None:
    """A structured call to a tool that does not exist, or with arguments that break the tool's schema,
    is caught at the boundary (a reformat), before the agent sees it."""
    agent = agent_on(stub_server, max_steps=3)
    agent.start(subtask, world)
    stub_server.push(tool_call("teleport", {"to": "home"}), tool_call("navigateTo", {"x": "far", "y": 0, "z": 0}))
    assert agent.act(world) is None  # the second bad call used up the reformat budget: an LLMError
    assert not agent.outcome().done and "no usable answer from the model" in agent.outcome().reason
    assert agent.usage.reformats == 1 and agent.usage.failures == 1 and agent.stats()["llm_errors"] == 1
    agent.start(subtask, world)
    stub_server.push(tool_call("teleport", {}), tool_call("navigateTo", GO))
    assert agent.act(world) == NavigateTo(**GO) and agent.refused == 0


class Unchecked:
    """A client that hands over whatever tool calls it is given, unchecked."""

    def __init__(self, *calls: ToolCall) -> None:
        self.calls, self.usage, self.requests = list(calls), Usage(), []

    def complete(self, request: LLMRequest) -> LLMResponse:
        self.requests.append(request)
        self.usage.calls += 1
        return LLMResponse("", Usage(1), [self.calls.pop(0)])


def test_the_agent_checks_calls_itself(world: Any, subtask: Subtask) -> None:
    agent = LLMAgent(agent_name="Alice", llm={"provider": "plugin-model"})
    agent._client = Unchecked(ToolCall("teleport", {"to": "home"}), ToolCall("wait", {"seconds": 0}),
                              ToolCall("wait", {"seconds": 2}),
                              ToolCall("placeBlock", {"item_name": "dirt", "x": 0, "y": 0, "z": 0, "facing": "up"}),
                              ToolCall("wait", {"seconds": 3}))
    agent.start(subtask, world)
    action = agent.act(world)
    assert action is not None and action.name == "wait" and action.seconds == 2 and agent.refused == 2
    agent.feedback(world.apply("Alice", action))
    assert agent.act(world).seconds == 3 and agent.refused == 3
    msgs = agent._client.requests[-1].messages
    refusals = [m for m in msgs if m["role"] == "tool" and m["content"].startswith("Refused")]
    assert [m["tool_call_id"] for m in refusals] == ["call_1", "call_2", "call_4"]
    assert "there is no tool 'teleport'" in refusals[0]["content"]
    assert "bad arguments for 'wait': seconds" in refusals[1]["content"]
    assert "bad arguments for 'placeBlock': facing" in refusals[2]["content"]


def test_refusals_in_a_row_end_the_subtask(world: Any, subtask: Subtask) -> None:
    agent = LLMAgent(agent_name="Alice", llm={"provider": "plugin-model"}, max_steps=20)
    agent._client = Unchecked(*[ToolCall("teleport", {}) for _ in range(MAX_REFUSED_IN_ROW + 1)])
    agent.start(subtask, world)
    assert agent.act(world) is None and len(agent._client.requests) == MAX_REFUSED_IN_ROW
    assert agent.refused == MAX_REFUSED_IN_ROW and not agent.outcome().done
    assert f"no valid tool call in {MAX_REFUSED_IN_ROW} answers" in agent.outcome().reason


def test_max_steps_bounds_a_subtask(stub_server: StubServer, world: Any, subtask: Subtask) -> None:
    stub_server.policy = lambda body, i: tool_call("navigateTo", GO)
    agent = agent_on(stub_server, max_steps=3)
    agent.start(subtask, world)
    actions = []
    while (a := agent.act(world)) is not None:
        actions.append(a)
        agent.feedback(world.apply("Alice", a))
    assert len(actions) == 3 and len(stub_server.chat_requests) == 3
    out = agent.outcome()
    assert not out.done and out.reason == "no result within 3 tool calls" and agent.stats()["out_of_steps"] == 1


def test_refused_answers_count_as_steps(stub_server: StubServer, world: Any, subtask: Subtask) -> None:
    stub_server.push(chat("hmm"), tool_call("navigateTo", GO))
    agent = agent_on(stub_server, max_steps=1)
    agent.start(subtask, world)
    assert agent.act(world) is None and len(stub_server.chat_requests) == 1 and agent.refused == 1


def test_an_llm_error_fails_the_subtask(stub_server: StubServer, world: Any, subtask: Subtask) -> None:
    stub_server.policy = lambda body, i: error(503)
    agent = agent_on(stub_server)
    agent.start(subtask, world)
    assert agent.act(world) is None
    out = agent.outcome()
    assert not out.done and out.reason.startswith("no usable answer from the model: LLM call 'act' failed")
    assert agent.usage.failures == 1 and agent.stats()["llm_errors"] == 1


def test_old_turns_leave_the_conversation(stub_server: StubServer, world: Any, subtask: Subtask) -> None:
    stub_server.policy = lambda body, i: tool_call("wait", {"seconds": 1})
    agent = agent_on(stub_server, max_steps=12)
    agent.start(subtask, world)
    for _ in range(10):
        agent.feedback(world.apply("Alice", agent.act(world)))
    messages = sent(stub_server)
    assert messages[1]["content"].startswith("You are Alice.") and len(messages) == 2 + 2 * 6


def test_text_calls_are_read_not_run() -> None:
    assert text_call('functions.navigateTo:\n{"x": 1, "y": 2, "z": 3}') == ("navigateTo", {"x": 1, "y": 2, "z": 3})
    assert text_call('```json\n{"name": "done", "arguments": "{}"}\n```') == ("done", {})
    assert text_call('{"function": {"name": "wait", "parameters": {"seconds": 1}}}') == ("wait", {"seconds": 1})
    assert text_call('{"tool": "wait", "seconds": 1}') == ("wait", {"seconds": 1})
    assert text_call("__import__('os').system('true')") is None
    assert text_call('{"answer": "unfinished", ') is None


def test_brief_keeps_json_valid_and_short() -> None:
    big = {"positions": [[i, 0, i] for i in range(500)], "note": "x" * 5000, "n": 3}
    small = brief(big, 300)
    text = json.dumps(small, separators=(",", ":"))
    assert len(text) <= 300 and json.loads(text) == small and small["n"] == 3
    assert brief({"a": 1}, 100) == {"a": 1}
    cut = brief(list(range(10_000)), 20)
    assert isinstance(cut, str) and cut.endswith("...") and len(json.dumps(cut)) <= 20


def test_workers_report_per_agent_figures_across_replacements(stub_server: StubServer, world: Any,
                                                              subtask: Subtask) -> None:
    from causalmace.workers import LocalWorkers

    settings = {"provider": "openai", "model": "m", "base_url": stub_server.base_url, "api_key_env": None}
    workers = LocalWorkers(["Alice", "Bob"], "llm", llm=settings, seed=0, max_steps=4)
    stub_server.push(chat("no call here"), tool_call("navigateTo", GO))
    workers.start("Alice", subtask, world)
    assert workers.act("Alice", world) == NavigateTo(**GO)
    workers.replace("Alice")  # a lost Worker: its figures stay with the agent
    stats = workers.stats()
    assert set(stats) == {"Alice", "Bob"} and stats["Alice"]["calls"] == 2 and stats["Alice"]["refused_tool_calls"] == 1
    assert stats["Bob"]["calls"] == 0 and workers.usage().calls == 2
    workers.close()
    assert LocalWorkers(["Alice"], "scripted").stats() == {}  # a policy without figures adds none
