"""STIX 2.1 out and in: incidents as STIX bundles carrying TLP 2.0 markings (issue 20).

Why STIX: it is what CERTs and threat-intelligence platforms already exchange, and TAXII
serves it. An accord incident becomes one ``incident`` SDO (a stub in STIX 2.1) with

- ``object_marking_refs``: the TLP 2.0 marking of its level. TLP 2.0 is a published STIX
  *extension*, not part of the 2.1 spec, so consumers do not know its objects: every bundle
  carries the five marking-definitions and their extension-definition, copied field for field
  from oasis-open/cti-stix-common-objects (the ids are checked against the shared vectors in
  the tests; several public codebases get them wrong);
- ``extensions``: accord's own AI-incident property extension (hazards from accord's taxonomy,
  severity, harmed parties, jurisdictions, status, system and version, awareness time, links),
  defined by ``ACCORD_EXTENSION_DEFINITION`` in the same bundle, because the Incident Core
  Extension is cyber-oriented and has no place for them;
- ``created_by_ref``: an ``identity`` for the reporting organisation.

Import is the reverse, and hostile input is the normal case: a bundle is checked in bounded
time and size, object by object, and the first problem is an ``InputError`` naming the object
index and field (``objects[3].created``). An incident's TLP on import is the most restrictive
of its object and granular TLP markings (a project policy, not a STIX rule: the derived vector
documents it), TLP 1.0 ids are read as their TLP 2.0 equivalents (WHITE → CLEAR), and a
marking-definition that claims a TLP level under an id that is not the official one is refused,
so a bundle cannot forge a weaker marking.

``schema_errors`` checks objects against the OASIS JSON schemas (a directory the caller gives:
public data, not shipped) with ``jsonschema``, imported only there.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from accord.errors import InputError, MissingDependencyError
from accord.incidents._model import MAX_LIST, MAX_SHORT, TLP_LEVELS, Incident, IncidentReport, IncidentVersion

__all__ = [
    "ACCORD_EXTENSION_DEFINITION",
    "ACCORD_EXTENSION_ID",
    "ACCORD_IDENTITY",
    "DEFAULT_SEVERITY",
    "MAX_BUNDLE_BYTES",
    "MAX_BUNDLE_OBJECTS",
    "STIX_SOURCE_LABEL",
    "TLP1_MARKING_IDS",
    "TLP2_EXTENSION_DEFINITION",
    "TLP2_EXTENSION_ID",
    "TLP2_MARKING_IDS",
    "UNSTATED_SYSTEM",
    "ImportedIncident",
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
]

# TLP levels are the model's (``CLEAR`` ... ``RED``, least to most restrictive: the order
# "most restrictive wins" uses); the STIX extension writes them in lower case.

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_EXTENSION_DEFINITION: dict[str, Any] = {
    "id": "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d",
    "type": "extension-definition",
    "spec_version": "2.1",
    "name": "TLP 2.0",
    "description": "This defines TLP 2.0 as a STIX extension",
    "created": "2022-10-01T00:00:00.000Z",
    "modified": "2022-10-01T00:00:00.000Z",
    "created_by_ref": "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01",
    "schema": "https://github.com/oasis-open/cti-stix-common-objects/tree/master/extension-definition-specifications/tlp-2.0",
    "version": "1.0.0",
    "extension_types": ["property-extension"],
}
TLP2_MARKING_IDS: dict[str, str] = {
    "CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
_TLP2_CREATED = "2022-10-01T00:00:00.000Z"
#: The STIX 2.1 spec's predefined TLP 1.0 markings, read on import as their TLP 2.0 level.
TLP1_MARKING_IDS: dict[str, str] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "CLEAR",  # TLP:WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "GREEN",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "AMBER",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "RED",
}
_TLP_BY_REF: dict[str, str] = {**{v: k for k, v in TLP2_MARKING_IDS.items()}, **TLP1_MARKING_IDS}

# --- accord's own objects ------------------------------------------------------------------

#: Namespace of the deterministic (UUIDv5) ids accord gives its STIX objects, so the same
#: incident version exports to the same ids every time (a TAXII client can de-duplicate).
_NAMESPACE = uuid.UUID("0f9ce70c-73d9-4612-86e1-9f0c9b41f592")
_ACCORD_CREATED = "2026-12-01T00:00:00.000Z"
ACCORD_IDENTITY: dict[str, Any] = {
    "type": "identity",
    "spec_version": "2.1",
    "id": "identity--bf2130b6-df9f-423d-a73c-3c496214c291",
    "created": _ACCORD_CREATED,
    "modified": _ACCORD_CREATED,
    "name": "accord",
    "identity_class": "system",
    "description": "The accord AI-safety evaluation and incident-exchange service (defines the accord AI-incident extension).",
    "object_marking_refs": [TLP2_MARKING_IDS["CLEAR"]],
}
ACCORD_EXTENSION_ID = "extension-definition--3c1f0f4e-9a3b-4d6e-8f21-5b7a0c9d2e41"
ACCORD_EXTENSION_DEFINITION: dict[str, Any] = {
    "type": "extension-definition",
    "spec_version": "2.1",
    "id": ACCORD_EXTENSION_ID,
    "created": _ACCORD_CREATED,
    "modified": _ACCORD_CREATED,
    "created_by_ref": ACCORD_IDENTITY["id"],
    "name": "accord AI incident",
    "description": (
        "AI-specific incident properties on a STIX incident SDO: accord incident id and version, hazard ids from "
        "accord's taxonomy, severity, harmed parties, jurisdictions, status, the AI system and its version, the "
        "reporter's awareness time, and links to runs and attestations."
    ),
    "schema": "accord docs/incidents.md, section 'STIX 2.1': property names and types as exported by accord.incidents",
    "version": "1.0.0",
    "extension_types": ["property-extension"],
    "object_marking_refs": [TLP2_MARKING_IDS["CLEAR"]],
}
#: The accord extension's properties and the JSON type each must have on import (the values
#: are then checked in full by the incident model).
_EXT_FIELDS: dict[str, type] = {
    "accord_id": str,
    "version": int,
    "hazards": list,
    "severity": str,
    "harms": list,
    "harmed": list,
    "jurisdictions": list,
    "system_classes": list,
    "imminent_risk": bool,
    "status": str,
    "system": dict,
    "aware_at": str,
    "occurred_at": str,
    "links": list,
    "recipients": list,
    "commitment": str,
    "log_index": int,
}
#: Defaults for what a foreign STIX incident does not say (the incident model requires them).
#: An importer sees them in the stored report; they are documented, never guessed per record.
UNSTATED_SYSTEM = "(not stated)"
#: The label of the link an import leaves to its STIX object, followed by the object's ``modified``
#: (how a later import tells a newer version of the same object from a replay).
STIX_SOURCE_LABEL = "imported STIX incident, modified "
DEFAULT_SEVERITY = "incident"

#: Limits on what ``parse_bundle`` reads (a TAXII POST or an imported file).
MAX_BUNDLE_BYTES = 8 * 1024 * 1024
MAX_BUNDLE_OBJECTS = 5_000
MAX_TEXT_CHARS = 100_000
MAX_LIST_ITEMS = 200

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
_ID = re.compile(rf"^([a-z][a-z0-9-]+[a-z0-9])--{_UUID}$")
_TIMESTAMP = re.compile(r"^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?Z$")
_TIMESTAMP_MILLIS = re.compile(r"T\d{2}:\d{2}:\d{2}\.\d{3,}Z$")
_TYPE = re.compile(r"^([a-z][a-z0-9]*)+(-[a-z0-9]+)*-?$")


def stix_time(when: datetime) -> str:
    """A STIX timestamp: UTC, ``Z``, millisecond precision (the schema rejects ``…:00Z``)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_time(value: str) -> datetime:
    """A STIX timestamp (already matched by ``_TIMESTAMP``) as an aware datetime."""
    text = value[:-1]
    if "." in text:
        head, frac = text.split(".", 1)
        text = f"{head}.{frac[:6].ljust(6, '0')}"
    seconds_60 = text[17:19] == "60"  # a leap second: read as :59
    if seconds_60:
        text = text[:17] + "59" + text[19:]
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def stix_id(kind: str, *parts: str) -> str:
    """A deterministic STIX id for ``kind`` and a key, shaped as a UUIDv4.

    Deterministic so the same incident exports to the same id every time (TAXII clients
    de-duplicate by id); version-4-shaped because STIX 2.1 wants v4 for SDO ids (OASIS's
    validator warns on v5). The bits come from SHA-256 over accord's namespace and the key.
    """
    digest = hashlib.sha256(_NAMESPACE.bytes + "/".join((kind, *parts)).encode()).digest()
    return f"{kind}--{uuid.UUID(bytes=digest[:16], version=4)}"


