"""The results database behind one interface: SQLite embedded, PostgreSQL shared.

Responses are written once: inserts ignore a key that is already there, so a resumed or
doubly-delivered batch can never duplicate or overwrite a stored response. Everything is
streamed (``iter_*`` read in pages) so memory does not grow with the size of a run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from accord.errors import AccordError, StoreError
from accord.records import ErrorKind, Label, Message, Response
from accord.store import _schema as s
from accord.store._migrations import migrate
from accord.store._records import RunInfo, SuiteRef

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
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Store:
    """Open with ``Store.open(url)``; ``None`` means ``ACCORD_DB`` or the embedded SQLite file."""

    def __init__(self, engine: sa.Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self.dialect = engine.dialect.name

    # -- lifecycle -------------------------------------------------------------------
    @classmethod
    def open(cls, url: str | None = None, *, create: bool = True) -> Store:
        """Open (and migrate) the store at ``url``.

        ``create=False`` is for commands that only read: a mistyped ``--db`` path then fails
        with the path it looked at, instead of silently creating an empty database.
        """
        from accord.paths import default_db_url

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
                Path(db_path).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(norm, connect_args={"timeout": 30})
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        elif parsed.get_backend_name() == "postgresql":
            try:
                import psycopg  # noqa: F401  (the driver SQLAlchemy will load)
            except ImportError:
                from accord.errors import MissingDependencyError

                raise MissingDependencyError("PostgreSQL stores", "postgres", "psycopg") from None
            engine = sa.create_engine(norm, pool_pre_ping=True)
        else:
            raise StoreError(f"unsupported database {parsed.get_backend_name()!r}", fix="use sqlite:///PATH or postgresql://...")
        store = cls(engine, raw)
        store._ensure_schema()
        return store

    def _ensure_schema(self) -> None:
        try:
            with self.engine.connect() as conn:
                insp = sa.inspect(conn)
                if insp.has_table(s.migrations.name):
                    from accord.store._migrations import MIGRATIONS

                    done = {r[0] for r in conn.execute(sa.select(s.migrations.c.name))}
                    if done == {name for name, _ in MIGRATIONS}:
                        return  # the common case: nothing to do, no lock taken
            with self.engine.begin() as conn:
                if self.dialect == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(781245)"))
                else:
                    conn.exec_driver_sql("SELECT 1")  # BEGIN is issued lazily; take the write lock now
                migrate(conn, _now())
        except sa.exc.DatabaseError as exc:  # OperationalError (unreachable, locked) or "file is not a database"
            raise StoreError(f"cannot open database {self.url!r}: {exc.orig}", fix="check the --db URL / ACCORD_DB and that the server is running") from exc

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        with self.engine.begin() as conn:
            return len(conn.execute(stmt, rows).all())

    # -- runs ------------------------------------------------------------------------
    def create_or_resume_run(self, run: RunInfo) -> tuple[RunInfo, bool]:
        """Create ``run``, or return the stored one if the same run id exists.

        Resuming is only allowed with the same target digest and suite digests: anything else
        would mix two different experiments under one id.
        """
        existing = self.get_run(run.run_id)
        if existing is None:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(s.runs).values(**self._run_row(run)))
            return run, False
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
        self.set_run_status(run.run_id, "running")
        return existing, True

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
        }

    @staticmethod
    def _run_from_row(row: Any) -> RunInfo:
        return RunInfo(
            run_id=row.run_id,
            created_at=datetime.fromisoformat(row.created_at),
            updated_at=datetime.fromisoformat(row.updated_at),
            status=row.status,
            target=row.target,
            target_digest=row.target_digest,
            suites=[SuiteRef(**x) for x in json.loads(row.suites_json)],
            params=json.loads(row.params_json),
            epochs=row.epochs,
            n_items=row.n_items,
            accord_version=row.accord_version,
            meta=json.loads(row.meta_json or "{}"),
        )

    def get_run(self, run_id: str) -> RunInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(s.runs).where(s.runs.c.run_id == run_id)).first()
        return self._run_from_row(row) if row else None

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
        return [self._run_from_row(r) for r in rows]

    def set_run_status(self, run_id: str, status: str, *, n_items: int | None = None, meta: dict[str, Any] | None = None) -> None:
        values: dict[str, Any] = {"status": status, "updated_at": _now()}
        if n_items is not None:
            values["n_items"] = n_items
        if meta is not None:
            values["meta_json"] = json.dumps(meta, sort_keys=True)
        with self.engine.begin() as conn:
            conn.execute(sa.update(s.runs).where(s.runs.c.run_id == run_id).values(**values))

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
            with self.engine.begin() as conn:
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
    def add_responses(self, responses: Sequence[Response]) -> int:
        """Insert responses; keys already stored are left untouched. Returns rows inserted."""
        if not responses:
            return 0
        rows = [
            {
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
            }
            for r in responses
        ]
        return self._insert_counting(s.responses, rows)

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
            sa.func.sum(t.c.attempts),
        ).where(t.c.run_id == run_id)
        with self.engine.connect() as conn:
            total, errors, blocked, cached, attempts = conn.execute(q).one()
        total, errors, blocked, cached = int(total or 0), int(errors or 0), int(blocked or 0), int(cached or 0)
        return {
            "responses": total,
            "ok": total - errors - blocked,
            "blocked": blocked,
            "errors": errors,
            "cached": cached,
            "retries": int(attempts or 0) - total,
        }

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
        with self.engine.begin() as conn:
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
                    created_at=datetime.fromisoformat(row.created_at),
                )

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

    # -- response cache --------------------------------------------------------------
    def cache_get_many(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not keys:
            return {}
        t = s.cache
        out: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(keys), 500):
                chunk = list(keys[i : i + 500])
                for key, payload in conn.execute(sa.select(t.c.key, t.c.completion_json).where(t.c.key.in_(chunk))):
                    out[key] = json.loads(payload)
        return out

    def cache_put_many(self, entries: dict[str, dict[str, Any]]) -> None:
        if not entries:
            return
        now = _now()
        rows = [{"key": k, "completion_json": json.dumps(v, ensure_ascii=False), "created_at": now} for k, v in entries.items()]
        with self.engine.begin() as conn:
            conn.execute(self._insert_ignore(s.cache), rows)

    # -- artifacts (verdicts, attestations, reports) ---------------------------------
    def put_artifact(self, run_id: str, kind: str, name: str, payload: dict[str, Any]) -> None:
        """Store (or replace) a derived document of a run, e.g. kind="verdicts", name=pack id."""
        t = s.artifacts
        with self.engine.begin() as conn:
            conn.execute(sa.delete(t).where(t.c.run_id == run_id, t.c.kind == kind, t.c.name == name))
            conn.execute(
                sa.insert(t).values(run_id=run_id, kind=kind, name=name, payload_json=json.dumps(payload, ensure_ascii=False), created_at=_now())
            )

    def get_artifacts(self, run_id: str, kind: str) -> dict[str, dict[str, Any]]:
        t = s.artifacts
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.name, t.c.payload_json).where(t.c.run_id == run_id, t.c.kind == kind).order_by(t.c.name)).all()
        return {name: json.loads(p) for name, p in rows}
