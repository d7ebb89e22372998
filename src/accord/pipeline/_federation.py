"""Federation jobs (issue 21): peers, the feed a peer pulls, pulling and applying it, and
witnessing each peer's transparency log.

A sync round with one peer (``sync_peer``), in this order:

1. **Witness** its log: fetch its latest checkpoint, verify it under the peer's pinned key,
   check it against the last checkpoint this server cosigned for it (same size, other root:
   a fork; smaller: a rollback; larger: a consistency proof must tie them). A fork or a
   rollback marks the peer ``forked`` with both checkpoints as evidence, and sync from it stops
   until the operator looks (``accord peer resume``). Otherwise this server records the new
   (size, root) *before* it releases its cosignature, keeps the cosigned note (served at
   ``GET /v1/federation/cosignatures``) and posts it to the peer (``POST /v1/log/cosign``).
2. **Pull** pages of the peer's feed after the stored cursor. Each page is signed by the peer
   (checked before it is parsed) and made for this server. For every version not stored yet
   the content and salt must reproduce its commitment and the peer's envelope must sign that
   commitment; this server then applies the sharing rules itself (``accord.federation``: TLP
   and the MISP pull table, from what it hosts), signs its own envelope over the commitment
   (deterministic: Ed25519 over a statement timed at the version's creation) and appends the
   page's envelopes to its own log in one batch with one checkpoint.
3. **Apply** the page in one transaction that also moves the cursor, guarded by the cursor it
   started from: a retry, a restart or a ``kill -9`` at any point re-pulls the page and finds
   its versions stored, so nothing is lost and nothing applied twice. (A crash between the log
   append and the commit leaves salted commitments in the log that no stored version points
   to; they reveal nothing, and the retry appends them again.)

Serving (``feed_page``): a pull request is signed by the peer's server key (``accord.federation.
verify_request``); the page holds the versions the peer may receive, each at the level the peer
will hold it (``offer_level``); retractions go to every peer that may have received a version.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from accord.errors import AccordError, InputError, StoreError, VerificationError
from accord.pipeline._access import LOCAL_ADMIN, AccessDenied, AuthError, NotFound, Principal

if TYPE_CHECKING:
    from accord.attest import PublicKey, SigningKey
    from accord.federation import FeedPage, FeedVersion, ServerInfo

__all__ = [
    "PeerSync",
    "add_peer",
    "federation_info",
    "feed_page",
    "list_cosignatures",
    "list_peers",
    "remove_peer",
    "resume_peer",
    "sync_all",
    "sync_peer",
    "SyncLoop",
    "check_poke",
    "notify_peers",
]

#: Pages pulled from one peer in one round at most (the next round goes on from the cursor).
MAX_PAGES_PER_ROUND = 50
DEFAULT_PAGE = 500
HTTP_TIMEOUT_S = 30.0
#: Only one sync of a given peer at a time in this process (another process is stopped by the cursor guard).
_PEER_LOCKS: dict[str, threading.Lock] = {}
_PEER_LOCKS_GUARD = threading.Lock()


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fed(store: Any) -> Any:
    from accord.store import Federation

    return Federation(store)


def _incidents(store: Any) -> Any:
    from accord.store import Incidents

    return Incidents(store)


def _server_key(log_key: str | None) -> SigningKey:
    from accord.pipeline._service_log import _log_key

    key: SigningKey = _log_key(log_key)
    return key


def _own_origin(log_dir: Path) -> str:
    """This server's name in the federation: its log's origin (the log is created if new)."""
    from accord.attest import FileLog
    from accord.pipeline._service_log import _APPEND_LOCK

    with _APPEND_LOCK, FileLog.open_or_create(log_dir) as tlog:
        origin: str = tlog.origin
    return origin


def federation_info(log_dir: Path, *, log_key: str | None = None, name: str = "accord") -> ServerInfo:
    """Who this server is: its origin, checkpoint verifier key and witness key (public)."""
    from accord.attest import cosigner_vkey
    from accord.federation import ServerInfo

    origin = _own_origin(Path(log_dir))
    key = _server_key(log_key)
    return ServerInfo(origin=origin, log_vkey=key.public.vkey(origin), witness_vkey=cosigner_vkey(key.public, origin), name=name)


# -- peers ----------------------------------------------------------------------------------


def _orgs_text(orgs: list[str]) -> str:
    from accord.pipeline._orgs import _check_org_id

    clean = sorted({_check_org_id(o, "orgs") for o in orgs})
    return ("," + ",".join(clean) + ",") if clean else ""


def _orgs_of(row: dict[str, Any]) -> frozenset[str]:
    return frozenset(o for o in str(row.get("orgs") or "").split(",") if o)


def _public_key(row: dict[str, Any]) -> PublicKey:
    import base64

    from accord.attest import PublicKey

    return PublicKey(base64.b64decode(row["public_key"]))


def _check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise InputError(
            "a peer URL is the base URL of an accord server", field="url", expected="http(s)://host[:port][/prefix]", got=url[:200]
        )
    return url.strip().rstrip("/")


def _client(client: Any = None) -> Any:
    import httpx

    return client if client is not None else httpx.Client(timeout=HTTP_TIMEOUT_S, follow_redirects=False)


def _fetch_info(url: str, client: Any = None) -> ServerInfo:
    from pydantic import ValidationError

    from accord.federation import ServerInfo

    http = _client(client)
    try:
        resp = _fetch(http, f"{url}/v1/federation/info", limit=64 * 1024)
    except VerificationError:
        raise
    except Exception as exc:  # httpx.HTTPError and socket errors: say which peer and why
        raise AccordError(
            f"could not reach the peer at {url}", why=str(exc)[:300], fix="check the URL and that `accord serve` runs there"
        ) from None
    finally:
        if client is None:
            http.close()
    if resp.status_code != 200:
        raise AccordError(f"the peer at {url} answered {resp.status_code} to /v1/federation/info", why=resp.text[:300])
    try:
        return ServerInfo.model_validate_json(resp.content)
    except ValidationError as exc:
        raise VerificationError(f"the peer at {url} sent a malformed /v1/federation/info", why=str(exc.errors()[0].get("msg"))) from None


def add_peer(
    store: Any,
    who: Principal,
    url: str,
    *,
    trusted_key: str,
    orgs: list[str],
    pull: bool = True,
    push: bool = True,
    relay: bool = False,
    name: str | None = None,
    log_dir: Path | None = None,
    log_key: str | None = None,
    client: Any = None,
) -> dict[str, Any]:
    """Add (or re-configure) a peer. Its ``/v1/federation/info`` is fetched and must name the
    key given as ``trusted_key`` (``--trusted-key``: pinned, never learnt from the peer); its
    witness key is enrolled so its cosignatures of this server's log are accepted.

    Policy: ``orgs``, the organisations it speaks for (incidents it sends must be reported by
    one of them unless ``relay``; restricted TLP goes to it only for them); ``pull``, sync from
    it; ``push``, serve it this server's feed.
    """
    from accord.attest import Ed25519Verifier, load_public_keys, parse_vkey
    from accord.pipeline._orgs import audit, require
    from accord.pipeline._service_log import enrol_witness

    require(who, roles=("admin",), store=store, action="peer.add", target=f"peer:{url[:200]}")
    url = _check_url(url)
    keys = load_public_keys([trusted_key])
    if len(keys) != 1:
        raise InputError("--trusted-key names one key: the peer's server key", field="trusted_key", got=f"{len(keys)} keys")
    pinned = keys[0]
    info = _fetch_info(url, client)
    served = parse_vkey(info.log_vkey)
    if not isinstance(served, Ed25519Verifier) or served.public.raw != pinned.raw:
        raise VerificationError(
            f"the server at {url} signs with another key than the one given",
            why="its /v1/federation/info names a different checkpoint key",
            fix="get the peer's key from its operator out of band (`accord keys show` there) and pass it as --trusted-key",
        )
    if served.name != info.origin:
        raise VerificationError("the peer's checkpoint key is not named by its origin", why=f"{served.name!r} vs {info.origin!r}")
    if log_dir is not None and info.origin == _own_origin(Path(log_dir)):
        raise InputError("this is this server's own origin", field="url", fix="a peer is another server")
    import base64

    row = {
        "origin": info.origin,
        "url": url,
        "name": (name or info.name or info.origin)[:200],
        "public_key": base64.b64encode(pinned.raw).decode(),
        "orgs": _orgs_text(orgs),
        "pull": pull,
        "push": push,
        "relay": relay,
        "state": "active",
        "cursor": 0,
        "received": 0,
        "added_at": _now_text(),
        "added_by": who.describe(),
    }
    added = _fed(store).add_peer(row)
    try:
        enrol_witness(store, LOCAL_ADMIN, info.witness_vkey, log_key=log_key)
    except InputError:
        pass  # a peer that shares this server's key (a test rig): its cosignatures are not needed
    audit(
        store,
        who,
        "peer.add" if added else "peer.update",
        f"peer:{info.origin}",
        True,
        f"orgs {row['orgs'] or '-'}, pull {pull}, push {push}, relay {relay}",
    )
    return _public_peer({**(_fed(store).peer(info.origin) or row)})


def _public_peer(row: dict[str, Any]) -> dict[str, Any]:
    evidence = json.loads(row["fork_evidence"]) if row.get("fork_evidence") else None
    return {
        "origin": row["origin"],
        "name": row["name"],
        "url": row["url"],
        "orgs": sorted(_orgs_of(row)),
        "pull": bool(row["pull"]),
        "push": bool(row["push"]),
        "relay": bool(row["relay"]),
        "state": row["state"],
        "cursor": int(row["cursor"]),
        "received": int(row["received"]),
        "witnessed_size": row.get("witnessed_size"),
        "witnessed_root": row.get("witnessed_root"),
        "last_sync_at": row.get("last_sync_at"),
        "last_error": row.get("last_error"),
        "fork_detected_at": row.get("fork_detected_at"),
        "fork_evidence": evidence,
    }


def list_peers(store: Any) -> list[dict[str, Any]]:
    """Every peer with its policy, cursor, witness state and health (no secret: keys are public)."""
    return [_public_peer(r) for r in _fed(store).peers()]


def _peer_row(store: Any, ref: str) -> dict[str, Any]:
    fed = _fed(store)
    row = fed.peer(ref)
    if row is None:
        matches = [r for r in fed.peers() if ref in (r["name"], r["url"])]
        if len(matches) == 1:
            row = matches[0]
    if row is None:
        raise NotFound(f"no peer {ref[:200]!r}", fix="`accord peer list` shows them (by origin, name or URL)")
    return dict(row)


def remove_peer(store: Any, who: Principal, ref: str) -> dict[str, Any]:
    from accord.pipeline._orgs import audit, require

    require(who, roles=("admin",), store=store, action="peer.remove", target=f"peer:{ref[:200]}")
    row = _peer_row(store, ref)
    _fed(store).remove_peer(row["origin"])
    audit(store, who, "peer.remove", f"peer:{row['origin']}", True, "removed; what it sent stays")
    return _public_peer(row)


def resume_peer(store: Any, who: Principal, ref: str, *, forget_witnessed: bool = False) -> dict[str, Any]:
    """Clear a peer's ``forked`` state after the operator looked at the evidence. With
    ``forget_witnessed`` the next checkpoint is trusted afresh (the operator accepts the new
    history); otherwise a log that still contradicts the witnessed one is flagged again."""
    from accord.pipeline._orgs import audit, require

    require(who, roles=("admin",), store=store, action="peer.resume", target=f"peer:{ref[:200]}")
    row = _peer_row(store, ref)
    fields: dict[str, Any] = {"state": "active", "last_error": None}
    if forget_witnessed:
        fields.update(witnessed_size=None, witnessed_root=None)
    _fed(store).update_peer(row["origin"], **fields)
    audit(store, who, "peer.resume", f"peer:{row['origin']}", True, "forget witnessed" if forget_witnessed else "keep witnessed")
    return _public_peer(_peer_row(store, row["origin"]))


def list_cosignatures(store: Any, origin: str | None = None, *, limit: int = 100) -> list[dict[str, Any]]:
    """The peers' checkpoints this server cosigned, newest first (public: anyone may compare
    them with what the peer showed them)."""
    return [
        {"origin": r["origin"], "size": int(r["size"]), "root": r["root"], "note": r["note"], "cosigned_at": r["created_at"]}
        for r in _fed(store).cosignatures(origin, limit=limit)
    ]


# -- serving the feed -----------------------------------------------------------------------


def _marking_of(version_row: dict[str, Any], reporter_org: str) -> Any:
    """The routing marking of a stored version (its marking_json when its content was wiped)."""
    from accord.federation import Marking
    from accord.incidents import IncidentReport, Recipient, SharingGroup

    level = 1 if version_row.get("distribution") is None else int(version_row["distribution"])
    if version_row.get("report_json"):
        report = IncidentReport.model_validate_json(version_row["report_json"])
        return Marking(reporter_org, report.tlp, report.recipients, level, report.sharing_group)
    doc = json.loads(version_row.get("marking_json") or "{}")
    group = SharingGroup.model_validate(doc["sharing_group"]) if doc.get("sharing_group") else None
    recipients = tuple(Recipient.model_validate(r) for r in doc.get("recipients", ()))
    return Marking(reporter_org, str(doc.get("tlp", "RED")), recipients, int(doc.get("distribution", level)), group)


def feed_page(
    store: Any,
    log_dir: Path,
    *,
    method: str,
    path_qs: str,
    headers: dict[str, str],
    after: int,
    limit: int = DEFAULT_PAGE,
    log_key: str | None = None,
    now: int | None = None,
) -> tuple[bytes, str]:
    """The page of this server's incidents a pulling peer may receive, as (body, signature).

    The request must be signed by a known peer whose policy lets it pull (``push`` here).
    """
    from accord.federation import MAX_PAGE_ITEMS, FeedItem, FeedPage, PeerView, offer_level, sign_feed, verify_request
    from accord.pipeline._orgs import audit

    lower = {k.lower(): v for k, v in headers.items()}
    origin = lower.get("accord-peer", "")
    row = _fed(store).peer(origin) if origin else None
    if row is None:
        raise AuthError(
            "not a peer of this server",
            why="the request names no peer, or one this server does not know",
            fix="the operator adds it with `accord peer add`",
        )
    try:
        verify_request(method, path_qs, lower, _public_key(row), origin=origin, now=int(time.time()) if now is None else now)
    except VerificationError as exc:
        who = Principal(org=None, role="public")
        audit(store, who, "federation.feed", f"peer:{origin[:200]}", False, exc.what[:300])
        raise AuthError("the pull request's signature does not check out", why=exc.what) from None
    if not row["push"]:
        raise AccessDenied(
            f"this server does not serve its feed to {origin}", fix="the operator allows it with `accord peer add ... --push`"
        )
    if not isinstance(after, int) or after < 0:
        raise InputError("after is a cursor: a non-negative integer", field="after", got=after)
    limit = max(1, min(int(limit), MAX_PAGE_ITEMS))
    peer = PeerView(server=origin, orgs=_orgs_of(row))
    own = _own_origin(Path(log_dir))
    rows = _incidents(store).feed(after_seq=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    items: list[FeedItem] = []
    for head, versions in rows:
        reporter = head["reporter_org"]
        offered: list[FeedVersion] = []
        any_offered = False
        for v in versions:
            level = offer_level(_marking_of(v, reporter), peer)
            if level is None:
                continue
            any_offered = True
            if v.get("hidden") or (v.get("source") == origin):
                continue  # wiped by a retraction, or the peer's own
            offered.append(_feed_version(v))
        if any_offered and head.get("retracted"):
            # a retraction reaches every peer that may have received any version of it
            last = versions[-1]
            if last.get("retracted") and not any(o.version == int(last["version"]) for o in offered) and last.get("source") != origin:
                offered.append(_feed_version(last))
        if offered:
            first_origin = next((v.get("origin") for v in versions if v.get("origin")), None)
            items.append(FeedItem(incident_id=head["id"], reporter_org=reporter, origin=first_origin or own, versions=tuple(offered)))
    next_cursor = int(rows[-1][0]["update_seq"]) if rows else after
    page = FeedPage(origin=own, peer=origin, generated_at=datetime.now(UTC), after=after, next=next_cursor, more=more, items=tuple(items))
    body = page.model_dump_json().encode()
    return body, sign_feed(body, _server_key(log_key))


def _feed_version(v: dict[str, Any]) -> FeedVersion:
    """A stored version as the feed sends it: with the origin's envelope when it was relayed here."""
    from accord.federation import FeedVersion
    from accord.incidents import IncidentReport

    return FeedVersion(
        version=int(v["version"]),
        created_at=v["created_at"],
        report=IncidentReport.model_validate_json(v["report_json"]),
        salt=v["salt"],
        commitment=v["commitment"],
        envelope=json.loads(v["envelope_json"]),
        distribution=1 if v.get("distribution") is None else int(v["distribution"]),
        retracted=bool(v.get("retracted")),
        origin_envelope=json.loads(v["origin_envelope_json"]) if v.get("origin_envelope_json") else None,
    )


