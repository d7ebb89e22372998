"""The service's organisation, token, key and audit tables (issue 20) on SQLite and PostgreSQL:
the audit log's hash chain catches every kind of tampering, and concurrent appends from
several processes still form one chain."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from accord.store import Orgs, Store
from accord.store._orgs import GENESIS_HASH, audit_row_hash


@pytest.fixture
def orgs(db_url: str) -> Iterator[Orgs]:
    store = Store.open(db_url)
    try:
        yield Orgs(store)
    finally:
        store.close()


def _append(orgs: Orgs, n: int, *, allowed: bool = True) -> None:
    for i in range(n):
        orgs.append_audit(
            {
                "principal": f"p{i}",
                "org": "acme",
                "role": "provider",
                "token_id": "tok_x",
                "action": "results.read",
                "target": f"result:{i}",
                "allowed": allowed,
                "reason": "test",
            }
        )


def _sql(orgs: Orgs, text: str, **params: object) -> None:
    with orgs.engine.begin() as conn:
        conn.execute(sa.text(text), params)


def test_an_empty_log_verifies_and_starts_at_genesis(orgs: Orgs) -> None:
    check = orgs.verify_audit()
    assert check.ok and check.rows == 0 and check.head_seq == 0 and check.head_hash == GENESIS_HASH


def test_appends_chain_each_record_to_the_last(orgs: Orgs) -> None:
    _append(orgs, 5)
    rows = list(orgs.iter_audit(page=2))  # paged: exercises the page boundary
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["prev_hash"] == GENESIS_HASH
    for a, b in zip(rows, rows[1:]):
        assert b["prev_hash"] == a["hash"]
    assert all(audit_row_hash(r) == r["hash"] for r in rows)
    check = orgs.verify_audit()
    assert check.ok and check.rows == 5 and check.head_seq == 5 and check.head_hash == rows[-1]["hash"]


def test_an_edited_record_is_detected(orgs: Orgs) -> None:
    _append(orgs, 4)
    _sql(orgs, "UPDATE service_audit SET allowed = :a WHERE seq = 2", a=False)
    check = orgs.verify_audit()
    assert not check.ok
    assert any("record 2" in p and "edited" in p for p in check.problems)


def test_an_edited_record_with_a_recomputed_hash_breaks_the_next_link(orgs: Orgs) -> None:
    _append(orgs, 4)
    row = next(r for r in orgs.iter_audit() if r["seq"] == 2)
    row["reason"] = "forged"
    _sql(orgs, "UPDATE service_audit SET reason = 'forged', hash = :h WHERE seq = 2", h=audit_row_hash(row))
    check = orgs.verify_audit()
    assert not check.ok
    assert any("record 3" in p and "prev_hash" in p for p in check.problems)


def test_a_deleted_record_is_detected(orgs: Orgs) -> None:
    _append(orgs, 4)
    _sql(orgs, "DELETE FROM service_audit WHERE seq = 2")
    check = orgs.verify_audit()
    assert not check.ok
    assert any("expected record 2" in p for p in check.problems)


def test_a_truncated_tail_is_detected_by_the_head(orgs: Orgs) -> None:
    _append(orgs, 4)
    _sql(orgs, "DELETE FROM service_audit WHERE seq >= 3")
    check = orgs.verify_audit()
    assert not check.ok
    assert any("head says record 4" in p for p in check.problems)


def test_problems_are_bounded(orgs: Orgs) -> None:
    _append(orgs, 30)
    _sql(orgs, "UPDATE service_audit SET reason = 'x'")
    check = orgs.verify_audit(max_problems=5)
    assert not check.ok and len(check.problems) == 6 and check.problems[-1].startswith("...")


def test_long_fields_are_cut_not_refused(orgs: Orgs) -> None:
    orgs.append_audit(
        {"principal": "p" * 5000, "role": "public", "action": "a" * 500, "target": "t" * 5000, "allowed": False, "reason": "r" * 9000}
    )
    (row,) = orgs.list_audit()
    assert len(row["principal"]) == 400 and len(row["action"]) == 100 and len(row["target"]) == 400 and len(row["reason"]) == 1000
    assert orgs.verify_audit().ok


def test_list_audit_filters_and_pages_newest_first(orgs: Orgs) -> None:
    _append(orgs, 3, allowed=True)
    _append(orgs, 2, allowed=False)
    orgs.append_audit(
        {"principal": "x", "org": "beta", "role": "auditor", "action": "incidents_read", "target": "i", "allowed": True, "reason": ""}
    )
    assert [r["seq"] for r in orgs.list_audit(limit=2)] == [6, 5]
    assert [r["seq"] for r in orgs.list_audit(before=5, limit=2)] == [4, 3]
    assert [r["seq"] for r in orgs.list_audit(allowed=False)] == [5, 4]
    assert [r["seq"] for r in orgs.list_audit(org="beta")] == [6]
    assert len(orgs.list_audit(action="results.")) == 5
    # '_' and '%' in a prefix are literal, not LIKE wildcards
    assert orgs.list_audit(action="incidents.") == []
    assert [r["seq"] for r in orgs.list_audit(action="incidents_")] == [6]
    assert len(orgs.list_audit(limit=10**9)) == 6  # the cap is applied, not an error


def test_orgs_tokens_and_keys_round_trip(orgs: Orgs) -> None:
    assert orgs.add_org("acme", "Acme") is not None
    assert orgs.add_org("acme", "Other") is None  # no overwrite
    assert orgs.get_org("acme")["name"] == "Acme"  # type: ignore[index]
    for i in range(3):
        orgs.add_org(f"org-{i}", f"Org {i}")
    ids = [o["id"] for o in orgs.list_orgs(limit=2)]
    assert ids == ["acme", "org-0"]
    assert [o["id"] for o in orgs.list_orgs(after="org-0")] == ["org-1", "org-2"]
    row = {
        "id": "tok_000000000001",
        "digest": "d" * 64,
        "org": "acme",
        "role": "auditor",
        "scopes": "read",
        "member": None,
        "created": "2026-01-01T00:00:00+00:00",
        "expires": None,
        "revoked_at": None,
        "last_used": None,
    }
    orgs.add_token(row)
    assert orgs.token_by_digest("d" * 64)["id"] == "tok_000000000001"  # type: ignore[index]
    assert "digest" not in orgs.list_tokens(org="acme")[0]
    assert orgs.revoke_token("tok_000000000001", "2026-02-01T00:00:00+00:00") == "2026-02-01T00:00:00+00:00"
    assert orgs.revoke_token("tok_000000000001", "2026-03-01T00:00:00+00:00") == "2026-02-01T00:00:00+00:00"  # first time kept
    assert orgs.revoke_token("tok_nope", "x") is None
    with pytest.raises(sa.exc.IntegrityError):  # a token of an unknown organisation is refused by the foreign key
        orgs.add_token(row | {"id": "tok_000000000002", "digest": "e" * 64, "org": "nope"})


_CHILD = """
import os, sys, time
from accord.store import Orgs, Store
url, go, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
st = Store.open(url)
o = Orgs(st)
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.002)
for i in range(n):
    o.append_audit({"principal": f"pid {os.getpid()}", "role": "public", "action": "x", "target": str(i), "allowed": True, "reason": ""})
st.close()
"""


def test_concurrent_appends_from_processes_form_one_chain(db_url: str, tmp_path: Path) -> None:
    Store.open(db_url).close()  # migrate once, before the children race
    go = tmp_path / "go"
    procs = [
        subprocess.Popen([sys.executable, "-c", _CHILD, db_url, str(go), "25"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        go.touch()
        for p in procs:
            assert p.wait(timeout=120) == 0, p.stderr.read() if p.stderr else ""
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    store = Store.open(db_url)
    try:
        check = Orgs(store).verify_audit()
        assert check.ok, check.problems
        assert check.rows == 100 and check.head_seq == 100
    finally:
        store.close()
