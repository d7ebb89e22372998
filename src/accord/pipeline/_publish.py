"""Publishing results to the service, and the grants that decide who receives disclosures.

``publish_result``: a provider's token uploads a DSSE envelope with its evidence bundle (and,
privately, the bundle's salts and the response texts). Nothing is stored unless everything
checks: the signature is by a key registered to the provider's organisation, the bundle is the
one signed (root, leaf count, context), every signed verdict is recomputed from the bundle with
accord's scoring code and is identical, and each uploaded text matches its salted digest. Then
the envelope is appended to the server's transparency log and the result stored with its log
position. The caller gets the id, the checkpoint and an inclusion proof.

Anyone reads the verdicts and the redacted bundle (salted digests, no text). The text of a
response leaves the server only as a *disclosure* (``accord.attest`` format: text, salt,
inclusion proof under the signed evidence root), to the publishing organisation or to an
organisation holding a **grant**: the publisher names the grantee organisation, the roles
within it (auditor, regulator), the responses (all, or listed keys) and an expiry; it can revoke
the grant. Every grant, revocation, disclosure and denial goes to the audit log.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from accord.errors import AccordError, InputError, VerificationError
from accord.pipeline._access import AccessDenied, AuthError, NotFound, Principal
from accord.pipeline._service_log import (
    enrol_witness,
    log_append,
    log_checkpoint,
    log_consistency,
    log_entry,
    log_inclusion,
    log_info,
    log_witnesses,
    now_text,
    receive_cosignature,
    revoke_witness,
)

__all__ = [
    "published_result_json",
    "GRANT_ROLES",
    "MAX_DISCLOSURE_KEYS",
    "create_grant",
    "enrol_witness",
    "list_grants",
    "log_checkpoint",
    "log_consistency",
    "log_entry",
    "log_inclusion",
    "log_info",
    "log_witnesses",
    "publication_body",
    "publish_result",
    "published_result",
    "published_results",
    "receive_cosignature",
    "result_disclosures",
    "result_envelope",
    "result_evidence",
    "revoke_grant",
    "revoke_witness",
]

#: Roles inside a grantee organisation a grant may name.
GRANT_ROLES = ("auditor", "regulator")
#: Disclosures per request: each one is an inclusion proof over the whole bundle.
MAX_DISCLOSURE_KEYS = 32
MAX_GRANT_KEYS = 10_000
MAX_GRANT_DAYS = 366
BODY_FIELDS = frozenset({"envelope", "evidence", "private"})
PRIVATE_FIELDS = frozenset({"salts", "texts"})


def _published(store: Any) -> Any:
    from accord.store import Published

    return Published(store)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise InputError(f"duplicate JSON key '{k[:80]}'", field=k[:80])
        out[k] = v
    return out


def _reject_constant(name: str) -> Any:
    raise InputError(f"{name} is not JSON", field="body")


def _parse_body(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError("the body is not JSON", field="body", expected='{"envelope": ..., "evidence": ..., "private": {...}}') from None
    if not isinstance(doc, dict):
        raise InputError("the body must be a JSON object", field="body", expected='{"envelope": ..., "evidence": ...}')
    missing = sorted({"envelope", "evidence"} - doc.keys())
    if missing:
        raise InputError(f"missing field '{missing[0]}'", field=missing[0])
    unknown = sorted(doc.keys() - BODY_FIELDS)
    if unknown:
        raise InputError(f"unknown field '{unknown[0][:80]}'", field=unknown[0][:80], expected=", ".join(sorted(BODY_FIELDS)))
    return doc


def _as_bytes(value: Any, name: str) -> bytes:
    """A file's content: its exact text (a JSON string), or a JSON object written canonically."""
    from accord.attest import encode_json

    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, dict):
        return bytes(encode_json(value))
    raise InputError(f"field '{name}' must be the file's text or its JSON object", field=name)


def _org_keys(store: Any, org: str) -> list[Any]:
    from accord.attest import load_public_keys
    from accord.pipeline._orgs import org_keys

    pems = [k["public_key_pem"] for k in org_keys(store, org)]
    if not pems:
        raise VerificationError(
            f"organisation '{org}' has no registered signing key",
            why="the server accepts only attestations signed by a key registered to the publishing organisation",
            fix=f"the operator registers it: `accord org key add {org} signer.pub` (from `accord keys show --pem`)",
        )
    return list(load_public_keys(pems))


