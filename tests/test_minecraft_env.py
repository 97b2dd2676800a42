"""The live Minecraft env: VillagerBench tasks on a real flying-squid server, played by real mineflayer bots.

One server serves the module; each test's scene stands at its own origin on it. Tests that need a server of
their own (it is killed, or reached as an external one) start it themselves. Every node process is checked
gone by its pid.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from live_helpers import LIVE_MARKS, eventually, group_alive

pytestmark = LIVE_MARKS

mc = pytest.importorskip("causalmace.envs.minecraft")

from causalmace.agents.scripted import ScriptedSkillAgent  # noqa: E402
from causalmace.envs.blocks import actions as A  # noqa: E402
from causalmace.envs.check import check_env  # noqa: E402
from causalmace.envs.minecraft import suites  # noqa: E402
from causalmace.envs.protocol import Capability  # noqa: E402
from causalmace.execute import run_in_turn  # noqa: E402
from causalmace.judger import RefusalKind  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
_origins = itertools.count(1)


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    mc.ensure_node_modules()
    srv = mc.FlyingSquidServer()
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
    assert srv.pid is not None and not group_alive(srv.pid)


@pytest.fixture
def make(server: Any) -> Iterator[Callable[..., Any]]:
    """Envs on the shared server, each scene at its own origin; closed after the test, their bot hosts gone."""
    made: list[Any] = []

    def _make(suite: str, task: str, agents: int = 1, **options: Any) -> Any:
        options.setdefault("server", server)
        options.setdefault("origin", (next(_origins) * 200, 0))
        env = getattr(suites, f"make_{suite}")(task=task, agents=agents, **options)
        made.append(env)
        return env

    yield _make
    for env in made:
        pids = env.server_pids
        env.close()
        assert not any(group_alive(p) for p in pids), "a node process outlived its env"


def play_reference(env: Any) -> dict[str, tuple[bool, float]]:
    """The scripted agent, unchanged, runs the reference plan one subtask after another."""
    plan = env.reference_plan()
    return run_in_turn(env, plan, plan.topo_order(), lambda name: ScriptedSkillAgent(name))


def test_check_env_passes(make: Callable[..., Any]) -> None:
    env = make("construction", "task_0")
    check_env(env)
    assert env.capabilities == frozenset({Capability.REFERENCE})


def test_construction_is_built_and_scored_live(make: Callable[..., Any]) -> None:
    # task_11: fences, a log with an axis and four torches hung on its sides, one up a pillar
    env = make("construction", "task_11", agents=1)
    env.reset(0)
    bot = env.live.bots["Alice"]
    ground = env.frame.live((-9, -61, 0))
    assert ground[1] == 4 and bot.block(*ground)["name"] == "grass_block"  # the task's ground is the server's
    done = play_reference(env)
    assert all(ok for ok, _ in done.values()), done
    score = env.score()
    assert score.detail["block_hit_rate"] == 1.0 and score.completed
    torch = bot.block(*env.frame.live((-8, -58, 0)))
    assert torch["name"] == "wall_torch" and torch["properties"]["facing"] == "east"
    assert env.block((-9, -58, 0)) == ("stripped_oak_wood", "y")


def test_farming_cake_with_the_plugins_craft_and_chest(make: Callable[..., Any]) -> None:
    env = make("farming", "cake_1", agents=1)  # sugar_cane -> sugar -> cake, all from the chest
    env.reset(0)
    done = play_reference(env)
    assert all(ok for ok, _ in done.values()), done
    score = env.score()
    assert score.completed and score.detail["checkpoint_score"] == 100.0
    chest = env.survey().depot()
    assert chest is not None and env.live.bots["Alice"].block(*env.frame.live(chest))["name"] == "chest"
    assert "sugar_cane" not in env.container(chest)[0]  # taken out of the live chest and crafted
    assert env.inventory("Alice").get("cake") == 1 or env.container(chest)[0].get("cake") == 1


def test_escape_room_opens_when_two_bots_stand_on_its_plates(make: Callable[..., Any]) -> None:
    env = make("escape", "escape_1r_0", agents=2)
    env.reset(0)
    plates = [c.pos for c in env.rules.triggers[0].conditions]
    assert len(plates) == 2 and all(env.block(p)[0].endswith("pressure_plate") for p in plates)
    exits = env.state.rooms[0].exit_cells
    assert all(env.block(c) is not None for c in exits)  # the exit's trapdoors, gone once the room opens
    walls = [p for p, b in env.state.blocks.items() if b is not None and b.name == "stone_brick_wall"]
    assert walls and all((env.live.block(p) or ("air",))[0] == "stone_brick_wall" for p in walls)  # the server's
    out = env.state.rooms[0].center
    r = env.apply("Alice", A.NavigateTo(x=out[0] + 8, y=out[1], z=out[2]))  # beyond the room's side wall
    assert not r.status and r.refusal.kind is RefusalKind.WAY_CLOSED
    r = env.apply("Alice", A.NavigateTo(x=plates[0][0], y=plates[0][1], z=plates[0][2]))
    assert r.status, r.message
    seen = env.observe("Alice")
    assert seen["rooms_solved"] == [False] and "conditions_waiting" not in seen  # what a player sees, no more
    assert all(env.block(c) is not None for c in exits)  # one plate pressed: the way out is still shut
    shown = {tuple(c["pos"]): c["active"] for c in seen["controls"]}
    assert shown == {plates[0]: True, plates[1]: False}  # someone on the first plate, nobody on the second
    r = env.apply("Bob", A.NavigateTo(x=plates[1][0], y=plates[1][1], z=plates[1][2]))
    assert r.status, r.message
    assert env.observe("Bob")["rooms_solved"] == [True]
    bot = env.live.bots["Alice"]
    assert all(eventually(lambda c=c: bot.block(*env.frame.live(c))["name"] == "air") for c in exits)
    assert env.score().completed


def test_episode_through_the_runner_writes_the_same_result(server: Any, tmp_path: Path) -> None:
    from causalmace.config import load_config
    from causalmace.runner import run_episode

    cfg = load_config(ROOT / "configs/minecraft/escape.yaml", task="escape_1r_0", agents=2)
    cfg.env_options.update(server=server, origin=(next(_origins) * 200, 0))
    ep = run_episode(cfg, tmp_path)
    live = json.loads((tmp_path / "result.json").read_text())
    assert live["completed"] and live["env"] == "minecraft/VillagerBench-Escape-v0"
    sim_cfg = load_config(ROOT / "configs/villagerbench/escape.yaml", task="escape_1r_0", agents=2)
    sim = run_episode(sim_cfg, tmp_path / "sim").result
    assert set(ep.result) == set(sim)


def test_a_door_taken_away_goes_whole_so_split_rooms_open(server: Any, tmp_path: Path) -> None:
    """The server keeps a door's upper half when its lower half becomes air; the way out stayed shut at head
    height, and the three players of ``escape_3r_1`` never left the first two rooms."""
    from causalmace.config import load_config
    from causalmace.runner import run_episode

    cfg = load_config(ROOT / "configs/minecraft/escape.yaml", task="escape_3r_1", agents=3)
    cfg.env_options.update(server=server, origin=(next(_origins) * 200, 0))
    result = run_episode(cfg, tmp_path).result
    assert result["completed"] and result["completion"] == 1.0


def test_creatures_stand_in_the_scene_and_give_by_the_rule_book(make: Callable[..., Any]) -> None:
    env = make("farming", "cake_12", agents=1)  # milk comes from cows
    env.reset(0)
    assert "no creatures" not in env.world_text()
    cows = [c.pos for c in env.state.creatures.values() if c.name == "cow"]
    assert cows and env.nearest_entity("cow", env.position("Alice"))[1] in cows
    env.live.give("Alice", "bucket", 1)
    r = env.apply("Alice", A.UseItemOnEntity(item_name="bucket", entity_name="cow"))
    assert r.status, r.message
    assert env.inventory("Alice").get("milk_bucket") == 1 and not env.inventory("Alice").get("bucket")
    env.live.give("Alice", "iron_sword", 1)
    target = env.nearest_entity("cow", env.position("Alice"))
    r = env.apply("Alice", A.AttackTarget(target_name="cow"))
    assert r.status and "killed cow" in r.message, r.message
    assert env.inventory("Alice").get("beef") == 1 and env.inventory("Alice").get("leather") == 1
    other = env._creatures[env.nearest_entity("cow", env.position("Alice"))[0]]
    env.live.bots["Alice"].attack(entity_id=other)  # one hit with an iron sword in the pack: 10 - 6 health left
    health = {c["id"]: c["health"] for c in eventually(lambda: [
        c for c in env.live.editor.creatures() if c["id"] == other and c["health"] < 10])}
    assert health[other] == 4
    scan = env.apply("Alice", A.ScanNearbyEntities(item_name="cow", radius=64))
    assert sorted(scan.data) == sorted(p for p in cows if p != target[1])  # the others stand where they stood
    assert env.nearest_entity("cow", env.position("Alice")) != target
    before = set(env._creatures.values())
    env.reset(0)  # on a shared server the old scene's creatures go with it
    assert not before & env.live.creatures() and env.live.creatures() >= set(env._creatures.values())
    assert len(env._creatures) == len(env.state.creatures)


def test_a_hunt_and_what_waits_for_its_rabbit_complete_live(server: Any, tmp_path: Path) -> None:
    """flying-squid spawned no farm animals: the hunt, and the smelt and the stew waiting for its rabbit, never ran."""
    from causalmace.config import load_config
    from causalmace.runner import run_episode

    cfg = load_config(ROOT / "configs/minecraft/farming.yaml", task="rabbit_stew_34", agents=2)
    cfg.env_options.update(server=server, origin=(next(_origins) * 200, 0))
    ep = run_episode(cfg, tmp_path)
    done = {e["subtask"] for e in ep.trace.events if e["type"] == "subtask" and e["status"] == "done"}
    assert {"hunt_rabbit_2", "smelt_cooked_rabbit_3", "craft_rabbit_stew_7"} <= done
    assert ep.result["completed"] and ep.result["completion"] == 1.0


def test_a_server_that_cannot_spawn_creatures_gives_a_hunt_up_at_once(
        server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hunt used to be tried six times there, and so was each subtask waiting for its rabbit."""
    from causalmace.config import load_config
    from causalmace.envs.minecraft.errors import ActionFailed
    from causalmace.envs.minecraft.live import LiveWorld
    from causalmace.runner import run_episode

    def cannot(self: Any, name: str, pos: Any) -> int:
        raise ActionFailed(f"this server cannot spawn a {name}")

    monkeypatch.setattr(LiveWorld, "summon", cannot)
    cfg = load_config(ROOT / "configs/minecraft/farming.yaml", task="rabbit_stew_34", agents=2)
    cfg.env_options.update(server=server, origin=(next(_origins) * 200, 0))
    ep = run_episode(cfg, tmp_path)
    failed = [e for e in ep.trace.events if e["type"] == "subtask" and e["status"] == "failed"]
    given_up = {e["subtask"] for e in failed if e["abandoned"]}
    assert {"hunt_rabbit_2", "smelt_cooked_rabbit_3", "craft_rabbit_stew_7"} <= given_up
    assert sum(e["subtask"] in given_up for e in failed) == len(given_up)  # each refused once, then given up
    assert not ep.result["completed"] and ep.result["completion"] == 0.5


