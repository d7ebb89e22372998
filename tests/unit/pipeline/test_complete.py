"""Completeness of a stored run (issue 15, problem 7): outcomes, labels, and a live heartbeat."""

from __future__ import annotations

import pytest

from accord.errors import ExitCode
from accord.pipeline._complete import IncompleteRunError, completeness, require_complete
from accord.records import ErrorKind, Label, Message, Response
from accord.store import Store
from accord.suites import Item
from tests.unit.store._helpers import make_run


def _store(url: str, *, stored: int = 10, labelled: int | None = None, errors: int = 0, status: str | None = "complete") -> Store:
    """A run of 10 planned items in suite ``s``: ``stored`` responses (the last ``errors`` of them
    errors), ``labelled`` of them (default all) labelled by judge ``j``."""
    st = Store.open(url)
    items = [Item(suite_id="s", item_id=f"i{n}", messages=(Message(role="user", content="q"),), hazard="cyber-offense") for n in range(10)]
    st.create_or_resume_run(make_run("r1", 10))
    st.add_items("r1", items)
    responses = [
        Response(run_id="r1", suite_id="s", item_id=it.item_id, messages=list(it.messages), output="no")
        if n < stored - errors
        else Response(
            run_id="r1", suite_id="s", item_id=it.item_id, messages=list(it.messages), output="", error_kind=ErrorKind.timeout, error="t/o"
        )
        for n, it in enumerate(items[:stored])
    ]
    st.add_responses(responses)
    n_labels = stored if labelled is None else labelled
    st.add_labels(
        [
            Label(run_id="r1", suite_id="s", item_id=r.item_id, judge_id="j", judge_version="1", refusal="full", harmful=False)
            for r in responses[:n_labels]
        ]
    )
    if status is not None:
        st.set_run_status("r1", status)
    return st


def test_a_complete_run_passes(sqlite_url: str) -> None:
    st = _store(sqlite_url)
    c = require_complete(st, "r1", ["j"])
    assert c.complete and (c.planned, c.stored, c.missing, c.unlabelled) == (10, 10, 0, {"j": 0})
    assert c.problems() == [] and c.to_dict() == {
        "complete": True,
        "allowIncomplete": False,
        "status": "complete",
        "planned": 10,
        "stored": 10,
        "missing": 0,
        "responses": 10,
        "errors": 0,
        "unlabelled": {"j": 0},
    }


def test_a_run_stopped_half_way_is_refused_naming_what_is_missing(sqlite_url: str) -> None:
    st = _store(sqlite_url, stored=5, status="interrupted")
    c = completeness(st, "r1", ["j"])
    assert not c.complete and (c.planned, c.stored, c.missing) == (10, 5, 5)
    assert c.missing_examples == ("s/i5", "s/i6", "s/i7")
    with pytest.raises(IncompleteRunError) as exc:
        require_complete(st, "r1", ["j"], command="attest")
    err = exc.value
    assert err.exit_code == ExitCode.INCOMPLETE
    assert "5 of 10 planned responses have no stored outcome (e.g. s/i5, s/i6, s/i7)" in err.what
    assert "accord run -c spec.yaml --run-id r1" in (err.fix or "") and "--allow-incomplete" in (err.why or "")
    allowed = require_complete(st, "r1", ["j"], allow_incomplete=True)
    assert allowed.to_dict(allowed=True)["allowIncomplete"] is True and allowed.to_dict()["missing"] == 5


def test_unlabelled_responses_are_refused_with_the_judge_command(sqlite_url: str) -> None:
    st = _store(sqlite_url, labelled=7)
    with pytest.raises(IncompleteRunError) as exc:
        require_complete(st, "r1", ["j"])
    assert "3 of 10 stored responses have no label from judge 'j' (e.g. s/i7, s/i8, s/i9)" in exc.value.what
    assert "accord judge run r1 --judge j" in (exc.value.fix or "")
    assert require_complete(st, "r1", []).complete  # no judge in question: only outcomes count


def test_errors_are_outcomes(sqlite_url: str) -> None:
    """A key whose stored outcome is an error (after its retries) is not missing; its label
    (unassessed) is still needed."""
    st = _store(sqlite_url, errors=2)
    c = require_complete(st, "r1", ["j"])
    assert c.complete and c.errors == 2 and c.missing == 0


def test_a_run_whose_heartbeat_is_live_is_still_running(sqlite_url: str) -> None:
    st = _store(sqlite_url, status=None)  # created just now: alive for DEFAULT_ALIVE_S
    c = completeness(st, "r1", ["j"])
    assert c.running and not c.complete and c.missing == 0
    with pytest.raises(IncompleteRunError, match="still running"):
        require_complete(st, "r1", ["j"])
    assert any("accord runs show r1" in f for f in c.fixes())
