"""A list scheduler that measures durations, knows where its agents stand, and keeps to the longest path.

Ready subtasks are ranked by the longest remaining path to the end (HEFT's upward rank, as the
``upward_rank`` yardstick does), with these changes, which ``experiments/optimal.py`` measured against the
proven optimum:

* **Durations tried, then measured.** Where the world can be copied, each subtask is first tried once
  in a copy, in plan order, by the env's own agent, as the causal refiner's trial runs do: its time
  there (walking and thinking included) replaces the planner's estimate, which leaves both out, and not
  by the same factor for every kind (a craft takes about 3.3 times its estimate, a smelt 1.7). During the
  episode each kind's durations are then scaled by what that kind has really taken so far (a kind not
  seen yet by the ratio of all kinds seen).
* **Where agents stand.** Ready subtasks whose ranks are within ``tie`` of the longest count as
  equally urgent; they go to the free agents (this one and teammates whose turn comes within
  ``hold_s``) so that the last to finish is done soonest, then all are (HEFT's earliest-finish choice
  of processor, where walking is what tells free agents apart). How long an agent would take is tried
  in a copy of the world from where it stands (walls and doors included), else taken as the straight
  distance to where the subtask starts. Less urgent subtasks go, by rank, to the nearest free agent
  left. An agent for which teammates free as soon are better placed for everything ready waits for the
  next change, but only while someone works. The most urgent work whose first step every free agent
  is refused in such a copy (a lever behind a room still shut, when the plan's edge to it was pruned)
  is left for a later decision; in ``escape_4r_1`` with 2 agents both players no longer lose a
  second each on it at the start (13.5 s to 11.35 s).

* **Kept free for what comes.** An agent does not start work that would still be under way when more
  urgent work becomes ready that no teammate will be free to take (free by then, on the durations
  above), as long as the work it leaves can start late enough not to become the longest path (by a
  teammate free later, or by itself after the urgent work): it waits, while someone works. In
  ``rabbit_stew_63`` with 3 agents the coal feeds both smelts, and the agent that used to start on the
  mushrooms just before it came in now smelts at once (73.2 s to 69.2 s, the proven optimum); in
  ``rabbit_stew_3`` with 2 agents the bowl, which the stew also waits for, is not left for after the
  smelts (82.3 s without that condition, 73.0 s with it).
* **Nobody left behind.** An idle agent farther than all its teammates from the work that should
  become ready next walks toward it (the env says how: :func:`~causalmace.loop.EpisodeLoop._standby`),
  but only as far as it gets before any work should become ready; in escape rooms the player who held
  the first room's plate no longer starts for the third room from there once it opens. Where several
  subtasks become ready together, as many agents are needed, and each of those left behind walks.
  Walking every idle agent toward the next work, or further than that, lost more than it gained (an
  agent busy walking when the work came up, or standing in a cell a teammate had to build in).

``lookahead`` (off by default) plays the rest of the episode out on paper for each ready subtask (the
pilot method over this list schedule) and takes the one whose play-out ends first; ``lines`` (off by
default) puts the agent's own DFS production line of :mod:`causalmace.scheduler` first among equally
urgent work. Neither beat the rank rule (``experiments/optimal.py --ablate lookahead,lines``).

Each of these parts is an option (:class:`MeasuredRankOptions`, ``scheduler.options`` in a run config),
so that an ablation switches one on or off from the command line.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import Counter
from collections.abc import Callable, Set
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from causalmace import dag, registry
from causalmace.envs.protocol import Capability, has
from causalmace.execute import Turns
from causalmace.graph import Subtask, TaskGraph
from causalmace.scheduler import production_lines

# where an agent goes first for a subtask: a station comes only after the inputs are taken from the depot
LOCATION_KEYS = ("pos", "source", "fetch_from", "positions", "blocks", "depot")


class MeasuredRankOptions(BaseModel):
    """The scheduler's parts, each of which an ablation may switch on or off (``scheduler.options`` in a
    config, e.g. ``--set scheduler.options.standby=false``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    trial: bool = True  # durations first tried in a copy of the world, else the planner's estimates
    match: bool = True  # equally urgent work goes to the free agents so that the last one finishes soonest
    try_pairs: bool = True  # ... each agent's time tried in a copy from where it stands, else straight distance
    skip_failing: bool = True  # the most urgent work every free agent is refused at once in a copy waits
    keep_free: bool = True  # an agent stays free for more urgent work about to be ready that no teammate could take
    standby: bool = True  # idle agents left behind walk toward the next work
    wave: bool = True  # ... all but as many teammates as the work ready at the same time needs besides this one
    lookahead: bool = False  # play the rest out on paper for each ready subtask (the pilot method)
    lines: bool = False  # among equally urgent work, the agent's own DFS production line first (busy-rate's)
    tie: float = Field(0.01, ge=0.0, le=1.0)  # ranks (or play-outs) within this fraction of the best count as equal
    hold_s: float = Field(0.5, ge=0.0, le=3600.0)  # a teammate whose turn comes this soon counts as free now
    behind: float = Field(2.0, ge=0.0, le=10_000.0)  # standby: teammates at least this much nearer (blocks)
    pair_max: int = Field(5, ge=1, le=7)  # up to this many free agents and urgent subtasks, every pairing is tried


