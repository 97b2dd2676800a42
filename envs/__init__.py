"""Worlds for causalmace: the env protocol, its checker, and the envs shipped with the package."""

from typing import Any

__all__ = ["EnvCheckError", "check_env"]


def __getattr__(name: str) -> Any:
    """The checker is imported when first asked for: a run that only plays an env does not load it."""
    if name in __all__:
        from causalmace.envs import check

        return getattr(check, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
