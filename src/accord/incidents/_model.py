"""The incident record exchanged between organisations (issue 20), as pydantic models.

Three layers, so that what a reporter *says*, what the service *stored* and what a reader
*sees* cannot be confused:

- ``IncidentReport``: one version's content, exactly as a reporter submits it (the body of
  ``POST /v1/incidents`` and ``POST /v1/incidents/{id}/versions``). It carries its own TLP
  marking and recipients, so a later version may widen or narrow who may read it and each
  version is judged by its own marking (``accord.incidents.can_read``).
- ``IncidentVersion``: a stored version: the report, who submitted it, when, the salted
  commitment to it, the signed envelope over that commitment and its transparency-log index.
- ``Incident``: the latest version of one incident with its header (id, reporter, dates,
  version count); what list and get return.

Every model forbids unknown fields (a typo must not silently drop a restriction such as a
recipient) and is frozen. Sizes are bounded here so a hostile body is refused before it is
stored. Field names are shared with the STIX/TAXII exchange and the dashboard: rename none
without changing ``accord.incidents._stix`` and the server's templates.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from accord.taxonomy import is_hazard

__all__ = [
    "DISTRIBUTIONS",
    "HARMS",
    "SEVERITIES",
    "STATUSES",
    "SYSTEM_CLASSES",
    "TLP_LEVELS",
    "Distribution",
    "Harm",
    "Incident",
    "IncidentReport",
    "IncidentVersion",
    "Link",
    "Recipient",
    "Severity",
    "SharingGroup",
    "SharingGroupServer",
    "Status",
    "SystemClass",
    "SystemRef",
    "Tlp",
]

#: TLP 2.0 labels, least to most restrictive (FIRST TLP 2.0; written without the ``TLP:`` prefix).
Tlp = Literal["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]
TLP_LEVELS: tuple[str, ...] = get_args(Tlp)

#: MISP's distribution levels (misp-book "Sharing and distribution"): how far an incident may
#: travel between servers. 0 this organisation only, 1 this community only (the organisations of
#: this server), 2 connected communities (one hop further), 3 all communities, 4 a sharing
#: group. Each sync hop lowers the level (``accord.federation.after_hop``); TLP still decides
#: *who* on a server may read it (``can_read``), and both must admit a reader.
Distribution = Literal[0, 1, 2, 3, 4]
DISTRIBUTIONS: tuple[int, ...] = get_args(Distribution)

#: OECD's severity scale ("Towards a common reporting framework for AI incidents", 2025;
#: ../shared/reference/frameworks.md §7.1). Reporting clocks run for the two serious ones.
Severity = Literal["hazard", "serious hazard", "incident", "serious incident", "disaster"]
SEVERITIES: tuple[str, ...] = get_args(Severity)

Status = Literal["open", "investigating", "mitigated", "resolved", "closed", "withdrawn"]
STATUSES: tuple[str, ...] = get_args(Status)

#: The kinds of harm the reporting clocks distinguish (EU AI Act Art 3(49)(a)-(d), Art 3(61),
#: the GPAI Code of Practice Measure 9.3's cybersecurity limb). ``health`` is serious harm to a
#: person's health; ``death`` is a person's death.
Harm = Literal[
    "death",
    "health",
    "critical-infrastructure",
    "fundamental-rights",
    "widespread-infringement",
    "property",
    "environment",
    "cybersecurity",
    "other",
]
HARMS: tuple[str, ...] = get_args(Harm)

#: What kind of system it is, which decides which regimes' clocks apply: an EU high-risk AI
#: system (Art 73), a GPAI model with systemic risk (Art 55(1)(c), Code of Practice 9.3), a
#: frontier model (California SB 53, New York RAISE). None declared: every clock whose
#: jurisdiction and harm match is shown (a reporter may not know yet; missing a deadline costs more).
SystemClass = Literal["high-risk", "gpai-systemic-risk", "frontier-model"]
SYSTEM_CLASSES: tuple[str, ...] = get_args(SystemClass)

#: Organisation ids are the service's org slugs (``accord org add``).
ORG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
#: ISO 3166-1 alpha-2 countries, ISO 3166-2 subdivisions (``US-CA``), and ``EU``.
JURISDICTION_PATTERN = r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"

MAX_TITLE = 300
MAX_DESCRIPTION = 20_000
MAX_SHORT = 200
MAX_LIST = 64
MAX_RECIPIENTS = 256
MIN_YEAR, MAX_YEAR = 1900, 2999

Org = Annotated[str, StringConstraints(pattern=ORG_PATTERN)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SHORT, strip_whitespace=True)]
Jurisdiction = Annotated[str, StringConstraints(pattern=JURISDICTION_PATTERN)]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SystemRef(_Frozen):
    """The AI system involved: its name and version as its provider names them."""

    name: Short
    version: Annotated[str, StringConstraints(max_length=MAX_SHORT, strip_whitespace=True)] | None = None
    provider: Short | None = None


class Link(_Frozen):
    """A pointer from an incident to evidence: a stored run, a published attestation (its id or
    log index), another incident, an external record (AIID, AVID, ATLAS, CVE) or a URL."""

    kind: Literal["run", "attestation", "incident", "external", "url"]
    ref: Short
    label: Short | None = None


class Recipient(_Frozen):
    """Who an AMBER, AMBER+STRICT or RED incident is addressed to.

    - ``org``: the recipient organisation.
    - ``member``: for TLP:RED only, and required there: the named individual (a token's member
      name) — RED is "for the eyes and ears of individual recipients only".
    - ``clients``: for TLP:AMBER only: the organisations this recipient must inform (TLP 2.0
      lets AMBER go to "the recipient's organisation and its clients"); each is named, so the
      service can enforce it rather than guess who a client is.
    """

    org: Org
    member: Short | None = None
    clients: tuple[Org, ...] = Field(default=(), max_length=MAX_LIST)


class SharingGroupServer(_Frozen):
    """A server in a sharing group, named by its transparency log's origin (what ``GET
    /v1/federation/info`` reports); ``all_orgs``: every organisation on it may read (MISP's
    SharingGroupServer ``all_orgs``), else only the group's listed organisations."""

    server: Annotated[str, StringConstraints(min_length=1, max_length=MAX_SHORT, pattern=r"^[^\s+]+$")]
    all_orgs: bool = False


