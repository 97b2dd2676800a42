"""The actions of block worlds, named and shaped as VillagerBench's API names them.

CraftWorld and the live Minecraft env share these specs, so an agent written for one runs on the
other. Container names (``from_name`` / ``to_name``) default to the world's usual container.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from causalmace.actions import Action, Wait

Facing = Literal["W", "E", "S", "N", "x", "y", "z", "A"]


class NavigateTo(Action):
    """Walk to position (x, y, z)."""

    name: Literal["navigateTo"] = "navigateTo"
    travel: ClassVar[bool] = True  # moving, not working: left out of a subtask's work
    x: int
    y: int
    z: int


class MineBlock(Action):
    """Dig the block at (x, y, z) and collect its drops; some blocks need a tool in the inventory."""

    name: Literal["MineBlock"] = "MineBlock"
    x: int
    y: int
    z: int


class PlaceBlock(Action):
    """Place an item from the inventory at (x, y, z), against a neighbouring block or the ground."""

    name: Literal["placeBlock"] = "placeBlock"
    item_name: str
    x: int
    y: int
    z: int
    facing: Facing = Field("A", description="W/E/S/N for a direction, x/y/z for an axis, A for any")


class CraftBlock(Action):
    """Craft an item from inventory ingredients; 3x3 recipes need a crafting_table within reach."""

    name: Literal["craftBlock"] = "craftBlock"
    item_name: str
    count: int = Field(1, ge=1, description="how many crafting operations to perform")


class SmeltingCooking(Action):
    """Smelt or cook items in a furnace within reach, burning fuel from the inventory."""

    name: Literal["SmeltingCooking"] = "SmeltingCooking"
    item_name: str = Field(description="the raw item to smelt, e.g. potato")
    item_count: int = Field(1, ge=1)
    fuel_item_name: str = "coal"


class WithdrawItem(Action):
    """Take items out of the nearest container (chest) within reach."""

    name: Literal["withdrawItem"] = "withdrawItem"
    item_name: str
    from_name: str = "chest"
    item_count: int = Field(1, ge=1)


class StoreItem(Action):
    """Put items from the inventory into the nearest container within reach."""

    name: Literal["storeItem"] = "storeItem"
    item_name: str
    to_name: str = "chest"
    item_count: int = Field(1, ge=1)


class HandoverBlock(Action):
    """Walk to a teammate and hand them items."""

    name: Literal["handoverBlock"] = "handoverBlock"
    target_player_name: str
    item_name: str
    item_count: int = Field(1, ge=1)


class ToggleAction(Action):
    """Flip a lever, press a button, or open/close a door, trapdoor or gate at (x, y, z)."""

    name: Literal["ToggleAction"] = "ToggleAction"
    item_name: str
    x: int
    y: int
    z: int


class ScanNearbyEntities(Action):
    """List positions of blocks or creatures with this name within a radius."""

    name: Literal["scanNearbyEntities"] = "scanNearbyEntities"
    item_name: str
    radius: int = Field(10, ge=1, le=64)
    item_num: int = -1


class FetchContainerContents(Action):
    """Read what the nearest container with this name holds."""

    name: Literal["fetchContainerContents"] = "fetchContainerContents"
    item_name: str = "chest"


class AttackTarget(Action):
    """Attack the nearest creature with this name until it dies; its drops go to the inventory."""

    name: Literal["attackTarget"] = "attackTarget"
    target_name: str


class UseItemOnEntity(Action):
    """Use an inventory item on the nearest creature with this name (e.g. a bucket on a cow)."""

    name: Literal["useItemOnEntity"] = "useItemOnEntity"
    item_name: str
    entity_name: str


class EquipItem(Action):
    """Hold or wear an item from the inventory."""

    name: Literal["equipItem"] = "equipItem"
    slot: Literal["hand", "head", "torso", "legs", "feet", "off-hand"] = "hand"
    item_name: str


ACTION_TYPES: tuple[type[Action], ...] = (
    NavigateTo, MineBlock, PlaceBlock, CraftBlock, SmeltingCooking, WithdrawItem, StoreItem,
    HandoverBlock, ToggleAction, ScanNearbyEntities, FetchContainerContents, AttackTarget,
    UseItemOnEntity, EquipItem, Wait,
)
