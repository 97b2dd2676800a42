"""What the loop does when the plan itself was wrong: the shared retry budget and the work it adds.

* **Budget.** A try that the Judger refused because something another subtask provides is not there
  yet says nothing about the subtask itself: a method without a graph (AgentVerse's rounds) meets
  that refusal as its normal way of learning the order, and a graph method meets it when the plan
  missed an edge (repair then adds it). Such a try is not charged while the provider is still to
  come; every other failure is. So one ``limits.max_attempts`` means the same for every method.
* **Given up at once.** A refusal for what the world lacks for good (``unavailable``: a live server
  that cannot spawn creatures) ends its subtask's tries, and so does a refusal for what only such
  subtasks (or those stranded by them) would provide: no retry can help either.
* **Top-up.** A refusal for too few of an item whose providers have all run means the plan asked
  for too few (a wrong count): a copy of the provider for the shortfall is added, before the subtask
  that ran short where the method keeps a graph.
"""

from __future__ import annotations

from collections.abc import Set

from causalmace import dag
from causalmace.graph import Subtask, TaskGraph
from causalmace.judger import Refusal, RefusalKind, item_key
from causalmace.repair import provides, sources


def pending_provider(graph: TaskGraph, sid: str, facts: list[Refusal], settled: Set[str]) -> str | None:
    """A subtask not yet settled that provides what one of the refusals wants, or None.

    The providers are those :func:`causalmace.repair.sources` names: for doing things out of order
    within a group, the subtasks of the control the agent saw idle.
    """
    for fact in facts:
        for other in sorted(sources(graph, sid, fact)):
            if other in settled:
                continue
            if dag.has_path(graph.g, sid, other):  # it waits for this one: no point waiting for it
                continue
            return other
    return None


def lacked_for_good(st: Subtask, facts: list[Refusal]) -> bool:
    """True if a refusal says the world lacks for good what the subtask itself works with (its target, or
    an item or creature its details name); a model's stray try at something else does not count."""
    named = {st.target, *(v for v in st.params.values() if isinstance(v, str))}
    return any(f.kind is RefusalKind.UNAVAILABLE and f.item in named for f in facts)


def stranded(graph: TaskGraph, sid: str, facts: list[Refusal], hopeless: Set[str]) -> bool:
    """True if one of ``facts`` wants what only ``hopeless`` subtasks provide (and at least one does)."""
    for fact in facts:
        found = sources(graph, sid, fact)
        if found and all(o in hopeless for o in found):
            return True
    return False


def top_up(graph: TaskGraph, sid: str, facts: list[Refusal], done: Set[str]) -> Subtask | None:
    """A new subtask that provides the shortfall a ``missing_item`` refusal reports, or None.

    Only where every subtask that provides the item has run (so no edge can help) and no earlier
    top-up for it is still to come. The copy keeps the provider's kind and details, with the count
    that was short.
    """
    for fact in facts:
        if fact.kind is not RefusalKind.MISSING_ITEM or not fact.item or fact.need <= fact.have:
            continue
        key = item_key(fact.item)
        providers = sorted(o for o in graph.g.nodes if o != sid and key in provides(graph, o))
        if not providers or any(p not in done for p in providers):
            continue
        tpl = graph.subtask(providers[0])
        base = tpl.params.get("topped_up_from", tpl.id)
        n = sum(1 for o in graph.g.nodes if graph.subtask(o).params.get("topped_up_from") == base) + 1
        short = fact.need - fact.have
        st = Subtask(f"{base}_more{n}", tpl.kind, f"{tpl.description} (again, {short} more)", tpl.target, short,
                     tpl.est_duration, {**tpl.params, "topped_up_from": base}, dict(tpl.check), tpl.produces,
                     tpl.consumes)
        graph.add(st)
        return st
    return None
