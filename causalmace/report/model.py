"""A run's story, put together from its files: which edges were planned and what became of each, what
every agent did when, and the longest chain of work the final graph forces (the critical path)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from causalmace.report.load import Run

KEPT, PRUNED, ADDED = "kept", "pruned", "added"


@dataclass
class Edge:
    a: str
    b: str
    fate: str  # kept | pruned | added
    origin: str = "planner"
    ate: float | None = None
    p_holds: float | None = None
    interventions: list[tuple[str, float | None]] = field(default_factory=list)
    note: str = ""
    reason: str = ""  # for an added edge: the Judger's words
    facts: list[str] = field(default_factory=list)
    revealed_by: int | None = None  # index into Model.actions of the refusal that revealed it
    truth: str = ""  # against the reference plan: "made up", "true", "missing from the plan", "" unknown
    t: float | None = None


@dataclass
class Node:
    id: str
    kind: str = ""
    description: str = ""
    target: str = ""
    count: Any = None
    est: float | None = None
    status: str = ""  # done | failed | lost | "" (never finished)
    agent: str = ""
    attempts: int = 0
    line: int | None = None
    work: float = 0.0  # seconds of accepted actions spent on it


@dataclass
class Action:
    agent: str
    subtask: str
    t: float
    d: float
    ok: bool
    name: str
    args: str
    message: str
    refusal: str


@dataclass
class Model:
    nodes: dict[str, Node]
    edges: list[Edge]
    actions: list[Action]
    agents: list[str]
    lines: list[list[str]]
    makespan: float
    bound: float | None
    critical: list[str]
    critical_s: float
    truth_note: str
    faults: list[dict[str, Any]]
    changes: list[dict[str, Any]]


def _interventions(raw: Any) -> list[tuple[str, float | None]]:
    out = []
    for iv in raw or []:
        if isinstance(iv, dict):
            out.append((str(iv.get("change", "")), iv.get("effect")))
        elif isinstance(iv, list | tuple) and iv:
            out.append((str(iv[0]), iv[1] if len(iv) > 1 else None))
        else:
            out.append((str(iv), None))
    return out


def _edge(rec: dict[str, Any], fate: str) -> Edge:
    return Edge(str(rec["from"]), str(rec["to"]), fate, str(rec.get("origin") or "planner"), rec.get("ate"),
                rec.get("p_holds"), _interventions(rec.get("interventions")), str(rec.get("note") or ""))


def _edges(run: Run) -> list[Edge]:
    """Kept and pruned edges from graph.json; without it, from the trace's plan line and graph changes."""
    changes = run.of("graph")
    if run.graph is not None:
        edges = []
        for rec in run.graph.get("edges", []):
            e = _edge(rec, ADDED if rec.get("verdict") == ADDED or rec.get("origin") not in (None, "planner")
                      else KEPT)
            edges.append(e)
        edges += [_edge(rec, PRUNED) for rec in run.graph.get("pruned", [])]
    else:
        plan = run.of("plan")
        planned = [tuple(e) for e in (plan[-1].get("edges", []) if plan else [])]
        pruned = {tuple(c["edge"]): c for c in changes if c.get("change") == "prune"}
        edges = [Edge(a, b, PRUNED if (a, b) in pruned else KEPT) for a, b in planned]
        for e in edges:
            c = pruned.get((e.a, e.b))
            if c:
                e.ate, e.p_holds = c.get("ate"), c.get("p_holds")
                e.interventions = _interventions(c.get("interventions"))
        have = {(e.a, e.b) for e in edges}
        edges += [Edge(*c["edge"], ADDED, str(c.get("origin") or "judger")) for c in changes
                  if c.get("change") == "add" and tuple(c["edge"]) not in have]
    adds = {tuple(c["edge"]): c for c in changes if c.get("change") == "add"}
    for e in edges:
        c = adds.get((e.a, e.b))
        if c is not None and e.fate == ADDED:
            e.reason, e.facts, e.t = str(c.get("reason") or ""), [str(f) for f in c.get("facts") or []], c.get("t")
            if e.reason and e.reason in e.note:  # the graph's note repeats the Judger's words
                e.note = ""
    return edges


def _n(k: int, noun: str) -> str:
    return f"{k} {noun}{'' if k == 1 else 's'}"


def _truth(edges: list[Edge], g: dict[str, Any]) -> str:
    """Label edges as made up or true where the result's counts against the reference plan pin it down."""
    if "spurious_initial" not in g:
        return ""
    pruned = [e for e in edges if e.fate == PRUNED]
    kept = [e for e in edges if e.fate == KEPT]
    added = [e for e in edges if e.fate == ADDED]
    sp_i, sp_p = g.get("spurious_initial", 0), g.get("spurious_pruned", 0)
    tr_p, mi_i, mi_f = g.get("true_pruned", 0), g.get("missing_initial", 0), g.get("missing_found", 0)
    if pruned and sp_p == len(pruned):
        for e in pruned:
            e.truth = "made up"
    elif pruned and tr_p == len(pruned):
        for e in pruned:
            e.truth = "true"
    if sp_i == sp_p:
        for e in kept:
            e.truth = "true"
    if added and mi_f == len(added):
        for e in added:
            e.truth = "missing from the plan"
    parts = [f"{_n(sp_i, 'planned edge')} made up, {_n(mi_i, 'true edge')} missing from the plan",
             f"the refiner pruned {sp_p} made-up and {tr_p} true"]
    if sp_i > sp_p:
        parts.append(f"{_n(sp_i - sp_p, 'made-up edge')} kept")
    parts.append(f"the Judger found {mi_f} of the {mi_i} missing")
    if mi_i > mi_f:
        parts.append(f"{mi_i - mi_f} stayed missing (the files do not say which)")
    unknown = sum(1 for e in edges if not e.truth)
    if unknown:
        parts.append(f"{_n(unknown, 'edge')} cannot be told apart from the counts alone")
    return "; ".join(parts) + "."


