"""Every size limit on input, declared once, so loaders, configs and studies agree on them.

Each limit stops a small file from asking for unbounded memory or time (a far-away block, a huge range,
an alias bomb, a billion seeds) with a clear message at load time instead of a crash mid-run. The
values leave wide room above anything VillagerBench ships.
"""

from __future__ import annotations

# team size: an escape room's 3x3 floor holds a ``random: true`` item's per-player copies for 8 players
# in every shipped atom, each suite has 8 spawn cells, and CraftWorld has 12 agent names
MAX_AGENTS = 8

# the world: horizontal coordinates within +-WORLD_XZ, heights within the usual block-world build limits
WORLD_XZ = 1024
WORLD_Y_MIN = -64
WORLD_Y_MAX = 319

MAX_BLOCKS = 4096  # blocks one construction description names (shipped: at most 101)
MAX_COUNT = 100_000  # items of one kind in a container, a checkpoint or an escape atom's in/out
MAX_SCORE = 1_000_000.0  # a farming checkpoint's or an escape atom's score

MAX_WAIT_S = 600.0  # the longest single wait (causalmace.actions.Wait); bounds think_time and wait_interval
MAX_EPISODE_S = 10_000_000.0  # limits.max_time_s: simulated seconds of one episode
MAX_ACTIONS = 10_000_000  # limits.max_actions

MAX_SEEDS = 10_000  # seeds per task in a study
MAX_JOBS = 50_000  # episodes in one study
MAX_PARALLEL = 256  # episodes run at once

MAX_FILE_BYTES = 8 * 1024 * 1024  # a config or task file (shipped: 346 KB at most)
MAX_DEPTH = 64  # nesting of lists and mappings in a config or task file
MAX_VALUES = 1_000_000  # values in one file once YAML aliases are expanded
MAX_LINE_CHARS = 10_000  # one line of a construction description

MAX_SHOWN = 80  # characters of an input value quoted in an error message
