"""The alert as data: built from a stored comparison, when it is sent, its signature (checked by
``verify_alert`` with real Ed25519 keys), and the incident report it becomes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from accord.attest import SigningKey, sign_payload
from accord.errors import VerificationError
from accord.incidents import IncidentReport
from accord.monitor import (
    ALERT_PAYLOAD_TYPE,
    ALERT_REF_PREFIX,
    Alert,
    AlertOn,
    IncidentSink,
    alert_id,
    build_alert,
    incident_report,
    should_send,
    sign_alert,
    verify_alert,
)

WHEN = datetime(2026, 12, 7, 0, 5, tzinfo=UTC)


def _test(hazard: str, outcome: str, change: str, value: float, lo: float, hi: float, n: int = 200) -> dict[str, Any]:
    return {
        "hazard": hazard, "outcome": outcome, "n": n, "both": 10, "only_a": 2, "only_b": 30, "neither": n - 42, "unassessed": 3,
        "rate_a": 0.06, "rate_b": 0.06 + value, "diff": {"value": value, "lo": lo, "hi": hi}, "p_value": 1e-6, "p_adjusted": 4e-5,
        "change": change,
    }  # fmt: skip


def comparison(tests: list[dict[str, Any]], verdicts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The shape ``Comparison.to_dict()`` has (``accord.pipeline._compare``)."""
    return {
        "run_a": "mon-m-t-20261130T0000Z", "run_b": "mon-m-t-20261207T0000Z", "target_a": "t", "target_b": "t", "judge_id": "j",
        "judge_versions": ["1", "1"], "items": 400, "responses": [400, 400], "regression": False,
        "paired": {"correction": "holm", "correction_name": "Holm", "alpha": 0.05, "tests": tests, "regressions": 0},
        "verdict_changes": verdicts or [], "packs_only_in_one": [], "verdict_source": {}, "notes": [],
    }  # fmt: skip


def make(cmp: dict[str, Any] | None, **over: Any) -> Alert:
    args: dict[str, Any] = dict(
        monitor="nightly", target="acme-chat", version="2026-12", baseline_version="2026-11", run_id="mon-m-t-20261207T0000Z",
        baseline_run_id="mon-m-t-20261130T0000Z" if cmp is not None else None, comparison=cmp, created_at=WHEN,
    )  # fmt: skip
    args.update(over)
    return build_alert(**args)


REGRESSION = comparison(
    [
        _test("*", "harmful", "regression", 0.07, 0.03, 0.11),
        _test("cyber-offense", "harmful", "regression", 0.14, 0.08, 0.20),
        _test("hate", "refusal", "improvement", 0.05, 0.01, 0.09),
        _test("privacy", "refusal", "no significant change", 0.01, -0.02, 0.04),
    ],
    [
        {"pack_id": "eu-ai-act", "what": "decision", "before": "allowed", "after": "blocked", "regression": True},
        {
            "pack_id": "eu-ai-act",
            "what": "requirement r1 (hate)",
            "before": "pass",
            "after": "fail",
            "regression": True,
            "detail_a": "0.970 [0.950, 0.990], n=300",
            "detail_b": "0.900 [0.860, 0.930], n=300",
        },
    ],
)


def test_a_regression_carries_its_tests_with_n_and_interval() -> None:
    alert = make(REGRESSION)
    assert alert.kind == "regression"
    assert [(r["hazard"], r["outcome"]) for r in alert.regressions] == [("*", "harmful"), ("cyber-offense", "harmful")]
    assert [c["hazard"] for c in alert.changes] == ["hate"]
    assert alert.verdict_changes[0]["after"] == "blocked"
    assert (alert.correction, alert.alpha, alert.items) == ("holm", 0.05, 400)
    # one line: the worst regression with its interval and n, and what the test rests on
    assert "\n" not in alert.summary
    assert "REGRESSION" in alert.summary
    assert "harmful on cyber-offense: 6.0% -> 20.0% (+14.0 pts [+8.0, +20.0]), n=200" in alert.summary
    assert "holm-corrected, alpha=0.05, 400 items" in alert.summary
    assert alert.regressed_hazards == ["cyber-offense"]


def test_kinds_and_when_each_is_sent() -> None:
    improved = make(comparison([_test("hate", "refusal", "improvement", 0.05, 0.01, 0.09)]))
    quiet = make(comparison([_test("hate", "refusal", "no significant change", 0.01, -0.02, 0.04)]))
    verdict_only = make(comparison([], [{"pack_id": "p", "what": "floor", "before": "pass", "after": "fail", "regression": True}]))
    verdict_better = make(comparison([], [{"pack_id": "p", "what": "floor", "before": "fail", "after": "pass", "regression": False}]))
    first = make(None)
    assert (improved.kind, quiet.kind, verdict_only.kind, verdict_better.kind, first.kind) == (
        "change", "no-change", "regression", "change", "first-run",
    )  # fmt: skip
    assert "p: floor pass -> fail" in verdict_only.summary
    assert "no significant change" in quiet.summary and "first run" in first.summary
    table: dict[AlertOn, list[bool]] = {
        "regression": [True, False, True, False, False],
        "change": [True, True, True, True, False],
        "every-run": [True, True, True, True, True],
    }
    for on, expected in table.items():
        got = [should_send(a, on) for a in (make(REGRESSION), improved, verdict_only, verdict_better, quiet)]
        assert got == expected[:4] + [on == "every-run"], on
        assert should_send(first, on) is (on == "every-run")
    with pytest.raises(ValueError):
        should_send(quiet, "sometimes")  # type: ignore[arg-type]


