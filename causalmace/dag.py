"""A small directed graph: the part of a graph library the task graphs need, and nothing else.

Orders are part of the contract, because traces and plans follow them: nodes iterate in insertion
order, a node's successors and predecessors in the order their edges were added, and a copy rebuilds
the edges in (node, successor) order, so a copy lists every node's predecessors in node order. The
algorithms reproduce the traversal orders of the usual textbook forms (Kahn's generations, the
lexicographically least topological order, depth-first edge search for a cycle, Tarjan's strongly
connected components), so the same graph always gives the same answer.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any


class GraphError(Exception):
    """A node or an edge that is not in the graph."""


class NodeNotFound(GraphError):
    """A path asked for from or to a node the graph does not have."""


class Unfeasible(GraphError):
    """A topological order asked of a graph with a cycle."""


class EdgeView:
    """The edges as (u, v) pairs in (node, successor) order; ``view[u, v]`` is the edge's data."""

    __slots__ = ("_succ",)

    def __init__(self, succ: dict[Hashable, dict[Hashable, dict[str, Any]]]) -> None:
        self._succ = succ

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        for u, nbrs in self._succ.items():
            for v in nbrs:
                yield u, v

    def __len__(self) -> int:
        return sum(len(nbrs) for nbrs in self._succ.values())

    def __contains__(self, e: object) -> bool:
        try:
            u, v = e  # type: ignore[misc]
            return v in self._succ[u]
        except (TypeError, ValueError, KeyError):
            return False

    def __getitem__(self, e: tuple[Any, Any]) -> dict[str, Any]:
        u, v = e
        return self._succ[u][v]


class DiGraph:
    """Directed graph without parallel edges; nodes and edges carry attribute dicts."""

    def __init__(self, edges: Iterable[tuple[Any, Any]] | None = None) -> None:
        self._node: dict[Any, dict[str, Any]] = {}
        self._succ: dict[Any, dict[Any, dict[str, Any]]] = {}
        self._pred: dict[Any, dict[Any, dict[str, Any]]] = {}
        if edges is not None:
            self.add_edges_from(edges)

    @property
    def nodes(self) -> Mapping[Any, dict[str, Any]]:
        """The nodes in insertion order; ``nodes[n]`` is the node's attribute dict."""
        return MappingProxyType(self._node)

    @property
    def edges(self) -> EdgeView:
        return EdgeView(self._succ)

    # ---- changing ------------------------------------------------------------------------
    def add_node(self, n: Any, **attr: Any) -> None:
        if n not in self._succ:
            self._succ[n] = {}
            self._pred[n] = {}
            self._node[n] = attr
        else:
            self._node[n].update(attr)

    def add_edge(self, u: Any, v: Any, **attr: Any) -> None:
        for n in (u, v):
            if n not in self._succ:
                self._succ[n] = {}
                self._pred[n] = {}
                self._node[n] = {}
        data = self._succ[u].get(v, {})
        data.update(attr)
        self._succ[u][v] = data
        self._pred[v][u] = data

    def add_edges_from(self, edges: Iterable[tuple[Any, Any]]) -> None:
        for u, v in edges:
            self.add_edge(u, v)

    def remove_edge(self, u: Any, v: Any) -> None:
        try:
            del self._succ[u][v]
            del self._pred[v][u]
        except KeyError as err:
            raise GraphError(f"The edge {u}-{v} not in graph.") from err

    def remove_node(self, n: Any) -> None:
        try:
            succs = self._succ[n]
            del self._node[n]
        except KeyError as err:
            raise GraphError(f"The node {n} is not in the digraph.") from err
        for u in succs:
            del self._pred[u][n]
        del self._succ[n]
        for u in self._pred[n]:
            del self._succ[u][n]
        del self._pred[n]

    def copy(self) -> DiGraph:
        """A copy with copied attribute dicts (their values shared), edges added in (node, successor) order."""
        other = DiGraph()
        other._node = {n: dict(d) for n, d in self._node.items()}
        succ = other._succ = {n: {} for n in self._node}
        pred = other._pred = {n: {} for n in self._node}
        for u, nbrs in self._succ.items():
            su = succ[u]
            for v, d in nbrs.items():
                su[v] = pred[v][u] = dict(d)
        return other

    # ---- reading -------------------------------------------------------------------------
    def __contains__(self, n: object) -> bool:
        try:
            return n in self._node
        except TypeError:
            return False

    def __iter__(self) -> Iterator[Any]:
        return iter(self._node)

    def __len__(self) -> int:
        return len(self._node)

    def __getitem__(self, n: Any) -> Mapping[Any, dict[str, Any]]:
        return MappingProxyType(self._succ[n])

    def has_node(self, n: Any) -> bool:
        return n in self

    def has_edge(self, u: Any, v: Any) -> bool:
        try:
            return v in self._succ[u]
        except KeyError:
            return False

    def number_of_nodes(self) -> int:
        return len(self._node)

    def number_of_edges(self) -> int:
        return len(self.edges)

    def successors(self, n: Any) -> Iterator[Any]:
        try:
            return iter(self._succ[n])
        except KeyError as err:
            raise GraphError(f"The node {n} is not in the digraph.") from err

    neighbors = successors

    def predecessors(self, n: Any) -> Iterator[Any]:
        try:
            return iter(self._pred[n])
        except KeyError as err:
            raise GraphError(f"The node {n} is not in the digraph.") from err

    def in_degree(self, n: Any) -> int:
        return len(self._pred[n])

    def out_degree(self, n: Any) -> int:
        return len(self._succ[n])


