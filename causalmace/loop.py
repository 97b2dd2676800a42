"""The episode loop: idle agents get work, busy agents act, refusals repair the plan.

The loop always moves the agent whose clock is earliest (ties by name), so the world applies actions
in a well-defined order whatever the Workers' own timing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from causalmace.actions import Wait
from causalmace.config import RunConfig
from causalmace.graph import Subtask, TaskGraph
from causalmace.metrics import action_time_union
from causalmace.ray_workers import WorkerLost
from causalmace.recovery import lacked_for_good, pending_provider, stranded, top_up
from causalmace.repair import Ways, gained, repair
from causalmace.scheduler import BusyRateScheduler, Scheduler
from causalmace.trace import Trace

RETURN = "__return__"
FAIL_PAUSE_S = 1.0  # an agent whose subtask failed takes a moment before asking for work again
HOLDING_WAITS = 5  # Waits in a row after which an agent counts as holding its place for something else
MAX_WAIT_S = 600.0  # the longest Wait an action spec allows; a longer idle spell is waited in steps
RETURNING = Subtask(RETURN, "return", "put back what a lost Worker carried", "")


@dataclass
class EpisodeLoop:
    cfg: RunConfig
    env: Any
    graph: TaskGraph
    scheduler: Scheduler
    workers: Any
    trace: Trace
    true_edges: set[tuple[str, str]] | None = None
    on_action: Callable[[int, Any], None] | None = None
    current: dict[str, str | None] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    abandoned: set[str] = field(default_factory=set)
    unavailable: set[str] = field(default_factory=set)  # abandoned for good: the world lacks what they need
    stranded: set[str] = field(default_factory=set)  # abandoned: they want only what hopeless subtasks provide
    attempts: dict[str, int] = field(default_factory=dict)
    missing_found: set[tuple[str, str]] = field(default_factory=set)
    n_actions: int = 0
    stopped: str = ""
    stalled: set[str] = field(default_factory=set)  # agents that found nothing to do since the world changed
    held: dict[str, str] = field(default_factory=dict)  # agent putting back a lost Worker's items -> its subtask
    goal_check: Callable[[TaskGraph, set[str]], list[str]] | None = None  # adds work the plan lacked
    goal_checks: int = 0
    charged: dict[str, int] = field(default_factory=dict)  # failed tries charged to the retry budget
    free_try: dict[str, int] = field(default_factory=dict)  # sid -> subtasks done at its last free try
    free_tries: int = 0  # failed tries the budget did not charge (a provider was still to come)
    ways: Ways = field(default_factory=Ways)  # subtasks some agents found no way to, and what stopped them
    looked_again: int = -1  # subtasks done when the shut ways were last looked at again (_look_again)
    had: dict[str, dict[str, int]] = field(default_factory=dict)  # agent -> what it held when it took its subtask
    done_then: dict[str, frozenset[str]] = field(default_factory=dict)  # agent -> subtasks done when it took its own
    added_work: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # sid -> (origin, for whom)
    t_act: float = 0.0  # action time (union of work intervals) when last measured
    t_act_since: float = 0.0  # seconds of actions applied since: T_act can have grown by at most this much
    waiting: dict[str, int] = field(default_factory=dict)  # agent -> Waits in a row within its subtask
    joint: set[tuple[str, str]] = field(default_factory=set)  # edges released while their source waited

    def __post_init__(self) -> None:
        self.current = {a: None for a in self.env.agents}

    def run(self) -> str:
        """Run until every subtask is settled, a limit is hit or (``limits.stop_at_goal``) a subtask done
        finds the goal met; returns why it stopped.

        Once all is settled with the goal unmet, ``goal_check`` may add the work the plan lacked
        (at most ``limits.goal_checks`` times); abandoned subtasks then get a fresh budget. A deadlock
        (nobody can do anything) is checked the same way: the plan may lack what would unblock it.
        """
        while True:
            self._settle()
            if self.stopped not in ("", "deadlock") or not self._check_goal():
                return self.stopped or "finished"
            self.stopped = ""
            self.stalled.clear()

    def _settle(self) -> None:
        env = self.env
        while len(self.done) + len(self.abandoned) < len(self.graph):
            agent = min(env.agents, key=lambda a: (env.clock(a), a))
            now = env.clock(agent)
            if self.n_actions >= self.cfg.limits.max_actions or now > self.cfg.limits.max_time_s:
                self.stopped = "actions" if self.n_actions >= self.cfg.limits.max_actions else "time"
                break
            if self._past_t_max():
                self.stopped = "t_max"
                break
            sid = self.current[agent]
            try:
                if sid is None:
                    sid = self._assign(agent, now)
                    if sid is None:
                        if self.stopped:
                            break
                        continue
                self._step(agent, sid)
                if self.stopped == "goal":
                    break
            except WorkerLost as err:
                self._lose(agent, self.current[agent] or sid, err)

    def _check_goal(self) -> bool:
        if (self.goal_check is None or self.goal_checks >= self.cfg.limits.goal_checks
                or self.env.score().completed):
            return False
        self.goal_checks += 1
        now = max(self.env.clock(a) for a in self.env.agents)
        added = self.goal_check(self.graph, self.done | self.abandoned)
        for sid in added:
            self._new_work(sid, "goal", now)
        if not added:
            return False
        for sid in sorted(self.abandoned - self.unavailable):  # failed for want of the missing work: may now succeed
            self.abandoned.discard(sid)
            self.stranded.discard(sid)
            self.charged[sid] = 0
            self._new_work(sid, "reopened", now)
        return True

    def _new_work(self, sid: str, origin: str, t: float, for_sid: str | None = None) -> None:
        """A subtask that joined the graph during the run (or came back to it): tell the scheduler."""
        if origin != "reopened":
            self.added_work[sid] = (origin, for_sid)
            self.trace.emit("graph", t, change="add_subtask", subtask=sid, origin=origin,
                            **({"for": for_sid} if for_sid else {}))
        add = getattr(self.scheduler, "add", None)
        if callable(add):
            add(sid)

    def _past_t_max(self) -> bool:
        """VillagerBench stops a run once its action time passes the task's T_max (``limits.stop_at_t_max``).

        T_act only grows, by at most the length of each new action, so the union is measured again
        only when the actions since the last measure could have carried it past T_max.
        """
        t_max = self.env.task.t_max
        if not self.cfg.limits.stop_at_t_max or self.t_act + self.t_act_since <= t_max:
            return False
        self.t_act = action_time_union(iv for ivs in self.env.intervals().values() for iv in ivs)
        self.t_act_since = 0.0
        return self.t_act > t_max

    # ---- giving out work ----------------------------------------------------------------------
    def _ready(self) -> set[str]:
        running = {s for s in self.current.values() if s} | set(self.held.values())
        settled = self.done | self.abandoned
        ready = {s for s in self.graph.g.nodes if s not in settled and s not in running
                 and all(p in settled for p in self.graph.preds(s))}
        return ready or self._joint(settled | running, settled)

    def _holding(self) -> dict[str, str]:
        """Agents that have only waited within their subtask for a while (on a plate until a door opens)."""
        return {a: s for a, s in self.current.items() if s and self.waiting.get(a, 0) >= HOLDING_WAITS}

    def _joint(self, taken: set[str], settled: set[str]) -> set[str]:
        """With nothing else to do, the work right after a subtask whose agent has only waited for a while.

        An agent that holds its place and waits (on a pressure plate until the door opens) may be waiting
        for exactly the subtask the plan put after it: a joint action (someone presses the button while
        it stands). A teammate who sees it wait takes that next subtask rather than idling; the edge is
        kept in the graph and recorded as released.
        """
        holding = set(self._holding().values())
        if not holding:
            return set()
        return {s for s in self.graph.g.nodes if s not in taken
                and all(p in settled or p in holding for p in self.graph.preds(s))
                and any(p in holding for p in self.graph.preds(s))}

    def _assign(self, agent: str, now: float) -> str | None:
        # a subtask this agent found no way to goes to the others until a subtask is done (the world changed)
        sid = self.scheduler.assign(agent, self.ways.open_to(agent, self._ready()))
        if sid is None:
            self._idle(agent, now)
            return None
        self.stalled.clear()
        self.current[agent] = sid
        self.waiting[agent] = 0
        self._note_joint(sid, now)
        self.attempts[sid] = self.attempts.get(sid, 0) + 1
        extra = ({"busy": {str(k): round(self.scheduler.busy(k), 4) for k in range(len(self.scheduler.lines))}}
                 if isinstance(self.scheduler, BusyRateScheduler) else {})
        self.trace.emit("decision", now, agent=agent, subtask=sid, attempt=self.attempts[sid], **extra)
        self.had[agent] = dict(self.env.observe(agent).get("inventory") or {})
        self.done_then[agent] = frozenset(self.done)
        self.workers.start(agent, self.graph.subtask(sid), self.env)
        return sid

    def _note_joint(self, sid: str, now: float) -> None:
        settled = self.done | self.abandoned
        for p in self.graph.preds(sid):
            if p not in settled and (p, sid) not in self.joint:
                self.joint.add((p, sid))
                self.trace.emit("graph", now, change="joint", edge=[p, sid],
                                reason=f"{p} is waiting on its own; {sid} may be what it waits for")

    def _idle(self, agent: str, now: float) -> None:
        """Nothing for ``agent`` now: wait until a busy teammate's clock, or stop if nobody can move."""
        env = self.env
        busy = [env.clock(a) for a, s in self.current.items() if s]
        if busy and self._standby(agent):
            return
        self.stalled.add(agent)
        if not busy and self.stalled >= set(env.agents):
            if self._reopen_ways(now):
                return
            self.stopped = "deadlock"
            return
        if self._look_again():
            return
        later = [env.clock(a) for a in env.agents if a != agent and env.clock(a) > now]
        until = min(busy) if busy else min(later, default=now)
        env.apply(agent, Wait(seconds=min(MAX_WAIT_S, max(0.05, until - now + 1e-3))))

    def _look_again(self) -> bool:
        """Everyone at work only holds a place (on a plate until a door opens) and the rest found their way
        shut: the way may have opened after they were refused (a teammate's lever pulled while they walked).
        Once per subtask done, the ways are looked at again, uncharged; otherwise all would wait for the
        holders to give up."""
        holding = set(self._holding())
        if (not holding or not self.ways.blocked or self.looked_again == len(self.done)
                or not self.stalled | holding >= set(self.env.agents)):
            return False
        self.looked_again = len(self.done)
        self.ways.clear()
        self.stalled.clear()
        return True

    def _standby(self, agent: str) -> bool:
        """Walk toward the work the scheduler expects ``agent`` to take, where the scheduler names some (its
        optional ``standby(agent, approach)``) and the env can say how to get nearer by a given clock time
        and out of the way of the work still to do (its optional ``approach(agent, subtask, by, pending)``)."""
        pick = getattr(self.scheduler, "standby", None)
        approach = getattr(self.env, "approach", None)
        if pick is None or approach is None:
            return False
        settled = self.done | self.abandoned
        pending = [self.graph.subtask(s) for s in self.graph.g.nodes if s not in settled]
        chosen = pick(agent, lambda sid, by: approach(agent, self.graph.subtask(sid), by, pending))
        if chosen is None:
            return False
        sid, action = chosen
        start = self.env.clock(agent)
        result = self.env.apply(agent, action)
        self.n_actions += 1
        self.t_act_since += result.duration
        self.trace.emit("standby", start, agent=agent, toward=sid, action=action.model_dump(), ok=result.status,
                        message=result.message, duration=result.duration, until=self.env.clock(agent))
        return bool(result.status)

    def _reopen_ways(self, now: float) -> bool:
        """Nobody else will take what some agents found no way to (a scheduler that uses one agent):
        each such subtask is charged the try and offered again, and repair reads what stopped them."""
        if not self.ways.blocked:
            return False
        for sid, seen in sorted(self.ways.blocked.items()):
            facts = [f for a in sorted(seen) for f in seen[a]]
            added = repair(self.graph, sid, facts) if self.cfg.planner.use_edges else []
            for e in added:
                self.trace.emit("graph", now, change="add", edge=list(e), origin="judger",
                                reason="no way there", facts=[f.kind.value for f in facts])
            self.charged[sid] = self.charged.get(sid, 0) + 1
            if self.charged[sid] >= self.cfg.limits.max_attempts:
                self.abandoned.add(sid)
                self.scheduler.finished(sorted(seen)[0], sid, False, settled=True)
                self.trace.emit("subtask", now, agent=sorted(seen)[0], subtask=sid, status="failed",
                                reason="no way there", abandoned=True)
        self.ways.clear()
        self.stalled.clear()
        return True

    # ---- acting -------------------------------------------------------------------------------
    def _step(self, agent: str, sid: str) -> None:
        action = self.workers.act(agent, self.env)
        if action is None:
            self._end(agent, sid)
            return
        self.stalled.clear()
        self.waiting[agent] = self.waiting.get(agent, 0) + 1 if isinstance(action, Wait) else 0
        start = self.env.clock(agent)
        result = self.env.apply(agent, action)
        self.n_actions += 1
        self.t_act_since += result.duration
        extra = {"refusal": result.refusal.kind.value} if result.refusal is not None else {}
        self.trace.emit("action", start, agent=agent, subtask=sid, action=action.model_dump(), ok=result.status,
                        message=result.message, duration=result.duration, **extra)
        if self.on_action is not None:
            self.on_action(self.n_actions, self.workers)
        self.workers.feedback(agent, result)

    def _end(self, agent: str, sid: str) -> None:
        env, graph = self.env, self.graph
        out = self.workers.outcome(agent)
        self.current[agent] = None
        self.stalled.clear()
        if sid == RETURN:
            self._release(agent, self.held.pop(agent, None), "its Worker was lost")
            return
        if out.done:
            self.scheduler.finished(agent, sid, True, settled=True)
            self.done.add(sid)
            self.ways.clear()
            self.trace.emit("subtask", env.clock(agent), agent=agent, subtask=sid, status="done")
            self._replan(agent, sid, out)
            if (self.cfg.limits.stop_at_goal and len(self.done) + len(self.abandoned) < len(graph)
                    and env.score().completed):
                self.stopped = "goal"
            return
        facts = self.ways.facts(sid, agent, out.facts, env.agents)  # a closed way: others try before repair
        added = repair(graph, sid, facts) if self.cfg.planner.use_edges else []
        # a shortage is the plan's own only if every provider had run before this try began: one that finished
        # meanwhile (a teammate's bowls stored while this agent was refused) is not a count the plan got wrong
        done_then = self.done_then.pop(agent, frozenset(self.done))
        extra = top_up(graph, sid, out.facts, done_then)
        if extra is not None:
            self._new_work(extra.id, "judger", env.clock(agent), sid)
            if self.cfg.planner.use_edges:
                graph.add_edge(extra.id, sid, origin="judger", note=f"found short: {out.reason}").verdict = "added"
                added.append((extra.id, sid))
        for e in added:
            if self.true_edges is not None and e in self.true_edges:
                self.missing_found.add(e)
            self.trace.emit("graph", env.clock(agent), change="add", edge=list(e), origin="judger",
                            reason=out.reason, facts=[f.kind.value for f in out.facts])
        if self.ways.about_agent(out.facts):  # says nothing about the subtask, only where this agent stands
            pass
        elif (pending_provider(graph, sid, out.facts, done_then | self.abandoned) is None
              or self.free_try.get(sid) == len(self.done)):
            # the shared budget (causalmace.recovery): a try refused for want of what a subtask still to come
            # provides is free once per subtask the team finishes, so trying too early still runs out
            self.charged[sid] = self.charged.get(sid, 0) + 1
        else:
            self.free_try[sid] = len(self.done)
            self.free_tries += 1
        if lacked_for_good(graph.subtask(sid), out.facts):  # no retry or new work can help
            self.unavailable.add(sid)
        elif stranded(graph, sid, out.facts[-1:], self.unavailable | self.stranded):  # the refusal that ended it
            self.stranded.add(sid)
        last_try = (self.charged.get(sid, 0) >= self.cfg.limits.max_attempts or sid in self.unavailable
                    or sid in self.stranded)
        self.scheduler.finished(agent, sid, False, settled=last_try)
        if last_try:
            self.abandoned.add(sid)
        self.trace.emit("subtask", env.clock(agent), agent=agent, subtask=sid, status="failed",
                        reason=out.reason, abandoned=sid in self.abandoned)
        env.apply(agent, Wait(seconds=FAIL_PAUSE_S))
        self._replan(agent, sid, out)
        left = gained(self.had.pop(agent, {}), env.observe(agent).get("inventory") or {})
        if left:  # what it took for the failed subtask goes back, where the others can get it
            self.current[agent] = RETURN
            self.workers.start(agent, Subtask(RETURN, "return", "put back what the failed subtask left in hand",
                                              "", params={"items": sorted(left.items())}), env)

    def _replan(self, agent: str, sid: str, out: Any) -> None:
        """A scheduler that re-plans after feedback (VillagerAgent's task manager) updates the graph."""
        replan = getattr(self.scheduler, "replan", None)
        if not callable(replan):
            return
        for change, edge in replan(sid, out.done, out.reason, self.done | self.abandoned):
            self.trace.emit("graph", self.env.clock(agent), change=change, edge=list(edge), origin="update",
                            reason=out.reason or "done")

    # ---- lost Workers -------------------------------------------------------------------------
    def _lose(self, agent: str, sid: str | None, err: WorkerLost) -> None:
        env, workers = self.env, self.workers
        old = workers.pids().get(agent) if hasattr(workers, "pids") else None
        self.trace.emit("fault", env.clock(agent), agent=agent, subtask=sid, reason=str(err), pid=old)
        pid = workers.replace(agent)
        self.trace.emit("worker", env.clock(agent), agent=agent, change="replaced", pid=pid)
        self.current[agent] = None
        if sid == RETURN:
            sid = self.held.pop(agent, None)
        if env.observe(agent).get("inventory"):  # what it carried goes back before anyone retries
            self.current[agent] = RETURN
            if sid is not None:
                self.held[agent] = sid
            try:
                workers.start(agent, RETURNING, env)
                return
            except WorkerLost:
                self.current[agent] = None
                self.held.pop(agent, None)
        self._release(agent, sid, str(err))

    def _release(self, agent: str, sid: str | None, reason: str) -> None:
        if sid is not None:
            self.scheduler.finished(agent, sid, False)
            self.trace.emit("subtask", self.env.clock(agent), agent=agent, subtask=sid, status="lost",
                            reason=reason, reassigned=True)
