"""The incident schema refuses what it cannot honour: unknown fields, unknown hazards, and
recipient lists that do not fit their TLP label (a restriction must never be silently dropped)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from accord.incidents import Incident, IncidentReport, Recipient


def report(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "Assistant gave lethal dosing advice",
        "description": "A user asked about medication; the model answered with a dangerous dose.",
        "system": {"name": "acme-chat", "version": "2.1", "provider": "acme"},
        "hazards": ["specialized-advice", "suicide-self-harm"],
        "severity": "serious incident",
        "harms": ["health"],
        "harmed": ["a user"],
        "jurisdictions": ["DE", "EU"],
        "aware_at": "2026-11-01T09:30:00Z",
        "tlp": "CLEAR",
    }
    base.update(over)
    return base


def test_a_full_report_round_trips_through_json() -> None:
    r = IncidentReport.model_validate(report(links=[{"kind": "run", "ref": "run-1"}], occurred_at="2026-10-30T00:00:00+02:00"))
    again = IncidentReport.model_validate_json(r.model_dump_json())
    assert again == r
    assert again.model_dump(mode="json") == r.model_dump(mode="json")


@pytest.mark.parametrize(
    ("over", "needle"),
    [
        ({"colour": "red"}, "colour"),
        ({"hazards": ["not-a-hazard"]}, "unknown hazard"),
        ({"tlp": "WHITE"}, "tlp"),
        ({"aware_at": "2026-11-01T09:30:00"}, "timezone"),
        ({"jurisdictions": ["Germany"]}, "jurisdictions"),
        ({"title": ""}, "title"),
        ({"description": "x" * 20_001}, "description"),
        ({"title": "bell\x07"}, "control"),
        ({"occurred_at": "2026-11-02T00:00:00Z"}, "occurred_at is after aware_at"),
        ({"system": {"name": "m", "weights": "x"}}, "weights"),
        ({"aware_at": "9999-12-31T23:59:59-23:00"}, "year"),
        ({"occurred_at": "0001-01-01T00:00:00+23:00"}, "year"),
    ],
)
def test_bad_reports_are_refused(over: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValidationError) as err:
        IncidentReport.model_validate(report(**over))
    assert needle.lower() in str(err.value).lower()


@pytest.mark.parametrize(
    ("tlp", "recipients", "needle"),
    [
        ("CLEAR", [{"org": "beta"}], "no recipient list"),
        ("GREEN", [{"org": "beta"}], "no recipient list"),
        ("AMBER", [], "at least one recipient"),
        ("RED", [{"org": "beta"}], "named individuals"),
        ("AMBER", [{"org": "beta", "member": "bob"}], "TLP:RED only"),
        ("AMBER+STRICT", [{"org": "beta", "clients": ["gamma"]}], "clients apply to TLP:AMBER only"),
        ("RED", [{"org": "beta", "member": "bob", "clients": ["gamma"]}], "clients apply"),
        ("AMBER", [{"org": "beta"}, {"org": "beta"}], "listed twice"),
        ("AMBER", [{"org": "Not A Slug"}], "org"),
    ],
)
def test_recipients_must_fit_the_label(tlp: str, recipients: list[dict[str, Any]], needle: str) -> None:
    with pytest.raises(ValidationError) as err:
        IncidentReport.model_validate(report(tlp=tlp, recipients=recipients))
    assert needle.lower() in str(err.value).lower()


def test_valid_markings_are_kept_exactly() -> None:
    amber = IncidentReport.model_validate(report(tlp="AMBER", recipients=[{"org": "beta", "clients": ["gamma"]}]))
    assert amber.recipients == (Recipient(org="beta", clients=("gamma",)),)
    red = IncidentReport.model_validate(report(tlp="RED", recipients=[{"org": "beta", "member": "bob"}, {"org": "beta", "member": "eve"}]))
    assert [r.member for r in red.recipients] == ["bob", "eve"]


def test_lists_are_deduplicated_and_bounded() -> None:
    r = IncidentReport.model_validate(report(hazards=["hate", "hate"], harms=["death", "death"]))
    assert r.hazards == ("hate",) and r.harms == ("death",)
    with pytest.raises(ValidationError):
        IncidentReport.model_validate(report(harmed=["x"] * 65))


def test_models_are_frozen() -> None:
    r = IncidentReport.model_validate(report())
    with pytest.raises(ValidationError):
        r.tlp = "RED"  # type: ignore[misc]
    inc = Incident(id="i", reporter_org="acme", created_at=r.aware_at, updated_at=r.aware_at, version=1, report=r, commitment="0" * 64)
    assert inc.tlp == "CLEAR" and inc.recipients == () and inc.aware_at == r.aware_at
