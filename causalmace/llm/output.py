"""Checking a model's answer against what was asked, and the message that asks it to fix one.

An answer is accepted when its JSON (read tolerantly) fits the request's schema, or when its tool
calls name tools that exist and their arguments fit those tools' parameters. Anything else becomes
an :class:`OutputError` whose ``feedback`` turns are appended to the conversation for one more try.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from causalmace.llm import LLMRequest, ToolCall
from causalmace.llm.jsonparse import parse_json
from causalmace.llm.schema import validate


class OutputError(ValueError):
    """An answer that arrived but cannot be used; ``kind`` is ``"length"`` or ``"invalid_output"``."""

    def __init__(self, kind: str, message: str, feedback: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.kind, self.feedback = kind, feedback


@dataclass(slots=True)
class Answer:
    text: str
    raw_text: str
    finish_reason: str | None
    tool_calls: list[ToolCall] = field(default_factory=list)
    parsed: Any = None


def tool_names(tools: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """Each tool's name and its parameters schema."""
    out: dict[str, dict[str, Any]] = {}
    for t in tools or []:
        fn = t.get("function", t)
        out[str(fn["name"])] = fn.get("parameters") or {}
    return out


def _tool_error(raw_calls: list[dict[str, Any]], text: str, problems: dict[int, str], ask: str) -> list[dict]:
    """Feedback for bad tool calls: the assistant turn (content "" as llama.cpp needs), one result per call."""
    turns: list[dict[str, Any]] = [{"role": "assistant", "content": text or "", "tool_calls": raw_calls}]
    for i, c in enumerate(raw_calls):
        turns.append({"role": "tool", "tool_call_id": c["id"],
                      "content": f"Error: {problems.get(i, 'not run, because another call was invalid')}"})
    turns.append({"role": "user", "content": ask})
    return turns


def _check_tool_calls(request: LLMRequest, text: str, raw_calls: list[dict[str, Any]]) -> list[ToolCall]:
    known = tool_names(request.tools)
    choice = request.tool_choice
    named = choice if choice not in (None, "auto", "none", "required") else None
    calls: list[ToolCall] = []
    problems: dict[int, str] = {}
    for i, c in enumerate(raw_calls):
        name, raw_args = c["function"]["name"], c["function"].get("arguments") or ""
        if name not in known:
            problems[i] = f"there is no tool {name!r}; the tools are {sorted(known)}"
            continue
        if named and name != named:
            problems[i] = f"call the tool {named!r}, not {name!r}"
            continue
        try:
            args = parse_json(raw_args, "{") if raw_args.strip() else {}
        except ValueError as e:
            problems[i] = f"the arguments are not a JSON object ({e})"
            continue
        errs = validate(args, known[name]) if known[name] else []
        if errs:
            problems[i] = "the arguments do not fit the parameters: " + "; ".join(errs)
            continue
        calls.append(ToolCall(name, args, c["id"]))
    if problems:
        first = next(iter(problems.values()))
        raise OutputError("invalid_output", f"bad tool call: {first}",
                          _tool_error(raw_calls, text, problems, "Call the tools again, correctly."))
    return calls


def _check_json(request: LLMRequest, text: str, json_mode: str) -> Any:
    assert request.schema is not None
    problem = ""
    try:
        value = parse_json(text)
    except ValueError as e:
        problem = str(e)
    else:
        errs = validate(value, request.schema)
        if not errs:
            return value
        problem = "the JSON does not fit the schema: " + "; ".join(errs)
    ask = f"That answer is not valid: {problem}. Answer again with one JSON value only, fitting the schema."
    if json_mode == "none":
        ask += f"\nJSON schema: {json.dumps(request.schema, separators=(',', ':'))}"
    raise OutputError("invalid_output", problem,
                      [{"role": "assistant", "content": text}, {"role": "user", "content": ask}])


def read_answer(request: LLMRequest, text: str, raw_calls: list[dict[str, Any]], finish_reason: str | None,
                json_mode: str) -> Answer:
    """The checked answer, or :class:`OutputError` saying what to fix."""
    if finish_reason == "length":
        raise OutputError("length", "the answer was cut off at the token limit",
                          [{"role": "assistant", "content": text},
                           {"role": "user", "content": "That answer was cut off at the token limit. "
                                                       "Give a shorter, complete answer."}])
    answer = Answer(text, text, finish_reason)
    if raw_calls:
        answer.tool_calls = _check_tool_calls(request, text, raw_calls)
        return answer
    choice = request.tool_choice
    if request.tools and choice not in (None, "auto", "none"):
        want = "one of the tools" if choice == "required" else f"the tool {choice!r}"
        raise OutputError("invalid_output", f"no tool call, but {want} had to be called",
                          [{"role": "assistant", "content": text},
                           {"role": "user", "content": f"Call {want} now."}])
    if request.schema is not None:
        answer.parsed = _check_json(request, text, json_mode)
        answer.text = json.dumps(answer.parsed, ensure_ascii=False)
    return answer
