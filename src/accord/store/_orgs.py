"""The service's organisations, API tokens, organisation keys and private audit log (issue 20).

Tables (migration ``m009_service_orgs``; SQLite and PostgreSQL alike):

- ``service_orgs``: organisations, by a short slug id.
- ``service_tokens``: API tokens. Only the SHA-256 digest of a token is stored, so a copy of
  the database cannot be used to call the service; the token itself is shown once, at creation.
  A token has one role, a fixed set of scopes, an optional member name, an optional expiry and
  a revocation time (tokens are revoked, never deleted, so the audit log's token ids keep
  meaning something).
- ``service_org_keys``: the Ed25519 public keys an organisation signs its attestations with.
- ``service_audit``: the private, append-only, hash-chained audit log of every authorisation
  decision. Each row's ``hash`` is ``sha256(prev_hash || canonical JSON of the row)``, so an
  edited, inserted or deleted row breaks the chain; ``service_audit_head`` holds the last
  (seq, hash), written in the same transaction, so truncating the tail is detected too.

This module holds queries only; who may call them is decided in ``accord.pipeline._orgs``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    from accord.store._store import Store

__all__ = ["GENESIS_HASH", "AuditCheck", "Orgs", "audit_row_hash", "create_tables"]

_md = sa.MetaData()

orgs_t = sa.Table(
    "service_orgs",
    _md,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created", sa.String(40), nullable=False),
    sa.Column("created_by", sa.String(400)),
)

tokens_t = sa.Table(
    "service_tokens",
    _md,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("org", sa.String(64), sa.ForeignKey("service_orgs.id"), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("scopes", sa.String(200), nullable=False),
    sa.Column("member", sa.String(200)),
    sa.Column("created", sa.String(40), nullable=False),
    sa.Column("expires", sa.String(40)),
    sa.Column("revoked_at", sa.String(40)),
    sa.Column("last_used", sa.String(40)),
    sa.Index("ix_service_tokens_org", "org"),
)

org_keys_t = sa.Table(
    "service_org_keys",
    _md,
    sa.Column("id", sa.String(64), primary_key=True),  # the DSSE key id: sha256 of the SubjectPublicKeyInfo DER
    sa.Column("org", sa.String(64), sa.ForeignKey("service_orgs.id"), nullable=False),
    sa.Column("name", sa.String(200)),
    sa.Column("public_key_pem", sa.Text, nullable=False),
    sa.Column("created", sa.String(40), nullable=False),
    sa.Column("revoked_at", sa.String(40)),
    sa.Index("ix_service_org_keys_org", "org"),
)

audit_t = sa.Table(
    "service_audit",
    _md,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("time", sa.String(40), nullable=False),
    sa.Column("principal", sa.String(400), nullable=False),
    sa.Column("org", sa.String(64)),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("token_id", sa.String(40)),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("target", sa.String(400), nullable=False),
    sa.Column("allowed", sa.Boolean, nullable=False),
    sa.Column("reason", sa.String(1000), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_service_audit_org", "org"),
)

audit_head_t = sa.Table(
    "service_audit_head",
    _md,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

#: The ``prev_hash`` of the first audit record.
GENESIS_HASH = "0" * 64
#: The fields of an audit row that its hash covers, in the canonical JSON (everything but the hash).
AUDIT_FIELDS = ("seq", "time", "principal", "org", "role", "token_id", "action", "target", "allowed", "reason", "prev_hash")
#: Longest values kept per audit field (the columns' sizes): longer ones are cut, never refused,
#: so a hostile request path cannot make the decision unrecordable.
AUDIT_LIMITS = {"principal": 400, "action": 100, "target": 400, "reason": 1000}
MAX_PAGE = 1000
_AUDIT_INSERT = audit_t.insert()
_HEAD_UPDATE = audit_head_t.update().where(audit_head_t.c.id == 1).values(seq=sa.bindparam("new_seq"), hash=sa.bindparam("new_hash"))


def create_tables(conn: sa.Connection) -> None:
    """Create the tables (idempotent) and the audit log's head row."""
    _md.create_all(conn, checkfirst=True)
    if conn.execute(sa.select(audit_head_t.c.id).where(audit_head_t.c.id == 1)).first() is None:
        conn.execute(audit_head_t.insert().values(id=1, seq=0, hash=GENESIS_HASH))


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def audit_row_hash(row: dict[str, Any]) -> str:
    """``sha256(prev_hash || canonical JSON of the row's fields)`` (hex): what chains the log."""
    body = {f: row[f] for f in AUDIT_FIELDS}
    body["allowed"] = bool(body["allowed"])
    body["seq"] = int(body["seq"])
    canon = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(str(row["prev_hash"]).encode() + canon).hexdigest()


@dataclass(frozen=True)
class AuditCheck:
    """What ``Orgs.verify_audit`` found: ``ok`` iff every row and the head agree."""

    ok: bool
    rows: int
    head_seq: int
    head_hash: str
    problems: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "rows": self.rows, "head_seq": self.head_seq, "head_hash": self.head_hash, "problems": list(self.problems)}


