"""Ray Workers on a real Ray runtime: same results as local, a real cluster by address, faults survived."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from causalmace.config import load_config
from causalmace.runner import run_episode

ROOT = Path(__file__).resolve().parent.parent
QUIET = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}


@pytest.fixture(scope="session")
def ray_runtime():
    os.environ.update(QUIET)
    from causalmace.ray_workers import init_ray

    init_ray(num_cpus=2)
    import ray

    yield ray
    ray.shutdown()


def cfg(suite: str, task: str, *sets: str):
    return load_config(ROOT / "configs" / "villagerbench" / f"{suite}.yaml", list(sets), task=task)


def strip(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in ("wall_s", "refiner_wall_s")}


@pytest.mark.parametrize("suite,task", [("farming", "rabbit_stew_20"), ("escape", "escape_3r_4")])
def test_ray_and_local_give_the_same_trace(ray_runtime, suite: str, task: str) -> None:
    local = run_episode(cfg(suite, task))
    remote = run_episode(cfg(suite, task, "workers.backend=ray"))
    assert len(local.trace.events) == len(remote.trace.events)
    for a, b in zip(local.trace.events, remote.trace.events, strict=True):
        assert a == b
    assert strip(local.result) == strip(remote.result)


def test_ray_and_local_agree_when_idle_agents_stand_by(ray_runtime) -> None:
    """The measured-rank scheduler walks idle agents toward the next work from the episode's process."""
    def make(*sets: str):
        return load_config(ROOT / "configs" / "villagerbench" / "escape.yaml", list(sets), task="escape_4r_1",
                           agents=3, method="causalmace-measured")
    local = run_episode(make())
    remote = run_episode(make("workers.backend=ray"))
    assert any(e["type"] == "standby" for e in local.trace.events)
    assert local.trace.events == remote.trace.events
    assert strip(local.result) == strip(remote.result)


def lost_and_reassigned(events: list[dict]) -> str:
    lost = [e for e in events if e["type"] == "subtask" and e.get("status") == "lost"]
    assert lost, "no subtask was lost"
    sid = lost[0]["subtask"]
    after = events[events.index(lost[0]):]
    assert any(e["type"] == "decision" and e["subtask"] == sid for e in after), "lost subtask never reassigned"
    assert any(e["type"] == "subtask" and e["subtask"] == sid and e["status"] == "done" for e in after)
    return sid


def test_killed_actor_is_replaced_and_its_subtask_reassigned(ray_runtime) -> None:
    killed: list[int] = []

    def kill_bob(n: int, workers) -> None:
        if n == 10:
            pid = workers.pids()["Bob"]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    ep = run_episode(cfg("farming", "rabbit_stew_63", "workers.backend=ray"), on_action=kill_bob)
    assert killed and ep.result["completed"]
    faults = [e for e in ep.trace.events if e["type"] == "fault"]
    assert faults and faults[0]["agent"] == "Bob" and faults[0]["pid"] == killed[0]
    replaced = [e for e in ep.trace.events if e["type"] == "worker" and e["change"] == "replaced"]
    assert replaced and replaced[0]["pid"] != killed[0]
    lost_and_reassigned(ep.trace.events)


def test_hanging_worker_is_treated_as_lost(ray_runtime) -> None:
    stopped: list[int] = []

    def freeze_cindy(n: int, workers) -> None:
        if n == 8:
            pid = workers.pids()["Cindy"]
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)

    ep = run_episode(cfg("farming", "rabbit_stew_63", "workers.backend=ray", "workers.ray.timeout_s=3"),
                     on_action=freeze_cindy)
    try:
        assert stopped and ep.result["completed"]
        faults = [e for e in ep.trace.events if e["type"] == "fault"]
        assert faults and "no answer within 3 s" in faults[0]["reason"]
    finally:
        for pid in stopped:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_episode_on_a_real_head_node_by_address(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, **QUIET}
    head = subprocess.Popen(
        ["ray", "start", "--head", "--port", str(port), "--node-ip-address", "127.0.0.1", "--num-cpus", "1",
         "--include-dashboard=false", "--disable-usage-stats", "--block"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        out = tmp_path / "run"
        deadline = time.monotonic() + 120
        while True:  # the head takes a few seconds to listen
            r = subprocess.run([sys.executable, "-m", "causalmace.cli", "run", "configs/villagerbench/farming.yaml",
                                "--task", "rabbit_stew_20", "--ray-address", f"127.0.0.1:{port}", "--out", str(out)],
                               cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
            if r.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(2)
        assert r.returncode == 0, r.stderr[-2000:]
        result = json.loads((out / "result.json").read_text())
        assert result["completed"]
    finally:
        os.killpg(head.pid, signal.SIGTERM)  # stops this head only, not other Ray runtimes
        head.wait(timeout=60)


def test_sweep_streams_episode_results_as_ray_tasks(ray_runtime) -> None:
    from causalmace.sweep import local_map, ray_map, run_config

    path = str(ROOT / "configs" / "villagerbench" / "farming.yaml")
    jobs = [(path, ("refiner.enabled=false",), t, 0) for t in ("cake_0", "cake_1", "rabbit_stew_20", "cake_2")]
    remote = list(ray_map(run_config, jobs, parallel=2))
    local = list(local_map(run_config, jobs))
    assert sorted(strip(r).items().__repr__() for r in remote) == sorted(strip(r).items().__repr__() for r in local)
    assert all(r["completed"] for r in remote)


LISTENING = """
import os, subprocess
from causalmace.config import load_config
from causalmace.runner import run_episode
from causalmace.ray_workers import init_ray
init_ray()
import ray
run_episode(load_config("{config}", ["workers.backend=ray"], task="cake_0"))
parent = {{}}
for d in os.listdir("/proc"):
    if d.isdigit():
        try:
            parent[int(d)] = int(open(f"/proc/{{d}}/stat").read().rsplit(")", 1)[1].split()[1])
        except OSError:
            pass
ours, grew = {{os.getpid()}}, True
while grew:
    more = {{p for p, pp in parent.items() if pp in ours}} - ours
    grew = bool(more)
    ours |= more
for line in subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout.splitlines():
    if any(f"pid={{p}}," in line for p in ours):
        print(line.split()[3])
ray.shutdown()
"""


def test_local_runtime_listens_on_loopback_only() -> None:
    """Every socket the runtime, its actors and the driver listen on is on 127.0.0.1, as a fresh
    process that runs an episode on Ray sees it."""
    code = LISTENING.format(config=ROOT / "configs" / "villagerbench" / "farming.yaml")
    env = {k: v for k, v in os.environ.items() if k != "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                       env={**env, **QUIET})
    assert r.returncode == 0, r.stderr[-2000:]
    addresses = r.stdout.split()
    assert addresses and all(a.startswith(("127.0.0.1:", "[::1]:", "[::ffff:127.0.0.1]:")) for a in addresses), \
        addresses


@pytest.mark.parametrize("setting,message", [
    ("workers.ray.address=127.0.0.1:1", "no Ray cluster answers at 127.0.0.1:1"),
    ("workers.ray.address=localhost:notaport", "workers.ray.address"),
    ("workers.ray.timeout_s=1e-9", "greater than or equal to 0.1"),
    ("workers.ray.timeout_s=.inf", "finite number"),
    ("workers.ray.object_store_mb=99999999999", "workers.ray.object_store_mb"),
])
def test_ray_settings_fail_fast_with_a_clear_error(setting: str, message: str, tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "causalmace.cli", "run", "villagerbench/farming", "--task", "cake_0",
                        "--set", "workers.backend=ray", "--set", setting, "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr and message in r.stderr, r.stderr
