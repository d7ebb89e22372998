"""The incident API over real HTTP (uvicorn on loopback, httpx client): report, versions, list,
search, get, history, with TLP enforced per caller, deadlines served, bad input refused (4xx,
nothing stored), and each served version checkable against the server's log."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from accord.attest import Envelope, FileLog, SigningKey
from accord.errors import VerificationError
from accord.incidents import IncidentVersion, verify_version
from accord.pipeline import LOCAL_ADMIN, create_org, create_token, open_store
from accord.server import ServerConfig, create_app
from tests.support.loopback import serve_app


class Api:
    def __init__(self, base: str, tokens: dict[str, str], key: SigningKey, log_dir: Path) -> None:
        self.base, self.tokens, self.key, self.log_dir = base, tokens, key, log_dir
        self.http = httpx.Client(base_url=base, timeout=10)

    def call(self, method: str, path: str, who: str | None = None, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.http.request(method, path, headers=headers, **kw)


@pytest.fixture
def api(db_url: str, tmp_path: Path) -> Iterator[Api]:
    store = open_store(db_url, create=True)
    key = SigningKey.generate()
    key_file = tmp_path / "log.pem"
    key_file.write_bytes(key.to_pem())
    os.chmod(key_file, 0o600)
    tokens: dict[str, str] = {}
    for org, role, member in [
        ("acme", "provider", "ann"),
        ("beta", "regulator", "bob"),
        ("gamma", "auditor", None),
        ("delta", "public", None),
    ]:
        create_org(store, LOCAL_ADMIN, org)
        tokens[org] = create_token(store, LOCAL_ADMIN, org, role, member=member)["token"]
    app = create_app(ServerConfig(log_dir=tmp_path / "log", signing_key=str(key_file)), store=store)
    try:
        with serve_app(app) as base:
            client = Api(base, tokens, key, tmp_path / "log")
            yield client
            client.http.close()
    finally:
        store.close()  # type: ignore[attr-defined]


def body(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "Agent deleted a hospital's scheduling database",
        "description": "An autonomous agent ran a destructive command.",
        "system": {"name": "acme-agent", "version": "0.9"},
        "hazards": ["cyber-offense"],
        "severity": "serious incident",
        "harms": ["critical-infrastructure"],
        "jurisdictions": ["NL"],
        "system_classes": ["high-risk"],
        "aware_at": "2026-11-20T08:00:00Z",
        "tlp": "CLEAR",
    }
    base.update(over)
    return base


def test_report_read_and_version_over_http(api: Api) -> None:
    made = api.call("POST", "/v1/incidents", "acme", json=body(tlp="RED", recipients=[{"org": "beta", "member": "bob"}]))
    assert made.status_code == 201, made.text
    iid = made.json()["incident_id"]
    assert made.headers["location"] == f"/v1/incidents/{iid}"
    got = api.call("GET", f"/v1/incidents/{iid}", "beta")
    assert got.status_code == 200 and got.json()["report"]["title"].startswith("Agent deleted")
    (deadline,) = got.json()["deadlines"]
    assert deadline["rule"] == "a73-widespread-ci" and deadline["due"] == "2026-11-22T08:00:00Z"
    for outsider in ("gamma", "delta", None):
        r = api.call("GET", f"/v1/incidents/{iid}", outsider)
        assert r.status_code == 404 and "Agent" not in r.text
        assert api.call("GET", f"/v1/incidents/{iid}/versions", outsider).status_code == 404
        listed = api.call("GET", "/v1/incidents", outsider, params={"q": "hospital"})
        assert listed.status_code == 200 and listed.json()["incidents"] == []
    v2 = api.call("POST", f"/v1/incidents/{iid}/versions", "acme", json=body(tlp="GREEN", status="mitigated"))
    assert v2.status_code == 201 and v2.json()["version"] == 2
    assert [v["version"] for v in api.call("GET", f"/v1/incidents/{iid}/versions", "gamma").json()["versions"]] == [2]
    assert [v["version"] for v in api.call("GET", f"/v1/incidents/{iid}/versions", "beta").json()["versions"]] == [1, 2]
    assert api.call("GET", f"/v1/incidents/{iid}", None).status_code == 404  # GREEN: community only


def test_a_served_version_checks_out_against_the_servers_log(api: Api) -> None:
    made = api.call("POST", "/v1/incidents", "acme", json=body()).json()
    served = api.call("GET", f"/v1/incidents/{made['incident_id']}/versions", None).json()["versions"][0]
    version = IncidentVersion.model_validate(served)
    verify_version(version, [api.key.public])
    assert version.log_index is not None
    with FileLog.open(api.log_dir) as log:
        entry = log.verified_entry(version.log_index)
    assert Envelope.from_json(entry).to_dict() == version.envelope  # the log holds exactly the served envelope
    forged = version.model_copy(update={"report": version.report.model_copy(update={"severity": "incident"})})
    with pytest.raises(VerificationError):
        verify_version(forged, [api.key.public])


def test_tlp_filter_with_a_plus_in_the_query_string(api: Api) -> None:
    api.call("POST", "/v1/incidents", "acme", json=body(tlp="AMBER+STRICT", recipients=[{"org": "beta"}]))
    api.call("POST", "/v1/incidents", "acme", json=body(tlp="GREEN"))
    r = api.http.get("/v1/incidents?tlp=AMBER+STRICT", headers={"Authorization": f"Bearer {api.tokens['beta']}"})
    assert r.status_code == 200 and [i["report"]["tlp"] for i in r.json()["incidents"]] == ["AMBER+STRICT"]
    assert api.call("GET", "/v1/incidents", "gamma", params={"tlp": "AMBER+STRICT"}).json()["incidents"] == []


@pytest.mark.parametrize(
    ("who", "payload", "status", "needle"),
    [
        (None, body(), 401, "authentication required"),
        ("delta", body(), 403, "may not"),
        ("acme", body(unknown_field=1), 422, "unknown_field"),
        ("acme", body(hazards=["not-real"]), 422, "hazards"),
        ("acme", body(tlp="RED", recipients=[{"org": "beta"}]), 422, "named individuals"),
        ("acme", body(tlp="AMBER", recipients=[{"org": "no-such-org"}]), 400, "unknown organisation"),
        ("acme", {"title": 5}, 422, ""),
    ],
)
def test_bad_writes_are_refused_and_nothing_is_stored(api: Api, who: str | None, payload: Any, status: int, needle: str) -> None:
    r = api.call("POST", "/v1/incidents", who, json=payload)
    assert r.status_code == status, r.text
    assert needle in r.text and "Traceback" not in r.text
    assert api.call("GET", "/v1/incidents", "acme").json()["incidents"] == []


def test_bad_tokens_and_bad_queries(api: Api) -> None:
    assert api.http.get("/v1/incidents", headers={"Authorization": "Bearer acc_" + "x" * 43}).status_code == 401
    for params in (
        {"limit": 0},
        {"limit": 10_000},
        {"tlp": "WHITE"},
        {"cursor": "zzz"},
        {"q": "x" * 300},
        {"updated_after": "yesterday"},
        {"updated_after": "9999-12-31T23:59:59-23:00"},
    ):
        r = api.call("GET", "/v1/incidents", "acme", params=params)
        assert r.status_code in (400, 422), (params, r.text)
    assert api.call("GET", "/v1/incidents/not-a-uuid", "acme").status_code == 404
    made = api.call("POST", "/v1/incidents", "acme", json=body(tlp="GREEN")).json()
    r = api.call("POST", f"/v1/incidents/{made['incident_id']}/versions", "beta", json=body(tlp="GREEN"))
    assert r.status_code == 403 and "reporting organisation" in r.text


def test_paging_over_http(api: Api) -> None:
    for n in range(5):
        api.call("POST", "/v1/incidents", "acme", json=body(title=f"n{n}"))
    titles: list[str] = []
    cursor = None
    while True:
        page = api.call("GET", "/v1/incidents", None, params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        titles += [i["report"]["title"] for i in page["incidents"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert titles == ["n0", "n1", "n2", "n3", "n4"]
