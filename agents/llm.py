"""An agent whose decisions are an LLM's tool calls: the world's actions, plus ``done`` and ``give_up``.

Every answer is checked before anything happens. A tool the world does not have, arguments its action
spec refuses, or an answer with no tool call at all is refused with the reason and the model is asked
again (a bounded number of times); it is never executed and never evaluated. What the Judger says about
an executed action (its message, and the typed refusal as data) goes back to the model with a fresh
observation. The client is built on first use from the ``llm`` settings, so a policy made in another
process (a Ray Worker) builds its own there: clients do not travel.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from causalmace import registry
from causalmace.actions import Action, UnknownAction, ValidationError, openai_tools, parse_action
from causalmace.agent import Outcome, Usage
from causalmace.errors import UserError
from causalmace.graph import Subtask
from causalmace.judger import Refusal
from causalmace.llm import LLM, LLMRequest, LLMResponse
from causalmace.llm.errors import LLMError
from causalmace.llm.factory import close_llm
from causalmace.llm.jsonparse import parse_json

DONE, GIVE_UP = "done", "give_up"
OWN_TOOLS: tuple[dict[str, Any], ...] = (
    {"type": "function", "function": {
        "name": DONE, "description": "The subtask is finished.",
        "parameters": {"type": "object", "properties": {}, "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": GIVE_UP, "description": "The subtask cannot be finished; say why.",
        "parameters": {"type": "object", "properties": {"reason": {"type": "string"}}, "required": ["reason"],
                       "additionalProperties": False}}},
)
MAX_REFUSED_IN_ROW = 5  # refused answers in a row before the subtask fails: a model that cannot call tools
KEEP_TURNS = 6  # earlier turns are dropped from the conversation (the subtask and rules always stay)
MAX_FACTS = 3  # refusals handed to the runner's repair step when the subtask fails
LIMITS = {"rules": 1500, "params": 500, "observation": 700, "data": 300, "reason": 300}
_TEXT_CALL = re.compile(r"functions\.([A-Za-z_][\w.-]*)\s*:\s*(.*)", re.S)

# The same for every agent, and the agent's name comes in the first user turn: servers that keep a prompt
# prefix (llama.cpp's, OpenAI's prompt cache) then share the instructions and tool schemas across agents.
SYSTEM = ("You are one agent of a team sharing a world. You are given one subtask at a time. Act by calling "
          "exactly one tool per answer: one of the world's actions, `done` once the subtask is finished, or "
          "`give_up` with the reason when it cannot be finished. Every action is checked against the rules "
          "before it happens: a refused action changes nothing, and the reply says why, with what you see now.")


def brief(value: Any, limit: int) -> Any:
    """``value`` shortened until its JSON fits ``limit`` characters: long lists and strings are cut first,
    and what still does not fit becomes its JSON text cut short, as a string, so the result stays JSON."""
    for items, chars in ((16, 200), (6, 60), (3, 24)):
        small = _shorten(value, items, chars)
        if len(json.dumps(small, separators=(",", ":"))) <= limit:
            return small
    text = json.dumps(value, separators=(",", ":"), default=str)
    return text[:max(0, limit - 5)] + "..."


def _shorten(value: Any, items: int, chars: int) -> Any:
    if isinstance(value, dict):
        return {str(k): _shorten(v, items, chars) for k, v in value.items()}
    if isinstance(value, list | tuple):
        head = [_shorten(v, items, chars) for v in list(value)[:items]]
        return head + ([f"... {len(value) - items} more"] if len(value) > items else [])
    if isinstance(value, str) and len(value) > chars:
        return value[:chars] + "..."
    if isinstance(value, int | float | bool) or value is None:
        return value
    return str(value)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


@lru_cache(maxsize=32)
def _tools(specs: tuple[type[Action], ...]) -> tuple[dict[str, Any], ...]:
    """The world's actions as tools, then the agent's own; an action named like one of those is left out."""
    own = {t["function"]["name"] for t in OWN_TOOLS}
    return tuple(t for t in openai_tools(specs) if t["function"]["name"] not in own) + OWN_TOOLS


def refusal_fields(refusal: Refusal) -> dict[str, Any]:
    """The typed refusal as data: its kind and the fields it sets."""
    out: dict[str, Any] = {"kind": refusal.kind.value}
    for k in ("item", "pos", "group"):
        if getattr(refusal, k) is not None:
            out[k] = list(refusal.pos) if k == "pos" else getattr(refusal, k)
    if refusal.need or refusal.have:
        out.update(need=refusal.need, have=refusal.have)
    return out


def text_call(text: str) -> tuple[str, Any] | None:
    """A tool call written as text, as small models do: ``functions.NAME: {...}`` or a JSON object naming
    the tool (``{"name": ..., "arguments": {...}}``, or the arguments beside the name). Only read, never run."""
    m = _TEXT_CALL.search(text)
    if m:
        rest = m.group(2).strip()
        try:
            return m.group(1), parse_json(rest, "{") if rest else {}
        except ValueError:
            return m.group(1), rest
    try:
        obj = parse_json(text, "{")
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    fn = obj.get("function")
    if isinstance(fn, dict):
        obj = fn
    name = obj.get("name", obj.get("tool", fn if isinstance(fn, str) else None))
    if not isinstance(name, str):
        return None
    for key in ("arguments", "parameters", "args"):
        if key in obj:
            args = obj[key]
            if isinstance(args, str):
                try:
                    args = parse_json(args, "{")
                except ValueError:
                    pass
            return name, args
    return name, {k: v for k, v in obj.items() if k not in ("name", "tool", "function")}


class Refused(ValueError):
    """An answer that is not a usable tool call; the message goes back to the model."""


class LLMAgent:
    """Registered as the ``llm`` agent; ``llm`` are the settings of its model (an ``llm`` config section)."""

    observes_only = True  # it reads the world through observe(), action_specs() and rules_text() alone

    def __init__(self, *, agent_name: str, llm: dict[str, Any] | None = None, seed: int = 0, max_steps: int = 8,
                 **_: Any) -> None:
        self.name = agent_name
        self.settings = dict(llm or {})
        provider = str(self.settings.get("provider", "symbolic"))
        if provider == "symbolic":
            raise UserError("the llm agent needs a model that calls tools; the symbolic model only plans",
                            key="workers.llm.provider", expected="openai, local, replay or a plugin provider")
        self.provider, self.seed, self.max_steps = provider, seed, max_steps
        self._client: LLM | None = None
        self.refused = 0  # answers refused before reaching the world: unknown tool, bad arguments, no call
        self.actions = self.done = self.gave_up = self.out_of_steps = self.llm_errors = 0
        self._tries: dict[str, int] = {}
        self._head: list[dict[str, Any]] = []
        self._turns: list[list[dict[str, Any]]] = []
        self._pending: tuple[str, str, Any] | None = None  # (call id, tool, result) of the last action
        self._facts: list[Refusal] = []
        self._answers = self._done_steps = 0  # answers the model gave / actions it took, in this subtask
        self._ended = True
        self._outcome = Outcome(False, "no subtask started")

    # ---- the client -------------------------------------------------------------------------
    @property
    def usage(self) -> Usage:
        """What this agent's model spent (calls, tokens, retries, reformats, failures, cache hits)."""
        return self._client.usage if self._client is not None else Usage()

    def client(self) -> LLM:
        if self._client is None:
            self._client = registry.factory("llm", self.provider)(self.settings, seed=self.seed)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            close_llm(self._client)

    def stats(self) -> dict[str, int]:
        return {"refused_tool_calls": self.refused, "actions": self.actions, "done": self.done,
                "gave_up": self.gave_up, "out_of_steps": self.out_of_steps, "llm_errors": self.llm_errors}

    # ---- protocol ---------------------------------------------------------------------------
    def start(self, subtask: Subtask, world: Any) -> None:
        n = self._tries[subtask.id] = self._tries.get(subtask.id, 0) + 1
        params = _compact(brief(subtask.params, LIMITS["params"])) if subtask.params else "none"
        task = (f"You are {self.name}.\nSubtask {subtask.id} (try {n}): {subtask.description}\n"
                f"Target: {subtask.count} {subtask.target}\n"
                f"Details: {params}\n\nRules:\n{_cut(world.rules_text(), LIMITS['rules']) or 'none given'}\n\n"
                f"What you see:\n{self._observation(world)}")
        self._head = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": task}]
        self._turns, self._facts, self._pending = [], [], None
        self._answers, self._done_steps, self._ended = 0, 0, False
        self._outcome = Outcome(False, "not finished")

    def act(self, world: Any) -> Action | None:
        if self._ended:
            return None
        if self._pending is not None:
            self._turns[-1].append(self._result_message(world))
            self._pending = None
        refused_in_row = 0
        while refused_in_row < MAX_REFUSED_IN_ROW:
            if self._answers >= self.max_steps:
                self.out_of_steps += 1
                return self._end(False, f"no result within {self.max_steps} tool calls")
            try:
                resp = self.client().complete(LLMRequest(self._messages(), "act", tools=list(_tools(
                    world.action_specs())), tool_choice="auto"))
            except LLMError as e:
                self.llm_errors += 1
                return self._end(False, _cut(f"no usable answer from the model: {e}", LIMITS["reason"]))
            self._answers += 1
            call_id = f"call_{self._answers}"
            try:
                name, args = self._call(resp)
                if name == DONE:
                    self.done += 1
                    return self._end(True, "")
                if name == GIVE_UP:
                    self.gave_up += 1
                    reason = args.get("reason") if isinstance(args, dict) else None
                    return self._end(False, _cut(f"gave up: {reason or 'no reason given'}", LIMITS["reason"]))
                action = self._action(name, args, world)
            except Refused as r:
                self.refused += 1
                refused_in_row += 1
                self._turns.append(self._refusal_turn(resp, call_id, str(r)))
                continue
            self.actions += 1
            self._done_steps += 1
            self._turns.append([self._assistant(resp, call_id, name, action.args())])
            self._pending = (call_id, name, None)
            return action
        return self._end(False, f"no valid tool call in {MAX_REFUSED_IN_ROW} answers in a row")

    def feedback(self, result: Any) -> None:
        if self._pending is not None:
            self._pending = (self._pending[0], self._pending[1], result)
        refusal = getattr(result, "refusal", None)
        if refusal is not None:
            self._facts = [f for f in self._facts if f != refusal][-(MAX_FACTS - 1):] + [refusal]

    def outcome(self) -> Outcome:
        return self._outcome

    # ---- reading the answer -----------------------------------------------------------------
    def _call(self, resp: LLMResponse) -> tuple[str, Any]:
        if resp.tool_calls:
            return resp.tool_calls[0].name, resp.tool_calls[0].arguments
        found = text_call(resp.text or "")
        if found is None:
            raise Refused("no tool call in the answer; call exactly one of the tools")
        return found

    def _action(self, name: str, args: Any, world: Any) -> Action:
        if not isinstance(args, dict):
            raise Refused(f"the arguments of {name!r} are not a JSON object")
        if "name" in args:
            raise Refused(f"{name!r} takes no argument 'name'")
        try:
            return parse_action({**args, "name": name}, world.action_specs())
        except UnknownAction:
            known = sorted(t["function"]["name"] for t in _tools(world.action_specs()))
            raise Refused(f"there is no tool {name!r}; the tools are {', '.join(known)}") from None
        except ValidationError as e:
            problems = "; ".join(f"{'.'.join(map(str, err['loc'])) or 'arguments'}: {err['msg']}"
                                 for err in e.errors(include_input=False)[:4])
            raise Refused(f"bad arguments for {name!r}: {problems}") from None

    # ---- the conversation -------------------------------------------------------------------
    def _messages(self) -> list[dict[str, Any]]:
        return self._head + [m for turn in self._turns[-KEEP_TURNS:] for m in turn]

    def _observation(self, world: Any) -> str:
        return _compact(brief(world.observe(self.name), LIMITS["observation"]))

    @staticmethod
    def _assistant(resp: LLMResponse, call_id: str, name: str, args: Any) -> dict[str, Any]:
        """The answer as a tool call under our own id (provider ids may be random; prompts stay reproducible)."""
        raw = args if isinstance(args, str) else _compact(args)
        return {"role": "assistant", "content": "" if resp.tool_calls else (resp.text or ""),
                "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": raw}}]}

    def _refusal_turn(self, resp: LLMResponse, call_id: str, why: str) -> list[dict[str, Any]]:
        text = f"Refused, not run: {why}."
        if resp.tool_calls:
            c = resp.tool_calls[0]
            return [self._assistant(resp, call_id, c.name, c.arguments),
                    {"role": "tool", "tool_call_id": call_id, "name": c.name, "content": text}]
        return [{"role": "assistant", "content": _cut(resp.text or "", 600)}, {"role": "user", "content": text}]

    def _result_message(self, world: Any) -> dict[str, Any]:
        """What the Judger said about the last action, as data, with what the agent sees now."""
        assert self._pending is not None
        call_id, name, result = self._pending
        body: dict[str, Any] = {"step": self._done_steps, "steps_left": max(0, self.max_steps - self._answers),
                                "ok": bool(getattr(result, "status", False)),
                                "message": str(getattr(result, "message", "no result"))}
        if result is not None:
            body["duration"] = round(float(result.duration), 3)
            if result.refusal is not None:
                body["refusal"] = refusal_fields(result.refusal)
            if result.data is not None:
                body["data"] = brief(result.data, LIMITS["data"])
        body["observation"] = brief(world.observe(self.name), LIMITS["observation"])
        return {"role": "tool", "tool_call_id": call_id, "name": name, "content": _compact(body)}

    def _end(self, done: bool, reason: str) -> None:
        self._ended = True
        self._outcome = Outcome(done, reason, [] if done else list(self._facts))
        return None


__all__ = ["LLMAgent", "brief", "text_call"]
