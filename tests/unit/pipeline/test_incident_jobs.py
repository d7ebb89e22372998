"""Incident jobs on SQLite and PostgreSQL: reporting, versions, every read path under TLP,
search and paging, the signed commitment in the log (and nothing else there), the audit trail."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from accord.attest import Envelope, FileLog, SigningKey
from accord.errors import InputError, VerificationError
from accord.incidents import verify_version
from accord.pipeline import (
    LOCAL_ADMIN,
    PUBLIC,
    AccessDenied,
    AuthError,
    NotFound,
    Principal,
    add_incident_version,
    authenticate,
    create_org,
    create_token,
    get_incident,
    incident_deadlines,
    incident_versions,
    list_audit,
    open_store,
    readable_incidents,
    report_incident,
    verify_audit_chain,
)

AWARE = "2026-11-01T09:30:00Z"


class World:
    """A store with organisations acme (reporter), beta (recipient), gamma (client), delta (stranger)."""

    def __init__(self, store: Any, tmp: Path) -> None:
        self.store = store
        self.key = SigningKey.generate()
        self.key_file = tmp / "log-key.pem"
        self.key_file.write_bytes(self.key.to_pem())
        os.chmod(self.key_file, 0o600)
        self.log_dir = tmp / "log"
        for org in ("acme", "beta", "gamma", "delta"):
            create_org(store, LOCAL_ADMIN, org)
        self.acme = self.token("acme", "provider", "ann")
        self.beta = self.token("beta", "regulator", "bob")
        self.beta_eve = self.token("beta", "regulator", "eve")
        self.gamma = self.token("gamma", "auditor")
        self.delta = self.token("delta", "auditor", "dan")
        self.delta_public = self.token("delta", "public")

    def token(self, org: str, role: str, member: str | None = None) -> Principal:
        return authenticate(self.store, create_token(self.store, LOCAL_ADMIN, org, role, member=member)["token"])

    def report(self, who: Principal | None = None, **over: Any) -> Any:
        return report_incident(self.store, who or self.acme, body(**over), log_dir=self.log_dir, log_key=str(self.key_file))

    def version(self, incident_id: str, who: Principal | None = None, **over: Any) -> Any:
        return add_incident_version(
            self.store, who or self.acme, incident_id, body(**over), log_dir=self.log_dir, log_key=str(self.key_file)
        )


def body(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "Chatbot gave lethal dosing advice",
        "description": "The model recommended a dangerous dose to a user.",
        "system": {"name": "acme-chat", "version": "2.1"},
        "hazards": ["specialized-advice"],
        "severity": "serious incident",
        "harms": ["death"],
        "jurisdictions": ["DE"],
        "system_classes": ["high-risk"],
        "aware_at": AWARE,
        "tlp": "CLEAR",
    }
    base.update(over)
    return base


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    st = open_store(db_url, create=True)
    try:
        yield World(st, tmp_path)
    finally:
        st.close()  # type: ignore[attr-defined]


RED = {"tlp": "RED", "recipients": [{"org": "beta", "member": "bob"}]}


def test_a_red_incident_is_read_only_by_its_named_recipient_and_reporter(world: World) -> None:
    v = world.report(title="secret RED title", **RED)
    assert v.version == 1 and v.reporter_org == "acme" and v.log_index == 0
    for reader in (world.acme, world.beta):
        assert get_incident(world.store, reader, v.incident_id).report.title == "secret RED title"
        assert [i.id for i in readable_incidents(world.store, reader).items] == [v.incident_id]
        assert [x.version for x in incident_versions(world.store, reader, v.incident_id)] == [1]
    for outsider in (world.beta_eve, world.gamma, world.delta, world.delta_public, PUBLIC, LOCAL_ADMIN):
        with pytest.raises(NotFound):
            get_incident(world.store, outsider, v.incident_id)
        with pytest.raises(NotFound):
            incident_versions(world.store, outsider, v.incident_id)
        assert readable_incidents(world.store, outsider).items == []
        assert readable_incidents(world.store, outsider, q="secret").items == []


def test_an_unreadable_incident_looks_exactly_like_a_missing_one(world: World) -> None:
    v = world.report(**RED)
    with pytest.raises(NotFound) as hidden:
        get_incident(world.store, world.gamma, v.incident_id)
    with pytest.raises(NotFound) as missing:
        get_incident(world.store, world.gamma, "00000000-0000-4000-8000-000000000000")
    assert hidden.value.what == missing.value.what
    with pytest.raises(NotFound):
        get_incident(world.store, world.gamma, "../../etc/passwd")


def test_amber_reaches_declared_clients_and_amber_strict_does_not(world: World) -> None:
    amber = world.report(tlp="AMBER", recipients=[{"org": "beta", "clients": ["gamma"]}])
    strict = world.report(tlp="AMBER+STRICT", recipients=[{"org": "beta"}])
    green = world.report(tlp="GREEN")
    ids = lambda who: {i.id for i in readable_incidents(world.store, who).items}  # noqa: E731
    assert ids(world.beta) == ids(world.beta_eve) == {amber.incident_id, strict.incident_id, green.incident_id}
    assert ids(world.gamma) == {amber.incident_id, green.incident_id}
    assert ids(world.delta) == ids(world.delta_public) == {green.incident_id}
    assert ids(PUBLIC) == set()
    assert {i.id for i in readable_incidents(world.store, world.beta, tlp="AMBER+STRICT").items} == {strict.incident_id}


def test_history_judges_each_version_by_its_own_marking(world: World) -> None:
    v1 = world.report(title="first: RED", **RED)
    world.version(v1.incident_id, title="second: CLEAR", status="resolved")
    world.version(v1.incident_id, title="third: RED again", **RED)
    # The latest version is RED: the public cannot see the incident, nor any version of it...
    with pytest.raises(NotFound):
        get_incident(world.store, PUBLIC, v1.incident_id)
    # ...except the version published as CLEAR, which is what history shows them.
    assert [v.report.title for v in incident_versions(world.store, PUBLIC, v1.incident_id)] == ["second: CLEAR"]
    assert [v.version for v in incident_versions(world.store, world.beta, v1.incident_id)] == [1, 2, 3]
    assert get_incident(world.store, world.beta, v1.incident_id).version == 3


def test_only_the_reporter_organisation_adds_versions(world: World) -> None:
    v = world.report(tlp="GREEN")
    with pytest.raises(AccessDenied, match="only the reporting organisation"):
        world.version(v.incident_id, who=world.beta)
    hidden = world.report(**RED)
    with pytest.raises(NotFound):
        world.version(hidden.incident_id, who=world.gamma)
    with pytest.raises(AccessDenied):  # a public-role token lacks incidents:write
        world.report(who=world.delta_public)
    with pytest.raises(AuthError):  # anonymous: authenticate first
        world.report(who=PUBLIC)
    with pytest.raises(AccessDenied, match="organisation"):
        world.report(who=LOCAL_ADMIN)


def test_bad_reports_are_refused_and_nothing_is_stored(world: World) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"recipients": [{"org": "nobody"}], "tlp": "AMBER"}, "recipients.0"),
        ({"aware_at": (datetime.now(UTC) + timedelta(days=3)).isoformat()}, "aware_at"),
        ({"hazards": ["nope"]}, "hazards"),
        ({"extra": 1}, "extra"),
    ]
    for over, field in cases:
        with pytest.raises(InputError) as err:
            world.report(**over)
        assert err.value.field is not None and err.value.field.startswith(field)
    with pytest.raises(InputError, match="UUID"):
        report_incident(world.store, world.acme, body(), log_dir=world.log_dir, log_key=str(world.key_file), incident_id="INC-1")
    assert readable_incidents(world.store, world.acme).items == []


def test_a_given_uuid_is_kept_and_cannot_be_reused(world: World) -> None:
    iid = "4f0c2f5e-7a53-4c1b-9a1e-0d5b6c7d8e9f"
    report_incident(world.store, world.acme, body(), log_dir=world.log_dir, log_key=str(world.key_file), incident_id=iid)
    assert get_incident(world.store, PUBLIC, iid).id == iid
    with pytest.raises(InputError, match="exists"):
        report_incident(world.store, world.acme, body(), log_dir=world.log_dir, log_key=str(world.key_file), incident_id=iid)


def test_filters_search_and_paging(world: World) -> None:
    made = [
        world.report(title=f"incident {n}", hazards=["hate" if n % 2 else "privacy"], status="open" if n < 5 else "resolved")
        for n in range(7)
    ]
    world.report(title="100%_literal match", description="nothing else")
    assert [i.report.title for i in readable_incidents(world.store, PUBLIC, hazard="hate").items] == [
        "incident 1",
        "incident 3",
        "incident 5",
    ]
    assert len(readable_incidents(world.store, PUBLIC, status="resolved").items) == 2
    assert [i.report.title for i in readable_incidents(world.store, PUBLIC, q="100%_").items] == ["100%_literal match"]
    assert readable_incidents(world.store, PUBLIC, q="0%x").items == []  # % and _ are literal, not wildcards
    assert len(readable_incidents(world.store, PUBLIC, q="ACME-CHAT").items) == 8  # system name, any case
    seen: list[str] = []
    cursor = None
    while True:
        page = readable_incidents(world.store, PUBLIC, limit=3, cursor=cursor)
        seen += [i.id for i in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen[:7] == [v.incident_id for v in made] and len(seen) == 8
    # An updated incident moves to the end of the update order.
    world.version(made[0].incident_id, title="incident 0 updated")
    assert readable_incidents(world.store, PUBLIC, limit=500).items[-1].id == made[0].incident_id
    later = readable_incidents(world.store, PUBLIC, updated_after=datetime.now(UTC) - timedelta(minutes=5))
    assert len(later.items) == 8
    for bad in (
        {"tlp": "WHITE"},
        {"status": "x"},
        {"hazard": "x"},
        {"limit": 0},
        {"limit": 501},
        {"cursor": "abc"},
        {"q": "x" * 201},
        {"updated_after": datetime(2026, 1, 1)},
    ):
        with pytest.raises(InputError):
            readable_incidents(world.store, PUBLIC, **bad)


def test_the_log_holds_a_signed_commitment_and_never_the_content(world: World) -> None:
    v = world.report(title="UNIQUE-RED-MARKER", description="CONFIDENTIAL-BODY", **RED)
    verify_version(v, [world.key.public])
    stored = incident_versions(world.store, world.beta, v.incident_id)[0]
    assert stored == v  # what is read back is exactly what was signed
    verify_version(stored, [world.key.public])
    with FileLog.open(world.log_dir) as log:
        entry = log.entry(v.log_index)
    payload = Envelope.from_json(entry).payload
    assert json.loads(payload)["subject"] == [{"name": "commitment", "digest": {"sha256": v.commitment}}]
    for secret in (b"UNIQUE-RED-MARKER", b"CONFIDENTIAL-BODY", b"beta", b"bob", v.incident_id.encode(), v.salt.encode()):
        assert secret not in entry and secret not in payload
    tampered = stored.model_copy(update={"report": stored.report.model_copy(update={"title": "changed"})})
    with pytest.raises(VerificationError, match="commitment"):
        verify_version(tampered, [world.key.public])
    with pytest.raises(VerificationError):
        verify_version(stored, [SigningKey.generate().public])


def test_deadlines_come_with_the_incident(world: World) -> None:
    v = world.report()
    inc = get_incident(world.store, PUBLIC, v.incident_id)
    (d,) = incident_deadlines(inc, datetime(2026, 11, 5, tzinfo=UTC))
    assert d.rule == "a73-death" and d.due == datetime(2026, 11, 11, 9, 30, tzinfo=UTC) and not d.overdue


def test_decisions_are_audited_without_content(world: World) -> None:
    v = world.report(title="AUDIT-CONTENT-MARKER", **RED)
    get_incident(world.store, world.beta, v.incident_id)
    with pytest.raises(NotFound):
        get_incident(world.store, world.gamma, v.incident_id)
    with pytest.raises(AccessDenied):
        world.report(who=world.delta_public)
    rows = list_audit(world.store, LOCAL_ADMIN, limit=1000)
    mine = [(r["action"], r["allowed"], r["org"]) for r in rows if r["action"].startswith("incidents.")]
    assert ("incidents.report", True, "acme") in mine
    assert ("incidents.read", True, "beta") in mine
    assert ("incidents.read", False, "gamma") in mine
    assert ("incidents.report", False, "delta") in mine
    assert "AUDIT-CONTENT-MARKER" not in repr(rows)
    assert verify_audit_chain(world.store)["ok"]


def test_a_stale_writer_gets_a_conflict_and_the_record_is_intact(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    v = world.report(tlp="GREEN")
    import accord.pipeline._incident_jobs as jobs

    real = jobs._append

    raced: list[bool] = []

    def racing(*args: Any, **kw: Any) -> Any:
        if not raced:  # the other writer lands between this one's check and its write
            raced.append(True)
            world.version(v.incident_id, title="the other writer")
        return real(*args, **kw)

    monkeypatch.setattr(jobs, "_append", racing)
    with pytest.raises(InputError, match="changed while this version was written"):
        add_incident_version(world.store, world.acme, v.incident_id, body(tlp="GREEN"), log_dir=world.log_dir, log_key=str(world.key_file))
    monkeypatch.setattr(jobs, "_append", real)
    assert [x.report.title for x in incident_versions(world.store, world.acme, v.incident_id)] == [v.report.title, "the other writer"]
