"""The service's store and log locations (issue 20): what ``accord serve`` opens by default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["open_service_store", "service_log_dir"]


def open_service_store(db: str | None) -> Any:
    """The store a server serves: ``db`` (a URL), else ``ACCORD_DB``, else the embedded SQLite file; created if missing."""
    from accord.pipeline._stores import open_store

    return open_store(db, create=True)


def service_log_dir(log_dir: str | Path | None) -> Path:
    """The server's transparency log directory: ``log_dir``, else ``<user data dir>/server-log``."""
    if log_dir is not None:
        return Path(log_dir)
    from accord.paths import user_data_dir

    return user_data_dir() / "server-log"
