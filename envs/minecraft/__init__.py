"""Live Minecraft layer: a local flying-squid server with causalmace's plugin, and mineflayer bots from Python."""

from .bots import Bot, BotHost
from .errors import ActionFailed, ActionTimeout, Disconnected, MinecraftError, NodeSetupError, ProcessFailed, ServerGone
from .install import ensure_node_modules, installed_versions
from .server import DEFAULT_VERSION, ExternalServer, FlyingSquidServer, ServerAddress
from .world import WorldEditor

__all__ = [
    "DEFAULT_VERSION", "ActionFailed", "ActionTimeout", "Bot", "BotHost", "Disconnected", "ExternalServer",
    "FlyingSquidServer", "MinecraftError", "NodeSetupError", "ProcessFailed", "ServerAddress", "ServerGone",
    "WorldEditor", "ensure_node_modules", "installed_versions",
]