def critical_path(nodes: dict[str, Node], edges: list[Edge]) -> tuple[list[str], float]:
    """The heaviest chain of the final graph (kept and added edges), each subtask weighing the accepted
    work spent on it (its estimate where it saw no action)."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    indeg = {n: 0 for n in nodes}
    for e in edges:
        if e.fate != PRUNED and e.a in nodes and e.b in nodes and e.b not in succ[e.a]:
            succ[e.a].append(e.b)
            indeg[e.b] += 1
    order, ready = [], [n for n in nodes if indeg[n] == 0]
    while ready:
        v = ready.pop()
        order.append(v)
        for w in succ[v]:
            indeg[w] -= 1
            if indeg[w] == 0:
                ready.append(w)
    if len(order) < len(nodes):  # a cycle: no critical path to speak of
        return [], 0.0

    def weight(n: str) -> float:
        node = nodes[n]
        return node.work if node.work > 0 else (node.est or 0.0)

    best: dict[str, float] = {}
    prev: dict[str, str | None] = {}
    for v in order:
        best.setdefault(v, 0.0)
        prev.setdefault(v, None)
    for v in order:
        here = best[v] + weight(v)
        for w in succ[v]:
            if here > best[w]:
                best[w], prev[w] = here, v
    if not order:
        return [], 0.0
    end = max(order, key=lambda v: best[v] + weight(v))
    total = best[end] + weight(end)
    chain: list[str] = []
    cur: str | None = end
    while cur is not None:
        chain.append(cur)
        cur = prev[cur]
    return chain[::-1], total


def _args(action: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in action.items() if k != "name")


def build(run: Run) -> Model:
    """Everything the run report draws."""
    res = run.result
    nodes: dict[str, Node] = {}
    for rec in (run.graph or {}).get("nodes", []):
        sid = str(rec.get("id"))
        nodes[sid] = Node(sid, str(rec.get("kind") or ""), str(rec.get("description") or ""),
                          str(rec.get("target") or ""), rec.get("count"), rec.get("est_duration"))
    edges = _edges(run)
    for e in edges:
        for sid in (e.a, e.b):
            nodes.setdefault(sid, Node(sid))
    if run.graph is None:  # without graph.json the trace still names every subtask worked on
        for e in run.events:
            if e.get("type") in ("decision", "subtask") and e.get("subtask"):
                nodes.setdefault(str(e["subtask"]), Node(str(e["subtask"])))
    actions: list[Action] = []
    agents: list[str] = []
    for e in run.events:
        kind = e.get("type")
        agent = e.get("agent")
        if kind in ("decision", "action", "standby", "subtask", "fault", "worker") and agent and agent not in agents:
            agents.append(str(agent))
        if kind in ("action", "standby"):  # a standby walk belongs to no subtask: it says which it heads for
            act = e.get("action") or {}
            msg = str(e.get("message") or "")
            a = Action(str(agent), str(e.get("subtask") or ""), float(e.get("t", 0.0)), float(e.get("duration") or 0.0),
                       bool(e.get("ok")), str(act.get("name", "?")), _args(act),
                       f"standing by for {e.get('toward')}: {msg}" if kind == "standby" else msg,
                       str(e.get("refusal") or ""))
            actions.append(a)
            if a.ok and a.subtask in nodes:
                nodes[a.subtask].work += a.d
        elif kind == "decision" and e.get("subtask") in nodes:
            nodes[e["subtask"]].attempts = max(nodes[e["subtask"]].attempts, int(e.get("attempt") or 1))
        elif kind == "subtask" and e.get("subtask") in nodes:
            n = nodes[e["subtask"]]
            if n.status != "done":
                n.status, n.agent = str(e.get("status") or ""), str(agent or "")
    for e in edges:
        if e.fate == ADDED and e.reason:
            cands = [i for i, a in enumerate(actions) if not a.ok and a.message == e.reason
                     and (e.t is None or a.t <= e.t + 1e-6)]
            if cands:
                e.revealed_by = cands[-1]
    lines_ev = run.of("lines")
    lines = [list(map(str, ln)) for ln in lines_ev[-1].get("lines", [])] if lines_ev else []
    for i, ln in enumerate(lines):
        for sid in ln:
            if sid in nodes and nodes[sid].line is None:
                nodes[sid].line = i
    ends = [a.t + a.d for a in actions]
    makespan = float(res.get("makespan_s") or max(ends, default=0.0))
    truth = _truth(edges, res.get("graph") or {})
    chain, chain_s = critical_path(nodes, edges)
    return Model(nodes, edges, actions, agents, lines, makespan, res.get("lower_bound_s"), chain, chain_s, truth,
                 run.of("fault"), run.of("graph"))
