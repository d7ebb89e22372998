"""The service's published results, their private halves, disclosure grants and the log's checkpoints.

Tables (issue 20; created by migration ``m010_service_results``, SQLite and PostgreSQL):

- ``published_results``: one verified attestation each — the envelope bytes exactly as appended
  to the server's transparency log, its evidence bundle (salted digests only, public), the
  signed verdicts and where it sits in the log. Rows are never updated or deleted.
- ``published_private``: the salts file and the response texts a provider uploaded with a
  result. A separate table so no listing or public read ever touches it; only a disclosure
  (through a grant) reads one row of it.
- ``disclosure_grants``: who (an organisation, some roles) may receive which disclosures of a
  result (all responses, or named keys) until when; revocation sets ``revoked_at`` and never
  deletes the row, so the grant history stays auditable.
- ``log_checkpoints``: every checkpoint the server signed (origin, size, root, the note), so a
  proof for an older tree size has a signed checkpoint to be checked against.
- ``witness_keys`` / ``log_cosignatures``: the witnesses the operator enrolled and each one's
  latest cosignature line per checkpoint, served with the checkpoint (C2SP tlog-cosignature).

Every query is bounded (``LIMIT``); writes take the store's write transaction
(``BEGIN IMMEDIATE`` on SQLite), so check-then-insert cannot race.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

_meta = sa.MetaData()

#: The most rows any list query returns.
MAX_PAGE = 200

results = sa.Table(
    "published_results",
    _meta,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("org", sa.String(100), nullable=False),
    sa.Column("run_id", sa.String(200), nullable=False),
    sa.Column("target", sa.String(400)),
    sa.Column("keyid", sa.String(80), nullable=False),
    sa.Column("envelope", sa.LargeBinary, nullable=False),
    sa.Column("envelope_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("evidence", sa.LargeBinary, nullable=False),
    sa.Column("evidence_root", sa.String(80), nullable=False),
    sa.Column("leaves", sa.Integer, nullable=False),
    sa.Column("verdicts_json", sa.Text, nullable=False),
    sa.Column("summary_json", sa.Text, nullable=False),
    sa.Column("log_origin", sa.String(400), nullable=False),
    sa.Column("log_index", sa.BigInteger, nullable=False),
    sa.Column("published_at", sa.String(40), nullable=False),
    sa.Column("published_by", sa.String(300), nullable=False),
    sa.Column("has_private", sa.Boolean, nullable=False),
    sa.Index("ix_published_results_org", "org", "published_at"),
    sa.Index("ix_published_results_time", "published_at"),
)

private = sa.Table(
    "published_private",
    _meta,
    sa.Column("result_id", sa.String(64), sa.ForeignKey("published_results.id"), primary_key=True),
    sa.Column("salts", sa.LargeBinary, nullable=False),
    sa.Column("texts", sa.LargeBinary, nullable=False),
)

grants = sa.Table(
    "disclosure_grants",
    _meta,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("result_id", sa.String(64), sa.ForeignKey("published_results.id"), nullable=False),
    sa.Column("grantor_org", sa.String(100), nullable=False),
    sa.Column("grantee_org", sa.String(100), nullable=False),
    sa.Column("roles", sa.String(100), nullable=False),
    sa.Column("keys_json", sa.Text),  # NULL: every response of the result
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("expires_at", sa.String(40), nullable=False),
    sa.Column("revoked_at", sa.String(40)),
    sa.Column("created_by", sa.String(300), nullable=False),
    sa.Column("note", sa.String(500)),
    sa.Index("ix_disclosure_grants_result", "result_id", "grantee_org"),
    sa.Index("ix_disclosure_grants_grantee", "grantee_org", "created_at"),
    sa.Index("ix_disclosure_grants_grantor", "grantor_org", "created_at"),
)

checkpoints = sa.Table(
    "log_checkpoints",
    _meta,
    sa.Column("origin", sa.String(400), primary_key=True),
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("root", sa.String(64), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
)

witness_keys = sa.Table(
    "witness_keys",
    _meta,
    sa.Column("vkey", sa.String(400), primary_key=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("added_at", sa.String(40), nullable=False),
    sa.Column("added_by", sa.String(300), nullable=False),
    sa.Column("revoked_at", sa.String(40)),
)

cosignatures = sa.Table(
    "log_cosignatures",
    _meta,
    sa.Column("origin", sa.String(400), primary_key=True),
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("witness_vkey", sa.String(400), primary_key=True),
    sa.Column("line", sa.Text, nullable=False),
    sa.Column("timestamp", sa.BigInteger, nullable=False),
    sa.Column("received_at", sa.String(40), nullable=False),
)


def create_tables(conn: sa.Connection) -> None:
    """Create this module's tables (called by its migration)."""
    _meta.create_all(conn, checkfirst=True)


def _page(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(int(limit), MAX_PAGE)), max(0, int(offset))


