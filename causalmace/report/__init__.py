"""Reports a person can open: one self-contained HTML file per run or study, read from its files alone."""

from __future__ import annotations

from pathlib import Path

from causalmace.report.load import is_study
from causalmace.report.run import write_run_report

__all__ = ["write_report", "write_run_report"]


def write_report(path: Path, out: Path | None = None) -> list[Path]:
    """Write the report of a run or a study directory; the first path returned is the main report."""
    path = Path(path)
    if is_study(path):
        from causalmace.report.study import write_study_report

        return write_study_report(path, out)
    return [write_run_report(path, out)]