def _signs(envelope: dict[str, Any], key: PublicKey, commitment: str) -> bool:
    """Whether ``envelope`` is signed by ``key`` and names exactly ``commitment``."""
    from accord.attest import verify_attestation

    try:
        verified = verify_attestation(json.dumps(envelope).encode(), [key])
    except (VerificationError, InputError, ValueError):
        return False
    return [s.digest.get("sha256") for s in verified.statement.subjects] == [commitment]


# -- pulling --------------------------------------------------------------------------------


@dataclass
class PeerSync:
    """What one sync round with one peer did."""

    peer: str
    state: str = "active"
    pages: int = 0
    received: int = 0
    skipped: int = 0
    refused: int = 0
    cursor: int = 0
    witnessed_size: int | None = None
    cosigned: bool = False
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _peer_lock(origin: str) -> threading.Lock:
    with _PEER_LOCKS_GUARD:
        return _PEER_LOCKS.setdefault(origin, threading.Lock())


@dataclass(frozen=True)
class _Reply:
    """A peer's answer, read whole but bounded (see ``_fetch``)."""

    status_code: int
    content: bytes
    headers: Any

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


#: The most a peer's answer may hold: a feed page (``MAX_FEED_BYTES``) or, for anything else, 1 MiB.
SMALL_REPLY_BYTES = 1 << 20
#: The most one answer may take in all (the client's time-out is per read: a peer dripping bytes is cut here).
REPLY_DEADLINE_S = 2 * HTTP_TIMEOUT_S


