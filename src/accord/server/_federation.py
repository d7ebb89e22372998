"""Federation over HTTP (issue 21): who this server is, the feed its peers pull, the peers'
health and the cosignatures this server made of their logs.

| endpoint | returns |
|---|---|
| ``GET /v1/federation/info`` | origin, checkpoint verifier key, witness key (for ``accord peer add``) |
| ``GET /v1/federation/feed?after=N&limit=M`` | a signed page of incidents for the pulling peer (the request is signed by the peer's key: ``Accord-Peer*`` headers) |
| ``POST /v1/federation/poke`` | a peer (signed like a pull) says it has news: this server pulls from it now (202; with ``--sync-interval`` only) |
| ``GET /v1/federation/peers`` | each peer's origin, state (``forked`` with its evidence), witnessed size, last sync (its sharing policy is not shown) |
| ``GET /v1/federation/cosignatures[?origin=O]`` | the peers' checkpoints this server cosigned |

Thin routes: the pipeline's federation jobs decide everything (``accord.pipeline._federation``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from accord.pipeline import check_poke, federation_info, feed_page, list_cosignatures, list_peers
from accord.server._deps import app_state

router = APIRouter(prefix="/v1/federation", tags=["federation"])

#: What the public peer list shows of each peer (not its policy: which organisations it speaks for).
PUBLIC_PEER_FIELDS = ("origin", "name", "state", "witnessed_size", "witnessed_root", "last_sync_at", "fork_detected_at", "fork_evidence")


@router.get("/info")
def info(request: Request) -> dict[str, Any]:
    """This server's origin and public keys."""
    st = app_state(request)
    return federation_info(st.log_dir, log_key=st.config.signing_key, name=st.config.name).model_dump()


@router.get("/feed", response_class=Response)
async def feed(
    request: Request,
    after: int = Query(0, ge=0, le=2**62),
    limit: int = Query(500, ge=1, le=2000),
) -> Response:
    """A page of incidents the signed-in peer may receive, signed by this server."""
    st = app_state(request)
    path_qs = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    body, signature = await run_in_threadpool(
        feed_page,
        st.store,
        st.log_dir,
        method=request.method,
        path_qs=path_qs,
        headers=dict(request.headers),
        after=after,
        limit=limit,
        log_key=st.config.signing_key,
    )
    return Response(body, media_type="application/json", headers={"Accord-Signature": signature})


@router.post("/poke", status_code=202)
def poke(request: Request) -> dict[str, Any]:
    """A peer has news: sync with it now rather than at the next interval."""
    st = app_state(request)
    path_qs = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    origin = check_poke(st.store, method=request.method, path_qs=path_qs, headers=dict(request.headers))
    if st.sync_loop is not None:
        st.sync_loop.poke(origin)
    return {"accepted": st.sync_loop is not None}


@router.get("/peers")
def peers(request: Request) -> dict[str, Any]:
    """The peers and their health; a forked peer carries the two checkpoints that prove it."""
    rows = list_peers(app_state(request).store)
    return {"peers": [{k: r.get(k) for k in PUBLIC_PEER_FIELDS} for r in rows]}


@router.get("/cosignatures")
def cosignatures(
    request: Request, origin: str | None = Query(None, max_length=300), limit: int = Query(100, ge=1, le=1000)
) -> dict[str, Any]:
    """The peers' checkpoints this server cosigned, newest first."""
    return {"cosignatures": list_cosignatures(app_state(request).store, origin, limit=limit)}
