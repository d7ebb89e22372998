"""Organisations, API tokens, organisation keys and the audit log: the service's access jobs (issue 20).

Every service job turns "may this caller do this?" into a decision here (``require``,
``has_scope``) and writes it to the private audit log (``audit``). Tokens are random 256-bit
strings (``acc_`` + 43 url-safe characters) shown once at creation; the store keeps only their
SHA-256 digest, so authentication is one indexed lookup of the digest (no comparison of secret
strings whose timing could leak a prefix) and a stolen database grants nothing.

Admin jobs (``create_org``, ``create_token``, ``revoke_token``, ``add_org_key``,
``list_audit``) require the ``admin`` role: the CLI calls them as ``LOCAL_ADMIN`` on its own
store; over HTTP only an admin token may.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from accord.errors import InputError
from accord.pipeline._access import ROLES, AccessDenied, AuthError, NotFound, Principal

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = [
    "ROLE_SCOPES",
    "SCOPES",
    "TOKEN_PREFIX",
    "TokenPrincipal",
    "add_org_key",
    "audit",
    "authenticate",
    "create_org",
    "create_token",
    "get_org",
    "has_scope",
    "list_audit",
    "list_orgs",
    "list_tokens",
    "org_exists",
    "org_keys",
    "parse_expiry",
    "require",
    "revoke_org_key",
    "revoke_token",
    "slugify",
    "verify_audit_chain",
    "whoami",
]

#: What a token may be used for. A token's scopes are fixed at creation (a subset of its role's).
SCOPES: tuple[str, ...] = ("read", "publish", "incidents:write", "grants:write", "admin")
#: The scopes each role may hold; a token created without ``scopes`` gets all of its role's.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "provider": frozenset({"read", "publish", "incidents:write", "grants:write"}),
    "auditor": frozenset({"read", "incidents:write"}),
    "regulator": frozenset({"read", "incidents:write"}),
    "public": frozenset({"read"}),
    "admin": frozenset(SCOPES),
}
TOKEN_PREFIX = "acc_"
_TOKEN_RE = re.compile(r"acc_[A-Za-z0-9_-]{43}")
_SLUG_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
MAX_NAME_CHARS = 200
#: ``last_used`` is written at most this often per token, so reads stay reads.
TOUCH_EVERY = timedelta(minutes=5)
_DURATION_RE = re.compile(r"(\d{1,5})\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class TokenPrincipal(Principal):
    """A ``Principal`` authenticated by a token, carrying the token's scopes."""

    scopes: frozenset[str] = frozenset()


def _orgs(store: Any) -> Any:
    from accord.store import Orgs

    return Orgs(store)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- decisions ---------------------------------------------------------------------------
def has_scope(who: Principal, scope: str) -> bool:
    """Whether ``who`` may act with ``scope``: the token's scopes, else its role's defaults."""
    if who.role == "admin":
        return True
    scopes = getattr(who, "scopes", None)
    if scopes is None or not isinstance(who, TokenPrincipal):
        scopes = ROLE_SCOPES.get(who.role, frozenset())
    return scope in scopes


def audit(
    store: Any,
    who: Principal,
    action: str,
    target: str,
    allowed: bool,
    reason: str = "",
    *,
    conn: sa.Connection | None = None,
) -> int:
    """Append one decision to the private audit log; its sequence number.

    ``action``: a short dotted verb (``results.publish``, ``incidents.read``); ``target``: the
    record (``incident:INC-1``); ``reason``: why it was allowed or denied. Never pass a secret:
    everything here is kept for good. Inside ``with store._write() as conn:`` pass ``conn``
    so the record joins that transaction (a second writer would wait on SQLite's lock).
    """
    fields = {
        "principal": who.describe(),
        "org": who.org,
        "role": who.role,
        "token_id": who.token_id,
        "action": action,
        "target": target,
        "allowed": allowed,
        "reason": reason,
    }
    return int(_orgs(store).append_audit(fields, conn=conn))


def require(
    who: Principal,
    *,
    scope: str | None = None,
    roles: Iterable[str] = (),
    store: Any = None,
    action: str = "",
    target: str = "",
) -> None:
    """Raise ``AccessDenied`` (403) unless ``who`` holds ``scope`` and (if given) one of
    ``roles``; an anonymous caller gets ``AuthError`` (401) instead.

    ``admin`` passes every check. With ``store`` a denial is audited here; allows are audited
    by the job once it knows what it did.
    """
    wanted = tuple(roles)
    why = None
    if who.role != "admin":
        if wanted and who.role not in wanted:
            why = f"the {who.role} role may not do this (needs {' or '.join(wanted)})"
        elif scope is not None and not has_scope(who, scope):
            why = f"the token lacks the {scope!r} scope"
    if why is None:
        return
    if store is not None:
        audit(store, who, action or "access", target, False, why)
    if who.anonymous:  # no credentials at all: 401, so a client knows to send a token
        raise AuthError(f"authentication required to {action or 'do this'}", why=why, fix="send a token: Authorization: Bearer <token>")
    fix = "use a token with that role or scope (`accord token create --org ORG --role ROLE --scope SCOPE`)"
    raise AccessDenied(f"{who.describe()} may not {action or 'do this'}" + (f" on {target}" if target else ""), why=why, fix=fix)


