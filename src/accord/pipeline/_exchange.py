"""Incident exchange jobs (issue 20): STIX 2.1 export and import, TAXII 2.1 collections, AVID
export, AIID import.

Every incident these jobs hand out comes from the incident jobs' read paths
(``readable_incidents`` / ``get_incident`` / ``incident_versions``) with the caller's
``Principal``, so TLP 2.0 is enforced here exactly as on the HTTP API: a STIX bundle, a TAXII
page or an AVID report never holds an incident version its caller may not read. Writes go
through ``report_incident`` (scope ``incidents:write``, the caller's organisation is the
reporter, every write audited, a salted commitment in the log).

TAXII 2.1 (the OASIS spec; status codes as the medallion reference server uses them,
``datasets/incidents/taxii21_medallion``): one API root with one collection, ``incidents``.
Its objects are the definition objects every consumer needs (accord's identity, the TLP 2.0
and accord extension-definitions, the five TLP 2.0 marking-definitions; added at their fixed
``created`` times) followed by the incidents the caller may read, ordered by when their
version was added. ``next`` is an opaque cursor over that order. Status resources of POSTs
are kept in process memory (bounded, readable only by the posting organisation): adds are
processed synchronously, so a status is complete when returned and nothing is lost if it is
forgotten on restart.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accord.errors import InputError
from accord.pipeline._access import AccessDenied, NotFound, Principal

if TYPE_CHECKING:
    from accord.incidents import Incident, IncidentVersion

__all__ = [
    "TAXII_API_ROOT",
    "TAXII_COLLECTION_ID",
    "TAXII_MEDIA_TYPE",
    "STIX_MEDIA_TYPE",
    "AiidImport",
    "StixImport",
    "TaxiiPage",
    "export_avid",
    "export_stix",
    "import_aiid",
    "import_stix",
    "taxii_add",
    "taxii_api_root",
    "taxii_collection",
    "taxii_collections",
    "taxii_discovery",
    "taxii_manifest",
    "taxii_object",
    "taxii_objects",
    "taxii_status",
    "taxii_versions",
]

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
TAXII_API_ROOT = "/taxii2/api/"
#: The one collection's id (fixed, so clients can be configured with it).
TAXII_COLLECTION_ID = "5f4a8d2e-3c1b-4e7a-9f06-1d2c3b4a5e6f"
#: The most objects one TAXII page or STIX export returns (and the default page size).
MAX_PAGE = 500
DEFAULT_PAGE = 100
#: How many ids one ``match[id]`` may name.
MAX_MATCH_IDS = 100
MAX_STATUSES = 1000
#: What an import assumes for a STIX incident with no TLP marking: the most restrictive level
#: that still needs no named individual (TLP 2.0 says unmarked information is not to be shared
#: freely; the importer may choose a wider default).
DEFAULT_IMPORT_TLP = "AMBER+STRICT"
_INCIDENT_ID = re.compile(r"^incident--([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$")


def _incidents_api() -> Any:
    import accord.incidents

    return accord.incidents


def _jobs() -> Any:
    from accord.pipeline import _incident_jobs

    return _incident_jobs


# --- STIX export / import ---------------------------------------------------------------------


def export_stix(
    store: Any,
    who: Principal,
    *,
    incident_ids: list[str] | None = None,
    all_versions: bool = False,
    tlp: str | None = None,
    hazard: str | None = None,
    status: str | None = None,
    q: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> dict[str, Any]:
    """A STIX 2.1 bundle of the incidents ``who`` may read: the ones named (an unreadable or
    unknown id is ``NotFound``, as on the API), else up to ``limit`` matching the filters.
    ``all_versions``: every readable version of each (each judged by its own marking)."""
    api = _incidents_api()
    jobs = _jobs()
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InputError("limit out of range", field="limit", expected=f"1..{MAX_PAGE}", got=limit)
    if incident_ids is not None:
        if len(incident_ids) > MAX_PAGE:
            raise InputError(f"more than {MAX_PAGE} incident ids", field="incident_ids")
        incidents = [jobs.get_incident(store, who, i) for i in incident_ids]
    else:
        incidents = jobs.readable_incidents(store, who, tlp=tlp, hazard=hazard, status=status, q=q, limit=limit).items
    records: list[Any] = []
    for inc in incidents:
        if all_versions:
            records.extend(_versions_of(store, who, inc))
        else:
            records.append(inc)
    return dict(api.bundle_of(_objects_with_created(api, records, incidents)))


def _versions_of(store: Any, who: Principal, incident: Incident) -> list[IncidentVersion]:
    versions: list[IncidentVersion] = _jobs().incident_versions(store, who, incident.id, limit=1000)
    return versions


def _objects_with_created(api: Any, records: list[Any], incidents: list[Any]) -> list[dict[str, Any]]:
    """Bundle objects where every version of an incident carries the incident's first ``created``."""
    first = {i.id: i.created_at for i in incidents}
    objects = api.definition_objects()
    orgs = sorted({r.reporter_org for r in records})
    objects.extend(_org_identity(api, o) for o in orgs)
    for r in records:
        key = r.id if hasattr(r, "id") else r.incident_id
        objects.append(api.incident_object(r, first_created=first.get(key)))
    return list(objects)


