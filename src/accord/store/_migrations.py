"""Append-only schema migrations, recorded in ``_accord_migrations``.

Never edit or reorder an entry once released: add ``m00N_...`` at the end. A database that
has a migration this accord does not know was written by a newer accord; we refuse to touch
it rather than guess (``StoreError``), so an older install can never damage newer data.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from accord.errors import StoreError
from accord.store import _schema as s

Migration = Callable[[sa.Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_initial(conn: sa.Connection) -> None:
    # Tables as first released, with their indexes (declared in _schema.py). Later
    # migrations must use explicit DDL (op-style), not the current table objects.
    for table in (s.runs, s.items, s.responses, s.labels, s.cache, s.artifacts):
        table.create(conn, checkfirst=True)


def migrate(conn: sa.Connection, now: str) -> list[str]:
    """Apply pending migrations in order; return the names applied."""
    s.migrations.create(conn, checkfirst=True)
    done = {row[0] for row in conn.execute(sa.select(s.migrations.c.name))}
    known = {name for name, _ in MIGRATIONS}
    unknown = sorted(done - known)
    if unknown:
        raise StoreError(
            f"this database was written by a newer accord (unknown migrations: {', '.join(unknown)})",
            why="opening it with this version could misread or damage its data",
            fix="upgrade accord (pip install -U accord) or use another --db",
        )
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        fn(conn)
        conn.execute(sa.insert(s.migrations).values(name=name, applied_at=now))
        applied.append(name)
    return applied


# -- later migrations: explicit DDL on frozen copies of the tables, never the current objects.
# m001 creates the *current* definitions of its tables, so on a fresh database a column that a
# later migration adds may already be there: ``_add_column`` checks first.


def _add_column(conn: sa.Connection, table: str, column: sa.Column[object]) -> None:
    if column.name in {c["name"] for c in sa.inspect(conn).get_columns(table)}:
        return
    ddl = f"ALTER TABLE {table} ADD COLUMN {column.name} {column.type.compile(dialect=conn.dialect)}"
    if not column.nullable:
        ddl += f" NOT NULL DEFAULT {column.server_default.arg}"  # type: ignore[union-attr]
    conn.exec_driver_sql(ddl)


def _key_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("run_id", sa.String(200), primary_key=True),
        sa.Column("suite_id", sa.String(200), primary_key=True),
        sa.Column("item_id", sa.String(400), primary_key=True),
        sa.Column("variant_id", sa.String(400), primary_key=True),
        sa.Column("epoch", sa.Integer, primary_key=True),
    ]


@migration
def m002_response_attempts(conn: sa.Connection) -> None:
    # Every outcome a retried response key replaced (``--retry-errors``).
    sa.Table(
        "response_attempts",
        sa.MetaData(),
        *_key_columns(),
        sa.Column("attempt", sa.Integer, primary_key=True),
        sa.Column("error_kind", sa.String(40)),
        sa.Column("error", sa.Text),
        sa.Column("latency_s", sa.Float),
        sa.Column("requests", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("replaced_at", sa.String(40), nullable=False),
    ).create(conn, checkfirst=True)


@migration
def m003_leases_and_heartbeat(conn: sa.Connection) -> None:
    # Shard leases (disjoint work for processes sharing a run) and the run's heartbeat.
    sa.Table(
        "leases",
        sa.MetaData(),
        sa.Column("run_id", sa.String(200), primary_key=True),
        sa.Column("shard", sa.Integer, primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("finished", sa.Boolean, nullable=False),
    ).create(conn, checkfirst=True)
    _add_column(conn, "runs", sa.Column("shard_size", sa.Integer, nullable=False, server_default="256"))
    _add_column(conn, "runs", sa.Column("alive_until", sa.Float))


@migration
def m004_label_flags(conn: sa.Connection) -> None:
    # ``Label.flags`` (other-language, cut-off): a JSON list, NULL for labels written before.
    _add_column(conn, "labels", sa.Column("flags", sa.Text))


@migration
def m005_reviews(conn: sa.Connection) -> None:
    # People's decisions on responses (``accord judge review``), every one kept.
    sa.Table(
        "reviews",
        sa.MetaData(),
        *_key_columns(),
        sa.Column("decision", sa.Integer, primary_key=True),
        sa.Column("harmful", sa.Boolean, nullable=False),
        sa.Column("refusal", sa.String(10)),
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("decided_at", sa.String(40), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("overrides_json", sa.Text, nullable=False),
    ).create(conn, checkfirst=True)


@migration
def m006_response_provenance(conn: sa.Connection) -> None:
    # Where each response came from (produced now, or reused from the cache: which run, when),
    # and which run produced each cache entry. Rows written before stay NULL: unknown.
    _add_column(conn, "responses", sa.Column("provenance", sa.String(20)))
    _add_column(conn, "responses", sa.Column("source_run", sa.String(200)))
    _add_column(conn, "responses", sa.Column("source_created_at", sa.String(40)))
    _add_column(conn, "response_cache", sa.Column("run_id", sa.String(200)))


@migration
def m007_judge_validations(conn: sa.Connection) -> None:
    # Judges scored against a user's labelled file (``accord judge validate --labels --record``),
    # every one kept (append-only); scoring reads the confusion counts per label and language.
    sa.Table(
        "judge_validations",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("judge_id", sa.String(400), nullable=False),
        sa.Column("judge_version", sa.String(100), nullable=False),
        sa.Column("task", sa.String(20), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_digest", sa.String(80), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("recorded_by", sa.String(200)),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("result_json", sa.Text, nullable=False),
        sa.Index("ix_judge_validations_judge", "judge_id"),
        sqlite_autoincrement=True,
    ).create(conn, checkfirst=True)


@migration
def m008_response_attack(conn: sa.Connection) -> None:
    # What an attack did for a response (issue 19): the attack spec, and for a multi-turn
    # strategy every attacker prompt, target turn and judge score. NULL for plain items.
    _add_column(conn, "responses", sa.Column("attack_json", sa.Text))


@migration
def m009_service_orgs(conn: sa.Connection) -> None:
    # The service (issue 20): organisations, members, API tokens (stored as digests), and the
    # private hash-chained audit log of every authorisation decision.
    from accord.store._orgs import create_tables

    create_tables(conn)


@migration
def m010_service_results(conn: sa.Connection) -> None:
    # The service: published attestations with their evidence bundles, disclosure grants and
    # what each grant disclosed.
    from accord.store._published import create_tables

    create_tables(conn)


@migration
def m011_service_incidents(conn: sa.Connection) -> None:
    # The service: incidents and their append-only signed versions, recipients for TLP.
    from accord.store._incidents import create_tables

    create_tables(conn)


@migration
def m012_federation(conn: sa.Connection) -> None:
    # Federation (issue 21): peers and the cosignatures of their logs; on incidents and their
    # versions, the distribution level here, the source peer, retraction and hidden content.
    from accord.store._federation import create_tables
    from accord.store._incidents import federation_incident_columns, federation_version_columns

    create_tables(conn)
    for column in federation_incident_columns():
        _add_column(conn, "service_incidents", column)
    for column in federation_version_columns():
        _add_column(conn, "service_incident_versions", column)
