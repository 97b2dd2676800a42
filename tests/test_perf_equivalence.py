"""The fast paths give the same answers as the plain ones they stand in for.

Rules looked up by item against a scan of every table, escape-room triggers watched by the laid-out
update against one that reads each condition afresh, forks that share blocks against parents that must
not see their changes, walks ruled out by a kept flood against a fresh search, one run read alone against
the whole suite, and the farming reference plan rolled back by undo against a copy taken beforehand.
"""

from __future__ import annotations

import pickle
import random
from dataclasses import asdict

import pytest
from pen import walled_pen

from causalmace import registry
from causalmace.envs.blocks import actions as A
from causalmace.envs.craftworld import movement, rooms
from causalmace.envs.craftworld.rules_data import base_rules
from causalmace.envs.craftworld.world import Block
from causalmace.envs.villagerbench import reference, suites
from causalmace.rules import RuleChange, RuleRef, RuleSet

ESCAPE = "craftworld/VillagerBench-Escape-v0"
FARMING = "craftworld/VillagerBench-Farming-v0"
CONSTRUCTION = "craftworld/VillagerBench-Construction-v0"


# ---- rules ---------------------------------------------------------------------------------
def scan_relevant(rules: RuleSet, items: list[str]) -> list[RuleRef]:
    """Every table read in turn: what ``RuleSet.relevant`` answers."""
    wanted = set(items)
    refs: list[RuleRef] = []
    for out, options in rules.recipes.items():
        for i, r in enumerate(options):
            if out in wanted or any(n in wanted for n, _ in r.inputs) or r.station in wanted:
                refs.append(RuleRef("recipe", out, i))
    for inp, s in rules.smelting.items():
        if inp in wanted or s.output in wanted:
            refs.append(RuleRef("smelt", inp))
    for f in rules.fuels:
        if f in wanted:
            refs.append(RuleRef("fuel", f))
    for b, d in rules.digging.items():
        if (b in wanted or (d.tools and wanted & d.tools)) and d.tools is not None:
            refs.append(RuleRef("dig", b))
    for (it, ent), u in rules.uses.items():
        if it in wanted or u.gives in wanted or ent in wanted:
            refs.append(RuleRef("use", f"{it}@{ent}"))
    for t in rules.triggers:
        if any(c.block in wanted for c in t.conditions):
            refs.append(RuleRef("trigger", t.id))
    if "support" in wanted:
        refs.append(RuleRef("support", "placement"))
    return refs


def test_rules_index_equals_a_scan_of_every_table() -> None:
    rules = base_rules()
    names = sorted(rules.items | rules.blocks | set(rules.entities))
    rng = random.Random(7)
    changed = rules.changed(RuleChange(RuleRef("recipe", "cake", 0), drop="egg"))
    changed = changed.changed(RuleChange(RuleRef("smelt", "potato")))
    for rs in (rules, changed):
        for k in (1, 2, 3, 6):
            for _ in range(150):
                items = rng.sample(names, k) + (["support"] if rng.random() < 0.2 else [])
                assert rs.relevant(items) == scan_relevant(rs, items)
    items = ["crafting_table", "wheat", "cake"]
    assert rules.relevant(items) == scan_relevant(rules, items)


def test_rules_index_follows_triggers_and_survives_pickling() -> None:
    env = registry.make(ESCAPE, task="escape_4r_1", agents=3)
    rules = env.rules
    blocks = sorted({c.block for t in rules.triggers for c in t.conditions})
    assert rules.relevant(blocks) == scan_relevant(rules, blocks)
    back = pickle.loads(pickle.dumps(rules))
    assert back == rules and back.relevant(blocks) == scan_relevant(rules, blocks)


# ---- escape-room triggers ----------------------------------------------------------------
def plain_update(env, now: float) -> None:  # noqa: ANN001 - the env under test
    """Each condition read afresh with ``condition_now``, as the laid-out update must read it."""
    for t in env.rules.triggers:
        ts = rooms.ensure(env, t)
        if ts.fired:
            continue
        if not t.conditions:
            rooms.fire(env, t, ts, now)
            continue
        keys = [(c.block, c.pos) for c in t.conditions]
        lowest = min((c.order for c, k in zip(t.conditions, keys, strict=True) if not ts.registered.get(k)),
                     default=None)
        by_order: dict[int, set] = {}
        for c, k in zip(t.conditions, keys, strict=True):
            if rooms.condition_now(env, c, now):
                by_order.setdefault(c.order, set()).add(c.pos)
                ts.last_true[k] = now
                if lowest is not None and c.order <= lowest:
                    ts.registered[k] = True
        for o, cells in by_order.items():
            if len(cells) > ts.best_by_order.get(o, 0):
                ts.best_by_order[o] = len(cells)
        counts: dict[int, set] = {}
        for c in t.conditions:
            if c.order < 1000:
                counts.setdefault(c.order, set()).add(c.pos)
        total = sum(len(v) for v in counts.values())
        part = sum(min(ts.best_by_order.get(o, 0), len(v)) for o, v in counts.items()) / total if total else 0.0
        ts.best_fraction = max(ts.best_fraction, part)
        if t.mode == "or":
            ok = any(ts.registered.get(k) for k in keys)
        else:
            top = max(c.order for c in t.conditions)
            final = [k for c, k in zip(t.conditions, keys, strict=True) if c.order == top]
            ok = all(ts.registered.get(k) for k in keys) and all(
                now - ts.last_true.get(k, -1e9) <= t.wait_interval for k in final)
        if ok:
            rooms.fire(env, t, ts, now)


