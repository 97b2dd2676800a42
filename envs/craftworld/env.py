"""CraftWorld: a fast, deterministic, multi-agent Minecraft-like simulator.

Every action is judged by :func:`causalmace.judger.check` before it touches the world; a rejected
action costs a little simulated time and changes nothing else. Each agent has its own simulated
clock; the caller applies actions in clock order, so several agents act concurrently and the same
seed always gives the same result.

Agents walk (see :mod:`.movement`): a walk, and the walk to a creature or a teammate before acting on
it, follows a route over the blocks and takes its length in time; where there is none it is refused.
Where CraftWorld departs from Minecraft, it does so on purpose:

* an action's effect lands when it starts; a cell being dug takes no block and no pick from another
  agent until the dig is done, so two agents never work one cell at once;
* tools never wear out: durability is not modelled (a wooden pickaxe lasts 59 digs in Minecraft; a
  VillagerBench farm's reference plan digs at most two blocks that need a tool);
* a bucket fills only from a cow: no action uses an item on a block, in CraftWorld or in VillagerBench's API;
* agents take room: no block goes where a player's feet or head are, but players pass through each other.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from typing import Any

from causalmace.envs.blocks import actions as A
from causalmace.envs.blocks.judger import ENTITY_REACH, REACH, check, distance
from causalmace.envs.blocks.outcome import WorldFacts
from causalmace.envs.blocks.sight import CONTROLS, containers_in_reach, controls, steps_shown
from causalmace.envs.blocks.survey import Survey, survey_text
from causalmace.envs.blocks.text import rules_text
from causalmace.envs.craftworld import lanes, rooms
from causalmace.envs.craftworld.movement import Grid, Paths, Route
from causalmace.envs.craftworld.rules_data import remainders
from causalmace.envs.craftworld.world import ROOM_HALF, Block, Container, Vec, WorldState
from causalmace.envs.protocol import ActionResult, Capability
from causalmace.judger import Refusal, RefusalKind, Score
from causalmace.rules import Pos, RuleChange, RuleSet
from causalmace.tasks import Task

AGENT_NAMES = ("Alice", "Bob", "Cindy", "David", "Eve", "Frank", "Grace", "Heidi", "Ivan", "Judy",
               "Mallory", "Niaj")
REJECT_COST = 0.5  # seconds an agent loses on an action the Judger refuses
SIGHTS_KEPT = 4096  # (blocks' stamp, room) entries of controls kept


def agent_names(n: int) -> list[str]:
    return [AGENT_NAMES[i] if i < len(AGENT_NAMES) else f"Agent{i}" for i in range(n)]


_cell = rooms.cell


class CraftWorldEnv:
    """One task in CraftWorld. ``task.world`` is a :class:`WorldSetup`-like callable making the state."""

    capabilities = frozenset({Capability.FORK, Capability.RERULE, Capability.SNAPSHOT, Capability.REFERENCE})
    default_agent = "scripted"

    def __init__(self, task: Task, rules: RuleSet, n_agents: int = 1, think_time: float = 0.0,
                 env_id: str = "craftworld", reference: Any = None) -> None:
        if n_agents < 1:
            raise ValueError("n_agents must be at least 1")
        self.env_id = env_id
        self.task = task
        self.rules = rules
        self.n_agents = n_agents
        self.think_time = think_time
        self.agents = agent_names(n_agents)
        self.state: WorldState = task.world.build(self.agents, rules, random.Random(0))
        self._seed = 0
        self._reference = reference  # (task, rules, survey) -> TaskGraph: the correct plan, if known
        self._paths = Paths()  # shared with forks: routes are keyed by world version, which no two states share
        self._judged: tuple[str, Pos, int, Route] | None = None
        self._sights: dict[tuple[int, Pos, int], tuple[Any, tuple[tuple[Pos, str], ...]]] = {}  # shared with forks
        if reference is None:
            self.capabilities = self.capabilities - {Capability.REFERENCE}

    # ---- protocol -----------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> dict[str, dict[str, Any]]:
        self._seed = 0 if seed is None else int(seed)
        self.state = self.task.world.build(self.agents, self.rules, random.Random(self._seed))
        for t in self.rules.triggers:
            rooms.ensure(self, t)
        if self.rules.triggers:
            rooms.update(self, 0.0)
        return {a: self.observe(a) for a in self.agents}

    def action_specs(self) -> tuple[type[A.Action], ...]:
        return A.ACTION_TYPES

    def clock(self, agent: str) -> float:
        return self.state.agents[agent].clock

    def now(self) -> float:
        return max((a.clock for a in self.state.agents.values()), default=0.0)

    def apply(self, agent: str, action: A.Action) -> ActionResult:
        """Judge, then apply ``action`` for ``agent`` at that agent's clock."""
        st = self.state.agents[agent]
        # think time is paid per decision to act; standing still is none, and whatever an agent decides
        # once its wait is over pays its own think time, so a wait would otherwise pay it twice
        start = st.clock + (0.0 if isinstance(action, A.Wait) else self.think_time)
        refusal = check(self.rules, self, agent, action) or self._clash(agent, action, start)
        if refusal is not None:
            st.clock = start + REJECT_COST
            return ActionResult(False, refusal.message, REJECT_COST, refusal=refusal)
        msg, duration, data = self._execute(agent, action, start)
        end = start + duration
        st.clock = end
        if duration > 0 and not isinstance(action, A.Wait):  # waiting is not work
            st.busy += duration
            self.state.intervals.setdefault(agent, []).append((start, end))
        if self.rules.triggers:
            rooms.update(self, end)
        return ActionResult(True, msg, duration, data)

    def observe(self, agent: str) -> dict[str, Any]:
        """What the agent sees (see :mod:`causalmace.envs.blocks.sight`): never a trigger's hidden state."""
        st = self.state.agents[agent]
        obs: dict[str, Any] = {"position": st.pos, "inventory": dict(st.inventory), "time": st.clock,
                               "containers": containers_in_reach(
                                   ((p, c.name, c.items) for p, c in self.state.containers.items()), st.pos, REACH)}
        if self.state.rooms:
            shown = [(bool(ts and ts.fired), steps_shown(t, ts.registered if ts else {}, bool(ts and ts.fired)))
                     for t in self.rules.triggers for ts in (self.state.triggers.get(t.id),)]
            obs.update(room=self._room(st.pos), rooms_solved=[s for s, _ in shown],
                       rooms_progress=[n for _, n in shown], controls=self._controls(st),
                       teammates={a: self._room(o.pos) for a, o in self.state.agents.items() if a != agent})
        elif self.rules.triggers:
            obs.update(room=None, rooms_solved=[bool(self.state.triggers.get(t.id) and self.state.triggers[t.id].fired)
                                                for t in self.rules.triggers])
        else:
            obs.update(room=None, rooms_solved=[])
        return obs

    def _controls(self, st: Any) -> list[dict[str, Any]]:
        """The levers, buttons and plates in the room the agent stands in, as it sees them."""
        inside = self.state.room_at(st.pos)
        if inside is None:
            return []
        cells = self._room_controls(self.state.rooms[inside].center)
        feet = {_cell(a.pos) for a in self.state.agents.values()}

        def active(pos: Pos, name: str) -> bool:
            b = self.state.blocks[pos]
            kind = self.rules.interactive.get(name)
            if kind == "plate":
                return pos in feet
            if kind == "button":
                return st.clock - b.pressed_at <= rooms.BUTTON_PULSE
            return bool(b.powered)

        return controls(cells, self.rules.interactive.get, active)

    def _room_controls(self, center: Pos) -> tuple[tuple[Pos, str], ...]:
        """The controls' cells and names in the room around ``center``, in position order.

        They follow from the blocks' names, so they are kept by the state's stamp (a new one whenever a
        block changes) and read again only when a block changed.
        """
        interactive = self.rules.interactive
        key = (self.state.stamp, center, id(interactive))
        got = self._sights.get(key)
        if got is not None and got[0] is interactive:
            return got[1]
        cx, cy, cz = center
        blocks = self.state.blocks
        cells = [((x, y, z), b.name) for x in range(cx - ROOM_HALF, cx + ROOM_HALF + 1)
                 for z in range(cz - ROOM_HALF, cz + ROOM_HALF + 1) for y in range(cy - 1, cy + 9)
                 for b in (blocks.get((x, y, z)),) if b is not None]
        found = tuple((pos, name) for pos, name in sorted(cells) if interactive.get(name) in CONTROLS)
        if len(self._sights) >= SIGHTS_KEPT:
            self._sights.clear()
        self._sights[key] = (interactive, found)
        return found

    def facts(self) -> WorldFacts:
        """What a block-world goal is scored from."""
        triggers = {}
        for t in self.rules.triggers:
            ts = self.state.triggers.get(t.id)
            triggers[t.id] = (bool(ts and ts.fired), rooms.partial(t, ts) if ts and not ts.fired else float(
                bool(ts and ts.fired)))
        owners: dict[str, int] = {}
        for who in self.state.owners.values():
            owners[who] = owners.get(who, 0) + 1
        return WorldFacts(self.block_at, set(self.state.achieved), owners, triggers, self.n_agents)

    def score(self) -> Score:
        return self.task.goal.score(self.facts())  # type: ignore[attr-defined]

    def rules_text(self) -> str:
        return rules_text(self.rules, self.task.goal.wants())

    def world_text(self) -> str:
        return survey_text(self.survey())

    def close(self) -> None:
        return None

    def snapshot(self) -> tuple[WorldState, RuleSet]:
        return self.state.copy(), self.rules

    def restore(self, snap: tuple[WorldState, RuleSet]) -> None:
        self.state, self.rules = snap[0].copy(), snap[1]

    def reference_plan(self) -> Any:
        if self._reference is None:
            raise RuntimeError("this env does not declare the 'reference' capability: it has no reference plan")
        return self._reference(self.task, self.rules, self.survey())

    def min_travel(self, graph: Any) -> dict[str, dict[str, float]]:
        """Per subtask, the walking no schedule avoids (seconds), for the makespan lower bound."""
        from causalmace.envs.craftworld.travel import min_travel

        return min_travel(self, graph)

    def approach(self, agent: str, subtask: Any, by: float | None = None, pending: Sequence[Any] = ()
                 ) -> A.Action | None:
        """A walk toward where ``subtask`` starts that ends by the clock time ``by`` and keeps out of the
        way of the ``pending`` subtasks, for an agent with nothing to do until then."""
        from causalmace.envs.craftworld.standby import toward

        return toward(self, agent, subtask, by, pending)

    def intervals(self) -> dict[str, list[tuple[float, float]]]:
        return {a: list(v) for a, v in self.state.intervals.items()}

    def busy_times(self) -> list[float]:
        return [self.state.agents[a].busy for a in self.agents]

    def survey(self) -> Survey:
        st = self.state
        blocks: dict[str, list[Pos]] = {}
        for pos, b in st.blocks.items():
            if b is not None:
                blocks.setdefault(b.name, []).append(pos)
        containers = tuple(sorted((p, c.name, tuple(sorted(c.items.items())), c.lock)
                                  for p, c in st.containers.items()))
        first = st.agents[self.agents[0]].pos
        return Survey(
            containers=containers,
            blocks={k: tuple(sorted(v)) for k, v in blocks.items()},
            creatures=tuple(sorted((c.name, c.pos) for c in st.creatures.values() if c.alive)),
            spawn=(int(first[0]), int(first[1]), int(first[2])),
            ground_y=st.ground_y,
            start_items=tuple(sorted(st.agents[self.agents[0]].inventory.items())),
            depot_name=self.rules.depot,
        )

    # ---- optional capabilities (the causal refiner asks for them) ----------------------------
    def fork(self) -> CraftWorldEnv:
        if self.state.mutable is None:  # blocks only the toggles change in place; forks share the rest
            self.state.mutable = frozenset(self.rules.interactive)
        other = object.__new__(CraftWorldEnv)
        other.__dict__.update(self.__dict__)
        other.state = self.state.copy()
        return other

    def rerule(self, change: RuleChange) -> CraftWorldEnv:
        other = self.fork()
        other.rules = self.rules.changed(change)
        if other.rules.triggers:  # a trigger left with no condition fires at once
            rooms.update(other, other.now())
        return other

    # ---- WorldView -------------------------------------------------------------------------
    def position(self, agent: str) -> Vec:
        return self.state.agents[agent].pos

    def inventory(self, agent: str) -> Mapping[str, int]:
        return self.state.agents[agent].inventory

    def block_at(self, pos: Pos) -> tuple[str, str] | None:
        b = self.state.block(pos)
        return None if b is None else (b.name, b.facing)

    def block(self, pos: Pos) -> tuple[str, str] | None:
        return self.block_at(pos)

    def solid(self, pos: Pos) -> bool:
        return self.state.solid(pos)

    def nearest_block(self, name: str, near: Vec, radius: float) -> Pos | None:
        blocks = self.state.blocks
        # containers are few and asked for often: look among them only
        cands = self.state.containers if self.rules.interactive.get(name) == "container" else blocks
        best, best_d = None, radius
        for pos in cands:
            b = blocks.get(pos)
            if b is not None and b.name == name:
                d = distance(near, pos)
                if d <= best_d:
                    best, best_d = pos, d
        return best

    def container(self, pos: Pos) -> tuple[Mapping[str, int], str | None] | None:
        c = self.state.containers.get(pos)
        return None if c is None else (c.items, c.lock)

    def nearest_entity(self, name: str, near: Vec) -> tuple[int, Pos] | None:
        best: tuple[int, Pos] | None = None
        best_d = math.inf
        for cid, c in sorted(self.state.creatures.items()):
            if c.alive and c.name == name:
                d = distance(near, c.pos)
                if d < best_d:
                    best, best_d = (cid, c.pos), d
        return best

    def agent_names(self) -> Sequence[str]:
        return self.agents

    def path_blocked(self, agent: str, target: Pos) -> Refusal | None:
        """Whether ``agent`` can walk to stand at ``target``, and if not, what stops it."""
        route = self._route(agent, target)
        if route is not None:
            self._judged = (agent, target, self.state.version, route)  # the walk the Judger allowed, to take now
            return None
        if not Grid(self.state, self.rules).standable(target):
            return self._unreachable(agent, target, f"nothing to stand on at {target}")
        return self._unreachable(agent, target, f"no way to walk to {target}")

    def approach_blocked(self, agent: str, pos: Pos, reach: float) -> Refusal | None:
        """Whether ``agent`` can walk to within ``reach`` of ``pos`` (a creature, a teammate)."""
        if self._approach(agent, pos, reach) is not None:
            return None
        return self._unreachable(agent, pos, f"no way to walk within {reach:g} blocks of {pos}")

    def _unreachable(self, agent: str, target: Pos, why: str) -> Refusal:
        return rooms.way_closed(self, agent, target) or Refusal(RefusalKind.UNREACHABLE, why, pos=target)

    # ---- movement ----------------------------------------------------------------------------
    def _route(self, agent: str, goal: Pos) -> Route | None:
        return self._paths.route(self.state, self.rules, _cell(self.state.agents[agent].pos), goal)

    def _approach(self, agent: str, pos: Pos, reach: float) -> Route | None:
        return self._paths.approach(self.state, self.rules, _cell(self.state.agents[agent].pos), pos, reach)

    def _walk(self, agent: str, route: Route | None) -> float:
        """Move ``agent`` along ``route`` (the Judger has found it); returns the seconds it takes."""
        assert route is not None
        end = route.end
        self.state.agents[agent].pos = (float(end[0]), float(end[1]), float(end[2]))
        return route.cost / self.rules.durations.walk_speed

    def _fall(self, dug: Pos) -> None:
        """Agents whose floor (or the scaffold they climbed) was dug away drop onto the next one down."""
        grid: Grid | None = None
        for a in self.state.agents.values():
            here = _cell(a.pos)
            if abs(here[0] - dug[0]) > 1 or abs(here[2] - dug[2]) > 1 or here[1] < dug[1]:
                continue
            grid = grid or Grid(self.state, self.rules)
            if not grid.standable(here):
                down = grid.settle(here)
                a.pos = (float(down[0]), float(down[1]), float(down[2]))

    def _room(self, pos: Vec) -> int:
        return lanes.room_of(self.state, pos)

    def _clash(self, agent: str, action: A.Action, start: float) -> Refusal | None:
        """A cell another agent is still digging takes no other block and no other pick until it is done.

        A long action's effect lands when it starts; this keeps a dig and a placement from overlapping.
        """
        busy = self.state.busy_cells
        if not busy or not isinstance(action, A.MineBlock | A.PlaceBlock):
            return None
        pos = (action.x, action.y, action.z)
        held = busy.get(pos)
        if held is None:
            return None
        who, until = held
        if start >= until:
            del busy[pos]
            return None
        if who == agent:
            return None
        return Refusal(RefusalKind.OCCUPIED, f"{who} is still digging at {pos} until t={until:.2f}s", pos=pos)

    # ---- mechanics ---------------------------------------------------------------------------
    def give(self, agent: str, item: str, n: int) -> None:
        inv = self.state.agents[agent].inventory
        inv[item] = inv.get(item, 0) + n
        self._inventory_changed(agent)

    _give = give

    def _take(self, agent: str, item: str, n: int) -> None:
        inv = self.state.agents[agent].inventory
        left = inv.get(item, 0) - n
        if left > 0:
            inv[item] = left
        else:
            inv.pop(item, None)

    def _use_up(self, agent: str, item: str, n: int) -> None:
        """Take ``n`` of ``item`` as an ingredient or fuel; a container item leaves its container behind."""
        self._take(agent, item, n)
        back = remainders().get(item)
        if back is not None:
            self.give(agent, back, n)

    def _inventory_changed(self, agent: str) -> None:
        checkpoints = getattr(self.task.goal, "checkpoints", ())  # items a goal tracks as they are first held
        if not checkpoints:
            return
        inv = self.state.agents[agent].inventory
        for cp in checkpoints:
            have = inv.get(cp.name, 0)
            if have > 0 and cp.name not in self.state.owners:
                self.state.owners[cp.name] = agent
            if have >= cp.count:
                self.state.achieved.add(cp.name)

    def _dig_time(self, agent: str, block: str) -> float:
        """Tools speed digging up; they never wear out (deliberately, see the module's docstring)."""
        rule = self.rules.digging.get(block)
        d = self.rules.durations
        if rule is None or rule.hardness <= 0:
            return d.min_dig
        inv = self.state.agents[agent].inventory
        speed = 1.0
        if rule.tool_kind:
            for tool, s in self.rules.tool_speed.items():
                if s > speed and tool.endswith("_" + rule.tool_kind) and inv.get(tool, 0) > 0:
                    speed = s
        harvest = rule.tools is None or any(inv.get(t, 0) > 0 for t in rule.tools)
        return max(d.min_dig, rule.hardness * (1.5 if harvest else 5.0) / speed)

    def _execute(self, agent: str, action: A.Action, now: float) -> tuple[str, float, Any]:
        st = self.state.agents[agent]
        d = self.rules.durations
        if isinstance(action, A.NavigateTo):
            goal = (action.x, action.y, action.z)
            judged = self._judged
            if judged is not None and judged[0] == agent and judged[1] == goal and judged[2] == self.state.version:
                route: Route | None = judged[3]
            else:
                route = self._route(agent, goal)
            t = self._walk(agent, route)
            return f"arrived at ({action.x},{action.y},{action.z})", t, None
        if isinstance(action, A.MineBlock):
            pos = (action.x, action.y, action.z)
            b = self.state.block(pos)
            assert b is not None
            t = self._dig_time(agent, b.name)
            rule = self.rules.digging.get(b.name)
            drops = rule.drops if rule is not None else ((b.name, 1),)
            if rule is not None and rule.tools is not None and not any(
                st.inventory.get(x, 0) > 0 for x in rule.tools
            ):
                drops = ()
            self.state.set_block(pos, None)
            self.state.busy_cells[pos] = (agent, now + t)
            c = self.state.containers.pop(pos, None)
            for item, n in drops:
                self.give(agent, item, n)
            if c is not None:
                for item, n in c.items.items():
                    self.give(agent, item, n)
            self._fall(pos)
            got = ", ".join(f"{n} {i}" for i, n in drops) or "nothing"
            return f"mined {b.name}, got {got}", t, None
        if isinstance(action, A.PlaceBlock):
            pos = (action.x, action.y, action.z)
            self._take(agent, action.item_name, 1)
            self.state.set_block(pos, Block(action.item_name, action.facing))
            if self.rules.interactive.get(action.item_name) == "container":
                self.state.containers[pos] = Container(action.item_name)
            return f"placed {action.item_name}", d.place, None
        if isinstance(action, A.CraftBlock):
            recipe = self.rules.recipe_for(action.item_name, st.inventory)
            assert recipe is not None
            for name, count in recipe.inputs:
                self._use_up(agent, name, count * action.count)
            self.give(agent, recipe.output, recipe.count * action.count)
            return f"crafted {recipe.count * action.count} {recipe.output}", d.craft * action.count, None
        if isinstance(action, A.SmeltingCooking):
            rule = self.rules.smelting[action.item_name]
            fuel = math.ceil(action.item_count / self.rules.fuels[action.fuel_item_name])
            self._take(agent, action.item_name, action.item_count)
            self._use_up(agent, action.fuel_item_name, fuel)
            self.give(agent, rule.output, action.item_count)
            return (f"smelted {action.item_count} {rule.output}",
                    d.smelt_per_item * action.item_count, None)
        if isinstance(action, A.WithdrawItem | A.StoreItem | A.FetchContainerContents):
            cname = action.to_name if isinstance(action, A.StoreItem) else (
                action.from_name if isinstance(action, A.WithdrawItem) else action.item_name)
            pos = self.nearest_block(cname, st.pos, REACH)
            assert pos is not None
            c = self.state.containers[pos]
            if isinstance(action, A.WithdrawItem):
                left = c.items[action.item_name] - action.item_count
                if left:
                    c.items[action.item_name] = left
                else:
                    del c.items[action.item_name]
                self.give(agent, action.item_name, action.item_count)
                return f"took {action.item_count} {action.item_name}", d.container, None
            if isinstance(action, A.StoreItem):
                self._take(agent, action.item_name, action.item_count)
                c.items[action.item_name] = c.items.get(action.item_name, 0) + action.item_count
                return f"stored {action.item_count} {action.item_name}", d.container, None
            return f"{cname} holds {dict(c.items)}", d.scan, dict(c.items)
        if isinstance(action, A.HandoverBlock):
            other = self.state.agents[action.target_player_name]
            t = self._walk(agent, self._approach(agent, _cell(other.pos), ENTITY_REACH))
            self._take(agent, action.item_name, action.item_count)
            self.give(other.name, action.item_name, action.item_count)
            return f"gave {action.item_count} {action.item_name} to {other.name}", t + d.handover, None
        if isinstance(action, A.ToggleAction):
            pos = (action.x, action.y, action.z)
            b = self.state.blocks[pos]
            assert b is not None
            kind = self.rules.interactive.get(b.name)
            if kind == "lever":
                b.powered = not b.powered
                state = "on" if b.powered else "off"
            elif kind == "button":
                b.pressed_at = now + d.toggle
                state = "pressed"
            else:
                self.state.set_open(pos, b, not b.open)
                state = "open" if b.open else "closed"
            return f"{b.name} at {pos} is {state}", d.toggle, None
        if isinstance(action, A.ScanNearbyEntities):
            found: list[Pos] = []
            for pos, b in self.state.blocks.items():
                if b is not None and b.name == action.item_name and distance(st.pos, pos) <= action.radius:
                    found.append(pos)
            for c in self.state.creatures.values():
                if c.alive and c.name == action.item_name and distance(st.pos, c.pos) <= action.radius:
                    found.append(c.pos)
            found.sort(key=lambda p: (distance(st.pos, p), p))
            if action.item_num > 0:
                found = found[: action.item_num]
            return f"found {len(found)} {action.item_name}", d.scan, found
        if isinstance(action, A.AttackTarget):
            hit = self.nearest_entity(action.target_name, st.pos)
            assert hit is not None
            cid, cpos = hit
            c = self.state.creatures[cid]
            held = max((self.rules.weapon_damage.get(i, 1.0) for i in st.inventory), default=1.0)
            hits = math.ceil(c.health / max(held, 1.0))
            t = self._walk(agent, self._approach(agent, cpos, ENTITY_REACH)) + hits * d.attack_cooldown
            c.alive = False
            for item, n in self.rules.entities[c.name].drops:
                self.give(agent, item, n)
            return f"killed {c.name}", t, None
        if isinstance(action, A.UseItemOnEntity):
            hit = self.nearest_entity(action.entity_name, st.pos)
            assert hit is not None
            rule = self.rules.uses[(action.item_name, action.entity_name)]
            t = self._walk(agent, self._approach(agent, hit[1], ENTITY_REACH)) + d.use_on_entity
            if rule.consumes:
                self._take(agent, action.item_name, 1)
            self.give(agent, rule.gives, 1)
            return f"got {rule.gives}", t, None
        if isinstance(action, A.EquipItem):
            st.held = action.item_name
            return f"holding {action.item_name}", d.equip, None
        if isinstance(action, A.Wait):
            return "waited", action.seconds, None
        raise TypeError(f"unhandled action {action.name}")


__all__ = ["CraftWorldEnv", "agent_names"]
