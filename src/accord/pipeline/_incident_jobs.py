"""Incident jobs (issue 20): report, add a version, and every read path, with TLP enforced.

The read functions here are the *only* way the service reads incidents: the HTTP API, the
STIX/TAXII exchange and the dashboard all call ``readable_incidents`` / ``get_incident`` /
``incident_versions`` with the caller's ``Principal``. Each row the store returns is checked
again with the pure ``accord.incidents.can_read`` (the store's SQL filter is only a pre-filter
so pages come out full), and an incident the caller may not read is ``NotFound``, never 403,
so a denial does not confirm that a TLP:RED incident exists.

Writing a version: the report is validated, the server signs a statement naming only the
salted commitment to the version, appends that envelope to the server's transparency log
(``log_append``: a checkpoint is signed at once), then stores the version in one
transaction that re-checks it is still the next version (two writers racing: one gets a
clear conflict error; the orphan commitment in the log reveals nothing). Audited: every
write (allowed or denied), every denied read, every allowed read of a restricted
(AMBER, AMBER+STRICT, RED) incident. CLEAR and GREEN reads are not audited: they are open
to everyone or to the whole community, and an audit row per read would make reads writes.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accord.errors import InputError
from accord.pipeline._access import AccessDenied, NotFound, Principal

if TYPE_CHECKING:
    from accord.incidents import Deadline, Incident, IncidentReport, IncidentVersion

__all__ = [
    "Deadline",
    "Incident",
    "IncidentPage",
    "IncidentReport",
    "IncidentVersion",
    "add_incident_version",
    "get_incident",
    "incident_deadlines",
    "incident_versions",
    "readable_incidents",
    "report_incident",
    "report_incidents",
    "retract_incident",
    "visible",
]

RESTRICTED = frozenset({"AMBER", "AMBER+STRICT", "RED"})
MAX_LIMIT = 500
MAX_QUERY_CHARS = 200
#: How far ``aware_at`` may lie in the future (clock skew between reporter and server).
FUTURE_SKEW = timedelta(days=1)
_ID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CURSOR_RE = re.compile(r"s([0-9]{1,18})")


#: The incident models, re-exported for the server (which may import only the pipeline), loaded on first use.
_MODELS = frozenset({"Deadline", "Incident", "IncidentReport", "IncidentVersion"})


def __getattr__(name: str) -> Any:
    if name in _MODELS:
        import accord.incidents

        return getattr(accord.incidents, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class IncidentPage:
    """One page of readable incidents; ``next_cursor`` fetches the next (None: this was the last)."""

    items: list[Incident] = field(default_factory=list)
    next_cursor: str | None = None


def _store(store: Any) -> Any:
    from accord.store import Incidents

    return Incidents(store)


def _stamp(when: datetime) -> str:
    """Fixed-width UTC text, so the store compares times as strings correctly."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check_id(incident_id: Any) -> str:
    if not isinstance(incident_id, str) or not _ID_RE.fullmatch(incident_id):
        raise NotFound("no such incident", why="incident ids are lower-case UUIDs")
    return incident_id


def _audit(store: Any, who: Principal, action: str, target: str, allowed: bool, reason: str, conn: Any = None) -> None:
    from accord.pipeline._orgs import audit

    audit(store, who, action, target, allowed, reason, conn=conn)