def _trigger_view(env) -> list:  # noqa: ANN001
    out = []
    for tid, ts in sorted(env.state.triggers.items()):
        out.append((tid, sorted(ts.last_true.items()), sorted(ts.registered.items()), ts.fired, ts.fired_at,
                    ts.best_fraction, sorted(ts.best_by_order.items())))
    agents = sorted((a.name, a.pos) for a in env.state.agents.values())
    return [out, agents, _blocks(env)]


@pytest.mark.parametrize("task", ["escape_1r_0", "escape_2r_1", "escape_3r_2", "escape_4r_1"])
def test_trigger_update_equals_reading_every_condition(task: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random toggles, walks onto plates and placements, at clocks that go back and forth, in two copies."""
    fast = registry.make(ESCAPE, task=task, agents=3)
    plain = registry.make(ESCAPE, task=task, agents=3)
    fast.reset(0)
    plain.reset(0)
    conds = [(c.block, c.pos) for t in fast.rules.triggers for c in t.conditions]
    rng = random.Random(task)
    for step in range(300):
        agent = fast.agents[rng.randrange(len(fast.agents))]
        block, pos = conds[rng.randrange(len(conds))]
        kind = fast.rules.interactive.get(block)
        roll = rng.random()
        if roll < 0.1:
            action: A.Action = A.Wait(seconds=rng.choice([0.5, 1.0, 5.0]))
        elif kind == "plate" or roll < 0.3:
            action = A.NavigateTo(x=pos[0], y=pos[1], z=pos[2])
        elif kind in ("lever", "button", "door", "trapdoor", "gate"):
            action = A.ToggleAction(item_name=block, x=pos[0], y=pos[1], z=pos[2])
        else:
            action = A.PlaceBlock(item_name=block, x=pos[0], y=pos[1], z=pos[2])
        for env in (fast, plain):
            if block not in env.state.agents[agent].inventory and isinstance(action, A.PlaceBlock):
                env.give(agent, block, 1)
        r1 = fast.apply(agent, action)
        with monkeypatch.context() as m:
            m.setattr(rooms, "update", plain_update)
            r2 = plain.apply(agent, action)
        assert (r1.status, r1.message) == (r2.status, r2.message), step
        assert _trigger_view(fast) == _trigger_view(plain), step


# ---- forks -----------------------------------------------------------------------------------
def _blocks(env) -> dict:  # noqa: ANN001
    return {p: None if b is None else (b.name, b.facing, b.powered, b.open, b.pressed_at)
            for p, b in env.state.blocks.items()}


def test_forks_share_blocks_yet_never_see_each_others_changes() -> None:
    env = registry.make(ESCAPE, task="escape_4r_1", agents=3)
    env.reset(0)
    before = _blocks(env)
    child = env.fork()
    toggles = [(c.block, c.pos) for t in env.rules.triggers for c in t.conditions
               if env.rules.interactive.get(c.block) in ("lever", "button", "door", "trapdoor", "gate")]
    assert toggles
    for _, pos in toggles:  # levers flipped, buttons pressed, doors opened in the fork only
        b = child.state.blocks.get(pos)
        if b is not None:
            if b.name.endswith(("_door", "_trapdoor", "_gate")):
                child.state.set_open(pos, b, not b.open)
            else:
                b.powered = not b.powered
                b.pressed_at = 5.0
    plain = next(p for p, b in child.state.blocks.items() if b is not None and b.name not in child.state.mutable)
    child.state.set_open(plain, child.state.blocks[plain], True)  # an effect that opens any block
    child.state.set_block((0, 90, 0), Block("stone"))
    assert _blocks(env) == before
    grandchild = child.fork()
    env.state.set_open(plain, env.state.blocks[plain], True)
    assert child.state.blocks[plain].open and not before[plain][3]
    assert _blocks(grandchild) == _blocks(child)
    snap = env.snapshot()
    assert _blocks(env) == {**before, plain: before[plain][:3] + (True,) + before[plain][4:]}
    env.restore(snap)
    assert pickle.loads(pickle.dumps(snap))[0].blocks.keys() == snap[0].blocks.keys()


def test_a_toggle_placed_after_the_first_fork_is_still_a_forks_own() -> None:
    env = registry.make(ESCAPE, task="escape_4r_1", agents=3)
    env.reset(0)
    env.fork()  # the first fork notes where the toggles stand
    lever = next(n for n, kind in env.rules.interactive.items() if kind == "lever")
    env.state.set_block((0, 90, 0), Block(lever))  # a lever placed since: a copy must get its own
    child = env.fork()
    child.state.blocks[(0, 90, 0)].powered = True
    assert not env.state.blocks[(0, 90, 0)].powered
    env.state.set_block((0, 90, 0), Block("stone"))  # a toggle replaced: its place holds a shared block again
    assert env.fork().state.blocks[(0, 90, 0)] is env.state.blocks[(0, 90, 0)]


def test_a_fork_runs_as_its_parent_would() -> None:
    env = registry.make(FARMING, task="rabbit_stew_63", agents=2)
    env.reset(0)
    twin = registry.make(FARMING, task="rabbit_stew_63", agents=2)
    twin.reset(0)
    twin_start = twin.state.version
    fork = env.fork()
    chest = min(env.state.containers)
    item = sorted(env.state.containers[chest].items)[0]
    stand = next((chest[0] + dx, chest[1], chest[2] + dz) for dx, dz in ((1, 0), (-1, 0), (0, 1), (0, -1))
                 if not env.solid((chest[0] + dx, chest[1], chest[2] + dz)))
    script = [A.NavigateTo(x=stand[0], y=stand[1], z=stand[2]), A.WithdrawItem(item_name=item),
              A.MineBlock(x=chest[0], y=chest[1], z=chest[2]), A.PlaceBlock(item_name="chest", x=chest[0],
                                                                            y=chest[1], z=chest[2])]
    for action in script:
        r1, r2 = fork.apply(fork.agents[0], action), twin.apply(twin.agents[0], action)
        assert (r1.status, r1.message) == (r2.status, r2.message)
    assert _blocks(fork) == _blocks(twin)
    assert fork.state.version ^ env.state.version == twin.state.version ^ twin_start


# ---- walks -------------------------------------------------------------------------------------
def test_kept_floods_answer_as_a_fresh_search() -> None:
    """A walled pen and a roof: from inside and outside, every cell around is asked for in turn."""
    env = walled_pen()
    st = env.state
    y = st.ground_y
    paths = movement.Paths()
    rng = random.Random(3)
    starts = [(20, y, 0), (10, y, 0), (20, y + 4, 0)]
    goals = [(20 + rng.randint(-9, 9), y + rng.randint(-1, 4), rng.randint(-9, 9)) for _ in range(300)]
    for start in starts:
        for goal in goals:
            want = movement.find_route(movement.Grid(st, env.rules), start, goal)
            assert paths.route(st, env.rules, start, goal) == want, (start, goal)
        for goal in goals[:80]:
            want = movement.find_approach(movement.Grid(st, env.rules), start, goal, 2.5)
            assert paths.approach(st, env.rules, start, goal, 2.5) == want, (start, goal)


# ---- one run read alone ----------------------------------------------------------------------------
@pytest.mark.parametrize(("suite", "agents"), [("construction", 1), ("farming", 1), ("escape", 2), ("escape", 4)])
def test_a_run_read_alone_is_the_run_of_the_whole_suite(suite: str, agents: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    whole = {t.id: t for t in suites.load_tasks(suite, n_agents=agents)}
    monkeypatch.setattr(suites, "_LOADED", set())
    suites._shipped_task.cache_clear()
    ids = sorted(whole)[:: max(1, len(whole) // 12)]
    for tid in ids:
        assert pickle.dumps(suites.get_task(suite, tid, agents)) == pickle.dumps(whole[tid])
    suites._shipped_task.cache_clear()


def test_an_unknown_run_is_still_refused_by_name() -> None:
    from causalmace.errors import UserError

    with pytest.raises(UserError, match="no task 'cake_999'"):
        suites.get_task("farming", "cake_999")


# ---- the farming reference plan ---------------------------------------------------------------------
def _graph_view(g) -> tuple:  # noqa: ANN001
    return ([asdict(s) for s in g.subtasks()], [(a, b, asdict(g.record(a, b))) for a, b in g.g.edges],
            {n: list(g.g.predecessors(n)) for n in g.g.nodes})


def test_a_rolled_back_plan_is_the_copy_taken_before(monkeypatch: pytest.MonkeyPatch) -> None:
    copies: list = []
    snap, restore = reference._Farm._snap, reference._Farm._restore

    def snap_and_copy(self):  # noqa: ANN001, ANN202
        copies.append(self.graph.copy())
        return snap(self), len(copies) - 1

    def restore_and_compare(self, s) -> None:  # noqa: ANN001
        restore(self, s[0])
        assert _graph_view(self.graph) == _graph_view(copies[s[1]])

    monkeypatch.setattr(reference._Farm, "_snap", snap_and_copy)
    monkeypatch.setattr(reference._Farm, "_restore", restore_and_compare)
    for tid in ("cake_0", "cake_17", "rabbit_stew_0", "rabbit_stew_63"):
        registry.make(FARMING, task=tid, agents=2).reference_plan()
    assert len(copies) > 50
