"""Install the Minecraft server's node modules from the committed lockfile, once and only when needed."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from .errors import NodeSetupError

SERVER_DIR = Path(__file__).resolve().parent / "server"
MIN_NODE = 18
_STAMP = ".causalmace-lock.sha256"


def node_binary() -> str:
    """Path of ``node``, checked for a usable version; raises NodeSetupError with what to do otherwise."""
    node = shutil.which("node")
    if node is None:
        raise NodeSetupError("Node.js is not installed: the live Minecraft env needs node >= 18 and npm on PATH")
    out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    try:
        major = int(out.lstrip("v").split(".")[0])
    except ValueError:
        raise NodeSetupError(f"cannot read the node version from {out!r}") from None
    if major < MIN_NODE:
        raise NodeSetupError(f"node {out} is too old: the live Minecraft env needs node >= {MIN_NODE}")
    return node


def _lock_digest(server_dir: Path) -> str:
    return hashlib.sha256((server_dir / "package-lock.json").read_bytes()).hexdigest()


def modules_current(server_dir: Path = SERVER_DIR) -> bool:
    """Whether ``node_modules`` was installed from the lockfile as it is now."""
    stamp = server_dir / "node_modules" / _STAMP
    return stamp.is_file() and stamp.read_text().strip() == _lock_digest(server_dir)


def ensure_node_modules(server_dir: Path = SERVER_DIR, *, quiet: bool = False, timeout: float = 900) -> Path:
    """Run ``npm ci`` in the server folder when ``node_modules`` is missing or older than the lockfile.

    Returns the ``node_modules`` path. Raises NodeSetupError when node/npm are missing or npm fails.
    """
    node_binary()
    modules = server_dir / "node_modules"
    if modules_current(server_dir):
        return modules
    npm = shutil.which("npm")
    if npm is None:
        raise NodeSetupError("npm is not installed: it is needed once to install the Minecraft server's modules")
    if not quiet:
        print(f"Installing the Minecraft server's node modules into {modules} (npm ci; about a minute) ...",
              flush=True)
    try:
        res = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=server_dir,
                             capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise NodeSetupError(f"npm ci did not finish in {timeout:.0f} s in {server_dir}") from None
    if res.returncode != 0:
        raise NodeSetupError(f"npm ci failed in {server_dir} (exit {res.returncode}):\n{res.stderr[-3000:]}")
    (modules / _STAMP).write_text(_lock_digest(server_dir) + "\n")
    return modules


def installed_versions(server_dir: Path = SERVER_DIR) -> dict[str, str]:
    """Versions of the main node packages as installed, to check they match the lockfile."""
    out: dict[str, str] = {}
    for name in ("flying-squid", "mineflayer", "mineflayer-pathfinder", "minecraft-data", "minecraft-protocol"):
        pkg = server_dir / "node_modules" / name / "package.json"
        if pkg.is_file():
            out[name] = json.loads(pkg.read_text())["version"]
    return out
