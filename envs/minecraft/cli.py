"""``causalmace minecraft``: install the live env's node modules, or run a server others (or envs) connect to.

Mounted in the main command line with ``app.add_typer(minecraft_cli.app, name="minecraft")``.
"""

from __future__ import annotations

import signal
import time
from typing import Annotated

import typer

from causalmace.envs.craftworld.env import agent_names

from .errors import MinecraftError
from .install import SERVER_DIR, ensure_node_modules, installed_versions
from .server import DEFAULT_VERSION, FlyingSquidServer

app = typer.Typer(no_args_is_help=True, help="The live Minecraft env: set it up, or serve a world to connect to.")


@app.command("setup")
def setup() -> None:
    """Install the server's and the bots' node modules from the lockfile (npm ci), once."""
    try:
        modules = ensure_node_modules()
    except MinecraftError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    versions = ", ".join(f"{k} {v}" for k, v in installed_versions().items())
    typer.echo(f"ready: {modules}\n{versions}")


@app.command("serve")
def serve(
    version: Annotated[str, typer.Option(help="Minecraft version")] = DEFAULT_VERSION,
    port: Annotated[int, typer.Option(help="TCP port; 0 picks a free one")] = 25565,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    ops: Annotated[str, typer.Option(help="players made operators on joining (they build scenes), comma-separated")]
    = ",".join(agent_names(12)),
) -> None:
    """Run a flying-squid server with causalmace's plugin until Ctrl-C; envs reach it with
    ``server: {kind: external, host: ..., port: ...}``."""
    server = FlyingSquidServer(port=port, host=host, version=version,
                               ops=tuple(o for o in ops.split(",") if o))
    def _interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM):  # also when started in the background, where SIGINT is ignored
        signal.signal(sig, _interrupt)
    try:
        address = server.start()
    except MinecraftError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Minecraft {address.version} (flying-squid, {SERVER_DIR.name}) at {address.host}:{address.port}, "
               f"pid {server.pid}; Ctrl-C stops it", )
    typer.echo(f"host={address.host} port={address.port}")
    try:
        while server.alive():
            time.sleep(0.5)
        typer.echo("the server stopped", err=True)
        raise typer.Exit(1)
    except KeyboardInterrupt:
        typer.echo("stopping")
    finally:
        server.stop()
