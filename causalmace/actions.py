"""Typed agent actions: the base every env's action specs derive from, and their tool schemas.

Each action class's docstring and field descriptions are what an LLM sees: :func:`openai_tools`
turns an env's specs into OpenAI tool schemas, and :func:`parse_action` validates a tool call back
into an action of those specs. LLM output is validated, never evaluated.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Action(BaseModel):
    """An action spec. ``travel`` marks actions that only move the agent, which the makespan lower
    bound leaves out of a subtask's work (where an agent stands is not the subtask's)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    travel: ClassVar[bool] = False
    name: str

    def args(self) -> dict[str, Any]:
        return self.model_dump(exclude={"name"})


class Wait(Action):
    """Do nothing for a number of seconds (stand still, e.g. on a pressure plate)."""

    name: Literal["wait"] = "wait"
    seconds: float = Field(1.0, gt=0, le=600)


def spec_name(spec: type[Action]) -> str:
    return str(spec.model_fields["name"].default)


@lru_cache(maxsize=64)
def _by_name(specs: tuple[type[Action], ...]) -> dict[str, type[Action]]:
    return {spec_name(t): t for t in specs}


class UnknownAction(ValueError):
    pass


def parse_action(data: dict[str, Any], specs: tuple[type[Action], ...]) -> Action:
    """Validate a dict such as ``{"name": "craftBlock", "item_name": "cake"}`` into one of ``specs``.

    Raises :class:`UnknownAction` for a name not in ``specs`` and pydantic's ``ValidationError`` for
    bad arguments.
    """
    name = data.get("name") if isinstance(data, dict) else None
    spec = _by_name(specs).get(str(name))
    if spec is None:
        raise UnknownAction(f"unknown action {name!r}; known: {', '.join(sorted(_by_name(specs)))}")
    return spec.model_validate(data)


def openai_tool(spec: type[Action]) -> dict[str, Any]:
    """An OpenAI ``tools`` entry for one action spec."""
    schema = spec.model_json_schema()
    props = {k: v for k, v in schema.get("properties", {}).items() if k != "name"}
    for v in props.values():
        v.pop("title", None)
    required = [k for k in schema.get("required", []) if k != "name"]
    return {
        "type": "function",
        "function": {
            "name": spec_name(spec),
            "description": (spec.__doc__ or "").strip(),
            "parameters": {"type": "object", "properties": props, "required": required,
                           "additionalProperties": False},
        },
    }


def openai_tools(specs: tuple[type[Action], ...]) -> list[dict[str, Any]]:
    return [openai_tool(s) for s in specs]


__all__ = ["Action", "UnknownAction", "ValidationError", "Wait", "openai_tool", "openai_tools", "parse_action",
           "spec_name"]
