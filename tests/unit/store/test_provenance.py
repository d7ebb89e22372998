"""m006: each response's provenance (produced now, or reused from the cache: which run, when)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import sqlalchemy as sa

from accord.records import Message, Response
from accord.store import Store, write_export
from tests.unit.store._helpers import make_run

OLD_ROW = (
    "INSERT INTO responses (run_id, suite_id, item_id, variant_id, epoch, messages_json, output, blocked, attempts, cached, created_at)"
    " VALUES ('r1', 's', 'i0', 'none', 0, '[{\"role\": \"user\", \"content\": \"q\"}]', 'a', 0, 0, 1, '2026-01-01T00:00:00+00:00')"
)


def _downgrade_to_m005(url: str) -> None:
    """A database as accord before m006 left it: no provenance columns, no m006 record."""
    with sa.create_engine(url).begin() as conn:
        for col in ("provenance", "source_run", "source_created_at"):
            conn.exec_driver_sql(f"ALTER TABLE responses DROP COLUMN {col}")
        conn.exec_driver_sql("ALTER TABLE response_cache DROP COLUMN run_id")
        conn.exec_driver_sql("DELETE FROM _accord_migrations WHERE name = 'm006_response_provenance'")


def test_migration_on_an_old_store_shows_unknown_provenance(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    st = Store.open(url)
    st.create_or_resume_run(make_run("r1", 2))
    st.close()
    _downgrade_to_m005(url)
    with sa.create_engine(url).begin() as conn:
        conn.exec_driver_sql(OLD_ROW)
        conn.exec_driver_sql("INSERT INTO response_cache (key, completion_json, created_at) VALUES ('k', '{\"text\": \"a\"}', '2026-01-01T00:00:00+00:00')")
    st = Store.open(url)  # applies m006
    with st.engine.connect() as conn:
        names = {r[0] for r in conn.execute(sa.text("SELECT name FROM _accord_migrations"))}
    assert "m006_response_provenance" in names
    (old,) = list(st.iter_responses("r1"))
    assert old.cached and old.provenance is None and old.source_run is None and old.source_created_at is None
    assert st.cache_get_many(["k"])["k"]["_meta"] == {"run_id": None, "created_at": "2026-01-01T00:00:00+00:00"}
    st.add_responses([Response(run_id="r1", suite_id="s", item_id="i1", messages=[Message(role="user", content="q")], output="b")])
    assert st.provenance_counts("r1") == {"produced": 1, "reused": 0, "unknown": 1, "sources": {}}
    buf = io.StringIO()
    write_export(st, "r1", "jsonl", buf)
    recs = {r["item_id"]: r for r in map(json.loads, buf.getvalue().splitlines())}
    assert recs["i0"]["provenance"] == "unknown" and recs["i0"]["source_run"] is None
    assert recs["i1"]["provenance"] == "produced"
    csv_buf = io.StringIO()
    write_export(st, "r1", "csv", csv_buf)
    assert "provenance,source_run,source_created_at" in csv_buf.getvalue().splitlines()[0]
    st.close()


def test_reused_response_roundtrip(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    st = Store.open(f"sqlite:///{tmp_path / 'a.db'}")
    st.create_or_resume_run(make_run("r2", 1))
    when = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    r = Response(
        run_id="r2", suite_id="s", item_id="i0", messages=[Message(role="user", content="q")], output="a",
        attempts=0, cached=True, provenance="reused", source_run="r0", source_created_at=when,
    )  # fmt: skip
    st.add_responses([r])
    (back,) = list(st.iter_responses("r2"))
    assert (back.provenance, back.source_run, back.source_created_at) == ("reused", "r0", when)
    assert st.provenance_counts("r2") == {"produced": 0, "reused": 1, "unknown": 0, "sources": {"r0": 1}}
    buf = io.StringIO()
    write_export(st, "r2", "jsonl", buf)
    rec = json.loads(buf.getvalue())
    assert (rec["provenance"], rec["source_run"], rec["source_created_at"]) == ("reused", "r0", when.isoformat())
    st.close()


# The attested run of tests/unit/attest/test_evidence.py: 13 responses written by the test directly
# (so provenance "produced", none reused).
from tests.unit.attest.test_evidence import scored  # noqa: E402, F401


def test_the_statement_says_how_many_responses_were_reused(scored: tuple[str, Path, Path]) -> None:  # noqa: F811
    import base64

    _db, env, _pub = scored
    statement = json.loads(base64.b64decode(json.loads(env.read_text())["payload"]))
    assert statement["predicate"]["responseProvenance"] == {"produced": 13, "reused": 0, "unknown": 0, "sources": {}}
