"""A throw-away Ray cluster on loopback for tests and benchmarks: a head and N worker nodes.

Each node is a ``ray start --block`` process in its own session, so stopping the cluster
kills exactly the process groups this fixture started (never ``ray stop``, which ends every
Ray process of the user on the machine, other sessions' clusters included). The nodes get
``PYTHONPATH`` pointing at this checkout's ``src``, so their workers import the accord
under test. Small on purpose: the head runs no tasks (0 CPUs), each worker node offers
``cpus`` CPUs, a 100 MB object store, no dashboard.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OBJECT_STORE = "100000000"


def ray_cli() -> str | None:
    """The ``ray`` command next to this interpreter (or on PATH), if Ray is installed."""
    import sys

    here = Path(sys.executable).with_name("ray")
    if here.exists():
        return str(here)
    return shutil.which("ray")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    address: str
    temp_dir: str
    env: dict[str, str]
    head: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def add_worker(self, cpus: int = 1) -> subprocess.Popen[bytes]:
        cli = ray_cli()
        assert cli is not None
        argv = [cli, "start", "--block", "--address", self.address, "--num-cpus", str(cpus), "--object-store-memory", OBJECT_STORE,
                "--node-ip-address", "127.0.0.1", "--disable-usage-stats"]  # fmt: skip
        log = open(Path(self.temp_dir) / f"worker{len(self.workers)}.log", "wb")  # noqa: SIM115 - the node outlives this call
        proc = subprocess.Popen(argv, env=self.env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(proc)
        return proc

    def session_pids(self, proc: subprocess.Popen[bytes]) -> list[int]:
        """Every process in ``proc``'s session (the node's raylet, its workers, ...)."""
        out = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == proc.pid:  # session id
                out.append(int(entry.name))
        return out

    def task_pids(self, proc: subprocess.Popen[bytes], name: str) -> list[int]:
        """Worker processes of node ``proc`` now running a task whose function is ``name``."""
        found = []
        for pid in self.session_pids(proc):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if f"ray::{name}" in cmd:
                found.append(pid)
        return found

    def kill_node(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL a node's whole session: its raylet, object store and workers die at once."""
        for pid in self.session_pids(proc):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=30)

    def stop(self) -> None:
        for proc in [*self.workers, self.head]:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        deadline = time.monotonic() + 5
        for proc in [*self.workers, self.head]:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            for pid in self.session_pids(proc):  # anything left behind (workers, plasma)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if not os.environ.get("ACCORD_KEEP_RAY_LOGS"):
            shutil.rmtree(self.temp_dir, ignore_errors=True)


def wait_for_nodes(address: str, n: int, env: dict[str, str], timeout_s: float = 60.0) -> None:
    """Block until ``n`` nodes are alive (the head included)."""
    import sys

    code = (
        "import ray,time,sys\n"
        f"ray.init(address={address!r}, log_to_driver=False)\n"
        f"deadline=time.monotonic()+{timeout_s}\n"
        f"while sum(1 for x in ray.nodes() if x['Alive']) < {n}:\n"
        "    assert time.monotonic() < deadline, 'nodes did not join'\n"
        "    time.sleep(0.2)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], env=env, timeout=timeout_s + 30, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"the Ray cluster at {address} did not come up: {res.stderr[-2000:]}")


@contextmanager
def ray_cluster(workers: int = 2, cpus: int = 1, extra_env: dict[str, str] | None = None) -> Iterator[Cluster]:
    """A head (no CPUs) and ``workers`` worker nodes on 127.0.0.1, stopped on exit."""
    cli = ray_cli()
    if cli is None:
        raise RuntimeError("ray is not installed")
    # a short path: Ray's socket names must stay under the 107-byte limit of AF_UNIX
    temp_dir = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    port = _free_port()
    src = str(REPO / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (src, str(REPO), os.environ.get("PYTHONPATH", "")) if p),
           "RAY_USAGE_STATS_ENABLED": "0", **(extra_env or {})}  # fmt: skip
    argv = [cli, "start", "--head", "--block", "--port", str(port), "--num-cpus", "0", "--include-dashboard=false",
            "--object-store-memory", OBJECT_STORE, "--temp-dir", temp_dir, "--node-ip-address", "127.0.0.1", "--disable-usage-stats"]  # fmt: skip
    head = subprocess.Popen(argv, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cluster = Cluster(address=f"127.0.0.1:{port}", temp_dir=temp_dir, env=env, head=head)
    try:
        wait_for_nodes(cluster.address, 1, env)  # a worker node that starts before the head gives up
        for i in range(workers):  # one at a time: raylets started together can pick the same port
            cluster.add_worker(cpus)
            wait_for_nodes(cluster.address, i + 2, env)
        yield cluster
    finally:
        cluster.stop()
