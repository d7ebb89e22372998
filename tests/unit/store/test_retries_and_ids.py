"""Issue 12: run ids validated in the store (finding 11), ``--retry-errors`` storage: every
attempt kept, at most one success per key (finding 12), retries never negative (finding 13)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from accord.errors import InputError
from accord.ids import RUN_ID_PATTERN, validate_run_id
from accord.records import ErrorKind, Label, Message, Response
from accord.store import Store
from tests.unit.store._helpers import make_run

_run = make_run


def _resp(i: int, **kw: object) -> Response:
    base = dict(run_id="r1", suite_id="s", item_id=f"i{i}", messages=[Message(role="user", content=f"q{i}")], output=f"a{i}")
    base.update(kw)
    return Response(**base)  # type: ignore[arg-type]


def _err(i: int, text: str = "connection refused", attempts: int = 6) -> Response:
    return _resp(i, output=None, error_kind=ErrorKind.connection, error=text, attempts=attempts, latency_s=0.5)


BAD_IDS = ["../../x", "..", ".", "-rf", "a\nb", "x" * 129, "", "a b", "[x](javascript:alert(6))", "r/1", "é"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_the_store_refuses_an_invalid_run_id(db_url: str, bad: str) -> None:
    st = Store.open(db_url)
    with pytest.raises(InputError, match="not a valid run id"):
        st.create_or_resume_run(_run(bad))
    assert st.list_runs() == []
    st.close()


def test_valid_run_ids() -> None:
    for ok in ["r1", "2026-01-01T10.00_a", "x" * 128, "A.b-c_d"]:
        assert validate_run_id(ok) == ok and RUN_ID_PATTERN.fullmatch(ok)
    with pytest.raises(InputError) as err:
        validate_run_id("../x", field="run_id")
    assert "field 'run_id'" in str(err.value) and "starting with a letter or digit" in err.value.diagnostics()


def test_retry_errors_replaces_an_error_and_keeps_every_attempt(db_url: str) -> None:
    st = Store.open(db_url)
    st.create_or_resume_run(_run())
    st.add_responses([_resp(0), _err(1, "refused #1"), _err(2, "refused #1")])
    st.add_labels([Label(run_id="r1", suite_id="s", item_id=i, judge_id="j", judge_version="1", unassessed="error:connection") for i in ("i1", "i2")])
    assert st.errored_keys("r1") == {("s", "i1", "none", 0), ("s", "i2", "none", 0)}
    # without the flag: written once, as before
    assert st.add_responses([_resp(1)]) == 0
    # with it: i1 succeeds, i2 fails again, i0 (a success) is never replaced, i3 is new
    assert st.add_responses([_resp(0, output="CHANGED"), _resp(1, output="now ok"), _err(2, "refused #2"), _resp(3)], replace_errors=True) == 3
    back = {r.item_id: r for r in st.iter_responses("r1")}
    assert back["i0"].output == "a0" and back["i1"].output == "now ok" and back["i1"].error_kind is None
    assert back["i2"].error == "refused #2" and back["i3"].output == "a3"
    assert st.errored_keys("r1") == {("s", "i2", "none", 0)}
    # the labels of replaced responses labelled the errors: gone, so the judge labels again
    assert st.labelled_keys("r1", "j") == set()
    assert st.add_responses([_err(2, "refused #3"), _resp(1, output="again")], replace_errors=True) == 1
    attempts = [(a["item_id"], a["attempt"], a["error"], a["requests"]) for a in st.iter_attempts("r1")]
    assert attempts == [("i1", 1, "refused #1", 6), ("i2", 1, "refused #1", 6), ("i2", 2, "refused #2", 6)]
    assert {r.item_id: r.output for r in st.iter_responses("r1")}["i1"] == "now ok"  # a success stays
    c = st.response_counts("r1")
    assert (c["responses"], c["errors"]) == (4, 1)
    st.close()


def test_replacing_is_atomic(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the batch fails half-way, nothing of it is kept: the error row, its label and the
    attempts table are as before."""
    st = Store.open(db_url)
    st.create_or_resume_run(_run())
    st.add_responses([_err(1)])
    st.add_labels([Label(run_id="r1", suite_id="s", item_id="i1", judge_id="j", judge_version="1", unassessed="error:connection")])
    real = sa.Connection.execute

    def flaky(self: sa.Connection, stmt: object, *a: object, **kw: object) -> object:
        if isinstance(stmt, sa.Update) and stmt.table.name == "responses":  # type: ignore[attr-defined]
            raise RuntimeError("disk full")
        return real(self, stmt, *a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(sa.Connection, "execute", flaky)
    with pytest.raises(RuntimeError):
        st.add_responses([_resp(1)], replace_errors=True)
    monkeypatch.undo()
    assert [r.error_kind for r in st.iter_responses("r1")] == [ErrorKind.connection]
    assert list(st.iter_attempts("r1")) == []
    assert st.labelled_keys("r1", "j") == {("s", "i1", "none", 0)}
    st.close()


def test_retries_are_never_negative_for_cached_responses(db_url: str) -> None:
    """Finding 13: a run served from cache stored ``attempts=0`` and ``runs show`` printed
    ``retries -2000``. Retries are the attempts beyond the first, summed."""
    st = Store.open(db_url)
    st.create_or_resume_run(_run())
    st.add_responses([_resp(i, attempts=0, cached=True) for i in range(5)] + [_resp(5, attempts=3), _resp(6, attempts=1)])
    c = st.response_counts("r1")
    assert c["retries"] == 2 and c["cached"] == 5 and c["responses"] == 7
    st.close()
