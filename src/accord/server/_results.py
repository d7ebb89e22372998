"""Results and grants over HTTP: thin routes over the pipeline's publish and grant jobs.

| endpoint | who | what |
|---|---|---|
| ``POST /v1/results`` | provider token | verify (org key, evidence, recomputed verdicts) and publish; 201 with log index, checkpoint, proof |
| ``GET /v1/results`` | anyone | published results, newest first (``org``, ``limit``, ``offset``) |
| ``GET /v1/results/{id}`` | anyone | verdicts, what is attested, log position (``evidence=true``: the redacted bundle) |
| ``GET /v1/results/{id}/envelope`` | anyone | the envelope bytes exactly as logged |
| ``GET /v1/results/{id}/evidence`` | anyone | the evidence bundle (salted digests only) |
| ``GET /v1/results/{id}/disclosures`` | publisher, grant holder | disclosures (text, salt, inclusion proof) of ``keys`` |
| ``POST /v1/results/{id}/grants`` | the publisher's provider | grant an organisation's auditors/regulators disclosures until an expiry |
| ``GET /v1/results/{id}/grants``, ``GET /v1/grants`` | the organisations involved | grants |
| ``POST /v1/grants/{id}/revoke`` | the publisher's provider | end a grant now |
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from accord.pipeline import (
    Principal,
    create_grant,
    list_grants,
    publish_result,
    published_result,
    published_result_json,
    published_results,
    result_disclosures,
    result_envelope,
    result_evidence,
    revoke_grant,
)
from accord.server._deps import app_state, principal

router = APIRouter(tags=["results"])
#: The caller, from its bearer token (none: public).
Who = Annotated[Principal, Depends(principal)]

ID = r"^[A-Za-z0-9._-]{1,64}$"

_PUBLISH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["envelope", "evidence"],
                    "additionalProperties": False,
                    "properties": {
                        "envelope": {
                            "description": "the DSSE envelope: the file's exact text, or its JSON object",
                            "oneOf": [{"type": "string"}, {"type": "object"}],
                        },
                        "evidence": {
                            "description": "the evidence bundle (`accord attest -o` writes it beside the envelope)",
                            "oneOf": [{"type": "string"}, {"type": "object"}],
                        },
                        "private": {
                            "type": "object",
                            "description": "kept private: disclosed only through grants",
                            "required": ["salts", "texts"],
                            "properties": {
                                "salts": {"oneOf": [{"type": "string"}, {"type": "object"}]},
                                "texts": {"type": "array", "items": {"type": ["string", "null"]}},
                            },
                        },
                    },
                }
            }
        },
    }
}


@router.post("/v1/results", status_code=201, openapi_extra=_PUBLISH_BODY)
async def publish(request: Request, who: Who) -> JSONResponse:
    """Publish an attestation with its evidence bundle; nothing is stored unless every check passes."""
    body = await request.body()
    st = app_state(request)
    out = await run_in_threadpool(publish_result, st.store, who, body, log_dir=st.log_dir, log_key=st.config.signing_key)
    return JSONResponse(out, status_code=201 if out["created"] else 200)


@router.get("/v1/results")
def list_results(
    request: Request,
    who: Who,
    org: str | None = Query(None, max_length=100),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> JSONResponse:
    """Published results, newest first."""
    return JSONResponse(published_results(app_state(request).store, who, org=org, limit=limit, offset=offset))


@router.get("/v1/results/{result_id}")
def get_result(
    request: Request,
    who: Who,
    result_id: str = Path(..., pattern=ID),
    evidence: bool = False,
) -> Response:
    """Verdicts and log position; ``evidence=true`` adds the redacted bundle."""
    if evidence:
        return JSONResponse(published_result(app_state(request).store, who, result_id, evidence=True))
    # the stored verdicts (tens of KB of JSON) are spliced in as stored, not parsed and re-encoded
    return Response(published_result_json(app_state(request).store, who, result_id), media_type="application/json")


@router.get("/v1/results/{result_id}/envelope", response_class=Response)
def get_envelope(request: Request, who: Who, result_id: str = Path(..., pattern=ID)) -> Response:
    """The DSSE envelope exactly as appended to the log."""
    return Response(result_envelope(app_state(request).store, who, result_id), media_type="application/json")


@router.get("/v1/results/{result_id}/evidence", response_class=Response)
def get_evidence(request: Request, who: Who, result_id: str = Path(..., pattern=ID)) -> Response:
    """The evidence bundle (salted digests, no response text)."""
    return Response(result_evidence(app_state(request).store, who, result_id), media_type="application/json")


@router.get("/v1/results/{result_id}/disclosures")
def get_disclosures(
    request: Request,
    who: Who,
    result_id: str = Path(..., pattern=ID),
    keys: str | None = Query(None, max_length=20_000, description="comma-separated suite/item/variant/epoch keys"),
    offset: int = Query(0, ge=0, le=10_000_000),
    limit: int = Query(32, ge=1, le=32),
) -> dict[str, Any]:
    """Disclosures of the responses asked for, to the publisher or a grant holder."""
    wanted = [k.strip() for k in keys.split(",") if k.strip()] if keys is not None else None
    return result_disclosures(app_state(request).store, who, result_id, keys=wanted, offset=offset, limit=limit)


class GrantIn(BaseModel):
    """A grant: who, which responses, until when."""

    model_config = ConfigDict(extra="forbid")

    grantee: str = Field(..., min_length=1, max_length=100, description="the organisation receiving the grant")
    expires_at: str | None = Field(None, max_length=40, description="ISO 8601 time with zone; or give days")
    days: float | None = Field(None, gt=0, le=366)
    keys: list[str] | None = Field(None, max_length=10_000, description="responses (suite/item/variant/epoch); omit for all")
    roles: list[str] | None = Field(None, max_length=2, description="auditor and/or regulator (default both)")
    note: str | None = Field(None, max_length=500)


@router.post("/v1/results/{result_id}/grants", status_code=201)
def post_grant(request: Request, who: Who, grant: GrantIn, result_id: str = Path(..., pattern=ID)) -> dict[str, Any]:
    """Grant an organisation disclosures of this result."""
    return create_grant(
        app_state(request).store,
        who,
        result_id,
        grant.grantee,
        expires_at=grant.expires_at,
        days=grant.days,
        keys=grant.keys,
        roles=grant.roles,
        note=grant.note,
    )


@router.get("/v1/results/{result_id}/grants")
def get_result_grants(
    request: Request,
    who: Who,
    result_id: str = Path(..., pattern=ID),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> dict[str, Any]:
    """This result's grants given by or to the caller's organisation."""
    return list_grants(app_state(request).store, who, result_id=result_id, limit=limit, offset=offset)


@router.get("/v1/grants")
def get_grants(
    request: Request,
    who: Who,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> dict[str, Any]:
    """Grants given by or to the caller's organisation."""
    return list_grants(app_state(request).store, who, limit=limit, offset=offset)


@router.post("/v1/grants/{grant_id}/revoke")
def post_revoke(request: Request, who: Who, grant_id: str = Path(..., pattern=ID)) -> dict[str, Any]:
    """End a grant now (the record stays)."""
    return revoke_grant(app_state(request).store, who, grant_id)
