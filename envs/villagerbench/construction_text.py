"""Parse VillagerBench construction descriptions into target blocks.

Upstream gives agents free text written by an LLM, in two main line formats::

    material: cut_sandstone facing: A position: [-8, -60, 0]
    [material:bone_block facing:y positions:[start:[-10 -60 0] end:[-10 -58 0]]]

and a long tail of variants (lists of positions, ``pos:[..] facing:N`` pairs, several materials
on one line, ``shape:rectangle corners:[..]``, ``layers:[..]``, ``missing:[..]``, ``single:[..]``).
The parser is tolerant: it understands every variant in the shipped data and reports the lines it
had to read with a looser rule, so a user can see exactly what was interpreted.

A short line can name a huge range (``start:[0 0 0] end:[100000 0 100000]``), so every range is
measured before it is expanded and a description may name at most ``limits.MAX_BLOCKS`` blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from causalmace.limits import MAX_BLOCKS

Pos = tuple[int, int, int]

SINGLE = re.compile(
    r"^\s*material:\s*(?P<mat>[a-z0-9_]+)\s+facing:\s*(?P<facing>\S+)\s+position:\s*"
    r"\[\s*(?P<x>-?\d+),\s*(?P<y>-?\d+),\s*(?P<z>-?\d+)\s*\]\s*$"
)
_T = r"\[-?\d+ -?\d+ -?\d+\]"
RANGE = re.compile(
    r"^\[material:(?P<mat>[a-z0-9_]+) facing:(?P<facing>\S+) positions:\[(?:"
    rf"(?:start:{_T} end:{_T}\s*)+|(?:{_T}\s*)+)\]\]$"
)
TRIPLE = r"\[\s*(-?\d+)[ ,]+(-?\d+)[ ,]+(-?\d+)\s*\]"
_TRIPLE = re.compile(TRIPLE)
_START_END = re.compile(r"start:" + TRIPLE + r"\s*end:" + TRIPLE)
_CORNERS = re.compile(r"corners:\[((?:\s*" + TRIPLE + r")+)\s*\]")
_MISSING = re.compile(r"missing:\[((?:\s*" + TRIPLE + r")+)\s*\]")
_POS_FACING = re.compile(r"(?:pos|position|coords):" + TRIPLE + r"\s*facing:([A-Za-z])")
_SEGMENT = re.compile(r"(?:material|name):\s*([a-z0-9_]+)")
_FACING = re.compile(r"^\s*facing:\s*([A-Za-z])\b")

FACINGS = {"A", "x", "y", "z", "N", "S", "E", "W"}
MAX_DIGITS = 9  # a coordinate of more digits is far outside any world


class DescriptionError(ValueError):
    """A description that names too much, or a number too long; ``line`` is the line's index."""

    line: int = -1


@dataclass(slots=True)
class _Budget:
    """Blocks a description may still name (repeats included): a range is measured before it is expanded."""

    left: int = MAX_BLOCKS

    def take(self, n: int) -> None:
        if n > self.left:
            raise DescriptionError(f"names more than {MAX_BLOCKS} blocks")
        self.left -= n


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise DescriptionError(f"coordinate {text[:12]}{'…' if len(text) > 12 else ''} is far outside the world")
    return int(text)


@dataclass(frozen=True, slots=True)
class TargetBlock:
    name: str
    pos: Pos
    facing: str = "A"


@dataclass(slots=True)
class ParsedDescription:
    blocks: list[TargetBlock] = field(default_factory=list)
    tolerant_lines: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _box(a: Pos, b: Pos, budget: _Budget) -> list[Pos]:
    budget.take((abs(a[0] - b[0]) + 1) * (abs(a[1] - b[1]) + 1) * (abs(a[2] - b[2]) + 1))
    xs = range(min(a[0], b[0]), max(a[0], b[0]) + 1)
    ys = range(min(a[1], b[1]), max(a[1], b[1]) + 1)
    zs = range(min(a[2], b[2]), max(a[2], b[2]) + 1)
    return [(x, y, z) for y in ys for x in xs for z in zs]


def _triples(text: str) -> list[Pos]:
    return [(_int(a), _int(b), _int(c)) for a, b, c in _TRIPLE.findall(text)]


def _segment_blocks(mat: str, body: str, budget: _Budget) -> list[TargetBlock]:
    """Blocks of one ``material:X ...`` segment, whatever shape its positions take."""
    m = _FACING.match(body)
    facing = m.group(1) if m else "A"
    if facing not in FACINGS:
        facing = "A"
    out: list[TargetBlock] = []
    for p, f in ((tuple(map(_int, g[:3])), g[3]) for g in _POS_FACING.findall(body)):
        budget.take(1)
        out.append(TargetBlock(mat, p, f if f in FACINGS else "A"))  # type: ignore[arg-type]
    body = _POS_FACING.sub(" ", body)
    missing: set[Pos] = set()
    for g in _MISSING.findall(body):
        missing.update(_triples(g[0]))
    body = _MISSING.sub(" ", body)
    for g in _START_END.findall(body):
        a = (_int(g[0]), _int(g[1]), _int(g[2]))
        b = (_int(g[3]), _int(g[4]), _int(g[5]))
        out.extend(TargetBlock(mat, p, facing) for p in _box(a, b, budget))
    body = _START_END.sub(" ", body)
    for g in _CORNERS.findall(body):
        corners = _triples(g[0])
        lo = tuple(min(c[i] for c in corners) for i in range(3))
        hi = tuple(max(c[i] for c in corners) for i in range(3))
        out.extend(TargetBlock(mat, p, facing) for p in _box(lo, hi, budget)  # type: ignore[arg-type]
                   if p not in missing)
    body = _CORNERS.sub(" ", body)
    singles = _triples(body)
    budget.take(len(singles))
    out.extend(TargetBlock(mat, p, facing) for p in singles)
    return out


def parse_line(line: str, budget: _Budget | None = None) -> tuple[list[TargetBlock], bool]:
    """Return the blocks of one line and whether it followed one of the two upstream formats."""
    budget = _Budget() if budget is None else budget
    m = SINGLE.match(line)
    if m:
        budget.take(1)
        pos = (_int(m["x"]), _int(m["y"]), _int(m["z"]))
        facing = m["facing"] if m["facing"] in FACINGS else "A"
        return [TargetBlock(m["mat"], pos, facing)], True
    m = RANGE.match(line)
    strict = m is not None
    starts = [s.start() for s in _SEGMENT.finditer(line)]
    blocks: list[TargetBlock] = []
    for i, s in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(line)
        seg = line[s:end]
        mat = _SEGMENT.match(seg)
        assert mat is not None
        blocks.extend(_segment_blocks(mat.group(1), seg[mat.end():], budget))
    return blocks, strict


def parse_description(lines: list[str]) -> ParsedDescription:
    """Parse a task's lines; later lines overwrite earlier ones at the same position.

    Raises :class:`DescriptionError` (with the line's index) for a description naming too much."""
    result = ParsedDescription()
    by_pos: dict[Pos, TargetBlock] = {}
    budget = _Budget()
    for i, line in enumerate(lines):
        try:
            blocks, strict = parse_line(line, budget)
        except DescriptionError as e:
            e.line = i
            raise
        if not blocks:
            result.skipped.append((i, line))
            continue
        if not strict:
            result.tolerant_lines.append(i)
        for b in blocks:
            by_pos[b.pos] = b
    result.blocks = list(by_pos.values())
    return result
