"""Exceptions of the live Minecraft layer, so callers can tell setup problems from failed game actions."""

from __future__ import annotations


class MinecraftError(Exception):
    """Base class of every error raised by ``causalmace.envs.minecraft``."""


class NodeSetupError(MinecraftError):
    """Node.js or npm is missing, or installing the server's node modules failed."""


class ProcessFailed(MinecraftError):
    """A node process (server or bot host) exited or never became ready."""


class ActionFailed(MinecraftError):
    """The game refused an action (out of reach, missing items, no recipe, ...): the message says why."""


class ActionTimeout(MinecraftError, TimeoutError):
    """An action did not finish within its timeout; it was stopped on the node side."""


class Disconnected(MinecraftError):
    """The bot is no longer connected (kicked, server gone): rejoin before acting again."""


class ServerGone(MinecraftError, RuntimeError):
    """The server (or the bot host) stopped answering: the episode cannot go on."""
