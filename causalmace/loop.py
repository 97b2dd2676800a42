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
from causalmace.ray_workers import WorkerLost
from causalmace.repair import repair
from causalmace.scheduler import BusyRateScheduler, Scheduler
from causalmace.trace import Trace

RETURN = "__return__"
FAIL_PAUSE_S = 1.0  # an agent whose subtask failed takes a moment before asking for work again
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
    attempts: dict[str, int] = field(default_factory=dict)
    missing_found: set[tuple[str, str]] = field(default_factory=set)
    n_actions: int = 0
    stopped: str = ""
    stalled: set[str] = field(default_factory=set)  # agents that found nothing to do since the world changed
    held: dict[str, str] = field(default_factory=dict)  # agent putting back a lost Worker's items -> its subtask

    def __post_init__(self) -> None:
        self.current = {a: None for a in self.env.agents}

    def run(self) -> str:
        """Run until every subtask is settled or a limit is hit; returns why it stopped."""
        env = self.env
        while len(self.done) + len(self.abandoned) < len(self.graph):
            agent = min(env.agents, key=lambda a: (env.clock(a), a))
            now = env.clock(agent)
            if self.n_actions >= self.cfg.limits.max_actions or now > self.cfg.limits.max_time_s:
                self.stopped = "actions" if self.n_actions >= self.cfg.limits.max_actions else "time"
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
            except WorkerLost as err:
                self._lose(agent, self.current[agent] or sid, err)
        return self.stopped or "finished"

    # ---- giving out work ----------------------------------------------------------------------
    def _ready(self) -> set[str]:
        running = {s for s in self.current.values() if s} | set(self.held.values())
        settled = self.done | self.abandoned
        return {s for s in self.graph.g.nodes if s not in settled and s not in running
                and all(p in settled for p in self.graph.preds(s))}

    def _assign(self, agent: str, now: float) -> str | None:
        sid = self.scheduler.assign(agent, self._ready())
        if sid is None:
            self._idle(agent, now)
            return None
        self.stalled.clear()
        self.current[agent] = sid
        self.attempts[sid] = self.attempts.get(sid, 0) + 1
        extra = ({"busy": {str(k): round(self.scheduler.busy(k), 4) for k in range(len(self.scheduler.lines))}}
                 if isinstance(self.scheduler, BusyRateScheduler) else {})
        self.trace.emit("decision", now, agent=agent, subtask=sid, attempt=self.attempts[sid], **extra)
        self.workers.start(agent, self.graph.subtask(sid), self.env)
        return sid

    def _idle(self, agent: str, now: float) -> None:
        """Nothing for ``agent`` now: wait until a busy teammate's clock, or stop if nobody can move."""
        env = self.env
        self.stalled.add(agent)
        busy = [env.clock(a) for a, s in self.current.items() if s]
        if not busy and self.stalled >= set(env.agents):
            self.stopped = "deadlock"
            return
        later = [env.clock(a) for a in env.agents if a != agent and env.clock(a) > now]
        until = min(busy) if busy else min(later, default=now)
        env.apply(agent, Wait(seconds=min(MAX_WAIT_S, max(0.05, until - now + 1e-3))))

    # ---- acting -------------------------------------------------------------------------------
    def _step(self, agent: str, sid: str) -> None:
        action = self.workers.act(agent, self.env)
        if action is None:
            self._end(agent, sid)
            return
        self.stalled.clear()
        start = self.env.clock(agent)
        result = self.env.apply(agent, action)
        self.n_actions += 1
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
        last_try = not out.done and self.attempts[sid] >= self.cfg.limits.max_attempts
        self.scheduler.finished(agent, sid, out.done, settled=out.done or last_try)
        if out.done:
            self.done.add(sid)
            self.trace.emit("subtask", env.clock(agent), agent=agent, subtask=sid, status="done")
            return
        added = repair(graph, sid, out.facts) if self.cfg.planner.use_edges else []
        for e in added:
            if self.true_edges is not None and e in self.true_edges:
                self.missing_found.add(e)
            self.trace.emit("graph", env.clock(agent), change="add", edge=list(e), origin="judger",
                            reason=out.reason, facts=[f.kind.value for f in out.facts])
        if last_try:
            self.abandoned.add(sid)
        self.trace.emit("subtask", env.clock(agent), agent=agent, subtask=sid, status="failed",
                        reason=out.reason, abandoned=sid in self.abandoned)
        env.apply(agent, Wait(seconds=FAIL_PAUSE_S))

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
