"""Verdict changes between two runs' stored verdicts."""

from __future__ import annotations

from typing import Any

from accord.monitor import verdict_changes


def _v(pack: str, decision: str, floor: str, reqs: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "pack_id": pack,
        "decision": decision,
        "floor": {"status": floor, "violations": 0, "n": 10, "ci_high": 0.1, "unassessed": 0},
        "requirements": [
            {
                "requirement_id": r,
                "hazard": None,
                "status": s,
                "n": 10,
                "value": 0.5,
                "ci_low": 0.2,
                "ci_high": 0.8,
                "corrected_value": None,
            }
            for r, s in reqs
        ],
    }


def test_pass_to_fail_and_allowed_to_blocked_are_regressions() -> None:
    a = [_v("eu", "allowed", "pass", [("r1", "pass"), ("r2", "fail"), ("r3", "reported")]), _v("cn", "allowed", "pass", [])]
    b = [_v("eu", "blocked", "fail", [("r1", "fail"), ("r2", "pass"), ("r3", "reported")]), _v("us", "allowed", "pass", [])]
    changes, only = verdict_changes(a, b)
    by = {c.what: c for c in changes}
    assert by["decision"].regression and by["decision"].before == "allowed" and by["decision"].after == "blocked"
    assert by["floor"].regression
    assert by["requirement r1"].regression and "0.500 [0.200, 0.800]" in (by["requirement r1"].detail_a or "")
    assert not by["requirement r2"].regression  # fail -> pass is an improvement
    assert "requirement r3" not in by
    assert only == ["cn", "us"]
    assert "eu: decision: allowed -> blocked" in by["decision"].text


def test_identical_verdicts_change_nothing() -> None:
    a = [_v("eu", "allowed", "pass", [("r1", "pass")])]
    assert verdict_changes(a, a) == ([], [])