def _incident(row: dict[str, Any]) -> Incident:
    from accord.incidents import Incident, IncidentReport

    return Incident(
        id=row["id"],
        reporter_org=row["reporter_org"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        report=IncidentReport.model_validate_json(row["report_json"]),
        commitment=row["commitment"],
        log_index=row["log_index"],
        retracted=bool(row.get("retracted")),
        source=row.get("source"),
        distribution=_level(row.get("distribution")),
    )


def _level(value: Any) -> int:
    """A stored level; NULL (versions stored before federation) is MISP's default, 1."""
    return 1 if value is None else int(value)


def visible(record: Incident | IncidentVersion, who: Principal, *, sg_all: bool = False) -> bool:
    """Whether ``who`` may read ``record`` on this server: TLP (``can_read``) *and* the MISP
    distribution level (``accord.federation.level_admits``). ``sg_all``: the record's sharing
    group admits every organisation of this server. The one check every read path makes."""
    from accord.federation import level_admits
    from accord.incidents import can_read

    if not can_read(record, who):
        return False
    reader_org = who.org if who.community else None
    group = record.report.sharing_group
    if level_admits(record.distribution, reporter_org=record.reporter_org, reader_org=reader_org, sharing_group=group, server=None):
        return True
    return record.distribution == 4 and reader_org is not None and sg_all


def _version(row: dict[str, Any]) -> IncidentVersion:
    import json

    from accord.incidents import IncidentReport, IncidentVersion

    return IncidentVersion(
        incident_id=row["incident_id"],
        version=row["version"],
        reporter_org=row["reporter_org"],
        submitted_by=row["submitted_by"],
        created_at=row["created_at"],
        report=IncidentReport.model_validate_json(row["report_json"]),
        commitment=row["commitment"],
        salt=row["salt"],
        log_index=row["log_index"],
        envelope=json.loads(row["envelope_json"]),
        retracted=bool(row.get("retracted")),
        source=row.get("source"),
        distribution=_level(row.get("distribution")),
    )


# -- reading --------------------------------------------------------------------------------


def _choice(value: str | None, allowed: tuple[str, ...], name: str) -> str | None:
    if value is not None and value not in allowed:
        raise InputError(f"unknown {name}", field=name, expected=" | ".join(allowed), got=value)
    return value


def readable_incidents(
    store: Any,
    who: Principal,
    *,
    tlp: str | None = None,
    hazard: str | None = None,
    status: str | None = None,
    q: str | None = None,
    reporter: str | None = None,
    updated_after: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> IncidentPage:
    """The incidents ``who`` may read that match every given filter, a page at a time, ordered
    by last update (oldest first). ``q``: a case-insensitive substring of the title,
    description or system name. ``cursor``: ``next_cursor`` of the previous page."""
    from accord.incidents import STATUSES, TLP_LEVELS
    from accord.taxonomy import is_hazard

    _choice(tlp, TLP_LEVELS, "tlp")
    _choice(status, STATUSES, "status")
    if hazard is not None and not is_hazard(hazard):
        raise InputError("unknown hazard id", field="hazard", expected="an id from accord/taxonomy.yaml", got=hazard)
    if q is not None and len(q) > MAX_QUERY_CHARS:
        raise InputError(f"search text over {MAX_QUERY_CHARS} characters", field="q")
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InputError("limit out of range", field="limit", expected=f"1..{MAX_LIMIT}", got=limit)
    after_seq = None
    if cursor is not None:
        m = _CURSOR_RE.fullmatch(cursor)
        if m is None:
            raise InputError("not a cursor this server issued", field="cursor", got=cursor)
        after_seq = int(m.group(1))
    if updated_after is not None and (updated_after.tzinfo is None or not 1900 <= updated_after.year <= 2999):
        raise InputError(
            "updated_after needs a time zone and a year 1900-2999", field="updated_after", expected="e.g. 2026-01-01T00:00:00Z"
        )
    inc = _store(store)
    rows = inc.page(
        readable=inc.readable_filter(who.org, who.member, who.community),
        tlp=tlp,
        hazard=hazard,
        status=status,
        q=q or None,
        reporter=reporter,
        updated_after=_stamp(updated_after) if updated_after is not None else None,
        after_seq=after_seq,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [i for r in rows for i in [_incident(r)] if visible(i, who, sg_all=bool(r.get("sg_all")))]
    restricted = [i.id for i in items if i.tlp in RESTRICTED]
    if restricted:
        _audit(
            store,
            who,
            "incidents.list",
            "incidents:" + ",".join(restricted),
            True,
            f"{len(restricted)} restricted incident(s) returned by TLP",
        )
    return IncidentPage(items=items, next_cursor=f"s{rows[-1]['update_seq']}" if more and rows else None)


def get_incident(store: Any, who: Principal, incident_id: str) -> Incident:
    """One incident's latest version, if ``who`` may read it; else ``NotFound`` (never 403)."""
    incident_id = _check_id(incident_id)
    row = _store(store).get(incident_id)
    if row is None:
        raise NotFound("no such incident", why=f"no incident {incident_id} that you may read")
    incident = _incident(row)
    target = f"incident:{incident_id}"
    if not visible(incident, who, sg_all=bool(row.get("sg_all"))):
        _audit(store, who, "incidents.read", target, False, f"TLP:{incident.tlp}, distribution {incident.distribution}: not the caller")
        raise NotFound("no such incident", why=f"no incident {incident_id} that you may read")
    if incident.tlp in RESTRICTED:
        _audit(store, who, "incidents.read", target, True, f"TLP:{incident.tlp} admits the caller")
    return incident


def incident_versions(store: Any, who: Principal, incident_id: str, *, limit: int = 100) -> list[IncidentVersion]:
    """The versions of one incident ``who`` may read (each judged by its own marking), oldest
    first; ``NotFound`` if there is none. Versions a retraction hid are never returned."""
    incident_id = _check_id(incident_id)
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise InputError("limit out of range", field="limit", expected="1..1000", got=limit)
    head = _store(store).head(incident_id)
    sg_all = bool(head and head.get("sg_all"))
    versions = [_version(r) for r in _store(store).versions(incident_id, limit=limit) if not r.get("hidden")]
    readable = [v for v in versions if visible(v, who, sg_all=sg_all)]
    target = f"incident:{incident_id}"
    if not readable:
        if versions:
            _audit(store, who, "incidents.history", target, False, "no version's TLP marking admits the caller")
        raise NotFound("no such incident", why=f"no incident {incident_id} that you may read")
    if any(v.tlp in RESTRICTED for v in readable):
        _audit(store, who, "incidents.history", target, True, f"{len(readable)} of {len(versions)} version(s) readable by TLP")
    return readable


def incident_deadlines(incident: Any, now: datetime | None = None) -> list[Deadline]:
    """The reporting deadlines that apply to an incident (``accord.incidents.deadlines``)."""
    from accord.incidents import deadlines

    return deadlines(incident, now)


# -- writing --------------------------------------------------------------------------------


def _parse_report(report: Any) -> IncidentReport:
    from pydantic import ValidationError

    from accord.incidents import IncidentReport

    if isinstance(report, IncidentReport):
        return report
    try:
        return IncidentReport.model_validate(report)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or None
        raise InputError(
            str(first.get("msg", "invalid incident report")), field=where, fix="see docs/incidents.md for the schema"
        ) from None


def _check_report(store: Any, report: IncidentReport, now: datetime) -> None:
    from accord.pipeline._orgs import org_exists

    if report.aware_at > now + FUTURE_SKEW:
        raise InputError("aware_at is in the future", field="aware_at", got=report.aware_at.isoformat())
    federated: frozenset[str] | None = None
    for i, r in enumerate(report.recipients):
        for org in (r.org, *r.clients):
            if org_exists(store, org):
                continue
            if federated is None:
                federated = _peer_orgs(store)
            if org not in federated:
                raise InputError(
                    f"unknown organisation {org!r}",
                    field=f"recipients.{i}",
                    fix="recipients must be organisations of this service (GET /v1/orgs) or of a peer server (accord peer list)",
                )


def _peer_orgs(store: Any) -> frozenset[str]:
    """The organisations this server's peers speak for (recipients may be there: issue 21)."""
    from accord.store import Federation

    return frozenset(o for row in Federation(store).peers() for o in str(row["orgs"] or "").split(",") if o)


def _writer(store: Any, who: Principal, action: str, target: str) -> str:
    from accord.pipeline._orgs import require

    require(who, scope="incidents:write", roles=("provider", "auditor", "regulator"), store=store, action=action, target=target)
    if who.org is None:
        _audit(store, who, action, target, False, "no organisation")
        raise AccessDenied("an incident is reported by an organisation", fix="use a token of the reporting organisation")
    return who.org


def report_incident(
    store: Any,
    who: Principal,
    report: IncidentReport | dict[str, Any],
    *,
    log_dir: Path,
    log_key: str | None = None,
    incident_id: str | None = None,
    now: datetime | None = None,
) -> IncidentVersion:
    """Report a new incident as ``who``'s organisation: version 1, signed, committed to the log."""
    org = _writer(store, who, "incidents.report", "incident:new")
    parsed = _parse_report(report)
    now = now or datetime.now(UTC)
    _check_report(store, parsed, now)
    if incident_id is None:
        incident_id = str(uuid.uuid4())
    elif not isinstance(incident_id, str) or not _ID_RE.fullmatch(incident_id):
        raise InputError("an incident id is a lower-case UUID", field="id", got=incident_id)
    elif _store(store).head(incident_id) is not None:
        raise InputError("an incident with this id exists", field="id", got=incident_id, fix="add a version to it instead")
    return _append(store, who, org, incident_id, 1, now, parsed, log_dir=log_dir, log_key=log_key)


def add_incident_version(
    store: Any,
    who: Principal,
    incident_id: str,
    report: IncidentReport | dict[str, Any],
    *,
    log_dir: Path,
    log_key: str | None = None,
    now: datetime | None = None,
) -> IncidentVersion:
    """Append a version to an incident; only its reporter organisation may (the source owns the record)."""
    target = f"incident:{_check_id(incident_id)}"
    org = _writer(store, who, "incidents.version", target)
    row = _store(store).get(incident_id)
    if row is None or not visible(_incident(row), who, sg_all=bool(row.get("sg_all"))):
        if row is not None:
            _audit(store, who, "incidents.version", target, False, "TLP does not admit the caller")
        raise NotFound("no such incident", why=f"no incident {incident_id} that you may read")
    if row["reporter_org"] != org:
        _audit(store, who, "incidents.version", target, False, "only the reporter organisation adds versions")
        raise AccessDenied("only the reporting organisation may add a version", fix="report your own incident and link to this one")
    if row.get("source"):
        raise InputError(
            f"incident {incident_id} was received from the peer {row['source']}: it is kept up to date there",
            fix="add the version on the server it was reported on; it reaches this one at the next sync",
        )
    if row.get("retracted"):
        raise InputError(f"incident {incident_id} was retracted", fix="report a new incident instead")
    parsed = _parse_report(report)
    now = now or datetime.now(UTC)
    _check_report(store, parsed, now)
    return _append(store, who, org, incident_id, int(row["version"]) + 1, now, parsed, log_dir=log_dir, log_key=log_key)


def _append(
    store: Any,
    who: Principal,
    org: str,
    incident_id: str,
    number: int,
    now: datetime,
    report: IncidentReport,
    *,
    log_dir: Path,
    log_key: str | None,
    retracted: bool = False,
) -> IncidentVersion:
    from accord.incidents import IncidentVersion, canonical_document, commit_document, new_incident_salt, reader_keys, sign_commitment
    from accord.pipeline._service_log import _log_key, log_append

    now = now.astimezone(UTC)
    salt = new_incident_salt()
    commitment = commit_document(salt, canonical_document(incident_id, number, org, now, report))
    envelope = sign_commitment(commitment, _log_key(log_key), committed_at=now)
    logged = log_append(store, Path(log_dir), envelope.to_json(), log_key=log_key)
    version = IncidentVersion(
        incident_id=incident_id,
        version=number,
        reporter_org=org,
        submitted_by=who.describe(),
        created_at=now,
        report=report,
        commitment=commitment,
        salt=salt.hex(),
        log_index=int(logged["index"]),
        envelope=envelope.to_dict(),
        retracted=retracted,
        distribution=_level(report.distribution),
    )
    header, row = _rows(version, str(logged["origin"]))
    inc = _store(store)
    target = f"incident:{incident_id}"
    with inc.transaction() as conn:
        head = inc.head(incident_id, conn=conn)
        current = 0 if head is None else int(head["version"])
        if current != number - 1 or (head is not None and (head["reporter_org"] != org or head.get("retracted"))):
            raise InputError(
                f"incident {incident_id} changed while this version was written (now at version {current})",
                fix="read the incident again and resubmit",
            )
        if head is not None:
            header["created_at"] = head["created_at"]
        inc.put_version(conn, header=header, version=row, readers=reader_keys(report.tlp, report.recipients))
        if retracted:
            inc.hide_before(conn, incident_id, number)
        _audit(
            store,
            who,
            "incidents.report" if number == 1 else ("incidents.retract" if retracted else "incidents.version"),
            target,
            True,
            f"version {number}, TLP:{report.tlp}",
            conn=conn,
        )
    return version


def _rows(version: IncidentVersion, own_origin: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and version rows that store a version reported on this server (whose log
    origin is ``own_origin``); the header's ``created_at`` is this version's (the caller keeps
    the first version's for a later one)."""
    import json

    report = version.report
    stamp = _stamp(version.created_at)
    fed = federation_columns(report, _level(report.distribution), own_origin)
    header = {
        "id": version.incident_id,
        "reporter_org": version.reporter_org,
        "created_at": stamp,
        "updated_at": stamp,
        "version": version.version,
        "tlp": report.tlp,
        "status": report.status,
        "severity": report.severity,
        "hazards": "," + ",".join(report.hazards) + "," if report.hazards else "",
        "search": " ".join((report.title, report.description, report.system.name, report.system.version or "")).lower(),
        **fed,
        "source": None,
        "retracted": version.retracted,
    }
    row = {
        "incident_id": version.incident_id,
        "version": version.version,
        "created_at": stamp,
        "submitted_by": version.submitted_by,
        "report_json": report.model_dump_json(),
        "commitment": version.commitment,
        "salt": version.salt,
        "log_index": version.log_index,
        "envelope_json": json.dumps(version.envelope, sort_keys=True),
        "distribution": fed["distribution"],
        "source": None,
        "retracted": version.retracted,
        "hidden": False,
        "marking_json": marking_json(report, fed["distribution"]),
        "origin": own_origin,
        "origin_envelope_json": None,  # the same as envelope_json: it was reported here
    }
    return header, row


#: The most incidents one ``report_incidents`` call takes (one log batch, one transaction).
MAX_BATCH = 10_000


def report_incidents(
    store: Any,
    who: Principal,
    reports: list[IncidentReport | dict[str, Any]],
    *,
    log_dir: Path,
    log_key: str | None = None,
    incident_ids: list[str] | None = None,
    now: datetime | None = None,
) -> list[IncidentVersion]:
    """Report many new incidents as ``who``'s organisation at once: each checked as
    ``report_incident`` checks it, every commitment appended to the log in one batch under one
    checkpoint, all stored in one transaction (all or none) and audited as one batch. For
    imports and seeding a federation; a single report takes ``report_incident``.
    ``incident_ids``: one lower-case UUID per report (an importer's derived ids), else new ones."""
    from accord.incidents import IncidentVersion, canonical_document, commit_document, new_incident_salt, reader_keys, sign_commitment
    from accord.pipeline._service_log import _log_key, log_append_many

    if not reports:
        return []
    if len(reports) > MAX_BATCH:
        raise InputError(f"at most {MAX_BATCH} incidents per batch", field="reports", got=len(reports))
    org = _writer(store, who, "incidents.report", "incident:new")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    parsed = []
    for i, r in enumerate(reports):
        try:
            report = _parse_report(r)
            _check_report(store, report, now)
        except InputError as exc:
            raise InputError(f"report {i}: {exc.what}", field=exc.field, fix=exc.fix) from None
        parsed.append(report)
    if incident_ids is not None:
        if len(incident_ids) != len(parsed) or len(set(incident_ids)) != len(incident_ids):
            raise InputError("one distinct incident id per report", field="incident_ids", got=len(incident_ids))
        inc = _store(store)
        for i, iid in enumerate(incident_ids):
            if not isinstance(iid, str) or not _ID_RE.fullmatch(iid):
                raise InputError("an incident id is a lower-case UUID", field=f"incident_ids.{i}", got=iid)
            if inc.head(iid) is not None:
                raise InputError("an incident with this id exists", field=f"incident_ids.{i}", got=iid, fix="add a version to it instead")
    ids = incident_ids if incident_ids is not None else [str(uuid.uuid4()) for _ in parsed]
    key = _log_key(log_key)
    staged = []
    for incident_id, report in zip(ids, parsed, strict=True):
        salt = new_incident_salt()
        commitment = commit_document(salt, canonical_document(incident_id, 1, org, now, report))
        staged.append((incident_id, report, salt, commitment, sign_commitment(commitment, key, committed_at=now)))
    logged = log_append_many(store, Path(log_dir), [s[4].to_json() for s in staged], log_key=log_key)
    versions = [
        IncidentVersion(
            incident_id=incident_id,
            version=1,
            reporter_org=org,
            submitted_by=who.describe(),
            created_at=now,
            report=report,
            commitment=commitment,
            salt=salt.hex(),
            log_index=int(logged["first"]) + n,
            envelope=envelope.to_dict(),
            distribution=_level(report.distribution),
        )
        for n, (incident_id, report, salt, commitment, envelope) in enumerate(staged)
    ]
    batch = []
    for v in versions:
        header, row = _rows(v, str(logged["origin"]))
        batch.append((header, [row], reader_keys(v.report.tlp, v.report.recipients), False))
    inc = _store(store)
    with inc.transaction() as conn:
        inc.put_many(conn, batch)
        _audit(
            store,
            who,
            "incidents.report",
            f"incidents:{versions[0].incident_id}..{versions[-1].incident_id}",
            True,
            f"{len(versions)} incidents reported in one batch",
            conn=conn,
        )
    return versions


def federation_columns(report: IncidentReport, level: int, own_origin: str) -> dict[str, Any]:
    """The header's federation columns for a version held here at ``level``: the level, the
    sharing group's organisations (",a,b,") and whether the group admits every organisation of
    this server (whose log origin is ``own_origin``)."""
    group = report.sharing_group
    return {
        "distribution": level,
        "sg_orgs": ("," + ",".join(group.orgs) + ",") if group is not None and group.orgs else None,
        "sg_all": bool(group is not None and any(s.server == own_origin and s.all_orgs for s in group.servers)),
    }


def marking_json(report: IncidentReport, level: int) -> str:
    """What routes a version (kept when a retraction wipes its content): TLP, recipients, level, group."""
    import json

    doc = {
        "tlp": report.tlp,
        "recipients": [r.model_dump(mode="json") for r in report.recipients],
        "distribution": level,
        "sharing_group": report.sharing_group.model_dump(mode="json") if report.sharing_group is not None else None,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


#: The retraction's own report says nothing of the incident beyond what routes it.
RETRACTED_TITLE = "Retracted by the reporting organisation"


def retract_incident(
    store: Any,
    who: Principal,
    incident_id: str,
    reason: str,
    *,
    log_dir: Path,
    log_key: str | None = None,
    now: datetime | None = None,
) -> IncidentVersion:
    """Retract an incident: a new signed version that carries no content (only ``reason`` and the
    marking that routes it), and every earlier version's content wiped here. The retraction
    travels to peers like any version and wipes the content wherever it arrives; the logs only
    ever held salted commitments, which stay (they reveal nothing)."""
    from accord.incidents import IncidentReport, SystemRef

    target = f"incident:{_check_id(incident_id)}"
    org = _writer(store, who, "incidents.retract", target)
    row = _store(store).get(incident_id)
    if row is None or not visible(_incident(row), who, sg_all=bool(row.get("sg_all"))):
        raise NotFound("no such incident", why=f"no incident {incident_id} that you may read")
    if row["reporter_org"] != org:
        _audit(store, who, "incidents.retract", target, False, "only the reporter organisation retracts")
        raise AccessDenied("only the reporting organisation may retract an incident")
    if row.get("source"):
        raise InputError(f"incident {incident_id} was received from {row['source']}", fix="retract it on the server it was reported on")
    if row.get("retracted"):
        raise InputError(f"incident {incident_id} is already retracted")
    reason = (reason or "").strip()
    if not reason:
        raise InputError("a retraction states its reason", field="reason")
    latest = _incident(row)
    previous = latest.report
    retraction = IncidentReport(
        title=RETRACTED_TITLE,
        description=reason,
        system=SystemRef(name="retracted"),
        severity=previous.severity,
        status="withdrawn",
        aware_at=previous.aware_at,
        tlp=previous.tlp,
        recipients=previous.recipients,
        distribution=previous.distribution,
        sharing_group=previous.sharing_group,
    )
    now = now or datetime.now(UTC)
    return _append(store, who, org, incident_id, latest.version + 1, now, retraction, log_dir=log_dir, log_key=log_key, retracted=True)