def location(st: Subtask) -> tuple[float, ...] | None:
    """Where a subtask starts, from its parameters (the first place named), or None."""
    for key in LOCATION_KEYS:
        v = st.params.get(key)
        while isinstance(v, list | tuple) and v and isinstance(v[0], list | tuple):
            v = v[0]
        if isinstance(v, list | tuple) and len(v) >= 2 and all(isinstance(x, int | float) for x in v[:3]):
            return tuple(float(x) for x in v[:3])
    return None


def trial_durations(env: Any, graph: TaskGraph) -> dict[str, float]:
    """Each subtask's time when tried once in a copy of the world, in plan order, by the env's own agent.

    Walking and thinking included; empty where the world cannot be copied. A subtask that fails there
    gets no figure and keeps the planner's estimate.
    """
    if env is None or not has(env, Capability.FORK):
        return {}
    world = env.fork()
    name = getattr(env, "default_agent", None)
    if not name:
        return {}
    make = registry.agent_factory(name)
    turns = Turns.start(world, graph, lambda name: make(agent_name=name))
    out: dict[str, float] = {}
    for sid in graph.topo_order():
        before = {a: world.clock(a) for a in world.agents}
        ok, _ = turns.step(sid)
        took = max(world.clock(a) - before[a] for a in world.agents)
        if ok and took > 0:
            out[sid] = took
    return out


