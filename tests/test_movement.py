"""CraftWorld walks its agents over the voxel grid, and a few smaller rules follow Minecraft."""

import math

import pytest

from causalmace.agents.scripted import ScriptedSkillAgent
from causalmace.envs.blocks import actions as A
from causalmace.envs.blocks.judger import distance
from causalmace.envs.craftworld.world import Block
from causalmace.envs.villagerbench.suites import make_construction, make_farming
from causalmace.judger import RefusalKind
from causalmace.solvable import run_plan

G = -60  # the construction sites' ground level: the first layer of air
WALK = 4.317
ENTITY_REACH = 3.0  # Minecraft's reach for creatures and players


def flat(agents: int = 1):
    """An open superflat site (task_0 has only its chest at (-4, G, 0)); agents start at (0, G, 0), (0, G, 1)..."""
    env = make_construction(task="task_0", agents=agents)
    env.reset(0)
    for i, a in enumerate(env.agents):
        env.state.agents[a].pos = (0.0, float(G), float(i))
    return env


def put(env, cells, name: str = "stone") -> None:
    for c in cells:
        env.state.blocks[c] = Block(name)
    if hasattr(env.state, "touch"):
        env.state.touch()


def go(env, x: int, y: int, z: int, agent: str = "Alice"):
    return env.apply(agent, A.NavigateTo(x=x, y=y, z=z))


def wall(x: int, zs: range, height: int) -> list[tuple[int, int, int]]:
    return [(x, G + h, z) for z in zs for h in range(height)]


def box(center: tuple[int, int, int], height: int = 2, r: int = 1) -> list[tuple[int, int, int]]:
    """A ring of blocks ``r`` away from ``center``, ``height`` tall."""
    cx, _, cz = center
    return [(cx + dx, G + h, cz + dz) for dx in range(-r, r + 1) for dz in range(-r, r + 1)
            if max(abs(dx), abs(dz)) == r for h in range(height)]


# ---- walking ----------------------------------------------------------------------------------


def test_open_ground_costs_the_straight_line() -> None:
    env = flat()
    r = go(env, 6, G, 3)
    assert r.status
    assert r.duration == pytest.approx((6 - 3 + 3 * math.sqrt(2)) / WALK)
    assert env.position("Alice") == (6.0, G, 3.0)


def test_a_wall_is_walked_around_not_through() -> None:
    env = flat()
    put(env, wall(3, range(-3, 4), 2))
    r = go(env, 6, G, 0)
    assert r.status
    assert r.duration > 6 / WALK * 1.5  # the way round the wall's end


def test_one_block_is_stepped_up_two_are_not() -> None:
    env = flat()
    put(env, [(1, G, 0)])
    r = go(env, 1, G + 1, 0)
    assert r.status and r.duration == pytest.approx((1 + env.rules.durations.climb_cost) / WALK)
    env = flat()
    put(env, [(1, G, 0), (1, G + 1, 0)])
    r = go(env, 1, G + 2, 0)
    assert not r.status and r.refusal.kind is RefusalKind.UNREACHABLE and r.refusal.pos == (1, G + 2, 0)


@pytest.mark.parametrize("height,ok", [(4, True), (5, False)])
def test_drops_are_bounded(height: int, ok: bool) -> None:
    env = flat()
    put(env, [(0, G + h, 0) for h in range(height)])
    env.state.agents["Alice"].pos = (0.0, float(G + height), 0.0)
    assert go(env, 2, G, 0).status is ok


def test_ladders_and_scaffold_columns_are_climbed_other_columns_are_not() -> None:
    env = flat()
    put(env, [(2, G + h, 0) for h in range(4)])
    put(env, [(1, G + h, 0) for h in range(4)], "ladder")
    r = go(env, 2, G + 4, 0)  # up the ladder, onto the wall
    assert r.status and r.duration >= 4 * env.rules.durations.climb_cost / WALK
    env = flat()
    put(env, [(1, G + h, 0) for h in range(4)], env.rules.scaffold)  # upstream's dirt ladder
    assert go(env, 1, G + 4, 0).status
    env = flat()
    put(env, [(1, G + h, 0) for h in range(4)], "stone")
    r = go(env, 1, G + 4, 0)
    assert not r.status and r.refusal.kind is RefusalKind.UNREACHABLE


def test_doors_pass_only_when_open() -> None:
    env = flat()
    put(env, [c for c in box((0, G, 0), 3) if c != (1, G, 0) and c != (1, G + 1, 0)])
    put(env, [(1, G, 0)], "oak_door")
    r = go(env, 4, G, 0)
    assert not r.status and r.refusal.kind is RefusalKind.UNREACHABLE
    assert env.apply("Alice", A.ToggleAction(item_name="oak_door", x=1, y=G, z=0)).status
    assert go(env, 4, G, 0).status


