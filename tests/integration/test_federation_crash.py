"""Federation under kill -9 (issue 21): SIGKILL the pulling server mid-sync several times,
restart it; nothing is lost and nothing is stored twice.

A holds a few thousand incidents (some with a second version, some it may not share with B)
and serves them in this process over loopback HTTP. B is a real ``accord serve
--sync-interval 0.2`` process pulling from A in pages of 500; it is killed with SIGKILL at
random moments while its cursor is short of A's last update, restarted, and finally left to
finish. Then, from B's SQLite store and log directly: B holds exactly the versions A may share
with it, each once; B's cursor is A's last update; every stored version verifies under B's key;
every version's log index is its own and points at its own envelope; B's log audits.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.support.loopback import serve_app

REPO = Path(__file__).resolve().parents[2]
N = 3000  # shareable version-1 incidents: 6 pages of 500
UPDATED = 15  # of which get a version 2
PRIVATE = 40  # incidents A may not share with B
KILLS = 4


def _key(path: Path) -> Any:
    from accord.attest import SigningKey

    key = SigningKey.generate()
    path.write_bytes(key.to_pem())
    os.chmod(path, 0o600)
    return key


def _report(i: int, tlp: str, recipients: list[dict[str, str]], distribution: int) -> dict[str, Any]:
    return {
        "title": f"crash test incident {i}",
        "description": f"Synthetic incident {i} (tests/integration/test_federation_crash.py).",
        "system": {"name": f"system-{i % 9}"},
        "severity": "incident",
        "aware_at": (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i)).isoformat(),
        "tlp": tlp,
        "recipients": recipients,
        "distribution": distribution,
    }


def _seed(store: Any, log_dir: Path, key_file: Path, org: str, reports: list[dict[str, Any]]) -> list[str]:
    """Version 1 of each report in one batch (``report_incidents``: one log batch, one transaction)."""
    from accord.pipeline import Principal, report_incidents

    who = Principal(org=org, role="provider", token_id="seed", member="seed")
    return [v.incident_id for v in report_incidents(store, who, reports, log_dir=log_dir, log_key=str(key_file))]


def _start_b(root: Path, db: str) -> tuple[subprocess.Popen[str], str]:
    """``accord serve --sync-interval 0.2`` for B; (process, its URL)."""
    env = {**os.environ, "ACCORD_HOME": str(root / "home")}
    env.pop("ACCORD_DB", None)
    argv = [sys.executable, "-m", "accord.cli.main", "serve", "--port", "0", "--log-level", "warning", "--name", "b"]
    argv += ["--db", db, "--log-dir", str(root / "log"), "--signing-key", str(root / "key.pem"), "--sync-interval", "0.2"]
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    m = re.search(r"(http://\S+)", proc.stdout.readline())
    if m is None:
        proc.kill()
        raise AssertionError(f"B did not start: {proc.communicate(timeout=30)[1][-2000:]}")
    return proc, m.group(1).rstrip("/")


@contextmanager
def _reaped() -> Iterator[list[subprocess.Popen[str]]]:
    """Every B process started in the block is gone at its end."""
    procs: list[subprocess.Popen[str]] = []
    try:
        yield procs
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.communicate(timeout=30)


def _cursor(db: str, origin: str) -> int:
    engine = sa.create_engine(db)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT cursor FROM federation_peers WHERE origin = :o"), {"o": origin}).scalar_one())
    finally:
        engine.dispose()


def test_kill9_mid_sync_then_restart_stores_each_version_once(tmp_path: Path) -> None:
    from accord.attest import FileLog
    from accord.incidents import verify_version
    from accord.pipeline import LOCAL_ADMIN, Principal, add_incident_version, add_peer, create_org, open_service_store
    from accord.pipeline._incident_jobs import _version
    from accord.server import ServerConfig, create_app
    from accord.store import Incidents

    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng = random.Random(seed)
    a_root, b_root = tmp_path / "a", tmp_path / "b"
    a_root.mkdir()
    b_root.mkdir()
    a_key, b_key = _key(a_root / "key.pem"), _key(b_root / "key.pem")
    a_store = open_service_store(f"sqlite:///{a_root / 'store.db'}")
    for org in ("org-a", "org-z"):
        create_org(a_store, LOCAL_ADMIN, org, org_id=org)
    b_db = f"sqlite:///{b_root / 'store.db'}"
    b_store = open_service_store(b_db)
    create_org(b_store, LOCAL_ADMIN, "org-b", org_id="org-b")
    b_store.close()

    app = create_app(ServerConfig(log_dir=a_root / "log", signing_key=str(a_root / "key.pem"), name="a"), store=a_store)
    with serve_app(app) as a_url, _reaped() as procs:
        proc, b_url = _start_b(b_root, b_db)
        procs.append(proc)
        add_peer(
            a_store,
            LOCAL_ADMIN,
            b_url,
            trusted_key=b_key.public.vkey(),
            orgs=["org-b"],
            pull=False,
            log_dir=a_root / "log",
            log_key=str(a_root / "key.pem"),
        )
        shareable = []
        for i in range(N):
            tlp, recipients = rng.choice(
                [("CLEAR", []), ("GREEN", []), ("AMBER", [{"org": "org-b"}]), ("RED", [{"org": "org-b", "member": "bo"}])]
            )
            shareable.append(_report(i, tlp, recipients, rng.choice([2, 3])))
        # not for B: distribution 0 (A's organisation only), and AMBER for another organisation
        private = [_report(N + i, "CLEAR", [], 0) if i % 2 else _report(N + i, "AMBER", [{"org": "org-z"}], 3) for i in range(PRIVATE)]
        ids = _seed(a_store, a_root / "log", a_root / "key.pem", "org-a", shareable + private)
        who = Principal(org="org-a", role="provider", token_id="t", member="ann")
        for incident_id in rng.sample(ids[:N], UPDATED):
            add_incident_version(
                a_store,
                who,
                incident_id,
                {**_report(0, "GREEN", [], 3), "title": "updated"},
                log_dir=a_root / "log",
                log_key=str(a_root / "key.pem"),
            )
        a_last = Incidents(a_store).max_seq()

        # B pulls from A from now on (its loop reads its peers every round); kill it mid-sync
        b_store = open_service_store(b_db)
        origin = add_peer(
            b_store,
            LOCAL_ADMIN,
            a_url,
            trusted_key=a_key.public.vkey(),
            orgs=["org-a"],
            log_dir=b_root / "log",
            log_key=str(b_root / "key.pem"),
        )["origin"]
        b_store.close()
        # kill k once the cursor reached a random point (spread over the sync, the last pages
        # left), then a random fraction of a page later: inside an apply, a log append, or between pages
        targets = sorted(rng.randrange(0, a_last - 1500) for _ in range(KILLS))
        kills: list[tuple[int, float, int]] = []  # (target, delay s, B's cursor just before the kill)
        for k, target in enumerate(targets):
            if k:
                proc, _ = _start_b(b_root, b_db)
                procs.append(proc)
            deadline = time.monotonic() + 30
            while _cursor(b_db, origin) < target and time.monotonic() < deadline:
                time.sleep(0.01)
            delay = rng.uniform(0.0, 0.5)
            time.sleep(delay)
            at = _cursor(b_db, origin)
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
            kills.append((target, round(delay, 3), at))
            assert proc.returncode == -signal.SIGKILL
        assert sum(at < a_last for _, _, at in kills) >= KILLS - 1, f"seed {seed}: B finished before the kills {kills}"
        proc, _ = _start_b(b_root, b_db)
        procs.append(proc)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and _cursor(b_db, origin) < a_last:
            time.sleep(0.05)
        proc.terminate()
        proc.communicate(timeout=30)
        final = _cursor(b_db, origin)
        assert final == a_last, f"seed {seed}, kills {kills}: B's cursor stopped at {final} of {a_last}"
    a_store.close()

    a_versions = {}
    engine = sa.create_engine(f"sqlite:///{a_root / 'store.db'}")
    with engine.connect() as conn:
        for iid, v, c in conn.execute(sa.text("SELECT incident_id, version, commitment FROM service_incident_versions")):
            a_versions[(iid, v)] = c
    engine.dispose()
    expected = {k: c for k, c in a_versions.items() if k[0] in set(ids[:N])}
    assert len(expected) == N + UPDATED

    b_store = open_service_store(b_db)
    try:
        with b_store.engine.connect() as conn:
            rows = [
                dict(r)
                for r in conn.execute(
                    sa.text("SELECT incident_id, version, commitment, log_index, envelope_json FROM service_incident_versions")
                ).mappings()
            ]
            heads = conn.execute(sa.text("SELECT count(*) FROM service_incidents")).scalar_one()
        held = {(r["incident_id"], r["version"]): r["commitment"] for r in rows}
        context = f"seed {seed}, kills (target, delay s, cursor then) {kills}"
        assert len(rows) == len(held), f"{context}: a version stored twice"
        assert held == expected, f"{context}: B holds {len(held)} versions, A may share {len(expected)}"
        assert heads == N
        indexes = [r["log_index"] for r in rows]
        assert None not in indexes and len(set(indexes)) == len(indexes), f"{context}: log indexes shared"
        key = b_key.public
        inc = Incidents(b_store)
        with FileLog.open(b_root / "log") as tlog:
            tlog.audit()
            for r in rows:
                assert json.loads(tlog.entry(r["log_index"])) == json.loads(r["envelope_json"]), (
                    f"{context}: log entry {r['log_index']} is not its version's envelope"
                )
            orphans = tlog.size - len(rows)  # a kill between the log append and the commit: re-appended on retry
        assert orphans >= 0
        print(f"{context}; log entries not referenced (re-appended after a kill): {orphans}")
        for incident_id in {r["incident_id"] for r in rows}:
            for row in inc.versions(incident_id):
                verify_version(_version(row), [key])
    finally:
        b_store.close()