def publication_body(store: Any, run_id: str, envelope: Path, *, private: bool = True) -> bytes:
    """The ``POST /v1/results`` body for an attested run: the envelope and the bundle
    ``accord attest -o`` wrote beside it and, with ``private``, the salts file and the
    response texts from ``store`` in bundle order (for granted disclosures)."""
    from accord.attest import MAX_BUNDLE_BYTES, encode_json, key_text, parse_bundle, parse_salts
    from accord.pipeline._attest import _read_limited, evidence_paths

    bundle_path, salts_path = evidence_paths(envelope)
    bundle_bytes = _read_limited(bundle_path, MAX_BUNDLE_BYTES, "evidence bundle")
    doc: dict[str, Any] = {"envelope": envelope.read_text("utf-8"), "evidence": bundle_bytes.decode("utf-8")}
    if private:
        bundle = parse_bundle(bundle_bytes)
        salts = parse_salts(_read_limited(salts_path, MAX_BUNDLE_BYTES, "salts file"))
        texts: list[str | None] = []
        for leaf in bundle["leaves"]:
            k = leaf["key"]
            response = store.get_response(run_id, (k["suite"], k["item"], k["variant"], k["epoch"]))
            if leaf["output"] is not None and (response is None or response.output is None):
                raise InputError(f"response {key_text(k)} is no longer in the store", field="run_id")
            texts.append(response.output if leaf["output"] is not None and response is not None else None)
        doc["private"] = {"salts": salts, "texts": texts}
    return bytes(encode_json(doc))


def _check_texts(bundle: dict[str, Any], salts: dict[str, Any], texts: Any) -> bytes:
    """The texts, one per leaf, each matching its salted digest; as canonical JSON bytes."""
    from accord.attest import encode_json, make_disclosure

    leaves = bundle["leaves"]
    if salts.get("root") != bundle["root"] or salts.get("run") != bundle["run"] or len(salts["salts"]) != len(leaves):
        raise VerificationError("private.salts is not the salts file written with this bundle", why="its root, run or length differs")
    if not isinstance(texts, list) or len(texts) != len(leaves):
        raise InputError(f"private.texts must be a list of {len(leaves)} strings or nulls, one per bundle leaf", field="private.texts")
    for i, (leaf, salt, text) in enumerate(zip(leaves, salts["salts"], texts, strict=True)):
        if leaf["output"] is None:
            if text is not None:
                raise InputError(f"private.texts[{i}]: the response has no output in the bundle", field=f"private.texts[{i}]")
            continue
        if not isinstance(text, str) or not isinstance(salt, str):
            raise InputError(f"private.texts[{i}] must be the response's text", field=f"private.texts[{i}]")
        # The digest check of ``make_disclosure``, on a one-leaf bundle: O(1) per leaf.
        one = {"run": bundle["run"], "root": bundle["root"], "leaves": [leaf]}
        try:
            make_disclosure(one, {"root": bundle["root"], "salts": [salt]}, 0, text)
        except (VerificationError, ValueError) as exc:
            raise VerificationError(f"private.texts[{i}] does not match its salted digest in the bundle", why=str(exc)[:200]) from None
    return bytes(encode_json(texts))


def _check_result(store: Any, org: str, envelope: bytes, bundle_bytes: bytes) -> tuple[Any, dict[str, Any], dict[str, str]]:
    """Signature by the org's key, the bundle bound to it, the verdicts recomputed."""
    from accord.attest import check_bundle, parse_bundle, verify_attestation
    from accord.pipeline._attest import compare_verdicts, recompute_verdicts

    verified = verify_attestation(envelope, _org_keys(store, org))
    checks = {"signature": f"ok, key {verified.signer.keyid[:16]} of organisation {org}"}
    doc = parse_bundle(bundle_bytes)
    n, root = check_bundle(verified.statement, doc)
    checks["evidence"] = f"ok, {n} responses under root {root}"
    signed = dict(verified.statement.predicate.get("verdicts") or {})
    if not signed:
        raise VerificationError("the attestation carries no verdicts", fix="score the run before attesting it")
    try:
        problems = compare_verdicts(signed, recompute_verdicts(doc))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a signed but malformed context
        raise VerificationError(
            "the verdicts cannot be recomputed from the bundle", why=f"{type(exc).__name__}: {str(exc)[:200]}"
        ) from None
    if problems:
        raise VerificationError(
            f"{len(problems)} difference(s) between the signed verdicts and those recomputed from the evidence",
            why="; ".join(problems[:8]),
            fix="the verdicts do not follow from the signed evidence; nothing was published",
        )
    checks["recompute"] = f"ok, {len(signed)} verdict(s) recomputed from the evidence and identical"
    return verified, doc, checks


