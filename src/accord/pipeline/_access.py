"""Who is asking: the principal every service request is authorised as (issue 20).

The service's front end (``accord.server``) turns a request's bearer token into a
``Principal`` (``accord.pipeline.authenticate``) and hands it to the pipeline's service jobs,
which decide what it may read or write. Anonymous callers are ``PUBLIC``.

Roles (one per token):

| role | may |
|---|---|
| ``provider`` | publish its organisation's attestations and incidents; read what its grants and TLP allow |
| ``auditor`` | read disclosures it has been granted; report incidents |
| ``regulator`` | read incidents addressed to it and disclosures it has been granted; report incidents |
| ``public`` | read public verdicts, redacted bundles, the log, TLP:CLEAR incidents |
| ``admin`` | manage organisations, tokens and grants (the CLI acts as admin on its own store) |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from accord.errors import AccordError

__all__ = ["LOCAL_ADMIN", "PUBLIC", "ROLES", "AccessDenied", "AuthError", "NotFound", "Principal", "Role"]

Role = Literal["provider", "auditor", "regulator", "public", "admin"]
ROLES: tuple[str, ...] = get_args(Role)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: its organisation, role, token id and (optional) member name."""

    org: str | None
    role: Role
    token_id: str | None = None
    member: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.token_id is None and self.role == "public"

    @property
    def community(self) -> bool:
        """A member of the service's community (TLP:GREEN readers): any authenticated organisation."""
        return self.org is not None and self.token_id is not None

    def describe(self) -> str:
        """For audit records and messages (never a secret)."""
        if self.anonymous:
            return "anonymous"
        who = f"{self.org}/{self.member}" if self.member else str(self.org)
        return f"{who} ({self.role}, token {self.token_id})"


PUBLIC = Principal(org=None, role="public")
#: The local CLI acting on its own store (``accord org add``, ``accord token create``).
LOCAL_ADMIN = Principal(org=None, role="admin", token_id="local-cli", member="cli")


class AuthError(AccordError):
    """No valid credentials: a missing, unknown, revoked or expired token (HTTP 401)."""


class AccessDenied(AccordError):
    """The principal may not do this (HTTP 403). Where even the existence of a record is
    restricted (a TLP:RED incident), callers raise ``NotFound`` instead, so a denial does not
    confirm that the record exists."""


class NotFound(AccordError, LookupError):
    """No such record, or none the principal may see (HTTP 404)."""
