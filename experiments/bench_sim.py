"""CraftWorld throughput: judged actions per second and forks per second, in one process.

The causal refiner forks and replays worlds thousands of times per plan, so these two figures bound
how many interventions it can afford. Actions are cheap but realistic: walking between a chest and
a crafting table, chest traffic, a craft the rules refuse, and placing then mining a block by the
chest on a construction site. Every list is balanced (what is taken is put back) so it can loop.
Walks are real: a route over the voxel grid, cached by start, goal and world version. A separate
"detour" line walks round a wall with the route cache off, so each walk is a fresh search.

Realistic worlds too: the largest farm, the largest construction site with its structure standing (the
world a late step of the build sees), and a four-room escape run with its walls, doors and triggers.
Then whole episodes (plan, refine in forks, schedule, act with the scripted agent, write the trace):
every simulated action counted, in the episode itself and in the refiner's and the lower bound's
copies, as actions per second inside the simulator and per second of the episode's wall time.

    python experiments/bench_sim.py --actions 200000
    python experiments/bench_sim.py --profile   # where apply() spends its time
    python experiments/bench_sim.py --detour 3000   # also time uncached walks round a wall
    python experiments/bench_sim.py --episodes 10   # episodes per suite (0: none)
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from causalmace import registry
from causalmace.envs.blocks import actions as A
from causalmace.rules import Pos

if TYPE_CHECKING:
    from causalmace.envs.craftworld.env import CraftWorldEnv

FARMING = "craftworld/VillagerBench-Farming-v0"
CONSTRUCTION = "craftworld/VillagerBench-Construction-v0"
ESCAPE = "craftworld/VillagerBench-Escape-v0"

SIDES: tuple[Pos, ...] = ((1, 0, 0), (-1, 0, 0), (0, 0, 1), (0, 0, -1))
Workload = tuple["CraftWorldEnv", str, list[A.Action]]


def _free_beside(env: CraftWorldEnv, pos: Pos, avoid: Collection[Pos] = ()) -> Pos:
    for d in SIDES:
        cell = (pos[0] + d[0], pos[1] + d[1], pos[2] + d[2])
        if not env.solid(cell) and cell not in avoid:
            return cell
    raise RuntimeError(f"no free cell beside {pos}")


def _tasks(suite: str) -> list[Any]:
    from causalmace.envs.villagerbench.suites import load_tasks

    return load_tasks(suite)


def _block_pos(env: CraftWorldEnv, name: str) -> Pos:
    return min(p for p, b in env.state.blocks.items() if b is not None and b.name == name)


def farming_workload(task_index: int) -> Workload:
    """Shuttle between chest and crafting table, take and return an item, read the chest, fail a craft."""
    task = _tasks("farming")[task_index]
    env: CraftWorldEnv = registry.make(FARMING, task=task)
    env.reset(seed=0)
    agent = env.agents[0]
    chest = min(env.state.containers)
    item = sorted(env.state.containers[chest].items)[0]
    by_chest = _free_beside(env, chest)
    by_table = _free_beside(env, _block_pos(env, "crafting_table"), {by_chest})
    actions: list[A.Action] = [
        A.NavigateTo(x=by_chest[0], y=by_chest[1], z=by_chest[2]),
        A.FetchContainerContents(item_name="chest"),
        A.WithdrawItem(item_name=item),
        A.StoreItem(item_name=item),
        A.CraftBlock(item_name=task.goal.item),  # refused: the ingredients are still in the chest
        A.NavigateTo(x=by_table[0], y=by_table[1], z=by_table[2]),
        A.ScanNearbyEntities(item_name="crafting_table", radius=8),
        A.NavigateTo(x=by_chest[0], y=by_chest[1], z=by_chest[2]),
    ]
    return env, agent, actions


def construction_workload(task_index: int) -> Workload:
    """Take dirt from the site chest, place it on the ground next to the chest and mine it back."""
    env: CraftWorldEnv = registry.make(CONSTRUCTION, task=_tasks("construction")[task_index])
    env.reset(seed=0)
    agent = env.agents[0]
    chest = min(env.state.containers)
    stand = _free_beside(env, chest)
    env.apply(agent, A.NavigateTo(x=stand[0], y=stand[1], z=stand[2]))
    spot = _free_beside(env, chest, {stand})
    actions: list[A.Action] = [
        A.WithdrawItem(item_name="dirt", item_count=2),
        A.PlaceBlock(item_name="dirt", x=spot[0], y=spot[1], z=spot[2]),
        A.PlaceBlock(item_name="dirt", x=spot[0], y=spot[1], z=spot[2]),  # refused: occupied
        A.MineBlock(x=spot[0], y=spot[1], z=spot[2]),
        A.StoreItem(item_name="dirt", item_count=2),
        A.NavigateTo(x=stand[0], y=stand[1], z=stand[2] + 1),
        A.FetchContainerContents(item_name="chest"),
        A.NavigateTo(x=stand[0], y=stand[1], z=stand[2]),
    ]
    return env, agent, actions


def detour_workload() -> Workload:
    """Walk round a wall and back, a block coming and going by the chest, with no route cache: every walk
    is searched."""
    from causalmace.envs.craftworld.movement import Paths
    from causalmace.envs.craftworld.world import Block

    env: CraftWorldEnv = registry.make(CONSTRUCTION, task=_tasks("construction")[0])
    env.reset(0)
    env._paths = Paths(size=0)
    agent = env.agents[0]

    chest = min(env.state.containers)
    y = chest[1]
    for z in range(-4, 5):  # a wall two blocks high, eight blocks from the chest
        for h in (0, 1):
            env.state.set_block((chest[0] - 8, y + h, chest[2] + z), Block("stone"))
    stand = _free_beside(env, chest)
    env.apply(agent, A.NavigateTo(x=stand[0], y=stand[1], z=stand[2]))
    spot = _free_beside(env, chest, {stand})
    far = (chest[0] - 12, y, chest[2])
    actions: list[A.Action] = [
        A.WithdrawItem(item_name="dirt", item_count=1),
        A.PlaceBlock(item_name="dirt", x=spot[0], y=spot[1], z=spot[2]),
        A.NavigateTo(x=far[0], y=far[1], z=far[2]),
        A.NavigateTo(x=stand[0], y=stand[1], z=stand[2]),
        A.MineBlock(x=spot[0], y=spot[1], z=spot[2]),
        A.StoreItem(item_name="dirt", item_count=1),
    ]
    return env, agent, actions


def largest_construction_workload() -> Workload:
    """The construction task with the most blocks, its structure standing, and the site workload by the chest."""
    from causalmace.envs.craftworld.world import Block

    tasks = _tasks("construction")
    task = max(tasks, key=lambda t: (len(t.goal.target), t.id))
    env: CraftWorldEnv = registry.make(CONSTRUCTION, task=task)
    env.reset(seed=0)
    for pos, (name, facing) in sorted(task.goal.target.items()):
        env.state.set_block(pos, Block(name, facing))
    agent = env.agents[0]
    chest = min(env.state.containers)
    stand = _free_beside(env, chest)
    env.apply(agent, A.NavigateTo(x=stand[0], y=stand[1], z=stand[2]))
    spot = _free_beside(env, chest, {stand})
    far = _free_beside(env, stand, {spot, chest})
    actions: list[A.Action] = [
        A.WithdrawItem(item_name="dirt", item_count=2),
        A.PlaceBlock(item_name="dirt", x=spot[0], y=spot[1], z=spot[2]),
        A.MineBlock(x=spot[0], y=spot[1], z=spot[2]),
        A.StoreItem(item_name="dirt", item_count=2),
        A.NavigateTo(x=far[0], y=far[1], z=far[2]),
        A.FetchContainerContents(item_name="chest"),
        A.NavigateTo(x=stand[0], y=stand[1], z=stand[2]),
    ]
    return env, agent, actions


def escape_workload(rooms: int = 4) -> Workload:
    """The first escape run with ``rooms`` rooms: walk to the first room's controls and use them (a lever
    flipped twice, a button pressed, a plate stepped on), triggers watched after every action."""
    from causalmace.envs.villagerbench.suites import load_tasks

    tasks = [t for t in load_tasks("escape", n_agents=3) if t.id.startswith(f"escape_{rooms}r_")]
    env: CraftWorldEnv = registry.make(ESCAPE, task=tasks[0], agents=3)
    env.reset(seed=0)
    agent = env.agents[0]
    here = env.state.agents[agent].pos
    home = (int(round(here[0])), int(round(here[1])), int(round(here[2])))
    actions: list[A.Action] = []
    trigger = env.rules.triggers[0]
    for c in trigger.conditions:
        kind = env.rules.interactive.get(c.block)
        if kind == "plate":
            actions += [A.NavigateTo(x=c.pos[0], y=c.pos[1], z=c.pos[2])]
        elif kind in ("lever", "button"):
            actions += [A.ToggleAction(item_name=c.block, x=c.pos[0], y=c.pos[1], z=c.pos[2])] * (
                2 if kind == "lever" else 1)
    actions += [A.ScanNearbyEntities(item_name=trigger.conditions[0].block, radius=8),
                A.NavigateTo(x=home[0], y=home[1], z=home[2])]
    return env, agent, actions


def workloads(n_tasks: int) -> list[Workload]:
    """Small and large farms (large ones hold a few hundred blocks), and construction sites."""
    farms = _tasks("farming")
    big = max(range(len(farms)), key=lambda i: len(farms[i].world.blocks))
    farm_ix = sorted({*range(n_tasks - 1), big})
    return ([farming_workload(i) for i in farm_ix] + [construction_workload(i) for i in range(n_tasks)]
            + [largest_construction_workload(), escape_workload(4)])


def episodes(per_suite: int) -> list[tuple[str, int, int, float, float]]:
    """Whole episodes, with the trace written: (suite, episodes, actions, s inside the simulator, wall s).

    Every ``apply`` counts, the episode's own and those in the refiner's and the lower bound's copies.
    """
    import tempfile
    from pathlib import Path

    from causalmace.cli import resolve_config
    from causalmace.config import load_config
    from causalmace.envs.craftworld.env import CraftWorldEnv as Env
    from causalmace.runner import run_episode

    counted = {"n": 0, "s": 0.0}
    apply = Env.apply

    def timed(self: Env, agent: str, action: A.Action) -> Any:
        t0 = time.perf_counter()
        try:
            return apply(self, agent, action)
        finally:
            counted["s"] += time.perf_counter() - t0
            counted["n"] += 1

    out: list[tuple[str, int, int, float, float]] = []
    Env.apply = timed  # type: ignore[method-assign]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for suite in ("construction", "farming", "escape"):
                path = resolve_config(f"villagerbench/{suite}")
                ids = [t.id for t in _tasks(suite)]
                chosen = ids[:: max(1, len(ids) // per_suite)][:per_suite]
                counted["n"], counted["s"] = 0, 0.0
                t0 = time.perf_counter()
                for tid in chosen:
                    run_episode(load_config(path, task=tid), Path(tmp) / f"{suite}-{tid}")
                out.append((suite, len(chosen), counted["n"], counted["s"], time.perf_counter() - t0))
    finally:
        Env.apply = apply  # type: ignore[method-assign]
    return out


def run_actions(loads: Sequence[Workload], n: int) -> tuple[float, int, int]:
    """Round-robin over the workloads, one action at a time; returns seconds, accepted, refused."""
    plans = [(env.apply, agent, acts, len(acts)) for env, agent, acts in loads]
    accepted = refused = 0
    per = max(1, n // len(plans))
    t0 = time.perf_counter()
    for apply, agent, acts, k in plans:
        for i in range(per):
            if apply(agent, acts[i % k]).status:
                accepted += 1
            else:
                refused += 1
    return time.perf_counter() - t0, accepted, refused


def run_forks(loads: Sequence[Workload], n: int) -> float:
    per = max(1, n // len(loads))
    t0 = time.perf_counter()
    for env, _, _ in loads:
        for _ in range(per):
            env.fork()
    return time.perf_counter() - t0


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--actions", type=int, default=200_000)
    p.add_argument("--forks", type=int, default=2_000)
    p.add_argument("--tasks", type=int, default=3, help="tasks per suite")
    p.add_argument("--profile", action="store_true", help="print cProfile's top functions for the actions")
    p.add_argument("--detour", type=int, default=0, help="also time this many actions of uncached walks")
    p.add_argument("--episodes", type=int, default=6, help="whole episodes per suite (0: none)")
    args = p.parse_args(argv)

    loads = workloads(args.tasks)
    for env, _, acts in loads:  # one warm-up pass each, and a check that the lists still hold
        for a in acts:
            env.apply(env.agents[0], a)
    n = len(loads) * max(1, args.actions // len(loads))
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        run_actions(loads, n)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(20)
    secs, ok, bad = run_actions(loads, n)
    print(f"envs: {len(loads)} ({', '.join(e.task.id for e, _, _ in loads)})")
    print(f"actions: {ok + bad} in {secs:.3f} s")
    print(f"actions/s: {(ok + bad) / secs:.0f}")
    print(f"accepted: {ok} ({ok / (ok + bad):.1%})  rejected: {bad} ({bad / (ok + bad):.1%})")
    for env, agent, acts in loads:
        secs_one, ok1, bad1 = run_actions([(env, agent, acts)], min(20_000, n // len(loads)))
        rate = (ok1 + bad1) / secs_one
        print(f"  {env.task.id:<16} actions/s: {rate:>9.0f}  blocks: {len(env.state.blocks)}")
    if args.detour:
        detour = detour_workload()
        for a in detour[2]:
            assert detour[0].apply(detour[1], a).status, a
        dsecs, ok2, bad2 = run_actions([detour], args.detour)
        print(f"  detour (uncached, a walk round a wall in every 3 actions) actions/s: {(ok2 + bad2) / dsecs:>7.0f}")
    fresh = workloads(args.tasks)
    n_forks = len(fresh) * max(1, args.forks // len(fresh))
    fsecs = run_forks(fresh, n_forks)
    print(f"forks: {n_forks} in {fsecs:.3f} s")
    print(f"forks/s: {n_forks / fsecs:.0f}")
    for env, _, _ in fresh[-2:]:
        k = max(1, args.forks // 4)
        rate = k / run_forks([(env, "", [])], k)
        print(f"  {env.task.id:<16} forks/s: {rate:>9.0f}  blocks: {len(env.state.blocks)}")
    if args.episodes:
        print("whole episodes (scripted agents, trace written; refiner and lower-bound copies included):")
        for suite, n_ep, n_act, in_sim, wall in episodes(args.episodes):
            print(f"  {suite:<13} episodes: {n_ep:>3}  actions: {n_act:>7}  actions/s in the simulator: "
                  f"{n_act / in_sim:>8.0f}  actions/s of episode wall time: {n_act / wall:>7.0f}")


if __name__ == "__main__":
    main()