def publish_result(store: Any, who: Principal, body: bytes, *, log_dir: Path, log_key: str | None = None) -> dict[str, Any]:
    """Verify and publish one result (see the module doc); idempotent for the same envelope."""
    from accord.attest import encode_json, parse_salts, summarize
    from accord.pipeline._orgs import audit, require

    require(who, scope="publish", roles=("provider",), store=store, action="results.publish", target=f"org:{who.org}")
    if who.org is None:
        raise AccessDenied("publishing needs a provider token of an organisation", fix="accord token create --org ORG --role provider")
    org = who.org
    doc = _parse_body(body)
    envelope = _as_bytes(doc["envelope"], "envelope")
    try:
        verified, bundle, checks = _check_result(store, org, envelope, _as_bytes(doc["evidence"], "evidence"))
    except VerificationError as exc:
        audit(store, who, "results.publish", f"org:{org}", False, f"verification failed: {exc.what}")
        raise
    private_half: tuple[bytes, bytes] | None = None
    if doc.get("private") is not None:
        priv = doc["private"]
        if not isinstance(priv, dict) or set(priv) != PRIVATE_FIELDS:
            raise InputError('field \'private\' must be {"salts": SALTS_FILE, "texts": [...]}', field="private")
        salts_bytes = _as_bytes(priv["salts"], "private.salts")
        salts = parse_salts(salts_bytes)
        texts = _check_texts(bundle, salts, priv["texts"])
        private_half = (bytes(encode_json(salts)), texts)
        checks["texts"] = "ok, every text matches its salted digest (kept private)"
    digest = hashlib.sha256(envelope).hexdigest()
    pub = _published(store)
    existing = pub.result_by_envelope(digest)
    if existing is not None:
        return {**_public(existing), "created": False, "checks": checks, "log": _log_position(store, log_dir, existing)}
    logged = log_append(store, log_dir, envelope, log_key=log_key)
    predicate = verified.statement.predicate
    run = predicate.get("run") or {}
    record = {
        "id": digest[:32],
        "org": org,
        "run_id": str(bundle["run"]),
        "target": str((run.get("target") or {}).get("name") or "")[:400] or None,
        "keyid": verified.signer.keyid,
        "envelope": envelope,
        "envelope_sha256": digest,
        "evidence": bytes(encode_json(bundle)),
        "evidence_root": str(bundle["root"]),
        "leaves": len(bundle["leaves"]),
        "verdicts": predicate.get("verdicts") or {},
        "summary": [list(r) for r in summarize(verified.statement)],
        "log_origin": logged["origin"],
        "log_index": logged["index"],
        "published_at": now_text(),
        "published_by": who.describe(),
    }
    import sqlalchemy as sa

    try:
        with pub.transaction() as conn:
            pub.insert_result(record, private_half, conn=conn)
            audit(
                store,
                who,
                "results.publish",
                f"result:{record['id']}",
                True,
                f"run {record['run_id']}, log entry {logged['index']}",
                conn=conn,
            )
    except sa.exc.IntegrityError:  # the same envelope published concurrently: one row wins
        existing = pub.result_by_envelope(digest)
        if existing is None:
            raise
        return {**_public(existing), "created": False, "checks": checks, "log": _log_position(store, log_dir, existing)}
    stored = pub.result(record["id"])
    return {**_public(stored), "created": True, "checks": checks, "log": logged}


def _log_position(store: Any, log_dir: Path, row: dict[str, Any]) -> dict[str, Any]:
    """Where a stored result sits in the log, with a proof against the latest checkpoint."""
    from accord.attest import InclusionProof

    proof = InclusionProof.from_json(log_inclusion(store, log_dir, int(row["log_index"])))
    return {
        "origin": row["log_origin"],
        "index": int(row["log_index"]),
        "size": proof.tree_size,
        "checkpoint": log_checkpoint(store, log_dir, proof.tree_size),
        "proof": proof.to_dict(),
    }


#: What anyone may read of a result, in the order served.
_PUBLIC_FIELDS = (
    "id",
    "org",
    "run_id",
    "target",
    "keyid",
    "evidence_root",
    "leaves",
    "verdicts",
    "summary",
    "log_origin",
    "log_index",
    "published_at",
    "has_private",
)