def tlp_marking(level: str) -> dict[str, Any]:
    """The TLP 2.0 marking-definition object for ``level`` (``CLEAR`` … ``RED``; ``TLP:`` prefix and case ignored)."""
    level = level.upper().removeprefix("TLP:")
    try:
        marking_id = TLP2_MARKING_IDS[level]
    except KeyError:
        raise InputError(f"unknown TLP level {level!r}", field="tlp", expected=" | ".join(TLP_LEVELS)) from None
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": marking_id,
        "created": _TLP2_CREATED,
        "name": f"TLP:{level}",
        "extensions": {TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level.lower()}},
    }


def tlp_of_refs(refs: Iterable[str]) -> str | None:
    """The most restrictive TLP level among marking ids (TLP 1.0 or 2.0); None if none is TLP."""
    found = [_TLP_BY_REF[r] for r in refs if r in _TLP_BY_REF]
    return max(found, key=TLP_LEVELS.index) if found else None


def org_identity(org: str) -> dict[str, Any]:
    """The identity object standing for an organisation of this service (a stable id per slug).

    Its timestamps are fixed so two exports never hold two different versions of it.
    """
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": stix_id("identity", "org", org),
        "created": _ACCORD_CREATED,
        "modified": _ACCORD_CREATED,
        "name": org,
        "identity_class": "organization",
        "object_marking_refs": [TLP2_MARKING_IDS["CLEAR"]],
    }


