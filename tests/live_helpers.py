"""What the live Minecraft tests share: polling a world that updates a tick later, and process checks."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from typing import Any

import pytest

LIVE_MARKS = [
    pytest.mark.minecraft,
    pytest.mark.skipif(shutil.which("node") is None or shutil.which("npm") is None,
                       reason="the live Minecraft tests need Node.js >= 18 and npm on PATH"),
]


def eventually(fn: Callable[[], Any], timeout: float = 5.0, interval: float = 0.05) -> Any:
    """Poll ``fn`` until it returns something truthy (the client learns of server changes a tick later)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def group_alive(pgid: int) -> bool:
    """Whether any process of the group ``pgid`` is still there."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
