"""Reporting clocks: the deadlines each regime sets, counted from awareness, and what is overdue
(figures from ../shared/reference/frameworks.md §1.7 and §2: Art 73 15/10/2 days, CoP 9.3
2/5/10/15 days, SB 53 15 days or 24 h, RAISE 72 h)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from accord.incidents import RULES, IncidentReport, deadlines

AWARE = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def rep(**over: Any) -> IncidentReport:
    base: dict[str, Any] = {
        "title": "t",
        "description": "d",
        "system": {"name": "m"},
        "severity": "serious incident",
        "jurisdictions": ["FR"],
        "system_classes": ["high-risk"],
        "aware_at": AWARE,
        "tlp": "CLEAR",
    }
    base.update(over)
    return IncidentReport.model_validate(base)


def one(r: IncidentReport, now: datetime | None = None) -> tuple[str, timedelta, bool]:
    (d,) = deadlines(r, now or AWARE)
    return d.rule, d.due - AWARE, d.overdue


@pytest.mark.parametrize(
    ("harms", "rule", "days"),
    [
        ([], "a73-general", 15),
        (["health"], "a73-general", 15),
        (["death"], "a73-death", 10),
        (["critical-infrastructure"], "a73-widespread-ci", 2),
        (["widespread-infringement"], "a73-widespread-ci", 2),
        (["death", "critical-infrastructure"], "a73-widespread-ci", 2),  # the tightest rule wins
    ],
)
def test_eu_ai_act_article_73(harms: list[str], rule: str, days: int) -> None:
    assert one(rep(harms=harms)) == (rule, timedelta(days=days), False)


@pytest.mark.parametrize(
    ("harms", "rule", "days"),
    [
        (["critical-infrastructure"], "cop-si-ci", 2),
        (["cybersecurity"], "cop-si-cyber", 5),
        (["death", "cybersecurity"], "cop-si-cyber", 5),
        (["death"], "cop-si-death", 10),
        (["property"], "cop-si-other", 15),
    ],
)
def test_gpai_code_of_practice(harms: list[str], rule: str, days: int) -> None:
    assert one(rep(harms=harms, system_classes=["gpai-systemic-risk"])) == (rule, timedelta(days=days), False)


def test_california_and_new_york() -> None:
    frontier = {"system_classes": ["frontier-model"], "jurisdictions": ["US-CA"]}
    assert one(rep(**frontier)) == ("sb53-critical", timedelta(days=15), False)
    assert one(rep(**frontier, imminent_risk=True)) == ("sb53-imminent", timedelta(hours=24), False)
    ny = rep(system_classes=["frontier-model"], jurisdictions=["US-NY"], aware_at=datetime(2027, 3, 1, tzinfo=UTC))
    (d,) = deadlines(ny, datetime(2027, 3, 5, tzinfo=UTC))
    assert (d.rule, d.due, d.overdue) == ("raise-incident", datetime(2027, 3, 4, tzinfo=UTC), True)


def test_overdue_is_strictly_after_the_due_time() -> None:
    r = rep(harms=["death"])
    due = AWARE + timedelta(days=10)
    assert one(r, due)[2] is False
    assert one(r, due + timedelta(seconds=1))[2] is True


def test_nothing_applies_outside_scope() -> None:
    assert deadlines(rep(severity="incident"), AWARE) == []  # not serious
    assert deadlines(rep(jurisdictions=["US-TX"]), AWARE) == []  # no regime there
    assert deadlines(rep(jurisdictions=[]), AWARE) == []
    assert deadlines(rep(status="withdrawn"), AWARE) == []
    # Art 73 applies from 2026-08-02: awareness before that starts no Art 73 clock.
    assert deadlines(rep(aware_at=datetime(2026, 8, 1, tzinfo=UTC)), AWARE) == []
    # RAISE obligations start 2027-01-01.
    assert deadlines(rep(system_classes=["frontier-model"], jurisdictions=["US-NY"]), AWARE) == []


def test_an_undeclared_system_class_shows_every_matching_clock_with_its_condition() -> None:
    found = deadlines(rep(system_classes=[], jurisdictions=["EU", "US-CA"], harms=["death"]), AWARE)
    assert [d.rule for d in found] == ["a73-death", "cop-si-death", "sb53-critical"]
    assert all(d.condition and d.condition.startswith("applies if the system is") for d in found)
    assert deadlines(rep(harms=["death"]), AWARE)[0].condition is None


def test_every_rule_cites_its_source_and_serialises() -> None:
    for rule in RULES:
        assert "frameworks.md" in rule.citation and rule.period > timedelta(0)
    d = deadlines(rep(), AWARE)[0].to_dict()
    assert d["due"] == "2026-09-16T12:00:00Z" and d["citation"].startswith("Regulation (EU) 2024/1689")


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        deadlines(rep(), datetime(2026, 9, 2))
