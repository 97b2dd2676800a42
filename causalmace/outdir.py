"""Where results go: a study's lock, files written whole, and a run's folder swapped in at the end.

A results directory is shared state: two studies writing one, a crash half-way through a run, or a
full disk must never leave a mix of old and new files that looks like a finished result.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from causalmace.errors import UserError
from causalmace.inputs import clip, one_line

LOCK = ".lock"
PARTIAL = "PARTIAL"  # in a run folder: the run stopped early (why inside); trace.jsonl holds what it did
RUN_FILES = frozenset({"trace.jsonl", "result.json", "graph.json", "report.html", PARTIAL})


def _why(e: OSError) -> str:
    return e.strerror or str(e)


def make_dir(path: Path) -> Path:
    """Create a directory to write into (and its parents), or say in one line why it cannot be."""
    if path.exists() and not path.is_dir():
        raise UserError("is a file, not a directory", file=str(path), expected="a directory for the output")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create this directory: {_why(e)}", file=str(path)) from None
    return path


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader or an interrupt never sees half a file; a
    failed write (a full disk) leaves no temporary file behind."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise UserError(f"cannot write: {_why(e)}", file=str(path)) from None


def write_file(path: Path, text: str) -> None:
    """Write a file of a run being staged (the folder, not the file, is what gets swapped in)."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise UserError(f"cannot write: {_why(e)}", file=str(path)) from None


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold ``directory/.lock`` (``flock``, our pid inside) for as long as we write ``directory``."""
    lock = directory / LOCK
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as e:
        raise UserError(f"cannot write here: {_why(e)}", file=str(directory)) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise UserError(f"in use by another causalmace process (pid {holder})", file=str(directory),
                            expected="that one to finish, or another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def _mode() -> int:
    """The mode a plain ``mkdir`` would give, so a swapped-in folder looks like any other."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o777 & ~mask


def check_replaceable(out: Path) -> None:
    """``out`` is new, or a folder only a run wrote: anything else is not ours to replace."""
    if out.is_symlink():
        raise UserError("is a symbolic link", file=str(out), expected="the directory itself")
    if not out.exists():
        return
    if not out.is_dir():
        raise UserError("is a file, not a directory", file=str(out), expected="a directory for the run")
    try:
        names = sorted(os.listdir(out))
    except OSError as e:
        raise UserError(f"cannot read this directory: {_why(e)}", file=str(out)) from None
    other = [n for n in names if n not in RUN_FILES]
    if other:
        raise UserError(f"holds {clip(other[0])}, which a run does not write: not replacing it", file=str(out),
                        expected="a new or empty directory, or one a run wrote")


class RunOutput:
    """A run's folder, written fresh beside ``out`` and renamed onto it at the end.

    Until then a previous run in ``out`` stays as it was. A run stopped by an interrupt or an internal
    error replaces it too, with its trace (valid up to its last line) and a PARTIAL file saying why;
    one stopped by a user error (bad input found late, a full disk) leaves the previous run untouched.
    """

    def __init__(self, out: Path) -> None:
        self.out = Path(os.path.abspath(out))
        if not self.out.name:
            raise UserError("is not a directory a run can replace", file=str(out))
        check_replaceable(self.out)
        make_dir(self.out.parent)
        try:
            self.dir = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", suffix=".new", dir=self.out.parent))
            os.chmod(self.dir, _mode())
        except OSError as e:
            raise UserError(f"cannot write here: {_why(e)}", file=str(out)) from None

    def commit(self) -> None:
        """Swap the new folder in; the old one is moved aside first and deleted only after the swap."""
        aside = self.dir.with_suffix(".old")
        try:
            had_old = os.path.lexists(self.out)
            if had_old:
                os.rename(self.out, aside)
            try:
                os.rename(self.dir, self.out)
            except OSError:
                if had_old:
                    os.rename(aside, self.out)
                raise
        except OSError as e:
            self.discard()
            raise UserError(f"cannot put the run in place: {_why(e)}", file=str(self.out)) from None
        shutil.rmtree(aside, ignore_errors=True)

    def partial(self, why: str) -> None:
        """Keep what a stopped run wrote, marked partial; if even that cannot be written, keep the old run."""
        try:
            (self.dir / PARTIAL).write_text(f"partial run: {one_line(why)}\n", encoding="utf-8")
            self.commit()
        except (OSError, UserError):
            self.discard()

    def discard(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
