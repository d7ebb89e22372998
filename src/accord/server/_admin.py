"""``/v1/whoami``, ``/v1/orgs`` and the admin endpoints (tokens, keys, audit log).

Thin: each route hands the caller's ``Principal`` to a pipeline job, which decides and audits.
Reading who is who (``whoami``, the organisation list and their public keys) is public; every
change and the audit log itself need an admin token. A created token is in the response once.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from accord.pipeline import (
    NotFound,
    Principal,
    add_org_key,
    create_org,
    create_token,
    get_org,
    list_audit,
    list_orgs,
    list_tokens,
    org_keys,
    require,
    revoke_token,
    verify_audit_chain,
    whoami,
)
from accord.server._deps import principal, state
from accord.server._state import ServerState

router = APIRouter(prefix="/v1", tags=["organisations"])

#: FastAPI dependencies as annotations (ruff's B008 refuses calls in defaults).
State = Annotated[ServerState, Depends(state)]
Who = Annotated[Principal, Depends(principal)]
OrgId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]


class OrgIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    id: str | None = Field(default=None, min_length=1, max_length=64)


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org: str = Field(min_length=1, max_length=64)
    role: str = Field(min_length=1, max_length=20)
    scopes: list[str] | None = Field(default=None, max_length=10)
    member: str | None = Field(default=None, max_length=200)
    expires: str | None = Field(default=None, max_length=40, description="a duration (90d, 12h, 2w) or an ISO date/date-time")


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    public_key_pem: str = Field(min_length=1, max_length=10_000)
    name: str | None = Field(default=None, max_length=200)


@router.get("/whoami")
def get_whoami(who: Who) -> dict[str, Any]:
    """The caller as the service sees it: organisation, role, token id, scopes."""
    return whoami(who)


@router.get("/orgs")
def get_orgs(
    st: State,
    after: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Public: the organisations of this service, by id (page with ``after`` = the last id)."""
    rows = list_orgs(st.store, after=after, limit=limit)
    return {"orgs": rows, "next": rows[-1]["id"] if len(rows) == limit else None}


@router.get("/orgs/{org}")
def get_one_org(org: OrgId, st: State) -> dict[str, Any]:
    """Public: one organisation and its trusted signing keys."""
    row = get_org(st.store, org)
    if row is None:
        raise NotFound(f"no organisation {org!r}")
    return row | {"keys": [{k: v for k, v in key.items() if k != "org"} for key in org_keys(st.store, org)]}


@router.post("/orgs", status_code=201, tags=["admin"])
def post_org(body: OrgIn, st: State, who: Who) -> dict[str, Any]:
    """Admin: register an organisation."""
    return create_org(st.store, who, body.name, org_id=body.id)


@router.post("/orgs/{org}/keys", status_code=201, tags=["admin"])
def post_org_key(org: OrgId, body: KeyIn, st: State, who: Who) -> dict[str, Any]:
    """Admin: trust an Ed25519 public key (PEM) to sign ``org``'s attestations."""
    return add_org_key(st.store, who, org, body.public_key_pem, name=body.name)


@router.post("/tokens", status_code=201, tags=["admin"])
def post_token(body: TokenIn, st: State, who: Who) -> dict[str, Any]:
    """Admin: create a token. The response holds the token, once; the service keeps its digest."""
    return create_token(st.store, who, body.org, body.role, scopes=body.scopes, member=body.member, expires=body.expires)


@router.get("/tokens", tags=["admin"])
def get_tokens(
    st: State,
    who: Who,
    org: Annotated[str | None, Query(max_length=64)] = None,
    after: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Token records, never tokens: an admin sees all, others their own organisation's."""
    rows = list_tokens(st.store, who, org=org, after=after, limit=limit)
    return {"tokens": rows, "next": rows[-1]["id"] if len(rows) == limit else None}


@router.delete("/tokens/{token_id}", tags=["admin"])
def delete_token(token_id: Annotated[str, Path(max_length=40)], st: State, who: Who) -> dict[str, Any]:
    """Revoke a token (an admin, or the token itself). Idempotent."""
    return revoke_token(st.store, who, token_id)


@router.get("/audit", tags=["admin"])
def get_audit(
    st: State,
    who: Who,
    org: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    allowed: bool | None = None,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Admin: audit records, newest first (page back with ``before`` = the last seq)."""
    rows = list_audit(st.store, who, org=org, action=action, allowed=allowed, before=before, limit=limit)
    return {"records": rows, "next": rows[-1]["seq"] if len(rows) == limit else None}


@router.get("/audit/verify", tags=["admin"])
def get_audit_verify(st: State, who: Who) -> dict[str, Any]:
    """Admin: recompute the audit log's hash chain."""
    require(who, roles=("admin",), store=st.store, action="audit.verify", target="audit")
    return verify_audit_chain(st.store)
