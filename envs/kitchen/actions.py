"""The kitchen's actions. Each docstring and field description is what an LLM agent sees as a tool."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from causalmace.actions import Action, Wait


class GoTo(Action):
    """Walk to a place of the kitchen (the pantry, the counter, the stove, the oven, the pass, the table)."""

    travel: ClassVar[bool] = True
    name: Literal["goTo"] = "goTo"
    place: str = Field(description="the place to walk to")


class Take(Action):
    """Take items from the storage where you stand: ingredients in the pantry, or what the team left on the pass."""

    name: Literal["take"] = "take"
    item: str = Field(description="the item to take")
    count: int = Field(1, ge=1, le=64, description="how many")


class Put(Action):
    """Put items you carry into the storage where you stand, e.g. on the pass so that a teammate can use them."""

    name: Literal["put"] = "put"
    item: str = Field(description="the item to put down")
    count: int = Field(1, ge=1, le=64, description="how many")


class Cook(Action):
    """Make one batch of an item at a station where you stand; its recipe's inputs come from what you carry."""

    name: Literal["cook"] = "cook"
    item: str = Field(description="the item to make")


class Serve(Action):
    """Serve a finished dish you carry to the guests; only at the table, and only dishes that were ordered."""

    name: Literal["serve"] = "serve"
    item: str = Field(description="the dish to serve")


ACTION_SPECS: tuple[type[Action], ...] = (GoTo, Take, Put, Cook, Serve, Wait)

__all__ = ["ACTION_SPECS", "Cook", "GoTo", "Put", "Serve", "Take", "Wait"]
