"""Reading model output: tolerant JSON, the schema checker, tool-call checks and the fix-it feedback."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, Field

from causalmace.llm import LLMRequest
from causalmace.llm.jsonparse import parse_json
from causalmace.llm.output import OutputError, read_answer
from causalmace.llm.schema import validate

MINE = {"type": "function", "function": {"name": "mine", "description": "Mine blocks", "parameters": {
    "type": "object", "properties": {"block": {"type": "string", "enum": ["stone", "dirt"]},
                                     "count": {"type": "integer", "minimum": 1}},
    "required": ["block", "count"]}}}


@pytest.mark.parametrize("text, value", [
    ('{"a": 1}', {"a": 1}),
    ('Sure!\n```json\n{"a": [1, 2,],}\n```\nDone.', {"a": [1, 2]}),
    ('prose {not json} then {"k": "line1\nline2\ttab"} and {"second": 2}', {"k": "line1\nline2\ttab"}),
    ('{"s": "a, ]", "t": "quote \\" ,}"}', {"s": "a, ]", "t": 'quote " ,}'}),
    ("[1, 2]", [1, 2]),
    ('```\n{"x": null}', {"x": None}),  # an unclosed fence
])
def test_parse_json_tolerates_what_models_write(text: str, value: object) -> None:
    assert parse_json(text) == value


@pytest.mark.parametrize("text", ["", "no json here", "{unclosed", '{"a": }'])
def test_parse_json_says_when_there_is_none(text: str) -> None:
    with pytest.raises(ValueError, match="no JSON"):
        parse_json(text)


class Step(BaseModel):
    id: str
    kind: Literal["mine", "craft"]
    count: int = Field(1, ge=1)
    note: str | None = None


class Plan(BaseModel):
    steps: list[Step] = Field(min_length=1)


def test_schema_checker_on_a_pydantic_schema() -> None:
    schema = Plan.model_json_schema()
    assert validate({"steps": [{"id": "a", "kind": "mine", "count": 2, "note": None}]}, schema) == []
    errs = validate({"steps": [{"id": "a", "kind": "dig", "count": 0, "note": 3}, {"kind": "craft"}]}, schema)
    assert any("'dig' is not one of" in e for e in errs)
    assert any("$.steps[0].count: below the minimum 1" == e for e in errs)
    assert any("$.steps[0].note" in e for e in errs)
    assert any("missing required key 'id'" in e for e in errs)
    assert validate({"steps": []}, schema) == ["$.steps: needs at least 1 item(s)"]


def test_schema_checker_types() -> None:
    assert validate(True, {"type": "integer"}) == ["$: expected integer, got bool"]
    assert validate(2.0, {"type": "integer"}) == []
    assert validate(None, {"type": ["string", "null"]}) == []
    assert validate({"a": 1, "b": 2}, {"type": "object", "properties": {"a": {}}, "additionalProperties": False}) \
        == ["$: unexpected key 'b'"]
    assert validate("ab", {"type": "string", "pattern": "^a", "maxLength": 1}) == ["$: longer than 1 characters"]


def test_answer_with_schema_is_reserialised() -> None:
    req = LLMRequest([{"role": "user", "content": "plan"}], "decompose", Plan.model_json_schema())
    a = read_answer(req, 'Here:\n```json\n{"steps": [{"id": "a", "kind": "mine"}]}\n```', [], "stop", "json_schema")
    assert a.parsed == {"steps": [{"id": "a", "kind": "mine"}]}
    assert a.text == '{"steps": [{"id": "a", "kind": "mine"}]}'


def test_invalid_answer_asks_again_with_the_reason() -> None:
    req = LLMRequest([{"role": "user", "content": "plan"}], "decompose", Plan.model_json_schema())
    with pytest.raises(OutputError) as e:
        read_answer(req, '{"steps": [{"id": "a", "kind": "dig"}]}', [], "stop", "none")
    assert e.value.kind == "invalid_output"
    assistant, ask = e.value.feedback
    assert assistant == {"role": "assistant", "content": '{"steps": [{"id": "a", "kind": "dig"}]}'}
    assert "'dig' is not one of" in ask["content"] and "JSON schema:" in ask["content"]


def test_cut_off_answer_is_a_failure() -> None:
    req = LLMRequest([{"role": "user", "content": "x"}], "t")
    with pytest.raises(OutputError) as e:
        read_answer(req, '{"a": ', [], "length", "json_schema")
    assert e.value.kind == "length"


def _call(name: str, args: str, call_id: str = "c1") -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}


def test_tool_calls_parsed_tolerantly() -> None:
    req = LLMRequest([{"role": "user", "content": "mine"}], "act", tools=[MINE], tool_choice="auto")
    a = read_answer(req, "", [_call("mine", '```json\n{"block": "stone", "count": 3,}\n```')], "tool_calls", "none")
    assert [(c.name, c.arguments, c.id) for c in a.tool_calls] == [("mine", {"block": "stone", "count": 3}, "c1")]


@pytest.mark.parametrize("name, args, choice, reason", [
    ("teleport", "{}", "auto", "there is no tool 'teleport'"),
    ("mine", '{"block": "gold", "count": 1}', "auto", "do not fit"),
    ("mine", "not json", "required", "not a JSON object"),
])
def test_bad_tool_calls_get_tool_results_naming_the_problem(name: str, args: str, choice: str, reason: str) -> None:
    req = LLMRequest([{"role": "user", "content": "mine"}], "act", tools=[MINE], tool_choice=choice)
    with pytest.raises(OutputError) as e:
        read_answer(req, "", [_call(name, args)], "tool_calls", "none")
    assistant, result, ask = e.value.feedback
    assert assistant["content"] == "" and assistant["tool_calls"][0]["function"]["name"] == name
    assert result["role"] == "tool" and result["tool_call_id"] == "c1" and reason in result["content"]
    assert ask["role"] == "user"


def test_required_tool_call_missing() -> None:
    req = LLMRequest([{"role": "user", "content": "mine"}], "act", tools=[MINE], tool_choice="mine")
    with pytest.raises(OutputError, match="the tool 'mine' had to be called"):
        read_answer(req, "I would rather chat.", [], "stop", "none")
    free = LLMRequest([{"role": "user", "content": "mine"}], "act", tools=[MINE], tool_choice="auto")
    assert read_answer(free, "I would rather chat.", [], "stop", "none").text == "I would rather chat."
