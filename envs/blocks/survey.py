"""What a block world holds at the start: the env's reference plan reads all of it; the planner's text, what a
player can see."""

from __future__ import annotations

from dataclasses import dataclass, field

from causalmace.rules import Pos


@dataclass(frozen=True)
class Survey:
    containers: tuple[tuple[Pos, str, tuple[tuple[str, int], ...], str | None], ...] = ()
    blocks: dict[str, tuple[Pos, ...]] = field(default_factory=dict)  # placed blocks by name
    creatures: tuple[tuple[str, Pos], ...] = ()
    spawn: Pos = (0, 0, 0)
    ground_y: int = 0
    start_items: tuple[tuple[str, int], ...] = ()
    depot_name: str | None = None  # the rules' depot container

    def depot(self) -> Pos | None:
        """The unlocked depot container nearest the spawn: where a team keeps what it gathers."""
        stores = [c for c in self.containers if c[1] == self.depot_name and c[3] is None]
        if not stores:
            return None
        sx, sy, sz = self.spawn
        return min(stores, key=lambda c: ((c[0][0] - sx) ** 2 + (c[0][2] - sz) ** 2, c[0]))[0]


def survey_text(survey: Survey) -> str:
    """The planner's view: where containers stand, not what they hold; a player learns that by opening one
    (upstream's task goals say only that some ingredients or materials are in chests)."""
    return (f"Containers (open one to see what it holds): "
            f"{[(p, n, 'locked') if lock else (p, n) for p, n, _, lock in survey.containers]}\n"
            f"Blocks: { {k: len(v) for k, v in survey.blocks.items()} }\n"
            f"Creatures: {sorted({n for n, _ in survey.creatures})}")