def _org_identity(api: Any, org: str) -> dict[str, Any]:
    identity: dict[str, Any] = api.org_identity(org)
    return identity


@dataclass
class StixImport:
    """What ``import_stix`` did: incidents stored (accord id ← STIX id), skipped and refused."""

    added: list[dict[str, Any]] = field(default_factory=list)  # {"stix_id", "incident_id", "version"}
    skipped: list[dict[str, Any]] = field(default_factory=list)  # {"stix_id"|"id", "reason"}
    failed: list[dict[str, Any]] = field(default_factory=list)  # {"stix_id", "reason"}


def import_stix(
    store: Any,
    who: Principal,
    bundle: Any,
    *,
    log_dir: Path,
    log_key: str | None = None,
    default_tlp: str = DEFAULT_IMPORT_TLP,
    now: datetime | None = None,
) -> StixImport:
    """Store the incidents of a STIX 2.1 bundle as ``who``'s organisation's reports.

    All-or-nothing on bad input: the whole bundle is checked (``parse_bundle``) and every
    incident converted (``to_report``) before anything is stored, so malformed STIX is an
    ``InputError`` naming the object index and field and stores nothing. Each incident gets an
    accord id derived from (importing organisation, STIX id): importing the same object version
    again skips it, a newer ``modified`` of it becomes a new version of the incident, and two
    organisations' imports never collide. Objects other
    than incidents are not stored (this service holds incidents); the definitions accord
    itself publishes are accepted as known.
    """
    api = _incidents_api()
    jobs = _jobs()
    from accord.pipeline._orgs import require

    require(who, scope="incidents:write", roles=("provider", "auditor", "regulator"), store=store, action="incidents.import", target="stix")
    if who.org is None:
        raise AccessDenied("an incident is reported by an organisation", fix="use a token of the reporting organisation")
    if not isinstance(bundle, dict):
        bundle = api.load_bundle(bundle)
    imported = api.parse_bundle(bundle)
    plans = [(imp, api.to_report(imp, default_tlp=default_tlp, importer_org=who.org, importer_member=who.member)) for imp in imported]
    result = StixImport()
    known = {o["id"] for o in api.definition_objects()}
    for i, obj in enumerate(bundle.get("objects", [])):
        if obj.get("type") != "incident":
            reason = "known definition" if obj["id"] in known else f"not stored: the collection holds incidents, not {obj['type']} objects"
            result.skipped.append({"id": obj["id"], "index": i, "reason": reason})
    for imp, report in plans:
        incident_id = api.stix_id("incident", "import", who.org, imp.stix_id).removeprefix("incident--")
        try:
            held = jobs.get_incident(store, who, incident_id)
        except NotFound:
            held = None
        if held is None:
            version = jobs.report_incident(store, who, report, log_dir=log_dir, log_key=log_key, incident_id=incident_id, now=now)
        else:
            before = api.imported_modified(held.report, imp.stix_id)
            if before is not None and imp.modified <= before:
                result.skipped.append({"stix_id": imp.stix_id, "incident_id": incident_id, "reason": "already imported"})
                continue
            # a newer version of the same STIX object: a new version of the incident
            version = jobs.add_incident_version(store, who, incident_id, report, log_dir=log_dir, log_key=log_key, now=now)
        result.added.append({"stix_id": imp.stix_id, "incident_id": version.incident_id, "version": version.version})
    return result


