"""A memory cap for tests that feed inputs which once asked for unbounded memory."""

from __future__ import annotations

import contextlib
import resource
from collections.abc import Iterator


def _vm_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


@contextlib.contextmanager
def memory_cap(extra_mb: int = 1024) -> Iterator[None]:
    """Cap this process's address space at what it maps now plus ``extra_mb``, so an input that asks for
    unbounded memory fails at once with MemoryError (a test failure) instead of exhausting the machine."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _vm_bytes() + extra_mb * 2**20
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
