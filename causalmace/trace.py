"""The episode trace: one JSON line per decision, action, judgement, graph change and score.

Each line is flushed as it is written, so a run that stops half-way leaves a valid file behind. A
failed write (a full disk) is a :class:`UserError` naming the file, not a crash mid-episode.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from causalmace.errors import UserError


def _plain(v: Any) -> Any:
    if isinstance(v, float):
        return round(v, 6)
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple | set | frozenset):
        items = [_plain(x) for x in v]
        return sorted(items, key=repr) if isinstance(v, set | frozenset) else items
    return v


class Trace:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.events: list[dict[str, Any]] = []
        self._fh: TextIO | None = None
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = path.open("w", encoding="utf-8")
            except OSError as e:
                raise UserError(f"cannot write: {e.strerror or e}", file=str(path)) from None

    def emit(self, type_: str, t: float, **fields: Any) -> None:
        event = {"type": type_, "t": round(t, 6), **{k: _plain(v) for k, v in fields.items()}}
        self.events.append(event)
        if self._fh is not None:
            try:
                self._fh.write(json.dumps(event, sort_keys=True) + "\n")
                self._fh.flush()
            except OSError as e:
                self.close()
                raise UserError(f"cannot write: {e.strerror or e}", file=str(self.path)) from None

    def close(self) -> None:
        fh, self._fh = self._fh, None
        if fh is not None:
            try:
                fh.close()
            except OSError:  # what was flushed is on disk; the rest is lost with the failed write
                pass

    def __enter__(self) -> Trace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
