"""Where a monitor's alerts go: the ``alerts:`` block of a monitor file, as data.

Two sinks. A **webhook** receives the alert as JSON wrapped in a DSSE envelope signed with the
organisation's key, so a receiver that pins that key can tell a real alert from a forged one
(a webhook URL leaks easily; a signature does not). An **incident** is filed on an accord
server the monitor names, with the TLP label and recipients the monitor file chooses, so a
regression reaches the people who share that server under the rules they already agreed.

Secrets never appear in the file: the server token and any webhook header value are named by
environment variable (``token_env``, ``env:VAR``), so a monitor file can be committed, stored
and printed. Pure: the pipeline (``accord.pipeline._alerts``) sends.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from accord.incidents import Recipient, Severity, Tlp

__all__ = ["ALERT_ON", "AlertOn", "AlertSinks", "IncidentSink", "WebhookSink"]

AlertOn = Literal["regression", "change", "every-run"]
"""When a finished cycle alerts: on a regression only (default), on any significant change or
verdict change (better or worse), or after every completed run (a heartbeat)."""
ALERT_ON: tuple[str, ...] = ("regression", "change", "every-run")

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_RESERVED_HEADERS = frozenset({"content-type", "content-length", "host", "transfer-encoding", "connection"})
#: The incident schema's jurisdiction codes (``accord.incidents``): checked when the file is read.
_JURISDICTION = r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"


def _check_url(value: str, field: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{field} must be an http(s) URL with a host, got {value[:80]!r}")
    if parts.username or parts.password:
        raise ValueError(f"{field} must not carry credentials (user:password@); name a header with env:VAR instead")
    if len(value) > 2048:
        raise ValueError(f"{field} is longer than 2,048 characters")
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookSink(_Frozen):
    """POST the signed alert to ``url``. ``headers`` values are ``env:VAR`` references only."""

    url: str
    name: str | None = Field(default=None, max_length=64, description="A label for this sink in status output; default: the URL's host.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra headers, each value `env:VAR` (read when sending).")
    timeout_s: float = Field(default=10.0, gt=0, le=60)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_url(value, "url")

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 16:
            raise ValueError("at most 16 headers")
        for key, ref in value.items():
            if not _HEADER_NAME.match(key) or key.lower() in _RESERVED_HEADERS:
                raise ValueError(f"header {key!r}: not a header name this sink may set")
            if not ref.startswith("env:") or not _ENV_NAME.match(ref[4:]):
                raise ValueError(f"header {key!r}: the value must be `env:VAR` naming an environment variable, never the secret itself")
        return value

    @property
    def label(self) -> str:
        return self.name or (urlsplit(self.url).hostname or self.url)


class IncidentSink(_Frozen):
    """File an incident on the accord server at ``server`` with a token read from ``token_env``."""

    server: str
    token_env: str = Field(description="NAME of the environment variable holding a token with incidents:write.")
    tlp: Tlp = "AMBER"
    recipients: list[Recipient] = Field(default_factory=list, max_length=256)
    severity: Severity = "hazard"
    jurisdictions: list[Annotated[str, StringConstraints(pattern=_JURISDICTION)]] = Field(
        default_factory=list, max_length=64, description="ISO 3166-1/3166-2 codes or EU, as the incident schema takes them"
    )
    timeout_s: float = Field(default=30.0, gt=0, le=120)

    @field_validator("server")
    @classmethod
    def _server(cls, value: str) -> str:
        return _check_url(value, "server").rstrip("/")

    @field_validator("token_env")
    @classmethod
    def _token_env(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            raise ValueError("token_env names an environment variable (letters, digits, _), never the token itself")
        return value

    @model_validator(mode="after")
    def _recipients_fit_label(self) -> IncidentSink:
        # The server refuses a restriction it cannot enforce; say so when the file is read,
        # not at 3 a.m. when the first regression is filed.
        if self.tlp in ("CLEAR", "GREEN") and self.recipients:
            raise ValueError(f"tlp {self.tlp} takes no recipients")
        if self.tlp in ("AMBER", "AMBER+STRICT", "RED") and not self.recipients:
            raise ValueError(f"tlp {self.tlp} needs at least one recipient (`recipients: [{{org: ...}}]`)")
        # The rest of the incident schema's marking rules (``IncidentReport``), for the same reason.
        for r in self.recipients:
            if self.tlp == "RED" and r.member is None:
                raise ValueError(f"tlp RED recipients are named individuals: give a member for {r.org}")
            if self.tlp != "RED" and r.member is not None:
                raise ValueError(f"a recipient member applies to tlp RED only (recipient {r.org})")
            if self.tlp != "AMBER" and r.clients:
                raise ValueError(f"recipient clients apply to tlp AMBER only (recipient {r.org})")
        if len({(r.org, r.member) for r in self.recipients}) != len(self.recipients):
            raise ValueError("a recipient is listed twice")
        return self


class AlertSinks(_Frozen):
    """A monitor file's ``alerts:`` block."""

    on: AlertOn = "regression"
    webhooks: list[WebhookSink] = Field(default_factory=list, max_length=16)
    incident: IncidentSink | None = None
    signing_key: str | None = Field(
        default=None,
        description="Private key file the webhook envelopes are signed with; default --signing-key, ACCORD_SIGNING_KEY, then `accord keys init`'s key.",
    )

    @property
    def empty(self) -> bool:
        return not self.webhooks and self.incident is None