def _fetch(http: Any, url: str, *, headers: dict[str, str] | None = None, limit: int = SMALL_REPLY_BYTES) -> _Reply:
    """GET ``url`` from a peer with bounded memory and time: more than ``limit`` bytes, or longer
    than ``REPLY_DEADLINE_S`` in all, is refused without reading further."""
    deadline = time.monotonic() + REPLY_DEADLINE_S
    with http.stream("GET", url, headers=headers or {}) as resp:
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise VerificationError(f"the peer's answer from {url[:200]} is over {limit} bytes", why="refused unread beyond that")
            if time.monotonic() > deadline:
                raise VerificationError(f"the peer's answer from {url[:200]} took over {REPLY_DEADLINE_S:.0f} s")
            chunks.append(chunk)
        return _Reply(resp.status_code, b"".join(chunks), resp.headers)


def _get(http: Any, row: dict[str, Any], path_qs: str, own: str, key: SigningKey, *, signed: bool = False) -> _Reply:
    from accord.federation import MAX_FEED_BYTES, request_headers

    prefix = urlsplit(row["url"]).path.rstrip("/")
    headers = request_headers("GET", prefix + path_qs, own, key) if signed else {}
    try:
        return _fetch(http, row["url"] + path_qs, headers=headers, limit=MAX_FEED_BYTES if signed else SMALL_REPLY_BYTES)
    except VerificationError:
        raise
    except Exception as exc:  # network errors are the peer's state, not a crash of ours
        raise AccordError(f"could not reach the peer {row['origin']}", why=str(exc)[:300]) from None


