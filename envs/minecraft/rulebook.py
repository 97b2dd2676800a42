"""Hand the game rules to the server plugin as JSON, built from the same RuleSet the offline simulator uses.

One rule book for both worlds: the plugin crafts, smelts and hands out drops (of blocks and creatures) only by
what this file carries.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from causalmace.envs.blocks.judger import ENTITY_REACH
from causalmace.rules import RuleSet

REACH = 4.5  # blocks from the player's feet to a block's centre, as in the offline simulator


def default_rules() -> RuleSet:
    """The CraftWorld 1.19.2 rule table (imported lazily: only needed when no RuleSet is given)."""
    from causalmace.envs.craftworld.rules_data import base_rules

    return base_rules()


def rules_payload(rules: RuleSet | None = None, *, reach: float = REACH) -> dict[str, Any]:
    """The plugin's rule JSON: recipes with their station, smelting, fuels, drops with tools, creatures (health,
    drops, what an item used on one gives, weapons' damage), containers."""
    rules = rules or default_rules()
    return {
        "reach": reach,
        "recipes": {
            out: [{"count": r.count, "inputs": [[n, c] for n, c in r.inputs], "station": r.station} for r in options]
            for out, options in rules.recipes.items()
        },
        "smelting": {k: s.output for k, s in rules.smelting.items()},
        "fuels": dict(rules.fuels),
        "drops": {
            name: {"drops": [[n, c] for n, c in d.drops], "tools": sorted(d.tools) if d.tools else None}
            for name, d in rules.digging.items()
        },
        "creatures": {name: {"health": e.health, "drops": [[n, c] for n, c in e.drops]}
                      for name, e in rules.entities.items()},
        "uses": [{"item": u.item, "entity": u.entity, "gives": u.gives, "consumes": u.consumes}
                 for u in rules.uses.values()],
        "weapons": dict(rules.weapon_damage),
        "entityReach": ENTITY_REACH,
        "containers": sorted(k for k, v in rules.interactive.items() if v == "container"),
    }


def write_rules(path: Path, rules: RuleSet | None = None, *, reach: float = REACH) -> Path:
    path.write_text(json.dumps(rules_payload(rules, reach=reach)), "utf-8")
    return path
