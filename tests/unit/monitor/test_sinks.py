"""The ``alerts:`` block as data: secrets only by reference, URLs without credentials, and the
incident's marking checked when the file is read (the server would refuse it later)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from accord.incidents import IncidentReport
from accord.monitor import AlertSinks, IncidentSink, WebhookSink


def test_a_full_block_reads() -> None:
    sinks = AlertSinks.model_validate(
        {
            "on": "change",
            "webhooks": [{"url": "https://hooks.example.org/accord", "headers": {"X-Token": "env:HOOK_TOKEN"}, "timeout_s": 5}],
            "incident": {
                "server": "https://accord.example.org/", "token_env": "ACCORD_TOKEN", "tlp": "AMBER",
                "recipients": [{"org": "regulator-nl", "clients": ["ministry-nl"]}], "jurisdictions": ["NL", "US-CA", "EU"],
            },
        }
    )  # fmt: skip
    assert sinks.on == "change" and not sinks.empty
    assert sinks.webhooks[0].label == "hooks.example.org"
    assert WebhookSink(url="http://h:1/x", name="ops").label == "ops"
    assert sinks.incident is not None and sinks.incident.server == "https://accord.example.org"  # trailing slash dropped
    assert AlertSinks().empty and AlertSinks().on == "regression"


@pytest.mark.parametrize(
    ("hook", "message"),
    [
        ({"url": "ftp://h/x"}, "http(s) URL"),
        ({"url": "https://"}, "http(s) URL"),
        ({"url": "https://user:pw@h/x"}, "must not carry credentials"),
        ({"url": "https://h/" + "x" * 2100}, "2,048"),
        ({"url": "https://h/x", "headers": {"X-Token": "s3cr3t-value"}}, "env:VAR"),
        ({"url": "https://h/x", "headers": {"X-Token": "env:1BAD"}}, "env:VAR"),
        ({"url": "https://h/x", "headers": {"Content-Type": "env:CT"}}, "not a header name"),
        ({"url": "https://h/x", "headers": {"Bad Name": "env:X"}}, "not a header name"),
        ({"url": "https://h/x", "timeout_s": 0}, "greater than 0"),
        ({"url": "https://h/x", "timeout_s": 61}, "less than or equal to 60"),
        ({"url": "https://h/x", "secret": "x"}, "Extra inputs"),
    ],
)
def test_bad_webhooks_are_refused_with_the_reason(hook: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        WebhookSink.model_validate(hook)


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"token_env": "sk-live-abcdef$"}, "names an environment variable"),
        ({"tlp": "AMBER", "recipients": []}, "needs at least one recipient"),
        ({"tlp": "GREEN", "recipients": [{"org": "b"}]}, "takes no recipients"),
        ({"tlp": "RED", "recipients": [{"org": "b"}]}, "give a member"),
        ({"tlp": "AMBER", "recipients": [{"org": "b", "member": "bob"}]}, "RED only"),
        ({"tlp": "AMBER+STRICT", "recipients": [{"org": "b", "clients": ["c"]}]}, "AMBER only"),
        ({"tlp": "AMBER", "recipients": [{"org": "b"}, {"org": "b"}]}, "listed twice"),
        ({"tlp": "CLEAR", "jurisdictions": ["Netherlands"]}, "pattern"),
        ({"tlp": "CLEAR", "severity": "bad"}, "severity"),
        ({"tlp": "CLEAR", "server": "https://t:x@h"}, "credentials"),
    ],
)
def test_bad_incident_sinks_are_refused_when_read(over: dict[str, Any], message: str) -> None:
    base = {"server": "https://h", "token_env": "TOKEN", "tlp": "AMBER", "recipients": [{"org": "b"}]}
    with pytest.raises(ValidationError, match=message):
        IncidentSink.model_validate({**base, **over})


@pytest.mark.parametrize(
    "marking",
    [
        {"tlp": "CLEAR"},
        {"tlp": "GREEN"},
        {"tlp": "AMBER", "recipients": [{"org": "b", "clients": ["c"]}]},
        {"tlp": "AMBER+STRICT", "recipients": [{"org": "b"}]},
        {"tlp": "RED", "recipients": [{"org": "b", "member": "bob"}]},
    ],
)
def test_every_marking_a_sink_accepts_the_incident_schema_accepts(marking: dict[str, Any]) -> None:
    sink = IncidentSink.model_validate({"server": "https://h", "token_env": "T", "jurisdictions": ["DE"], **marking})
    report = IncidentReport.model_validate(
        {
            "title": "t", "description": "d", "system": {"name": "s"}, "severity": sink.severity, "aware_at": "2026-12-07T00:00:00Z",
            "tlp": sink.tlp, "recipients": [r.model_dump() for r in sink.recipients], "jurisdictions": sink.jurisdictions,
        }
    )  # fmt: skip
    assert report.tlp == sink.tlp


def test_the_sinks_hold_no_secret_values() -> None:
    """A committed monitor file names variables; dumping the model shows names, never values."""
    sinks = AlertSinks.model_validate(
        {
            "webhooks": [{"url": "https://h/x", "headers": {"Authorization": "env:HOOK_AUTH"}}],
            "incident": {"server": "https://h", "token_env": "TOK", "tlp": "CLEAR"},
        }
    )
    dumped = sinks.model_dump_json()
    assert "env:HOOK_AUTH" in dumped and '"TOK"' in dumped