# --- AVID / AIID -------------------------------------------------------------------------------


def export_avid(store: Any, who: Principal, incident_id: str) -> dict[str, Any]:
    """An incident as an AVID report, if ``who`` may read it and it may be published.

    AVID is a public database, so only what may go public leaves as an AVID report: a
    TLP:CLEAR incident, or any incident of the caller's own organisation (the source may
    decide to publish its own report). Anything else the caller can read is ``AccessDenied``:
    reading an AMBER incident does not allow publishing it.
    """
    api = _incidents_api()
    incident = _jobs().get_incident(store, who, incident_id)
    if incident.tlp != "CLEAR" and incident.reporter_org != who.org:
        from accord.pipeline._orgs import audit

        audit(store, who, "incidents.export_avid", f"incident:{incident.id}", False, f"TLP:{incident.tlp} may not be published")
        raise AccessDenied(
            f"a TLP:{incident.tlp} incident may not be published as an AVID report",
            why="AVID is a public database; only TLP:CLEAR incidents, or the reporter's own, may go there",
            fix="ask the reporting organisation to publish it, or to re-mark it TLP:CLEAR",
        )
    report: dict[str, Any] = api.avid_report(incident)
    return report


@dataclass
class AiidImport:
    """What ``import_aiid`` did (incident numbers are AIID's)."""

    added: int = 0
    skipped: int = 0  # already held (same derived id)
    merged_duplicates: int = 0  # duplicate AIID numbers folded into their true incident
    incident_ids: list[str] = field(default_factory=list)