def _flag_fork(store: Any, row: dict[str, Any], shown_note: str, why: str) -> None:
    from accord.pipeline._orgs import audit

    evidence = {
        "witnessed": {"size": row.get("witnessed_size"), "root": row.get("witnessed_root")},
        "shown": shown_note,
        "why": why[:1000],
    }
    when = _now_text()
    _fed(store).update_peer(row["origin"], state="forked", fork_evidence=json.dumps(evidence), fork_detected_at=when, last_error=why[:2000])
    audit(store, LOCAL_ADMIN, "peer.fork", f"peer:{row['origin']}", False, why[:900])


def _witness(store: Any, http: Any, row: dict[str, Any], own: str, key: SigningKey, result: PeerSync) -> bool:
    """Witness the peer's latest checkpoint; False (and the peer flagged) on a fork or rollback."""
    from accord.attest import (
        ConsistencyProof,
        CosignatureV1Signer,
        NoteSignature,
        WitnessRefusal,
        add_signature,
        check_against_seen,
        log_verifiers,
        parse_note,
        verify_checkpoint,
    )

    resp = _get(http, row, "/v1/log/checkpoint", own, key)
    if resp.status_code == 404:
        if row.get("witnessed_size"):
            why = f"the peer shows no checkpoint after it showed one of size {row['witnessed_size']}: its log was rolled back"
            _flag_fork(store, row, "", why)
            result.state, result.error = "forked", why
            return False
        result.notes.append("the peer's log is empty: nothing to witness yet")
        return True
    if resp.status_code != 200:
        raise AccordError(f"the peer {row['origin']} answered {resp.status_code} for its checkpoint")
    note_text = resp.text
    cp = verify_checkpoint(note_text, log_verifiers([_public_key(row)], row["origin"]), origin=row["origin"])
    seen = None
    if row.get("witnessed_size") is not None:
        seen = (int(row["witnessed_size"]), bytes.fromhex(row["witnessed_root"]))
    proof = None
    if seen is not None and cp.size > seen[0] > 0:
        pr = _get(http, row, f"/v1/log/proof/consistency?old={seen[0]}&new={cp.size}", own, key)
        if pr.status_code != 200:
            why = f"the peer could not prove its size-{cp.size} tree extends the size-{seen[0]} tree it showed before ({pr.status_code})"
            _flag_fork(store, row, note_text, why)
            result.state, result.error = "forked", why
            return False
        try:
            proof = ConsistencyProof.from_json(pr.content)
        except (VerificationError, InputError, ValueError) as exc:
            why = f"the peer's consistency proof is malformed: {exc}"
            _flag_fork(store, row, note_text, why)
            result.state, result.error = "forked", why
            return False
    try:
        check_against_seen(cp, seen, proof)
    except (WitnessRefusal, VerificationError) as exc:
        _flag_fork(store, row, note_text, exc.what)
        result.state, result.error = "forked", exc.what
        return False
    note = parse_note(note_text)
    signer = CosignatureV1Signer(own, key)
    sig = signer.sign(note.text.encode())
    _fed(store).update_peer(row["origin"], witnessed_size=cp.size, witnessed_root=cp.root.hex())  # before the cosignature leaves
    cosigned = add_signature(note, NoteSignature(own, signer.key_id, sig))
    _fed(store).put_cosignature(row["origin"], cp.size, cp.root.hex(), cosigned, _now_text())
    result.witnessed_size = cp.size
    try:
        posted = http.post(row["url"] + "/v1/log/cosign", content=cosigned.encode(), headers={"Content-Type": "text/plain"})
        result.cosigned = posted.status_code == 200
        if not result.cosigned:
            result.notes.append(f"the peer did not take the cosignature ({posted.status_code})")
    except Exception as exc:  # best effort: the cosignature is published here anyway
        result.notes.append(f"could not post the cosignature: {str(exc)[:200]}")
    return True