def _require_admin(store: Any, who: Principal, action: str, target: str) -> None:
    require(who, roles=("admin",), store=store, action=action, target=target)


# -- authentication ----------------------------------------------------------------------
def authenticate(store: Any, token: str, *, action: str = "") -> Principal:
    """The principal a bearer token stands for; ``AuthError`` (audited) if it is malformed,
    unknown, revoked or expired. The token itself is never stored, logged or echoed."""

    def refuse(what: str, why: str, row: dict[str, Any] | None = None) -> AuthError:
        who = (
            Principal(org=row["org"], role=row["role"], token_id=row["id"], member=row["member"])
            if row
            else Principal(org=None, role="public")
        )
        audit(store, who, "auth", action or "authenticate", False, why)
        return AuthError(what, why=why, fix="create a new token with `accord token create --org ORG --role ROLE`")

    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        raise refuse("invalid token", "the token is not an accord token (acc_ followed by 43 url-safe characters)")
    digest = _digest(token)
    orgs = _orgs(store)
    row = orgs.token_by_digest(digest)
    if row is None or not hmac.compare_digest(str(row["digest"]), digest):
        raise refuse("invalid token", "no such token")
    now = _now()
    if row["revoked_at"] is not None:
        raise refuse("invalid token", f"token {row['id']} was revoked at {row['revoked_at']}", row)
    if row["expires"] is not None and datetime.fromisoformat(str(row["expires"])) <= now:
        raise refuse("invalid token", f"token {row['id']} expired at {row['expires']}", row)
    last = row.get("last_used")
    if last is None or now - datetime.fromisoformat(str(last)) >= TOUCH_EVERY:
        orgs.touch_token(row["id"], _iso(now))
    scopes = frozenset(str(row["scopes"]).split()) & ROLE_SCOPES.get(str(row["role"]), frozenset())
    return TokenPrincipal(org=row["org"], role=row["role"], token_id=row["id"], member=row["member"], scopes=scopes)


def whoami(who: Principal) -> dict[str, Any]:
    """What the service knows of the caller (no secret)."""
    scopes = getattr(who, "scopes", None) if isinstance(who, TokenPrincipal) else None
    if scopes is None:
        scopes = ROLE_SCOPES.get(who.role, frozenset())
    return {
        "org": who.org,
        "role": who.role,
        "token_id": who.token_id,
        "member": who.member,
        "scopes": sorted(scopes),
        "anonymous": who.anonymous,
    }


# -- organisations -----------------------------------------------------------------------
def slugify(name: str) -> str:
    """An organisation id from its name: lower case, runs of other characters become ``-``."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:64].strip("-")


def _check_name(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_NAME_CHARS or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InputError(f"{field} must be 1-{MAX_NAME_CHARS} printable characters", field=field, got=value[:80])
    return value


def _check_org_id(org_id: str, field: str = "org") -> str:
    if not isinstance(org_id, str) or not _SLUG_RE.fullmatch(org_id):
        raise InputError(
            "an organisation id is 1-64 characters of a-z, 0-9 and '-' (not at either end)",
            field=field,
            got=str(org_id)[:80],
            fix=f"try {slugify(str(org_id))!r}" if slugify(str(org_id)) else None,
        )
    return org_id


def create_org(store: Any, who: Principal, name: str, *, org_id: str | None = None) -> dict[str, Any]:
    """Register an organisation (admin). Its id is ``org_id``, else the slug of ``name``."""
    display = _check_name(name, "name")
    assert display is not None
    oid = _check_org_id(org_id if org_id is not None else slugify(display), "id")
    _require_admin(store, who, "orgs.create", f"org:{oid}")
    row = _orgs(store).add_org(oid, display, created_by=who.describe())
    if row is None:
        audit(store, who, "orgs.create", f"org:{oid}", False, "an organisation with this id exists")
        raise InputError(f"organisation {oid!r} exists", field="id", fix="choose another id (--id) or use the existing organisation")
    audit(store, who, "orgs.create", f"org:{oid}", True, "admin")
    return {"id": row["id"], "name": row["name"], "created": row["created"]}


def get_org(store: Any, org_id: str) -> dict[str, Any] | None:
    """An organisation's public record (id, name, created), or ``None``."""
    row = _orgs(store).get_org(org_id) if isinstance(org_id, str) and _SLUG_RE.fullmatch(org_id) else None
    return None if row is None else {"id": row["id"], "name": row["name"], "created": row["created"]}


