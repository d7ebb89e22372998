"""SIGKILL a run at a random point, resume it: every key is stored exactly once."""

from __future__ import annotations

import json
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
        # the killed process's shard leases block the resume until they expire: keep that short
        env = {**os.environ, "ACCORD_LEASE_S": "3"}
        proc = subprocess.Popen(accord_argv(*args), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
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
        res = run_accord(*args, env=env)
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


def test_answers_are_stored_within_a_second_and_sigterm_keeps_them_all(tmp_path: Path, sqlite_url: str) -> None:
    """Issue 12 finding 1 (runner side): finished responses reach the store at least every
    second while the run is busy, and SIGTERM, like Ctrl-C, writes every finished response,
    marks the run interrupted and exits 130; the resume completes it."""
    n = 6000
    conc = 16
    suite = write_suite(tmp_path / "big.jsonl", n)
    with LoopbackServer(latency_ms=5) as srv:
        args = ("run", "-t", f"openai:{srv.url}#m", "-s", str(suite), "--db", sqlite_url, "--run-id", "termed", "--concurrency", str(conc), "--json")
        proc = subprocess.Popen(accord_argv(*args), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
        deadline = time.monotonic() + 90
        while count_rows(sqlite_url, "SELECT count(*) FROM responses") < 300 and time.monotonic() < deadline:
            time.sleep(0.02)
        answered = srv.stats.status[200]  # replies scheduled by now (at most `conc` still on the way)
        time.sleep(1.2)
        stored = count_rows(sqlite_url, "SELECT count(*) FROM responses")
        assert proc.poll() is None, "the run ended before the checks"
        assert stored >= answered - conc, f"{answered} answered, only {stored} stored 1.2 s later"
        answered = srv.stats.status[200]
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "resume with --run-id termed" in err
        stored = count_rows(sqlite_url, "SELECT count(*) FROM responses")
        assert answered - conc <= stored < n, (answered, stored)
        assert json.loads(out.strip().splitlines()[-1])["responses"] == stored
        assert count_rows(sqlite_url, "SELECT count(*) FROM runs WHERE status = 'interrupted'") == 1
        res = run_accord(*args)
    assert res.returncode == 0, res.stderr
    assert last_json(res.stdout)["responses"] == n
    assert count_rows(sqlite_url, "SELECT count(*) FROM runs WHERE status = 'complete'") == 1
