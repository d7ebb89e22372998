"""Several processes on one run id (issue 12, finding 5): shard leases keep them disjoint.

Eight ``accord run`` processes start the same new run at once: every key is stored once, the
server sees exactly one request per item (no process repeats another's), and every process
exits 0. A process killed with -9 leaves its shards leased; once the lease expires
(``ACCORD_LEASE_S`` is short here) another process takes them over and the run completes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.integration._run_helpers import REPO, accord_argv, count_rows, last_json, run_accord, write_suite
from tests.support.loopback_openai import LoopbackServer

KEYS = "SELECT count(*) FROM (SELECT DISTINCT suite_id, item_id, variant_id, epoch FROM responses WHERE run_id = ?)"


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, **extra}


def test_eight_processes_on_one_new_run_send_each_request_once(tmp_path: Path, sqlite_url: str) -> None:
    n = 1200
    suite = write_suite(tmp_path / "s.jsonl", n)
    env = _env(ACCORD_SHARD_SIZE="40", ACCORD_LEASE_S="10")
    with LoopbackServer(latency_ms=20) as srv:
        argv = accord_argv(
            "run", "-t", f"openai:{srv.url}#m", "-s", str(suite), "--db", sqlite_url, "--run-id", "shared",
            "--concurrency", "8", "--no-cache", "--no-progress", "--json",
        )  # fmt: skip
        procs = [subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(8)]
        outs = [p.communicate(timeout=240) for p in procs]
        requests = srv.stats.requests
    for proc, (out, err) in zip(procs, outs):
        assert proc.returncode == 0, err
        summary = last_json(out)
        assert summary["responses"] == n and summary["errors"] == 0, err
    assert count_rows(sqlite_url, "SELECT count(*) FROM responses WHERE run_id = 'shared'") == n
    assert count_rows(sqlite_url, KEYS, "shared") == n
    assert requests == n, f"{requests - n} requests were sent twice"
    sent = [int(last_json(out)["sent"]) for out, _ in outs]
    assert sum(sent) == n and sum(1 for s in sent if s > 0) >= 2  # the work was shared, not repeated
    assert count_rows(sqlite_url, "SELECT count(*) FROM runs WHERE status = 'complete'") == 1


def test_a_killed_process_s_shards_are_taken_over_after_the_lease_expires(tmp_path: Path, sqlite_url: str) -> None:
    n = 600
    suite = write_suite(tmp_path / "s.jsonl", n)
    env = _env(ACCORD_SHARD_SIZE="50", ACCORD_LEASE_S="2")
    with LoopbackServer(latency_ms=20) as srv:
        args = (
            "run", "-t", f"openai:{srv.url}#m", "-s", str(suite), "--db", sqlite_url, "--run-id", "taken",
            "--concurrency", "4", "--no-progress", "--json",
        )  # fmt: skip
        victim = subprocess.Popen(accord_argv(*args), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        deadline = time.monotonic() + 60
        while count_rows(sqlite_url, "SELECT count(*) FROM responses") < 60 and time.monotonic() < deadline:
            time.sleep(0.02)
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=30)
        assert victim.returncode == -signal.SIGKILL
        before = count_rows(sqlite_url, "SELECT count(*) FROM responses")
        assert 0 < before < n
        killed_at = time.monotonic()
        res = run_accord(*args, env=env)
        took = time.monotonic() - killed_at
    assert res.returncode == 0, res.stderr
    summary = last_json(res.stdout)
    assert summary["responses"] == n and summary["errors"] == 0
    assert count_rows(sqlite_url, KEYS, "taken") == n
    assert took < 60
    assert count_rows(sqlite_url, "SELECT count(*) FROM runs WHERE status = 'complete'") == 1
