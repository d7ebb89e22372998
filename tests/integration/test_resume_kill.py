"""SIGKILL a run at a random point, resume it: every key is stored exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

from tests.integration._run_helpers import REPO, accord_argv, count_rows, last_json, run_accord, write_suite
from tests.support.loopback_openai import LoopbackServer

N = 2500


def test_sigkill_then_resume_stores_every_key_exactly_once(tmp_path: Path, sqlite_url: str) -> None:
    suite = write_suite(tmp_path / "big.jsonl", N)
    kill_at = random.Random().randint(100, N - 600)  # a different point each run; printed on failure
    with LoopbackServer(latency_ms=5) as srv:
        args = ("run", "-t", f"openai:{srv.url}#m", "-s", str(suite), "--db", sqlite_url, "--run-id", "killed", "--concurrency", "16", "--json")
        proc = subprocess.Popen(accord_argv(*args), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            if count_rows(sqlite_url, "SELECT count(*) FROM responses") >= kill_at:
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL, f"run ended before the kill (kill_at={kill_at})"
        before = count_rows(sqlite_url, "SELECT count(*) FROM responses")
        assert kill_at <= before < N, f"kill_at={kill_at}, stored {before}"
        assert count_rows(sqlite_url, "SELECT count(*) FROM runs WHERE status = 'running'") == 1  # killed: no chance to mark it
        res = run_accord(*args)
        assert res.returncode == 0, res.stderr
    summary = last_json(res.stdout)
    assert summary["responses"] == N and summary["errors"] == 0
    assert count_rows(sqlite_url, "SELECT count(*) FROM responses WHERE run_id = 'killed'") == N
    keys = "SELECT count(*) FROM (SELECT DISTINCT suite_id, item_id, variant_id, epoch FROM responses WHERE run_id = 'killed')"
    assert count_rows(sqlite_url, keys) == N
    expected = {f"q{i}" for i in range(N)}
    import sqlite3

    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        got = [r[0] for r in conn.execute("SELECT item_id FROM responses WHERE run_id = 'killed'")]
        items = conn.execute("SELECT count(*), count(DISTINCT seq) FROM items WHERE run_id = 'killed'").fetchone()
    assert len(got) == len(set(got)) == N and set(got) == expected  # none missing, none repeated
    assert items == (N, N)
    assert count_rows(sqlite_url, "SELECT count(*) FROM runs WHERE status = 'complete'") == 1
