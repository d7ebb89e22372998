"""TLP 2.0 as the service enforces it: the reader set of every label, checked case by case
(the property test in test_tlp_property.py checks the same rules over random worlds, end to end)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from accord.incidents import Incident, IncidentReport, can_read, reader_keys
from accord.pipeline import LOCAL_ADMIN, PUBLIC, Principal

T = datetime(2026, 11, 1, tzinfo=UTC)


def incident(tlp: str, recipients: list[dict[str, Any]] | None = None, reporter: str = "acme") -> Incident:
    r = IncidentReport.model_validate(
        {
            "title": "t",
            "description": "d",
            "system": {"name": "m"},
            "severity": "incident",
            "aware_at": T,
            "tlp": tlp,
            "recipients": recipients or [],
        }
    )
    return Incident(id="x", reporter_org=reporter, created_at=T, updated_at=T, version=1, report=r, commitment="0" * 64)


def who(org: str, member: str | None = None, role: str = "auditor") -> Principal:
    return Principal(org=org, role=role, token_id=f"tok-{org}-{member}", member=member)  # type: ignore[arg-type]


REPORTER = who("acme", "ann", "provider")
RECIPIENT = who("beta", "bob")
RECIPIENT_OTHER_MEMBER = who("beta", "eve")
RECIPIENT_NO_MEMBER = who("beta")
CLIENT = who("gamma")
STRANGER = who("delta", "dan", "regulator")
ADMIN_TOKEN = Principal(org=None, role="admin", token_id="tok-admin")
UNAUTHENTICATED_CLAIM = Principal(org="beta", role="auditor", token_id=None, member="bob")  # an org without a token


@pytest.mark.parametrize(
    ("tlp", "recipients", "readers"),
    [
        ("CLEAR", [], {"PUBLIC", "REPORTER", "RECIPIENT", "CLIENT", "STRANGER", "ADMIN", "LOCAL", "CLAIM", "OTHER", "NOMEMBER"}),
        ("GREEN", [], {"REPORTER", "RECIPIENT", "CLIENT", "STRANGER", "OTHER", "NOMEMBER"}),
        ("AMBER", [{"org": "beta", "clients": ["gamma"]}], {"REPORTER", "RECIPIENT", "CLIENT", "OTHER", "NOMEMBER"}),
        ("AMBER", [{"org": "beta"}], {"REPORTER", "RECIPIENT", "OTHER", "NOMEMBER"}),
        ("AMBER+STRICT", [{"org": "beta"}], {"REPORTER", "RECIPIENT", "OTHER", "NOMEMBER"}),
        ("RED", [{"org": "beta", "member": "bob"}], {"REPORTER", "RECIPIENT"}),
        ("RED", [{"org": "gamma", "member": "bob"}], {"REPORTER"}),
    ],
)
def test_each_label_admits_exactly_its_readers(tlp: str, recipients: list[dict[str, Any]], readers: set[str]) -> None:
    everyone = {
        "PUBLIC": PUBLIC,
        "REPORTER": REPORTER,
        "RECIPIENT": RECIPIENT,
        "OTHER": RECIPIENT_OTHER_MEMBER,
        "NOMEMBER": RECIPIENT_NO_MEMBER,
        "CLIENT": CLIENT,
        "STRANGER": STRANGER,
        "ADMIN": ADMIN_TOKEN,
        "LOCAL": LOCAL_ADMIN,
        "CLAIM": UNAUTHENTICATED_CLAIM,
    }
    inc = incident(tlp, recipients)
    assert {name for name, p in everyone.items() if can_read(inc, p)} == readers


def test_the_reporter_organisation_reads_its_red_incident_whoever_its_member() -> None:
    inc = incident("RED", [{"org": "beta", "member": "bob"}])
    assert can_read(inc, who("acme", "someone-else")) and can_read(inc, who("acme"))


def test_an_unknown_label_fails_closed() -> None:
    inc = incident("AMBER", [{"org": "beta"}])
    forged = inc.model_copy(update={"report": inc.report.model_copy(update={"tlp": "PURPLE"})})
    assert not can_read(forged, RECIPIENT) and not can_read(forged, REPORTER)


def test_red_without_a_member_admits_nobody_even_if_the_model_is_bypassed() -> None:
    inc = incident("RED", [{"org": "beta", "member": "bob"}])
    bypass = inc.report.model_copy(update={"recipients": (inc.recipients[0].model_copy(update={"member": None}),)})
    assert reader_keys("RED", bypass.recipients) == []
    assert not can_read(inc.model_copy(update={"report": bypass}), RECIPIENT_NO_MEMBER)


def test_reader_keys_are_what_the_store_prefilters_on() -> None:
    amber = incident("AMBER", [{"org": "beta", "clients": ["gamma", "beta"]}])
    assert reader_keys("AMBER", amber.recipients) == [("beta", None), ("gamma", None)]
    assert reader_keys("AMBER+STRICT", incident("AMBER+STRICT", [{"org": "beta"}]).recipients) == [("beta", None)]
    assert reader_keys("RED", incident("RED", [{"org": "beta", "member": "bob"}]).recipients) == [("beta", "bob")]
    assert reader_keys("GREEN", ()) == [] and reader_keys("CLEAR", ()) == []
