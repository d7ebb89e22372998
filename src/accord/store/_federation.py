"""The federation's tables (issue 21, migration ``m012_federation``): peers and the
cosignatures this server made of their logs.

- ``federation_peers``: one row per peer server, keyed by its log origin: its URL, pinned public
  key, policy (the organisations it speaks for, whether to pull from it and serve it, whether
  it may relay other servers' incidents), the pull cursor, the last checkpoint this server
  witnessed of its log (size and root), and its state (``active``, ``forked``, ``paused``)
  with the evidence of a fork.
- ``federation_cosignatures``: every checkpoint of a peer's log this server cosigned (the
  note with its line), published at ``GET /v1/federation/cosignatures``.

Queries only; the rules live in ``accord.federation`` and the jobs in ``accord.pipeline._federation``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    from accord.store._store import Store

__all__ = ["Federation", "create_tables"]

_md = sa.MetaData()

peers_t = sa.Table(
    "federation_peers",
    _md,
    sa.Column("origin", sa.String(300), primary_key=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("public_key", sa.String(200), nullable=False),  # base64 of the 32 raw Ed25519 bytes
    sa.Column("orgs", sa.Text, nullable=False),  # ",a,b,": the organisations it speaks for
    sa.Column("pull", sa.Boolean, nullable=False),
    sa.Column("push", sa.Boolean, nullable=False),
    sa.Column("relay", sa.Boolean, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),  # active | forked | paused
    sa.Column("cursor", sa.BigInteger, nullable=False),
    sa.Column("witnessed_size", sa.BigInteger),
    sa.Column("witnessed_root", sa.String(64)),
    sa.Column("fork_evidence", sa.Text),
    sa.Column("fork_detected_at", sa.String(40)),
    sa.Column("last_sync_at", sa.String(40)),
    sa.Column("last_error", sa.String(2000)),
    sa.Column("received", sa.BigInteger, nullable=False),
    sa.Column("added_at", sa.String(40), nullable=False),
    sa.Column("added_by", sa.String(400), nullable=False),
)

cosignatures_t = sa.Table(
    "federation_cosignatures",
    _md,
    sa.Column("origin", sa.String(300), primary_key=True),
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("root", sa.String(64), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
)


def create_tables(conn: sa.Connection) -> None:
    """Create this module's tables (called by its migration; idempotent)."""
    _md.create_all(conn, checkfirst=True)


class Federation:
    """Queries over the federation tables of one ``Store``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def transaction(self) -> Any:
        return self.store._write()

    def add_peer(self, row: dict[str, Any]) -> bool:
        """Insert a peer, or update its URL, key and policy if its origin is known (the pull
        cursor and witness state are kept: changing policy must not forget what was witnessed)."""
        keep = {
            "cursor",
            "witnessed_size",
            "witnessed_root",
            "fork_evidence",
            "fork_detected_at",
            "last_sync_at",
            "last_error",
            "received",
            "added_at",
            "added_by",
            "state",
        }
        with self.store._write() as conn:
            exists = conn.execute(sa.select(peers_t.c.origin).where(peers_t.c.origin == row["origin"])).first() is not None
            if exists:
                conn.execute(
                    peers_t.update().where(peers_t.c.origin == row["origin"]).values(**{k: v for k, v in row.items() if k not in keep})
                )
            else:
                conn.execute(peers_t.insert().values(**row))
        return not exists

    def peer(self, origin: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(peers_t).where(peers_t.c.origin == origin)).mappings().first()
        return dict(row) if row else None

    def peers(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(peers_t).order_by(peers_t.c.name, peers_t.c.origin)).mappings()]

    def remove_peer(self, origin: str) -> bool:
        with self.store._write() as conn:
            return bool(conn.execute(peers_t.delete().where(peers_t.c.origin == origin)).rowcount)

    def update_peer(self, origin: str, *, conn: sa.Connection | None = None, **fields: Any) -> None:
        stmt = peers_t.update().where(peers_t.c.origin == origin).values(**fields)
        if conn is not None:
            conn.execute(stmt)
            return
        with self.store._write() as c:
            c.execute(stmt)

    def advance(self, conn: sa.Connection, origin: str, *, expect_cursor: int, cursor: int, received: int, when: str) -> bool:
        """Move the pull cursor from ``expect_cursor`` to ``cursor`` in the apply transaction;
        False if another sync moved it first (the caller rolls back: nothing is applied twice)."""
        result = conn.execute(
            peers_t.update()
            .where(peers_t.c.origin == origin, peers_t.c.cursor == expect_cursor)
            .values(cursor=cursor, received=peers_t.c.received + received, last_sync_at=when, last_error=None)
        )
        return bool(result.rowcount)

    def put_cosignature(self, origin: str, size: int, root: str, note: str, when: str) -> None:
        with self.store._write() as conn:
            exists = conn.execute(
                sa.select(cosignatures_t.c.size).where(cosignatures_t.c.origin == origin, cosignatures_t.c.size == size)
            ).first()
            if exists is None:
                conn.execute(cosignatures_t.insert().values(origin=origin, size=size, root=root, note=note, created_at=when))

    def cosignatures(self, origin: str | None = None, *, limit: int = 100) -> list[dict[str, Any]]:
        stmt = sa.select(cosignatures_t)
        if origin is not None:
            stmt = stmt.where(cosignatures_t.c.origin == origin)
        stmt = stmt.order_by(cosignatures_t.c.created_at.desc(), cosignatures_t.c.size.desc()).limit(max(1, min(limit, 1000)))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]
