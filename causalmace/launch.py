"""The ``causalmace`` console script: the command line, with the cyclic collector set for a short process.

A run ends holding some 40,000 objects the collector tracks, nearly all made at start-up and kept to the
end (modules, typer's and pydantic's schemas, the rule tables). With the default thresholds the collector
runs some 140 times in one ``causalmace run`` and walks them again on each full collection, and the
interpreter walks them all once more on its way out. Freezing them (``gc.freeze``) after the imports and
again before exit, and collecting the young generation every 100,000 allocations instead of 700 (one run
makes fewer, so it is never collected), spares most of that: some 0.07 s of one farming run
(``experiments/run_speed.py`` measures it). Cycles are still collected, so a long ``causalmace bench``
keeps its memory. :func:`causalmace.cli.main` is the same command line without this, for anyone who
calls it from Python.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 100_000  # allocations between collections of the youngest generation (CPython's: 700)


def set_collector() -> None:
    """Freeze what the process holds now and make young collections rare (``experiments/run_speed.py`` too)."""
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def main() -> None:
    from causalmace.cli import main as cli_main

    set_collector()
    try:
        cli_main()
    finally:
        gc.freeze()  # traces are closed by now; stdout is still flushed and atexit hooks (Ray's) still run