def test_plates_are_walked_through_lava_is_walked_round() -> None:
    env = flat()
    put(env, [(x, G, 0) for x in range(1, 5)], "oak_pressure_plate")
    r = go(env, 6, G, 0)
    assert r.status and r.duration == pytest.approx(6 / WALK)
    env = flat()
    for z in range(-2, 3):
        put(env, [(3, G - 1, z)], "lava")
    r = go(env, 6, G, 0)
    assert r.status and r.duration > 6 / WALK + 0.1


def test_a_target_in_the_air_or_sealed_off_is_refused_with_its_cell() -> None:
    env = flat()
    r = go(env, 3, G + 2, 0)
    assert not r.status and r.refusal.kind is RefusalKind.UNREACHABLE and r.refusal.pos == (3, G + 2, 0)
    assert "nothing to stand on" in r.message
    put(env, box((6, G, 0), 3))
    r = go(env, 6, G, 0)
    assert not r.status and r.refusal.kind is RefusalKind.UNREACHABLE and r.refusal.pos == (6, G, 0)
    assert env.position("Alice") == (0.0, G, 0.0)


def test_an_agent_whose_floor_is_dug_falls() -> None:
    env = flat(2)
    put(env, [(1, G, 0)], "dirt")
    env.state.agents["Alice"].pos = (1.0, G + 1.0, 0.0)
    assert env.apply("Bob", A.MineBlock(x=1, y=G, z=0)).status
    assert env.position("Alice") == (1.0, G, 0.0)


# ---- actions that walk to a creature or a teammate first ---------------------------------------


def test_handover_walks_within_reach_or_is_refused() -> None:
    env = flat(2)
    env.state.agents["Bob"].pos = (10.0, G, 0.0)
    env.state.agents["Alice"].inventory["dirt"] = 2
    r = env.apply("Alice", A.HandoverBlock(target_player_name="Bob", item_name="dirt"))
    assert r.status and env.inventory("Bob")["dirt"] == 1
    assert distance(env.position("Alice"), env.position("Bob")) <= ENTITY_REACH
    assert r.duration >= (10 - ENTITY_REACH) / WALK
    put(env, box((20, G, 0), 3, r=4))  # too far inside to reach over the wall
    env.state.agents["Bob"].pos = (20.0, G, 0.0)
    r = env.apply("Alice", A.HandoverBlock(target_player_name="Bob", item_name="dirt"))
    assert not r.status and r.refusal.kind is RefusalKind.UNREACHABLE
    assert env.inventory("Alice")["dirt"] == 1


@pytest.mark.parametrize("action", [A.AttackTarget(target_name="cow"),
                                    A.UseItemOnEntity(item_name="bucket", entity_name="cow")])
def test_creatures_are_walked_to_or_refused(action) -> None:
    env = make_farming(task="cake_12", agents=1)
    env.reset(0)
    env.state.agents["Alice"].inventory["bucket"] = 1
    cows = sorted(c.pos for c in env.state.creatures.values())
    y = env.state.ground_y
    env.state.agents["Alice"].pos = (8.0, float(y), 0.0)
    x0, z0, z1 = cows[0][0], cows[0][2], cows[-1][2]
    ring = [(x, y + h, z) for x in range(x0 - 4, x0 + 5) for z in range(z0 - 4, z1 + 5) for h in range(3)
            if max(abs(x - x0), max(z0 - z, z - z1, 0)) == 4]  # too far inside to reach over the wall
    sealed = env.fork()
    put(sealed, ring)
    r = sealed.apply("Alice", action)
    assert not r.status and r.refusal.kind is RefusalKind.UNREACHABLE
    r = env.apply("Alice", action)
    assert r.status
    assert min(distance(env.position("Alice"), c) for c in cows) <= ENTITY_REACH


# ---- routes are cached, by a world version no two states share -------------------------------


def test_routes_are_cached_and_never_stale() -> None:
    env = flat()
    paths = env._paths
    assert go(env, 8, G, 0).status and go(env, 0, G, 0).status
    misses = paths.misses
    assert go(env, 8, G, 0).status
    assert paths.misses == misses  # the same walk in the same world: found before
    fork = env.fork()
    put(fork, wall(4, range(-1, 2), 2))
    assert fork.apply("Alice", A.NavigateTo(x=0, y=G, z=0)).duration > 8 / WALK  # the fork's wall is walked round
    assert env.state.version != fork.state.version
    assert env.apply("Alice", A.NavigateTo(x=0, y=G, z=0)).duration == pytest.approx(8 / WALK)


