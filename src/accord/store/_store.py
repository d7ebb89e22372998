"""The results database behind one interface: SQLite embedded, PostgreSQL shared.

At most one successful response per key: inserts ignore a key that is already there, so a
resumed or doubly-delivered batch can never duplicate or overwrite a stored response; only an
explicit retry (``add_responses(..., replace_errors=True)``) replaces a stored *error*, keeping
it in ``response_attempts``. Writes take SQLite's write lock up front (``BEGIN IMMEDIATE``), so
check-then-write steps are race-free between processes; PostgreSQL uses row and advisory locks. Everything is
streamed (``iter_*`` read in pages) so memory does not grow with the size of a run.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from accord.errors import AccordError, StoreError
from accord.ids import validate_run_id
from accord.records import ErrorKind, Label, Message, Response
from accord.store import _schema as s
from accord.store._migrations import migrate
from accord.store._records import ConfusionCounts, JudgeValidation, ReviewDecision, RunInfo, SuiteRef

KeyTuple = tuple[str, str, str, int]  # suite_id, item_id, variant_id, epoch


_KEY_FIELDS = ("run_id", "suite_id", "item_id", "variant_id", "epoch")


def _key(obj: Any) -> dict[str, Any]:
    """The response key of a ``Response``, ``Label`` or table row, as keyword arguments: the
    columns responses and labels share and join on (see ``_schema._response_key``)."""
    return {f: getattr(obj, f) for f in _KEY_FIELDS}


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _normalise_url(url: str) -> str:
    """Accept the spellings people type: a bare path, postgres://, postgresql://."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own transaction handling is off (``isolation_level = None``): it would not begin
    # a transaction before DDL or SELECT, so migrations and read-then-write steps ran without the
    # write lock. ``_sqlite_begin`` issues BEGIN itself instead.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    # journal_mode=WAL is set once, by ``_ensure_schema``, only on a database known to be
    # accord's: it rewrites the file header, and a foreign file must stay byte-identical.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_pragmas_ro(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    """``BEGIN IMMEDIATE`` for write transactions (``Store._write``): the write lock is taken
    before anything is read, so check-then-write steps (run creation, migrations, shard claims)
    cannot interleave between processes, and a writer waits (busy timeout) instead of failing
    to upgrade a read lock. Reads begin deferred and never block writers (WAL)."""
    mode = "IMMEDIATE" if conn.get_execution_options().get("accord_write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def _sqlite_read_only_uri(path: str) -> str:
    """A ``file:`` URI that opens ``path`` without ever writing to it.

    ``mode=ro`` is enough where the directory is writable (SQLite may still create the WAL's
    ``-shm`` index next to it). Where it is not (a read-only filesystem or directory) and no
    ``-shm`` exists, WAL needs ``immutable=1``: SQLite then takes no locks and reads the main
    file only; nothing can be writing there anyway.
    """
    import sqlite3
    from urllib.parse import quote

    base = "file:" + quote(str(Path(path).resolve())) + "?mode=ro"
    folder = str(Path(path).resolve().parent)
    if not os.access(folder, os.W_OK) and not os.access(path + "-shm", os.W_OK):
        return base + "&immutable=1"
    try:  # a probe: the -shm may still be impossible to create (a read-only mount, as root)
        con = sqlite3.connect(base, uri=True, timeout=30)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            con.close()
    except sqlite3.OperationalError:
        return base + "&immutable=1"
    return base


def _write_tx(conn: sa.Connection) -> sa.Connection:
    return conn.execution_options(accord_write=True)


#: How long a freshly created or resumed run counts as alive without a heartbeat
#: (``touch_run``/``renew_leases``); runs stored before heartbeats existed use ``updated_at``.
DEFAULT_ALIVE_S = 60.0


class Store:
    """Open with ``Store.open(url)``; ``None`` means ``ACCORD_DB`` or the embedded SQLite file."""

    def __init__(self, engine: sa.Engine, url: str, *, read_only: bool = False) -> None:
        self.engine = engine
        self.url = url
        self.dialect = engine.dialect.name
        self.read_only = read_only

    # -- lifecycle -------------------------------------------------------------------
    @classmethod
    def open(cls, url: str | None = None, *, create: bool = True, read_only: bool = False) -> Store:
        """Open (and migrate) the store at ``url``.

        ``create=False`` is for commands that work on stored runs: a mistyped ``--db`` path, an
        empty file or an empty PostgreSQL database then fails with what it looked at, instead
        of silently becoming a new, empty store.

        ``read_only=True`` (implies ``create=False``) is for commands that only read (``runs
        list/show/export``): nothing is ever written. SQLite files open with ``mode=ro``
        (``immutable=1`` on a read-only filesystem), and a database whose schema is older than
        this accord is refused with a request to open it once with a writing command, which
        migrates it; a read-only command never migrates.

        Whatever the flags, a database that has tables but no ``_accord_migrations`` table is
        another program's: it is refused untouched, as is one written by a newer accord.
        """
        from accord.paths import default_db_url

        create = create and not read_only
        raw = url or default_db_url()
        norm = _normalise_url(raw)
        try:
            parsed = make_url(norm)
        except Exception as exc:  # sqlalchemy.exc.ArgumentError
            raise StoreError(f"cannot parse database URL {raw!r}", fix="use sqlite:///PATH or postgresql://USER@HOST/DB") from exc
        if parsed.get_backend_name() == "sqlite":
            db_path = parsed.database
            if db_path and db_path != ":memory:":
                if not create and not Path(db_path).is_file():
                    raise StoreError(
                        f"no results database at {db_path}",
                        fix="check --db / ACCORD_DB, or store a run first with `accord run`",
                    )
                if not read_only:
                    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
            if read_only and db_path and db_path != ":memory:":
                import sqlite3

                uri = _sqlite_read_only_uri(db_path)
                engine = sa.create_engine(
                    "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False), poolclass=sa.pool.QueuePool
                )
                sa.event.listen(engine, "connect", _sqlite_pragmas_ro)
            else:
                engine = sa.create_engine(norm, connect_args={"timeout": 30})
                sa.event.listen(engine, "connect", _sqlite_pragmas)
            sa.event.listen(engine, "begin", _sqlite_begin)
        elif parsed.get_backend_name() == "postgresql":
            try:
                import psycopg  # noqa: F401  (the driver SQLAlchemy will load)
            except ImportError:
                from accord.errors import MissingDependencyError

                raise MissingDependencyError("PostgreSQL stores", "postgres", "psycopg") from None
            engine = sa.create_engine(norm, pool_pre_ping=True)
            if read_only:
                engine = engine.execution_options(postgresql_readonly=True)
        else:
            raise StoreError(f"unsupported database {parsed.get_backend_name()!r}", fix="use sqlite:///PATH or postgresql://...")
        store = cls(engine, raw, read_only=read_only)
        try:
            store._ensure_schema(create=create)
        except BaseException:
            engine.dispose()
            raise
        return store

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """A write transaction: ``BEGIN IMMEDIATE`` on SQLite (see ``_sqlite_begin``)."""
        if self.read_only:
            raise StoreError(f"the results database {self.url!r} was opened read-only", fix="this is a bug in accord: report it")
        with self.engine.connect() as conn:
            with _write_tx(conn).begin():
                yield conn

    def _schema_state(self, conn: sa.Connection) -> tuple[set[str], list[str]]:
        """(migrations applied, names of the database's tables); refuses foreign or newer databases."""
        from accord.store._migrations import MIGRATIONS

        tables = sorted(sa.inspect(conn).get_table_names())
        if s.migrations.name not in tables:
            if tables:
                shown = ", ".join(tables[:8]) + (f", ... ({len(tables)} in all)" if len(tables) > 8 else "")
                raise StoreError(
                    f"{self.url} is not an accord results database (it has tables: {shown})",
                    why="it has tables but no _accord_migrations table, so another program owns it; accord changed nothing",
                    fix="point --db / ACCORD_DB at an accord store or at a new file",
                )
            return set(), tables
        done = {r[0] for r in conn.execute(sa.select(s.migrations.c.name))}
        unknown = sorted(done - {name for name, _ in MIGRATIONS})
        if unknown:
            raise StoreError(
                f"this database was written by a newer accord (unknown migrations: {', '.join(unknown)})",
                why="opening it with this version could misread or damage its data",
                fix="upgrade accord (pip install -U accord) or use another --db",
            )
        return done, tables

    def _ensure_schema(self, *, create: bool = True) -> None:
        from accord.store._migrations import MIGRATIONS

        wanted = [name for name, _ in MIGRATIONS]
        try:
            with self.engine.connect() as conn:
                done, tables = self._schema_state(conn)
            if done and set(wanted) <= done:
                return  # the common case: nothing to do, no lock taken
            if not done and not create:
                raise StoreError(
                    f"{self.url} is empty: it is not an accord results database yet",
                    why="commands that work on stored runs never create a store (nothing was written)",
                    fix="check --db / ACCORD_DB, or store a run first with `accord run`",
                )
            if self.read_only:
                missing = [n for n in wanted if n not in done]
                raise StoreError(
                    f"the results database {self.url} was written by an older accord (its schema lacks {', '.join(missing)})",
                    why="read-only commands never change a database",
                    fix="open it once with a command that writes (e.g. `accord judge RUN` or `accord run`), which upgrades it; then retry",
                )
            if self.dialect == "sqlite":
                raw = self.engine.raw_connection()  # outside any transaction, as the pragma needs
                try:
                    raw.cursor().execute("PRAGMA journal_mode=WAL")
                finally:
                    raw.close()
            with self._write() as conn:
                if self.dialect == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(781245)"))
                # under the lock (BEGIN IMMEDIATE / the advisory lock): look again, then migrate
                done, _ = self._schema_state(conn)
                if not done and not create:
                    raise StoreError(f"{self.url} is empty: it is not an accord results database yet", fix="store a run first with `accord run`")
                migrate(conn, _now())
        except sa.exc.DatabaseError as exc:  # OperationalError (unreachable, locked) or "file is not a database"
            raise StoreError(f"cannot open database {self.url!r}: {exc.orig}", fix="check the --db URL / ACCORD_DB and that the server is running") from exc

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _db_now(self, conn: sa.Connection) -> float:
        """Epoch seconds for leases and heartbeats: the server's clock on PostgreSQL (hosts
        sharing it may disagree), the host's on SQLite (a local file)."""
        if self.dialect == "postgresql":
            return float(conn.execute(sa.text("SELECT EXTRACT(EPOCH FROM clock_timestamp())")).scalar_one())
        return time.time()

    def _insert_ignore(self, table: sa.Table) -> Any:
        from sqlalchemy.dialects import postgresql, sqlite

        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        return insert(table).on_conflict_do_nothing()

    def _insert_counting(self, table: sa.Table, rows: list[dict[str, Any]]) -> int:
        """Insert-or-ignore ``rows``; return how many were new.

        ``rowcount`` is not reliable for batched inserts on every driver, so count the rows
        that come back from ``RETURNING`` (supported by SQLite >= 3.35 and PostgreSQL).
        """
        stmt = self._insert_ignore(table).returning(table.c.run_id)
        with self._write() as conn:
            return len(conn.execute(stmt, rows).all())

    # -- runs ------------------------------------------------------------------------
    def create_or_resume_run(self, run: RunInfo) -> tuple[RunInfo, bool]:
        """Create ``run``, or return the stored one if the same run id exists.

        Resuming is only allowed with the same target digest and suite digests: anything else
        would mix two different experiments under one id. Race-free: processes starting the
        same new id at once all insert-or-ignore under the write lock, exactly one creates it
        and the others resume it.
        """
        validate_run_id(run.run_id, field="run_id")
        t = s.runs
        with self._write() as conn:
            now = self._db_now(conn)
            row = {**self._run_row(run), "alive_until": now + DEFAULT_ALIVE_S}
            if conn.execute(self._insert_ignore(t).values(**row).returning(t.c.run_id)).first() is not None:
                return run, False
            q = sa.select(t).where(t.c.run_id == run.run_id)
            if self.dialect == "postgresql":
                q = q.with_for_update()
            existing = self._run_from_row(conn.execute(q).one())
            if existing.target_digest != run.target_digest:
                raise StoreError(
                    f"run '{run.run_id}' exists with a different target ({existing.target})",
                    why=f"stored target digest {existing.target_digest}, this one {run.target_digest}",
                    fix="use a new --run-id, or the same --target to resume",
                )
            old = [(x.suite_id, x.digest) for x in existing.suites]
            new = [(x.suite_id, x.digest) for x in run.suites]
            if old != new or existing.epochs != run.epochs:
                raise StoreError(
                    f"run '{run.run_id}' exists with different suites or epochs",
                    why=f"stored {old} x{existing.epochs} epochs, asked {new} x{run.epochs}",
                    fix="use a new --run-id, or the same --suite/--epochs to resume",
                )
            updated = _now()
            conn.execute(sa.update(t).where(t.c.run_id == run.run_id).values(status="running", updated_at=updated, alive_until=now + DEFAULT_ALIVE_S))
        return existing.model_copy(update={"status": "running", "updated_at": datetime.fromisoformat(updated)}), True

    def import_run(
        self,
        run: RunInfo,
        batches: Iterable[tuple[Sequence[Any], Sequence[Response], Sequence[Label]]],
        finish: Callable[[], dict[str, Any]],
    ) -> tuple[RunInfo, bool]:
        """Write an imported run (another tool's log) in **one transaction**: the run, then each
        batch of (items, responses, labels), then ``finish()``'s updates to the run row (the
        suite digests, item count, status and meta known only once every sample was read).
        Returns (the run, whether it was written).

        A failure anywhere rolls everything back: nothing is half-imported. The run's
        ``meta["import"]["source_digest"]`` makes a re-import idempotent: the same run id from
        the same bytes returns the stored run without reading ``batches``; from other bytes it
        is refused. Items are insert-or-ignore (an item recurs once per epoch)."""
        validate_run_id(run.run_id, field="run_id")
        t = s.runs
        digest = (run.meta.get("import") or {}).get("source_digest")
        with self._write() as conn:
            stored = conn.execute(sa.select(t).where(t.c.run_id == run.run_id)).first()
            if stored is not None:
                existing = self._run_from_row(stored)
                if (existing.meta.get("import") or {}).get("source_digest") == digest and digest:
                    return existing, False
                raise StoreError(
                    f"run '{run.run_id}' exists and was not imported from this file",
                    why=f"stored source {existing.meta.get('import', {}).get('source_digest')}, this file {digest}",
                    fix="import into another database, or delete the run first",
                )
            now = self._db_now(conn)
            conn.execute(sa.insert(t).values(**{**self._run_row(run), "alive_until": now}))
            seq = 0
            for items, responses, labels in batches:
                if items:
                    rows = []
                    for it in items:
                        rows.append({"run_id": run.run_id, "suite_id": it.suite_id, "item_id": it.item_id, "seq": seq,
                                     "hazard": it.hazard, "intent": it.intent, "locale": it.locale, "item_json": it.model_dump_json()})  # fmt: skip
                        seq += 1
                    conn.execute(self._insert_ignore(s.items), rows)
                if responses:
                    conn.execute(self._insert_ignore(s.responses), [self._response_row(r) for r in responses])
                if labels:
                    conn.execute(self._insert_ignore(s.labels), self._label_rows(labels))
            updates = finish()
            row = self._run_row(run.model_copy(update=updates))
            conn.execute(sa.update(t).where(t.c.run_id == run.run_id).values(**{k: v for k, v in row.items() if k != "run_id"}))
            final = conn.execute(sa.select(t).where(t.c.run_id == run.run_id)).one()
        return self._run_from_row(final), True

    @staticmethod
    def _run_row(run: RunInfo) -> dict[str, Any]:
        return {
            "run_id": run.run_id,
            "created_at": run.created_at.isoformat(),
            "updated_at": run.updated_at.isoformat(),
            "status": run.status,
            "target": run.target,
            "target_digest": run.target_digest,
            "suites_json": json.dumps([x.model_dump() for x in run.suites]),
            "params_json": json.dumps(run.params, sort_keys=True),
            "epochs": run.epochs,
            "n_items": run.n_items,
            "accord_version": run.accord_version,
            "meta_json": json.dumps(run.meta, sort_keys=True),
            "shard_size": run.shard_size,
        }

    @staticmethod
    def _run_from_row(row: Any, *, now: float | None = None, live_owners: int = 0) -> RunInfo:
        """The run of a stored row. With ``now``, a stored ``running`` whose process is gone (no
        live lease, heartbeat expired) reads as ``interrupted``: a run killed with -9 never
        got to write its real ending."""
        status = row.status
        if now is not None and status == "running" and live_owners == 0:
            alive = row.alive_until
            if alive is None:  # stored before heartbeats existed
                alive = datetime.fromisoformat(row.updated_at).timestamp() + DEFAULT_ALIVE_S
            if alive < now:
                status = "interrupted"
        return RunInfo(
            run_id=row.run_id,
            created_at=datetime.fromisoformat(row.created_at),
            updated_at=datetime.fromisoformat(row.updated_at),
            status=status,
            target=row.target,
            target_digest=row.target_digest,
            suites=[SuiteRef(**x) for x in json.loads(row.suites_json)],
            params=json.loads(row.params_json),
            epochs=row.epochs,
            n_items=row.n_items,
            accord_version=row.accord_version,
            meta=json.loads(row.meta_json or "{}"),
            shard_size=row.shard_size or 256,
        )

    def _live_owner_counts(self, conn: sa.Connection, now: float, run_id: str | None = None) -> dict[str, int]:
        t = s.leases
        q = sa.select(t.c.run_id, sa.func.count(sa.distinct(t.c.owner))).where(t.c.expires_at > now).group_by(t.c.run_id)
        if run_id is not None:
            q = q.where(t.c.run_id == run_id)
        return {r: int(n) for r, n in conn.execute(q)}

    def get_run(self, run_id: str) -> RunInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(s.runs).where(s.runs.c.run_id == run_id)).first()
            if row is None:
                return None
            now = self._db_now(conn)
            live = self._live_owner_counts(conn, now, run_id).get(run_id, 0)
        return self._run_from_row(row, now=now, live_owners=live)

    def require_run(self, run_id: str) -> RunInfo:
        run = self.get_run(run_id)
        if run is None:
            known = [r.run_id for r in self.list_runs()[:10]]
            raise AccordError(
                f"no run '{run_id}' in {self.url}",
                fix=("recent runs: " + ", ".join(known)) if known else "start one with `accord run`",
            )
        return run

    def list_runs(self) -> list[RunInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(s.runs).order_by(s.runs.c.created_at.desc())).all()
            now = self._db_now(conn)
            live = self._live_owner_counts(conn, now)
        return [self._run_from_row(r, now=now, live_owners=live.get(r.run_id, 0)) for r in rows]

    def set_run_status(self, run_id: str, status: str, *, n_items: int | None = None, meta: dict[str, Any] | None = None) -> None:
        values: dict[str, Any] = {"status": status, "updated_at": _now()}
        if n_items is not None:
            values["n_items"] = n_items
        if meta is not None:
            values["meta_json"] = json.dumps(meta, sort_keys=True)
        with self._write() as conn:
            if status == "running":
                values["alive_until"] = self._db_now(conn) + DEFAULT_ALIVE_S
            conn.execute(sa.update(s.runs).where(s.runs.c.run_id == run_id).values(**values))

    def touch_run(self, run_id: str, *, alive_s: float = DEFAULT_ALIVE_S) -> None:
        """Heartbeat: the run's process is alive for another ``alive_s`` seconds.

        ``renew_leases`` does this too; a process that holds no lease calls it at least every
        ``alive_s / 3`` seconds while the run is ``running``."""
        with self._write() as conn:
            now = self._db_now(conn)
            conn.execute(sa.update(s.runs).where(s.runs.c.run_id == run_id).values(alive_until=now + alive_s))

    # -- shard leases ----------------------------------------------------------------
    def _lock_run(self, conn: sa.Connection, run_id: str) -> None:
        """Serialise lease changes of one run: the run row's lock on PostgreSQL (SQLite's
        ``BEGIN IMMEDIATE`` already holds the database's write lock). Lock order everywhere:
        the run row first, then its leases."""
        q = sa.select(s.runs.c.run_id).where(s.runs.c.run_id == run_id)
        if self.dialect == "postgresql":
            q = q.with_for_update()
        if conn.execute(q).first() is None:
            raise AccordError(f"no run '{run_id}' in {self.url}", fix="create it first (create_or_resume_run)")

    def claim_shard(self, run_id: str, owner: str, *, n_shards: int, lease_s: float) -> int | None:
        """Claim one shard of ``run_id`` for ``owner`` for ``lease_s`` seconds; return its number.

        The lowest shard in ``range(n_shards)`` that is not finished and not held by an
        unexpired lease (of any owner, this one included); an expired lease is taken over.
        ``None`` when every shard is finished or held. Atomic across processes.
        """
        t = s.leases
        with self._write() as conn:
            self._lock_run(conn, run_id)
            now = self._db_now(conn)
            rows = {r.shard: r for r in conn.execute(sa.select(t.c.shard, t.c.finished, t.c.expires_at).where(t.c.run_id == run_id, t.c.shard < n_shards))}
            for shard in range(n_shards):
                r = rows.get(shard)
                if r is None:
                    conn.execute(sa.insert(t).values(run_id=run_id, shard=shard, owner=owner, expires_at=now + lease_s, finished=False))
                    break
                if not r.finished and r.expires_at <= now:
                    conn.execute(sa.update(t).where(t.c.run_id == run_id, t.c.shard == shard).values(owner=owner, expires_at=now + lease_s))
                    break
            else:
                return None
            conn.execute(sa.update(s.runs).where(s.runs.c.run_id == run_id).values(alive_until=now + lease_s))
            return shard

    def renew_leases(self, run_id: str, owner: str, *, lease_s: float) -> int:
        """Heartbeat: extend ``owner``'s unfinished leases (and the run's) by ``lease_s`` from
        now; returns how many leases were renewed. Call it at least every ``lease_s / 3``.
        A lease another owner took over after it expired is not this owner's any more."""
        t = s.leases
        with self._write() as conn:
            self._lock_run(conn, run_id)
            now = self._db_now(conn)
            conn.execute(sa.update(s.runs).where(s.runs.c.run_id == run_id).values(alive_until=now + lease_s))
            res = conn.execute(
                sa.update(t).where(t.c.run_id == run_id, t.c.owner == owner, t.c.finished == sa.false()).values(expires_at=now + lease_s).returning(t.c.shard)
            )
            return len(res.all())

    def finish_shard(self, run_id: str, shard: int, owner: str) -> None:
        """Mark ``shard`` done: no one claims it again. Its items are all stored (by ``owner``,
        or by whoever took an expired lease over; responses are written once, so both is fine)."""
        t = s.leases
        with self._write() as conn:
            self._lock_run(conn, run_id)
            now = self._db_now(conn)
            done = conn.execute(
                sa.update(t).where(t.c.run_id == run_id, t.c.shard == shard).values(finished=True, owner=owner).returning(t.c.shard)
            ).first()
            if done is None:
                conn.execute(sa.insert(t).values(run_id=run_id, shard=shard, owner=owner, expires_at=now, finished=True))

    def release_leases(self, run_id: str, owner: str) -> None:
        """Give up ``owner``'s unfinished leases at once (clean exit, Ctrl-C): others may claim
        them immediately, without waiting for expiry."""
        t = s.leases
        with self._write() as conn:
            conn.execute(sa.update(t).where(t.c.run_id == run_id, t.c.owner == owner).values(expires_at=0.0))

    def live_owners(self, run_id: str) -> int:
        """How many owners hold an unexpired lease on ``run_id`` (finished shards included
        until their lease runs out)."""
        with self.engine.connect() as conn:
            return self._live_owner_counts(conn, self._db_now(conn), run_id).get(run_id, 0)

    def finished_shards(self, run_id: str) -> set[int]:
        """Shards of ``run_id`` marked finished."""
        t = s.leases
        with self.engine.connect() as conn:
            return {int(r[0]) for r in conn.execute(sa.select(t.c.shard).where(t.c.run_id == run_id, t.c.finished == sa.true()))}

    # -- items -----------------------------------------------------------------------
    def add_items(self, run_id: str, items: Iterable[Any], *, start_seq: int = 0) -> int:
        """Record the items of a run (idempotent). Returns how many were offered."""
        rows = [
            {
                "run_id": run_id,
                "suite_id": it.suite_id,
                "item_id": it.item_id,
                "seq": start_seq + i,
                "hazard": it.hazard,
                "intent": it.intent,
                "locale": it.locale,
                "item_json": it.model_dump_json(),
            }
            for i, it in enumerate(items)
        ]
        if rows:
            with self._write() as conn:
                conn.execute(self._insert_ignore(s.items), rows)
        return len(rows)

    def iter_items(self, run_id: str, page: int = 2000) -> Iterator[Any]:
        from accord.records import Item

        last = -1
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    sa.select(s.items.c.seq, s.items.c.item_json)
                    .where(s.items.c.run_id == run_id, s.items.c.seq > last)
                    .order_by(s.items.c.seq)
                    .limit(page)
                ).all()
            if not rows:
                return
            for row in rows:
                yield Item.model_validate_json(row.item_json)
            last = rows[-1].seq

    def count_items(self, run_id: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(s.items).where(s.items.c.run_id == run_id)).scalar_one())

    # -- responses -------------------------------------------------------------------
    def add_responses(self, responses: Sequence[Response], *, replace_errors: bool = False) -> int:
        """Insert responses; returns rows written.

        A key already stored is left untouched, so a resumed or redelivered batch never
        duplicates or overwrites a response. With ``replace_errors`` (``accord run
        --retry-errors``), a response may replace a stored *error* of the same key: the error
        is first copied into ``response_attempts`` (numbered from 1) and the labels of the
        replaced response (they labelled the error) are deleted, all in one transaction. A
        stored success or block is never replaced: at most one successful response per key.
        """
        if not responses:
            return 0
        rows = [self._response_row(r) for r in responses]
        if not replace_errors:
            return self._insert_counting(s.responses, rows)
        t, a = s.responses, s.attempts_table
        key_cols = [t.c[f] for f in _KEY_FIELDS]
        by_key = {tuple(row[f] for f in _KEY_FIELDS): row for row in rows}
        written = 0
        with self._write() as conn:
            inserted = conn.execute(self._insert_ignore(t).returning(*key_cols), list(by_key.values())).all()
            written += len(inserted)
            rest = [k for k in by_key if k not in {tuple(r) for r in inserted}]
            replaced_at = _now()
            for i in range(0, len(rest), 200):
                chunk = rest[i : i + 200]
                q = sa.select(t).where(sa.tuple_(*key_cols).in_(chunk), t.c.error_kind.is_not(None))
                if self.dialect == "postgresql":
                    q = q.with_for_update()
                for old in conn.execute(q).all():
                    key = {f: getattr(old, f) for f in _KEY_FIELDS}
                    where = [a.c[f] == v for f, v in key.items()]
                    n = conn.execute(sa.select(sa.func.count()).select_from(a).where(*where)).scalar_one()
                    conn.execute(
                        sa.insert(a).values(
                            **key,
                            attempt=int(n) + 1,
                            error_kind=old.error_kind,
                            error=old.error,
                            latency_s=old.latency_s,
                            requests=old.attempts,
                            created_at=old.created_at,
                            replaced_at=replaced_at,
                        )
                    )
                    conn.execute(sa.delete(s.labels).where(*[s.labels.c[f] == v for f, v in key.items()]))
                    new = by_key[tuple(key[f] for f in _KEY_FIELDS)]
                    conn.execute(sa.update(t).where(*[t.c[f] == v for f, v in key.items()]).values(**{k: v for k, v in new.items() if k not in _KEY_FIELDS}))
                    written += 1
        return written

    @staticmethod
    def _response_row(r: Response) -> dict[str, Any]:
        return {
            **_key(r),
            "messages_json": json.dumps([m.model_dump() for m in r.messages], ensure_ascii=False),
            "output": r.output,
            "finish_reason": r.finish_reason,
            "blocked": r.blocked,
            "latency_s": r.latency_s,
            "input_tokens": r.input_tokens,
            "output_tokens": r.output_tokens,
            "model_version": r.model_version,
            "error_kind": r.error_kind.value if r.error_kind else None,
            "error": r.error,
            "attempts": r.attempts,
            "cached": r.cached,
            "created_at": r.created_at.isoformat(),
            "provenance": r.provenance or ("reused" if r.cached else "produced"),
            "source_run": r.source_run,
            "source_created_at": r.source_created_at.isoformat() if r.source_created_at else None,
            "attack_json": json.dumps(r.attack, ensure_ascii=False) if r.attack is not None else None,
        }

    def errored_keys(self, run_id: str) -> set[KeyTuple]:
        """Keys of ``run_id`` whose stored response is an error (what ``--retry-errors`` re-sends)."""
        t = s.responses
        with self.engine.connect() as conn:
            res = conn.execute(sa.select(t.c.suite_id, t.c.item_id, t.c.variant_id, t.c.epoch).where(t.c.run_id == run_id, t.c.error_kind.is_not(None)))
            return {(a, b, c, int(d)) for a, b, c, d in res}

    def iter_attempts(self, run_id: str) -> Iterator[dict[str, Any]]:
        """Every replaced outcome of ``run_id`` (oldest first per key), as plain dicts."""
        a = s.attempts_table
        q = sa.select(a).where(a.c.run_id == run_id).order_by(*self._key_order(a), a.c.attempt)
        with self.engine.connect() as conn:
            for row in conn.execute(q).yield_per(2000):
                yield dict(row._mapping)

    def done_keys(self, run_id: str) -> set[KeyTuple]:
        """Keys already stored for ``run_id`` (what a resumed run skips)."""
        t = s.responses
        with self.engine.connect() as conn:
            res = conn.execute(sa.select(t.c.suite_id, t.c.item_id, t.c.variant_id, t.c.epoch).where(t.c.run_id == run_id))
            return {(a, b, c, int(d)) for a, b, c, d in res}

    @staticmethod
    def _response_from_row(row: Any) -> Response:
        return Response(
            **_key(row),
            messages=[Message(**m) for m in json.loads(row.messages_json)],
            output=row.output,
            finish_reason=row.finish_reason,
            blocked=bool(row.blocked),
            latency_s=row.latency_s,
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            model_version=row.model_version,
            error_kind=ErrorKind(row.error_kind) if row.error_kind else None,
            error=row.error,
            attempts=row.attempts,
            cached=bool(row.cached),
            created_at=datetime.fromisoformat(row.created_at),
            provenance=row.provenance,
            source_run=row.source_run,
            source_created_at=datetime.fromisoformat(row.source_created_at) if row.source_created_at else None,
            attack=json.loads(row.attack_json) if getattr(row, "attack_json", None) else None,
        )

    def _key_order(self, t: sa.Table) -> list[Any]:
        """The key columns, sorting as Python sorts ``(suite_id, item_id, variant_id, epoch)``.

        Readers merge-join responses with labels in Python (``_export``), so the database must
        order text by code point: SQLite does by default, PostgreSQL only under ``COLLATE "C"``
        (a locale collation puts ``a1`` before ``B1``, and the merge would drop labels).
        """
        text: list[Any] = [t.c.suite_id, t.c.item_id, t.c.variant_id]
        if self.dialect == "postgresql":
            text = [c.collate("C") for c in text]
        return [*text, t.c.epoch]

    def iter_responses(self, run_id: str, page: int = 2000) -> Iterator[Response]:
        """All responses of a run in key order, read a page at a time (keyset pagination)."""
        t = s.responses
        cols = self._key_order(t)
        last: tuple[str, str, str, int] | None = None
        while True:
            q = sa.select(t).where(t.c.run_id == run_id)
            if last is not None:
                q = q.where(sa.tuple_(*cols) > sa.tuple_(*[sa.literal(v) for v in last]))
            q = q.order_by(*cols).limit(page)
            with self.engine.connect() as conn:
                rows = conn.execute(q).all()
            if not rows:
                return
            for row in rows:
                yield self._response_from_row(row)
            r = rows[-1]
            last = (r.suite_id, r.item_id, r.variant_id, r.epoch)

    def response_counts(self, run_id: str) -> dict[str, int]:
        """``{"responses", "ok", "blocked", "errors", "cached"}`` for a run."""
        t = s.responses
        q = sa.select(
            sa.func.count(),
            sa.func.sum(sa.case((t.c.error_kind.is_not(None), 1), else_=0)),
            sa.func.sum(sa.case((sa.and_(t.c.error_kind.is_(None), t.c.blocked == sa.true()), 1), else_=0)),
            sa.func.sum(sa.case((t.c.cached == sa.true(), 1), else_=0)),
            # cached responses have attempts 0: a retry is an attempt beyond the first, never fewer
            sa.func.sum(sa.case((t.c.attempts > 1, t.c.attempts - 1), else_=0)),
        ).where(t.c.run_id == run_id)
        with self.engine.connect() as conn:
            total, errors, blocked, cached, retries = conn.execute(q).one()
        total, errors, blocked, cached = int(total or 0), int(errors or 0), int(blocked or 0), int(cached or 0)
        return {
            "responses": total,
            "ok": total - errors - blocked,
            "blocked": blocked,
            "errors": errors,
            "cached": cached,
            "retries": int(retries or 0),
        }

    def provenance_counts(self, run_id: str) -> dict[str, Any]:
        """Where a run's responses came from: ``{"produced", "reused", "unknown", "sources"}``;
        ``sources`` counts reused responses by the run that produced them ("unknown" when the
        cache entry predates that record). ``unknown``: responses stored before provenance was.
        An imported run (issue 18) adds ``imported`` and names its log (``<tool>:sha256:...``)
        in ``sources``; the key is absent for runs with none."""
        t = s.responses
        q = sa.select(t.c.provenance, t.c.source_run, sa.func.count()).where(t.c.run_id == run_id).group_by(t.c.provenance, t.c.source_run)
        out: dict[str, Any] = {"produced": 0, "reused": 0, "unknown": 0, "sources": {}}
        with self.engine.connect() as conn:
            for provenance, source, n in conn.execute(q):
                kind = provenance if provenance in ("produced", "reused", "imported") else "unknown"
                out[kind] = out.get(kind, 0) + int(n)
                if kind in ("reused", "imported"):
                    name = source or "unknown"
                    out["sources"][name] = out["sources"].get(name, 0) + int(n)
        out["sources"] = dict(sorted(out["sources"].items()))
        return out

    def error_counts(self, run_id: str) -> dict[str, int]:
        t = s.responses
        q = (
            sa.select(t.c.error_kind, sa.func.count())
            .where(t.c.run_id == run_id, t.c.error_kind.is_not(None))
            .group_by(t.c.error_kind)
            .order_by(t.c.error_kind)
        )
        with self.engine.connect() as conn:
            return {k: int(n) for k, n in conn.execute(q)}

    # -- labels ----------------------------------------------------------------------
    def add_labels(self, labels: Sequence[Label]) -> int:
        """Insert labels; a (response, judge) pair already labelled is left untouched."""
        if not labels:
            return 0
        return self._insert_counting(s.labels, self._label_rows(labels))

    @staticmethod
    def _label_rows(labels: Sequence[Label]) -> list[dict[str, Any]]:
        return [
            {
                **_key(lb),
                "judge_id": lb.judge_id,
                "judge_version": lb.judge_version,
                "refusal": lb.refusal,
                "harmful": lb.harmful,
                "score": lb.score,
                "rationale": lb.rationale,
                "unassessed": lb.unassessed,
                "created_at": lb.created_at.isoformat(),
                "flags": json.dumps(lb.flags) if lb.flags else None,
            }
            for lb in labels
        ]

    def replace_labels(self, labels: Sequence[Label]) -> int:
        """Write ``labels`` over any stored label of the same (response, judge); returns how many.

        For relabelling after a judge changed version (``accord judge RUN --relabel``): a label
        is derived data, recomputable from the stored response, so replacing it on request
        loses nothing the run cannot give again. One upsert per batch (``ON CONFLICT DO
        UPDATE``), so each response keeps either its old label or its new one, never neither,
        and two relabels racing on PostgreSQL cannot trip over each other's rows.
        """
        if not labels:
            return 0
        from sqlalchemy.dialects import postgresql, sqlite

        t = s.labels
        insert = (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(t)
        keys = [c.name for c in t.primary_key.columns]
        stmt = insert.on_conflict_do_update(
            index_elements=keys, set_={c.name: insert.excluded[c.name] for c in t.columns if c.name not in keys}
        ).returning(t.c.run_id)
        with self._write() as conn:
            return len(conn.execute(stmt, self._label_rows(labels)).all())

    def labelled_keys(self, run_id: str, judge_id: str, version: str | None = None) -> set[KeyTuple]:
        """Keys this judge labelled in the run; with ``version``, only that version's labels."""
        t = s.labels
        q = sa.select(t.c.suite_id, t.c.item_id, t.c.variant_id, t.c.epoch).where(t.c.run_id == run_id, t.c.judge_id == judge_id)
        if version is not None:
            q = q.where(t.c.judge_version == version)
        with self.engine.connect() as conn:
            return {(a, b, c, int(d)) for a, b, c, d in conn.execute(q)}

    def iter_labels(self, run_id: str, judge_id: str | None = None) -> Iterator[Label]:
        t = s.labels
        q = sa.select(t).where(t.c.run_id == run_id)
        if judge_id is not None:
            q = q.where(t.c.judge_id == judge_id)
        q = q.order_by(*self._key_order(t), t.c.judge_id)
        with self.engine.connect() as conn:
            for row in conn.execute(q).yield_per(2000):
                yield Label(
                    **_key(row),
                    judge_id=row.judge_id,
                    judge_version=row.judge_version,
                    refusal=row.refusal,
                    harmful=row.harmful,
                    score=row.score,
                    rationale=row.rationale,
                    unassessed=row.unassessed,
                    flags=json.loads(row.flags) if row.flags else [],
                    created_at=datetime.fromisoformat(row.created_at),
                )

    def label_rows(self, run_id: str, judge_id: str) -> list[tuple[Any, ...]]:
        """One judge's labels of a run as plain rows (suite_id, item_id, variant_id, epoch,
        refusal, harmful, unassessed), unordered: the columnar read ``accord compare`` uses on
        runs of millions of labels (no ``Label`` built per row)."""
        t = s.labels
        q = sa.select(t.c.suite_id, t.c.item_id, t.c.variant_id, t.c.epoch, t.c.refusal, t.c.harmful, t.c.unassessed).where(
            t.c.run_id == run_id, t.c.judge_id == judge_id
        )
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(q)]

    def item_rows(self, run_id: str) -> list[tuple[str, str, str, str]]:
        """A run's items as (suite_id, item_id, hazard, intent) rows, without parsing the items."""
        t = s.items
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.select(t.c.suite_id, t.c.item_id, t.c.hazard, t.c.intent).where(t.c.run_id == run_id))]  # type: ignore[misc]

    def judges_for_run(self, run_id: str) -> list[tuple[str, str, int]]:
        """(judge_id, judge_version, labels) for every judge that labelled this run."""
        t = s.labels
        q = (
            sa.select(t.c.judge_id, t.c.judge_version, sa.func.count())
            .where(t.c.run_id == run_id)
            .group_by(t.c.judge_id, t.c.judge_version)
            .order_by(t.c.judge_id, t.c.judge_version)
        )
        with self.engine.connect() as conn:
            return [(a, b, int(n)) for a, b, n in conn.execute(q)]

    # -- reviews: people's decisions on responses (``accord judge review``) -----------
    def get_response(self, run_id: str, key: KeyTuple) -> Response | None:
        """The stored response of ``(suite_id, item_id, variant_id, epoch)`` in ``run_id``, if any."""
        t = s.responses
        suite_id, item_id, variant_id, epoch = key
        q = sa.select(t).where(
            t.c.run_id == run_id, t.c.suite_id == suite_id, t.c.item_id == item_id, t.c.variant_id == variant_id, t.c.epoch == epoch
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return None if row is None else self._response_from_row(row)

    def add_reviews(self, reviews: Sequence[ReviewDecision]) -> list[int]:
        """Append decisions in one transaction (all or none); returns the number each got.

        Never updates or deletes: a response's decisions are numbered from 1 in the order they
        were recorded, and the highest number is the one in force. Every decision must name a
        stored response of its run.
        """
        if not reviews:
            return []
        t, r = s.reviews, s.responses
        numbers: list[int] = []
        latest: dict[tuple[str, str, str, str, int], int] = {}
        with self._write() as conn:
            if self.dialect == "postgresql":  # numbering is check-then-write: one writer at a time
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(781246)"))
            for rv in reviews:
                key = (rv.run_id, *rv.key)
                where = [c == v for c, v in zip((t.c[f] for f in _KEY_FIELDS), key, strict=True)]
                if key not in latest:
                    match = [c == v for c, v in zip((r.c[f] for f in _KEY_FIELDS), key, strict=True)]
                    exists = conn.execute(sa.select(sa.func.count()).select_from(r).where(*match)).scalar_one()
                    if not exists:
                        raise AccordError(
                            f"run '{rv.run_id}' has no response {rv.suite_id}/{rv.item_id}/{rv.variant_id}#{rv.epoch}",
                            why="a review decision must name a stored response; nothing was recorded",
                        )
                    latest[key] = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(t.c.decision), 0)).where(*where)).scalar_one())
                latest[key] += 1
                numbers.append(latest[key])
                conn.execute(
                    sa.insert(t).values(
                        **_key(rv),
                        decision=latest[key],
                        harmful=rv.harmful,
                        refusal=rv.refusal,
                        reviewer=rv.reviewer,
                        note=rv.note,
                        decided_at=rv.decided_at.isoformat(),
                        reason=rv.reason,
                        overrides_json=json.dumps(rv.overrides, ensure_ascii=False),
                    )
                )
        return numbers

    def iter_reviews(self, run_id: str) -> Iterator[ReviewDecision]:
        """Every decision on ``run_id``'s responses, in key order, then oldest first per response."""
        t = s.reviews
        q = sa.select(t).where(t.c.run_id == run_id).order_by(*self._key_order(t), t.c.decision)
        with self.engine.connect() as conn:
            for row in conn.execute(q).yield_per(2000):
                yield ReviewDecision(
                    **_key(row),
                    decision=row.decision,
                    harmful=bool(row.harmful),
                    refusal=row.refusal,
                    reviewer=row.reviewer,
                    note=row.note,
                    decided_at=datetime.fromisoformat(row.decided_at),
                    reason=row.reason,
                    overrides=json.loads(row.overrides_json),
                )

    # -- judge validations (``accord judge validate --labels FILE --record``) ---------
    def add_judge_validation(self, rec: JudgeValidation) -> int:
        """Append ``rec`` (its ``id`` is ignored); return the id the store gave it.

        Append-only: nothing updates or deletes a validation, so every figure a score once
        used stays on record; a later validation of the same judge supersedes for scoring only.
        """
        t = s.judge_validations
        row = {
            "judge_id": rec.judge_id,
            "judge_version": rec.judge_version,
            "task": rec.task,
            "source": rec.source,
            "source_digest": rec.source_digest,
            "n": rec.n,
            "recorded_by": rec.recorded_by,
            "recorded_at": rec.recorded_at.isoformat(),
            "result_json": json.dumps(rec.result(), ensure_ascii=False, sort_keys=True),
        }
        with self._write() as conn:
            return int(conn.execute(sa.insert(t).values(**row).returning(t.c.id)).scalar_one())

    def iter_judge_validations(self, judge_id: str | None = None) -> Iterator[JudgeValidation]:
        """Recorded validations (of ``judge_id`` only, if given), oldest first."""
        t = s.judge_validations
        q = sa.select(t)
        if judge_id is not None:
            q = q.where(t.c.judge_id == judge_id)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(t.c.id)).all()
        for row in rows:
            result = json.loads(row.result_json)
            yield JudgeValidation(
                id=int(row.id),
                judge_id=row.judge_id,
                judge_version=row.judge_version,
                task=row.task,
                source=row.source,
                source_digest=row.source_digest,
                n=int(row.n),
                recorded_by=row.recorded_by,
                recorded_at=datetime.fromisoformat(row.recorded_at),
                overall=ConfusionCounts(**result["overall"]),
                by_locale={k: ConfusionCounts(**v) for k, v in result.get("by_locale", {}).items()},
            )

    # -- response cache --------------------------------------------------------------
    def cache_get_many(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Cached completions by key; each also carries ``_meta``: the producing run
        (``run_id``, None for entries written before accord recorded it) and ``created_at``."""
        if not keys:
            return {}
        t = s.cache
        out: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(keys), 500):
                chunk = list(keys[i : i + 500])
                q = sa.select(t.c.key, t.c.completion_json, t.c.run_id, t.c.created_at).where(t.c.key.in_(chunk))
                for key, payload, run_id, created_at in conn.execute(q):
                    out[key] = {**json.loads(payload), "_meta": {"run_id": run_id, "created_at": created_at}}
        return out

    def cache_put_many(self, entries: dict[str, dict[str, Any]], *, run_id: str | None = None) -> None:
        """Store completions produced by ``run_id``; a newer answer replaces an older one of the
        same key (so an entry's age is the age of the newest answer, and its run the one that gave it)."""
        if not entries:
            return
        now = _now()
        rows = [{"key": k, "completion_json": json.dumps(v, ensure_ascii=False), "created_at": now, "run_id": run_id} for k, v in entries.items()]
        t = s.cache
        with self._write() as conn:
            conn.execute(sa.delete(t).where(t.c.key.in_(list(entries))))
            conn.execute(self._insert_ignore(t), rows)  # a peer process may have put the same key meanwhile

    # -- artifacts (verdicts, attestations, reports) ---------------------------------
    def put_artifact(self, run_id: str, kind: str, name: str, payload: dict[str, Any]) -> None:
        """Store (or replace) a derived document of a run, e.g. kind="verdicts", name=pack id."""
        t = s.artifacts
        with self._write() as conn:
            conn.execute(sa.delete(t).where(t.c.run_id == run_id, t.c.kind == kind, t.c.name == name))
            conn.execute(
                sa.insert(t).values(run_id=run_id, kind=kind, name=name, payload_json=json.dumps(payload, ensure_ascii=False), created_at=_now())
            )

    def get_artifacts(self, run_id: str, kind: str) -> dict[str, dict[str, Any]]:
        t = s.artifacts
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.name, t.c.payload_json).where(t.c.run_id == run_id, t.c.kind == kind).order_by(t.c.name)).all()
        return {name: json.loads(p) for name, p in rows}
