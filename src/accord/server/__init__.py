"""The shared service (issue 20): FastAPI app over the store, its transparency log and incidents.

``create_app(ServerConfig(...))`` builds it; ``accord serve`` runs it (extra ``server``).
Thin: every route calls a pipeline service job with the caller's ``Principal``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accord.server._app import ServerConfig, create_app

__all__ = ["ServerConfig", "create_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from accord.server import _app

        return getattr(_app, name)
    raise AttributeError(f"module 'accord.server' has no attribute {name!r}")