def _local_orgs(store: Any) -> frozenset[str]:
    from accord.pipeline._orgs import list_orgs

    out: set[str] = set()
    after = None
    while True:
        page = list_orgs(store, after=after, limit=1000)
        out.update(r["id"] for r in page)
        if len(page) < 1000:
            return frozenset(out)
        after = page[-1]["id"]


def _apply(
    store: Any, log_dir: Path, row: dict[str, Any], page: FeedPage, key: SigningKey, own: str, result: PeerSync, log_key: str | None
) -> None:
    """Verify every new version on ``page``, log the batch, store it and move the cursor, atomically."""
    from accord.attest import verify_attestation
    from accord.federation import Marking, PeerView, offer_level
    from accord.incidents import canonical_document, commit_document, reader_keys, sign_commitment
    from accord.pipeline._incident_jobs import _stamp, federation_columns, marking_json
    from accord.pipeline._service_log import log_append_many

    peer_key = _public_key(row)
    peer_orgs = _orgs_of(row)
    origin_keys = {r["origin"]: _public_key(r) for r in _fed(store).peers()}
    if own in origin_keys:
        del origin_keys[own]
    here = PeerView(server=own, orgs=_local_orgs(store))
    inc = _incidents(store)
    known = inc.known_versions([i.incident_id for i in page.items])
    accepted: list[tuple[Any, Any, int]] = []  # (item, version, level here)
    for item in page.items:
        if (item.reporter_org not in peer_orgs or item.origin != row["origin"]) and not row["relay"]:
            result.refused += len(item.versions)
            why = f"does not speak for {item.reporter_org}" if item.reporter_org not in peer_orgs else f"relays it from {item.origin[:100]}"
            result.notes.append(f"refused {item.incident_id}: {row['origin']} {why}, and this server takes no relayed incidents from it")
            continue
        if item.origin == own:
            result.skipped += len(item.versions)  # this server's own incident, back from a peer
            continue
        have = known.get(item.incident_id, {})
        for v in item.versions:
            document = canonical_document(item.incident_id, v.version, item.reporter_org, v.created_at, v.report)
            if commit_document(bytes.fromhex(v.salt), document) != v.commitment:
                raise VerificationError(
                    f"{row['origin']} sent incident {item.incident_id} v{v.version} whose content does not reproduce its commitment"
                )
            if v.version in have:
                if have[v.version] != v.commitment:
                    raise VerificationError(
                        f"{row['origin']} sent incident {item.incident_id} v{v.version} with another commitment than the one stored here",
                        why="two different contents under one version: the peer (or its source) equivocates",
                    )
                result.skipped += 1
                continue
            verified = verify_attestation(json.dumps(v.envelope).encode(), [peer_key])
            if [s.digest.get("sha256") for s in verified.statement.subjects] != [v.commitment]:
                raise VerificationError(f"{row['origin']}'s envelope for {item.incident_id} v{v.version} does not sign its commitment")
            if item.origin != row["origin"]:
                # relayed: the origin server's own envelope must come along; checked when this
                # server knows the origin's key, else taken on the relaying peer's word (--relay)
                origin_key = origin_keys.get(item.origin)
                if v.origin_envelope is None or (origin_key is not None and not _signs(v.origin_envelope, origin_key, v.commitment)):
                    result.refused += 1
                    result.notes.append(f"refused {item.incident_id} v{v.version}: no valid envelope by its origin {item.origin[:100]}")
                    continue
            marking = Marking(item.reporter_org, v.report.tlp, v.report.recipients, v.distribution, v.report.sharing_group)
            level = offer_level(marking, here)
            if level is None and v.retracted and have:
                # a retraction carries no content: it reaches every server holding a version of
                # the incident, at the level that incident holds here, even if its own marking
                # (the latest version's) would not admit this server
                head = inc.head(item.incident_id)
                level = 0 if head is None or head.get("distribution") is None else int(head["distribution"])
            if level is None:
                result.refused += 1  # more than the rules allow here: not stored (the sender's policy is wrong)
                continue
            accepted.append((item, v, level))
    envelopes = [sign_commitment(v.commitment, key, committed_at=v.created_at) for _, v, _ in accepted]
    logged = log_append_many(store, log_dir, [e.to_json() for e in envelopes], log_key=log_key) if envelopes else None
    when = _now_text()
    with inc.transaction() as conn:
        # the cursor guard: another sync of this peer (another process) applied this page first
        if not _fed(store).advance(
            conn, row["origin"], expect_cursor=int(row["cursor"]), cursor=page.next, received=len(accepted), when=when
        ):
            raise StoreError(
                f"the cursor of {row['origin']} moved during this sync", fix="another sync ran at the same time; the next round goes on"
            )
        now_known = inc.known_versions([i.incident_id for i, _, _ in accepted], conn=conn)
        heads = inc.heads([i.incident_id for i, _, _ in accepted], conn=conn)
        by_incident: dict[str, list[tuple[Any, Any, int, int]]] = {}
        for n, (item, v, level) in enumerate(accepted):
            if v.version in now_known.get(item.incident_id, {}):
                continue
            by_incident.setdefault(item.incident_id, []).append((item, v, level, n))
        batch: list[Any] = []
        retractions: list[tuple[str, int]] = []
        for incident_id, entries in by_incident.items():
            head = heads.get(incident_id)
            if head is not None and (head["reporter_org"] != entries[0][0].reporter_org or head.get("source") is None):
                result.refused += len(entries)
                result.notes.append(f"refused {incident_id}: it exists here with another reporter or was reported here")
                continue
            rows_out = []
            for _item, v, level, n in entries:
                rows_out.append(
                    {
                        "incident_id": incident_id,
                        "version": v.version,
                        "created_at": _stamp(v.created_at),
                        "submitted_by": f"peer {row['origin']}",
                        "report_json": v.report.model_dump_json(),
                        "commitment": v.commitment,
                        "salt": v.salt,
                        "log_index": int(logged["first"]) + n if logged else None,
                        "envelope_json": json.dumps(envelopes[n].to_dict(), sort_keys=True),
                        "distribution": level,
                        "source": row["origin"],
                        "retracted": v.retracted,
                        "hidden": False,
                        "marking_json": marking_json(v.report, level),
                        "origin": _item.origin,
                        "origin_envelope_json": json.dumps(
                            v.envelope if _item.origin == row["origin"] else v.origin_envelope, sort_keys=True
                        ),
                    }
                )
            newest_item, newest, newest_level, _ = max(entries, key=lambda e: e[1].version)
            current = int(head["version"]) if head is not None else 0
            readers = None
            header: dict[str, Any] = {}
            if newest.version > current:
                report = newest.report
                header = {
                    "id": incident_id,
                    "reporter_org": newest_item.reporter_org,
                    "created_at": _stamp(min(e[1].created_at for e in entries)) if head is None else head["created_at"],
                    "updated_at": _stamp(newest.created_at),
                    "version": newest.version,
                    "tlp": report.tlp,
                    "status": report.status,
                    "severity": report.severity,
                    "hazards": "," + ",".join(report.hazards) + "," if report.hazards else "",
                    "search": " ".join((report.title, report.description, report.system.name, report.system.version or "")).lower(),
                    **federation_columns(report, newest_level, own),
                    "source": row["origin"],
                    "retracted": bool(newest.retracted) or bool(head and head.get("retracted")),
                }
                readers = reader_keys(report.tlp, report.recipients)
            batch.append((header, rows_out, readers, head is not None))
            retraction = max((e[1].version for e in entries if e[1].retracted), default=None)
            if retraction is not None:
                retractions.append((incident_id, retraction))
            result.received += len(rows_out)
        inc.put_many(conn, batch)
        for incident_id, retraction in retractions:
            inc.hide_before(conn, incident_id, retraction)
    result.cursor = page.next