class Published:
    """Queries over the published-results tables of one ``Store``.

    Plain dicts out (JSON-ready); the private half is read only by ``private_half``.
    """

    def __init__(self, store: Any) -> None:
        self.store = store
        self.engine: sa.Engine = store.engine

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """A write transaction, for a job that writes here and to the audit log atomically."""
        with self.store._write() as conn:
            yield conn

    @contextmanager
    def _conn(self, conn: sa.Connection | None) -> Iterator[sa.Connection]:
        if conn is not None:
            yield conn
        else:
            with self.transaction() as own:
                yield own

    # -- results ------------------------------------------------------------------------

    _PUBLIC_COLUMNS = tuple(c for c in results.c if c.name not in ("envelope", "evidence"))

    @staticmethod
    def _result_row(row: Any) -> dict[str, Any]:
        doc = dict(row._mapping)
        doc["verdicts"] = json.loads(doc.pop("verdicts_json"))
        doc["summary"] = json.loads(doc.pop("summary_json"))
        doc["has_private"] = bool(doc["has_private"])
        return doc

    def insert_result(self, record: dict[str, Any], private_half: tuple[bytes, bytes] | None, *, conn: sa.Connection) -> None:
        """Store one verified result (and its private half) inside the caller's transaction."""
        row = dict(record)
        row["verdicts_json"] = json.dumps(row.pop("verdicts"), sort_keys=True)
        row["summary_json"] = json.dumps(row.pop("summary"), sort_keys=True)
        row["has_private"] = private_half is not None
        conn.execute(results.insert().values(**row))
        if private_half is not None:
            conn.execute(private.insert().values(result_id=row["id"], salts=private_half[0], texts=private_half[1]))

    def result(self, result_id: str, *, raw: bool = False) -> dict[str, Any] | None:
        """A result's public fields (no envelope or bundle bytes), or None.

        ``raw``: ``verdicts_json`` and ``summary_json`` as stored (JSON text), not parsed: the
        service splices them into its reply instead of parsing and re-encoding tens of KB."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(*self._PUBLIC_COLUMNS).where(results.c.id == result_id)).first()
        if row is None:
            return None
        if raw:
            doc = dict(row._mapping)
            doc["has_private"] = bool(doc["has_private"])
            return doc
        return self._result_row(row)

    def result_by_envelope(self, digest: str, *, conn: sa.Connection | None = None) -> dict[str, Any] | None:
        query = sa.select(*self._PUBLIC_COLUMNS).where(results.c.envelope_sha256 == digest)
        if conn is not None:
            row = conn.execute(query).first()
        else:
            with self.engine.connect() as own:
                row = own.execute(query).first()
        return self._result_row(row) if row is not None else None

    def envelope(self, result_id: str) -> bytes | None:
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(results.c.envelope).where(results.c.id == result_id)).scalar()
        return bytes(value) if value is not None else None

    def evidence(self, result_id: str) -> bytes | None:
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(results.c.evidence).where(results.c.id == result_id)).scalar()
        return bytes(value) if value is not None else None

    def private_half(self, result_id: str) -> tuple[bytes, bytes] | None:
        """(salts, texts) JSON bytes: read only to make a granted disclosure."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(private.c.salts, private.c.texts).where(private.c.result_id == result_id)).first()
        return (bytes(row[0]), bytes(row[1])) if row is not None else None

    def list_results(self, *, org: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Newest first; (page, total)."""
        limit, offset = _page(limit, offset)
        where = [results.c.org == org] if org else []
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(*self._PUBLIC_COLUMNS)
                .where(*where)
                .order_by(results.c.published_at.desc(), results.c.id)
                .limit(limit)
                .offset(offset)
            ).all()
            total = conn.execute(sa.select(sa.func.count()).select_from(results).where(*where)).scalar_one()
        return [self._result_row(r) for r in rows], int(total)

    # -- grants -------------------------------------------------------------------------

    @staticmethod
    def _grant_row(row: Any) -> dict[str, Any]:
        doc = dict(row._mapping)
        keys = doc.pop("keys_json")
        doc["keys"] = json.loads(keys) if keys is not None else None
        doc["roles"] = doc["roles"].split(",")
        return doc

    def insert_grant(self, grant: dict[str, Any], *, conn: sa.Connection) -> None:
        row = dict(grant)
        keys = row.pop("keys")
        row["keys_json"] = json.dumps(keys) if keys is not None else None
        row["roles"] = ",".join(row["roles"])
        conn.execute(grants.insert().values(**row))

    def grant(self, grant_id: str, *, conn: sa.Connection | None = None) -> dict[str, Any] | None:
        query = sa.select(grants).where(grants.c.id == grant_id)
        if conn is not None:
            row = conn.execute(query).first()
        else:
            with self.engine.connect() as own:
                row = own.execute(query).first()
        return self._grant_row(row) if row is not None else None

    def revoke_grant(self, grant_id: str, when: str, *, conn: sa.Connection) -> bool:
        """Mark a grant revoked (once); False if it was already revoked or does not exist."""
        done = conn.execute(grants.update().where(grants.c.id == grant_id, grants.c.revoked_at.is_(None)).values(revoked_at=when))
        return bool(done.rowcount)

    def active_grants(self, result_id: str, grantee_org: str, now: str) -> list[dict[str, Any]]:
        """Grants of ``result_id`` to ``grantee_org`` neither revoked nor expired at ``now``."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(grants)
                .where(
                    grants.c.result_id == result_id,
                    grants.c.grantee_org == grantee_org,
                    grants.c.revoked_at.is_(None),
                    grants.c.expires_at > now,
                )
                .order_by(grants.c.created_at)
                .limit(MAX_PAGE)
            ).all()
        return [self._grant_row(r) for r in rows]

    def list_grants(
        self, *, result_id: str | None = None, org: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Grants of a result and/or given by or to ``org``, newest first."""
        limit, offset = _page(limit, offset)
        where: list[Any] = []
        if result_id is not None:
            where.append(grants.c.result_id == result_id)
        if org is not None:
            where.append(sa.or_(grants.c.grantor_org == org, grants.c.grantee_org == org))
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(grants).where(*where).order_by(grants.c.created_at.desc(), grants.c.id).limit(limit).offset(offset)
            ).all()
        return [self._grant_row(r) for r in rows]

    # -- the log's checkpoints, witnesses, cosignatures ------------------------------------

    def add_checkpoint(self, origin: str, size: int, root_hex: str, note: str, when: str) -> None:
        """Keep a signed checkpoint; the first one signed at a size stays (same root by construction)."""
        with self.transaction() as conn:
            exists = conn.execute(sa.select(checkpoints.c.size).where(checkpoints.c.origin == origin, checkpoints.c.size == size)).first()
            if exists is None:
                conn.execute(checkpoints.insert().values(origin=origin, size=size, root=root_hex, note=note, created_at=when))

    def checkpoint(self, origin: str, size: int | None = None) -> dict[str, Any] | None:
        """The checkpoint of ``size`` (None: the largest) signed for ``origin``."""
        query = sa.select(checkpoints).where(checkpoints.c.origin == origin)
        query = query.where(checkpoints.c.size == size) if size is not None else query.order_by(checkpoints.c.size.desc()).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return dict(row._mapping) if row is not None else None

    def add_witness(self, vkey: str, name: str, when: str, by: str, *, conn: sa.Connection) -> bool:
        """Enrol a witness key; False if it is already enrolled (and not revoked)."""
        row = conn.execute(sa.select(witness_keys).where(witness_keys.c.vkey == vkey)).first()
        if row is not None and row.revoked_at is None:
            return False
        if row is not None:
            conn.execute(witness_keys.update().where(witness_keys.c.vkey == vkey).values(revoked_at=None, added_at=when, added_by=by))
        else:
            conn.execute(witness_keys.insert().values(vkey=vkey, name=name, added_at=when, added_by=by))
        return True

    def revoke_witness(self, vkey: str, when: str, *, conn: sa.Connection) -> bool:
        done = conn.execute(
            witness_keys.update().where(witness_keys.c.vkey == vkey, witness_keys.c.revoked_at.is_(None)).values(revoked_at=when)
        )
        return bool(done.rowcount)

    def witnesses(self) -> list[dict[str, Any]]:
        """Enrolled, unrevoked witness keys (at most ``MAX_PAGE``)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(witness_keys).where(witness_keys.c.revoked_at.is_(None)).order_by(witness_keys.c.name).limit(MAX_PAGE)
            ).all()
        return [dict(r._mapping) for r in rows]

    def put_cosignature(self, origin: str, size: int, vkey: str, line: str, timestamp: int, when: str) -> None:
        """Keep a witness's cosignature of one checkpoint; a newer one from the same witness replaces it."""
        with self.transaction() as conn:
            key = (cosignatures.c.origin == origin, cosignatures.c.size == size, cosignatures.c.witness_vkey == vkey)
            old = conn.execute(sa.select(cosignatures.c.timestamp).where(*key)).first()
            if old is None:
                conn.execute(
                    cosignatures.insert().values(
                        origin=origin, size=size, witness_vkey=vkey, line=line, timestamp=timestamp, received_at=when
                    )
                )
            elif timestamp >= old[0]:
                conn.execute(cosignatures.update().where(*key).values(line=line, timestamp=timestamp, received_at=when))

    def cosignatures(self, origin: str, size: int) -> list[dict[str, Any]]:
        """Cosignatures of one checkpoint by witnesses still enrolled."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(cosignatures)
                .join(witness_keys, witness_keys.c.vkey == cosignatures.c.witness_vkey)
                .where(cosignatures.c.origin == origin, cosignatures.c.size == size, witness_keys.c.revoked_at.is_(None))
                .order_by(cosignatures.c.witness_vkey)
                .limit(MAX_PAGE)
            ).all()
        return [dict(r._mapping) for r in rows]
