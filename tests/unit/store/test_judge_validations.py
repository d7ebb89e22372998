"""Judges' recorded validations in the store (``m007_judge_validations``), on SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from accord.store import ConfusionCounts, JudgeValidation, ResultStore, Store
from tests.unit.store._helpers import make_run

T0 = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
DIGEST = "sha256:" + "ab" * 32


def _counts(cm: list[list[int]], classes: tuple[str, ...] = ("false", "true"), n: int | None = None) -> ConfusionCounts:
    total = sum(map(sum, cm))
    return ConfusionCounts(classes=classes, confusion=tuple(map(tuple, cm)), n=total if n is None else n, n_assessed=total)


def _rec(judge: str = "embedded", version: str = "4+abc", *, at: datetime = T0, **kw: object) -> JudgeValidation:
    zh = _counts([[5, 1], [2, 7]], n=16)  # one row unassessed
    en = _counts([[10, 0], [1, 9]])
    overall = _counts([[15, 1], [3, 16]], n=36)
    base: dict[str, object] = dict(
        judge_id=judge,
        judge_version=version,
        task="harmful",
        source="zh-labels.jsonl",
        source_digest=DIGEST,
        n=36,
        recorded_by="Ada 中文",
        recorded_at=at,
        overall=overall,
        by_locale={"zh": zh, "en": en},
    )
    base.update(kw)
    return JudgeValidation(**base)  # type: ignore[arg-type]


def _names(st: Store) -> set[str]:
    with st.engine.connect() as conn:
        return {r[0] for r in conn.execute(sa.text("SELECT name FROM _accord_migrations"))}


def test_migration_creates_the_table(db_url: str) -> None:
    st = Store.open(db_url)
    assert "m007_judge_validations" in _names(st)
    with st.engine.connect() as conn:
        cols = {c["name"] for c in sa.inspect(conn).get_columns("judge_validations")}
    assert cols == {
        "id",
        "judge_id",
        "judge_version",
        "task",
        "source",
        "source_digest",
        "n",
        "recorded_by",
        "recorded_at",
        "result_json",
    }
    assert isinstance(st, ResultStore)  # the protocol names the new methods, and Store has them
    st.close()


def test_round_trip_oldest_first_and_filtered(db_url: str) -> None:
    st = Store.open(db_url)
    assert list(st.iter_judge_validations()) == []
    first = _rec()
    i1 = st.add_judge_validation(first)
    i2 = st.add_judge_validation(_rec("pattern", "1", at=T0 + timedelta(days=1)))
    refusal = _counts([[3, 1, 0], [0, 2, 1], [0, 1, 4]], classes=("none", "partial", "full"))
    i3 = st.add_judge_validation(
        _rec(at=T0 + timedelta(days=2), task="refusal3", overall=refusal, by_locale={"zh": refusal}, n=12, recorded_by=None)
    )
    assert i1 < i2 < i3
    got = list(st.iter_judge_validations())
    assert [g.id for g in got] == [i1, i2, i3]
    assert got[0] == first.model_copy(update={"id": i1})  # every field, the counts and the unassessed row included
    assert got[0].by_locale["zh"].n == 16 and got[0].by_locale["zh"].n_assessed == 15
    assert got[0].recorded_by == "Ada 中文" and got[0].recorded_at == T0
    assert got[2].task == "refusal3" and got[2].by_locale["zh"].confusion == ((3, 1, 0), (0, 2, 1), (0, 1, 4))
    assert got[2].recorded_by is None
    assert [g.id for g in st.iter_judge_validations("embedded")] == [i1, i3]
    assert [g.id for g in st.iter_judge_validations("pattern")] == [i2]
    assert list(st.iter_judge_validations("nobody")) == []
    st.close()
    ro = Store.open(db_url, read_only=True)  # the listing command reads a read-only store
    assert [g.id for g in ro.iter_judge_validations()] == [i1, i2, i3]
    ro.close()


def test_append_only_the_same_validation_twice_is_two_records(db_url: str) -> None:
    st = Store.open(db_url)
    rec = _rec()
    a = st.add_judge_validation(rec)
    b = st.add_judge_validation(rec.model_copy(update={"id": 999}))  # a given id is ignored, never overwrites
    assert a != b and b != 999
    later = _rec(at=T0 + timedelta(hours=1), by_locale={"zh": _counts([[1, 0], [0, 1]])}, overall=_counts([[1, 0], [0, 1]]), n=2)
    c = st.add_judge_validation(later)
    got = list(st.iter_judge_validations())
    assert [g.id for g in got] == [a, b, c]
    assert got[0] == rec.model_copy(update={"id": a})  # the earlier record is untouched by later ones
    assert not any(hasattr(st, name) for name in ("update_judge_validation", "delete_judge_validation"))
    st.close()


def test_ids_are_never_reused(tmp_path: Path) -> None:
    """SQLite AUTOINCREMENT: even if a row were removed by hand, its id is not handed out again."""
    url = f"sqlite:///{tmp_path / 'a.db'}"
    st = Store.open(url)
    st.add_judge_validation(_rec())
    second = st.add_judge_validation(_rec())
    with st.engine.begin() as conn:
        conn.exec_driver_sql(f"DELETE FROM judge_validations WHERE id = {second}")
    assert st.add_judge_validation(_rec()) == second + 1
    st.close()


def test_migration_on_an_older_store(db_url: str) -> None:
    """A store as accord before m007 left it: opening it adds the table and keeps the runs."""
    st = Store.open(db_url)
    st.create_or_resume_run(make_run("r1", 2))
    st.close()
    with sa.create_engine(db_url).begin() as conn:
        conn.exec_driver_sql("DROP TABLE judge_validations")
        conn.exec_driver_sql("DELETE FROM _accord_migrations WHERE name = 'm007_judge_validations'")
    from accord.errors import StoreError

    with pytest.raises(StoreError, match="m007_judge_validations"):
        Store.open(db_url, read_only=True)  # a read-only command never migrates
    st = Store.open(db_url)
    assert "m007_judge_validations" in _names(st)
    assert [r.run_id for r in st.list_runs()] == ["r1"]
    assert st.add_judge_validation(_rec()) == 1
    assert [g.judge_id for g in st.iter_judge_validations()] == ["embedded"]
    st.close()


def test_records_refuse_inconsistent_counts() -> None:
    with pytest.raises(ValidationError, match="2 x 2"):
        ConfusionCounts(classes=("false", "true"), confusion=((1, 2, 3), (1, 2, 3)), n=12, n_assessed=12)
    with pytest.raises(ValidationError, match="total n_assessed"):
        ConfusionCounts(classes=("false", "true"), confusion=((1, 2), (3, 4)), n=12, n_assessed=9)
    with pytest.raises(ValidationError, match="non-negative"):
        ConfusionCounts(classes=("false", "true"), confusion=((-1, 2), (3, 4)), n=8, n_assessed=8)
    with pytest.raises(ValidationError, match="task harmful has classes"):
        _rec(by_locale={"zh": _counts([[1, 0, 0], [0, 1, 0], [0, 0, 1]], classes=("none", "partial", "full"))})
    with pytest.raises(ValidationError, match="source_digest"):
        _rec(source_digest="abc")
    with pytest.raises(ValidationError, match="task"):
        _rec(task="refusal")


def test_collapse_counts() -> None:
    c = _counts([[3, 1, 0], [0, 2, 1], [0, 1, 4]], classes=("none", "partial", "full"))
    # refused: gold partial|full vs none; judged the same way
    assert c.collapse({"partial", "full"}) == (2 + 1 + 1 + 4, 0, 3, 1)
    assert c.collapse({"full"}) == (4, 1, 3 + 1 + 2, 1)
    with pytest.raises(ValueError, match="not a class"):
        c.collapse({"true"})
