"""``accord monitor daemon`` as a real process: SIGKILL it mid-run, restart it, and every cycle
still has exactly one run, none doubled, the killed one resumed; SIGTERM stops it (issue 23)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.integration._run_helpers import REPO, accord_argv, count_rows
from tests.support.versioned_model import VersionedModel, write_monitor_suite

CADENCE_S = 8


def _passes(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def _wait(what: Callable[[], bool], timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


def test_daemon_killed_mid_run_resumes_it_and_never_doubles_a_cycle(tmp_path: Path, sqlite_url: str) -> None:
    suite = write_monitor_suite(tmp_path / "suite.jsonl")
    # cycle 0 starts a little after the daemon is up, so the kill and the restart fall in it
    anchor = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0)
    fmt = "%Y%m%dT%H%M%SZ"
    run0 = f"mon-d-prod-{anchor.strftime(fmt)}"
    run1 = f"mon-d-prod-{(anchor + timedelta(seconds=CADENCE_S)).strftime(fmt)}"
    env = {**os.environ, "ACCORD_LEASE_S": "1", "ACCORD_SHARD_SIZE": "4"}
    with VersionedModel("A", latency_ms=60) as srv:
        mon = tmp_path / "monitor.yaml"
        mon.write_text(
            f"""\
name: d
cadence: {CADENCE_S}s
anchor: "{anchor.strftime("%Y-%m-%dT%H:%M:%SZ")}"
targets: [{{name: prod, spec: "openai:{srv.url}#m", version: served}}]
run: {{suites: ["{suite}"], engine: {{concurrency: 1}}}}
"""
        )
        argv = accord_argv("monitor", "daemon", str(mon), "--db", sqlite_url)
        out1, out2 = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
        with out1.open("w") as fh:
            first = subprocess.Popen(argv, cwd=REPO, env=env, stdout=fh, stderr=subprocess.PIPE)
        sql = f"SELECT count(*) FROM responses WHERE run_id = '{run0}'"
        _wait(lambda: count_rows(sqlite_url, sql) >= 6 or first.poll() is not None, 30, "the first run never started")
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
        killed_at = count_rows(sqlite_url, sql)
        assert first.returncode == -signal.SIGKILL and 6 <= killed_at < 32, (first.returncode, killed_at)
        # its only pass was before the anchor; it was killed inside the next one
        assert [p["targets"][0]["action"] for p in _passes(out1)] == ["not-started"]

        with out2.open("w") as fh:
            second = subprocess.Popen(argv, cwd=REPO, env=env, stdout=fh, stderr=subprocess.PIPE)
        try:
            _wait(lambda: len(_passes(out2)) >= 1, 30, "the restarted daemon made no pass")
            resumed = _passes(out2)[0]["targets"][0]
            assert (resumed["run_id"], resumed["action"], resumed["status"]) == (run0, "resume", "complete"), resumed
            srv.version = "B"  # the next cycle meets a new release
            _wait(lambda: any(p["targets"][0]["run_id"] == run1 for p in _passes(out2)), 3 * CADENCE_S, "no run in the next cycle")
            assert second.poll() is None
        finally:
            second.send_signal(signal.SIGTERM)
            _, err = second.communicate(timeout=30)
    assert second.returncode == 130, err.decode()
    after = [p["targets"][0] for p in _passes(out2)]
    nxt = next(t for t in after if t["run_id"] == run1)
    assert nxt["action"] == "start" and nxt["status"] == "complete" and nxt["baseline_run_id"] == run0 and nxt["regression"] is True
    # every cycle exactly one run, every item of it exactly once
    assert count_rows(sqlite_url, "SELECT count(*) FROM runs") == 2
    for run_id in (run0, run1):
        assert count_rows(sqlite_url, f"SELECT count(*) FROM responses WHERE run_id = '{run_id}'") == 32
        assert count_rows(sqlite_url, f"SELECT count(DISTINCT item_id) FROM responses WHERE run_id = '{run_id}'") == 32
    # the resume sent only what the killed process had not stored (give or take its unwritten batch)
    assert srv.by_version["A"] < 32 + 8 and srv.by_version["A"] >= 32
