"""Regulatory reporting clocks: which deadlines an incident is under, and which have passed.

Pure: ``deadlines(incident, now)`` reads only the incident's report (severity, harms,
jurisdictions, system classes, imminent risk, awareness time). Every clock counts from
``aware_at``, the time the reporter became aware, as the laws below do.

Rules (facts and confidence from ../shared/reference/frameworks.md; source ids from its §9):

| regime | rule | trigger | due | citation |
|---|---|---|---|---|
| EU AI Act Art 73 | a73-widespread-ci | widespread infringement (Art 3(61)) or critical-infrastructure disruption (3(49)(b)) | 2 days | Reg. (EU) 2024/1689 Art 73(3) |
| | a73-death | death of a person | 10 days | Art 73(4) |
| | a73-general | any other serious incident | 15 days | Art 73(2) |
| GPAI Code of Practice 9.3 | cop-si-ci | critical-infrastructure disruption | 2 days | Code of Practice, Safety & Security, Measure 9.3 (under Art 55(1)(c)) |
| | cop-si-cyber | serious cybersecurity breach | 5 days | idem |
| | cop-si-death | death | 10 days | idem |
| | cop-si-other | other serious harm | 15 days | idem |
| California SB 53 | sb53-imminent | imminent risk of death or serious injury | 24 hours | Cal. SB 53 (Stats. 2025 ch. 138) |
| | sb53-critical | critical safety incident | 15 days | idem |
| New York RAISE Act | raise-incident | safety incident | 72 hours | N.Y. RAISE Act (2025) |

Decisions, each documented in docs/incidents.md:
- A regime applies when the incident is *serious* (OECD severity ``serious incident`` or
  ``disaster``), a jurisdiction is in its territory (an EU member state or ``EU``; ``US-CA``;
  ``US-NY``), the law is in force at ``aware_at``, and the system class fits. An incident that
  declares no system class gets every clock whose territory and harm match, flagged with the
  condition, because a reporter who does not yet know the class cannot afford to miss the clock.
- One deadline per regime: the tightest rule that applies (the one report is due by then).
- Follow-up duties without a fixed start (CoP's 4-weekly updates, the final report 60 days
  after resolution) are not computed: the service does not know when the first report was filed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from accord.incidents._model import IncidentReport

__all__ = ["EU_MEMBER_STATES", "RULES", "Deadline", "Rule", "deadlines"]

#: ISO 3166-1 alpha-2 codes of the 27 EU member states (``EL``: the EU's own code for Greece).
EU_MEMBER_STATES = frozenset("AT BE BG HR CY CZ DK EE FI FR DE GR EL HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split())
SERIOUS = frozenset({"serious incident", "disaster"})


@dataclass(frozen=True)
class Rule:
    """One reporting deadline in one regime: when it triggers, how long, where it comes from."""

    id: str
    regime: str
    period: timedelta
    trigger: Callable[[IncidentReport], bool]
    territory: Callable[[str], bool]
    system_class: str
    in_force: datetime
    citation: str
    description: str


@dataclass(frozen=True)
class Deadline:
    """A reporting deadline an incident is under: ``due`` counts from ``aware_at``."""

    rule: str
    regime: str
    due: datetime
    overdue: bool
    citation: str
    description: str
    condition: str | None = None  # set when it applies only if the system is of a class not declared

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "regime": self.regime,
            "due": self.due.isoformat().replace("+00:00", "Z"),
            "overdue": self.overdue,
            "citation": self.citation,
            "description": self.description,
            "condition": self.condition,
        }


def _eu(code: str) -> bool:
    return code == "EU" or code in EU_MEMBER_STATES


def _has(*harms: str) -> Callable[[IncidentReport], bool]:
    return lambda r: any(h in r.harms for h in harms)


def _always(_: IncidentReport) -> bool:
    return True


_EU_ACT = "Regulation (EU) 2024/1689 (AI Act)"
_COP = "GPAI Code of Practice, Safety and Security chapter, Measure 9.3 (2025-07-10), under AI Act Art 55(1)(c)"
_SB53 = "California SB 53, Transparency in Frontier AI Act (Stats. 2025 ch. 138)"
_RAISE = "New York RAISE Act (signed 2025-12-19)"
_REF = "../shared/reference/frameworks.md"


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


#: In order of tightness within each regime (the first that triggers is the regime's deadline).
RULES: tuple[Rule, ...] = (
    Rule(
        "a73-widespread-ci",
        "EU AI Act Art 73",
        timedelta(days=2),
        _has("widespread-infringement", "critical-infrastructure"),
        _eu,
        "high-risk",
        _dt("2026-08-02"),
        f"{_EU_ACT} Art 73(3); Art 3(61), 3(49)(b) [{_REF} §1.7 a73-widespread-ci, S-EU-1]",
        "widespread infringement or serious disruption of critical infrastructure: report immediately, at the latest 2 days after awareness",
    ),
    Rule(
        "a73-death",
        "EU AI Act Art 73",
        timedelta(days=10),
        _has("death"),
        _eu,
        "high-risk",
        _dt("2026-08-02"),
        f"{_EU_ACT} Art 73(4) [{_REF} §1.7 a73-death, S-EU-1]",
        "death of a person: report immediately, at the latest 10 days after awareness",
    ),
    Rule(
        "a73-general",
        "EU AI Act Art 73",
        timedelta(days=15),
        _always,
        _eu,
        "high-risk",
        _dt("2026-08-02"),
        f"{_EU_ACT} Art 73(2) [{_REF} §1.7 a73-general, S-EU-1]",
        "serious incident: report immediately after establishing a causal link, at the latest 15 days after awareness",
    ),
    Rule(
        "cop-si-ci",
        "GPAI Code of Practice 9.3",
        timedelta(days=2),
        _has("critical-infrastructure"),
        _eu,
        "gpai-systemic-risk",
        _dt("2025-08-02"),
        f"{_COP} [{_REF} §1.7 cop-si-ci, S-EU-3]",
        "serious and irreversible disruption of critical infrastructure: initial report within 2 days",
    ),
    Rule(
        "cop-si-cyber",
        "GPAI Code of Practice 9.3",
        timedelta(days=5),
        _has("cybersecurity"),
        _eu,
        "gpai-systemic-risk",
        _dt("2025-08-02"),
        f"{_COP} [{_REF} §1.7 cop-si-cyber, S-EU-3]",
        "serious cybersecurity breach (model-weight exfiltration, cyberattack): initial report within 5 days",
    ),
    Rule(
        "cop-si-death",
        "GPAI Code of Practice 9.3",
        timedelta(days=10),
        _has("death"),
        _eu,
        "gpai-systemic-risk",
        _dt("2025-08-02"),
        f"{_COP} [{_REF} §1.7 cop-si-death, S-EU-3]",
        "death of a person: initial report within 10 days",
    ),
    Rule(
        "cop-si-other",
        "GPAI Code of Practice 9.3",
        timedelta(days=15),
        _always,
        _eu,
        "gpai-systemic-risk",
        _dt("2025-08-02"),
        f"{_COP} [{_REF} §1.7 cop-si-other, S-EU-3]",
        "serious harm to health, fundamental rights, property or the environment: initial report within 15 days",
    ),
    Rule(
        "sb53-imminent",
        "California SB 53",
        timedelta(hours=24),
        lambda r: r.imminent_risk,
        lambda c: c == "US-CA",
        "frontier-model",
        _dt("2026-01-01"),
        f"{_SB53} [{_REF} §2 us-ca-sb53, S-US-6]",
        "critical safety incident posing an imminent risk of death or serious injury: report within 24 hours",
    ),
    Rule(
        "sb53-critical",
        "California SB 53",
        timedelta(days=15),
        _always,
        lambda c: c == "US-CA",
        "frontier-model",
        _dt("2026-01-01"),
        f"{_SB53} [{_REF} §2 us-ca-sb53, S-US-6]",
        "critical safety incident: report to the Office of Emergency Services within 15 days",
    ),
    Rule(
        "raise-incident",
        "New York RAISE Act",
        timedelta(hours=72),
        _always,
        lambda c: c == "US-NY",
        "frontier-model",
        _dt("2027-01-01"),
        f"{_RAISE} [{_REF} §2 us-ny-raise, S-US-6]",
        "safety incident: report within 72 hours",
    ),
)

_CLASS_NAMES = {
    "high-risk": "a high-risk AI system (AI Act Art 6)",
    "gpai-systemic-risk": "a GPAI model with systemic risk (AI Act Art 51)",
    "frontier-model": "a frontier model of a large frontier developer",
}


def deadlines(incident: Any, now: datetime | None = None) -> list[Deadline]:
    """The reporting deadlines ``incident`` (an ``Incident``, ``IncidentVersion`` or ``IncidentReport``)
    is under at ``now`` (default: the current time), earliest first; one per regime."""
    report: IncidentReport = getattr(incident, "report", incident)
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if report.severity not in SERIOUS or report.status == "withdrawn":
        return []
    aware = report.aware_at
    found: dict[str, Deadline] = {}
    for rule in RULES:
        if rule.regime in found or aware < rule.in_force:
            continue
        if not any(rule.territory(j) for j in report.jurisdictions):
            continue
        if report.system_classes and rule.system_class not in report.system_classes:
            continue
        if not rule.trigger(report):
            continue
        due = aware + rule.period
        condition = None if report.system_classes else f"applies if the system is {_CLASS_NAMES[rule.system_class]}"
        found[rule.regime] = Deadline(rule.id, rule.regime, due, now > due, rule.citation, rule.description, condition)
    return sorted(found.values(), key=lambda d: (d.due, d.rule))
