"""The global causal task graph: subtasks and dependency edges with their causal records."""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from causalmace import dag

EdgeOrigin = Literal["planner", "refiner", "judger", "truth"]


@dataclass(slots=True)
class Subtask:
    id: str
    kind: str  # fetch, harvest, hunt, use, smelt, craft, build, scaffold, clear, toggle, stand, place, ...
    description: str
    target: str
    count: int = 1
    est_duration: float = 1.0
    params: dict[str, Any] = field(default_factory=dict)
    check: dict[str, Any] = field(default_factory=dict)  # how success is verified
    produces: tuple[str, ...] = ()
    consumes: tuple[str, ...] = ()


@dataclass(slots=True)
class Intervention:
    change: str
    effect: float  # P(edge holds | do(change))


@dataclass(slots=True)
class EdgeRecord:
    origin: EdgeOrigin = "planner"
    interventions: list[Intervention] = field(default_factory=list)
    p_holds: float | None = None  # P(edge holds | rules)
    ate: float | None = None
    verdict: Literal["unchecked", "kept", "pruned", "added"] = "unchecked"
    note: str = ""


class CycleError(ValueError):
    """A plan whose dependencies loop; reported, never executed."""

    def __init__(self, cycle: list[tuple[str, str]]) -> None:
        self.cycle = cycle
        super().__init__("dependency cycle: " + " -> ".join([a for a, _ in cycle] + [cycle[0][0]]))


class TaskGraph:
    def __init__(self, task_id: str = "") -> None:
        self.task_id = task_id
        self.g: dag.DiGraph = dag.DiGraph()
        self.pruned_records: dict[tuple[str, str], EdgeRecord] = {}  # kept for the report and the trace

    # ---- building ------------------------------------------------------------------------
    def add(self, st: Subtask) -> Subtask:
        self.g.add_node(st.id, subtask=st)
        return st

    def add_edge(self, a: str, b: str, origin: EdgeOrigin = "planner", note: str = "") -> EdgeRecord:
        rec = EdgeRecord(origin=origin, note=note, verdict="added" if origin in ("judger",) else "unchecked")
        self.g.add_edge(a, b, record=rec)
        return rec

    def remove_edge(self, a: str, b: str) -> None:
        self.g.remove_edge(a, b)

    def copy(self) -> TaskGraph:
        other = TaskGraph(self.task_id)
        other.g = self.g.copy()
        for a, b in other.g.edges:
            other.g.edges[a, b]["record"] = copy.deepcopy(self.g.edges[a, b]["record"])
        other.pruned_records = dict(self.pruned_records)
        return other

    # ---- reading -------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.g.number_of_nodes()

    def subtask(self, sid: str) -> Subtask:
        return self.g.nodes[sid]["subtask"]

    def subtasks(self) -> list[Subtask]:
        return [self.g.nodes[n]["subtask"] for n in self.g.nodes]

    def edges(self) -> list[tuple[str, str]]:
        return list(self.g.edges)

    def record(self, a: str, b: str) -> EdgeRecord:
        return self.g.edges[a, b]["record"]

    def preds(self, sid: str) -> list[str]:
        return list(self.g.predecessors(sid))

    def succs(self, sid: str) -> list[str]:
        return list(self.g.successors(sid))

    def find_cycle(self) -> list[tuple[str, str]] | None:
        return dag.find_cycle(self.g)

    def check_acyclic(self) -> None:
        cycle = self.find_cycle()
        if cycle:
            raise CycleError(cycle)

    def topo_order(self) -> list[str]:
        self.check_acyclic()
        return list(dag.lexicographical_topological_sort(self.g))

    def roots(self) -> list[str]:
        return sorted(n for n in self.g.nodes if self.g.in_degree(n) == 0)

    # ---- export --------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task_id,
            "nodes": [asdict(s) for s in self.subtasks()],
            "edges": [{"from": a, "to": b, **asdict(self.record(a, b))} for a, b in self.edges()],
            "pruned": [{"from": a, "to": b, **asdict(r)} for (a, b), r in sorted(self.pruned_records.items())],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=1, default=list)

    def to_dot(self) -> str:
        lines = [f'digraph "{self.task_id}" {{', "  rankdir=LR;"]
        for s in self.subtasks():
            label = s.description.replace('"', "'")
            lines.append(f'  "{s.id}" [label="{label}"];')
        edges = [(a, b, self.record(a, b)) for a, b in self.edges()]
        edges += [(a, b, r) for (a, b), r in sorted(self.pruned_records.items())]
        for a, b, r in edges:
            style = {"pruned": "dotted", "added": "bold"}.get(r.verdict, "solid")
            ate = "" if r.ate is None else f" label=\"ATE {r.ate:.2f}\""
            lines.append(f'  "{a}" -> "{b}" [style={style}{ate}];')
        lines.append("}")
        return "\n".join(lines)
