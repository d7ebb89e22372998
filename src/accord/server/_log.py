"""The server's transparency log over HTTP, so anyone can check the server without trusting it.

| endpoint | returns |
|---|---|
| ``GET /v1/log`` | origin, size, root, the log's verifier key, the enrolled witnesses |
| ``GET /v1/log/checkpoint[?size=N]`` | the signed C2SP checkpoint (latest, or of size N) with witness cosignatures (text/plain) |
| ``GET /v1/log/proof/inclusion?index=I[&size=N][&format=json\\|tlog]`` | an inclusion proof under the checkpoint of size N (default the latest) |
| ``GET /v1/log/proof/consistency?old=M&new=N`` | a consistency proof (accord JSON) |
| ``GET /v1/log/entries/{index}`` | the entry's bytes exactly as appended |
| ``GET /v1/log/witnesses`` | the enrolled witness keys (for ``accord verify --witness``) |
| ``POST /v1/log/cosign`` | a witness posts a checkpoint it cosigned (text/plain); accepted if the body is a checkpoint this log signed and the line verifies under an enrolled key |

Everything returned is checked by the reader against the log's public key (``accord verify
--log-checkpoint --proof``, ``accord log consistency``), never taken on trust.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from accord.pipeline import (
    Principal,
    log_checkpoint,
    log_consistency,
    log_entry,
    log_inclusion,
    log_info,
    log_witnesses,
    receive_cosignature,
)
from accord.server._deps import app_state, principal

router = APIRouter(tags=["log"])

#: A cosigned checkpoint is a short note (the attest module refuses notes over 64 KiB).
MAX_NOTE_BYTES = 64 * 1024
MAX_SIZE = 2**53


@router.get("/v1/log")
def info(request: Request) -> dict[str, Any]:
    """The log's origin, size, root, verifier key and witnesses."""
    st = app_state(request)
    return log_info(st.store, st.log_dir, log_key=st.config.signing_key)


@router.get("/v1/log/checkpoint", response_class=PlainTextResponse)
def checkpoint(request: Request, size: int | None = Query(None, ge=1, le=MAX_SIZE)) -> PlainTextResponse:
    """The signed checkpoint (latest, or of ``size``) with its witnesses' cosignatures."""
    st = app_state(request)
    return PlainTextResponse(log_checkpoint(st.store, st.log_dir, size))


@router.get("/v1/log/proof/inclusion", response_class=Response)
def inclusion(
    request: Request,
    index: int = Query(..., ge=0, le=MAX_SIZE),
    size: int | None = Query(None, ge=1, le=MAX_SIZE),
    format: str = Query("json", pattern="^(json|tlog)$"),
) -> Response:
    """Inclusion proof of entry ``index`` under the checkpoint of ``size`` (default: the latest)."""
    st = app_state(request)
    data = log_inclusion(st.store, st.log_dir, index, size, fmt=format)
    return Response(data, media_type="application/json" if format == "json" else "text/plain; charset=utf-8")


@router.get("/v1/log/proof/consistency", response_class=Response)
def consistency(request: Request, old: int = Query(..., ge=1, le=MAX_SIZE), new: int = Query(..., ge=1, le=MAX_SIZE)) -> Response:
    """Proof that the tree of ``new`` entries extends the tree of ``old`` unchanged."""
    return Response(log_consistency(app_state(request).log_dir, old, new), media_type="application/json")


@router.get("/v1/log/entries/{index}", response_class=Response)
def entry(request: Request, index: int = Path(..., ge=0, le=MAX_SIZE)) -> Response:
    """Entry ``index`` exactly as appended (verified against the committed root first)."""
    return Response(log_entry(app_state(request).log_dir, index), media_type="application/octet-stream")


@router.get("/v1/log/witnesses")
def witnesses(request: Request) -> dict[str, Any]:
    """The witness keys the operator enrolled."""
    return {"witnesses": log_witnesses(app_state(request).store)}


@router.post(
    "/v1/log/cosign",
    openapi_extra={"requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def cosign(request: Request, who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """A witness posts a checkpoint it cosigned; its line is kept and served with the checkpoint."""
    from accord.errors import InputError

    body = await request.body()
    if len(body) > MAX_NOTE_BYTES:
        raise InputError(f"a cosigned checkpoint is at most {MAX_NOTE_BYTES} bytes", field="body")
    st = app_state(request)
    out: dict[str, Any] = await run_in_threadpool(receive_cosignature, st.store, st.log_dir, body, who)
    return out
