"""What one app instance holds: the store, the log directory and key, the config."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accord.server._app import ServerConfig


@dataclass
class ServerState:
    config: ServerConfig
    store: Any  # accord.store.Store
    log_dir: Path
    own_store: bool
    sync_loop: Any = None  # accord.pipeline.SyncLoop when serving with --sync-interval (federation)

    @classmethod
    def open(cls, config: ServerConfig, *, store: Any = None) -> ServerState:
        from accord.pipeline import open_service_store, service_log_dir

        own = store is None
        if store is None:
            store = open_service_store(config.db)
        return cls(config=config, store=store, log_dir=service_log_dir(config.log_dir), own_store=own)

    def close(self) -> None:
        if self.own_store:
            self.store.close()