def test_a_walk_past_its_timeout_is_refused_not_hung(make: Callable[..., Any]) -> None:
    env = make("construction", "task_0", action_timeout_s=0.5, navigate_fallback="refuse")
    env.reset(0)
    t0 = time.monotonic()
    r = env.apply("Alice", A.NavigateTo(x=-2, y=-60, z=150))
    assert not r.status and r.refusal.kind is RefusalKind.UNREACHABLE and "timed out" in r.message
    assert time.monotonic() - t0 < 5
    assert env.clock("Alice") >= r.duration


def test_a_kicked_bot_rejoins_where_it_was_with_its_items(make: Callable[..., Any], server: Any) -> None:
    env = make("construction", "task_0")
    env.reset(0)
    r = env.apply("Alice", A.NavigateTo(x=-3, y=-60, z=0))
    assert env.apply("Alice", A.WithdrawItem(item_name="dirt", item_count=3)).status, r.message
    here = env.position("Alice")
    bot = env.live.bots["Alice"]
    mc.WorldEditor.of(server).command("kick Alice testing")
    assert eventually(lambda: not bot.connected)
    r = env.apply("Alice", A.PlaceBlock(item_name="dirt", x=-4, y=-60, z=1))
    assert r.status, r.message
    assert env.rejoins == 1 and bot.connected
    assert env.inventory("Alice") == {"dirt": 2}
    assert abs(env.position("Alice")[0] - here[0]) < 1 and abs(env.position("Alice")[2] - here[2]) < 1


