"""The ``causalmace`` console script: the command line, with the cyclic collector set for a short process.

Start-up makes a few hundred thousand objects that live until the process ends (modules, typer's and
pydantic's schemas, the rule tables); the collector walks them again on every full collection, and the
interpreter walks them all once more on its way out. Freezing them (``gc.freeze``) after the imports and
again before exit spares both walks: about 60 ms of a 0.39 s ``causalmace run``, the README's "Speed"
section says how it was measured. Garbage made after the first freeze is still collected as usual, so a
long ``causalmace bench`` keeps its memory; the command line is :func:`causalmace.cli.main`, unchanged,
for anyone who calls it from Python.
"""

from __future__ import annotations

import gc


def main() -> None:
    from causalmace.cli import main as cli_main

    gc.freeze()
    try:
        cli_main()
    finally:
        gc.freeze()  # traces are closed by now; stdout is still flushed and atexit hooks (Ray's) still run
