"""Worlds for causalmace: the env protocol, its checker, and the envs shipped with the package."""

from causalmace.envs.check import EnvCheckError, check_env

__all__ = ["EnvCheckError", "check_env"]