# ---- the scripted agent stands on something it can walk to -------------------------------------


@pytest.mark.parametrize("task", ["task_13", "task_64", "task_94"])
def test_builders_never_hover_and_finish(task: str) -> None:
    """task_13 has a pole too tall to reach from the ground, task_64 a fence ring to get walled in by,
    task_94 a roof: the reference plan climbs a scaffold column, and every standing cell is supported."""
    from causalmace.envs.craftworld.movement import Grid

    env = make_construction(task=task, agents=1)
    env.reset(0)
    grid_of = []
    apply = env.apply

    def watch(agent, action):
        result = apply(agent, action)
        if isinstance(action, A.NavigateTo) and result.status:
            p = env.position(agent)
            grid_of.append(Grid(env.state, env.rules).standable((int(p[0]), int(p[1]), int(p[2]))))
        return result

    env.apply = watch
    n, failure = run_plan(env, ScriptedSkillAgent("Alice"))
    assert failure == "" and env.score().completed
    assert grid_of and all(grid_of)


# ---- smaller rules ---------------------------------------------------------------------------------


def test_a_cell_being_dug_takes_no_block_until_the_dig_is_done() -> None:
    env = flat(2)
    put(env, [(1, G, 0)], "dirt")
    env.state.agents["Bob"].inventory["dirt"] = 1
    env.state.agents["Bob"].pos = (2.0, float(G), 0.0)
    assert env.apply("Alice", A.MineBlock(x=1, y=G, z=0)).status  # the block goes now, the dig lasts on
    r = env.apply("Bob", A.PlaceBlock(item_name="dirt", x=1, y=G, z=0))
    assert not r.status and r.refusal.kind is RefusalKind.OCCUPIED and "Alice is still digging" in r.message
    env.apply("Bob", A.Wait(seconds=1.0))
    assert env.apply("Bob", A.PlaceBlock(item_name="dirt", x=1, y=G, z=0)).status


def test_a_cake_hands_back_its_three_buckets() -> None:
    env = make_farming(task="cake_0", agents=1)
    env.reset(0)
    env.apply("Alice", A.NavigateTo(x=-1, y=0, z=9))
    for item, n in (("milk_bucket", 3), ("sugar", 2), ("egg", 1), ("wheat", 3)):
        assert env.apply("Alice", A.WithdrawItem(item_name=item, item_count=n)).status
    assert env.apply("Alice", A.CraftBlock(item_name="cake")).status
    inv = env.inventory("Alice")
    assert inv["cake"] == 1 and inv["bucket"] == 3 and "milk_bucket" not in inv


@pytest.mark.parametrize("cell", [(0, G, 0), (0, G + 1, 0), (0, G, 1)])
def test_no_block_goes_where_a_player_stands(cell) -> None:
    env = flat(2)  # Alice at (0, G, 0), Bob at (0, G, 1)
    env.state.agents["Alice"].inventory["dirt"] = 1
    r = env.apply("Alice", A.PlaceBlock(item_name="dirt", x=cell[0], y=cell[1], z=cell[2]))
    assert not r.status and r.refusal.kind is RefusalKind.OCCUPIED and r.refusal.pos == cell


def test_a_bucket_does_nothing_to_water_deliberately() -> None:
    """Neither VillagerBench's actions nor CraftWorld's use an item on a block: a bucket fills only from a cow."""
    env = flat()
    env.state.agents["Alice"].inventory["bucket"] = 1
    put(env, [(1, G - 1, 0)], "water")
    r = env.apply("Alice", A.UseItemOnEntity(item_name="bucket", entity_name="water"))
    assert not r.status and r.refusal.kind is RefusalKind.NOT_POSSIBLE


def test_tools_never_wear_out_deliberately() -> None:
    """CraftWorld keeps no durability: a wooden pickaxe digs on for ever (Minecraft's breaks after 59 uses)."""
    env = flat()
    env.state.agents["Alice"].inventory["wooden_pickaxe"] = 1
    for z in range(-3, 4):
        for x in (1, 2):
            put(env, [(x, G, z)])
    for z in range(-3, 4):
        assert go(env, 0, G, z).status
        for x in (1, 2):
            assert env.apply("Alice", A.MineBlock(x=x, y=G, z=z)).status
    assert env.inventory("Alice")["wooden_pickaxe"] == 1