# ---- algorithms ----------------------------------------------------------------------------
def _freed(g: DiGraph, node: Any, indegree: dict[Any, int]) -> list[Any]:
    """``node``'s successors that have no predecessor left once it is taken, in edge order."""
    if node not in g._succ:
        raise RuntimeError("Graph changed during iteration")
    out = []
    for child in g._succ[node]:
        try:
            indegree[child] -= 1
        except KeyError as err:
            raise RuntimeError("Graph changed during iteration") from err
        if indegree[child] == 0:
            out.append(child)
            del indegree[child]
    return out


def topological_sort(g: DiGraph) -> Iterator[Any]:
    """Kahn's order by generations: the sources in node order, then each node as its last parent is
    reached, parents in that order and their successors in edge order."""
    indegree = {v: len(p) for v, p in g._pred.items() if p}
    layer = [v for v, p in g._pred.items() if not p]
    while layer:
        this, layer = layer, []
        for node in this:
            layer.extend(_freed(g, node, indegree))
        yield from this
    if indegree:
        raise Unfeasible("Graph contains a cycle or graph changed during iteration")


def lexicographical_topological_sort(g: DiGraph) -> Iterator[Any]:
    """The topological order that is least by node value (ties by insertion order): unique for a graph."""
    index = {n: i for i, n in enumerate(g._node)}
    indegree = {v: len(p) for v, p in g._pred.items() if p}
    ready = [(v, index[v], v) for v, p in g._pred.items() if not p]
    heapq.heapify(ready)
    while ready:
        _, _, node = heapq.heappop(ready)
        for child in _freed(g, node, indegree):
            heapq.heappush(ready, (child, index[child], child))
        yield node
    if indegree:
        raise Unfeasible("Graph contains a cycle or graph changed during iteration")


def _reach(adj: dict[Any, dict[Any, Any]], source: Any) -> set[Any]:
    if source not in adj:
        raise GraphError(f"The node {source} is not in the digraph.")
    seen = {source}
    todo = [source]
    while todo:
        for m in adj[todo.pop()]:
            if m not in seen:
                seen.add(m)
                todo.append(m)
    seen.discard(source)
    return seen


def descendants(g: DiGraph, source: Any) -> set[Any]:
    """Every node a path from ``source`` reaches, ``source`` left out."""
    return _reach(g._succ, source)


def ancestors(g: DiGraph, source: Any) -> set[Any]:
    """Every node with a path to ``source``, ``source`` left out."""
    return _reach(g._pred, source)


def has_path(g: DiGraph, source: Any, target: Any) -> bool:
    if source not in g:
        raise NodeNotFound(f"Source {source} is not in G")
    if target not in g:
        raise NodeNotFound(f"Target {target} is not in G")
    if source == target:
        return True
    succ = g._succ
    seen = {source}
    todo = [source]
    while todo:
        for m in succ[todo.pop()]:
            if m == target:
                return True
            if m not in seen:
                seen.add(m)
                todo.append(m)
    return False


def transitive_closure_dag(g: DiGraph) -> DiGraph:
    """A copy of the acyclic ``g`` with an edge from every node to each of its descendants."""
    closure = g.copy()
    index = {n: i for i, n in enumerate(g._node)}
    for v in reversed(list(topological_sort(g))):  # each successor's row is complete by then
        near = closure._succ[v]
        far = {w for u in near for w in closure._succ[u]} - near.keys() - {v}
        for w in sorted(far, key=index.__getitem__):
            closure.add_edge(v, w)
    return closure


