"""TAXII 2.1 over HTTP: incidents as STIX 2.1 for threat-intelligence tools (issue 20).

Thin routes over the pipeline's exchange jobs (``taxii_objects``, ``taxii_add`` ...), which read
incidents only through the TLP-filtering incident read paths with the caller's ``Principal``.
Behaviour follows the TAXII 2.1 spec and the medallion reference server
(``datasets/incidents/taxii21_medallion``):

- every response is ``application/taxii+json;version=2.1``; a request whose ``Accept`` does not
  allow it gets 406, a POST whose ``Content-Type`` is not it gets 415;
- errors are TAXII error messages ``{title, description, http_status}`` (plus accord's
  ``error``/``field``); an unknown collection or object is 404; writing without the
  ``incidents:write`` scope is 403; a bad ``limit``/``added_after``/``next`` is 400;
- POST objects answers 202 with a status resource; objects/manifest set
  ``X-TAXII-Date-Added-First``/``-Last``.

Unlike medallion, a request without credentials is not refused: it is the public principal
and sees TLP:CLEAR incidents only (the same as the JSON API). A bad token is 401.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from accord.errors import AccordError, InputError
from accord.pipeline import (
    TAXII_MEDIA_TYPE,
    taxii_add,
    taxii_api_root,
    taxii_collection,
    taxii_collections,
    taxii_discovery,
    taxii_manifest,
    taxii_object,
    taxii_objects,
    taxii_status,
    taxii_versions,
)
from accord.server._deps import app_state, principal_of

__all__ = ["router"]

router = APIRouter(prefix="/taxii2", tags=["taxii"])

#: The largest POST body the API root accepts (its ``max_content_length``).
MAX_CONTENT_LENGTH = 8 * 1024 * 1024
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    406: "Not acceptable",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable",
    503: "Unavailable",
}


def _taxii(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status_code=status, media_type=TAXII_MEDIA_TYPE, headers=headers)


def _error(status: int, description: str, *, field: str | None = None, extra_headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {
        "title": _TITLES.get(status, "Error"),
        "description": description,
        "http_status": str(status),
        "error": description,
    }
    if field:
        body["field"] = field
    return _taxii(body, status, extra_headers)


def _accepts(request: Request) -> bool:
    """Whether ``Accept`` allows TAXII 2.1 JSON (``application/taxii+json`` with version 2.1 or none)."""
    for part in request.headers.get("accept", "").split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if media.lower() != "application/taxii+json":
            continue
        versions = [p.split("=", 1)[1].strip() for p in params if p.lower().startswith("version=")]
        if not versions or "2.1" in versions:
            return True
    return False


def _content_type_ok(request: Request) -> bool:
    media, *params = (p.strip() for p in request.headers.get("content-type", "").split(";"))
    versions = [p.split("=", 1)[1].strip() for p in params if p.lower().startswith("version=")]
    return media.lower() == "application/taxii+json" and versions == ["2.1"]


async def _serve(request: Request, job: Callable[[Any, Any], Any], *, status: int = 200) -> Response:
    """Check Accept, authenticate, run ``job(state, who)`` off the event loop, shape the answer."""
    if not _accepts(request):
        return _error(406, "the Accept header must allow application/taxii+json;version=2.1")
    try:
        who = await run_in_threadpool(principal_of, request)
        result = await run_in_threadpool(job, app_state(request), who)
    except AccordError as exc:
        from accord.server._app import status_of

        code = status_of(exc)
        return _error(
            code,
            exc.diagnostics().replace("\n", "; "),
            field=exc.field if isinstance(exc, InputError) else None,
            extra_headers={"WWW-Authenticate": "Bearer"} if code == 401 else None,
        )
    if isinstance(result, Response):
        return result
    return _taxii(result, status)


def _limit(request: Request) -> int | None:
    value = request.query_params.get("limit")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise InputError("limit must be a positive integer", field="limit", got=value) from None


def _filters(request: Request) -> dict[str, Any]:
    q = request.query_params
    unknown = [
        k for k in q if k not in ("added_after", "limit", "next", "match[id]", "match[type]", "match[version]", "match[spec_version]")
    ]
    if unknown:
        raise InputError(f"unknown query parameter {unknown[0][:60]!r}", field=unknown[0][:60])
    return {
        "added_after": q.get("added_after"),
        "match_id": q.get("match[id]"),
        "match_type": q.get("match[type]"),
        "match_version": q.get("match[version]"),
        "match_spec_version": q.get("match[spec_version]"),
        "limit": _limit(request),
        "next_cursor": q.get("next"),
    }


@router.get("/", summary="TAXII 2.1 discovery")
async def discovery(request: Request) -> Response:
    return await _serve(request, lambda st, who: taxii_discovery(st.config.name))


@router.get("/api/", summary="TAXII 2.1 API root")
async def api_root(request: Request) -> Response:
    return await _serve(request, lambda st, who: taxii_api_root(st.config.name))


@router.get("/api/status/{status_id}/", summary="Status of an add request (the posting organisation only)")
async def status(request: Request, status_id: str) -> Response:
    return await _serve(request, lambda st, who: taxii_status(who, status_id))


@router.get("/api/collections/", summary="The collections")
async def collections(request: Request) -> Response:
    return await _serve(request, lambda st, who: taxii_collections(st.store, who))


@router.get("/api/collections/{collection_id}/", summary="One collection")
async def collection(request: Request, collection_id: str) -> Response:
    return await _serve(request, lambda st, who: taxii_collection(st.store, who, collection_id))


def _documented(
    added_after: Annotated[str | None, Query(description="only objects added after this timestamp (e.g. 2026-01-15T09:30:00.000Z)")] = None,
    limit: Annotated[str | None, Query(description="objects per page (1..500, default 100)")] = None,
    next: Annotated[str | None, Query(description="the 'next' value of the previous page")] = None,
    match_id: Annotated[str | None, Query(alias="match[id]", description="comma-separated STIX ids")] = None,
    match_type: Annotated[str | None, Query(alias="match[type]", description="comma-separated STIX types")] = None,
    match_version: Annotated[str | None, Query(alias="match[version]", description="last (default), first, all or a timestamp")] = None,
    match_spec_version: Annotated[str | None, Query(alias="match[spec_version]", description="2.1")] = None,
) -> None:
    """The TAXII filters, declared for the OpenAPI schema only: ``_filters`` reads and checks them
    from the query string itself, so a bad value is a TAXII 400 rather than a 422."""


Filters = Annotated[None, Depends(_documented)]


@router.get("/api/collections/{collection_id}/objects/", summary="Objects the caller may read (TLP 2.0), paginated")
async def get_objects(request: Request, collection_id: str, _: Filters) -> Response:
    def job(st: Any, who: Any) -> Response:
        page = taxii_objects(st.store, who, collection_id, **_filters(request))
        return _taxii(page.envelope(), 200, page.headers())

    return await _serve(request, job)


@router.post("/api/collections/{collection_id}/objects/", status_code=202, summary="Add STIX objects (incidents:write scope)")
async def add_objects(request: Request, collection_id: str) -> Response:
    if not _accepts(request):
        return _error(406, "the Accept header must allow application/taxii+json;version=2.1")
    if not _content_type_ok(request):
        return _error(415, "the Content-Type must be application/taxii+json;version=2.1")
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_CONTENT_LENGTH:
        return _error(413, f"the body is over the API root's max_content_length ({MAX_CONTENT_LENGTH:,} bytes)")
    raw = await request.body()
    if len(raw) > MAX_CONTENT_LENGTH:
        return _error(413, f"the body is over the API root's max_content_length ({MAX_CONTENT_LENGTH:,} bytes)")

    def job(st: Any, who: Any) -> Any:
        try:
            envelope = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise InputError(f"the body is not JSON: {getattr(exc, 'msg', type(exc).__name__)}", field="body") from None
        return taxii_add(st.store, who, collection_id, envelope, log_dir=st.log_dir, log_key=st.config.signing_key)

    return await _serve(request, job, status=202)


@router.get("/api/collections/{collection_id}/objects/{object_id}/", summary="One object's versions (match[version], default last)")
async def get_object(request: Request, collection_id: str, object_id: str) -> Response:
    def job(st: Any, who: Any) -> Response:
        filters = _filters(request)
        if filters.pop("match_id") is not None:
            raise InputError("match[id] does not apply to one object", field="match[id]")
        page = taxii_object(
            st.store, who, collection_id, object_id, **{k: v for k, v in filters.items() if k not in ("limit", "next_cursor")}
        )
        return _taxii(page.envelope(), 200, page.headers())

    return await _serve(request, job)


@router.get("/api/collections/{collection_id}/objects/{object_id}/versions/", summary="One object's versions")
async def get_versions(request: Request, collection_id: str, object_id: str) -> Response:
    def job(st: Any, who: Any) -> Response:
        page = taxii_versions(st.store, who, collection_id, object_id, added_after=request.query_params.get("added_after"))
        return _taxii(page.versions(), 200, page.headers())

    return await _serve(request, job)


@router.get("/api/collections/{collection_id}/manifest/", summary="Manifest of the objects the caller may read")
async def manifest(request: Request, collection_id: str, _: Filters) -> Response:
    def job(st: Any, who: Any) -> Response:
        page = taxii_manifest(st.store, who, collection_id, **_filters(request))
        return _taxii(page.manifest(), 200, page.headers())

    return await _serve(request, job)
