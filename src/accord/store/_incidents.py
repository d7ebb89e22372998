"""The service's incidents: headers, append-only signed versions, TLP reader rows (issue 20).

Tables (migration ``m011_service_incidents``; SQLite and PostgreSQL alike):

- ``service_incidents``: one row per incident: reporter, dates, the latest version's number,
  TLP label, status, severity, hazards (``,a,b,``) and lower-cased search text, and
  ``update_seq``, a counter bumped on every version so lists page in a stable order.
- ``service_incident_versions``: every version, never updated or deleted: the report JSON,
  who submitted it, the salted commitment, its salt, the signed envelope and the log index.
- ``service_incident_readers``: the (org, member) pairs the *latest* version's TLP marking
  admits besides the reporter (``member`` '' = the whole organisation), derived by
  ``accord.incidents._tlp.reader_keys``; it lets a list filter in SQL and page correctly.

Queries only: who may read or write is decided in ``accord.pipeline._incident_jobs``, which
also re-checks every row with the pure ``can_read`` (this SQL filter is a pre-filter).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    from accord.store._store import Store

__all__ = ["MAX_PAGE", "Incidents", "create_tables", "federation_incident_columns", "federation_version_columns"]

MAX_PAGE = 500
MAX_VERSIONS_PAGE = 1000

_md = sa.MetaData()

incidents_t = sa.Table(
    "service_incidents",
    _md,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("reporter_org", sa.String(64), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("tlp", sa.String(16), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("hazards", sa.String(4000), nullable=False),
    sa.Column("search", sa.Text, nullable=False),
    sa.Column("update_seq", sa.BigInteger, nullable=False, unique=True),
    # Federation (issue 21, m012): the MISP distribution level on this server (NULL: 1), the
    # sharing group's organisations (",a,b,") and whether it admits every organisation here,
    # the peer it came from (NULL: reported here), and whether it was retracted.
    sa.Column("distribution", sa.Integer),
    sa.Column("sg_orgs", sa.Text),
    sa.Column("sg_all", sa.Boolean),
    sa.Column("source", sa.String(300)),
    sa.Column("retracted", sa.Boolean),
    sa.Index("ix_service_incidents_tlp", "tlp"),
    sa.Index("ix_service_incidents_reporter", "reporter_org"),
)

versions_t = sa.Table(
    "service_incident_versions",
    _md,
    sa.Column("incident_id", sa.String(64), sa.ForeignKey("service_incidents.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("submitted_by", sa.String(400), nullable=False),
    sa.Column("report_json", sa.Text, nullable=False),
    sa.Column("commitment", sa.String(64), nullable=False),
    sa.Column("salt", sa.String(64), nullable=False),
    sa.Column("log_index", sa.BigInteger),
    sa.Column("envelope_json", sa.Text, nullable=False),
    # Federation (m012): the level on this server, the peer it came from, whether this version
    # retracts the incident, and ``hidden``: content wiped by a later retraction (report_json
    # '' then); ``marking_json`` keeps its TLP marking, level and group so a retraction can
    # still be routed to every peer that may have received it.
    sa.Column("distribution", sa.Integer),
    sa.Column("source", sa.String(300)),
    sa.Column("retracted", sa.Boolean),
    sa.Column("hidden", sa.Boolean),
    sa.Column("marking_json", sa.Text),
    # the server the version was reported on (its log origin) and that server's own envelope
    # over the commitment, carried unchanged across relays so a receiver that knows the origin
    # can check a relayed version really comes from it
    sa.Column("origin", sa.String(300)),
    sa.Column("origin_envelope_json", sa.Text),
)

readers_t = sa.Table(
    "service_incident_readers",
    _md,
    sa.Column("incident_id", sa.String(64), sa.ForeignKey("service_incidents.id"), primary_key=True),
    sa.Column("org", sa.String(64), primary_key=True),
    sa.Column("member", sa.String(200), primary_key=True),  # '' = every member of the org
    sa.Index("ix_service_incident_readers_org", "org"),
)


def federation_incident_columns() -> list[sa.Column[object]]:
    """The columns m012 adds to service_incidents (frozen copies: migrations never use the live tables)."""
    return [
        sa.Column("distribution", sa.Integer),
        sa.Column("sg_orgs", sa.Text),
        sa.Column("sg_all", sa.Boolean),
        sa.Column("source", sa.String(300)),
        sa.Column("retracted", sa.Boolean),
    ]


def federation_version_columns() -> list[sa.Column[object]]:
    """The columns m012 adds to service_incident_versions."""
    return [
        sa.Column("distribution", sa.Integer),
        sa.Column("source", sa.String(300)),
        sa.Column("retracted", sa.Boolean),
        sa.Column("hidden", sa.Boolean),
        sa.Column("marking_json", sa.Text),
        sa.Column("origin", sa.String(300)),
        sa.Column("origin_envelope_json", sa.Text),
    ]


def create_tables(conn: sa.Connection) -> None:
    """Create this module's tables (called by its migration; idempotent)."""
    _md.create_all(conn, checkfirst=True)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Incidents:
    """Queries over the incident tables of one ``Store``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One write transaction (BEGIN IMMEDIATE on SQLite): check-then-write without races."""
        with self.store._write() as conn:
            yield conn

    # -- writing ------------------------------------------------------------------------
    def head(self, incident_id: str, *, conn: sa.Connection | None = None) -> dict[str, Any] | None:
        """The incident's header row (reporter, latest version) or None."""
        q = sa.select(incidents_t).where(incidents_t.c.id == incident_id)
        if conn is not None:
            if self.store.dialect == "postgresql":
                q = q.with_for_update()
            row = conn.execute(q).mappings().first()
        else:
            with self.engine.connect() as c:
                row = c.execute(q).mappings().first()
        return dict(row) if row else None

    def put_version(
        self,
        conn: sa.Connection,
        *,
        header: dict[str, Any],
        version: dict[str, Any],
        readers: Sequence[tuple[str, str | None]],
    ) -> None:
        """Insert a version and make it the incident's latest (inserting the header for version 1).

        ``header``: id, reporter_org, created_at, updated_at, version, tlp, status, severity,
        hazards, search. The caller checked, in this transaction, that ``version`` is the next one.
        """
        seq = conn.execute(sa.select(sa.func.coalesce(sa.func.max(incidents_t.c.update_seq), 0))).scalar_one() + 1
        row = {**header, "update_seq": seq}
        if version["version"] == 1:
            conn.execute(incidents_t.insert().values(**row))
        else:
            fields = {k: v for k, v in row.items() if k not in ("id", "reporter_org", "created_at")}
            conn.execute(incidents_t.update().where(incidents_t.c.id == header["id"]).values(**fields))
        conn.execute(versions_t.insert().values(**version))
        conn.execute(readers_t.delete().where(readers_t.c.incident_id == header["id"]))
        unique = list(dict.fromkeys((org, member or "") for org, member in readers))
        if unique:
            conn.execute(readers_t.insert(), [{"incident_id": header["id"], "org": o, "member": m} for o, m in unique])

    # -- reading ------------------------------------------------------------------------
    def _latest_select(self) -> sa.Select[Any]:
        v = versions_t
        return sa.select(
            incidents_t,
            v.c.report_json,
            v.c.commitment,
            v.c.log_index,
        ).join(v, sa.and_(v.c.incident_id == incidents_t.c.id, v.c.version == incidents_t.c.version))

    def get(self, incident_id: str) -> dict[str, Any] | None:
        """The header joined with its latest version, or None."""
        q = self._latest_select().where(incidents_t.c.id == incident_id)
        with self.engine.connect() as conn:
            row = conn.execute(q).mappings().first()
        return dict(row) if row else None

    def readable_filter(self, org: str | None, member: str | None, community: bool) -> sa.ColumnElement[bool]:
        """SQL mirror of ``accord.incidents.can_read`` for the latest versions (a pre-filter)."""
        level = sa.func.coalesce(incidents_t.c.distribution, 1)
        if not community or org is None:
            return sa.and_(incidents_t.c.tlp == "CLEAR", level.in_((1, 2, 3)))
        r = readers_t
        member_ok = r.c.member == "" if member is None else r.c.member.in_(("", member))
        named = sa.exists().where(r.c.incident_id == incidents_t.c.id, r.c.org == org, member_ok)
        tlp_ok = sa.or_(
            incidents_t.c.tlp.in_(("CLEAR", "GREEN")),
            sa.and_(incidents_t.c.tlp.in_(("AMBER", "AMBER+STRICT", "RED")), sa.or_(incidents_t.c.reporter_org == org, named)),
        )
        # MISP distribution (accord.federation.level_admits): 0 the owner only; 4 the group.
        in_group = sa.or_(incidents_t.c.sg_all.is_(True), incidents_t.c.sg_orgs.like(f"%,{_like_escape(org)},%", escape="\\"))
        level_ok = sa.or_(incidents_t.c.reporter_org == org, level.in_((1, 2, 3)), sa.and_(level == 4, in_group))
        return sa.and_(tlp_ok, level_ok)

    def page(
        self,
        *,
        readable: sa.ColumnElement[bool],
        tlp: str | None = None,
        hazard: str | None = None,
        status: str | None = None,
        q: str | None = None,
        reporter: str | None = None,
        updated_after: str | None = None,
        after_seq: int | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Latest versions matching every given filter, oldest update first, at most ``limit`` (capped)."""
        stmt = self._latest_select().where(readable)
        if tlp is not None:
            stmt = stmt.where(incidents_t.c.tlp == tlp)
        if hazard is not None:
            stmt = stmt.where(incidents_t.c.hazards.like(f"%,{_like_escape(hazard)},%", escape="\\"))
        if status is not None:
            stmt = stmt.where(incidents_t.c.status == status)
        if q:
            stmt = stmt.where(incidents_t.c.search.like(f"%{_like_escape(q.lower())}%", escape="\\"))
        if reporter is not None:
            stmt = stmt.where(incidents_t.c.reporter_org == reporter)
        if updated_after is not None:
            stmt = stmt.where(incidents_t.c.updated_at > updated_after)
        if after_seq is not None:
            stmt = stmt.where(incidents_t.c.update_seq > after_seq)
        stmt = stmt.order_by(incidents_t.c.update_seq).limit(max(1, min(limit, MAX_PAGE)))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    def versions(self, incident_id: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """Every stored version of one incident, oldest first, at most ``limit`` (capped)."""
        stmt = (
            sa.select(versions_t, incidents_t.c.reporter_org)
            .join(incidents_t, incidents_t.c.id == versions_t.c.incident_id)
            .where(versions_t.c.incident_id == incident_id)
            .order_by(versions_t.c.version)
            .limit(max(1, min(limit, MAX_VERSIONS_PAGE)))
        )
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    # -- federation (issue 21) -----------------------------------------------------------
    def known_versions(self, incident_ids: Sequence[str], *, conn: sa.Connection | None = None) -> dict[str, dict[int, str]]:
        """``{incident_id: {version: commitment}}`` of the versions stored here (idempotent apply)."""
        out: dict[str, dict[int, str]] = {}
        if not incident_ids:
            return out
        stmt = sa.select(versions_t.c.incident_id, versions_t.c.version, versions_t.c.commitment).where(
            versions_t.c.incident_id.in_(list(incident_ids))
        )
        rows = conn.execute(stmt) if conn is not None else None
        if rows is None:
            with self.engine.connect() as c:
                found = list(c.execute(stmt))
        else:
            found = list(rows)
        for iid, number, commitment in found:
            out.setdefault(iid, {})[int(number)] = str(commitment)
        return out

    def heads(self, incident_ids: Sequence[str], *, conn: sa.Connection) -> dict[str, dict[str, Any]]:
        """Header rows by id, in ``conn``'s transaction."""
        if not incident_ids:
            return {}
        rows = conn.execute(sa.select(incidents_t).where(incidents_t.c.id.in_(list(incident_ids)))).mappings()
        return {r["id"]: dict(r) for r in rows}

    def put_many(
        self,
        conn: sa.Connection,
        batch: Sequence[tuple[dict[str, Any], Sequence[dict[str, Any]], Sequence[tuple[str, str | None]] | None, bool]],
    ) -> None:
        """Store many versions in a handful of statements (executemany), in the caller's
        transaction (which checked none is stored yet): a page received from a peer, or a batch
        of new incidents (``report_incidents``).

        ``batch``: per incident (header, versions, readers, exists). ``header`` describes the
        incident's latest version here; ``readers`` None means the newest received version is
        not the latest (an older one arrived late) and only the versions are inserted."""
        if not batch:
            return
        seq = conn.execute(sa.select(sa.func.coalesce(sa.func.max(incidents_t.c.update_seq), 0))).scalar_one()
        new_heads: list[dict[str, Any]] = []
        versions: list[dict[str, Any]] = []
        reset: list[str] = []
        readers_out: list[dict[str, Any]] = []
        for header, rows, readers, exists in batch:
            versions.extend(rows)
            if readers is None:
                continue
            seq += 1
            row = {**header, "update_seq": seq}
            if not exists:
                new_heads.append(row)
            else:
                fields = {k: v for k, v in row.items() if k not in ("id", "reporter_org", "created_at")}
                conn.execute(incidents_t.update().where(incidents_t.c.id == header["id"]).values(**fields))
                reset.append(header["id"])
            readers_out.extend({"incident_id": header["id"], "org": o, "member": m} for o, m in dict.fromkeys((org, member or "") for org, member in readers))
        if new_heads:
            conn.execute(incidents_t.insert(), new_heads)
        if versions:
            conn.execute(versions_t.insert(), versions)
        for start in range(0, len(reset), 500):
            conn.execute(readers_t.delete().where(readers_t.c.incident_id.in_(reset[start : start + 500])))
        if readers_out:
            conn.execute(readers_t.insert(), readers_out)

    def hide_before(self, conn: sa.Connection, incident_id: str, version: int) -> int:
        """Wipe the content of every version before ``version`` (a retraction); returns how many."""
        result = conn.execute(
            versions_t.update()
            .where(versions_t.c.incident_id == incident_id, versions_t.c.version < version, versions_t.c.hidden.isnot(True))
            .values(report_json="", hidden=True)
        )
        return int(result.rowcount or 0)

    def feed(self, *, after_seq: int, limit: int) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """Incidents updated after ``after_seq`` (oldest first, at most ``limit``), each with
        every stored version, for the federation feed (which filters them per peer)."""
        limit = max(1, min(limit, 5000))
        with self.engine.connect() as conn:
            heads = [
                dict(r)
                for r in conn.execute(
                    sa.select(incidents_t).where(incidents_t.c.update_seq > after_seq).order_by(incidents_t.c.update_seq).limit(limit)
                ).mappings()
            ]
            if not heads:
                return []
            by_id: dict[str, list[dict[str, Any]]] = {h["id"]: [] for h in heads}
            ids = list(by_id)
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                for v in conn.execute(
                    sa.select(versions_t)
                    .where(versions_t.c.incident_id.in_(chunk))
                    .order_by(versions_t.c.incident_id, versions_t.c.version)
                ).mappings():
                    by_id[v["incident_id"]].append(dict(v))
        return [(h, by_id[h["id"]]) for h in heads]

    def max_seq(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(incidents_t.c.update_seq), 0))).scalar_one())

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(incidents_t)).scalar_one())