def test_alert_id_is_deterministic_and_separates_its_parts() -> None:
    a = make(REGRESSION)
    b = make(REGRESSION, created_at=datetime(2027, 1, 1, tzinfo=UTC))
    assert a.alert_id == b.alert_id  # the same cycle, delivered later, is the same alert
    assert make(REGRESSION, baseline_run_id="other").alert_id != a.alert_id
    assert make(REGRESSION, run_id="mon-m-t-20261214T0000Z").alert_id != a.alert_id
    # a separator shifted between parts is another id
    assert alert_id("a-b", "c", "r", None) != alert_id("a", "b-c", "r", None)
    assert alert_id("m", "t", "r", None) != alert_id("m", "t", "r", "")


def test_malformed_comparison_rows_are_ignored_not_crashed_on() -> None:
    cmp = comparison([_test("hate", "refusal", "regression", 0.1, 0.05, 0.15)])
    cmp["paired"]["tests"].append("not a row")
    cmp["verdict_changes"] = "nope"
    alert = make(cmp)
    assert alert.kind == "regression" and len(alert.regressions) == 1 and alert.verdict_changes == []


def test_signed_alert_verifies_and_round_trips() -> None:
    key = SigningKey.generate()
    alert = make(REGRESSION)
    body = sign_alert(alert, key).to_json()
    envelope = json.loads(body)
    assert envelope["payloadType"] == ALERT_PAYLOAD_TYPE
    assert verify_alert(body, [key.public]) == alert
    # a receiver trusting several keys finds the right one
    assert verify_alert(body, [SigningKey.generate().public, key.public]).alert_id == alert.alert_id


def test_forged_or_altered_alerts_are_refused() -> None:
    key, other = SigningKey.generate(), SigningKey.generate()
    alert = make(REGRESSION)
    body = sign_alert(alert, key).to_json()
    # signed by another key
    with pytest.raises(VerificationError):
        verify_alert(sign_alert(alert, other).to_json(), [key.public])
    # checked against another key
    with pytest.raises(VerificationError):
        verify_alert(body, [other.public])
    # the payload altered after signing: a regression made to look like no change
    env = json.loads(body)
    payload = json.loads(base64.b64decode(env["payload"]))
    payload["kind"] = "no-change"
    payload["regressions"] = []
    env["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
    with pytest.raises(VerificationError, match="does not verify"):
        verify_alert(json.dumps(env).encode(), [key.public])
    # a real signature by the right key over another payload type (an attestation) is not an alert
    other_type = sign_payload(b'{"x":1}', "application/vnd.in-toto+json", key).to_json()
    with pytest.raises(VerificationError, match="payloadType"):
        verify_alert(other_type, [key.public])
    # signed, right type, but not an alert
    not_alert = sign_payload(b'{"alert_id":"x"}', ALERT_PAYLOAD_TYPE, key).to_json()
    with pytest.raises(VerificationError, match="malformed"):
        verify_alert(not_alert, [key.public])
    for junk in (b"", b"{", b"[]", b'{"payload":"!!","payloadType":"x","signatures":[]}', b"x" * (5 * 1024 * 1024)):
        with pytest.raises(VerificationError):
            verify_alert(junk, [key.public])
    with pytest.raises(VerificationError):
        verify_alert(body, [])


def test_incident_report_from_an_alert() -> None:
    alert = make(REGRESSION)
    sink = IncidentSink.model_validate(
        {"server": "https://incidents.example.org/", "token_env": "ACCORD_INCIDENT_TOKEN", "tlp": "AMBER",
         "recipients": [{"org": "regulator-nl"}], "severity": "serious hazard", "jurisdictions": ["NL", "EU"]}
    )  # fmt: skip
    report = incident_report(alert, sink, aware_at=alert.created_at)
    assert isinstance(report, IncidentReport)
    assert report.title == "Safety regression in acme-chat 2026-12 (monitor nightly)"
    assert (report.system.name, report.system.version) == ("acme-chat", "2026-12")
    # '*' is not a hazard id: only the taxonomy's ids are listed
    assert report.hazards == ("cyber-offense",)
    assert (report.tlp, [r.org for r in report.recipients], report.severity) == ("AMBER", ["regulator-nl"], "serious hazard")
    assert report.jurisdictions == ("NL", "EU")
    assert [(lk.kind, lk.ref) for lk in report.links] == [
        ("run", "mon-m-t-20261207T0000Z"),
        ("run", "mon-m-t-20261130T0000Z"),
        ("external", ALERT_REF_PREFIX + alert.alert_id),
    ]
    assert alert.alert_id in report.description and "6.0% -> 20.0% (+14.0 pts [+8.0, +20.0]), n=200" in report.description
    assert "eu-ai-act: decision allowed -> blocked" in report.description
    assert "requirement r1 (hate) pass -> fail (0.970 [0.950, 0.990], n=300 -> 0.900 [0.860, 0.930], n=300)" in report.description
    assert report.aware_at == WHEN
    # the same alert always makes the same report (a retry files nothing different)
    assert incident_report(alert, sink, aware_at=alert.created_at) == report
    # a first run has no baseline link and no hazards
    first = incident_report(make(None), IncidentSink(server="http://h", token_env="T", tlp="CLEAR"), aware_at=WHEN)
    assert [lk.kind for lk in first.links] == ["run", "external"] and first.hazards == () and first.title.startswith("First monitored run")


def test_long_alerts_fit_the_incident_schema() -> None:
    many = [_test("cyber-offense", "harmful", "regression", 0.1, 0.05, 0.15) for _ in range(600)]
    alert = make(comparison(many), target="t" * 200, version="v" * 200)
    assert len(alert.regressions) == 500
    report = incident_report(alert, IncidentSink(server="http://h", token_env="T", tlp="GREEN"), aware_at=WHEN)
    assert len(report.title) <= 300 and len(report.description) <= 20_000
    assert "... and 450 more" in report.description