@dataclass
class MeasuredRankScheduler:
    graph: TaskGraph
    env: Any = None
    opts: MeasuredRankOptions = field(default_factory=MeasuredRankOptions)
    prior: dict[str, float] | None = None  # subtask -> seconds it took in a copy of the world
    ratio: dict[str, list[float]] = field(default_factory=dict)  # kind -> measured / estimated
    started: dict[str, tuple[str, float]] = field(default_factory=dict)  # agent -> (subtask, clock at start)
    done: set[str] = field(default_factory=set)
    _pos: dict[str, tuple[float, ...] | None] = field(default_factory=dict)  # where agents stand, this decision
    _tried: dict[tuple[str, str], float] = field(default_factory=dict)  # (agent, subtask) -> seconds, this decision
    _refused: set[tuple[str, str]] = field(default_factory=set)  # (agent, subtask) refused at once in a copy
    _aims: dict[str, str] = field(default_factory=dict)  # idle agent -> the subtask it walks toward
    _last: dict[str, str] = field(default_factory=dict)  # agent -> the subtask it took last
    _line: dict[str, int] = field(default_factory=dict)  # subtask -> its DFS production line (``lines``)

    # ---- durations ------------------------------------------------------------------------
    def _scale(self) -> dict[str, float]:
        per = {k: sum(v) / len(v) for k, v in self.ratio.items() if v}
        seen = [x for v in self.ratio.values() for x in v]
        per[""] = sum(seen) / len(seen) if seen else 1.0
        return per

    def _base(self, sid: str) -> float:
        """What a subtask should take before this episode says otherwise: its time in a copy, else the estimate."""
        if self.prior is None:
            self.prior = trial_durations(self.env, self.graph) if self.opts.trial else {}
        return self.prior.get(sid) or max(self.graph.subtask(sid).est_duration, 1e-3)

    def _durations(self) -> dict[str, float]:
        scale = self._scale()
        return {n: self._base(n) * scale.get(self.graph.subtask(n).kind, scale[""]) for n in self.graph.g.nodes}

    def _ranks(self, d: dict[str, float]) -> dict[str, float]:
        g, rank = self.graph.g, {}
        for n in reversed(list(dag.topological_sort(g))):
            rank[n] = d[n] + max((rank[s] for s in g.successors(n)), default=0.0)
        return rank

    # ---- where ----------------------------------------------------------------------------
    def _where(self, agent: str) -> tuple[float, ...] | None:
        if self.env is None:
            return None
        pos = self.env.observe(agent).get("position")
        return tuple(float(x) for x in pos[:3]) if pos else None

    def _clock(self, agent: str) -> float:
        return float(self.env.clock(agent)) if self.env is not None else 0.0

    # ---- look-ahead -----------------------------------------------------------------------
    def _playout(self, agent: str, first: str, now: float, d: dict[str, float], rank: dict[str, float]) -> float:
        """When everything would be done if ``agent`` took ``first`` now and every later pick kept to rank."""
        g = self.graph.g
        finish: dict[str, float] = {n: 0.0 for n in self.done}
        free: list[tuple[float, str]] = []
        agents = list(self.env.agents) if self.env is not None else [agent]
        running = {a: s for a, (s, _) in self.started.items() if a != agent}
        for a in agents:
            if a == agent:
                finish[first] = now + d[first]
                free.append((finish[first], a))
            elif a in running:
                s = running[a]
                end = max(self.started[a][1] + d[s], now)
                finish[s] = end
                free.append((end, a))
            else:
                free.append((max(now, self._clock(a)), a))
        heapq.heapify(free)
        left = {n for n in g.nodes if n not in finish}
        preds = {n: list(g.predecessors(n)) for n in left}
        end_all = max(finish.values(), default=now)
        while left:
            t, a = heapq.heappop(free)
            ready = [n for n in left if all(p in finish and finish[p] <= t for p in preds[n])]
            if not ready:
                later = [finish[p] for n in left for p in preds[n] if p in finish and finish[p] > t]
                if not later:  # waits on nothing that will end: only settled work is left
                    break
                heapq.heappush(free, (min(later), a))
                continue
            n = max(ready, key=lambda s: (rank[s], s))
            left.discard(n)
            finish[n] = t + d[n]
            end_all = max(end_all, finish[n])
            heapq.heappush(free, (finish[n], a))
        return end_all

    # ---- the protocol ---------------------------------------------------------------------
    def _distance(self, agent: str, sid: str) -> float:
        if agent not in self._pos:
            self._pos[agent] = self._where(agent)
        here, at = self._pos[agent], location(self.graph.subtask(sid))
        return math.dist(here, at) if here is not None and at is not None else 0.0

    def _free_now(self, agent: str, now: float) -> list[str]:
        """``agent`` and the teammates with nothing in hand whose turn comes within ``hold_s``."""
        if self.env is None:
            return [agent]
        return [agent] + [a for a in self.env.agents
                          if a != agent and a not in self.started and self._clock(a) <= now + self.opts.hold_s]

    def assign(self, agent: str, ready: Set[str]) -> str | None:
        if not ready:
            return None
        self._pos.clear()
        self._tried.clear()
        self._refused.clear()
        d = self._durations()
        rank = self._ranks(d)
        now = self._clock(agent)
        ready = self._doable(agent, ready, rank, now)
        if self.opts.lookahead and len(ready) > 1:
            ends = {s: self._playout(agent, s, now, d, rank) for s in ready}
            best = min(ends.values())
            key = {s: (0, 0.0) if ends[s] <= best * (1 + self.opts.tie) + 1e-9 else (1, ends[s]) for s in ready}
        else:
            longest = max(rank[s] for s in ready)
            key = {s: (0, 0.0) if rank[s] >= longest * (1 - self.opts.tie) else (1, -rank[s]) for s in ready}
        order = sorted(ready, key=lambda s: (key[s], self._off_line(agent, s), self._distance(agent, s), -rank[s], s))
        sid = order[0]
        if self.opts.match:  # the most urgent work goes to whoever free stands nearest it, as HEFT's earliest finish
            free = self._free_now(agent, now)
            top = [s for s in order if key[s][0] == 0]
            pairs = self._pairs(free, top)
            if agent in pairs:
                return self._take(agent, pairs[agent], now, d, rank)
            free = [a for a in free if a not in pairs]
            for s in order[len(top):]:
                who = min(free, key=lambda a: (self._distance(a, s), a != agent, a))
                if who == agent:
                    return self._take(agent, s, now, d, rank)
                free.remove(who)
            # a teammate free as soon stands nearer to all there is: wait for the next change, but only
            # while someone works, so the team never stands still with work left
            if any(a != agent for a in self.started):
                return None
        return self._take(agent, sid, now, d, rank)

    def _off_line(self, agent: str, sid: str) -> int:
        """0 for work on the production line of what ``agent`` did last (with ``lines``), else 1."""
        if not self.opts.lines or agent not in self._last:
            return 0
        if sid not in self._line or self._last[agent] not in self._line:  # the graph grew: split it again
            self._line = {n: i for i, line in enumerate(production_lines(self.graph)) for n in line}
        return int(self._line.get(sid) != self._line.get(self._last[agent]))

    def _doable(self, agent: str, ready: Set[str], rank: dict[str, float], now: float) -> Set[str]:
        """The ready subtasks, less the most urgent ones whose first step every free agent is refused when
        they are tried in a copy of the world from where it stands (a lever behind a room still shut),
        until one is not: such a try costs its agent a decision and a pause for nothing. A try that fails
        later in the copy may still succeed with the team at work, so it stays. All of them if none can
        be started."""
        if not (self.opts.skip_failing and self.opts.match and self.opts.try_pairs and self.env is not None
                and has(self.env, Capability.FORK)):
            return ready
        free = self._free_now(agent, now)
        left = set(ready)
        while left:
            longest = max(rank[s] for s in left)
            top = sorted(s for s in left if rank[s] >= longest * (1 - self.opts.tie))
            failing = {s for s in top if all(not math.isfinite(self._cost(a, s)) and (a, s) in self._refused
                                             for a in free)}
            if len(failing) < len(top):
                return left - failing
            left -= failing
        return ready

    def _pairs(self, free: list[str], top: list[str]) -> dict[str, str]:
        """Equally urgent subtasks to free agents so that the last to arrive walks least, then all walk least.

        Every assignment is tried when there are few (a room that opens when all its plates are held opens
        when the last player gets there); otherwise each subtask in turn goes to the nearest agent left.
        """
        n = min(len(free), len(top))
        if n == 0:
            return {}
        if len(free) <= self.opts.pair_max and len(top) <= self.opts.pair_max:
            best: tuple[int, float, float, int] | None = None
            chosen: dict[str, str] = {}
            for agents in itertools.permutations(free, n):
                for subs in itertools.combinations(top, n):
                    dist = [self._cost(a, s) for a, s in zip(agents, subs, strict=True)]
                    off = sum(self._off_line(a, s) for a, s in zip(agents, subs, strict=True)) if self.opts.lines else 0
                    cost = (off, max(dist), sum(dist), -len([a for a in agents if a == free[0]]))
                    if best is None or cost < best:
                        best, chosen = cost, dict(zip(agents, subs, strict=True))
            return chosen
        out: dict[str, str] = {}
        left = list(free)
        for s in top[:n]:
            who = min(left, key=lambda a: (self._off_line(a, s), self._distance(a, s), a != free[0], a))
            out[who] = s
            left.remove(who)
        return out

    def _cost(self, agent: str, sid: str) -> float:
        """Seconds ``agent`` would take for ``sid`` from where it stands, tried in a copy of the world where
        it can be copied (walls and doors included), else the straight distance to where ``sid`` starts."""
        if not (self.opts.try_pairs and self.env is not None and has(self.env, Capability.FORK)):
            return self._distance(agent, sid)
        if (agent, sid) not in self._tried:
            name = getattr(self.env, "default_agent", None)
            took = math.inf
            if name:
                world = self.env.fork()
                make = registry.agent_factory(name)
                t0 = world.clock(agent)
                ok, _ = Turns(world, self.graph, lambda n: make(agent_name=n), [agent]).step(sid)
                took = world.clock(agent) - t0 if ok else math.inf
                if not ok and world.clock(agent) <= t0:
                    self._refused.add((agent, sid))
            self._tried[(agent, sid)] = took
        return self._tried[(agent, sid)]

    def _needed_soon(self, agent: str, sid: str, now: float, d: dict[str, float], rank: dict[str, float]) -> bool:
        """Whether starting ``sid`` now would leave more urgent work, due to become ready before ``sid``
        would end, without a teammate free to take it."""
        if not self.opts.keep_free or self.env is None or not any(a != agent for a in self.started):
            return False
        end = now + d[sid]
        g = self.graph.g
        due = sorted((t, n) for n, t in self._expected_ready(d, now).items()
                     if now < t < end and rank[n] > rank[sid] and any(p not in self.done for p in g.predecessors(n)))
        free_at = [max(now, self.started[a][1] + d[self.started[a][0]]) if a in self.started else self._clock(a)
                   for a in self.env.agents if a != agent]
        for i, (t, n) in enumerate(due, 1):
            if sum(f <= t + self.opts.hold_s for f in free_at) < i:
                # waiting pays only if ``sid`` can still start late enough not to become the longest path:
                # by a teammate free after ``t``, or by this agent once it has done ``n``
                later = min([f for f in free_at if f > t + self.opts.hold_s] + [t + d[n]])
                return later + rank[sid] <= t + rank[n] + 1e-9
        return False

    def _take(self, agent: str, sid: str, now: float, d: dict[str, float], rank: dict[str, float]) -> str | None:
        if self._needed_soon(agent, sid, now, d, rank):
            return None
        self.started[agent] = (sid, now)
        self._last[agent] = sid
        self._aims.pop(agent, None)
        return sid

    def _expected_ready(self, d: dict[str, float], now: float) -> dict[str, float]:
        """When each subtask not begun should become ready, on the durations ``d``: work under way ends at
        its start plus its duration (not before ``now``), work not begun starts once its predecessors end."""
        g = self.graph.g
        end = {s: max(now, t + d[s]) for s, t in self.started.values()}
        ready: dict[str, float] = {}
        for n in dag.topological_sort(g):
            if n in self.done or n in end:
                continue
            ready[n] = max((end[p] for p in g.predecessors(n) if p not in self.done), default=now)
            end[n] = ready[n] + d[n]
        return ready

    def standby(self, agent: str, approach: Callable[[str, float | None], Any]) -> tuple[str, Any] | None:
        """Where ``agent``, with nothing to do now, should walk, and how (``approach`` is the env's).

        Toward the work not ready yet that should become ready soonest (the more urgent first, then the
        nearer) that no teammate heads for, when every teammate stands at least ``behind`` nearer to it:
        the one left behind catches up, the others stay ready for what comes next. When k subtasks
        become ready together, k agents will be needed there, so it is enough that all but k - 1
        teammates (and at least one) stand that much nearer: a room with four plates calls the whole
        team of four, and the two left behind both walk. Only as far as it gets before anything should
        become ready, so that the walk never keeps it from new work.
        """
        if not self.opts.standby:
            return None
        self._aims.pop(agent, None)
        if not self.started:
            return None
        d = self._durations()
        g = self.graph.g
        ready = self._expected_ready(d, self._clock(agent))
        later = {n: t for n, t in ready.items() if any(p not in self.done for p in g.predecessors(n))}
        if not later:
            return None
        by = min(later.values())
        rank = self._ranks(d)
        aimed = set(self._aims.values())
        self._pos.clear()
        others = [a for a in self.env.agents if a != agent] if self.env is not None else []
        wave = Counter(round(t, 3) for t in later.values())  # how many subtasks become ready together
        for sid in sorted((n for n in later if n not in aimed),
                          key=lambda s: (round(later[s], 3), -rank[s], self._distance(agent, s), s)):
            mine = self._distance(agent, sid)
            nearer = sum(self._distance(a, sid) + self.opts.behind <= mine for a in others)
            needed = len(others) + 1 - wave[round(later[sid], 3)] if self.opts.wave else len(others)
            if nearer < max(1, needed):
                continue
            how = approach(sid, by)
            if how is not None:
                self._aims[agent] = sid
                return sid, how
        return None

    def add(self, subtask: str) -> None:
        """Work that joined the graph during the run, or came back to it, is to do again."""
        self.done.discard(subtask)

    def finished(self, agent: str, subtask: str, ok: bool, settled: bool = False) -> None:
        begun = self.started.pop(agent, None)
        if ok or settled:
            self.done.add(subtask)
        if not ok or begun is None or begun[0] != subtask or self.env is None:
            return
        took = self._clock(agent) - begun[1]
        if took > 0:
            self.ratio.setdefault(self.graph.subtask(subtask).kind, []).append(took / self._base(subtask))


def make_measured_rank(*, graph: TaskGraph, agents: list[str], llm: Any = None, env: Any = None,
                       **options: Any) -> MeasuredRankScheduler:
    return MeasuredRankScheduler(graph, env, MeasuredRankOptions(**options))


make_measured_rank.options = MeasuredRankOptions  # type: ignore[attr-defined]  # load_config checks them
