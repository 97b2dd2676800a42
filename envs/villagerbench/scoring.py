"""VillagerBench's scoring formulas as pure functions.

The original judgers compute these numbers inside Minecraft callbacks that read files and query a live
server. Keeping the arithmetic here, apart from any world or log format, lets the simulator, a live
server, the experiment scripts and the tests score runs the same way the benchmark does.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass

Pos = tuple[int, int, int]
Block = tuple[str, str]  # (name, facing)
World = Callable[[Pos], Block | None]

# Blocks the judgers treat as empty space: never a hit, never part of a blueprint.
_EMPTY = frozenset({"air", "water", "lava"})
_DIRECTIONS = frozenset({"W", "E", "S", "N"})
_AXES = frozenset({"x", "y", "z"})

# -- construction -----------------------------------------------------------------------------------


def _solid(target: Mapping[Pos, Block]) -> dict[Pos, Block]:
    """The blueprint without air/water/lava, which the judger drops before scoring."""
    return {pos: block for pos, block in target.items() if block[0] not in _EMPTY}


def block_matches(
    target_name: str, target_facing: str, actual_name: str | None, actual_facing: str | None
) -> bool:
    """Whether a world block satisfies one blueprint block (the judger's ``check_block``).

    Facing 'A' (or none) accepts any orientation; a direction letter W/E/S/N must equal the world
    block's facing and an axis letter x/y/z its axis. Any other facing code never matches, as upstream.
    """
    if actual_name is None or actual_name in _EMPTY or actual_name != target_name:
        return False
    if target_facing in ("", "A"):
        return True
    if target_facing in _DIRECTIONS or target_facing in _AXES:
        return actual_facing == target_facing
    return False


def block_hit_rate(target: Mapping[Pos, Block], world: World) -> float:
    """Fraction of blueprint blocks present in the world with the right name and facing.

    An empty blueprint counts as fully built, so it never blocks completion.
    """
    solid = _solid(target)
    if not solid:
        return 1.0
    hits = 0
    for pos, (name, facing) in solid.items():
        actual = world(pos)
        if actual is not None and block_matches(name, facing, actual[0], actual[1]):
            hits += 1
    return hits / len(solid)


def _column(pos: Pos, depth_axis: int) -> tuple[int, int]:
    """The two coordinates of ``pos`` across the viewing direction."""
    a, b = (c for axis, c in enumerate(pos) if axis != depth_axis)
    return a, b


def _at(column: tuple[int, int], depth_axis: int, depth: int) -> Pos:
    """Inverse of :func:`_column`: the position at ``depth`` along one line of sight."""
    coords = [*column]
    coords.insert(depth_axis, depth)
    return coords[0], coords[1], coords[2]


def _view_rate(
    solid: Mapping[Pos, Block],
    world: World,
    depth_axis: int,
    from_high: bool,
    check_facing: bool,
    lo: Pos,
    hi: Pos,
) -> float:
    """Hit rate of one orthographic view looking along ``depth_axis``.

    For each line of sight the blueprint's reference is its block nearest to the viewer; the world is
    scanned from the viewer's side of the bounding box and the first non-empty block is compared with it.
    A line of sight with no world block inside the box is a miss.
    """
    reference: dict[tuple[int, int], tuple[int, Block]] = {}
    for pos, block in solid.items():
        column, depth = _column(pos, depth_axis), pos[depth_axis]
        best = reference.get(column)
        if best is None or (depth > best[0] if from_high else depth < best[0]):
            reference[column] = (depth, block)
    if from_high:
        depths = range(hi[depth_axis], lo[depth_axis] - 1, -1)
    else:
        depths = range(lo[depth_axis], hi[depth_axis] + 1)
    hits = 0
    for column, (_, (name, facing)) in reference.items():
        for depth in depths:
            actual = world(_at(column, depth_axis, depth))
            if actual is None or actual[0] in _EMPTY:
                continue
            if check_facing:
                hit = block_matches(name, facing, actual[0], actual[1])
            else:
                hit = actual[0] == name
            hits += int(hit)
            break
    return hits / len(reference)


def view_hit_rate(target: Mapping[Pos, Block], world: World, *, front_checks_facing: bool = True) -> float:
    """Mean hit rate over the judger's five views: front (+x), -z, +z, back (-x) and top (+y).

    Views reward a structure that *looks* right from outside even when hidden interior blocks differ.
    Only the front view compares facing. Upstream's front-view reference cell stores no facing, so its
    judger effectively compares names there too; ``front_checks_facing=False`` reproduces that.
    The scan stays inside the blueprint's bounding box, so scaffolding outside it is never seen.
    """
    solid = _solid(target)
    if not solid:
        return 1.0
    lo = (min(p[0] for p in solid), min(p[1] for p in solid), min(p[2] for p in solid))
    hi = (max(p[0] for p in solid), max(p[1] for p in solid), max(p[2] for p in solid))
    views = (
        (0, True, front_checks_facing),  # front: looking from +x
        (2, False, False),  # "right": looking from -z
        (2, True, False),  # "left": looking from +z
        (0, False, False),  # back: looking from -x
        (1, True, False),  # top: looking from +y
    )
    rates = [_view_rate(solid, world, axis, high, facing, lo, hi) for axis, high, facing in views]
    return sum(rates) / len(rates)


# Neighbour directions a block's facing keeps when counting how well supported it is.
_FACING_DROPS: dict[str, Pos] = {"W": (-1, 0, 0), "E": (1, 0, 0), "S": (0, 0, -1), "N": (0, 0, 1)}
_AXIS_KEEPS: dict[str, int] = {"x": 1, "y": 0, "z": 2}  # upstream's axis code keeps only these offsets
_NEIGHBOURS: tuple[Pos, ...] = ((-1, 0, 0), (1, 0, 0), (0, -1, 0), (0, 1, 0), (0, 0, -1), (0, 0, 1))


def construction_complexity(target: Mapping[Pos, Block], height_weight: float = 0.02) -> float:
    """The judger's ``measure_complexity``: sets the construction time budget.

    Each block costs at least two actions, less when many neighbours give it support, and more the
    higher it sits above the ground. Facing restricts which neighbours count, as upstream
    (note upstream's axis mapping: 'x' keeps only vertical neighbours, 'y' only the x ones).
    """
    solid = _solid(target)
    if not solid:
        return 0.0
    ground = min(p[1] for p in solid) - 1
    complexity = 0.0
    for (x, y, z), (_, facing) in solid.items():
        count = 0
        for offset in _NEIGHBOURS:
            dx, dy, dz = offset
            if (x + dx, y + dy, z + dz) not in solid:
                continue
            if facing in _FACING_DROPS and offset == _FACING_DROPS[facing]:
                continue
            if facing in _AXIS_KEEPS and offset[_AXIS_KEEPS[facing]] == 0:
                continue
            count += 1
        complexity += (1 / (count + 1) + (y - ground) * height_weight) * 2
    return complexity


def construction_t_max(complexity: float) -> float:
    """Action-time budget for a construction task, ``(ln C + 1) * 60 + 180``.

    Any non-empty blueprint has C > 1, so clamping C at 1 only keeps an empty one finite.
    """
    return (math.log(max(complexity, 1.0)) + 1) * 60 + 180


# -- farming ----------------------------------------------------------------------------------------

_FARM_OPTIONS: dict[str, tuple[int, dict[str, tuple[str, ...]]]] = {
    "cake": (
        3,
        {
            "milk": ("milk_bucket in chest", "bucket in chest", "iron_ingot in chest"),
            "wheat": ("wheat in chest", "hay_block in chest", "wheat in farm", "hay_block in farm"),
            "sugar": ("sugar in chest", "sugar_cane in chest", "sugar_cane in farm"),
        },
    ),
    "rabbit_stew": (
        6,
        {
            "cooked_rabbit": ("rabbit in chest", "rabbit in pasture"),
            "baked_potato": ("potato in chest", "potato in farm"),
            "carrot": ("carrot in chest", "carrot in farm"),
            "brown_mushroom": ("brown_mushroom in chest", "brown_mushroom in farm"),
            "bowl": ("bowl in chest", "acacia_log in pasture"),
            "coal": ("coal in chest", "coal in mine"),
        },
    ),
}


def farming_complexity(sources: Mapping[str, str], target: str) -> float:
    """Sum of each ingredient's option index plus a per-dish base (3 for cake, 6 for rabbit stew).

    Later options mean more gathering or crafting steps, so they buy a larger time budget.
    ``target`` may be the dish or a task name such as ``cake_7``. An unknown option raises instead of
    silently adding nothing, as upstream would.
    """
    dish = target
    if dish not in _FARM_OPTIONS:
        head, _, tail = target.rpartition("_")
        dish = head if tail.isdigit() else target
    if dish not in _FARM_OPTIONS:
        raise ValueError(f"unknown farming target {target!r}")
    base, options = _FARM_OPTIONS[dish]
    complexity = base
    for ingredient, choices in options.items():
        if ingredient not in sources:
            raise ValueError(f"{dish}: no source given for {ingredient!r}")
        if sources[ingredient] not in choices:
            raise ValueError(f"{dish}: unknown option {sources[ingredient]!r} for {ingredient!r}")
        complexity += choices.index(sources[ingredient])
    return float(complexity)


UPSTREAM_DISHES = frozenset(_FARM_OPTIONS)  # the dishes upstream's judger has an option table for


@dataclass(frozen=True, slots=True)
class SourceOption:
    """One ingredient source of a dish upstream has no table for, as the recipe tables place it.

    ``steps``: crafting, smelting and use rules from the source's item to the dish (harvesting a block or
    hunting a creature for its drop is no step); ``in_world``: the item is gathered from the world (a
    farm, a pasture, a mine) rather than taken from a chest.
    """

    steps: int
    in_world: bool


def dish_complexity(options: Sequence[SourceOption], inputs: int) -> float:
    """Complexity of a dish outside upstream's table: ``C = B + sum_i k_i``.

    It follows upstream's shape (a per-dish base plus each ingredient's option index):
    ``B`` is the number of ingredient sources the setting names (upstream's bases, 3 for cake and 6 for
    rabbit stew, are exactly their number of ingredient fields), or, when it names none, ``inputs``, the
    distinct inputs of the dish's recipe; at least 1. An option's index ``k_i = max(0, steps - 1) +
    in_world``: every rule beyond the one that makes the dish and every trip out of the house makes a
    later option. On cake's chest options this gives upstream's indexes (milk_bucket 0, bucket 1,
    iron_ingot 2, wheat 0, hay_block 1, sugar 0, sugar_cane 1); upstream ranks its farm options a step
    higher than this does, which is why cake and rabbit stew keep upstream's table.
    """
    base = len(options) if options else inputs
    return float(max(1, base) + sum(max(0, o.steps - 1) + int(o.in_world) for o in options))


def farming_t_max(complexity: float) -> float:
    """Action-time budget for a farming task: 40 seconds per unit of complexity."""
    return 40.0 * complexity


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One scored item of a farming task: holding ``count`` of ``name`` earns ``score``.

    ``sub`` lists the checkpoints this one is made from; reaching it makes their points redundant.
    """

    name: str
    count: int
    score: float
    sub: tuple[str, ...] = ()


