"""Checks of a VillagerBench task file's raw JSON, run before a loader reads it.

The loaders turn numbers into ints, divide by them and index with them; a NaN position, a
``wait_interval`` of 0, a string where a count belongs or a ``random`` copy count larger than the room
would otherwise crash them mid-way. Everything here is about the file's shape and bounds (see
:mod:`causalmace.limits`); what needs the game's rules (block and item names) stays with the loaders.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from causalmace.envs.villagerbench.farming import RESERVED, SOURCE_FORM
from causalmace.errors import UserError
from causalmace.inputs import clip
from causalmace.limits import (
    MAX_AGENTS,
    MAX_COUNT,
    MAX_LINE_CHARS,
    MAX_SCORE,
    MAX_WAIT_S,
    WORLD_XZ,
    WORLD_Y_MAX,
    WORLD_Y_MIN,
)

TASK_ID = re.compile(r"^(?!\.\.?$)[A-Za-z0-9_.-]{1,100}$")  # a plain name: it also names a study's folders
FLOOR = [(x, 0, z) for x in (-1, 0, 1) for z in (-1, 0, 1)]  # an escape room's cells for per-player copies


def _fail(message: str, source: str, key: str | None, expected: str | None = None) -> UserError:
    return UserError(message, file=source, key=key, expected=expected)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def count(v: Any, source: str, key: str, lo: int = 0) -> int:
    if not _is_int(v) or not lo <= v <= MAX_COUNT:
        raise _fail(f"bad count {clip(v)}", source, key, f"a whole number from {lo} to {MAX_COUNT}")
    return int(v)


def number(v: Any, source: str, key: str, lo: float, hi: float, above: bool = False) -> float:
    """A finite number in [lo, hi] (or (lo, hi] with ``above``)."""
    ok = _is_num(v) and (v > lo if above else v >= lo) and v <= hi
    if not ok:
        span = f"{'above' if above else 'from'} {lo:g} {'and at most' if above else 'to'} {hi:g}"
        raise _fail(f"bad number {clip(v)}", source, key, f"a number {span}")
    return float(v)


def position(v: Any, source: str, key: str, integers: bool = False) -> None:
    """[x, y, z] finite numbers inside the world."""
    kind = "integers" if integers else "numbers"
    if not (isinstance(v, list) and len(v) == 3 and all(_is_int(c) if integers else _is_num(c) for c in v)):
        raise _fail(f"bad position {clip(v)}", source, key, f"[x, y, z] {kind}")
    if not (abs(v[0]) <= WORLD_XZ and abs(v[2]) <= WORLD_XZ and WORLD_Y_MIN <= v[1] <= WORLD_Y_MAX):
        raise _fail(f"position {clip(v)} is outside the world", source, key,
                    f"|x|, |z| <= {WORLD_XZ} and y from {WORLD_Y_MIN} to {WORLD_Y_MAX}")


def text(v: Any, source: str, key: str, limit: int = 1000) -> str:
    if not isinstance(v, str) or len(v) > limit:
        raise _fail(f"bad text {clip(v)}", source, key, f"a string of at most {limit} characters")
    return v


def task_id(v: Any, source: str, key: str) -> str:
    if not isinstance(v, str) or not TASK_ID.match(v):
        raise _fail(f"bad task id {clip(v)}", source, key, "a name of letters, digits, '_', '.' and '-'")
    return v


def unique(ids: Iterable[str], source: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise _fail(f"duplicate task id {clip(i)}", source, None, "each task id once")
        seen.add(i)


def _items(v: Any, source: str, key: str | None, what: str = "a list") -> list[Any]:
    if not isinstance(v, list):
        head = "top level must be a list" if key is None else "not a list"
        raise _fail(f"{head}: {clip(v)}", source, key, what)
    return v


def _mapping(v: Any, source: str, key: str | None, what: str = "a JSON object") -> dict[str, Any]:
    if not isinstance(v, dict):
        head = "top level must be an object" if key is None else "not an object"
        raise _fail(f"{head}: {clip(v)}", source, key, what)
    return v


# --------------------------------------------------------------------------- construction


def check_construction(data: Any, source: str) -> None:
    """Task id -> lines of text; the blocks the lines name are bounded by the parser."""
    for tid, lines in _mapping(data, source, None, "a JSON object of task id -> list of lines").items():
        task_id(tid, source, str(tid)[:100])
        for i, line in enumerate(_items(lines, source, tid)):
            text(line, source, f"{tid}[{i}]", MAX_LINE_CHARS)


# --------------------------------------------------------------------------- farming


def check_farming(data: Any, source: str) -> None:
    """A list of farm settings: names, positions, chest items and checkpoints of sane types and sizes."""
    names = []
    for i, s in enumerate(_items(data, source, None, "a JSON list of farm settings")):
        s = _mapping(s, source, f"[{i}]")
        name = task_id(s.get("name"), source, f"[{i}].name")
        names.append(name)
        key = name
        text(s.get("target"), source, f"{key}.target", 100)
        for k, v in s.items():  # every other field names an ingredient source
            if k not in RESERVED:
                text(k, source, f"{key}.{str(k)[:100]}", 100)
                if not isinstance(v, str) or len(v) > 200:
                    raise _fail(f"bad ingredient source {clip(v)}", source, f"{key}.{k}", SOURCE_FORM)
        for j, c in enumerate(_items(s.get("component"), source, f"{key}.component")):
            ck = f"{key}.component[{j}]"
            c = _mapping(c, source, ck)
            text(c.get("name"), source, f"{ck}.name", 100)
            text(c.get("type"), source, f"{ck}.type", 100)
            position(c.get("position"), source, f"{ck}.position")
            for k, it in enumerate(_items(c.get("items", []), source, f"{ck}.items")):
                ik = f"{ck}.items[{k}]"
                it = _mapping(it, source, ik)
                text(it.get("name"), source, f"{ik}.name", 100)
                count(it.get("count"), source, f"{ik}.count")
            if "facing" in c:
                text(c["facing"], source, f"{ck}.facing", 20)
        for k, cp in enumerate(_items(s.get("check_point"), source, f"{key}.check_point")):
            pk = f"{key}.check_point[{k}]"
            cp = _mapping(cp, source, pk)
            text(cp.get("name"), source, f"{pk}.name", 100)
            count(cp.get("count"), source, f"{pk}.count")
            number(cp.get("score"), source, f"{pk}.score", 0, MAX_SCORE)
            for m, sub in enumerate(_items(cp.get("sub_check_point"), source, f"{pk}.sub_check_point")):
                text(sub, source, f"{pk}.sub_check_point[{m}]", 100)
    unique(names, source)


# --------------------------------------------------------------------------- escape


def _copies(rnd: Any, n_agents: int) -> int:
    """How many cells a ``random`` item takes for a team of ``n_agents``: one per player for ``true``."""
    if rnd is True:
        return n_agents
    if _is_int(rnd) and rnd > 0:
        return int(rnd)
    return 1


def _check_atom(a: Any, source: str, key: str, n_agents: int) -> dict[str, Any]:
    a = _mapping(a, source, key)
    for f in ("init", "condition", "effect"):
        for j, item in enumerate(_items(a.get(f), source, f"{key}.{f}")):
            ik = f"{key}.{f}[{j}]"
            item = _mapping(item, source, ik)
            text(item.get("name"), source, f"{ik}.name", 100)
            position(item.get("position"), source, f"{ik}.position", integers=True)
            for k in ("command", "facing", "axis", "face", "hinge", "lock_key", "activate_mode"):
                if item.get(k) is not None:
                    text(item[k], source, f"{ik}.{k}", 1000)
            if "sub_event" in item and not (isinstance(item["sub_event"], str) or _is_int(item["sub_event"])):
                raise _fail(f"bad sub_event {clip(item['sub_event'])}", source, f"{ik}.sub_event", "a string")
            if "random" in item:
                rnd = item["random"]
                if not (isinstance(rnd, bool) or (_is_int(rnd) and abs(rnd) <= len(FLOOR))):
                    raise _fail(f"bad random {clip(rnd)}", source, f"{ik}.random",
                                f"true, false or a number of copies up to {len(FLOOR)}")
    for f in ("in", "out"):
        for item, n in _mapping(a.get(f, {}), source, f"{key}.{f}").items():
            text(item, source, f"{key}.{f}", 100)
            count(n, source, f"{key}.{f}.{item}")
    for f in ("split", "merge", "same_room"):
        if f in a and not isinstance(a[f], bool):
            raise _fail(f"bad flag {clip(a[f])}", source, f"{key}.{f}", "true or false")
    if "min_player" in a and not (_is_int(a["min_player"]) and 1 <= a["min_player"] <= MAX_AGENTS):
        raise _fail(f"bad min_player {clip(a['min_player'])}", source, f"{key}.min_player",
                    f"a whole number of players from 1 to {MAX_AGENTS}")
    if "wait_interval" in a:
        number(a["wait_interval"], source, f"{key}.wait_interval", 0, MAX_WAIT_S, above=True)
    if "score" in a:
        number(a["score"], source, f"{key}.score", 0, MAX_SCORE)
    for f in ("type", "task_description"):
        if f in a:
            text(a[f], source, f"{key}.{f}", 10_000)
    used = {tuple(i["position"]) for i in a["init"]}
    free = sum(1 for c in FLOOR if c not in used)
    need = sum(_copies(i.get("random", False), n_agents) - 1 for i in a["init"]
               if not i["name"].startswith("summon_"))
    if need > free:
        raise _fail(f"its random items need {need} more cells for a team of {n_agents}, but the room's 3x3 "
                    f"floor has {free} free", source, key, "fewer copies, or a smaller team")
    return a


def check_escape(data: Any, source: str, n_agents: int) -> None:
    """A non-empty list of atoms of sane types; each atom's per-player copies fit its room for this team,
    and some atom is playable by a team this size."""
    atoms = [_check_atom(a, source, f"[{i}]", n_agents)
             for i, a in enumerate(_items(data, source, None, "a JSON list of escape atoms"))]
    if not atoms:
        raise _fail("no atoms: every run would have no room", source, None, "a list of escape atoms")
    fewest = min(int(a.get("min_player", 1)) for a in atoms)
    if fewest > n_agents:
        raise _fail(f"every atom needs at least {fewest} players, the team has {n_agents}", source,
                    "min_player", f"a team of {fewest} or more")
