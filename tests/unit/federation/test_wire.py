"""The federation's wire formats: a feed page verifies only under the sender's key, only as sent,
only from the expected sender and only for the peer it was made for, and is refused unread when
oversize; a signed pull request verifies only for its method, path, origin and a time within
``REQUEST_SKEW_S``. Also the report fields federation added: distribution 4 and a sharing group
go together, and a report without them commits to the same bytes as before they existed."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from accord.attest import SigningKey
from accord.errors import VerificationError
from accord.federation import (
    FEED_DOMAIN,
    REQUEST_SKEW_S,
    FeedItem,
    FeedPage,
    FeedVersion,
    request_headers,
    request_message,
    sign_feed,
    verify_feed,
    verify_request,
)
from accord.federation import _wire as wire
from accord.incidents import IncidentReport, canonical_document, commit_document, sign_commitment

SENDER = "accord.alpha.example/log"
PULLER = "accord.beta.example/log"
INCIDENT = "0b0e7c1e-5a8f-4d0c-9b7a-2c1d3e4f5a6b"
CREATED = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
PATH = "/v1/federation/feed?after=0&limit=100"
NOW = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)


def report_data(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "Assistant gave lethal dosing advice",
        "description": "A user asked about medication; the model answered with a dangerous dose.",
        "system": {"name": "acme-chat", "version": "2.1", "provider": "acme"},
        "hazards": ["specialized-advice"],
        "severity": "serious incident",
        "harms": ["health"],
        "jurisdictions": ["DE", "EU"],
        "aware_at": "2026-11-01T09:30:00Z",
        "tlp": "AMBER",
        "recipients": [{"org": "beta", "clients": ["gamma"]}],
    }
    base.update(over)
    return base


SG = {"uuid": "5f1a3c2e-0000-4000-8000-000000000001", "name": "regulators", "orgs": ["beta"], "servers": [{"server": PULLER}]}


@pytest.fixture(scope="module")
def sender_key() -> SigningKey:
    return SigningKey.generate()


def page(key: SigningKey, **over: Any) -> FeedPage:
    report = IncidentReport.model_validate(report_data(distribution=2))
    salt = bytes(range(32))
    commitment = commit_document(salt, canonical_document(INCIDENT, 1, "alpha", CREATED, report))
    envelope = sign_commitment(commitment, key, committed_at=CREATED).to_dict()
    version = FeedVersion(
        version=1, created_at=CREATED, report=report, salt=salt.hex(), commitment=commitment, envelope=envelope, distribution=2
    )
    item = FeedItem(incident_id=INCIDENT, reporter_org="alpha", origin=SENDER, versions=(version,))
    data: dict[str, Any] = {"origin": SENDER, "peer": PULLER, "generated_at": NOW, "after": 0, "next": 1, "more": False, "items": (item,)}
    data.update(over)
    return FeedPage(**data)


def body_of(p: FeedPage) -> bytes:
    return p.model_dump_json().encode()


# --- feed pages ---------------------------------------------------------------------------------


def test_a_signed_page_round_trips(sender_key: SigningKey) -> None:
    p = page(sender_key)
    body = body_of(p)
    got = verify_feed(body, sign_feed(body, sender_key), sender_key.public, expect_origin=SENDER, expect_peer=PULLER)
    assert got == p
    assert got.items[0].versions[0].report.distribution == 2
    # The signature is over the domain-separated body, not the bare body.
    sig = base64.b64decode(sign_feed(body, sender_key))
    assert sender_key.public.verify(sig, FEED_DOMAIN + body)
    assert not sender_key.public.verify(sig, body)


def test_a_tampered_body_is_refused(sender_key: SigningKey) -> None:
    body = body_of(page(sender_key))
    sig = sign_feed(body, sender_key)
    tampered = body.replace(b'"distribution":2', b'"distribution":3')
    assert tampered != body
    with pytest.raises(VerificationError, match="does not verify"):
        verify_feed(tampered, sig, sender_key.public, expect_origin=SENDER, expect_peer=PULLER)
    with pytest.raises(VerificationError, match="does not verify"):
        verify_feed(body + b" ", sig, sender_key.public, expect_origin=SENDER, expect_peer=PULLER)


def test_a_page_signed_by_another_key_is_refused(sender_key: SigningKey) -> None:
    body = body_of(page(sender_key))
    with pytest.raises(VerificationError, match="does not verify"):
        verify_feed(body, sign_feed(body, SigningKey.generate()), sender_key.public, expect_origin=SENDER, expect_peer=PULLER)


@pytest.mark.parametrize(
    "signature", [None, "", "not base64!", "é", base64.b64encode(b"x" * 63).decode(), base64.b64encode(b"x" * 65).decode(), "AAAA"]
)
def test_a_missing_or_garbage_signature_is_refused(sender_key: SigningKey, signature: str | None) -> None:
    body = body_of(page(sender_key))
    with pytest.raises(VerificationError, match="Accord-Signature"):
        verify_feed(body, signature, sender_key.public, expect_origin=SENDER, expect_peer=PULLER)


def test_a_request_signature_is_not_a_page_signature(sender_key: SigningKey) -> None:
    # Domain separation: bytes signed as a request never verify as a page.
    msg = request_message("GET", PATH, SENDER, 1)
    with pytest.raises(VerificationError, match="does not verify"):
        verify_feed(msg, base64.b64encode(sender_key.sign(msg)).decode(), sender_key.public, expect_origin=SENDER, expect_peer=PULLER)


def test_a_page_made_for_another_peer_is_refused(sender_key: SigningKey) -> None:
    body = body_of(page(sender_key, peer="accord.gamma.example/log"))
    with pytest.raises(VerificationError, match="made for 'accord.gamma.example/log'"):
        verify_feed(body, sign_feed(body, sender_key), sender_key.public, expect_origin=SENDER, expect_peer=PULLER)


def test_a_page_from_another_origin_is_refused(sender_key: SigningKey) -> None:
    body = body_of(page(sender_key, origin="accord.mallory.example/log"))
    with pytest.raises(VerificationError, match="from 'accord.mallory.example/log'"):
        verify_feed(body, sign_feed(body, sender_key), sender_key.public, expect_origin=SENDER, expect_peer=PULLER)


def test_an_oversize_page_is_refused_before_its_signature_is_checked(sender_key: SigningKey, monkeypatch: pytest.MonkeyPatch) -> None:
    body = body_of(page(sender_key))
    monkeypatch.setattr(wire, "MAX_FEED_BYTES", len(body) - 1)
    with pytest.raises(VerificationError, match="over"):
        verify_feed(body, "garbage", sender_key.public, expect_origin=SENDER, expect_peer=PULLER)
    monkeypatch.setattr(wire, "MAX_FEED_BYTES", len(body))
    assert verify_feed(body, sign_feed(body, sender_key), sender_key.public, expect_origin=SENDER, expect_peer=PULLER).next == 1


def test_a_garbage_body_is_only_parsed_after_its_signature(sender_key: SigningKey) -> None:
    with pytest.raises(VerificationError, match="does not verify"):
        verify_feed(b"{not json", sign_feed(b"{", sender_key), sender_key.public, expect_origin=SENDER, expect_peer=PULLER)
    with pytest.raises(VerificationError, match="malformed at the top"):
        verify_feed(b"{not json", sign_feed(b"{not json", sender_key), sender_key.public, expect_origin=SENDER, expect_peer=PULLER)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("items", 0, "versions", 0, "distribution"), 7, "items.0.versions.0.distribution"),
        (("items", 0, "versions", 0, "report", "tlp"), "WHITE", "items.0.versions.0.report.tlp"),
        (("items", 0, "incident_id"), "not-a-uuid", "items.0.incident_id"),
        (("peer",), "has space", "peer"),
        (("next",), -1, "next"),
        (("surplus",), 1, "surplus"),
    ],
)
def test_a_validly_signed_malformed_page_names_the_field(sender_key: SigningKey, path: tuple[Any, ...], value: Any, field: str) -> None:
    doc = json.loads(body_of(page(sender_key)))
    here = doc
    for step in path[:-1]:
        here = here[step]
    here[path[-1]] = value
    body = json.dumps(doc).encode()
    with pytest.raises(VerificationError, match=f"malformed at {field}") as err:
        verify_feed(body, sign_feed(body, sender_key), sender_key.public, expect_origin=SENDER, expect_peer=PULLER)
    assert "Traceback" not in str(err.value)


# --- signed pull requests ----------------------------------------------------------------------


def lower(headers: dict[str, str]) -> dict[str, str]:
    """What an HTTP server hands over: header names are case-insensitive, kept lower-case."""
    return {k.lower(): v for k, v in headers.items()}


@pytest.fixture(scope="module")
def puller_key() -> SigningKey:
    return SigningKey.generate()


def test_a_signed_request_round_trips(puller_key: SigningKey) -> None:
    h = request_headers("GET", PATH, PULLER, puller_key, now=NOW)
    assert set(h) == {"Accord-Peer", "Accord-Peer-Time", "Accord-Peer-Signature"}
    assert h["Accord-Peer"] == PULLER and h["Accord-Peer-Time"] == str(int(NOW.timestamp()))
    verify_request("GET", PATH, lower(h), puller_key.public, origin=PULLER, now=int(NOW.timestamp()))
    verify_request("get", PATH, lower(h), puller_key.public, origin=PULLER, now=int(NOW.timestamp()))  # methods are case-insensitive


def test_verify_request_accepts_the_headers_request_headers_returns(puller_key: SigningKey) -> None:
    """``request_headers`` names them ``Accord-Peer...``; ``verify_request`` takes a plain dict
    and must accept them as they were made (HTTP header names are case-insensitive)."""
    h = request_headers("GET", PATH, PULLER, puller_key, now=NOW)
    verify_request("GET", PATH, h, puller_key.public, origin=PULLER, now=int(NOW.timestamp()))


def test_request_headers_default_to_the_clock(puller_key: SigningKey) -> None:
    import time

    h = request_headers("GET", PATH, PULLER, puller_key)
    assert abs(int(h["Accord-Peer-Time"]) - time.time()) < 60
    verify_request("GET", PATH, lower(h), puller_key.public, origin=PULLER, now=int(time.time()))


@pytest.mark.parametrize(
    ("method", "path"), [("POST", PATH), ("GET", "/v1/federation/feed?after=1&limit=100"), ("GET", "/v1/federation/info")]
)
def test_a_request_signed_for_another_method_or_path_is_refused(puller_key: SigningKey, method: str, path: str) -> None:
    h = lower(request_headers("GET", PATH, PULLER, puller_key, now=NOW))
    with pytest.raises(VerificationError, match="does not verify"):
        verify_request(method, path, h, puller_key.public, origin=PULLER, now=int(NOW.timestamp()))


def test_a_request_by_another_key_is_refused(puller_key: SigningKey) -> None:
    h = lower(request_headers("GET", PATH, PULLER, SigningKey.generate(), now=NOW))
    with pytest.raises(VerificationError, match="does not verify"):
        verify_request("GET", PATH, h, puller_key.public, origin=PULLER, now=int(NOW.timestamp()))


def test_a_request_naming_another_origin_is_refused(puller_key: SigningKey) -> None:
    h = lower(request_headers("GET", PATH, "accord.gamma.example/log", puller_key, now=NOW))
    with pytest.raises(VerificationError, match="another peer"):
        verify_request("GET", PATH, h, puller_key.public, origin=PULLER, now=int(NOW.timestamp()))
    # Rewriting the name does not help: the origin is inside the signed message.
    h["accord-peer"] = PULLER
    with pytest.raises(VerificationError, match="does not verify"):
        verify_request("GET", PATH, h, puller_key.public, origin=PULLER, now=int(NOW.timestamp()))


@pytest.mark.parametrize("name", ["accord.b\u00eata.example/log", "\u00ff"])
def test_a_non_ascii_peer_name_is_refused_as_a_verification_error(puller_key: SigningKey, name: str) -> None:
    """Header values arrive decoded as Latin-1 and may hold any byte; a hostile name must be a
    refusal (VerificationError), not a TypeError out of ``hmac.compare_digest``."""
    h = lower(request_headers("GET", PATH, PULLER, puller_key, now=NOW))
    h["accord-peer"] = name
    with pytest.raises(VerificationError, match="another peer"):
        verify_request("GET", PATH, h, puller_key.public, origin=PULLER, now=int(NOW.timestamp()))


@pytest.mark.parametrize("skew", [REQUEST_SKEW_S + 1, -(REQUEST_SKEW_S + 1), 10**9])
def test_a_request_outside_the_allowed_skew_is_refused(puller_key: SigningKey, skew: int) -> None:
    h = lower(request_headers("GET", PATH, PULLER, puller_key, now=NOW))
    with pytest.raises(VerificationError, match="clock"):
        verify_request("GET", PATH, h, puller_key.public, origin=PULLER, now=int(NOW.timestamp()) + skew)


@pytest.mark.parametrize("skew", [REQUEST_SKEW_S, -REQUEST_SKEW_S, 0])
def test_a_request_inside_the_allowed_skew_verifies(puller_key: SigningKey, skew: int) -> None:
    h = lower(request_headers("GET", PATH, PULLER, puller_key, now=NOW + timedelta(seconds=skew)))
    verify_request("GET", PATH, h, puller_key.public, origin=PULLER, now=int(NOW.timestamp()))


@pytest.mark.parametrize("raw", ["", "-5", "12a", "1e9", "1.5", " 1", "1" * 13, "\u00b2", "\u0661\u0662", "\uff11\uff12"])
def test_a_non_digit_or_overlong_time_is_refused_as_a_verification_error(puller_key: SigningKey, raw: str) -> None:
    h = lower(request_headers("GET", PATH, PULLER, puller_key, now=NOW))
    h["accord-peer-time"] = raw
    with pytest.raises(VerificationError):
        verify_request("GET", PATH, h, puller_key.public, origin=PULLER, now=int(NOW.timestamp()))


@pytest.mark.parametrize("sig", [None, "", "!!", base64.b64encode(b"y" * 64).decode()])
def test_a_missing_or_garbage_request_signature_is_refused(puller_key: SigningKey, sig: str | None) -> None:
    h = lower(request_headers("GET", PATH, PULLER, puller_key, now=NOW))
    if sig is None:
        del h["accord-peer-signature"]
    else:
        h["accord-peer-signature"] = sig
    with pytest.raises(VerificationError):
        verify_request("GET", PATH, h, puller_key.public, origin=PULLER, now=int(NOW.timestamp()))


def test_missing_peer_header_is_refused(puller_key: SigningKey) -> None:
    h = lower(request_headers("GET", PATH, PULLER, puller_key, now=NOW))
    del h["accord-peer"]
    with pytest.raises(VerificationError, match="another peer"):
        verify_request("GET", PATH, h, puller_key.public, origin=PULLER, now=int(NOW.timestamp()))


# --- the report's federation fields --------------------------------------------------------------


@pytest.mark.parametrize("over", [{"distribution": 4}, {"sharing_group": SG}, {"distribution": 3, "sharing_group": SG}])
def test_distribution_4_and_a_sharing_group_go_together(over: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="go together"):
        IncidentReport.model_validate(report_data(**over))


def test_distribution_4_with_a_sharing_group_is_accepted() -> None:
    r = IncidentReport.model_validate(report_data(distribution=4, sharing_group=SG))
    assert r.sharing_group is not None and r.sharing_group.servers[0].server == PULLER
    assert IncidentReport.model_validate_json(r.model_dump_json()) == r


@pytest.mark.parametrize("level", [-1, 5, "3"])
def test_unknown_distribution_levels_are_refused(level: Any) -> None:
    with pytest.raises(ValidationError, match="distribution"):
        IncidentReport.model_validate(report_data(distribution=level))


#: sha256 of canonical_document(INCIDENT, 2, "acme", CREATED, report_data()) as accord computed it
#: before the federation fields existed (commit 85c6feb).
GOLDEN_SHA256 = "971b1cc1c031883d8dad59816f16f9a33338b41d85b5a1cf8667bda83a25a1fc"


def test_a_report_without_federation_fields_commits_to_the_same_bytes_as_before() -> None:
    doc = canonical_document(INCIDENT, 2, "acme", CREATED, IncidentReport.model_validate(report_data()))
    assert hashlib.sha256(doc).hexdigest() == GOLDEN_SHA256
    assert "distribution" not in json.loads(doc)["report"]
    assert "sharing_group" not in json.loads(doc)["report"]


def test_a_report_with_federation_fields_commits_to_them() -> None:
    three = json.loads(canonical_document(INCIDENT, 2, "acme", CREATED, IncidentReport.model_validate(report_data(distribution=3))))
    assert three["report"]["distribution"] == 3
    assert "sharing_group" not in three["report"]
    four = json.loads(
        canonical_document(INCIDENT, 2, "acme", CREATED, IncidentReport.model_validate(report_data(distribution=4, sharing_group=SG)))
    )
    assert four["report"]["distribution"] == 4
    assert four["report"]["sharing_group"]["servers"] == [{"server": PULLER, "all_orgs": False}]
    # The level is committed to: changing it changes the commitment.
    one = canonical_document(INCIDENT, 2, "acme", CREATED, IncidentReport.model_validate(report_data(distribution=1)))
    assert one != canonical_document(INCIDENT, 2, "acme", CREATED, IncidentReport.model_validate(report_data()))
