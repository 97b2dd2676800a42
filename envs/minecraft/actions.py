"""Each block-world action as mineflayer and plugin calls, once the Judger has allowed it.

Positions in actions are task coordinates; the env's frame maps them to the server's. The game may still
refuse (ActionFailed) or run out of time (ActionTimeout): the env turns both into a refused result.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from causalmace.actions import Action
from causalmace.envs.blocks import actions as A
from causalmace.envs.blocks.judger import ENTITY_REACH, REACH, distance
from causalmace.judger import Refusal, RefusalKind
from causalmace.rules import Pos

from .errors import ActionFailed, ActionTimeout
from .frame import facing_of, properties, wall_form

if TYPE_CHECKING:
    from .env import MinecraftEnv

ARRIVED = 1.25  # blocks from the goal at which a walk counts as arrived (the bot stops near the cell's centre)
SETTLE_S = 1.0  # how long to wait for the server to show a switched lever, door or button
HIT_GAP_S = 0.1  # between two hits on a creature: the server applies each before the next is sent


class Refused(Exception):
    """An action the world cannot do, with the typed reason."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def _cell(v: tuple[float, float, float]) -> Pos:
    return (math.floor(v[0] + 0.5), math.floor(v[1] + 0.5), math.floor(v[2] + 0.5))


def walk(env: MinecraftEnv, agent: str, target: Pos, near: float = 0.0) -> str:
    """Walk by pathfinder to ``target`` (within ``near``); with no walking path, teleport or refuse."""
    live, bot = env.live, env.live.bots[agent]
    lx, ly, lz = env.frame.live(target)
    reason = ""
    try:
        bot.goto(lx, ly, lz, range=near, timeout=env.action_timeout_s)
    except (ActionFailed, ActionTimeout) as e:
        reason = str(e)
    live.clear_cache()
    if distance(live.position(agent), target) <= near + ARRIVED:
        return ""
    why = reason or "the walk ended short of it"
    if env.navigate_fallback != "teleport":
        raise Refused(Refusal(RefusalKind.UNREACHABLE, f"no walking path to {target}: {why}", pos=target))
    live.teleport(agent, (float(target[0]), float(target[1]), float(target[2])))
    env.teleports += 1
    return f" (teleported: {why})"


def act(env: MinecraftEnv, agent: str, action: Action) -> tuple[str, Any]:
    """Do ``action`` for ``agent``; returns the message and any data, as CraftWorld does."""
    live, bot, t = env.live, env.live.bots[agent], env.action_timeout_s
    if isinstance(action, A.NavigateTo):
        target = (action.x, action.y, action.z)
        return f"arrived at ({action.x},{action.y},{action.z})" + walk(env, agent, target), None
    if isinstance(action, A.MineBlock):
        pos = (action.x, action.y, action.z)
        was = live.block(pos)
        before = dict(live.inventory(agent))
        bot.dig(*env.frame.live(pos), timeout=t)
        env._known.pop(pos, None)
        live.clear_cache()
        live.sync_client(agent)
        after = live.inventory(agent)
        got = ", ".join(f"{n - before.get(i, 0)} {i}" for i, n in sorted(after.items()) if n > before.get(i, 0))
        return f"mined {was[0] if was else 'block'}, got {got or 'nothing'}", None
    if isinstance(action, A.PlaceBlock):
        pos = (action.x, action.y, action.z)
        placed = bot.place(action.item_name, *env.frame.live(pos), timeout=t)
        name, props = placed["name"], dict(placed.get("properties") or {})
        wall = wall_form(action.item_name) if action.facing in ("N", "S", "E", "W") else None
        if wall is not None and name != wall:  # a torch or sign facing a way hangs on a wall
            live.setblock(pos, wall, properties(action.facing))
            name = wall
        elif action.facing != "A" and facing_of(props) != action.facing:  # mineflayer cannot choose the facing
            live.setblock(pos, name, {**props, **properties(action.facing)})
        env._known[pos] = name
        live.clear_cache()
        live.sync_client(agent)
        return f"placed {action.item_name}", None
    if isinstance(action, A.CraftBlock):
        got = bot.craft(action.item_name, action.count)
        live.clear_cache()
        live.sync_client(agent)
        return f"crafted {got['count']} {got['item']}", None
    if isinstance(action, A.SmeltingCooking):
        got = bot.smelt(action.item_name, action.item_count, fuel=action.fuel_item_name)
        live.clear_cache()
        live.sync_client(agent)
        return f"smelted {got['count']} {got['item']}", None
    if isinstance(action, A.WithdrawItem | A.StoreItem | A.FetchContainerContents):
        return _container(env, agent, action)
    if isinstance(action, A.HandoverBlock):
        other = action.target_player_name
        note = walk(env, agent, _cell(env.position(other)), near=2.0)
        bot.plugin("transfer", to=other, item=action.item_name, count=action.item_count)
        live.clear_cache()
        live.sync_client(agent)
        live.sync_client(other)
        return f"gave {action.item_count} {action.item_name} to {other}" + note, None
    if isinstance(action, A.ToggleAction):
        return _toggle(env, agent, (action.x, action.y, action.z)), None
    if isinstance(action, A.ScanNearbyEntities):
        here = env.position(agent)
        found = [p for p, n in env._known.items()
                 if n == action.item_name and distance(here, p) <= action.radius
                 and (live.block(p) or ("",))[0] == action.item_name]
        alive = live.creatures() if env._creatures else set()
        found += [c.pos for cid, c in env.state.creatures.items() if c.name == action.item_name
                  and env._creatures.get(cid) in alive and distance(here, c.pos) <= action.radius]
        found.sort(key=lambda p: (distance(here, p), p))
        if action.item_num > 0:
            found = found[: action.item_num]
        return f"found {len(found)} {action.item_name}", found
    if isinstance(action, A.EquipItem):
        bot.equip(action.item_name, action.slot)
        return f"holding {action.item_name}", None
    if isinstance(action, A.AttackTarget):
        return _hunt(env, agent, action.target_name), None
    if isinstance(action, A.UseItemOnEntity):
        sid, note = _to_creature(env, agent, action.entity_name)
        got = bot.plugin("use_on", id=sid, item=action.item_name)
        live.clear_cache()
        live.sync_client(agent)
        return f"got {got['item']} from the {got['from']}" + note, None
    raise TypeError(f"unhandled action {action.name}")