def _cut(value: str | None, limit: int) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Orgs:
    """Queries over the service's organisation, token, key and audit tables of one ``Store``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # -- organisations ------------------------------------------------------------------
    def add_org(self, org_id: str, name: str, *, created_by: str | None = None) -> dict[str, Any] | None:
        """Insert an organisation; ``None`` if one with that id exists (nothing changed)."""
        row = {"id": org_id, "name": name, "created": now_iso(), "created_by": created_by}
        with self.store._write() as conn:
            if conn.execute(sa.select(orgs_t.c.id).where(orgs_t.c.id == org_id)).first() is not None:
                return None
            conn.execute(orgs_t.insert().values(**row))
        return row

    def get_org(self, org_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(orgs_t).where(orgs_t.c.id == org_id)).mappings().first()
        return dict(row) if row else None

    def list_orgs(self, *, after: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Organisations by id, a page of at most ``limit`` (capped) after ``after``."""
        q = sa.select(orgs_t.c.id, orgs_t.c.name, orgs_t.c.created).order_by(orgs_t.c.id).limit(max(1, min(limit, MAX_PAGE)))
        if after is not None:
            q = q.where(orgs_t.c.id > after)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    # -- tokens -------------------------------------------------------------------------
    def add_token(self, row: dict[str, Any]) -> None:
        """Insert a token row (its digest, never the token). The org must exist (foreign key)."""
        with self.store._write() as conn:
            conn.execute(tokens_t.insert().values(**row))

    def token_by_digest(self, digest: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(tokens_t).where(tokens_t.c.digest == digest)).mappings().first()
        return dict(row) if row else None

    def get_token(self, token_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(tokens_t).where(tokens_t.c.id == token_id)).mappings().first()
        return dict(row) if row else None

    def list_tokens(self, *, org: str | None = None, after: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Token records by id (no digests), at most ``limit`` (capped) after ``after``."""
        cols = [c for c in tokens_t.c if c.name != "digest"]
        q = sa.select(*cols).order_by(tokens_t.c.id).limit(max(1, min(limit, MAX_PAGE)))
        if org is not None:
            q = q.where(tokens_t.c.org == org)
        if after is not None:
            q = q.where(tokens_t.c.id > after)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def revoke_token(self, token_id: str, when: str) -> str | None:
        """Set ``revoked_at`` unless already set; the (possibly earlier) revocation time, ``None`` if no such token."""
        with self.store._write() as conn:
            row = conn.execute(sa.select(tokens_t.c.revoked_at).where(tokens_t.c.id == token_id)).first()
            if row is None:
                return None
            if row[0] is not None:
                return str(row[0])
            conn.execute(tokens_t.update().where(tokens_t.c.id == token_id).values(revoked_at=when))
            return when

    def touch_token(self, token_id: str, when: str) -> None:
        with self.store._write() as conn:
            conn.execute(tokens_t.update().where(tokens_t.c.id == token_id).values(last_used=when))

    # -- organisation keys --------------------------------------------------------------
    def add_key(self, row: dict[str, Any]) -> bool:
        """Insert an organisation key; ``False`` if that key id is already registered (to any org)."""
        with self.store._write() as conn:
            if conn.execute(sa.select(org_keys_t.c.id).where(org_keys_t.c.id == row["id"])).first() is not None:
                return False
            conn.execute(org_keys_t.insert().values(**row))
        return True

    def get_key(self, key_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(org_keys_t).where(org_keys_t.c.id == key_id)).mappings().first()
        return dict(row) if row else None

    def list_keys(self, org: str, *, include_revoked: bool = False, limit: int = 100) -> list[dict[str, Any]]:
        q = sa.select(org_keys_t).where(org_keys_t.c.org == org).order_by(org_keys_t.c.created, org_keys_t.c.id)
        if not include_revoked:
            q = q.where(org_keys_t.c.revoked_at.is_(None))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q.limit(max(1, min(limit, MAX_PAGE)))).mappings()]

    def revoke_key(self, key_id: str, when: str) -> str | None:
        with self.store._write() as conn:
            row = conn.execute(sa.select(org_keys_t.c.revoked_at).where(org_keys_t.c.id == key_id)).first()
            if row is None:
                return None
            if row[0] is not None:
                return str(row[0])
            conn.execute(org_keys_t.update().where(org_keys_t.c.id == key_id).values(revoked_at=when))
            return when

    # -- audit log ----------------------------------------------------------------------
    def append_audit(self, fields: dict[str, Any], *, conn: sa.Connection | None = None) -> int:
        """Append one audit record after the current head; its seq.

        The head row is read under a lock (``BEGIN IMMEDIATE`` on SQLite, ``FOR UPDATE`` on
        PostgreSQL), so concurrent appends from any number of processes form one chain. With
        ``conn`` the record joins the caller's write transaction (it commits or rolls back
        with the decision's own writes).
        """
        if conn is not None:
            return self._append(conn, fields)
        with self.store._write() as own:
            return self._append(own, fields)

    def _append(self, conn: sa.Connection, fields: dict[str, Any]) -> int:
        q = sa.select(audit_head_t.c.seq, audit_head_t.c.hash).where(audit_head_t.c.id == 1)
        if self.store.dialect == "postgresql":
            q = q.with_for_update()
        head = conn.execute(q).first()
        if head is None:  # a store whose head row went missing: start it (verify reports the gap)
            conn.execute(audit_head_t.insert().values(id=1, seq=0, hash=GENESIS_HASH))
            head_seq, head_hash = 0, GENESIS_HASH
        else:
            head_seq, head_hash = int(head[0]), str(head[1])
        row: dict[str, Any] = {
            "seq": head_seq + 1,
            "time": now_iso(),
            "principal": _cut(fields.get("principal"), AUDIT_LIMITS["principal"]),
            "org": _cut(fields["org"], 64) if fields.get("org") is not None else None,
            "role": _cut(fields.get("role") or "public", 20),
            "token_id": _cut(fields["token_id"], 40) if fields.get("token_id") is not None else None,
            "action": _cut(fields.get("action"), AUDIT_LIMITS["action"]),
            "target": _cut(fields.get("target"), AUDIT_LIMITS["target"]),
            "allowed": bool(fields.get("allowed")),
            "reason": _cut(fields.get("reason"), AUDIT_LIMITS["reason"]),
            "prev_hash": head_hash,
        }
        row["hash"] = audit_row_hash(row)
        # parameters, not .values(): the compiled statements are cached (an audit record per request)
        conn.execute(_AUDIT_INSERT, row)
        conn.execute(_HEAD_UPDATE, {"new_seq": row["seq"], "new_hash": row["hash"]})
        return int(row["seq"])

    def list_audit(
        self,
        *,
        org: str | None = None,
        action: str | None = None,
        allowed: bool | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Audit records, newest first, at most ``limit`` (capped) with seq below ``before``.
        ``action`` matches a prefix (``incidents.`` for every incident decision)."""
        q = sa.select(audit_t).order_by(audit_t.c.seq.desc()).limit(max(1, min(limit, MAX_PAGE)))
        if org is not None:
            q = q.where(audit_t.c.org == org)
        if action is not None:
            esc = action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            q = q.where(audit_t.c.action.like(esc + "%", escape="\\"))
        if allowed is not None:
            q = q.where(audit_t.c.allowed == allowed)
        if before is not None:
            q = q.where(audit_t.c.seq < before)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def iter_audit(self, page: int = MAX_PAGE) -> Iterator[dict[str, Any]]:
        """Every audit record by seq, a page at a time (bounded memory)."""
        last: int | None = None
        while True:
            q = sa.select(audit_t).order_by(audit_t.c.seq).limit(page)
            if last is not None:
                q = q.where(audit_t.c.seq > last)
            with self.engine.connect() as conn:
                rows = [dict(r) for r in conn.execute(q).mappings()]
            yield from rows
            if len(rows) < page:
                return
            last = int(rows[-1]["seq"])

    def audit_head(self) -> tuple[int, str]:
        with self.engine.connect() as conn:
            head = conn.execute(sa.select(audit_head_t.c.seq, audit_head_t.c.hash).where(audit_head_t.c.id == 1)).first()
        return (0, GENESIS_HASH) if head is None else (int(head[0]), str(head[1]))

    def verify_audit(self, *, max_problems: int = 20) -> AuditCheck:
        """Recompute the chain: an edited row (hash), a deleted or inserted row (seq gap,
        prev_hash), a truncated tail (head) all show up as problems."""
        problems: list[str] = []

        def problem(text: str) -> None:
            if len(problems) < max_problems:
                problems.append(text)
            elif len(problems) == max_problems:
                problems.append("... more problems not shown")

        head_seq, head_hash = self.audit_head()
        expect_seq, prev = 1, GENESIS_HASH
        n = 0
        for row in self.iter_audit():
            n += 1
            seq = int(row["seq"])
            if seq != expect_seq:
                problem(f"record {seq}: expected record {expect_seq} next (records deleted or inserted)")
            if row["prev_hash"] != prev:
                problem(f"record {seq}: prev_hash does not match the previous record's hash (a record before it was changed or removed)")
            if audit_row_hash(row) != row["hash"]:
                problem(f"record {seq}: its hash does not match its content (the record was edited)")
            prev, expect_seq = str(row["hash"]), seq + 1
        last_seq = expect_seq - 1
        if last_seq != head_seq or prev != head_hash:
            problem(
                f"the head says record {head_seq} ({head_hash[:12]}) is last, but the log ends at record {last_seq} ({prev[:12]}) (records removed from the end, or the head edited)"
            )
        return AuditCheck(ok=not problems, rows=n, head_seq=head_seq, head_hash=head_hash, problems=tuple(problems))
