"""Several processes on one store (issue 12, findings 5 and 14): run creation, migrations and
shard leases are race-free on SQLite and PostgreSQL. Real processes, started together."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from accord.store import Store
from tests.unit.store._helpers import make_run

N_PROCS = 8

# Each child imports accord, says "ready", waits for the go file, then does its part at once.
_PRELUDE = """
import json, os, sys, time
from datetime import UTC, datetime
from accord.store import RunInfo, Store, SuiteRef
url, go = sys.argv[1], sys.argv[2]
def run_info(run_id):
    now = datetime.now(UTC)
    return RunInfo(run_id=run_id, created_at=now, updated_at=now, target="replay:x.jsonl", target_digest="sha256:t",
                   suites=[SuiteRef(suite_id="s", digest="sha256:s", n_items=3)], n_items=3)
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.002)
"""

_OPEN = _PRELUDE + """
st = Store.open(url)
st.close()
print(json.dumps({"opened": True}), flush=True)
"""

# The store is opened (already migrated) before "ready", so the creations really collide; each
# child goes through the same 20 new ids in the same order.
_CREATE = _PRELUDE.replace('print("ready"', 'st = Store.open(url)\nprint("ready"') + """
print(json.dumps({"created": [rid for rid in (f"same-{i}" for i in range(20)) if not st.create_or_resume_run(run_info(rid))[1]]}), flush=True)
"""

_CLAIM = _PRELUDE + """
st = Store.open(url)
owner = f"p{os.getpid()}"
got = []
while (shard := st.claim_shard("r1", owner, n_shards=int(sys.argv[3]), lease_s=60.0)) is not None:
    got.append(shard)