def sync_peer(
    store: Any,
    log_dir: Path,
    ref: str,
    *,
    log_key: str | None = None,
    client: Any = None,
    page_size: int = DEFAULT_PAGE,
    max_pages: int = MAX_PAGES_PER_ROUND,
) -> PeerSync:
    """One sync round with one peer: witness its log, then pull and apply its feed pages.

    Never raises for the peer's faults: a fork, a bad signature or an unreachable peer is
    recorded on the peer (``last_error``, ``state``) and returned.
    """
    from accord.federation import verify_feed

    row = _peer_row(store, ref)
    result = PeerSync(peer=row["origin"], state=row["state"], cursor=int(row["cursor"]))
    if row["state"] != "active":
        result.error = f"sync from {row['origin']} is stopped: it is {row['state']}" + (
            " (its log forked; see `accord peer list`)" if row["state"] == "forked" else ""
        )
        return result
    if not row["pull"]:
        result.error = f"this server does not pull from {row['origin']} (policy)"
        return result
    lock = _peer_lock(row["origin"])
    if not lock.acquire(blocking=False):
        result.error = "a sync of this peer is already running"
        return result
    http = _client(client)
    try:
        key = _server_key(log_key)
        own = _own_origin(Path(log_dir))
        if not _witness(store, http, row, own, key, result):
            return result
        for _ in range(max_pages):
            row = _peer_row(store, row["origin"])
            qs = f"/v1/federation/feed?after={int(row['cursor'])}&limit={int(page_size)}"
            resp = _get(http, row, qs, own, key, signed=True)
            if resp.status_code != 200:
                raise AccordError(f"the peer {row['origin']} answered {resp.status_code} to a pull", why=resp.text[:300])
            page = verify_feed(
                resp.content, resp.headers.get("accord-signature"), _public_key(row), expect_origin=row["origin"], expect_peer=own
            )
            if page.after != int(row["cursor"]):
                raise VerificationError(f"the peer answered for cursor {page.after}, not {row['cursor']}")
            _apply(store, Path(log_dir), row, page, key, own, result, log_key)
            result.pages += 1
            if not page.more:
                break
    except AccordError as exc:
        result.error = exc.what + (f" ({exc.why})" if getattr(exc, "why", None) else "")
        _fed(store).update_peer(result.peer, last_error=result.error[:2000], last_sync_at=_now_text())
    finally:
        if client is None:
            http.close()
        lock.release()
    return result