def test_a_server_that_dies_ends_the_episode_with_a_clear_error() -> None:
    env = suites.make_construction(task="task_0", agents=1)  # its own server
    env.reset(0)
    pids = env.server_pids
    assert len(pids) == 2
    os.killpg(pids[0], signal.SIGKILL)  # the server; the bot host stays
    t0 = time.monotonic()
    with pytest.raises(mc.ServerGone, match="gone"):
        for _ in range(3):
            env.apply("Alice", A.NavigateTo(x=-2, y=-60, z=3))
    assert time.monotonic() - t0 < 20
    assert isinstance(mc.ServerGone("x"), RuntimeError)
    env.close()
    env.close()  # twice is fine
    assert not any(group_alive(p) for p in pids)


def test_external_server_scene_built_by_an_opped_bot() -> None:
    with mc.FlyingSquidServer(ops=("Alice",)) as srv:
        a = srv.address
        env = suites.make_construction(task="task_0", agents=1, server={
            "kind": "external", "host": a.host, "port": a.port, "version": a.version, "feet_y": 5})
        try:
            env.reset(0)
            assert not env.server_pids or all(p != srv.pid for p in env.server_pids)
            done = play_reference(env)
            assert all(ok for ok, _ in done.values()), done
            assert env.score().detail["block_hit_rate"] == 1.0
        finally:
            pids = env.server_pids
            env.close()
        assert srv.alive()  # an external server is never stopped by the env
    assert not any(group_alive(p) for p in [*pids, srv.pid])


def test_world_model_is_the_same_task_in_craftworld(make: Callable[..., Any]) -> None:
    env = make("farming", "cake_0", agents=2)
    model = env.world_model()
    assert Capability.FORK in model.capabilities and model.task is env.task and model.agents == env.agents
    assert model.survey() == env.survey()


def test_no_block_is_placed_where_a_player_stands(make: Callable[..., Any]) -> None:
    env = make("construction", "task_0", agents=2)
    env.reset(0)
    assert env.apply("Alice", A.NavigateTo(x=-3, y=-60, z=0)).status
    assert env.apply("Alice", A.WithdrawItem(item_name="dirt", item_count=1)).status
    assert env.apply("Bob", A.NavigateTo(x=-5, y=-60, z=1)).status
    r = env.apply("Alice", A.PlaceBlock(item_name="dirt", x=-5, y=-60, z=1))
    assert not r.status and r.refusal.kind is RefusalKind.OCCUPIED and "Bob" in r.message
    assert env.block((-5, -60, 1)) is None and env.inventory("Alice") == {"dirt": 1}