Record = Incident | IncidentVersion


def _stix_incident_id(incident_id: str) -> str:
    """``incident--<id>`` where the id is already a UUID (the service's ids are UUID4s), else derived."""
    try:
        parsed = uuid.UUID(incident_id)
    except ValueError:
        return stix_id("incident", incident_id)
    return f"incident--{parsed}" if parsed.version in (1, 2, 3, 4, 5) and str(parsed) == incident_id else stix_id("incident", incident_id)


def _extension_of(record: Record) -> dict[str, Any]:
    report = record.report
    incident_id = record.id if isinstance(record, Incident) else record.incident_id
    ext: dict[str, Any] = {
        "extension_type": "property-extension",
        "accord_id": incident_id,
        "version": record.version,
        "severity": report.severity,
        "status": report.status,
        "system": report.system.model_dump(exclude_none=True),
        "aware_at": stix_time(report.aware_at),
        "imminent_risk": report.imminent_risk,
        "commitment": record.commitment,
    }
    for key in ("hazards", "harms", "harmed", "jurisdictions", "system_classes"):
        value = list(getattr(report, key))
        if value:
            ext[key] = value
    if report.occurred_at is not None:
        ext["occurred_at"] = stix_time(report.occurred_at)
    if report.links:
        ext["links"] = [link.model_dump(exclude_none=True) for link in report.links]
    if report.recipients:
        ext["recipients"] = [r.model_dump(exclude_none=True, exclude_defaults=True) for r in report.recipients]
    if record.log_index is not None:
        ext["log_index"] = record.log_index
    return ext


def incident_object(record: Record, *, first_created: datetime | None = None) -> dict[str, Any]:
    """The STIX ``incident`` SDO of one incident version (``Incident``: its latest), TLP-marked.

    ``created`` is the incident's first version time (``first_created``, else the record's
    own), ``modified`` this version's time: TAXII tells versions apart by ``modified``.
    Call it only for a record the caller may read: it copies the whole report.
    """
    if isinstance(record, Incident):
        incident_id, created, modified = record.id, record.created_at, record.updated_at
    else:
        incident_id, created, modified = record.incident_id, record.created_at, record.created_at
    if first_created is not None:
        created = min(first_created, modified)
    refs: list[dict[str, str]] = [{"source_name": "accord", "external_id": incident_id}]
    for link in record.report.links:
        if link.kind == "external" and ":" in link.ref:
            source, _, ident = link.ref.partition(":")
            refs.append({"source_name": source, "external_id": ident})
        elif link.kind == "url":
            refs.append({"source_name": link.label or "url", "url": link.ref})
    return {
        "type": "incident",
        "spec_version": "2.1",
        "id": _stix_incident_id(incident_id),
        "created": stix_time(created),
        "modified": stix_time(modified),
        "created_by_ref": org_identity(record.reporter_org)["id"],
        "name": record.report.title,
        "description": record.report.description,
        "external_references": refs,
        "object_marking_refs": [TLP2_MARKING_IDS[record.tlp]],
        "extensions": {ACCORD_EXTENSION_ID: _extension_of(record)},
    }