def checkpoint_score(checkpoints: Sequence[Checkpoint], achieved: Set[str]) -> float:
    """Sum of achieved checkpoints that are not ingredients (transitively) of another achieved one.

    Voiding descendants keeps the score from rewarding both an item and what it was made from, so the
    finished dish alone gives exactly its own score. Reachability walks through unachieved checkpoints
    too, as upstream does. Self-loops and cycles in the data are tolerated (each node is visited once);
    a checkpoint never voids itself.
    """
    table = {cp.name: cp for cp in checkpoints}
    done = [name for name in table if name in achieved]
    voided: set[str] = set()
    for root in done:
        seen: set[str] = set()
        stack = list(table[root].sub)
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            if name != root and name in achieved:
                voided.add(name)
            if name in table:
                stack.extend(table[name].sub)
    return float(sum(table[name].score for name in done if name not in voided))


def cooperation_score(owners: Mapping[str, int], n_agents: int) -> float:
    """How evenly first-acquisitions of checkpoint items are spread over agents, on 0..100.

    100 is the most even split possible and 0 is one agent doing everything, so the score compares a
    team against its own best and worst cases rather than against perfect equality.
    """
    counts = [int(c) for c in owners.values()]
    counts += [0] * max(0, n_agents - len(counts))
    total = sum(counts)
    if total == 0:
        return 0.0
    n = len(counts)
    spread = statistics.pstdev(counts)
    max_std = statistics.pstdev([total] + [0] * (n - 1))
    even = [total // n + (1 if i < total % n else 0) for i in range(n)]
    min_std = statistics.pstdev(even)
    if max_std == min_std:
        return 100.0
    return 100.0 * (1 - (spread - min_std) / (max_std - min_std))


# -- escape room ------------------------------------------------------------------------------------


def escape_completion(rooms: Sequence[tuple[bool, float]]) -> float:
    """Upstream's ``calculate_score``: the mean over rooms of 1 for a solved room, else its partial credit.

    Partial credit (see :func:`escape_partial`) keeps the score informative when a team is stuck in one room.
    """
    if not rooms:
        return 0.0
    return sum(1.0 if solved else partial for solved, partial in rooms) / len(rooms)


def escape_partial(events: Sequence[tuple[int, int]]) -> float:
    """An unsolved room's credit, as upstream's ``calculate_score`` counts it.

    ``events`` holds, for each sub-event of the room but the final one, the most of its conditions ever
    met at the same moment and how many conditions it has. Upstream leaves the final sub-event out of both
    sums; a room whose only sub-event is the final one earns nothing (upstream would divide by zero).
    """
    total = sum(n for _, n in events)
    if total == 0:
        return 0.0
    return sum(min(best, n) for best, n in events) / total


def escape_room_complexity(kind: str, score: float, players: int, conditions: int = 1,
                           wait_interval: float = 4.0) -> float:
    """What one room adds to a run's complexity, as upstream's generator adds it.

    A same-room atom adds ``score * players * conditions / wait_interval`` (players: those who play it);
    a split room adds its score once; each of a merge's rooms (one per player merged) adds
    ``score * players``; each of a cross pair adds ``score * players`` of its side, with the score of the
    first atom of the pair for both (upstream's arithmetic, kept as it is).
    """
    if kind == "same_room":
        return score * players * conditions / wait_interval
    if kind == "split":
        return score
    if kind in ("merge", "cross"):
        return score * players
    raise ValueError(f"unknown escape room kind {kind!r}")


def escape_t_max(complexity: float) -> float:
    """Action-time budget for an escape task: ``30 * C + 60`` seconds."""
    return 30.0 * complexity + 60.0
