"""The FastAPI application: one store, one transparency log, the routers, the error shape.

``create_app(config)`` builds the app; ``accord serve`` runs it with uvicorn. Routers live in
one module each (``_results``, ``_log``, ``_incidents``, ``_taxii``, ``_dashboard``,
``_admin``), each exposing ``router``; they reach the store and the log only through the
pipeline's service jobs, with the caller's ``Principal`` (``_deps.principal``).

Every error leaves as JSON ``{"error": what, "why": ..., "fix": ..., "field": ...}`` with a
4xx status; an unexpected exception is a 500 with a fixed message and an id to find it in the
server's log, never a traceback. Bodies over ``max_body_bytes`` are refused with 413 before
they are read in full.
"""

from __future__ import annotations

import importlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord.errors import AccordError, InputError, StoreError, UnknownNameError, VerificationError
from accord.pipeline import AccessDenied, AuthError, NotFound

log = logging.getLogger("accord.server")

ROUTERS = ("_admin", "_results", "_log", "_incidents", "_taxii", "_federation", "_dashboard")
#: The largest request body accepted (an attestation with its evidence bundle fits easily).
MAX_BODY_BYTES = 16 * 1024 * 1024


@dataclass
class ServerConfig:
    """What one service instance serves: its store, its log and its limits."""

    db: str | None = None  # a database URL; None: the embedded default (ACCORD_DB, else the user's SQLite file)
    log_dir: Path | None = None  # the server's transparency log; None: <data dir>/server-log
    signing_key: str | None = None  # the key that signs the log's checkpoints; None: the user's default key
    data_dir: str | None = None  # public datasets (the demo reads them)
    max_body_bytes: int = MAX_BODY_BYTES
    name: str = "accord"
    sync_interval_s: float | None = None  # federation: pull from every peer this often (None: only `accord peer sync`)
    extra: dict[str, Any] = field(default_factory=dict)


def status_of(exc: AccordError) -> int:
    """The HTTP status an accord error maps to."""
    if isinstance(exc, AuthError):
        return 401
    if isinstance(exc, AccessDenied):
        return 403
    if isinstance(exc, (NotFound, UnknownNameError)):
        return 404
    if isinstance(exc, VerificationError):
        return 422
    if isinstance(exc, StoreError):
        return 503
    return 400


def error_body(exc: AccordError) -> dict[str, Any]:
    body: dict[str, Any] = {"error": exc.what}
    if exc.why:
        body["why"] = exc.why
    if exc.fix:
        body["fix"] = exc.fix
    if isinstance(exc, InputError) and exc.field:
        body["field"] = exc.field
    return body


def create_app(config: ServerConfig | None = None, *, store: Any = None) -> Any:
    """The service as a FastAPI app. ``store``: an open ``Store`` to serve (tests), else ``config.db``."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    from accord import __version__
    from accord.server._state import ServerState

    config = config or ServerConfig()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop = None
        if config.sync_interval_s:
            from accord.pipeline import SyncLoop

            st = app.state.accord
            loop = SyncLoop(st.store, st.log_dir, config.sync_interval_s, log_key=config.signing_key)
            loop.start()
            st.sync_loop = loop
        yield
        if loop is not None:
            loop.stop()
        app.state.accord.close()  # the store this app opened (a store handed in stays open)

    app = FastAPI(
        lifespan=lifespan,
        title="accord",
        version=__version__,
        description="Shared AI-safety results, attestations, transparency log and incidents (docs/server.md).",
        docs_url=None,  # FastAPI's docs pages load scripts from a CDN; the schema is at /openapi.json
        redoc_url=None,
    )
    app.state.accord = ServerState.open(config, store=store)

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Any:
        length = request.headers.get("content-length")
        if length is not None:
            try:
                too_big = int(length) > config.max_body_bytes
            except ValueError:
                return JSONResponse({"error": "bad Content-Length header"}, status_code=400)
            if too_big:
                return JSONResponse({"error": f"request body over {config.max_body_bytes:,} bytes"}, status_code=413)
        elif request.method in ("POST", "PUT", "PATCH") and "chunked" in request.headers.get("transfer-encoding", ""):
            return JSONResponse({"error": "a request body needs a Content-Length (chunked bodies are refused)"}, status_code=411)
        return await call_next(request)

    @app.exception_handler(AccordError)
    async def accord_error(request: Request, exc: AccordError) -> JSONResponse:
        return JSONResponse(
            error_body(exc), status_code=status_of(exc), headers={"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthError) else None
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        first = errs[0] if errs else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return JSONResponse(
            {"error": f"{first.get('msg', 'invalid request')}", "field": where or None, "errors": len(errs)}, status_code=422
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        ref = secrets.token_hex(6)
        log.exception("unhandled error %s on %s %s", ref, request.method, request.url.path)
        return JSONResponse({"error": "internal error", "ref": ref}, status_code=500)

    @app.get("/v1/health", tags=["service"])
    def health() -> dict[str, Any]:
        """Liveness, version and the log's size."""
        return {"ok": True, "version": __version__, "name": config.name}

    for name in ROUTERS:
        try:
            module = importlib.import_module(f"accord.server.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"accord.server.{name}":
                continue  # not built yet
            raise
        app.include_router(module.router)

    return app
