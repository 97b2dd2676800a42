"""Live Minecraft layer against a real flying-squid on a free loopback port, with real mineflayer bots."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from live_helpers import LIVE_MARKS, eventually, group_alive

pytestmark = LIVE_MARKS

mc = pytest.importorskip("causalmace.envs.minecraft")

GROUND = 4  # superflat: bedrock 0, dirt 1-3, grass 4; players stand at y=5
FEET = GROUND + 1


@pytest.fixture(scope="module")
def live() -> Iterator[dict[str, Any]]:
    """One server, one bot host and three bots for the whole module; asserts no node process is left."""
    mc.ensure_node_modules()
    server = mc.FlyingSquidServer()
    t0 = time.monotonic()
    server.start()
    host = mc.BotHost().start()
    pids = [server.pid, host.pid]
    try:
        bots = {n: host.join(n, server.address) for n in ("alice", "bob", "carol")}
        timings = {"server_start": server.start_seconds, "joins": [b.join_seconds for b in bots.values()],
                   "setup": time.monotonic() - t0}
        yield {"server": server, "host": host, "bots": bots, "world": mc.WorldEditor.of(server),
               "timings": timings}
    finally:
        host.stop()
        server.stop()
    for pid in pids:
        assert pid is not None and not group_alive(pid), f"node process group {pid} outlived its owner"


def place_at(live: dict[str, Any], name: str, x: float, z: float, tries: int = 3) -> None:
    """Teleport ``name`` and wait until client and server agree it stands there.

    A long teleport: the client gets the chunks around the new place a moment later, and the server
    takes the client's word for where it stands (the plugin's reach checks read the server's). A
    player that has just joined can miss the command, and a position the client sent just before it can
    reach the server after it, so the command is sent again until both agree, as the env's own
    teleport does.
    """
    bot = live["bots"][name]

    def seen_there() -> bool:
        where = [p["position"] for p in live["world"].players() if p["name"] == name]
        return bool(where) and abs(where[0][0] - (x + 0.5)) < 0.5 and abs(where[0][2] - (z + 0.5)) < 0.5

    def client_there() -> bool:
        return abs(bot.position()[0] - (x + 0.5)) < 0.01 and abs(bot.position()[2] - (z + 0.5)) < 0.01

    def chunks_in() -> bool:
        return all(bot.block(x + dx, GROUND, z + dz) for dx in (-8, 0, 8) for dz in (-8, 0, 8))

    for _ in range(tries):
        live["world"].teleport(name, x + 0.5, FEET, z + 0.5)
        if eventually(client_there) and eventually(chunks_in) and eventually(seen_there, timeout=4.0):
            return
    raise AssertionError(f"{name} never stood at ({x}, {z}) for both client and server "
                         f"(client there: {client_there()}, chunks: {chunks_in()}, server: {seen_there()})")


def test_versions_come_from_our_node_modules(live: dict[str, Any]) -> None:
    v = live["host"].versions()
    assert v["mineflayerPath"].startswith(str(mc.install.SERVER_DIR / "node_modules"))
    assert v == {**v, **{k: mc.installed_versions()[k] for k in ("mineflayer", "minecraft-data")}}
    assert live["timings"]["server_start"] < 10


def test_three_bots_see_each_other(live: dict[str, Any]) -> None:
    bots = live["bots"]
    for i, name in enumerate(bots):
        place_at(live, name, 10 + 2 * i, 10)
    for name, bot in bots.items():
        others = set(bots) - {name}
        players = eventually(lambda b=bot, o=others: (p := b.players()) and all(p.get(n, {}).get("visible")
                                                                                 for n in o) and p)
        assert others <= set(players), players
        seen = {e["username"] for e in bot.entities(radius=64) if e["type"] == "player"}
        assert others <= seen
    assert {p["name"] for p in live["world"].players()} >= set(bots)


def test_dig_and_place_change_the_server_block(live: dict[str, Any]) -> None:
    alice, world = live["bots"]["alice"], live["world"]
    place_at(live, "alice", 100, 0)
    before = alice.inventory().get("dirt", 0)
    got = alice.dig(101, GROUND, 0)
    assert got["block"] == "grass_block"
    assert world.block(101, GROUND, 0)["name"] == "air"
    assert eventually(lambda: alice.inventory().get("dirt", 0) == before + 1)  # grass_block drops dirt
    placed = alice.place("dirt", 101, GROUND, 0)
    assert placed["name"] == "dirt"
    assert world.block(101, GROUND, 0)["name"] == "dirt"
    assert eventually(lambda: alice.inventory().get("dirt", 0) == before)


def test_give_counts_add_up(live: dict[str, Any]) -> None:
    bob, world = live["bots"]["bob"], live["world"]
    world.clear("bob")
    world.command("give bob stick 3")
    world.command("/give bob stick 4")  # the stock command concatenated these to "34"
    assert world.inventory("bob") == {"stick": 7}
    assert eventually(lambda: bob.inventory() == {"stick": 7}), bob.inventory()
    world.give("bob", "cobblestone", 70)  # past one stack
    assert eventually(lambda: bob.inventory().get("cobblestone") == 70)
    world.clear("bob")
    assert eventually(lambda: bob.inventory() == {})


def test_craft_needs_a_table_within_reach(live: dict[str, Any]) -> None:
    alice, world = live["bots"]["alice"], live["world"]
    place_at(live, "alice", 200, 0)
    world.clear("alice")
    world.give("alice", "oak_planks", 5)
    stick = alice.craft("stick")  # 2x2 recipe: no table needed
    assert stick["count"] == 4
    with pytest.raises(mc.ActionFailed, match="crafting_table"):
        alice.craft("wooden_pickaxe")
    world.setblock(206, FEET, 0, "crafting_table")  # 6 blocks away: still out of reach
    with pytest.raises(mc.ActionFailed, match="crafting_table"):
        alice.craft("wooden_pickaxe")
    world.setblock(202, FEET, 0, "crafting_table")
    got = alice.craft("wooden_pickaxe")
    assert got["item"] == "wooden_pickaxe"
    assert eventually(lambda: alice.inventory() == {"wooden_pickaxe": 1, "stick": 2})
    with pytest.raises(mc.ActionFailed, match="not enough|no recipe"):
        alice.craft("wooden_pickaxe")
    assert alice.inventory() == {"wooden_pickaxe": 1, "stick": 2}  # a failed craft takes nothing


def test_smelt_needs_furnace_and_fuel(live: dict[str, Any]) -> None:
    alice, world = live["bots"]["alice"], live["world"]
    place_at(live, "alice", 300, 0)
    world.clear("alice")
    world.give("alice", "raw_iron", 3)
    with pytest.raises(mc.ActionFailed, match="furnace"):
        alice.smelt("raw_iron", 3, fuel="coal")
    world.setblock(301, FEET, 1, "furnace")
    with pytest.raises(mc.ActionFailed, match="coal"):
        alice.smelt("raw_iron", 3, fuel="coal")
    world.give("alice", "coal", 2)
    got = alice.smelt("raw_iron", 3, fuel="coal")
    assert got == {"item": "iron_ingot", "count": 3, "fuel": "coal", "fuelUsed": 1}
    assert eventually(lambda: alice.inventory() == {"iron_ingot": 3, "coal": 1})


def test_chest_deposit_withdraw_and_contents(live: dict[str, Any]) -> None:
    carol, world = live["bots"]["carol"], live["world"]
    place_at(live, "carol", 400, 0)
    world.clear("carol")
    world.set_chest(402, FEET, 0, {"apple": 2})
    world.give("carol", "stick", 5)
    carol.deposit("stick", 3)
    assert carol.chest_contents() == {"apple": 2, "stick": 3}
    carol.withdraw("apple", 1, at=(402, FEET, 0))
    assert world.chest(402, FEET, 0) == {"apple": 1, "stick": 3}
    assert eventually(lambda: carol.inventory() == {"stick": 2, "apple": 1})
    with pytest.raises(mc.ActionFailed, match="holds"):
        carol.withdraw("apple", 5)
    place_at(live, "carol", 420, 0)
    with pytest.raises(mc.ActionFailed, match="within reach"):
        carol.chest_contents()


def test_handover_between_bots(live: dict[str, Any]) -> None:
    alice, bob, world = live["bots"]["alice"], live["bots"]["bob"], live["world"]
    world.clear("alice")
    world.clear("bob")
    place_at(live, "alice", 500, 0)
    place_at(live, "bob", 506, 0)
    world.give("alice", "bread", 3)
    alice.handover("bob", "bread", 2)
    assert eventually(lambda: bob.inventory() == {"bread": 2})
    assert alice.inventory() == {"bread": 1}


def test_two_bots_on_pressure_plates(live: dict[str, Any]) -> None:
    bob, carol, world = live["bots"]["bob"], live["bots"]["carol"], live["world"]
    plates = [(600, FEET, 3), (603, FEET, 3)]
    for x, y, z in plates:
        world.setblock(x, y, z, "stone_pressure_plate")
    place_at(live, "bob", 600, 0)
    place_at(live, "carol", 603, 0)
    assert world.plates() == []
    # Both walk at once, each from its own thread: calls into the bot host are thread-safe.
    walkers = [threading.Thread(target=b.goto, args=p, kwargs={"range": 0, "timeout": 20})
               for b, p in ((bob, plates[0]), (carol, plates[1]))]
    for t in walkers:
        t.start()
    for t in walkers:
        t.join(30)
    pressed = eventually(lambda: len(world.plates()) == 2 and world.plates())
    assert sorted((tuple(p["position"]), tuple(p["players"])) for p in pressed) == [
        (plates[0], ("bob",)), (plates[1], ("carol",))]
    assert all(world.block(*p)["properties"]["powered"] is True for p in plates)
    assert bob.plates() == pressed  # the same query, asked by a player
    bob.goto(600, FEET, 0, range=0, timeout=20)
    assert eventually(lambda: [p["players"] for p in world.plates()] == [["carol"]])
    assert world.block(*plates[0])["properties"]["powered"] is False


def test_disconnect_is_detected_and_rejoin_works(live: dict[str, Any]) -> None:
    host, server, world = live["host"], live["server"], live["world"]
    dave = host.join("dave", server.address)
    seen: list[str] = []
    dave.on_disconnect(lambda bot, reason: seen.append(reason))
    world.command("kick dave testing")
    assert eventually(lambda: not dave.connected)
    assert seen
    with pytest.raises(mc.Disconnected):
        dave.position()
    dave.rejoin()
    assert dave.connected and len(dave.position()) == 3
    dave.quit()


def test_action_timeout_stops_the_action(live: dict[str, Any]) -> None:
    alice = live["bots"]["alice"]
    place_at(live, "alice", 700, 0)
    t0 = time.monotonic()
    with pytest.raises(mc.ActionTimeout):
        alice.goto(700, FEET, 200, timeout=0.5)
    assert time.monotonic() - t0 < 3
    x, _, z = alice.position()
    assert z < 100  # stopped, not still walking to z=200
    time.sleep(0.3)
    assert abs(alice.position()[2] - z) < 1.0


def test_per_action_cost(live: dict[str, Any]) -> None:
    alice = live["bots"]["alice"]
    n = 50
    t0 = time.monotonic()
    for _ in range(n):
        alice.position()
    per_call = (time.monotonic() - t0) / n
    assert per_call < 0.05, per_call


def test_own_server_and_host_leave_no_process() -> None:
    with mc.FlyingSquidServer() as server, mc.BotHost() as host:
        bot = host.join("eve", server.address)
        assert bot.connected
        pids = [server.pid, host.pid]
    assert all(p is not None and not group_alive(p) for p in pids)