def org_exists(store: Any, org_id: str) -> bool:
    return get_org(store, org_id) is not None


def list_orgs(store: Any, *, after: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Public: organisations by id (id, name, created), a page of at most ``limit`` (≤1000)."""
    return list(_orgs(store).list_orgs(after=after, limit=limit))


def _require_org(store: Any, org: str) -> str:
    _check_org_id(org)
    if _orgs(store).get_org(org) is None:
        raise NotFound(f"no organisation {org!r}", fix="create it with `accord org add NAME`; `accord org list` shows them")
    return org


# -- tokens ------------------------------------------------------------------------------
def parse_expiry(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """``--expires``: a duration (``30d``, ``12h``, ``90m``, ``2w``) from now, or an ISO date or
    date-time (UTC unless it names an offset). Must lie in the future."""
    if value is None or not value.strip():
        return None
    now = now or _now()
    text = value.strip()
    m = _DURATION_RE.fullmatch(text)
    if m:
        when = now + timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    else:
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise InputError(
                "unreadable expiry", field="expires", got=text[:80], expected="a duration like 30d, 12h, 90m, 2w, or an ISO date/date-time"
            ) from exc
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    if when <= now:
        raise InputError("the expiry is in the past", field="expires", got=text[:80], fix="give a later date or a duration such as 90d")
    return when.astimezone(UTC)


def create_token(
    store: Any,
    who: Principal,
    org: str,
    role: str,
    *,
    scopes: Iterable[str] | None = None,
    member: str | None = None,
    expires: str | datetime | None = None,
) -> dict[str, Any]:
    """Create a token for ``org`` (admin). The result's ``token`` is the only copy: show it
    once; the store keeps its SHA-256 digest."""
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}", field="role", expected=", ".join(ROLES))
    allowed = ROLE_SCOPES[role]
    chosen = frozenset(scopes) if scopes is not None else allowed
    bad = sorted(chosen - allowed)
    if bad:
        raise InputError(
            f"the {role} role cannot hold scope(s) {', '.join(bad)}",
            field="scopes",
            expected=", ".join(sorted(allowed)),
        )
    if not chosen:
        raise InputError("a token needs at least one scope", field="scopes", expected=", ".join(sorted(allowed)))
    member = _check_name(member, "member")
    when = expires if isinstance(expires, datetime) else parse_expiry(expires)
    if when is not None and when <= _now():
        raise InputError("the expiry is in the past", field="expires")
    _require_admin(store, who, "tokens.create", f"org:{org}")
    _require_org(store, org)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = {
        "id": "tok_" + secrets.token_hex(6),
        "digest": _digest(token),
        "org": org,
        "role": role,
        "scopes": " ".join(sorted(chosen)),
        "member": member,
        "created": _iso(_now()),
        "expires": _iso(when) if when is not None else None,
        "revoked_at": None,
        "last_used": None,
    }
    _orgs(store).add_token(row)
    audit(store, who, "tokens.create", f"token:{row['id']}", True, f"{role} token for {org}, scopes {row['scopes']}")
    out = _public_token(row)
    out["token"] = token
    return out


def _public_token(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "org", "role", "scopes", "member", "created", "expires", "revoked_at", "last_used")
    out = {k: row.get(k) for k in keys}
    out["scopes"] = str(out["scopes"] or "").split()
    return out


def list_tokens(store: Any, who: Principal, *, org: str | None = None, after: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Token records without secrets: all for an admin, else only the caller's organisation's."""
    if who.role != "admin":
        if who.org is None or who.anonymous:
            require(who, roles=("admin",), store=store, action="tokens.list", target=f"org:{org or '*'}")
        if org is not None and org != who.org:
            audit(store, who, "tokens.list", f"org:{org}", False, "another organisation's tokens")
            raise AccessDenied(f"{who.describe()} may not list the tokens of {org!r}", fix="list your own organisation's tokens")
        org = who.org
    return [_public_token(r) for r in _orgs(store).list_tokens(org=org, after=after, limit=limit)]


def revoke_token(store: Any, who: Principal, token_id: str) -> dict[str, Any]:
    """Revoke a token (admin, or the token itself). Idempotent: a revoked token stays revoked
    at its first revocation time."""
    if not isinstance(token_id, str) or not re.fullmatch(r"tok_[0-9a-f]{12}", token_id):
        raise InputError(
            "a token id looks like tok_ followed by 12 hex digits",
            field="token_id",
            got=str(token_id)[:80],
            fix="`accord token list` shows them",
        )
    if who.role != "admin" and who.token_id != token_id:
        _require_admin(store, who, "tokens.revoke", f"token:{token_id}")
    orgs = _orgs(store)
    if orgs.get_token(token_id) is None:
        raise NotFound(f"no token {token_id!r}", fix="`accord token list` shows the tokens")
    when = orgs.revoke_token(token_id, _iso(_now()))
    audit(store, who, "tokens.revoke", f"token:{token_id}", True, "admin" if who.role == "admin" else "self")
    row = orgs.get_token(token_id)
    return _public_token(row) | {"revoked_at": when}


# -- organisation keys -------------------------------------------------------------------
def add_org_key(store: Any, who: Principal, org: str, public_key: str, *, name: str | None = None) -> dict[str, Any]:
    """Register an Ed25519 public key (PEM text, as `accord keys show --pem` prints it) that
    ``org`` signs its attestations with (admin). Its id is the DSSE key id (sha256 of the SPKI DER).

    Only key *text* is accepted (never a path), so a request cannot make the server read a file."""
    name = _check_name(name, "name")
    key = _parse_pem_key(public_key)
    _require_admin(store, who, "keys.add", f"org:{org}")
    _require_org(store, org)
    row = {"id": key.keyid, "org": org, "name": name, "public_key_pem": key.pem(), "created": _iso(_now()), "revoked_at": None}
    orgs = _orgs(store)
    if not orgs.add_key(row):
        existing = orgs.get_key(key.keyid)
        audit(store, who, "keys.add", f"key:{key.keyid}", False, "key already registered")
        raise InputError(
            f"this key is already registered to {existing['org'] if existing else 'an organisation'!r}",
            field="public_key",
            fix="one key belongs to one organisation; generate a new key for this one",
        )
    audit(store, who, "keys.add", f"key:{key.keyid}", True, f"key for {org}")
    return row


def _parse_pem_key(text: str) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from accord.attest import PublicKey

    if not isinstance(text, str) or len(text) > 10_000 or "-----BEGIN PUBLIC KEY-----" not in text:
        if isinstance(text, str) and "PRIVATE KEY" in text:
            raise InputError(
                "this is a private key; register the public key", field="public_key", fix="export it with `accord keys show --pem`"
            )
        raise InputError("expected an Ed25519 public key in PEM form", field="public_key", fix="export it with `accord keys show --pem`")
    try:
        key = serialization.load_pem_public_key(text.strip().encode())
    except (ValueError, TypeError) as exc:
        raise InputError("not a readable PEM public key", field="public_key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise InputError("the PEM key is not Ed25519", field="public_key", expected="an Ed25519 public key")
    return PublicKey(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def org_keys(store: Any, org: str, *, include_revoked: bool = False) -> list[dict[str, Any]]:
    """Public: an organisation's registered public keys (not revoked unless asked)."""
    _check_org_id(org)
    return list(_orgs(store).list_keys(org, include_revoked=include_revoked))


def revoke_org_key(store: Any, who: Principal, key_id: str) -> dict[str, Any]:
    """Revoke an organisation key (admin): results signed by it are no longer accepted."""
    if not isinstance(key_id, str) or not re.fullmatch(r"[0-9a-f]{64}", key_id):
        raise InputError("a key id is 64 hex digits", field="key_id", got=str(key_id)[:80])
    _require_admin(store, who, "keys.revoke", f"key:{key_id}")
    orgs = _orgs(store)
    if orgs.get_key(key_id) is None:
        raise NotFound(f"no key {key_id!r}")
    when = orgs.revoke_key(key_id, _iso(_now()))
    audit(store, who, "keys.revoke", f"key:{key_id}", True, "admin")
    return dict(orgs.get_key(key_id)) | {"revoked_at": when}


# -- audit log ---------------------------------------------------------------------------
def list_audit(
    store: Any,
    who: Principal,
    *,
    org: str | None = None,
    action: str | None = None,
    allowed: bool | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Audit records, newest first (admin only: the log is private)."""
    _require_admin(store, who, "audit.list", "audit")
    return list(_orgs(store).list_audit(org=org, action=action, allowed=allowed, before=before, limit=limit))


def verify_audit_chain(store: Any) -> dict[str, Any]:
    """Recompute the audit log's hash chain: ``{"ok", "rows", "head_seq", "head_hash", "problems"}``.
    Detects edited, inserted and deleted records, and a truncated tail (the stored head)."""
    result: dict[str, Any] = _orgs(store).verify_audit().as_dict()
    return result