def sync_all(store: Any, log_dir: Path, *, log_key: str | None = None, client: Any = None) -> list[PeerSync]:
    """One round with every active peer this server pulls from."""
    return [
        sync_peer(store, log_dir, r["origin"], log_key=log_key, client=client)
        for r in _fed(store).peers()
        if r["pull"] and r["state"] == "active"
    ]


class SyncLoop:
    """``accord serve --sync-interval S``: a background thread that syncs with every peer S
    seconds after the previous round ended, and at once with a peer that pokes this server
    (``POST /v1/federation/poke``: it has something new). A round that received something
    pokes this server's own peers in turn, so news crosses a chain in about one round per hop
    instead of one interval per hop; a lost poke costs at most one interval."""

    def __init__(self, store: Any, log_dir: Path, interval_s: float, *, log_key: str | None = None) -> None:
        if not 0.05 <= interval_s <= 86400:
            raise InputError("the sync interval is between 0.05 s and a day", field="sync_interval", got=interval_s)
        self.store, self.log_dir, self.interval_s, self.log_key = store, Path(log_dir), interval_s, log_key
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._poked: set[str] = set()
        self._poked_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="accord-federation-sync", daemon=True)
        self.rounds = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=self.interval_s + HTTP_TIMEOUT_S)

    def poke(self, origin: str) -> None:
        """Sync with ``origin`` as soon as the current round (if any) ends."""
        with self._poked_lock:
            self._poked.add(origin)
        self._wake.set()

    def _run(self) -> None:
        import logging

        log = logging.getLogger("accord.federation")
        deadline = time.monotonic() + self.interval_s
        while not self._stop.is_set():
            self._wake.wait(max(0.0, deadline - time.monotonic()))
            if self._stop.is_set():
                return
            self._wake.clear()
            with self._poked_lock:
                poked, self._poked = self._poked, set()
            full = time.monotonic() >= deadline
            try:
                if full:
                    results = sync_all(self.store, self.log_dir, log_key=self.log_key)
                else:
                    results = [
                        sync_peer(self.store, self.log_dir, o, log_key=self.log_key) for o in sorted(poked) if _fed(self.store).peer(o)
                    ]
                for r in results:
                    if r.error:
                        log.warning("sync %s: %s", r.peer, r.error)
                if any(r.received for r in results):
                    notify_peers(self.store, self.log_dir, log_key=self.log_key)
            except Exception:  # keep serving; the next round retries
                log.exception("federation sync round failed")
            if full:
                self.rounds += 1
                deadline = time.monotonic() + self.interval_s


