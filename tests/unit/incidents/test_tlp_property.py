"""Property (hypothesis): over random organisations, members, roles and incidents of every TLP
level, with versions that change their marking, no read path returns a record its caller may
not read, and every record the caller may read is reachable. Checked on the jobs (list with and
without filters and search, get, history) and over HTTP on the same store, against an oracle
written here from FIRST's TLP 2.0 table, independently of ``accord.incidents.can_read``."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.attest import SigningKey
from accord.pipeline import (
    LOCAL_ADMIN,
    PUBLIC,
    NotFound,
    Principal,
    add_incident_version,
    authenticate,
    create_org,
    create_token,
    get_incident,
    incident_versions,
    open_store,
    readable_incidents,
    report_incident,
)

ORGS = ("o0", "o1", "o2", "o3")
MEMBERS = (None, "m0", "m1")
LEVELS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")


@st.composite
def markings(draw: st.DrawFn) -> dict[str, Any]:
    tlp = draw(st.sampled_from(LEVELS))
    if tlp in ("CLEAR", "GREEN"):
        return {"tlp": tlp, "recipients": []}
    if tlp == "RED":
        pairs = draw(st.lists(st.tuples(st.sampled_from(ORGS), st.sampled_from(("m0", "m1", "w"))), min_size=1, max_size=3, unique=True))
        return {"tlp": tlp, "recipients": [{"org": o, "member": m} for o, m in pairs]}
    orgs = draw(st.lists(st.sampled_from(ORGS), min_size=1, max_size=3, unique=True))
    recipients: list[dict[str, Any]] = []
    for org in orgs:
        r: dict[str, Any] = {"org": org}
        if tlp == "AMBER":
            r["clients"] = draw(st.lists(st.sampled_from(ORGS), max_size=2, unique=True))
        recipients.append(r)
    return {"tlp": tlp, "recipients": recipients}


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    principals = draw(
        st.lists(
            st.tuples(st.sampled_from(ORGS), st.sampled_from(("provider", "auditor", "regulator", "public")), st.sampled_from(MEMBERS)),
            min_size=1,
            max_size=6,
            unique=True,
        )
    )
    incidents = draw(st.lists(st.tuples(st.sampled_from(ORGS), st.lists(markings(), min_size=1, max_size=3)), min_size=1, max_size=5))
    return {"principals": principals, "incidents": incidents}


def oracle(marking: dict[str, Any], reporter: str, who: Principal) -> bool:
    """TLP 2.0 (FIRST), as docs/incidents.md states the service's reading of it."""
    tlp = marking["tlp"]
    if tlp == "CLEAR":
        return True
    if who.token_id is None or who.org is None:
        return False
    if tlp == "GREEN" or who.org == reporter:
        return True
    recipients = marking["recipients"]
    if tlp == "AMBER":
        return any(who.org == r["org"] or who.org in r.get("clients", []) for r in recipients)
    if tlp == "AMBER+STRICT":
        return any(who.org == r["org"] for r in recipients)
    return any(who.org == r["org"] and who.member is not None and who.member == r["member"] for r in recipients)


@dataclass
class Made:
    id: str
    reporter: str
    markings: list[dict[str, Any]]


def body(marking: dict[str, Any], n: int) -> dict[str, Any]:
    return {
        "title": f"needle incident {n}",
        "description": "property test",
        "system": {"name": "sys"},
        "severity": "incident",
        "aware_at": "2026-10-01T00:00:00Z",
        **marking,
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(worlds())
def test_no_read_path_returns_an_incident_the_caller_may_not_read(world: dict[str, Any]) -> None:
    from fastapi.testclient import TestClient

    from accord.server import ServerConfig, create_app

    with tempfile.TemporaryDirectory() as tmp_text:
        tmp = Path(tmp_text)
        key_file = tmp / "key.pem"
        key_file.write_bytes(SigningKey.generate().to_pem())
        os.chmod(key_file, 0o600)
        store = open_store(f"sqlite:///{tmp / 'a.db'}", create=True)
        try:
            for org in ORGS:
                create_org(store, LOCAL_ADMIN, org)
            writers = {org: authenticate(store, create_token(store, LOCAL_ADMIN, org, "provider", member="w")["token"]) for org in ORGS}
            callers: list[tuple[Principal, str | None]] = [(PUBLIC, None), (LOCAL_ADMIN, None)]
            for org, role, member in world["principals"]:
                token = create_token(store, LOCAL_ADMIN, org, role, member=member)["token"]
                callers.append((authenticate(store, token), token))
            callers += [(w, None) for w in writers.values()]

            made: list[Made] = []
            for n, (reporter, marks) in enumerate(world["incidents"]):
                kw = {"log_dir": tmp / "log", "log_key": str(key_file)}
                v = report_incident(store, writers[reporter], body(marks[0], n), **kw)
                for m in marks[1:]:
                    add_incident_version(store, writers[reporter], v.incident_id, body(m, n), **kw)
                made.append(Made(v.incident_id, reporter, marks))

            client = TestClient(create_app(ServerConfig(log_dir=tmp / "log", signing_key=str(key_file)), store=store))
            for who, token in callers:
                latest_ok = {m.id for m in made if oracle(m.markings[-1], m.reporter, who)}
                # list (all pages), search, and each TLP filter: exactly the readable ones.
                listed: list[str] = []
                cursor = None
                while True:
                    page = readable_incidents(store, who, limit=2, cursor=cursor)
                    listed += [i.id for i in page.items]
                    if (cursor := page.next_cursor) is None:
                        break
                assert sorted(listed) == sorted(latest_ok), who
                assert {i.id for i in readable_incidents(store, who, q="needle", limit=500).items} == latest_ok
                for level in LEVELS:
                    got = {i.id for i in readable_incidents(store, who, tlp=level, limit=500).items}
                    assert got == {m.id for m in made if m.id in latest_ok and m.markings[-1]["tlp"] == level}
                for m in made:
                    # get
                    if m.id in latest_ok:
                        assert get_incident(store, who, m.id).id == m.id
                    else:
                        try:
                            get_incident(store, who, m.id)
                            raise AssertionError(f"{who} read {m.id}")
                        except NotFound:
                            pass
                    # history: exactly the versions whose own marking admits the caller
                    versions_ok = [i + 1 for i, mk in enumerate(m.markings) if oracle(mk, m.reporter, who)]
                    try:
                        got_versions = [v.version for v in incident_versions(store, who, m.id)]
                    except NotFound:
                        got_versions = []
                    assert got_versions == versions_ok
                # the same over HTTP, for callers with a bearer token and the anonymous one
                if token is not None or who is PUBLIC:
                    headers = {"Authorization": f"Bearer {token}"} if token else {}
                    r = client.get("/v1/incidents", params={"limit": 500}, headers=headers)
                    assert r.status_code == 200 and {i["id"] for i in r.json()["incidents"]} == latest_ok
                    r = client.get("/v1/incidents", params={"limit": 500, "q": "NEEDLE"}, headers=headers)
                    assert {i["id"] for i in r.json()["incidents"]} == latest_ok
                    for m in made:
                        one = client.get(f"/v1/incidents/{m.id}", headers=headers)
                        assert one.status_code == (200 if m.id in latest_ok else 404)
                        hist = client.get(f"/v1/incidents/{m.id}/versions", headers=headers)
                        want = [i + 1 for i, mk in enumerate(m.markings) if oracle(mk, m.reporter, who)]
                        assert [v["version"] for v in hist.json().get("versions", [])] == want
                        assert hist.status_code == (200 if want else 404)
        finally:
            store.close()  # type: ignore[attr-defined]
