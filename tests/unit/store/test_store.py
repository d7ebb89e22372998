"""One store test suite, run against SQLite and a real PostgreSQL server (``db_url``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from accord.errors import AccordError, StoreError
from accord.records import ErrorKind, Label, Message, Response
from accord.store import Store, SuiteRef
from accord.suites import Item
from tests.unit.store._helpers import make_run

_run = make_run


def _resp(i: int, **kw: object) -> Response:
    base = dict(run_id="r1", suite_id="s", item_id=f"i{i}", messages=[Message(role="user", content=f"q{i} 中文")], output=f"a{i}")
    base.update(kw)
    return Response(**base)  # type: ignore[arg-type]


def test_schema_is_recorded_and_reopen_is_idempotent(db_url: str) -> None:
    st = Store.open(db_url)
    st.close()
    st = Store.open(db_url)
    with st.engine.connect() as conn:
        names = [r[0] for r in conn.execute(sa.text("SELECT name FROM _accord_migrations"))]
        cols = {c["name"] for c in sa.inspect(conn).get_columns("responses")}
    from accord.store._migrations import MIGRATIONS

    assert sorted(names) == [n for n, _ in MIGRATIONS][: len(names)] and names[0] == "m001_initial"
    assert len(names) == len(MIGRATIONS)
    assert {"run_id", "suite_id", "item_id", "variant_id", "epoch", "output", "error_kind", "blocked"} <= cols
    st.close()


def test_newer_database_is_refused_and_left_intact(db_url: str) -> None:
    st = Store.open(db_url)
    st.create_or_resume_run(_run())
    with st.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO _accord_migrations (name, applied_at) VALUES ('m999_from_the_future', 'x')"))
    st.close()
    with pytest.raises(StoreError, match="newer accord"):
        Store.open(db_url)
    # the data is still there for the newer accord
    eng = sa.create_engine(_norm(db_url))
    with eng.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM runs")).scalar_one() == 1
    eng.dispose()


def _norm(url: str) -> str:
    from accord.store._store import _normalise_url

    return _normalise_url(url)


def test_responses_are_written_once(db_url: str) -> None:
    st = Store.open(db_url)
    st.create_or_resume_run(_run())
    assert st.add_responses([_resp(i) for i in range(3)]) == 3
    # a redelivered batch, and one overlapping with new keys: only the new key lands
    assert st.add_responses([_resp(0, output="CHANGED"), _resp(1), _resp(3)]) == 1
    outs = {r.item_id: r.output for r in st.iter_responses("r1")}
    assert outs == {"i0": "a0", "i1": "a1", "i2": "a2", "i3": "a3"}
    assert st.done_keys("r1") == {("s", f"i{i}", "none", 0) for i in range(4)}


def test_counts_distinguish_ok_blocked_and_errors(db_url: str) -> None:
    st = Store.open(db_url)
    st.create_or_resume_run(_run())
    st.add_responses(
        [
            _resp(0),
            _resp(1, output=None, blocked=True, finish_reason="content_filter"),
            _resp(2, output=None, error_kind=ErrorKind.timeout, error="timed out", attempts=6),
            _resp(3, output=None, error_kind=ErrorKind.timeout, error="timed out", attempts=6),
            _resp(4, output=None, error_kind=ErrorKind.missing_record, error="no record"),
        ]
    )
    c = st.response_counts("r1")
    assert (c["responses"], c["ok"], c["blocked"], c["errors"], c["retries"]) == (5, 1, 1, 3, 10)
    assert st.error_counts("r1") == {"missing_record": 1, "timeout": 2}
    back = {r.item_id: r for r in st.iter_responses("r1")}
    assert back["i1"].status == "blocked" and back["i2"].error_kind is ErrorKind.timeout
    assert back["i0"].messages[0].content == "q0 中文"


def test_paging_returns_every_response_once(db_url: str) -> None:
    st = Store.open(db_url)
    st.create_or_resume_run(_run())
    rs = [_resp(i, epoch=e, variant_id=v) for i in range(7) for e in range(2) for v in ("none", "b64")]
    st.add_responses(rs)
    got = [r.key for r in st.iter_responses("r1", page=3)]
    assert len(got) == len(set(got)) == 28


def test_resume_requires_same_target_and_suites(db_url: str) -> None:
    st = Store.open(db_url)
    run, resumed = st.create_or_resume_run(_run())
    assert not resumed
    _, resumed = st.create_or_resume_run(_run())
    assert resumed
    with pytest.raises(StoreError, match="different target"):
        st.create_or_resume_run(_run(digest="sha256:other"))
    with pytest.raises(StoreError, match="different suites"):
        st.create_or_resume_run(_run(suites=[SuiteRef(suite_id="s", digest="sha256:changed", n_items=3)]))
    with pytest.raises(AccordError, match="no run 'nope'"):
        st.require_run("nope")


def test_items_labels_cache_and_artifacts_roundtrip(db_url: str) -> None:
    st = Store.open(db_url)
    st.create_or_resume_run(_run())
    items = [
        Item(suite_id="s", item_id=f"i{i}", messages=[Message(role="user", content=f"q{i}")], hazard="privacy", intent="benign", locale="zh-CN")
        for i in range(5)
    ]
    st.add_items("r1", items)
    st.add_items("r1", items)  # idempotent
    assert list(st.iter_items("r1", page=2)) == items
    lbl = Label(run_id="r1", suite_id="s", item_id="i0", judge_id="embedded", judge_version="1", refusal="full", harmful=False)
    bad = Label(run_id="r1", suite_id="s", item_id="i1", judge_id="embedded", judge_version="1", unassessed="error:timeout")
    assert st.add_labels([lbl, bad]) == 2
    assert st.add_labels([lbl]) == 0
    got = list(st.iter_labels("r1", "embedded"))
    assert [(x.refusal, x.harmful, x.unassessed) for x in got] == [("full", False, None), (None, None, "error:timeout")]
    assert st.labelled_keys("r1", "embedded") == {("s", "i0", "none", 0), ("s", "i1", "none", 0)}
    assert st.judges_for_run("r1") == [("embedded", "1", 2)]
    st.cache_put_many({"k1": {"text": "x"}})
    st.cache_put_many({"k1": {"text": "y"}}, run_id="r1")  # issue 15: the newest answer replaces an older one
    got_cache = st.cache_get_many(["k1", "k2"])
    assert list(got_cache) == ["k1"] and got_cache["k1"]["text"] == "y" and got_cache["k1"]["_meta"]["run_id"] == "r1"
    st.put_artifact("r1", "verdicts", "floor", {"ok": True})
    st.put_artifact("r1", "verdicts", "floor", {"ok": False})
    assert st.get_artifacts("r1", "verdicts") == {"floor": {"ok": False}}


def test_bad_url_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="unsupported database"):
        Store.open("mysql://x/y")


def test_read_only_open_refuses_a_missing_or_foreign_sqlite_file(tmp_path: Path) -> None:
    missing = tmp_path / "sub" / "none.db"
    with pytest.raises(StoreError, match="no results database"):
        Store.open(f"sqlite:///{missing}", create=False)
    assert not missing.parent.exists()
    foreign = tmp_path / "notes.db"
    foreign.write_text("not a database\n" * 100)
    with pytest.raises(StoreError, match="not a database"):
        Store.open(f"sqlite:///{foreign}")


def test_export_keeps_every_label_whatever_the_collation(db_url: str) -> None:
    """Export merge-joins responses and labels in Python: the database must sort ids by code
    point (PostgreSQL's locale collations put 'a1' before 'B1' and labels were lost)."""
    from accord.store._export import iter_export_records

    st = Store.open(db_url)
    st.create_or_resume_run(_run())
    ids = ["B1", "a1", "a-2", "a2", "Z", "_x"]
    st.add_responses([_resp(0, item_id=i) for i in ids])
    st.add_labels([Label(run_id="r1", suite_id="s", item_id=i, judge_id="j", judge_version="1", refusal="none") for i in ids])
    assert [r.item_id for r in st.iter_responses("r1", page=2)] == sorted(ids)
    records = list(iter_export_records(st, "r1"))
    assert [r["item_id"] for r in records] == sorted(ids)
    assert all(len(r["labels"]) == 1 for r in records)
    st.close()
