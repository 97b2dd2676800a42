"""The rules of a block world in words, for the planner's prompt."""

from __future__ import annotations

from collections.abc import Iterable

from causalmace.rules import RuleSet

MAX_RULE_LINES = 40


def rules_text(rules: RuleSet, wants: Iterable[str]) -> str:
    lines: list[str] = []
    items = set(wants)
    for ref in rules.relevant(items):
        if ref.kind == "recipe" and ref.key not in items:
            continue
        if ref.kind == "recipe":
            r = rules.recipes[ref.key][ref.index]
            ins = ", ".join(f"{c} {n}" for n, c in r.inputs)
            lines.append(f"craft {r.count} {r.output} from {ins}" + (f" at a {r.station}" if r.station else ""))
        elif ref.kind == "smelt":
            lines.append(f"smelt {ref.key} into {rules.smelting[ref.key].output} at a {rules.smelt_station}, "
                         "burning fuel")
        elif ref.kind == "dig":
            lines.append(f"mining {ref.key} needs one of {sorted(rules.digging[ref.key].tools or [])}")
        elif ref.kind == "use":
            item, ent = ref.key.split("@")
            lines.append(f"use {item} on {ent} gives {rules.uses[(item, ent)].gives}")
        elif ref.kind == "support":
            lines.append("a block is placed against a neighbouring block or the ground")
    for t in rules.triggers:
        conds = " and ".join(f"{c.block} at {c.pos} {c.state}" for c in t.conditions)
        lines.append(f"{t.id} opens when {conds} (within {t.wait_interval:g} s)")
    return "\n".join(lines[:MAX_RULE_LINES])