def _edge_dfs(g: DiGraph, start: Any) -> Iterator[tuple[Any, Any]]:
    """Every edge reachable from ``start``, depth first, each node's edges in edge order."""
    visited: set[tuple[Any, Any]] = set()
    started: set[Any] = set()
    out: dict[Any, Iterator[Any]] = {}
    stack = [start]
    while stack:
        node = stack[-1]
        if node not in started:
            out[node] = iter(g._succ[node])
            started.add(node)
        nxt = next(out[node], _END)
        if nxt is _END:
            stack.pop()
            continue
        if (node, nxt) not in visited:
            visited.add((node, nxt))
            stack.append(nxt)
            yield node, nxt


_END = object()


def find_cycle(g: DiGraph) -> list[tuple[Any, Any]] | None:
    """The first cycle a depth-first edge search meets, starting from each node in turn; None if acyclic.

    The search from a node keeps the path of edges it is on; an edge back to a node on that path
    closes the cycle, which is returned from that node on.
    """
    explored: set[Any] = set()
    cycle: list[tuple[Any, Any]] = []
    final = None
    for start in g._node:
        if start in explored:
            continue
        edges: list[tuple[Any, Any]] = []
        seen = {start}
        active = {start}
        previous = None
        for tail, head in _edge_dfs(g, start):
            if head in explored:
                continue
            if previous is not None and tail != previous:  # backtracked: drop the edges beyond ``tail``
                while True:
                    try:
                        popped = edges.pop()
                    except IndexError:
                        edges = []
                        active = {tail}
                        break
                    active.remove(popped[1])
                    if edges and tail == edges[-1][1]:
                        break
            edges.append((tail, head))
            if head in active:
                cycle.extend(edges)
                final = head
                break
            seen.add(head)
            active.add(head)
            previous = head
        if cycle:
            break
        explored.update(seen)
    if not cycle:
        return None
    i = next(i for i, (tail, _) in enumerate(cycle) if tail == final)
    return cycle[i:]


def strongly_connected_components(g: DiGraph) -> Iterator[set[Any]]:
    """Tarjan's components (iterative, with Nuutila's refinement), each as soon as it is complete."""
    preorder: dict[Any, int] = {}
    lowlink: dict[Any, int] = {}
    found: set[Any] = set()
    queue_scc: list[Any] = []
    i = 0
    nbrs = {v: iter(g._succ[v]) for v in g._node}
    for source in g._node:
        if source in found:
            continue
        queue = [source]
        while queue:
            v = queue[-1]
            if v not in preorder:
                i += 1
                preorder[v] = i
            done = True
            for w in nbrs[v]:
                if w not in preorder:
                    queue.append(w)
                    done = False
                    break
            if not done:
                continue
            lowlink[v] = preorder[v]
            for w in g._succ[v]:
                if w not in found:
                    lowlink[v] = min(lowlink[v], lowlink[w] if preorder[w] > preorder[v] else preorder[w])
            queue.pop()
            if lowlink[v] == preorder[v]:
                scc = {v}
                while queue_scc and preorder[queue_scc[-1]] > preorder[v]:
                    scc.add(queue_scc.pop())
                found.update(scc)
                yield scc
            else:
                queue_scc.append(v)


def first_cycle(g: DiGraph) -> list[Any] | None:
    """One simple cycle as its list of nodes, or None: a self-loop if there is one (first in node order),
    else a depth-first walk within the last strongly connected component found, from its first node,
    until it steps back onto that node."""
    for v, nbrs in g._succ.items():
        if v in nbrs:
            return [v]
    h = DiGraph((u, v) for u, nbrs in g._succ.items() for v in nbrs)  # no self-loops; nodes as edges list them
    comps = [c for c in strongly_connected_components(h) if len(c) >= 2]
    if not comps:
        return None
    comp = comps[-1]
    start = next(v for v in h._node if v in comp)
    g = h
    path = [start]
    blocked = {start}
    stack = [iter([w for w in g._succ[start] if w in comp])]
    while stack:
        for w in stack[-1]:
            if w == start:
                return list(path)
            if w not in blocked:
                path.append(w)
                blocked.add(w)
                stack.append(iter([x for x in g._succ[w] if x in comp]))
                break
        else:
            stack.pop()
            path.pop()
    return None  # unreachable: a component of two or more nodes holds a cycle through each of them
