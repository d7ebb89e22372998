"""FastAPI dependencies: the app's state and the caller's ``Principal``.

A request without ``Authorization`` is ``PUBLIC``; a ``Bearer`` token is checked by the
pipeline (``authenticate``: known, not revoked, not expired) and an invalid one is a 401, never
a silent downgrade to public. Every authorisation decision is written to the audit log by the
job that makes it.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from accord.pipeline import PUBLIC, AuthError, Principal, authenticate
from accord.server._state import ServerState

MAX_TOKEN_CHARS = 200


def app_state(request: Request) -> ServerState:
    """The app's state (for code that holds the request; routes take it via ``Depends(state)``)."""
    st: ServerState = request.app.state.accord
    return st


def principal_of(request: Request) -> Principal:
    """The caller of ``request`` (for code that holds the request; routes use ``Depends(principal)``)."""
    header = request.headers.get("authorization")
    if header is None:
        return PUBLIC
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > MAX_TOKEN_CHARS:
        raise AuthError(
            "the Authorization header must be 'Bearer <token>'", fix="create a token with `accord token create --org ORG --role ROLE`"
        )
    return authenticate(app_state(request).store, token.strip(), action=f"{request.method} {request.url.path}")


# The dependencies are ``async def`` on purpose: FastAPI runs a plain ``def`` dependency in its
# thread pool, and these are on every request; ``state`` does no I/O and ``authenticate`` is one
# indexed read (under a millisecond), cheaper on the loop than a thread hop (issue 20's benchmark).


async def state(request: Request) -> ServerState:
    return app_state(request)


async def principal(request: Request) -> Principal:
    return principal_of(request)


def client(request: Request) -> dict[str, Any]:
    """What the audit log records of the caller's connection (address only)."""
    return {"ip": request.client.host if request.client else None}
