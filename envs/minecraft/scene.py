"""Lay a task's starting world out on a live server: blocks (runs as one fill), doors, chests with their items.

The scene comes from the same :class:`~causalmace.envs.craftworld.world.WorldState` CraftWorld starts from, so
both worlds begin alike; players are placed by the env, which owns the bots.
"""

from __future__ import annotations

from collections.abc import Iterable

from causalmace.envs.craftworld.world import Block, WorldState
from causalmace.rules import Pos, RuleSet

from .frame import properties, wall_form
from .live import LiveWorld

Key = tuple[str, str, bool, bool]  # name, facing, open, powered


def runs(cells: Iterable[Pos]) -> list[tuple[Pos, Pos]]:
    """Cells grouped into runs along x (same y and z, consecutive x): one fill each."""
    out: list[tuple[Pos, Pos]] = []
    for p in sorted(cells, key=lambda c: (c[1], c[2], c[0])):
        if out and out[-1][1][1:] == p[1:] and out[-1][1][0] + 1 == p[0]:
            out[-1] = (out[-1][0], p)
        else:
            out.append((p, p))
    return out


def _put(live: LiveWorld, cells: list[Pos], name: str, props: dict[str, object]) -> None:
    for a, b in runs(cells):
        if a == b:
            live.setblock(a, name, props)
        else:
            live.fill(a, b, name, props)


GROUND_MARGIN = 4  # blocks around the scene whose ground is the task's own (stone floors of escape rooms)
LIVE_GROUND = "grass_block"


def _ground(live: LiveWorld, state: WorldState) -> None:
    """Lay the task's ground block (if not the server's grass) under the scene and a margin around it."""
    cells = [*state.blocks, *state.containers, *(tuple(map(int, a.pos)) for a in state.agents.values())]
    cells += [c for r in state.rooms for c in (r.center, r.start, *r.exit_cells)]
    if state.ground_block == LIVE_GROUND or not cells:
        return
    y = state.ground_y - 1
    x0, x1 = min(c[0] for c in cells) - GROUND_MARGIN, max(c[0] for c in cells) + GROUND_MARGIN
    z0, z1 = min(c[2] for c in cells) - GROUND_MARGIN, max(c[2] for c in cells) + GROUND_MARGIN
    live.fill((x0, y, z0), (x1, y, z1), state.ground_block)


def build_scene(live: LiveWorld, state: WorldState, rules: RuleSet) -> dict[Pos, str]:
    """Place every block and container of ``state``; returns the non-air blocks placed, by position."""
    _ground(live, state)
    groups: dict[Key, list[Pos]] = {}
    air: list[Pos] = []
    placed: dict[Pos, str] = {}
    for pos, b in state.blocks.items():
        if b is None:
            air.append(pos)
        elif pos not in state.containers:
            groups.setdefault((b.name, b.facing, b.open, b.powered), []).append(pos)
            placed[pos] = b.name
    _put(live, air, "air", {})
    for (name, facing, open_, powered), cells in sorted(groups.items()):
        props = properties(facing, open_=open_, powered=powered)
        if rules.interactive.get(name) == "door":
            _put(live, cells, name, {**props, "half": "lower"})
            tops = [(x, y + 1, z) for x, y, z in cells if (x, y + 1, z) not in state.blocks]
            _put(live, tops, name, {**props, "half": "upper"})
            placed.update({p: name for p in tops})
        else:
            wall = wall_form(name) if facing in ("N", "S", "E", "W") else None
            _put(live, cells, wall or name, props)
    for pos, c in state.containers.items():
        live.set_chest(pos, c.name, c.items)
        placed[pos] = c.name
    return placed


def clear_scene(live: LiveWorld, cells: Iterable[Pos], ground_y: int, ground: Block | None = None) -> None:
    """Undo an earlier scene on a shared server: cells above the ground become air, cells in it ground again."""
    above = [p for p in cells if p[1] >= ground_y]
    below = [p for p in cells if p[1] < ground_y]
    _put(live, above, "air", {})
    for p in below:
        live.setblock(p, (ground.name if ground else "grass_block") if p[1] == ground_y - 1 else "dirt")
