"""What federated servers send each other (issue 21): the feed page a peer pulls, its
signature, and the signature that authenticates a pull request. Pure: bytes in, bytes out.

A pull is ``GET /v1/federation/feed?after=CURSOR&limit=N`` with three headers that sign the
request with the puller's server key (the key that signs its log's checkpoints), so no
bearer token has to be stored on either side:

    Accord-Peer: <the puller's log origin>
    Accord-Peer-Time: <Unix seconds>
    Accord-Peer-Signature: base64(Ed25519("accord-federation-request/v1\\n" METHOD "\\n" PATH?QUERY "\\n" ORIGIN "\\n" TIME))

The server answers with a ``FeedPage`` (JSON) and ``Accord-Signature: base64(Ed25519(
"accord-federation-feed/v1\\n" || body))`` by its own key. The page names the requester, so a
page fetched by one peer cannot be replayed to another as its own; each version inside still
carries the sender's DSSE envelope over its salted commitment, which the receiver checks and
then re-signs into its own log.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from accord.attest import PublicKey, SigningKey
from accord.errors import VerificationError
from accord.incidents import ORG_PATTERN, IncidentReport

__all__ = [
    "FEED_DOMAIN",
    "MAX_FEED_BYTES",
    "MAX_PAGE_ITEMS",
    "REQUEST_DOMAIN",
    "REQUEST_SKEW_S",
    "FeedItem",
    "FeedPage",
    "FeedVersion",
    "ServerInfo",
    "request_headers",
    "request_message",
    "sign_feed",
    "verify_feed",
    "verify_request",
]

FEED_DOMAIN = b"accord-federation-feed/v1\n"
REQUEST_DOMAIN = "accord-federation-request/v1"
#: How far a request's time may be from the server's clock (a replayed pull only re-reads).
REQUEST_SKEW_S = 300
MAX_PAGE_ITEMS = 2000
MAX_ITEM_VERSIONS = 1000
#: A page larger than this is refused unread (2,000 full-size incidents fit; a hostile peer cannot exhaust memory).
MAX_FEED_BYTES = 64 * 1024 * 1024

Origin = Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=r"^[^\s+]+$")]
Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerInfo(_Frozen):
    """``GET /v1/federation/info``: who a server is, for ``accord peer add`` to pin."""

    origin: Origin = Field(description="the server's transparency-log origin: its name in the federation")
    log_vkey: str = Field(description="the verifier key of its checkpoints (its server key, named by the origin)")
    witness_vkey: str = Field(description="the cosignature/v1 key it witnesses its peers' logs with")
    name: str = ""


class FeedVersion(_Frozen):
    """One incident version as the sender holds it: content, salt, commitment, the sender's
    envelope over the commitment, and the distribution level on the sender."""

    version: int = Field(ge=1)
    created_at: AwareDatetime
    report: IncidentReport
    salt: Hex64
    commitment: Hex64
    envelope: dict[str, Any]
    distribution: int = Field(ge=0, le=4)
    retracted: bool = False
    origin_envelope: dict[str, Any] | None = Field(
        default=None, description="the origin server's own envelope over the commitment, when the sender relays the version"
    )


class FeedItem(_Frozen):
    """One incident's versions that the requesting peer may receive (oldest first)."""

    incident_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    reporter_org: Annotated[str, StringConstraints(pattern=ORG_PATTERN)]
    origin: Origin = Field(description="the server the incident was first reported on")
    versions: tuple[FeedVersion, ...] = Field(min_length=1, max_length=MAX_ITEM_VERSIONS)


class FeedPage(_Frozen):
    """A page of the sender's incidents updated after ``after`` (its update counter)."""

    origin: Origin = Field(description="the sender")
    peer: Origin = Field(description="the requester this page was made for")
    generated_at: AwareDatetime
    after: int = Field(ge=0)
    next: int = Field(ge=0, description="the cursor to pull from next")
    more: bool
    items: tuple[FeedItem, ...] = Field(default=(), max_length=MAX_PAGE_ITEMS)


def sign_feed(body: bytes, key: SigningKey) -> str:
    """The ``Accord-Signature`` header value for a page body."""
    return base64.b64encode(key.sign(FEED_DOMAIN + body)).decode()


def _b64sig(value: str | None, what: str) -> bytes:
    try:
        sig = base64.b64decode(value or "", validate=True)
    except (binascii.Error, ValueError):
        sig = b""
    if len(sig) != 64:
        raise VerificationError(f"{what} is missing or not a base64 Ed25519 signature")
    return sig


def verify_feed(body: bytes, signature: str | None, key: PublicKey, *, expect_origin: str, expect_peer: str) -> FeedPage:
    """Check a page's signature by the peer's pinned key *before* parsing it, then parse it and
    check it is the peer's page made for us. Raises ``VerificationError``."""
    if len(body) > MAX_FEED_BYTES:
        raise VerificationError(f"the peer's page is over {MAX_FEED_BYTES} bytes")
    if not key.verify(_b64sig(signature, "the page's Accord-Signature"), FEED_DOMAIN + body):
        raise VerificationError("the page's signature does not verify under the peer's key", why="altered in transit, or not the peer")
    from pydantic import ValidationError

    try:
        page = FeedPage.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise VerificationError(f"the peer's page is malformed at {where or 'the top'}: {first.get('msg')}") from None
    if page.origin != expect_origin:
        raise VerificationError(f"the page is from {page.origin[:100]!r}, not the peer {expect_origin!r}")
    if page.peer != expect_peer:
        raise VerificationError(f"the page was made for {page.peer[:100]!r}, not for this server ({expect_peer!r})")
    return page


def request_message(method: str, path_qs: str, origin: str, timestamp: int) -> bytes:
    return f"{REQUEST_DOMAIN}\n{method.upper()}\n{path_qs}\n{origin}\n{timestamp}".encode()


def request_headers(method: str, path_qs: str, origin: str, key: SigningKey, *, now: datetime | None = None) -> dict[str, str]:
    """The three headers that sign a pull request with the puller's server key."""
    import time

    ts = int(now.timestamp()) if now is not None else int(time.time())
    sig = key.sign(request_message(method, path_qs, origin, ts))
    return {"Accord-Peer": origin, "Accord-Peer-Time": str(ts), "Accord-Peer-Signature": base64.b64encode(sig).decode()}


def verify_request(method: str, path_qs: str, headers: Mapping[str, str], key: PublicKey, *, origin: str, now: int) -> None:
    """Check a pull request's signature by ``key`` (the peer ``origin``'s pinned key) and its
    time. Header names are matched case-insensitively. Raises ``VerificationError``."""
    headers = {k.lower(): v for k, v in headers.items()}
    if not hmac.compare_digest(
        headers.get("accord-peer", "").encode("utf-8", "surrogateescape"), origin.encode("utf-8", "surrogateescape")
    ):
        raise VerificationError("the request names another peer")
    raw_ts = headers.get("accord-peer-time", "")
    if not re.fullmatch(r"[0-9]{1,12}", raw_ts):
        raise VerificationError("Accord-Peer-Time is missing or not Unix seconds")
    ts = int(raw_ts)
    if abs(now - ts) > REQUEST_SKEW_S:
        raise VerificationError(
            f"the request's time is {now - ts} s from this server's clock (at most {REQUEST_SKEW_S} s)", fix="check both clocks (NTP)"
        )
    if not key.verify(_b64sig(headers.get("accord-peer-signature"), "Accord-Peer-Signature"), request_message(method, path_qs, origin, ts)):
        raise VerificationError("the request's signature does not verify under the peer's key")
