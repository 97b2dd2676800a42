"""Episode-level parallelism: many (config, task, seed) episodes as Ray tasks, results as they finish.

``ray_map`` keeps at most ``parallel`` tasks in flight (each asks for one CPU) and yields each result
as soon as it is done, so a sweep can write results and show progress while the rest still run; an
interrupted sweep cancels what is in flight and loses nothing already yielded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def ray_map(fn: Callable[[T], R], items: Iterable[T], parallel: int | None = None,
            address: str | None = None) -> Iterator[R]:
    from causalmace.ray_workers import init_ray

    init_ray(address)  # before ray is imported here: it reads its settings at import
    import ray

    remote = ray.remote(num_cpus=1, max_retries=1)(fn)
    limit = parallel or max(1, int(ray.cluster_resources().get("CPU", 1)))
    pending: list[Any] = []
    todo = iter(items)
    try:
        while True:
            while len(pending) < limit:
                item = next(todo, None)
                if item is None:
                    break
                pending.append(remote.remote(item))
            if not pending:
                return
            ready, pending = ray.wait(pending, num_returns=1)
            yield ray.get(ready[0])
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)


def local_map(fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    for item in items:
        yield fn(item)


def run_config(job: tuple[Any, ...]) -> dict[str, Any]:
    """One episode from ``(config path, overrides, task, seed)``: what a sweep sends to each task."""
    from causalmace.config import load_config
    from causalmace.runner import run_episode

    path, overrides, task, seed = job
    return run_episode(load_config(path, list(overrides), task=task, seed=seed)).result
