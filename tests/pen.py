"""A construction site with a walled pen and a roof over part of it: cells a walker is shut out of."""

from __future__ import annotations

from typing import Any

from causalmace import registry
from causalmace.envs.craftworld.world import Block

CONSTRUCTION = "craftworld/VillagerBench-Construction-v0"


def walled_pen() -> Any:
    """Task 0's site with a 7 × 7 stone pen three blocks high around (20, ground, 0), roofed at its centre."""
    env = registry.make(CONSTRUCTION, task="task_0", agents=1)
    env.reset(0)
    st = env.state
    y = st.ground_y
    for x in range(-3, 4):
        for z in range(-3, 4):
            if max(abs(x), abs(z)) == 3:
                for h in (0, 1, 2):
                    st.set_block((x + 20, y + h, z), Block("stone"))
    st.set_block((20, y + 3, 0), Block("stone"))
    return env