print(json.dumps({"owner": owner, "shards": got}), flush=True)
"""


_run = make_run


def _env() -> dict[str, str]:
    src = str(Path(__file__).resolve().parents[3] / "src")
    return {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _together(script: str, args: list[str], tmp_path: Path, n: int = N_PROCS) -> list[dict[str, object]]:
    """Start ``n`` children, wait until all are ready, release them at once; their JSON lines."""
    go = tmp_path / "go"
    procs = [
        subprocess.Popen([sys.executable, "-c", script, *args[:1], str(go), *args[1:]], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
        for _ in range(n)
    ]
    try:
        for p in procs:
            assert p.stdout is not None
            line = p.stdout.readline()
            assert line.strip() == "ready", (line, p.stderr.read() if p.stderr else "")
        go.touch()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=90)
            assert p.returncode == 0, err
            assert "Traceback" not in err, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def test_eight_processes_open_a_fresh_store(db_url: str, tmp_path: Path) -> None:
    """Finding 5: migrations run once, under the write lock (SQLite ``BEGIN IMMEDIATE``,
    PostgreSQL's advisory lock): no "table _accord_migrations already exists"."""
    assert all(r == {"opened": True} for r in _together(_OPEN, [db_url], tmp_path))
    st = Store.open(db_url)
    with st.engine.connect() as conn:
        names = [r[0] for r in conn.execute(sa.text("SELECT name FROM _accord_migrations"))]
    from accord.store._migrations import MIGRATIONS

    assert sorted(names) == sorted(n for n, _ in MIGRATIONS)
    st.close()


def test_eight_processes_start_the_same_new_run_ids(db_url: str, tmp_path: Path) -> None:
    """Finding 5: for each id exactly one process creates the run and the other seven resume
    it (no UNIQUE constraint / UniqueViolation traceback)."""
    Store.open(db_url).close()
    results = _together(_CREATE, [db_url], tmp_path)
    created = sorted(rid for r in results for rid in r["created"])  # type: ignore[attr-defined]
    assert created == sorted(f"same-{i}" for i in range(20))
    st = Store.open(db_url)
    assert len(st.list_runs()) == 20
    st.close()


def test_eight_processes_claim_every_shard_exactly_once(db_url: str, tmp_path: Path) -> None:
    n_shards = 40
    st = Store.open(db_url)
    st.create_or_resume_run(_run(n_items=n_shards * 256))
    st.close()
    results = _together(_CLAIM, [db_url, str(n_shards)], tmp_path)
    claimed = [s for r in results for s in r["shards"]]  # type: ignore[attr-defined]
    assert sorted(claimed) == list(range(n_shards)), "a shard was claimed twice or never"
    st = Store.open(db_url)
    assert st.live_owners("r1") == len([r for r in results if r["shards"]])
    assert st.claim_shard("r1", "late", n_shards=n_shards, lease_s=60) is None
    st.close()


def test_leases_expire_renew_finish_and_release(db_url: str) -> None:
    st = Store.open(db_url)
    st.create_or_resume_run(_run(n_items=3 * 256))
    assert st.claim_shard("r1", "a", n_shards=3, lease_s=0.5) == 0
    assert st.claim_shard("r1", "b", n_shards=3, lease_s=60) == 1
    assert st.claim_shard("r1", "a", n_shards=3, lease_s=0.5) == 2  # a's second shard, not 0 again
    assert st.claim_shard("r1", "b", n_shards=3, lease_s=60) is None  # all held
    assert st.live_owners("r1") == 2
    st.finish_shard("r1", 2, "a")
    time.sleep(0.7)  # a's lease on shard 0 expired: taken over; finished shard 2 never is
    assert st.live_owners("r1") == 1
    assert st.claim_shard("r1", "b", n_shards=3, lease_s=60) == 0
    assert st.claim_shard("r1", "c", n_shards=3, lease_s=60) is None
    assert st.renew_leases("r1", "b", lease_s=60) == 2
    assert st.renew_leases("r1", "a", lease_s=60) == 0  # a lost shard 0, and 2 is finished
    st.release_leases("r1", "b")  # Ctrl-C: b's unfinished shards are free at once
    assert st.live_owners("r1") == 0
    assert st.claim_shard("r1", "c", n_shards=3, lease_s=60) == 0
    st.finish_shard("r1", 0, "c")
    st.finish_shard("r1", 1, "c")
    assert st.finished_shards("r1") == {0, 1, 2}
    assert st.claim_shard("r1", "d", n_shards=3, lease_s=60) is None
    # a run stores its shard size (default 256), fixed at creation
    assert st.require_run("r1").shard_size == 256 and st.require_run("r1").n_shards == 3
    st.close()


_HOLD = _PRELUDE + """
st = Store.open(url)
st.create_or_resume_run(run_info("victim"))
st.touch_run("victim", alive_s=1.0)
assert st.claim_shard("victim", "me", n_shards=1, lease_s=1.0) == 0
print(json.dumps({"held": True}), flush=True)
time.sleep(600)
"""


def test_a_run_killed_with_sigkill_reads_as_interrupted(db_url: str, tmp_path: Path) -> None:
    """Finding 14: a run whose process died (kill -9: no chance to write its ending) shows
    ``interrupted`` once its leases and heartbeat expire, not ``running`` forever."""
    go = tmp_path / "go"
    go.touch()
    p = subprocess.Popen([sys.executable, "-c", _HOLD, db_url, str(go)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        assert p.stdout is not None
        assert p.stdout.readline().strip() == "ready"
        assert json.loads(p.stdout.readline()) == {"held": True}, p.stderr.read() if p.stderr else ""
        st = Store.open(db_url)
        assert st.require_run("victim").status == "running"  # alive: its lease is live
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=10)
        deadline = time.monotonic() + 10
        while st.require_run("victim").status == "running" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert st.require_run("victim").status == "interrupted"
        assert [r.status for r in st.list_runs()] == ["interrupted"]
        # resuming makes it running again
        _, resumed = st.create_or_resume_run(_run("victim"))
        assert resumed and st.require_run("victim").status == "running"
        st.close()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_a_live_run_without_leases_stays_running_while_it_heartbeats(db_url: str) -> None:
    st = Store.open(db_url)
    st.create_or_resume_run(_run())
    assert st.require_run("r1").status == "running"
    st.touch_run("r1", alive_s=0.3)
    time.sleep(0.5)
    assert st.require_run("r1").status == "interrupted"
    st.touch_run("r1", alive_s=30)
    assert st.require_run("r1").status == "running"
    st.set_run_status("r1", "complete")
    assert st.require_run("r1").status == "complete"
    st.close()


def test_resume_from_another_process_does_not_duplicate_work(db_url: str) -> None:
    """Two stores (two processes' worth of connections) on one run take disjoint shards."""
    a, b = Store.open(db_url), Store.open(db_url)
    a.create_or_resume_run(_run(n_items=512))
    _, resumed = b.create_or_resume_run(_run(n_items=512))
    assert resumed
    sa_ = a.claim_shard("r1", "A", n_shards=2, lease_s=60)
    sb = b.claim_shard("r1", "B", n_shards=2, lease_s=60)
    assert {sa_, sb} == {0, 1}
    a.close()
    b.close()


@pytest.mark.parametrize("kind", ["create", "claim"])
def test_sqlite_writes_take_the_write_lock_up_front(tmp_path: Path, kind: str) -> None:
    """``BEGIN IMMEDIATE``: while another connection holds the write lock, a writer waits
    for it (busy timeout) instead of reading a stale state and failing later."""
    import sqlite3
    import threading

    url = f"sqlite:///{tmp_path / 'a.db'}"
    st = Store.open(url)
    st.create_or_resume_run(_run(n_items=512))
    holder = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    done: list[object] = []

    def work() -> None:
        if kind == "create":
            done.append(st.create_or_resume_run(_run("r2"))[1])
        else:
            done.append(st.claim_shard("r1", "x", n_shards=2, lease_s=60))

    th = threading.Thread(target=work)
    th.start()
    time.sleep(0.3)
    assert not done  # waiting for the lock
    holder.execute("ROLLBACK")
    holder.close()
    th.join(timeout=30)
    assert done == [False] if kind == "create" else done == [0]
    st.close()
