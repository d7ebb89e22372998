"""People's review decisions in the store (``m005_reviews``), on SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from accord.errors import AccordError
from accord.records import Label, Message, Response
from accord.store import MAX_NOTE_CHARS, ReviewDecision, Store, write_export
from tests.unit.store._helpers import make_run

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _store(url: str) -> Store:
    st = Store.open(url)
    st.create_or_resume_run(make_run("r1", 3))
    st.add_responses(
        [
            Response(run_id="r1", suite_id="s", item_id=f"i{i}", messages=[Message(role="user", content="q")], output=f"a{i}", epoch=e)
            for i in range(3)
            for e in (0, 1)
        ]
    )
    return st


def _rv(item: str = "i1", *, epoch: int = 0, harmful: bool = True, at: datetime = T0, **kw: object) -> ReviewDecision:
    base: dict[str, object] = dict(
        run_id="r1",
        suite_id="s",
        item_id=item,
        epoch=epoch,
        harmful=harmful,
        refusal="none",
        reviewer="Ada",
        decided_at=at,
        reason="floor-harmful",
    )
    base.update(kw)
    return ReviewDecision(**base)  # type: ignore[arg-type]


def test_migration_creates_the_reviews_table(db_url: str) -> None:
    st = Store.open(db_url)
    with st.engine.connect() as conn:
        names = {r[0] for r in conn.execute(sa.text("SELECT name FROM _accord_migrations"))}
        cols = {c["name"] for c in sa.inspect(conn).get_columns("reviews")}
    assert "m005_reviews" in names
    assert {
        "run_id",
        "suite_id",
        "item_id",
        "variant_id",
        "epoch",
        "decision",
        "harmful",
        "refusal",
        "reviewer",
        "note",
        "decided_at",
        "reason",
        "overrides_json",
    } <= cols
    st.close()


def test_decisions_are_appended_numbered_and_read_back(db_url: str) -> None:
    st = _store(db_url)
    overrides = [{"judge_id": "embedded", "judge_version": "3+abc", "refusal": "none", "harmful": True, "unassessed": None}]
    assert st.add_reviews([_rv(overrides=overrides, note="steps for X, 中文")]) == [1]
    # a later decision on the same response supersedes; the first stays
    assert st.add_reviews([_rv(harmful=False, at=T0 + timedelta(hours=1), reviewer="Grace", refusal="partial")]) == [2]
    # one transaction, numbering per response, the same response twice in a batch
    assert st.add_reviews([_rv("i2"), _rv("i1", epoch=1), _rv("i2", harmful=False)]) == [1, 1, 2]
    got = list(st.iter_reviews("r1"))
    assert [(r.item_id, r.epoch, r.decision) for r in got] == [("i1", 0, 1), ("i1", 0, 2), ("i1", 1, 1), ("i2", 0, 1), ("i2", 0, 2)]
    first, second = got[0], got[1]
    assert first.harmful is True and first.reviewer == "Ada" and first.note == "steps for X, 中文" and first.overrides == overrides
    assert first.decided_at == T0 and first.reason == "floor-harmful"
    assert second.harmful is False and second.reviewer == "Grace" and second.refusal == "partial" and second.overrides == []
    assert list(st.iter_reviews("other-run")) == []
    st.close()


def test_a_decision_on_a_response_that_is_not_stored_writes_nothing(db_url: str) -> None:
    st = _store(db_url)
    with pytest.raises(AccordError, match="has no response s/nope/none#0"):
        st.add_reviews([_rv("i1"), _rv("nope")])
    assert list(st.iter_reviews("r1")) == []  # all or none
    st.close()


def test_the_record_bounds_what_it_holds() -> None:
    with pytest.raises(ValidationError):
        _rv(note="x" * (MAX_NOTE_CHARS + 1))
    with pytest.raises(ValidationError):
        _rv(reviewer="")
    with pytest.raises(ValidationError):
        _rv(refusal="sometimes")


def test_get_response_by_key(db_url: str) -> None:
    st = _store(db_url)
    r = st.get_response("r1", ("s", "i2", "none", 1))
    assert r is not None and r.output == "a2" and r.epoch == 1
    assert st.get_response("r1", ("s", "i2", "none", 7)) is None
    assert st.get_response("r2", ("s", "i2", "none", 1)) is None
    st.close()


def test_export_carries_the_decisions(db_url: str) -> None:
    st = _store(db_url)
    st.add_labels([Label(run_id="r1", suite_id="s", item_id="i1", judge_id="embedded", judge_version="1", refusal="none", harmful=True)])
    st.add_reviews([_rv(), _rv(harmful=False, at=T0 + timedelta(minutes=5))])
    buf = io.StringIO()
    write_export(st, "r1", "jsonl", buf)
    recs = [json.loads(line) for line in buf.getvalue().splitlines()]
    by = {(r["item_id"], r["epoch"]): r for r in recs}
    assert [d["decision"] for d in by[("i1", 0)]["reviews"]] == [1, 2]
    assert by[("i1", 0)]["reviews"][-1]["harmful"] is False and by[("i1", 0)]["reviews"][0]["reviewer"] == "Ada"
    assert all(r["reviews"] == [] for k, r in by.items() if k != ("i1", 0))
    buf = io.StringIO()
    write_export(st, "r1", "csv", buf)
    header, *rows = buf.getvalue().splitlines()
    assert header.endswith(",labels,reviews")
    assert sum('""decision"": 2' in row for row in rows) == 1
    st.close()