def definition_objects() -> list[dict[str, Any]]:
    """The objects every export carries so a consumer can read the markings and the extension:
    accord's identity, the TLP 2.0 and accord extension-definitions, the five TLP 2.0 markings."""
    objects: list[dict[str, Any]] = [dict(ACCORD_IDENTITY), dict(TLP2_EXTENSION_DEFINITION), dict(ACCORD_EXTENSION_DEFINITION)]
    objects.extend(tlp_marking(level) for level in TLP2_MARKING_IDS)
    return objects


def exchange_objects(records: Iterable[Record]) -> list[dict[str, Any]]:
    """Every object a bundle of these incident versions needs: the definitions, then the
    reporters' identities, then one incident object per record given."""
    orgs: dict[str, dict[str, Any]] = {}
    body: list[dict[str, Any]] = []
    for record in records:
        orgs.setdefault(record.reporter_org, org_identity(record.reporter_org))
        body.append(incident_object(record))
    return definition_objects() + [orgs[o] for o in sorted(orgs)] + body


def bundle_of(objects: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A STIX bundle of ``objects``; its id is derived from their ids and versions (same content, same id)."""
    key = json.dumps([[o.get("id"), o.get("modified", o.get("created"))] for o in objects], separators=(",", ":"))
    return {"type": "bundle", "id": stix_id("bundle", key), "objects": [dict(o) for o in objects]}


# --- import -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedIncident:
    """An incident read from a STIX bundle: what the importer stores as a new incident."""

    index: int  # position in the bundle's objects (for messages)
    stix_id: str
    title: str
    description: str
    tlp: str | None  # None: the object carries no TLP marking (the importer applies its default)
    created: datetime
    modified: datetime
    reporter_name: str | None  # the created_by_ref identity's name, if the bundle holds it
    properties: dict[str, Any]  # accord extension properties present (validated types)
    references: list[dict[str, str]]


def load_bundle(raw: bytes | str, *, max_bytes: int = MAX_BUNDLE_BYTES) -> dict[str, Any]:
    """Parse JSON text of a bundle within ``max_bytes``; malformed JSON is an ``InputError`` with its line."""
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > max_bytes:
        raise InputError(f"STIX bundle of {size:,} bytes is over the {max_bytes:,}-byte limit", field="bundle")
    try:
        data = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise InputError("STIX bundle is not UTF-8 text", field="bundle", expected="UTF-8 JSON", got=str(exc)) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"STIX bundle is not valid JSON: {exc.msg}", line=exc.lineno, field="bundle") from None
    except RecursionError:
        raise InputError("STIX bundle nests too deeply", field="bundle") from None
    if not isinstance(data, dict):
        raise InputError("a STIX bundle must be a JSON object", field="bundle", expected="object", got=type(data).__name__)
    return data


def _fail(where: str, message: str, *, expected: str | None = None, got: object = None) -> InputError:
    return InputError(message, field=where, expected=expected, got=got)


def _string(obj: Mapping[str, Any], key: str, where: str, *, required: bool = False, limit: int = MAX_TEXT_CHARS) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise _fail(f"{where}.{key}", "required property missing")
        return None
    if not isinstance(value, str):
        raise _fail(f"{where}.{key}", "must be a string", expected="string", got=value)
    if len(value) > limit:
        raise _fail(f"{where}.{key}", f"longer than {limit:,} characters")
    return value


def _timestamp(obj: Mapping[str, Any], key: str, where: str, *, required: bool) -> datetime | None:
    value = _string(obj, key, where, required=required, limit=64)
    if value is None:
        return None
    if not _TIMESTAMP.match(value):
        raise _fail(f"{where}.{key}", "not a STIX timestamp", expected="RFC 3339 UTC like 2026-01-15T09:30:00.000Z", got=value)
    if key in ("created", "modified") and not _TIMESTAMP_MILLIS.search(value):
        raise _fail(f"{where}.{key}", "needs millisecond precision", expected="e.g. 2026-01-15T09:30:00.000Z", got=value)
    try:
        return parse_time(value)
    except ValueError:
        raise _fail(f"{where}.{key}", "not a real date/time", got=value) from None


def _refs(obj: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = obj.get(key, [])
    if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS:
        raise _fail(f"{where}.{key}", f"must be a list of at most {MAX_LIST_ITEMS} identifiers", got=value)
    for i, ref in enumerate(value):
        if not isinstance(ref, str) or not _ID.match(ref):
            raise _fail(f"{where}.{key}[{i}]", "not a STIX identifier", expected="type--UUID", got=ref)
    return value


def check_object(obj: Any, where: str = "object") -> tuple[str, str]:
    """Check the properties every STIX 2.1 object shares; return its (type, id).

    ``InputError`` (field ``where.<property>``) on the first problem: not an object, a bad
    type name, an id that is not ``<type>--<UUID>``, spec_version other than 2.1, timestamps
    that are not RFC 3339 UTC with milliseconds or ``modified`` before ``created``, bad
    marking references.
    """
    if not isinstance(obj, dict):
        raise _fail(where, "a STIX object must be a JSON object", got=type(obj).__name__)
    kind = _string(obj, "type", where, required=True, limit=250)
    assert kind is not None
    if len(kind) < 3 or not _TYPE.match(kind):
        raise _fail(f"{where}.type", "not a STIX type name", got=kind)
    ident = _string(obj, "id", where, required=True, limit=300)
    assert ident is not None
    match = _ID.match(ident)
    if not match or match.group(1) != kind:
        raise _fail(f"{where}.id", f"must be '{kind}--' followed by a UUID (RFC 4122, version 1-5)", got=ident)
    spec = obj.get("spec_version")
    if spec != "2.1":
        raise _fail(f"{where}.spec_version", "must be '2.1'", expected="2.1", got=spec)
    created = _timestamp(obj, "created", where, required=True)
    if kind != "marking-definition":
        modified = _timestamp(obj, "modified", where, required=True)
        if created is not None and modified is not None and modified < created:
            raise _fail(f"{where}.modified", "is earlier than 'created'", got=obj["modified"])
    _refs(obj, "object_marking_refs", where)
    granular = obj.get("granular_markings", [])
    if not isinstance(granular, list) or len(granular) > MAX_LIST_ITEMS:
        raise _fail(f"{where}.granular_markings", "must be a list", got=granular)
    for i, g in enumerate(granular):
        gw = f"{where}.granular_markings[{i}]"
        if not isinstance(g, dict):
            raise _fail(gw, "must be an object", got=g)
        ref = g.get("marking_ref")
        if ref is not None and (not isinstance(ref, str) or not _ID.match(ref)):
            raise _fail(f"{gw}.marking_ref", "not a STIX identifier", got=ref)
        sel = g.get("selectors")
        if not isinstance(sel, list) or not sel or not all(isinstance(s, str) for s in sel):
            raise _fail(f"{gw}.selectors", "must be a non-empty list of strings", got=sel)
    if "created_by_ref" in obj:
        ref = obj["created_by_ref"]
        if not isinstance(ref, str) or not ref.startswith("identity--") or not _ID.match(ref):
            raise _fail(f"{where}.created_by_ref", "must reference an identity", got=ref)
    return kind, ident


def _check_marking(obj: Mapping[str, Any], where: str) -> None:
    """A marking-definition that claims a TLP level must use that level's official id."""
    claimed: str | None = None
    ext = obj.get("extensions")
    if isinstance(ext, dict) and isinstance(ext.get(TLP2_EXTENSION_ID), dict):
        claimed = str(ext[TLP2_EXTENSION_ID].get("tlp_2_0")).upper()
        if claimed not in TLP2_MARKING_IDS or TLP2_MARKING_IDS[claimed] != obj["id"]:
            raise _fail(f"{where}.id", f"a TLP 2.0 marking ({claimed!r}) under an id that is not the official one", got=obj["id"])
    elif obj.get("definition_type") == "tlp":
        definition = obj.get("definition")
        level = definition.get("tlp") if isinstance(definition, dict) else None
        official = {"WHITE": "CLEAR"}.get(str(level).upper(), str(level).upper())
        if _TLP_BY_REF.get(str(obj["id"])) != official or str(obj["id"]) not in TLP1_MARKING_IDS:
            raise _fail(f"{where}.id", f"a TLP 1.0 marking ({level!r}) under an id that is not the official one", got=obj["id"])


def _extension(obj: Mapping[str, Any], where: str) -> dict[str, Any]:
    exts = obj.get("extensions", {})
    if not isinstance(exts, dict):
        raise _fail(f"{where}.extensions", "must be an object", got=exts)
    ext = exts.get(ACCORD_EXTENSION_ID)
    if ext is None:
        return {}
    ew = f"{where}.extensions.{ACCORD_EXTENSION_ID}"
    if not isinstance(ext, dict):
        raise _fail(ew, "must be an object", got=ext)
    out: dict[str, Any] = {}
    for key, value in ext.items():
        if key == "extension_type":
            if value != "property-extension":
                raise _fail(f"{ew}.extension_type", "must be 'property-extension'", got=value)
            continue
        kind = _EXT_FIELDS.get(key)
        if kind is None:
            raise _fail(f"{ew}.{key}", "unknown property of the accord extension", expected=", ".join(sorted(_EXT_FIELDS)))
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise _fail(f"{ew}.{key}", "wrong type", expected=kind.__name__, got=value)
        if isinstance(value, list) and len(value) > MAX_LIST_ITEMS:
            raise _fail(f"{ew}.{key}", f"more than {MAX_LIST_ITEMS} items")
        out[key] = value
    return out


def _external_refs(obj: Mapping[str, Any], where: str) -> list[dict[str, str]]:
    value = obj.get("external_references", [])
    if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS:
        raise _fail(f"{where}.external_references", f"must be a list of at most {MAX_LIST_ITEMS} references", got=value)
    out = []
    for i, ref in enumerate(value):
        rw = f"{where}.external_references[{i}]"
        if not isinstance(ref, dict) or not isinstance(ref.get("source_name"), str):
            raise _fail(rw, "needs a string 'source_name'", got=ref)
        keep = {k: v for k, v in ref.items() if k in ("source_name", "description", "url", "external_id")}
        if not all(isinstance(v, str) and len(v) <= 2000 for v in keep.values()):
            raise _fail(rw, "source_name, description, url and external_id must be strings of at most 2,000 characters", got=ref)
        out.append(keep)
    return out


def parse_bundle(bundle: Any, *, max_objects: int = MAX_BUNDLE_OBJECTS) -> list[ImportedIncident]:
    """The incidents of a STIX 2.1 bundle, every object checked first.

    Objects other than incidents (identities, markings, notes, relationships, ...) are checked
    for the common properties and otherwise skipped; an identity named by an incident's
    ``created_by_ref`` gives its ``reporter_name``.
    """
    if not isinstance(bundle, dict):
        raise _fail("bundle", "a STIX bundle must be a JSON object", got=type(bundle).__name__)
    if bundle.get("type") != "bundle":
        raise _fail("type", "not a STIX bundle", expected="'bundle'", got=bundle.get("type"))
    bid = bundle.get("id")
    if not isinstance(bid, str) or not bid.startswith("bundle--") or not _ID.match(bid):
        raise _fail("id", "a bundle id must be 'bundle--' followed by a UUID", got=bid)
    objects = bundle.get("objects", [])
    if not isinstance(objects, list):
        raise _fail("objects", "must be a list", got=type(objects).__name__)
    if len(objects) > max_objects:
        raise _fail("objects", f"{len(objects):,} objects is over the limit of {max_objects:,}")
    identities: dict[str, str] = {}
    incidents: list[tuple[int, dict[str, Any]]] = []
    seen: set[tuple[str, str]] = set()
    for i, obj in enumerate(objects):
        where = f"objects[{i}]"
        kind, ident = check_object(obj, where)
        version = (ident, str(obj.get("modified", obj.get("created"))))
        if version in seen:
            raise _fail(f"{where}.id", "the same object version appears twice in the bundle", got=ident)
        seen.add(version)
        if kind == "marking-definition":
            _check_marking(obj, where)
        elif kind == "identity":
            name = _string(obj, "name", where, required=True, limit=1000)
            identities[ident] = str(name)
        elif kind == "incident":
            incidents.append((i, obj))
    out = []
    for i, obj in incidents:
        where = f"objects[{i}]"
        title = _string(obj, "name", where, required=True, limit=1000)
        description = _string(obj, "description", where) or ""
        levels = [tlp_of_refs(_refs(obj, "object_marking_refs", where))]
        levels.extend(tlp_of_refs([g["marking_ref"]]) for g in obj.get("granular_markings", []) if "marking_ref" in g)
        known = [lv for lv in levels if lv is not None]
        created = _timestamp(obj, "created", where, required=True)
        modified = _timestamp(obj, "modified", where, required=True)
        assert created is not None and modified is not None
        out.append(
            ImportedIncident(
                index=i,
                stix_id=str(obj["id"]),
                title=str(title).strip() or "(untitled)",
                description=description,
                tlp=max(known, key=TLP_LEVELS.index) if known else None,
                created=created,
                modified=modified,
                reporter_name=identities.get(str(obj.get("created_by_ref"))),
                properties=_extension(obj, where),
                references=_external_refs(obj, where),
            )
        )
    return out


def _links(imported: ImportedIncident) -> list[dict[str, Any]]:
    """The stored links: the extension's own, then the STIX object itself and its external references."""
    own = f"stix:{imported.stix_id}"
    links: list[dict[str, Any]] = [
        link for link in imported.properties.get("links", []) if not (isinstance(link, dict) and link.get("ref") == own)
    ]
    links.append({"kind": "external", "ref": own, "label": f"{STIX_SOURCE_LABEL}{stix_time(imported.modified)}"})
    for ref in imported.references:
        if ref.get("source_name") == "accord":
            continue  # the exporting service's own id: already carried as accord_id
        if ref.get("external_id"):
            links.append({"kind": "external", "ref": f"{ref['source_name']}:{ref['external_id']}"[:MAX_SHORT]})
        elif ref.get("url") and len(ref["url"]) <= MAX_SHORT:
            links.append({"kind": "url", "ref": ref["url"], "label": ref["source_name"][:MAX_SHORT]})
    unique = {json.dumps(link, sort_keys=True): link for link in links}
    return list(unique.values())[:MAX_LIST]


def imported_modified(report: IncidentReport, stix_object_id: str) -> datetime | None:
    """The STIX ``modified`` of ``stix_object_id`` that ``report`` was imported from, if it was."""
    found = None
    for link in report.links:
        if link.kind == "external" and link.ref == f"stix:{stix_object_id}" and (link.label or "").startswith(STIX_SOURCE_LABEL):
            stamp = (link.label or "")[len(STIX_SOURCE_LABEL) :]
            if _TIMESTAMP.match(stamp):
                when = parse_time(stamp)
                found = when if found is None or when > found else found
    return found


def to_report(imported: ImportedIncident, *, default_tlp: str, importer_org: str, importer_member: str | None = None) -> IncidentReport:
    """The incident model's report for an imported STIX incident.

    What the STIX object does not say is filled in openly: no TLP marking → ``default_tlp``;
    a restricted level with no recipients → the importing organisation (TLP:RED: its member,
    so a RED import without a named recipient needs a member token); no system →
    ``UNSTATED_SYSTEM``; no severity → ``DEFAULT_SEVERITY``; no awareness time → the STIX
    ``created`` time. The model then checks every value (hazard ids, jurisdictions, sizes);
    a failure is an ``InputError`` naming the object index and field.
    """
    props = imported.properties
    tlp = (imported.tlp or default_tlp).upper().removeprefix("TLP:")
    recipients = props.get("recipients")
    if not recipients and tlp in ("AMBER", "AMBER+STRICT", "RED"):
        recipients = [{"org": importer_org, **({"member": importer_member} if tlp == "RED" and importer_member else {})}]
    data: dict[str, Any] = {
        "title": imported.title,
        "description": imported.description or imported.title,
        "system": props.get("system") or {"name": UNSTATED_SYSTEM},
        "severity": props.get("severity") or DEFAULT_SEVERITY,
        "aware_at": props.get("aware_at") or stix_time(imported.created),
        "tlp": tlp,
        "recipients": recipients or [],
        "links": _links(imported),
    }
    for key in ("hazards", "harms", "harmed", "jurisdictions", "system_classes", "imminent_risk", "status", "occurred_at"):
        if key in props:
            data[key] = props[key]
    try:
        return IncidentReport.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        raise InputError(
            f"the incident cannot be stored: {first.get('msg', 'invalid')}",
            field=f"objects[{imported.index}].{loc}" if loc else f"objects[{imported.index}]",
        ) from None


# --- the OASIS JSON schemas --------------------------------------------------------------------

_SCHEMA_CACHE: dict[Path, Any] = {}


def _registry(schemas_dir: Path) -> Any:
    if schemas_dir in _SCHEMA_CACHE:
        return _SCHEMA_CACHE[schemas_dir]
    try:
        from referencing import Registry, Resource
    except ImportError:  # pragma: no cover - installed with jsonschema
        raise MissingDependencyError("checking STIX against the OASIS schemas", "dev", "jsonschema") from None
    resources = []
    for path in sorted(schemas_dir.rglob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        resources.append((doc["$id"], Resource.from_contents(doc)))
        resources.append((path.resolve().as_uri(), Resource.from_contents(doc)))
    registry = Registry().with_resources(resources)
    _SCHEMA_CACHE[schemas_dir] = registry
    return registry


def _schema_path(schemas_dir: Path, kind: str) -> Path | None:
    if kind in ("bundle", "marking-definition", "extension-definition", "language-content"):
        return schemas_dir / "common" / f"{kind}.json"
    for folder in ("sdos", "sros", "observables"):
        path = schemas_dir / folder / f"{kind}.json"
        if path.is_file():
            return path
    return None


def schema_errors(obj: Mapping[str, Any], schemas_dir: str | Path) -> list[str]:
    """Problems of one STIX object or bundle under the OASIS STIX 2.1 JSON schemas in ``schemas_dir``.

    A bundle is checked as a whole and each of its objects against its own type's schema
    (the bundle schema alone accepts any object shaped like a core object). An unknown
    type is reported, not skipped. Empty list: valid.
    """
    try:
        from jsonschema import Draft202012Validator
    except ImportError:
        raise MissingDependencyError("checking STIX against the OASIS schemas", "dev", "jsonschema") from None
    root = Path(schemas_dir)
    registry = _registry(root)
    problems: list[str] = []
    targets: list[tuple[str, Mapping[str, Any]]] = [("", obj)]
    if obj.get("type") == "bundle":
        # The bundle's own properties against bundle.json without its 'objects' clause: that
        # clause's anyOf/oneOf rejects valid objects of types it does not list (incident, note,
        # grouping, extension-definition match both core and cyber-observable-core), so each
        # object is checked against its own type's schema instead.
        envelope = dict(registry.contents((root / "common" / "bundle.json").resolve().as_uri()))
        envelope["properties"] = {k: v for k, v in envelope["properties"].items() if k != "objects"}
        for err in Draft202012Validator(envelope, registry=registry).iter_errors(obj):
            problems.append(f"bundle.{'.'.join(str(p) for p in err.absolute_path)}: {err.message[:300]}")
        objects = obj.get("objects")
        if not isinstance(objects, list) or not objects:
            problems.append("bundle.objects: must be a non-empty list")
            objects = []
        targets = [(f"objects[{i}]", o) for i, o in enumerate(objects) if isinstance(o, Mapping)]
        problems += [f"objects[{i}]: not an object" for i, o in enumerate(objects) if not isinstance(o, Mapping)]
    for where, target in targets:
        kind = str(target.get("type"))
        path = _schema_path(root, kind)
        if path is None:
            problems.append(f"{where or kind}: no OASIS schema for type {kind!r}")
            continue
        schema = registry.contents(path.resolve().as_uri())
        validator = Draft202012Validator(schema, registry=registry)
        for err in sorted(validator.iter_errors(target), key=lambda e: list(e.absolute_path)):
            loc = ".".join(str(p) for p in err.absolute_path)
            prefix = ".".join(p for p in (where, loc) if p) or kind
            problems.append(f"{prefix}: {err.message[:300]}")
    return problems
