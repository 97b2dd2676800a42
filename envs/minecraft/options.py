"""The live env's options as they come from a run config's ``env_options``, checked and with defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from causalmace.errors import UserError

from .frame import FLYING_SQUID_FEET_Y, VANILLA_FEET_Y
from .server import DEFAULT_VERSION, FlyingSquidServer

KINDS = ("flying-squid", "external")


@dataclass(frozen=True)
class ServerSpec:
    """Which server an env plays on.

    ``flying-squid``: the env starts its own on a free loopback port (``port: 0``) per episode and stops it on
    close. ``external``: a server that is already running (``causalmace minecraft serve`` here or elsewhere);
    the env only connects, and builds the scene through an op'd player (``admin``, default the first agent).
    ``feet_y`` is the height players stand at on the server's flat ground (default by kind).

    Not supported yet: a vanilla or Fabric server. Crafting, smelting, chests, pressure plates and scene
    building go through causalmace's plugin, which runs in flying-squid only; on a vanilla server they would
    need mineflayer's own crafting and container windows and the stock /setblock, /give and /tp commands.
    """

    kind: Literal["flying-squid", "external"] = "flying-squid"
    host: str = "127.0.0.1"
    port: int = 0
    version: str = DEFAULT_VERSION
    feet_y: int | None = None
    admin: str | None = None
    shared: FlyingSquidServer | None = None  # a running server of ours, shared by several envs (tests)

    @property
    def ground_feet_y(self) -> int:
        if self.feet_y is not None:
            return self.feet_y
        return FLYING_SQUID_FEET_Y if self.kind == "flying-squid" or self.shared else VANILLA_FEET_Y


def server_spec(value: Any) -> ServerSpec:
    """``server`` as given: None, a running :class:`FlyingSquidServer`, or a mapping from a config file."""
    if value is None:
        return ServerSpec()
    if isinstance(value, FlyingSquidServer):
        if value.address is None:
            raise UserError("the shared server is not started", key="env_options.server")
        a = value.address
        return ServerSpec("flying-squid", a.host, a.port, a.version, shared=value)
    if isinstance(value, ServerSpec):
        return value
    if not isinstance(value, Mapping):
        raise UserError(f"invalid value {value!r}", key="env_options.server",
                        expected="a mapping such as {kind: flying-squid, version: '1.19.2', port: 0}")
    data = dict(value)
    kind = data.pop("kind", "flying-squid")
    if kind not in KINDS:
        raise UserError(f"unknown server kind {kind!r}", key="env_options.server.kind", expected=" or ".join(KINDS))
    known = {"host", "port", "version", "feet_y", "admin"}
    extra = set(data) - known
    if extra:
        raise UserError(f"unknown key(s) {sorted(extra)}", key="env_options.server", expected=", ".join(sorted(known)))
    try:
        port = int(data.get("port", 0 if kind == "flying-squid" else 25565))
        feet = data.get("feet_y")
        return ServerSpec(kind, str(data.get("host", "127.0.0.1")), port, str(data.get("version", DEFAULT_VERSION)),
                          None if feet is None else int(feet), data.get("admin"))
    except (TypeError, ValueError) as e:
        raise UserError(f"invalid server settings: {e}", key="env_options.server") from None