def _public(row: dict[str, Any] | None) -> dict[str, Any]:
    """What anyone may read of a result: never the private half."""
    if row is None:
        raise NotFound("no such result")
    out = {k: row[k] for k in _PUBLIC_FIELDS}
    out["log_index"] = int(out["log_index"])
    return out


def _require_read(store: Any, who: Principal) -> None:
    from accord.pipeline._orgs import require

    require(who, scope="read", store=store, action="results.read", target="results")


def published_results(store: Any, who: Principal, *, org: str | None = None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Published results, newest first (public: verdicts and log positions, no bundle)."""
    _require_read(store, who)
    if not 1 <= limit <= 200:
        raise InputError("limit must be 1..200", field="limit", got=limit)
    if not 0 <= offset <= 10_000_000:
        raise InputError("offset out of range", field="offset", got=offset)
    rows, total = _published(store).list_results(org=org, limit=limit, offset=offset)
    return {"results": [_public(r) for r in rows], "total": total, "limit": limit, "offset": offset}


def published_result(store: Any, who: Principal, result_id: str, *, evidence: bool = False) -> dict[str, Any]:
    """One result: verdicts, what it attests, its log position; with ``evidence`` the redacted bundle."""
    _require_read(store, who)
    pub = _published(store)
    out = _public(pub.result(result_id))
    if evidence:
        out["evidence"] = json.loads(pub.evidence(result_id) or b"null")
    return out


def published_result_json(store: Any, who: Principal, result_id: str) -> bytes:
    """``published_result`` (without evidence) as JSON bytes, the stored verdicts spliced in as
    stored: the same document, without parsing and re-encoding them on every read."""
    _require_read(store, who)
    row = _published(store).result(result_id, raw=True)
    if row is None:
        raise NotFound("no such result")
    verdicts, summary = row.pop("verdicts_json"), row.pop("summary_json")
    row["log_index"] = int(row["log_index"])
    head = {k: row[k] for k in _PUBLIC_FIELDS if k not in ("verdicts", "summary")}
    text = json.dumps(head, ensure_ascii=False)
    return (text[:-1] + ', "verdicts": ' + verdicts + ', "summary": ' + summary + "}").encode()


def result_envelope(store: Any, who: Principal, result_id: str) -> bytes:
    """The envelope bytes exactly as appended to the log (what ``accord verify`` checks)."""
    _require_read(store, who)
    data = _published(store).envelope(result_id)
    if data is None:
        raise NotFound("no such result")
    return bytes(data)


def result_evidence(store: Any, who: Principal, result_id: str) -> bytes:
    """The evidence bundle (salted digests, no text): ``accord verify --evidence --recompute`` input."""
    _require_read(store, who)
    data = _published(store).evidence(result_id)
    if data is None:
        raise NotFound("no such result")
    return bytes(data)


# -- grants ---------------------------------------------------------------------------------


def _keys_of(bundle: dict[str, Any]) -> list[str]:
    from accord.attest import key_text

    return [key_text(leaf["key"]) for leaf in bundle["leaves"]]


def _bundle(store: Any, result_id: str) -> dict[str, Any]:
    data = _published(store).evidence(result_id)
    if data is None:
        raise NotFound("no such result")
    doc: dict[str, Any] = json.loads(data)
    return doc


def _parse_expiry(expires_at: str | None, days: float | None, now: datetime) -> datetime:
    if (expires_at is None) == (days is None):
        raise InputError("a grant needs exactly one of expires_at or days", field="expires_at", fix="e.g. days=30")
    if days is not None:
        if not 0 < days <= MAX_GRANT_DAYS:
            raise InputError(f"days must be in (0, {MAX_GRANT_DAYS}]", field="days", got=days)
        return now + timedelta(days=days)
    assert expires_at is not None
    try:
        when = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    except ValueError:
        raise InputError("expires_at is not an ISO 8601 time", field="expires_at", got=expires_at[:60]) from None
    if when.tzinfo is None:
        raise InputError("expires_at needs a time zone (e.g. Z)", field="expires_at", got=expires_at[:60])
    when = when.astimezone(UTC)
    if when <= now:
        raise InputError("expires_at is in the past", field="expires_at", got=expires_at[:60])
    if when > now + timedelta(days=MAX_GRANT_DAYS):
        raise InputError(f"a grant lasts at most {MAX_GRANT_DAYS} days", field="expires_at", got=expires_at[:60])
    return when


def _owner_or_admin(store: Any, who: Principal, result: dict[str, Any], action: str, target: str) -> None:
    from accord.pipeline._orgs import audit

    if who.role == "admin" or (who.org == result["org"] and who.role == "provider"):
        return
    audit(store, who, action, target, False, f"only the publishing organisation ({result['org']}) or an admin may do this")
    raise AccessDenied(f"only a provider of organisation '{result['org']}' may manage the grants of this result")


def create_grant(
    store: Any,
    who: Principal,
    result_id: str,
    grantee: str,
    *,
    expires_at: str | None = None,
    days: float | None = None,
    keys: list[str] | None = None,
    roles: list[str] | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """The publisher lets ``grantee`` (its auditors/regulators) receive disclosures of some or
    all responses of a result until an expiry."""
    from accord.pipeline._orgs import audit, org_exists, require

    target = f"result:{result_id}"
    require(who, scope="grants:write", store=store, action="grants.create", target=target)
    pub = _published(store)
    result = pub.result(result_id)
    if result is None:
        raise NotFound("no such result")
    _owner_or_admin(store, who, result, "grants.create", target)
    if not org_exists(store, grantee):
        raise InputError(f"no organisation '{grantee[:100]}'", field="grantee")
    if grantee == result["org"]:
        raise InputError("the publishing organisation already reads its own responses", field="grantee")
    chosen = sorted(set(roles or GRANT_ROLES))
    if not chosen or any(r not in GRANT_ROLES for r in chosen):
        raise InputError("roles must be auditor and/or regulator", field="roles", got=roles)
    if keys is not None:
        if not keys or len(keys) > MAX_GRANT_KEYS:
            raise InputError(f"keys must list 1..{MAX_GRANT_KEYS} responses (omit it for all)", field="keys")
        known = set(_keys_of(_bundle(store, result_id)))
        bad = [k for k in keys if k not in known]
        if bad:
            raise InputError(f"no response {bad[0][:200]!r} in this result", field="keys", expected="suite/item/variant/epoch")
        keys = sorted(set(keys))
    if note is not None and len(note) > 500:
        raise InputError("note is limited to 500 characters", field="note")
    now = datetime.now(UTC).replace(microsecond=0)
    expiry = _parse_expiry(expires_at, days, now)
    grant = {
        "id": "g-" + secrets.token_hex(8),
        "result_id": result_id,
        "grantor_org": result["org"],
        "grantee_org": grantee,
        "roles": chosen,
        "keys": keys,
        "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "expires_at": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "revoked_at": None,
        "created_by": who.describe(),
        "note": note,
    }
    with pub.transaction() as conn:
        pub.insert_grant(grant, conn=conn)
        scope = "all responses" if keys is None else f"{len(keys)} response(s)"
        audit(
            store,
            who,
            "grants.create",
            target,
            True,
            f"grant {grant['id']} to {grantee} ({','.join(chosen)}): {scope} until {grant['expires_at']}",
            conn=conn,
        )
    stored = pub.grant(grant["id"])
    assert stored is not None
    return dict(stored)


def revoke_grant(store: Any, who: Principal, grant_id: str) -> dict[str, Any]:
    """The publisher (or an admin) ends a grant now; the row stays for the record."""
    from accord.pipeline._orgs import audit, require

    require(who, scope="grants:write", store=store, action="grants.revoke", target=f"grant:{grant_id}")
    pub = _published(store)
    grant = pub.grant(grant_id)
    if grant is None or (who.role != "admin" and who.org not in (grant["grantor_org"], grant["grantee_org"])):
        raise NotFound("no such grant")
    _owner_or_admin(store, who, {"org": grant["grantor_org"]}, "grants.revoke", f"grant:{grant_id}")
    with pub.transaction() as conn:
        done = pub.revoke_grant(grant_id, now_text(), conn=conn)
        audit(store, who, "grants.revoke", f"grant:{grant_id}", True, "revoked" if done else "already revoked", conn=conn)
    out = pub.grant(grant_id)
    assert out is not None
    return dict(out)


def list_grants(store: Any, who: Principal, *, result_id: str | None = None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Grants given by or to the caller's organisation (an admin sees all)."""
    if who.org is None and who.role != "admin":
        raise AuthError("grants are visible only to the organisations involved", fix="send an organisation's token")
    if not 1 <= limit <= 200 or not 0 <= offset <= 10_000_000:
        raise InputError("limit must be 1..200 and offset non-negative", field="limit")
    org = None if who.role == "admin" else who.org
    return {
        "grants": _published(store).list_grants(result_id=result_id, org=org, limit=limit, offset=offset),
        "limit": limit,
        "offset": offset,
    }


# -- disclosures ----------------------------------------------------------------------------


def _covered(who: Principal, result: dict[str, Any], grants: list[dict[str, Any]]) -> tuple[set[str] | None, list[str]]:
    """(keys the caller may receive — None: all, grant ids used)."""
    if who.role == "admin" or who.org == result["org"]:
        return None, []
    usable = [g for g in grants if who.role in g["roles"]]
    if any(g["keys"] is None for g in usable):
        return None, [g["id"] for g in usable if g["keys"] is None][:1]
    keys: set[str] = set()
    for g in usable:
        keys.update(g["keys"])
    return keys, [g["id"] for g in usable]


def result_disclosures(
    store: Any, who: Principal, result_id: str, *, keys: list[str] | None = None, offset: int = 0, limit: int = MAX_DISCLOSURE_KEYS
) -> dict[str, Any]:
    """Disclosures (text, salt, inclusion proof) of the responses ``keys`` (None: the first
    ``limit`` the caller may receive, from ``offset``) for the publisher or a grant holder."""
    from accord.attest import make_disclosure, parse_salts
    from accord.pipeline._orgs import audit

    target = f"result:{result_id}"
    pub = _published(store)
    result = pub.result(result_id)
    if result is None:
        raise NotFound("no such result")
    if who.org is None and who.role != "admin":
        audit(store, who, "results.disclose", target, False, "anonymous")
        raise AuthError("disclosures need a token of an organisation holding a grant", fix="ask the publisher for a grant")
    now = now_text()
    covered, used = _covered(who, result, pub.active_grants(result_id, who.org, now) if who.org else [])
    if covered is not None and not covered:
        audit(store, who, "results.disclose", target, False, "no active grant for this organisation and role")
        raise AccessDenied(
            f"organisation '{who.org}' ({who.role}) holds no active grant for this result",
            fix=f"ask organisation '{result['org']}' for a grant",
        )
    if not 1 <= limit <= MAX_DISCLOSURE_KEYS or not 0 <= offset <= 10_000_000:
        raise InputError(f"limit must be 1..{MAX_DISCLOSURE_KEYS}", field="limit", got=limit)
    bundle = _bundle(store, result_id)
    all_keys = _keys_of(bundle)
    position = {k: i for i, k in enumerate(all_keys)}
    if keys is not None:
        if not keys or len(keys) > MAX_DISCLOSURE_KEYS:
            raise InputError(f"ask for 1..{MAX_DISCLOSURE_KEYS} keys at a time", field="keys")
        unknown = [k for k in keys if k not in position]
        if unknown:
            raise InputError(f"no response {unknown[0][:200]!r} in this result", field="keys", expected="suite/item/variant/epoch")
        refused = [k for k in keys if covered is not None and k not in covered]
        if refused:
            audit(store, who, "results.disclose", target, False, f"{len(refused)} key(s) outside the grant, e.g. {refused[0][:200]}")
            raise AccessDenied(f"the grant does not cover {refused[0][:200]!r}", fix="ask only for the responses you were granted")
        wanted = list(dict.fromkeys(keys))
    else:
        eligible = [k for k in all_keys if covered is None or k in covered]
        wanted = eligible[offset : offset + limit]
    half = pub.private_half(result_id)
    if half is None:
        raise NotFound(
            "the publisher uploaded no response texts for this result", fix="ask the publisher to publish it again with its salts and texts"
        )
    salts = parse_salts(half[0])
    texts = json.loads(half[1])
    out: list[dict[str, Any]] = []
    unavailable: list[str] = []
    for k in wanted:
        i = position[k]
        text = texts[i]
        if text is None:
            unavailable.append(k)
            continue
        try:
            out.append(make_disclosure(bundle, salts, i, text))
        except AccordError:
            unavailable.append(k)
    why = "publisher" if covered is None and not used else f"grant(s) {', '.join(used)}"
    audit(store, who, "results.disclose", target, True, f"{len(out)} disclosure(s) via {why}: {', '.join(wanted)[:800]}")
    return {"result": result_id, "disclosures": out, "unavailable": unavailable, "grants": used}
