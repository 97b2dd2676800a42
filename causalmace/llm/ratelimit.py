"""Request pacing per endpoint, shared by every client of that endpoint in the process.

An endpoint's limit is what its provider enforces for the whole account, so two agents with their
own clients must share one budget. When clients ask for different rates, the slowest one wins.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Spaces requests at least ``1 / rate`` seconds apart; waiting happens outside the lock."""

    def __init__(self, rate_per_s: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate_per_s = rate_per_s
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def slow_to(self, rate_per_s: float) -> None:
        with self._lock:
            self.rate_per_s = min(self.rate_per_s, rate_per_s)

    def acquire(self) -> float:
        """Wait for this request's slot; returns how long it waited."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + 1.0 / self.rate_per_s
        wait = start - now
        if wait > 0:
            self._sleep(wait)
        return wait


_limiters: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(endpoint: str, rate_per_s: float | None) -> RateLimiter | None:
    """The process-wide limiter of ``endpoint``, created or slowed to ``rate_per_s``; None means no limit."""
    if rate_per_s is None:
        return None
    with _registry_lock:
        lim = _limiters.get(endpoint)
        if lim is None:
            lim = _limiters[endpoint] = RateLimiter(rate_per_s)
        else:
            lim.slow_to(rate_per_s)
        return lim
