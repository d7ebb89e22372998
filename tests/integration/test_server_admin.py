"""``/v1/whoami``, ``/v1/orgs``, ``/v1/tokens``, ``/v1/audit`` over HTTP (issue 20), SQLite and
PostgreSQL: public reads are public, every change needs an admin token, bad tokens and bad
bodies are clear 4xx that store nothing, and the token is in a response exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from accord.pipeline import LOCAL_ADMIN, create_org, create_token, open_store  # noqa: E402
from accord.server import ServerConfig, create_app  # noqa: E402


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Any]]:
    store = open_store(db_url, create=True)
    create_org(store, LOCAL_ADMIN, "Operator", org_id="operator")
    admin = create_token(store, LOCAL_ADMIN, "operator", "admin")["token"]
    app = create_app(ServerConfig(log_dir=tmp_path / "log"), store=store)
    try:
        yield TestClient(app), {"Authorization": f"Bearer {admin}"}, store
    finally:
        store.close()


def test_an_admin_creates_an_org_and_a_token_that_then_works(env: tuple[TestClient, dict[str, str], Any]) -> None:
    client, admin, _ = env
    r = client.post("/v1/orgs", json={"name": "Acme Labs"}, headers=admin)
    assert r.status_code == 201 and r.json()["id"] == "acme-labs"
    r = client.post("/v1/tokens", json={"org": "acme-labs", "role": "provider", "member": "bo", "expires": "7d"}, headers=admin)
    assert r.status_code == 201
    made = r.json()
    me = client.get("/v1/whoami", headers={"Authorization": f"Bearer {made['token']}"}).json()
    assert me == {
        "org": "acme-labs",
        "role": "provider",
        "token_id": made["id"],
        "member": "bo",
        "scopes": made["scopes"],
        "anonymous": False,
    }
    listed = client.get("/v1/tokens", headers=admin).json()["tokens"]
    assert made["id"] in [t["id"] for t in listed] and made["token"] not in str(listed)
    # the provider sees only its organisation's tokens, and may revoke only itself
    own = client.get("/v1/tokens", headers={"Authorization": f"Bearer {made['token']}"}).json()["tokens"]
    assert [t["org"] for t in own] == ["acme-labs"]
    assert client.delete(f"/v1/tokens/{made['id']}", headers={"Authorization": f"Bearer {made['token']}"}).status_code == 200
    assert client.get("/v1/whoami", headers={"Authorization": f"Bearer {made['token']}"}).status_code == 401


def test_public_reads_and_pagination(env: tuple[TestClient, dict[str, str], Any]) -> None:
    client, _, store = env
    for name in ("b-org", "c-org", "d-org"):
        create_org(store, LOCAL_ADMIN, name)
    page = client.get("/v1/orgs", params={"limit": 2}).json()
    assert [o["id"] for o in page["orgs"]] == ["b-org", "c-org"] and page["next"] == "c-org"
    rest = client.get("/v1/orgs", params={"after": page["next"], "limit": 2}).json()
    assert [o["id"] for o in rest["orgs"]] == ["d-org", "operator"] and rest["next"] == "operator"
    assert client.get("/v1/orgs/b-org").json()["keys"] == []
    assert client.get("/v1/orgs/zz-none").status_code == 404
    assert client.get("/v1/orgs/BAD..id").status_code == 422
    assert client.get("/v1/orgs", params={"limit": 100000}).status_code == 422
    assert client.get("/v1/whoami").json()["anonymous"] is True


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/orgs", {"name": "Evil"}),
        ("POST", "/v1/tokens", {"org": "operator", "role": "admin"}),
        ("GET", "/v1/audit", None),
        ("GET", "/v1/audit/verify", None),
        ("GET", "/v1/tokens", None),
    ],
)
def test_admin_endpoints_refuse_others(env: tuple[TestClient, dict[str, str], Any], method: str, path: str, body: Any) -> None:
    client, admin, store = env
    create_org(store, LOCAL_ADMIN, "acme")
    provider = {"Authorization": f"Bearer {create_token(store, LOCAL_ADMIN, 'acme', 'provider')['token']}"}
    before = client.get("/v1/audit", headers=admin).json()["records"][0]["seq"]
    for headers, status in ((None, 401), (provider, 403)):
        if path == "/v1/tokens" and method == "GET" and headers is provider:
            continue  # a provider may list its own organisation's tokens
        r = client.request(method, path, json=body, headers=headers)
        assert r.status_code == status, r.text
        assert set(r.json()) <= {"error", "why", "fix", "field"}
    denials = [rec for rec in client.get("/v1/audit", headers=admin).json()["records"] if rec["seq"] > before and not rec["allowed"]]
    assert denials  # each refusal was audited
    assert [o["id"] for o in client.get("/v1/orgs").json()["orgs"]] == ["acme", "operator"]


@pytest.mark.parametrize(
    "header",
    ["Bearer acc_" + "x" * 43, "Bearer nope", "Basic dXNlcjpwYXNz", "Bearer " + "a" * 5000, "Bearer"],
)
def test_bad_credentials_are_401_never_public(env: tuple[TestClient, dict[str, str], Any], header: str) -> None:
    client, _, _ = env
    r = client.get("/v1/whoami", headers={"Authorization": header})
    assert r.status_code == 401 and r.headers.get("www-authenticate") == "Bearer"
    assert header.split(" ", 1)[-1] not in r.text or len(header.split(" ", 1)[-1]) < 8


def test_bad_bodies_are_422_and_store_nothing(env: tuple[TestClient, dict[str, str], Any]) -> None:
    client, admin, _ = env
    for body in ({"name": "x", "extra": 1}, {"name": ""}, {"name": "x" * 201}, {}, {"name": "ok", "id": "Not A Slug"}):
        r = client.post("/v1/orgs", json=body, headers=admin)
        assert r.status_code in (400, 422), (body, r.text)
    r = client.post("/v1/tokens", json={"org": "operator", "role": "provider", "scopes": ["admin"]}, headers=admin)
    assert r.status_code == 400 and r.json()["field"] == "scopes"
    r = client.post("/v1/tokens", json={"org": "ghost", "role": "provider"}, headers=admin)
    assert r.status_code == 404
    assert [o["id"] for o in client.get("/v1/orgs").json()["orgs"]] == ["operator"]
    assert len(client.get("/v1/tokens", headers=admin).json()["tokens"]) == 1


def test_keys_and_the_audit_chain_over_http(env: tuple[TestClient, dict[str, str], Any]) -> None:
    from accord.attest import SigningKey

    client, admin, _ = env
    pem = SigningKey.generate().public.pem()
    r = client.post("/v1/orgs/operator/keys", json={"public_key_pem": pem, "name": "ci"}, headers=admin)
    assert r.status_code == 201
    assert [k["public_key_pem"] for k in client.get("/v1/orgs/operator").json()["keys"]] == [pem]
    assert client.post("/v1/orgs/operator/keys", json={"public_key_pem": "/etc/passwd"}, headers=admin).status_code == 400
    check = client.get("/v1/audit/verify", headers=admin).json()
    assert check["ok"] and check["rows"] >= 3
    recs = client.get("/v1/audit", params={"action": "keys.", "limit": 1}, headers=admin).json()
    assert len(recs["records"]) == 1 and recs["next"] == recs["records"][0]["seq"]
