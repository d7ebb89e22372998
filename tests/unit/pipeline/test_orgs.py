"""Tokens, authentication, scopes and the audit trail of the service (issue 20), on SQLite and
PostgreSQL: a token works only as issued, never after revocation or expiry, is stored only as
a digest, and every decision (and failed authentication) lands in the hash-chained audit log
without the token's value."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from accord.errors import InputError
from accord.pipeline import (
    LOCAL_ADMIN,
    PUBLIC,
    AccessDenied,
    AuthError,
    NotFound,
    Principal,
    add_org_key,
    audit,
    authenticate,
    create_org,
    create_token,
    has_scope,
    list_audit,
    list_orgs,
    list_tokens,
    open_store,
    org_keys,
    parse_expiry,
    require,
    revoke_org_key,
    revoke_token,
    verify_audit_chain,
    whoami,
)


@pytest.fixture
def store(db_url: str) -> Iterator[object]:
    st = open_store(db_url, create=True)
    try:
        yield st
    finally:
        st.close()  # type: ignore[attr-defined]


def _audit_text(store: object) -> str:
    return repr(list_audit(store, LOCAL_ADMIN, limit=1000))


def test_a_token_authenticates_as_issued_and_is_stored_only_as_a_digest(store: object) -> None:
    create_org(store, LOCAL_ADMIN, "Acme Labs")
    made = create_token(store, LOCAL_ADMIN, "acme-labs", "auditor", member="ana", expires="30d")
    token = made["token"]
    assert token.startswith("acc_") and len(token) == 47
    who = authenticate(store, token, action="GET /v1/x")
    assert (who.org, who.role, who.token_id, who.member) == ("acme-labs", "auditor", made["id"], "ana")
    assert has_scope(who, "read") and not has_scope(who, "publish")
    assert whoami(who)["scopes"] == ["incidents:write", "read"]
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        dump = repr(conn.execute(sa.text("SELECT * FROM service_tokens")).all())
    assert token not in dump and token[4:] not in dump
    assert token not in _audit_text(store)
    assert all("token" not in t for t in list_tokens(store, LOCAL_ADMIN))


@pytest.mark.parametrize(
    "bad",
    ["", "acc_", "Bearer x", "acc_" + "A" * 42, "acc_" + "A" * 44, "acc_" + "!" * 43, "x" * 10_000, "acc_" + "A" * 43],
)
def test_bad_tokens_are_refused_and_audited(store: object, bad: str) -> None:
    with pytest.raises(AuthError):
        authenticate(store, bad, action="GET /v1/orgs")
    (rec,) = list_audit(store, LOCAL_ADMIN)
    assert rec["action"] == "auth" and rec["allowed"] is False and rec["target"] == "GET /v1/orgs"
    if len(bad) > 8:
        assert bad not in repr(rec)


def test_a_revoked_token_stops_working_and_revocation_is_idempotent(store: object) -> None:
    create_org(store, LOCAL_ADMIN, "acme")
    made = create_token(store, LOCAL_ADMIN, "acme", "provider")
    authenticate(store, made["token"])
    first = revoke_token(store, LOCAL_ADMIN, made["id"])["revoked_at"]
    assert first is not None
    assert revoke_token(store, LOCAL_ADMIN, made["id"])["revoked_at"] == first
    with pytest.raises(AuthError, match="invalid token") as err:
        authenticate(store, made["token"])
    assert "revoked" in (err.value.why or "")
    denied = list_audit(store, LOCAL_ADMIN, allowed=False)
    assert denied[0]["token_id"] == made["id"] and "revoked" in denied[0]["reason"]
    with pytest.raises(NotFound):
        revoke_token(store, LOCAL_ADMIN, "tok_000000000000")
    with pytest.raises(InputError):
        revoke_token(store, LOCAL_ADMIN, "'; DROP TABLE service_tokens; --")


def test_an_expired_token_is_refused(store: object) -> None:
    create_org(store, LOCAL_ADMIN, "acme")
    made = create_token(store, LOCAL_ADMIN, "acme", "provider", expires="1m")
    authenticate(store, made["token"])
    with store.engine.begin() as conn:  # type: ignore[attr-defined]  # let the clock pass it
        past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat(timespec="seconds")
        conn.execute(sa.text("UPDATE service_tokens SET expires = :e"), {"e": past})
    with pytest.raises(AuthError) as err:
        authenticate(store, made["token"])
    assert "expired" in (err.value.why or "")


def test_expiry_parsing() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_expiry("30d", now=now) == now + timedelta(days=30)
    assert parse_expiry("2w", now=now) == now + timedelta(weeks=2)
    assert parse_expiry("2027-01-01", now=now) == datetime(2027, 1, 1, tzinfo=UTC)
    assert parse_expiry("2026-06-01T12:00:00+02:00", now=now) == datetime(2026, 6, 1, 10, tzinfo=UTC)
    assert parse_expiry(None) is None
    for bad in ("yesterday", "2025-01-01", "0d", "99999999d"):
        with pytest.raises(InputError):
            parse_expiry(bad, now=now)


def test_scopes_are_limited_to_the_role(store: object) -> None:
    create_org(store, LOCAL_ADMIN, "acme")
    with pytest.raises(InputError, match="cannot hold"):
        create_token(store, LOCAL_ADMIN, "acme", "auditor", scopes=["publish"])
    with pytest.raises(InputError, match="unknown role"):
        create_token(store, LOCAL_ADMIN, "acme", "root")
    with pytest.raises(InputError, match="at least one"):
        create_token(store, LOCAL_ADMIN, "acme", "provider", scopes=[])
    narrow = create_token(store, LOCAL_ADMIN, "acme", "provider", scopes=["read"])
    who = authenticate(store, narrow["token"])
    assert has_scope(who, "read") and not has_scope(who, "publish")
    with pytest.raises(AccessDenied, match="may not results.publish") as err:
        require(who, scope="publish", store=store, action="results.publish", target="result:1")
    assert err.value.why == "the token lacks the 'publish' scope"
    assert list_audit(store, LOCAL_ADMIN, action="results.publish")[0]["allowed"] is False
    require(who, scope="read")  # allowed: no exception


def test_require_roles_and_public(store: object) -> None:
    with pytest.raises(AuthError) as err:  # anonymous: 401, not 403
        require(PUBLIC, scope="publish", action="results.publish")
    assert "Bearer" in (err.value.fix or "")
    require(PUBLIC, scope="read")
    with pytest.raises(AccessDenied):
        require(Principal(org="a", role="auditor", token_id="t"), roles=("provider",))
    require(LOCAL_ADMIN, roles=("provider",), scope="publish")  # admin passes everything


def test_admin_jobs_refuse_non_admins_and_audit_the_denial(store: object) -> None:
    create_org(store, LOCAL_ADMIN, "acme")
    who = authenticate(store, create_token(store, LOCAL_ADMIN, "acme", "provider")["token"])
    for job in (
        lambda: create_org(store, who, "evil"),
        lambda: create_token(store, who, "acme", "admin"),
        lambda: list_audit(store, who),
    ):
        with pytest.raises(AccessDenied):
            job()
    with pytest.raises(AuthError):
        list_tokens(store, PUBLIC)
    with pytest.raises(AccessDenied):
        list_tokens(store, who, org="other")
    assert [t["org"] for t in list_tokens(store, who)] == ["acme"]  # its own organisation's
    assert len(list_audit(store, LOCAL_ADMIN, allowed=False)) == 5
    assert [o["id"] for o in list_orgs(store)] == ["acme"]  # nothing created


def test_a_token_may_revoke_itself_but_not_another(store: object) -> None:
    create_org(store, LOCAL_ADMIN, "acme")
    a = create_token(store, LOCAL_ADMIN, "acme", "provider")
    b = create_token(store, LOCAL_ADMIN, "acme", "provider")
    who = authenticate(store, a["token"])
    with pytest.raises(AccessDenied):
        revoke_token(store, who, b["id"])
    revoke_token(store, who, a["id"])
    authenticate(store, b["token"])
    with pytest.raises(AuthError):
        authenticate(store, a["token"])


def test_organisations_validate_ids_and_refuse_duplicates(store: object) -> None:
    assert create_org(store, LOCAL_ADMIN, "Acme Labs, Inc.")["id"] == "acme-labs-inc"
    with pytest.raises(InputError, match="exists"):
        create_org(store, LOCAL_ADMIN, "acme labs inc")
    for bad in ("Acme", "-x", "a" * 65, "a/b"):
        with pytest.raises(InputError):
            create_org(store, LOCAL_ADMIN, "name", org_id=bad)
    with pytest.raises(InputError):
        create_org(store, LOCAL_ADMIN, "bad\nname")
    with pytest.raises(NotFound):
        create_token(store, LOCAL_ADMIN, "nope", "provider")


def test_org_keys(store: object) -> None:
    from accord.attest import SigningKey

    create_org(store, LOCAL_ADMIN, "acme")
    create_org(store, LOCAL_ADMIN, "beta")
    key = SigningKey.generate()
    pem = key.public.pem()
    row = add_org_key(store, LOCAL_ADMIN, "acme", pem, name="ci")
    assert row["id"] == key.public.keyid
    assert [k["id"] for k in org_keys(store, "acme")] == [key.public.keyid]
    with pytest.raises(InputError, match="already registered"):
        add_org_key(store, LOCAL_ADMIN, "beta", pem)
    with pytest.raises(InputError, match="PEM"):
        add_org_key(store, LOCAL_ADMIN, "acme", "/etc/passwd")  # text only: never read as a path
    revoke_org_key(store, LOCAL_ADMIN, row["id"])
    assert org_keys(store, "acme") == []
    assert len(org_keys(store, "acme", include_revoked=True)) == 1


def test_audit_calls_from_other_jobs_chain_and_verify(store: object) -> None:
    who = Principal(org="acme", role="auditor", token_id="tok_1", member="ana")
    s1 = audit(store, who, "incidents.read", "incident:INC-1", True, "recipient org")
    s2 = audit(store, PUBLIC, "incidents.read", "incident:INC-2", False, "TLP:RED")
    assert s2 == s1 + 1
    with store._write() as conn:  # type: ignore[attr-defined]  # joining the caller's transaction
        audit(store, who, "grants.create", "grant:1", True, "provider", conn=conn)
    rec = list_audit(store, LOCAL_ADMIN, limit=1)[0]
    assert rec["principal"] == "acme/ana (auditor, token tok_1)" and rec["action"] == "grants.create"
    report = verify_audit_chain(store)
    assert report["ok"] and report["rows"] == 3


def test_an_audit_record_in_a_rolled_back_transaction_leaves_no_trace(store: object) -> None:
    audit(store, PUBLIC, "a", "t", True)
    with pytest.raises(RuntimeError), store._write() as conn:  # type: ignore[attr-defined]
        audit(store, PUBLIC, "b", "t", True, conn=conn)
        raise RuntimeError("the job failed")
    audit(store, PUBLIC, "c", "t", True)
    assert [r["action"] for r in list_audit(store, LOCAL_ADMIN)] == ["c", "a"]
    assert verify_audit_chain(store)["ok"]