def import_aiid(
    store: Any,
    who: Principal,
    directory: str | Path,
    *,
    log_dir: Path,
    log_key: str | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> AiidImport:
    """Import the AI Incident Database snapshot in ``directory`` (read in place, CC BY-SA 4.0)
    as TLP:CLEAR incidents reported by ``who``'s organisation, deduplicated (``read_aiid``)
    and idempotent (each AIID number has one derived accord id; held ones are skipped)."""
    api = _incidents_api()
    jobs = _jobs()
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise InputError("limit must be a non-negative number", field="limit", got=limit)
    incidents = api.read_aiid(directory, limit=limit)
    summary = AiidImport()
    todo: list[tuple[str, Any]] = []
    for record in incidents:
        summary.merged_duplicates += len(record.merged_from)
        incident_id = api.aiid_incident_id(record.incident_id)
        try:
            jobs.get_incident(store, who, incident_id)
        except NotFound:
            pass
        else:
            summary.skipped += 1
            continue
        todo.append((incident_id, api.aiid_report(record)))
    # one log batch and one transaction per chunk (a checkpoint per incident made the demo wait)
    for start in range(0, len(todo), jobs.MAX_BATCH):
        chunk = todo[start : start + jobs.MAX_BATCH]
        jobs.report_incidents(store, who, [r for _, r in chunk], log_dir=log_dir, log_key=log_key, incident_ids=[i for i, _ in chunk], now=now)
        summary.added += len(chunk)
        summary.incident_ids.extend(i for i, _ in chunk)
    return summary


# --- TAXII 2.1 ------------------------------------------------------------------------------------


def taxii_discovery(title: str = "accord") -> dict[str, Any]:
    """The discovery resource (``GET /taxii2/``)."""
    return {
        "title": f"{title} TAXII 2.1 server",
        "description": "AI incidents shared under TLP 2.0 (docs/incidents.md)",
        "default": TAXII_API_ROOT,
        "api_roots": [TAXII_API_ROOT],
    }


def taxii_api_root(title: str = "accord") -> dict[str, Any]:
    """The API root resource (``GET /taxii2/api/``)."""
    return {
        "title": f"{title} incidents",
        "description": "STIX 2.1 incidents with TLP 2.0 markings; every read filtered by the caller's TLP access",
        "versions": [TAXII_MEDIA_TYPE],
        "max_content_length": 8 * 1024 * 1024,
    }


def _can_write(store: Any, who: Principal) -> bool:
    from accord.pipeline._orgs import has_scope

    return who.org is not None and who.role in ("provider", "auditor", "regulator", "admin") and has_scope(who, "incidents:write")


def taxii_collection(store: Any, who: Principal, collection_id: str) -> dict[str, Any]:
    """The collection resource as ``who`` sees it (``can_write`` depends on the caller's scopes)."""
    if collection_id != TAXII_COLLECTION_ID:
        raise NotFound("collection not found", why=f"no collection {collection_id[:80]!r} on this API root")
    return {
        "id": TAXII_COLLECTION_ID,
        "title": "incidents",
        "description": "AI incidents the caller may read under TLP 2.0 (and the marking and extension definitions they use)",
        "can_read": True,
        "can_write": _can_write(store, who),
        "media_types": [STIX_MEDIA_TYPE],
    }


def taxii_collections(store: Any, who: Principal) -> dict[str, Any]:
    return {"collections": [taxii_collection(store, who, TAXII_COLLECTION_ID)]}


@dataclass
class TaxiiPage:
    """One page of a TAXII objects/manifest/versions answer."""

    objects: list[dict[str, Any]]
    added: list[str]  # date_added of each object (same order)
    more: bool
    next: str | None

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {"more": self.more}
        if self.next is not None:
            body["next"] = self.next
        if self.objects:
            body["objects"] = self.objects
        return body

    def manifest(self) -> dict[str, Any]:
        body: dict[str, Any] = {"more": self.more}
        if self.next is not None:
            body["next"] = self.next
        if self.objects:
            body["objects"] = [
                {"id": o["id"], "date_added": a, "version": o.get("modified", o.get("created")), "media_type": STIX_MEDIA_TYPE}
                for o, a in zip(self.objects, self.added)
            ]
        return body

    def versions(self) -> dict[str, Any]:
        return {"more": False, "versions": sorted({o.get("modified", o["created"]) for o in self.objects})}

    def headers(self) -> dict[str, str]:
        if not self.added:
            return {}
        return {"X-TAXII-Date-Added-First": min(self.added), "X-TAXII-Date-Added-Last": max(self.added)}


#: ``d<n>``: the n-th definition object on; ``s<seq>``: incidents after the incident jobs' cursor
#: ``s<seq>`` (``s0``: from the first); ``s<seq>k<k>``: the same, skipping the first k objects of
#: the first incident, whose id starts with i<8 hex> (its versions did not fit one page; if a
#: new version moved it meanwhile, nothing is skipped: a repeat beats a gap).
_CURSOR = re.compile(r"^(d)([0-9]{1,3})$|^(s)([0-9]{1,18})(?:k([0-9]{1,4})i([0-9a-f]{8}))?$")


def _page_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_PAGE
    if not isinstance(limit, int) or limit <= 0:
        raise InputError("limit must be a positive integer", field="limit", got=limit)
    return min(limit, MAX_PAGE)


def _match_version(value: str | None) -> tuple[str, datetime | None]:
    if value is None or value == "last":
        return "last", None
    if value in ("first", "all"):
        return value, None
    try:
        return "at", _parse_timestamp(value)
    except ValueError:
        raise InputError("match[version] must be last, first, all or a STIX timestamp", field="match[version]", got=value) from None


_TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$")


def _parse_timestamp(value: str) -> datetime:
    """A STIX/TAXII timestamp (RFC 3339, UTC, ``Z``) as an aware datetime; ``ValueError`` otherwise."""
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        raise ValueError(value)
    head, _, frac = value[:-1].partition(".")
    return datetime.fromisoformat(head + (f".{frac[:6].ljust(6, '0')}" if frac else "")).replace(tzinfo=UTC)


def parse_added_after(value: str | None) -> datetime | None:
    """``added_after`` as an aware datetime (a STIX/RFC 3339 timestamp in UTC)."""
    if value is None:
        return None
    try:
        return _parse_timestamp(value)
    except ValueError:
        raise InputError("added_after must be a timestamp like 2026-01-15T09:30:00.000Z", field="added_after", got=value) from None


def _after_ms(after: datetime | None) -> datetime | None:
    """``added_after`` for the store's strict ``updated_at >`` filter, at the millisecond
    precision date_added is shown with: an object shown as added at ``…123Z`` was added at
    ``…123xxx``, so it is "after" ``…123Z`` only from ``…124`` on (else a client polling with
    the last ``X-TAXII-Date-Added-Last`` would get that object again)."""
    if after is None:
        return None
    try:
        return after.replace(microsecond=after.microsecond // 1000 * 1000) + timedelta(microseconds=999)
    except OverflowError:  # 9999-12-31T23:59:59.999Z: nothing can be later
        return after


def _definitions(api: Any) -> list[dict[str, Any]]:
    return sorted(api.definition_objects(), key=lambda o: (o["created"], o["id"]))


def _incident_objects(
    store: Any, who: Principal, incident: Incident, version: str, at: datetime | None
) -> list[tuple[dict[str, Any], str]]:
    """The STIX objects (with date_added) of one readable incident under ``match[version]``."""
    api = _incidents_api()
    if version == "last":
        obj = api.incident_object(incident)
        return [(obj, obj["modified"])]
    versions = _versions_of(store, who, incident)
    if version == "first":
        versions = versions[:1]
    elif version == "at":
        versions = [v for v in versions if at is not None and api.stix_time(v.created_at) == api.stix_time(at)]
    out = []
    for v in versions:
        obj = api.incident_object(v, first_created=incident.created_at)
        out.append((obj, obj["modified"]))
    return out


def taxii_objects(
    store: Any,
    who: Principal,
    collection_id: str,
    *,
    added_after: str | None = None,
    match_id: str | None = None,
    match_type: str | None = None,
    match_version: str | None = None,
    match_spec_version: str | None = None,
    limit: int | None = None,
    next_cursor: str | None = None,
) -> TaxiiPage:
    """One page of the collection's objects that ``who`` may read and that match the filters.

    Order: the definition objects (by date added), then incidents by when their latest version
    was added (the incident jobs' order). ``match[id]``/``match[type]`` take comma-separated
    lists; ``match[version]``: ``last`` (default), ``first``, ``all`` or a timestamp.
    """
    taxii_collection(store, who, collection_id)
    api = _incidents_api()
    jobs = _jobs()
    page = _page_limit(limit)
    after = parse_added_after(added_after)
    version, at = _match_version(match_version)
    types = {t.strip() for t in match_type.split(",") if t.strip()} if match_type else None
    ids = [i.strip() for i in match_id.split(",") if i.strip()] if match_id else None
    if ids is not None and len(ids) > MAX_MATCH_IDS:
        raise InputError(f"match[id] names more than {MAX_MATCH_IDS} ids", field="match[id]")
    specs = {s.strip() for s in match_spec_version.split(",")} if match_spec_version else {"2.1"}
    if "2.1" not in specs:
        return TaxiiPage([], [], False, None)

    cursor_kind, cursor_n, skip, skip_in = "d", 0, 0, None
    if next_cursor is not None:
        m = _CURSOR.match(next_cursor)
        if m is None:
            raise InputError("next is not a value this server returned", field="next", got=next_cursor)
        cursor_kind, cursor_n = (m.group(1), int(m.group(2))) if m.group(1) else (m.group(3), int(m.group(4)))
        skip, skip_in = int(m.group(5) or 0), m.group(6)

    objects: list[dict[str, Any]] = []
    added: list[str] = []

    # 1. the definition objects (fixed; public, TLP:CLEAR)
    if cursor_kind == "d":
        defs = [o for o in _definitions(api) if (types is None or o["type"] in types) and (ids is None or o["id"] in ids)]
        defs = [o for o in defs if after is None or _parse_timestamp(o["created"]) > after]
        if version == "at":  # each definition has one version
            defs = [o for o in defs if _parse_timestamp(o.get("modified", o["created"])) == at]
        rest = defs[cursor_n:]
        take = rest[:page]
        objects.extend(take)
        added.extend(o["created"] for o in take)
        if len(rest) > page:
            return TaxiiPage(objects, added, True, f"d{cursor_n + page}")
        cursor_kind, cursor_n = "s", -1

    # 2. incidents, through the TLP-filtering read paths only
    if types is not None and "incident" not in types:
        return TaxiiPage(objects, added, False, None)
    room = page - len(objects)
    if ids is not None:
        wanted = [m.group(1) for m in (_INCIDENT_ID.match(i) for i in ids) if m]
        if not wanted or cursor_n > 0:
            return TaxiiPage(objects, added, False, None)
        if room <= 0:
            return TaxiiPage(objects, added, True, "s0")
        for incident_id in wanted:
            try:
                incident = jobs.get_incident(store, who, incident_id)
            except NotFound:
                continue
            if after is not None and incident.updated_at <= _after_ms(after):  # type: ignore[operator]
                continue
            for obj, when in _incident_objects(store, who, incident, version, at):
                if len(objects) < page:
                    objects.append(obj)
                    added.append(when)
        return TaxiiPage(objects, added, False, None)
    if room <= 0:
        return TaxiiPage(objects, added, True, "s0")
    cursor = f"s{cursor_n}" if cursor_n > 0 else None
    updated_after = _after_ms(after)
    result = jobs.readable_incidents(store, who, updated_after=updated_after, limit=room, cursor=cursor)
    expanded = [_incident_objects(store, who, inc, version, at) for inc in result.items]
    if skip and expanded and skip_in is not None and result.items[0].id.startswith(skip_in):
        expanded[0] = expanded[0][skip:]
    else:
        skip = 0
    next_token = result.next_cursor
    if sum(len(e) for e in expanded) > room:
        # More versions than fit: take whole incidents while they fit and restart after the
        # last one taken; if the first alone does not fit, take part of it and resume inside it.
        fit, used = 0, 0
        for e in expanded:
            if used + len(e) > room:
                break
            used += len(e)
            fit += 1
        if fit == 0:
            expanded = [expanded[0][:room]]
            next_token = f"{cursor or 's0'}k{skip + room}i{result.items[0].id[:8]}"
        else:
            again = jobs.readable_incidents(store, who, updated_after=updated_after, limit=fit, cursor=cursor)
            expanded = expanded[:fit]
            next_token = again.next_cursor
    for e in expanded:
        for obj, when in e:
            objects.append(obj)
            added.append(when)
    return TaxiiPage(objects, added, next_token is not None, next_token)


def taxii_manifest(store: Any, who: Principal, collection_id: str, **filters: Any) -> TaxiiPage:
    """The manifest page: the same objects as ``taxii_objects``, as manifest entries."""
    return taxii_objects(store, who, collection_id, **filters)


def taxii_object(store: Any, who: Principal, collection_id: str, object_id: str, **filters: Any) -> TaxiiPage:
    """One object's versions (``match[version]``, default last) if ``who`` may read it, else ``NotFound``."""
    if "," in object_id:
        raise InputError("one object id", field="object_id", got=object_id)
    page = taxii_objects(store, who, collection_id, match_id=object_id, limit=MAX_PAGE, **filters)
    if not page.objects:
        raise NotFound("object not found", why=f"no object {object_id[:120]!r} that you may read in this collection")
    return page


def taxii_versions(store: Any, who: Principal, collection_id: str, object_id: str, *, added_after: str | None = None) -> TaxiiPage:
    """All versions of one object ``who`` may read (``TaxiiPage.versions()`` is the TAXII body)."""
    return taxii_object(store, who, collection_id, object_id, match_version="all", added_after=added_after)


# --- TAXII add / status --------------------------------------------------------------------------

_STATUSES: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()
_STATUS_LOCK = threading.Lock()


def _now_stamp() -> str:
    api = _incidents_api()
    stamp: str = api.stix_time(datetime.now(UTC))
    return stamp


def taxii_add(
    store: Any,
    who: Principal,
    collection_id: str,
    envelope: Any,
    *,
    log_dir: Path,
    log_key: str | None = None,
) -> dict[str, Any]:
    """Add the objects of a TAXII envelope (``{"objects": [...]}``); the status resource.

    Needs a token with ``incidents:write`` (else ``AccessDenied``, 403, as medallion answers a
    collection without ``can_write``). The objects are imported as one STIX bundle
    (``import_stix``): malformed input is an ``InputError`` and stores nothing.
    """
    collection = taxii_collection(store, who, collection_id)
    if not collection["can_write"]:
        from accord.pipeline._orgs import audit

        audit(store, who, "taxii.add", f"collection:{collection_id}", False, "no incidents:write scope")
        raise AccessDenied("forbidden to write to this collection", fix="use a token with the incidents:write scope")
    if not isinstance(envelope, dict) or not isinstance(envelope.get("objects"), list):
        raise InputError("a TAXII envelope is an object with an 'objects' list", field="objects")
    extra = sorted(set(envelope) - {"objects", "more", "next"})
    if extra:
        raise InputError(f"unknown envelope property {extra[0][:80]!r}", field=extra[0][:80])
    requested = _now_stamp()
    api = _incidents_api()
    bundle = {"type": "bundle", "id": api.stix_id("bundle", "taxii-add", requested, secrets.token_hex(8)), "objects": envelope["objects"]}
    result = import_stix(store, who, bundle, log_dir=log_dir, log_key=log_key)
    successes = [
        {"id": a["stix_id"], "version": _version_of(envelope, a["stix_id"]), "message": f"stored as incident {a['incident_id']}"}
        for a in result.added
    ]
    successes += [
        {"id": s["stix_id"], "version": _version_of(envelope, s["stix_id"]), "message": f"already held as incident {s['incident_id']}"}
        for s in result.skipped
        if "stix_id" in s
    ]
    successes += [{"id": s["id"], "message": s["reason"]} for s in result.skipped if "id" in s and s["reason"] == "known definition"]
    failures = [{"id": s["id"], "message": s["reason"]} for s in result.skipped if "id" in s and s["reason"] != "known definition"]
    status_id = _new_status_id()
    status: dict[str, Any] = {
        "id": status_id,
        "status": "complete",
        "request_timestamp": requested,
        "total_count": len(envelope["objects"]),
        "success_count": len(successes),
        "successes": successes,
        "failure_count": len(failures),
        "failures": failures,
        "pending_count": 0,
        "pendings": [],
    }
    with _STATUS_LOCK:
        _STATUSES[status_id] = (str(who.org), status)
        while len(_STATUSES) > MAX_STATUSES:
            _STATUSES.popitem(last=False)
    return status


def _version_of(envelope: dict[str, Any], stix_id: str) -> str | None:
    for obj in envelope["objects"]:
        if isinstance(obj, dict) and obj.get("id") == stix_id:
            value = obj.get("modified", obj.get("created"))
            return str(value) if value is not None else None
    return None


def _new_status_id() -> str:
    import uuid

    return str(uuid.uuid4())


def taxii_status(who: Principal, status_id: str) -> dict[str, Any]:
    """A status resource, for the organisation that made the request only (else ``NotFound``)."""
    with _STATUS_LOCK:
        held = _STATUSES.get(status_id)
    if held is None or who.org is None or held[0] != who.org:
        raise NotFound("status not found", why="no such status for your organisation (statuses are kept in memory for a while)")
    return held[1]