def notify_peers(
    store: Any, log_dir: Path, *, log_key: str | None = None, exclude: set[str] | None = None, wait: bool = False
) -> threading.Thread | None:
    """Poke every active peer this server serves (``push``), in a background thread, so they
    pull now: best effort, a second's time-out each, failures ignored (their next interval
    pulls anyway). ``exclude``: peers that need no poke (the one the news came from)."""
    targets = [r for r in _fed(store).peers() if r["push"] and r["state"] == "active" and r["origin"] not in (exclude or set())]
    if not targets:
        return None

    def run() -> None:
        import httpx

        try:
            key = _server_key(log_key)
            own = _own_origin(Path(log_dir))
        except AccordError:
            return
        from accord.federation import request_headers

        with httpx.Client(timeout=1.0) as http:
            for row in targets:
                path = urlsplit(row["url"]).path.rstrip("/") + "/v1/federation/poke"
                try:
                    http.post(row["url"] + "/v1/federation/poke", headers=request_headers("POST", path, own, key))
                except Exception:  # noqa: S112 - a lost poke costs one interval, nothing more
                    continue

    thread = threading.Thread(target=run, name="accord-federation-notify", daemon=True)
    thread.start()
    if wait:
        thread.join()
    return thread


def check_poke(store: Any, *, method: str, path_qs: str, headers: dict[str, str], now: int | None = None) -> str:
    """The origin of a peer whose signed poke checks out; ``AuthError`` otherwise."""
    from accord.federation import verify_request

    lower = {k.lower(): v for k, v in headers.items()}
    origin = lower.get("accord-peer", "")
    row = _fed(store).peer(origin) if origin else None
    if row is None:
        raise AuthError("not a peer of this server")
    try:
        verify_request(method, path_qs, lower, _public_key(row), origin=origin, now=int(time.time()) if now is None else now)
    except VerificationError as exc:
        raise AuthError("the poke's signature does not check out", why=exc.what) from None
    return origin
