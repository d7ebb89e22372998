"""Incident exchange (issue 20): the record, TLP 2.0 access rules, reporting clocks, commitments.

Pure logic over given values (no store, no network): the service's pipeline jobs
(``accord.pipeline.readable_incidents`` / ``get_incident`` / ``report_incident`` ...) persist
and serve incidents, and every read path decides what a caller sees with ``can_read`` here.

- ``IncidentReport`` / ``IncidentVersion`` / ``Incident``: the schema (``_model``);
- ``can_read(record, reader)``: TLP 2.0 as FIRST defines it, enforced (``_tlp``);
- ``deadlines(incident, now)``: the reporting clocks that apply and what is overdue (``_clocks``);
- STIX 2.1 / TLP 2.0 marking, AVID export, AIID import (``_stix``, ``_avid``, ``_aiid``: the exchange);
- ``canonical_document`` / ``commit_document`` / ``sign_commitment`` / ``verify_version``: the salted commitment the
  transparency log holds instead of the content (``_commit``).
"""

from __future__ import annotations

from accord.incidents._aiid import (
    AIID_LICENCE,
    MIT_TO_HAZARDS,
    AiidIncident,
    aiid_incident_id,
    aiid_report,
    read_aiid,
    resolve_duplicates,
)
from accord.incidents._avid import (
    AVID_DATA_VERSION,
    AVID_SEP,
    HAZARD_TO_SEP,
    avid_report,
)
from accord.incidents._clocks import EU_MEMBER_STATES, RULES, Deadline, Rule, deadlines
from accord.incidents._commit import canonical_document, commit_document, new_incident_salt, sign_commitment, verify_version
from accord.incidents._model import (
    HARMS,
    SEVERITIES,
    STATUSES,
    SYSTEM_CLASSES,
    TLP_LEVELS,
    Harm,
    Incident,
    IncidentReport,
    IncidentVersion,
    Link,
    Recipient,
    Severity,
    Status,
    SystemClass,
    SystemRef,
    Tlp,
)
from accord.incidents._stix import (
    ACCORD_EXTENSION_DEFINITION,
    ACCORD_EXTENSION_ID,
    ACCORD_IDENTITY,
    DEFAULT_SEVERITY,
    MAX_BUNDLE_BYTES,
    MAX_BUNDLE_OBJECTS,
    STIX_SOURCE_LABEL,
    TLP1_MARKING_IDS,
    TLP2_EXTENSION_DEFINITION,
    TLP2_EXTENSION_ID,
    TLP2_MARKING_IDS,
    UNSTATED_SYSTEM,
    ImportedIncident,
    bundle_of,
    check_object,
    definition_objects,
    exchange_objects,
    imported_modified,
    incident_object,
    load_bundle,
    org_identity,
    parse_bundle,
    schema_errors,
    stix_id,
    stix_time,
    tlp_marking,
    tlp_of_refs,
    to_report,
)
from accord.incidents._tlp import Marked, Reader, can_read, reader_keys

__all__ = [
    "AIID_LICENCE",
    "AiidIncident",
    "MIT_TO_HAZARDS",
    "aiid_incident_id",
    "aiid_report",
    "read_aiid",
    "resolve_duplicates",
    "AVID_DATA_VERSION",
    "AVID_SEP",
    "HAZARD_TO_SEP",
    "avid_report",
    "ACCORD_EXTENSION_DEFINITION",
    "ACCORD_EXTENSION_ID",
    "ACCORD_IDENTITY",
    "DEFAULT_SEVERITY",
    "ImportedIncident",
    "MAX_BUNDLE_BYTES",
    "MAX_BUNDLE_OBJECTS",
    "STIX_SOURCE_LABEL",
    "TLP1_MARKING_IDS",
    "TLP2_EXTENSION_DEFINITION",
    "TLP2_EXTENSION_ID",
    "TLP2_MARKING_IDS",
    "UNSTATED_SYSTEM",
    "bundle_of",
    "check_object",
    "definition_objects",
    "exchange_objects",
    "imported_modified",
    "incident_object",
    "load_bundle",
    "org_identity",
    "parse_bundle",
    "schema_errors",
    "stix_id",
    "stix_time",
    "tlp_marking",
    "tlp_of_refs",
    "to_report",
    "EU_MEMBER_STATES",
    "RULES",
    "Deadline",
    "Marked",
    "Reader",
    "Rule",
    "can_read",
    "canonical_document",
    "commit_document",
    "deadlines",
    "new_incident_salt",
    "reader_keys",
    "sign_commitment",
    "verify_version",
    "HARMS",
    "SEVERITIES",
    "STATUSES",
    "SYSTEM_CLASSES",
    "TLP_LEVELS",
    "Harm",
    "Incident",
    "IncidentReport",
    "IncidentVersion",
    "Link",
    "Recipient",
    "Severity",
    "Status",
    "SystemClass",
    "SystemRef",
    "Tlp",
]
