"""AVID report export: an accord incident in the AI Vulnerability Database's report format.

Why: AVID (avidml/avid-db) is the open database of AI failures that red-teamers and
researchers already search; an incident that may be published can be submitted there without
retyping it. The shape follows AVID's reports (data_type "AVID", data_version 0.2, as in the
shared sample ``datasets/incidents/avid/``): ``affects`` (developer, deployer, artifacts),
``problemtype`` (classof, type, description), ``references``, ``description``,
``impact.avid`` (risk_domain, sep_view, lifecycle_view, taxonomy_version), ``credit``,
``reported_date``. ``metadata.report_id`` is left out: AVID assigns it on acceptance.

The hazard → SEP-view mapping below is accord's own (AVID has no crosswalk to accord's
taxonomy); the SEP codes and names are AVID's (taxonomy 0.2, as garak's tags.misp.tsv lists
them). A hazard with no fitting code maps to ``P0400: Safety``.

This module only formats. Whether an incident may leave the service as a public AVID
report is the pipeline's decision (``accord.pipeline.export_avid``: TLP:CLEAR, or the
reporter's own incident).
"""

from __future__ import annotations

from typing import Any

from accord.incidents._model import Incident, IncidentVersion

__all__ = ["AVID_DATA_VERSION", "AVID_SEP", "HAZARD_TO_SEP", "avid_report"]

AVID_DATA_VERSION = "0.2"
AVID_TAXONOMY_VERSION = "0.2"

#: AVID SEP-view codes accord uses, with AVID's names.
AVID_SEP: dict[str, str] = {
    "E0100": "Bias/Discrimination",
    "E0101": "Group fairness",
    "E0301": "Toxicity",
    "E0302": "Polarization/ Exclusion",
    "E0402": "Generative Misinformation",
    "P0300": "Privacy",
    "P0400": "Safety",
    "P0401": "Psychological Safety",
    "P0402": "Physical safety",
    "S0301": "Information Leak",
    "S0403": "Adversarial Example",
}
_DOMAIN = {"S": "Security", "E": "Ethics", "P": "Performance"}

#: accord hazard id → AVID SEP codes (accord's mapping; see the module docstring).
HAZARD_TO_SEP: dict[str, tuple[str, ...]] = {
    "violent-crimes": ("P0402",),
    "nonviolent-crimes": ("P0400",),
    "sex-related-crimes": ("P0401",),
    "child-sexual-exploitation": ("P0401",),
    "indiscriminate-weapons": ("P0402",),
    "suicide-self-harm": ("P0401", "P0402"),
    "hate": ("E0301",),
    "specialized-advice": ("P0400",),
    "privacy": ("P0300", "S0301"),
    "intellectual-property": ("S0301",),
    "defamation": ("E0402",),
    "elections": ("E0402",),
    "sexual-content": ("P0401",),
    "ncii": ("P0401",),
    "cyber-offense": ("P0400",),
    "loss-of-control": ("P0400",),
    "harmful-manipulation": ("P0401",),
    "misinformation": ("E0402",),
    "ai-self-identification": ("P0401",),
    "state-security": ("P0400",),
    "political-sensitivity": ("E0302",),
    "religion": ("E0100",),
    "regulated-goods": ("P0400",),
    "gender-sexuality": ("E0101",),
    "discrimination": ("E0100",),
}
AIID_CITE = "https://incidentdatabase.ai/cite/"


def _sep_view(hazards: tuple[str, ...]) -> list[str]:
    codes: list[str] = []
    for hazard in hazards:
        codes.extend(HAZARD_TO_SEP.get(hazard, ()))
    if not codes:
        codes = ["P0400"]
    return [f"{code}: {AVID_SEP[code]}" for code in dict.fromkeys(codes)]


def avid_report(record: Incident | IncidentVersion) -> dict[str, Any]:
    """The AVID report (a JSON-ready dict) of one incident version (``Incident``: its latest).

    An incident linked to an AI Incident Database record (link ``external`` ``aiid:<n>``) is
    classed ``AIID Incident`` with its cite URL as the source, as AVID's own AIID-derived
    entries are; any other is a ``Third-party Report`` of type ``Issue``.
    """
    report = record.report
    incident_id = record.id if isinstance(record, Incident) else record.incident_id
    created = record.created_at if isinstance(record, IncidentVersion) else record.updated_at
    references: list[dict[str, str]] = []
    aiid = False
    for link in report.links:
        if link.kind == "external" and link.ref.startswith("aiid:") and link.ref[5:].isdigit():
            aiid = True
            references.append(
                {"type": "source", "label": link.label or f"AI Incident Database incident {link.ref[5:]}", "url": AIID_CITE + link.ref[5:]}
            )
        elif link.kind == "url" and link.ref.startswith(("https://", "http://")):
            references.append({"type": "source", "label": link.label or link.ref, "url": link.ref})
    seps = _sep_view(report.hazards)
    system = report.system.name + (f" {report.system.version}" if report.system.version else "")
    problem: dict[str, Any] = {
        "classof": "AIID Incident" if aiid else "Third-party Report",
        "description": {"lang": "eng", "value": report.title},
    }
    if not aiid:
        problem["type"] = "Issue"
    return {
        "data_type": "AVID",
        "data_version": AVID_DATA_VERSION,
        "affects": {
            "developer": [report.system.provider] if report.system.provider else [],
            "deployer": [],
            "artifacts": [{"type": "System", "name": system}],
        },
        "problemtype": problem,
        "references": list({r["url"]: r for r in references}.values()),
        "description": {"lang": "eng", "value": report.description},
        "impact": {
            "avid": {
                "risk_domain": list(dict.fromkeys(_DOMAIN[s[0]] for s in seps)),
                "sep_view": seps,
                "lifecycle_view": ["L06: Deployment"],
                "taxonomy_version": AVID_TAXONOMY_VERSION,
            }
        },
        "credit": [{"lang": "eng", "value": f"{record.reporter_org} (via accord incident {incident_id}, version {record.version})"}],
        "reported_date": created.date().isoformat(),
    }