def _to_creature(env: MinecraftEnv, agent: str, name: str) -> tuple[int, str]:
    """The nearest live creature named ``name`` (the Judger found one), walked to within reach: its entity id."""
    hit = env.nearest_entity(name, env.position(agent))
    assert hit is not None
    cid, pos = hit
    close = ENTITY_REACH - 1  # a block inside the reach: the server measures from where the bot really stands
    note = "" if distance(env.position(agent), pos) <= close else walk(env, agent, pos, near=close)
    return env._creatures[cid], note


def _hunt(env: MinecraftEnv, agent: str, name: str) -> str:
    """Hit the creature with the bot until the server has it dead; its drops come by the rule book."""
    live, bot = env.live, env.live.bots[agent]
    sid, note = _to_creature(env, agent, name)
    deadline = time.monotonic() + env.action_timeout_s
    hits = 0
    while sid in live.creatures():
        if time.monotonic() > deadline:
            raise ActionTimeout(f"the {name} was still alive after {hits} hits")
        try:
            bot.attack(entity_id=sid)
            hits += 1
        except ActionFailed:  # the bot's client has not seen the creature yet
            pass
        time.sleep(HIT_GAP_S)
        live.clear_cache()
    live.sync_client(agent)
    return f"killed {name} ({hits} hits)" + note


def _container(env: MinecraftEnv, agent: str, action: Action) -> tuple[str, Any]:
    live, bot = env.live, env.live.bots[agent]
    cname = action.to_name if isinstance(action, A.StoreItem) else (
        action.from_name if isinstance(action, A.WithdrawItem) else action.item_name)  # type: ignore[attr-defined]
    pos = env.nearest_block(cname, env.position(agent), REACH)
    assert pos is not None  # the Judger found it
    at = env.frame.live(pos)
    if isinstance(action, A.WithdrawItem):
        bot.withdraw(action.item_name, action.item_count, at=at)
        msg, data = f"took {action.item_count} {action.item_name}", None
    elif isinstance(action, A.StoreItem):
        bot.deposit(action.item_name, action.item_count, at=at)
        msg, data = f"stored {action.item_count} {action.item_name}", None
    else:
        data = bot.chest_contents(at=at)
        msg = f"{cname} holds {data}"
    live.clear_cache()
    live.sync_client(agent)
    return msg, data


def _toggle(env: MinecraftEnv, agent: str, pos: Pos) -> str:
    """Right-click the block, and wait until the server shows it switched."""
    live, bot = env.live, env.live.bots[agent]
    before = live.block(pos)
    bot.activate(*env.frame.live(pos))
    deadline = time.monotonic() + SETTLE_S
    now = before
    while time.monotonic() < deadline:
        live.clear_cache()
        now = live.block(pos)
        if now != before:
            break
        time.sleep(0.02)
    name = now[0] if now else "air"
    kind = env.rules.interactive.get(name)
    props = now[1] if now else {}
    if kind == "lever":
        state = "on" if props.get("powered") else "off"
    elif kind == "button":
        state = "pressed"
    else:
        state = "open" if props.get("open") else "closed"
    return f"{name} at {pos} is {state}"