class SharingGroup(_Frozen):
    """MISP's sharing group: the organisations (anywhere) and servers an incident of
    distribution 4 may reach. It travels inside the report, so every server applies the same group."""

    uuid: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    name: Short
    orgs: tuple[Org, ...] = Field(default=(), max_length=MAX_RECIPIENTS)
    servers: tuple[SharingGroupServer, ...] = Field(default=(), max_length=MAX_LIST)


class IncidentReport(_Frozen):
    """One version of an incident as its reporter states it (what is signed and committed to)."""

    title: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE, strip_whitespace=True)]
    description: Annotated[str, StringConstraints(min_length=1, max_length=MAX_DESCRIPTION)]
    system: SystemRef
    hazards: tuple[str, ...] = Field(default=(), max_length=MAX_LIST)
    severity: Severity
    harms: tuple[Harm, ...] = Field(default=(), max_length=len(HARMS))
    harmed: tuple[Short, ...] = Field(default=(), max_length=MAX_LIST, description="who was harmed: people, groups, organisations")
    jurisdictions: tuple[Jurisdiction, ...] = Field(default=(), max_length=MAX_LIST)
    system_classes: tuple[SystemClass, ...] = Field(default=(), max_length=len(SYSTEM_CLASSES))
    imminent_risk: bool = Field(default=False, description="an imminent risk of death or serious injury (SB 53's 24-hour clock)")
    status: Status = "open"
    links: tuple[Link, ...] = Field(default=(), max_length=MAX_LIST)
    aware_at: AwareDatetime = Field(description="when the reporter became aware: every reporting clock counts from here")
    occurred_at: AwareDatetime | None = None
    tlp: Tlp
    recipients: tuple[Recipient, ...] = Field(default=(), max_length=MAX_RECIPIENTS)
    distribution: Distribution | None = Field(
        default=None, description="MISP distribution level for federation (None: 1, this community only, MISP's default)"
    )
    sharing_group: SharingGroup | None = Field(default=None, description="the sharing group of distribution 4")

    @field_validator("title", "description")
    @classmethod
    def _no_control(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("control characters are not allowed")
        return value

    @field_validator("aware_at", "occurred_at")
    @classmethod
    def _plausible_time(cls, value: datetime | None) -> datetime | None:
        # Bounded so that clocks (aware_at + days) and UTC conversion can never overflow.
        if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
            raise ValueError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
        return value

    @field_validator("hazards")
    @classmethod
    def _known_hazards(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [h for h in value if not is_hazard(h)]
        if unknown:
            raise ValueError(f"unknown hazard id {unknown[0][:80]!r} (see `accord taxonomy` / accord/taxonomy.yaml)")
        return tuple(dict.fromkeys(value))

    @field_validator("harms", "jurisdictions", "system_classes")
    @classmethod
    def _dedupe(cls, value: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(dict.fromkeys(value))

    @model_validator(mode="after")
    def _marking(self) -> IncidentReport:
        """Recipients must fit the label: a restriction that cannot be enforced is refused, not ignored."""
        if (self.distribution == 4) != (self.sharing_group is not None):
            raise ValueError("distribution 4 (sharing group) and a sharing_group go together: give both or neither")
        if self.occurred_at is not None and self.occurred_at > self.aware_at:
            raise ValueError("occurred_at is after aware_at: one cannot become aware of an incident before it happens")
        if self.tlp in ("CLEAR", "GREEN"):
            if self.recipients:
                raise ValueError(f"TLP:{self.tlp} has no recipient list (CLEAR: everyone; GREEN: the whole community)")
            return self
        if not self.recipients:
            raise ValueError(f"TLP:{self.tlp} needs at least one recipient")
        seen: set[tuple[str, str | None]] = set()
        for r in self.recipients:
            if (r.org, r.member) in seen:
                raise ValueError(f"recipient {r.org}{'/' + r.member if r.member else ''} is listed twice")
            seen.add((r.org, r.member))
            if self.tlp == "RED" and r.member is None:
                raise ValueError(f"TLP:RED recipients are named individuals: give a member for {r.org}")
            if self.tlp != "RED" and r.member is not None:
                raise ValueError(f"a named member applies to TLP:RED only (TLP:{self.tlp} goes to the whole organisation)")
            if self.tlp != "AMBER" and r.clients:
                raise ValueError(f"clients apply to TLP:AMBER only (TLP:{self.tlp} may not go beyond the recipient organisation)")
        return self


class IncidentVersion(_Frozen):
    """One stored, signed version. ``salt`` is served only to those who may read the version
    (it lets them check ``commitment`` against the log; it reveals nothing they cannot read)."""

    incident_id: str
    version: int = Field(ge=1)
    reporter_org: Org
    submitted_by: str = Field(description="the submitting principal as the audit log describes it (never a token)")
    created_at: AwareDatetime
    report: IncidentReport
    commitment: str = Field(pattern=r"^[0-9a-f]{64}$", description="hex sha256(salt || canonical JSON of the version)")
    salt: str = Field(pattern=r"^[0-9a-f]{64}$")
    log_index: int | None = Field(default=None, ge=0, description="the signed commitment's index in the server's transparency log")
    envelope: dict[str, Any] = Field(description="DSSE envelope (server key) over the commitment statement; what the log holds")

    retracted: bool = Field(default=False, description="this version retracts the incident: earlier versions' content is hidden")
    source: str | None = Field(default=None, description="the peer server (log origin) this version was received from; None: reported here")
    distribution: int = Field(default=1, ge=0, le=4, description="the distribution level on this server (lowered at each sync hop)")

    @property
    def tlp(self) -> str:
        return self.report.tlp

    @property
    def recipients(self) -> tuple[Recipient, ...]:
        return self.report.recipients


class Incident(_Frozen):
    """An incident as list and get return it: its header and its latest version's report."""

    id: str
    reporter_org: Org
    created_at: AwareDatetime
    updated_at: AwareDatetime
    version: int = Field(ge=1, description="the latest version's number (versions are 1..version)")
    report: IncidentReport
    commitment: str = Field(pattern=r"^[0-9a-f]{64}$")
    log_index: int | None = None
    retracted: bool = False
    source: str | None = Field(default=None, description="the peer server (log origin) it was received from; None: reported here")
    distribution: int = Field(default=1, ge=0, le=4, description="the distribution level on this server")

    @property
    def tlp(self) -> str:
        return self.report.tlp

    @property
    def recipients(self) -> tuple[Recipient, ...]:
        return self.report.recipients

    @property
    def aware_at(self) -> datetime:
        return self.report.aware_at
