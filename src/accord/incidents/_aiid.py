"""The AI Incident Database snapshot as accord incidents (the demo's real incidents).

Why: the service's demo should show real incidents, and the AIID (incidentdatabase.ai) is
the public record of them. Its snapshot CSVs are CC BY-SA 4.0: they are read in place from
the public data directory (``ACCORD_DATA_DIR``/incidents/aiid), never copied into this
repository, and every incident made from them links back to its AIID cite page with the
licence in the link's label (share-alike attribution).

Deduplication, so one real incident is one accord incident:

- ``duplicates.csv`` maps a duplicate incident number to its true one. The map is resolved
  transitively (the snapshot has 342 → 88 → 1057) with a cycle guard; a duplicate's row is
  merged into its true incident (report numbers united, the duplicate's number kept in
  ``merged_from``), or re-keyed to the true number if that row is absent;
- the same incident number twice in ``incidents.csv`` is merged the same way;
- each incident's accord id is derived from its AIID number (``aiid_incident_id``), so
  importing the snapshot again adds nothing (the pipeline skips ids it already holds).

Hazards come from the MIT AI Risk Repository classification AIID editors applied
(``classifications_MIT.csv``), through accord's own subdomain → hazard mapping below; a
subdomain with no clear accord hazard maps to none rather than a guess.
"""

from __future__ import annotations

import csv
import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from accord.errors import InputError
from accord.incidents._model import MAX_DESCRIPTION, MAX_LIST, MAX_SHORT, MAX_TITLE, IncidentReport

__all__ = ["AIID_LICENCE", "MIT_TO_HAZARDS", "AiidIncident", "aiid_incident_id", "aiid_report", "read_aiid", "resolve_duplicates"]

AIID_LICENCE = "CC BY-SA 4.0"
AIID_CITE = "https://incidentdatabase.ai/cite/"
#: Bounds on what is read (the snapshot is ~1 MB and 1,367 rows).
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_ROWS = 100_000
MAX_FIELD_CHARS = 1_000_000
_NAMESPACE = uuid.UUID("7d3b0c52-5a61-4f0e-9c1f-2b8a4e6d9f13")

#: MIT AI Risk Repository subdomain number → accord hazard ids (accord's mapping).
MIT_TO_HAZARDS: dict[str, tuple[str, ...]] = {
    "1.1": ("discrimination",),
    "1.3": ("discrimination",),
    "2.1": ("privacy",),
    "3.1": ("misinformation",),
    "3.2": ("misinformation",),
    "4.1": ("harmful-manipulation",),
    "4.2": ("cyber-offense",),
    "4.3": ("nonviolent-crimes",),
}


@dataclass(frozen=True)
class AiidIncident:
    """One (deduplicated) AIID incident."""

    incident_id: int
    date: str
    title: str
    description: str
    deployers: tuple[str, ...] = ()
    developers: tuple[str, ...] = ()
    harmed: tuple[str, ...] = ()
    reports: tuple[int, ...] = ()
    merged_from: tuple[int, ...] = ()
    mit_subdomains: tuple[str, ...] = field(default=())


def aiid_incident_id(number: int) -> str:
    """The accord incident id of AIID incident ``number``: a UUID4-shaped digest, stable across imports."""
    digest = hashlib.sha256(_NAMESPACE.bytes + f"aiid/{number}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _open_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    if not path.is_file():
        raise InputError("AIID snapshot file not found", file=path, fix="point --data-dir / ACCORD_DATA_DIR at the public datasets")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"file over {MAX_FILE_BYTES:,} bytes", file=path)
    previous = csv.field_size_limit()
    csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                if n > MAX_ROWS:
                    raise InputError(f"more than {MAX_ROWS:,} rows", file=path, line=n)
                yield n, row
    except csv.Error as exc:
        raise InputError(f"not a readable CSV file: {exc}", file=path) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=path) from None
    finally:
        csv.field_size_limit(previous)


def _int(value: str | None, path: Path, line: int, column: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InputError("not an incident number", file=path, line=line, field=column, got=value) from None
    if number < 0:
        raise InputError("incident numbers are positive", file=path, line=line, field=column, got=value)
    return number


def _json_list(value: str | None, path: Path, line: int, column: str) -> list[object]:
    if not value:
        return []
    try:
        data = json.loads(value)
    except json.JSONDecodeError:
        raise InputError("not a JSON list", file=path, line=line, field=column, got=value) from None
    if not isinstance(data, list):
        raise InputError("not a JSON list", file=path, line=line, field=column, got=value)
    return data


def resolve_duplicates(pairs: dict[int, int]) -> dict[int, int]:
    """Each duplicate number → its final true number, following chains (a → b → c gives a → c).

    A cycle has no true incident to point at: it is an ``InputError`` rather than a silent pick.
    """
    final: dict[int, int] = {}
    for start in pairs:
        seen = [start]
        current = pairs[start]
        while current in pairs:
            if current in seen:
                raise InputError(f"duplicates.csv has a cycle: {' → '.join(map(str, [*seen, current]))}", field="duplicate_incident_number")
            seen.append(current)
            current = pairs[current]
        final[start] = current
    return final


def _merge(into: AiidIncident, other: AiidIncident) -> AiidIncident:
    return replace(
        into,
        reports=tuple(sorted(set(into.reports) | set(other.reports))),
        merged_from=tuple(sorted({*into.merged_from, *other.merged_from})),
        deployers=tuple(dict.fromkeys(into.deployers + other.deployers)),
        developers=tuple(dict.fromkeys(into.developers + other.developers)),
        harmed=tuple(dict.fromkeys(into.harmed + other.harmed)),
        mit_subdomains=tuple(dict.fromkeys(into.mit_subdomains + other.mit_subdomains)),
    )


def read_aiid(directory: str | Path, *, limit: int | None = None) -> list[AiidIncident]:
    """The deduplicated incidents of an AIID snapshot directory, ordered by incident number.

    ``directory`` holds ``incidents.csv`` and optionally ``duplicates.csv`` and
    ``classifications_MIT.csv``. ``limit``: keep the first N after deduplication.
    """
    root = Path(directory)
    dup_path = root / "duplicates.csv"
    pairs: dict[int, int] = {}
    if dup_path.is_file():
        for line, row in _open_csv(dup_path):
            dup = _int(row.get("duplicate_incident_number"), dup_path, line, "duplicate_incident_number")
            true = _int(row.get("true_incident_number"), dup_path, line, "true_incident_number")
            if dup != true:
                pairs[dup] = true
    final = resolve_duplicates(pairs)

    mit: dict[int, list[str]] = {}
    mit_path = root / "classifications_MIT.csv"
    if mit_path.is_file():
        for line, row in _open_csv(mit_path):
            number = _int(row.get("Incident ID"), mit_path, line, "Incident ID")
            sub = (row.get("Risk Subdomain") or "").split(" ", 1)[0].rstrip(".")
            if sub:
                mit.setdefault(number, []).append(sub)

    inc_path = root / "incidents.csv"
    groups: dict[int, list[tuple[int, AiidIncident]]] = {}
    for line, row in _open_csv(inc_path):
        number = _int(row.get("incident_id"), inc_path, line, "incident_id")
        reports = tuple(sorted({r for r in _json_list(row.get("reports"), inc_path, line, "reports") if isinstance(r, int)}))

        def slugs(column: str, *, _line: int = line, _row: dict[str, str] = row) -> tuple[str, ...]:
            return tuple(dict.fromkeys(str(s) for s in _json_list(_row.get(column), inc_path, _line, column) if isinstance(s, str) and s))

        target = final.get(number, number)
        record = AiidIncident(
            incident_id=target,
            date=(row.get("date") or "").strip(),
            title=(row.get("title") or "").strip(),
            description=(row.get("description") or "").strip(),
            deployers=slugs("Alleged deployer of AI system"),
            developers=slugs("Alleged developer of AI system"),
            harmed=slugs("Alleged harmed or nearly harmed parties"),
            reports=reports,
            merged_from=(number,) if number != target else (),
            mit_subdomains=tuple(dict.fromkeys(mit.get(number, []) + mit.get(target, []))),
        )
        groups.setdefault(target, []).append((number, record))
    by_number: dict[int, AiidIncident] = {}
    for target, rows in groups.items():
        # the true incident's own row gives the text; duplicates add reports, names and their numbers
        primary = next((i for i, (n, _) in enumerate(rows) if n == target), 0)
        merged = rows[primary][1]
        for i, (_, other) in enumerate(rows):
            if i != primary:
                merged = _merge(merged, other)
        redirects = {d for d, t in final.items() if t == target}  # duplicates.csv names them even when their rows are gone
        by_number[target] = replace(merged, merged_from=tuple(sorted(set(merged.merged_from) | redirects)))
    out = [by_number[n] for n in sorted(by_number)]
    return out[:limit] if limit is not None else out


def _date(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC) if len(value) == 10 else datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        raise InputError("not an ISO date", field="date", got=value) from None


def _short(value: str) -> str:
    return value if len(value) <= MAX_SHORT else value[: MAX_SHORT - 1] + "…"


def aiid_report(incident: AiidIncident) -> IncidentReport:
    """The accord incident report for one AIID incident: TLP:CLEAR (public data), severity
    ``incident`` (AIID records harms that happened or nearly happened), aware and occurred on
    the AIID incident date, hazards from the MIT classification, a link to the cite page."""
    when = _date(incident.date)
    title = incident.title or f"AIID incident {incident.incident_id}"
    hazards: list[str] = []
    for sub in incident.mit_subdomains:
        hazards.extend(MIT_TO_HAZARDS.get(sub, ()))
    deployer = incident.deployers[0] if incident.deployers else None
    provider = incident.developers[0] if incident.developers else None
    links = [
        {"kind": "external", "ref": f"aiid:{incident.incident_id}", "label": f"AI Incident Database ({AIID_LICENCE})"},
        {"kind": "url", "ref": f"{AIID_CITE}{incident.incident_id}", "label": f"AI Incident Database ({AIID_LICENCE})"},
    ]
    links += [{"kind": "external", "ref": f"aiid:{n}", "label": "merged AIID duplicate"} for n in incident.merged_from]
    return IncidentReport.model_validate(
        {
            "title": title[:MAX_TITLE],
            "description": (incident.description or title)[:MAX_DESCRIPTION],
            "system": {
                "name": _short(f"AI system deployed by {deployer}" if deployer else "AI system (not named by AIID)"),
                "provider": _short(provider) if provider else None,
            },
            "hazards": list(dict.fromkeys(hazards)),
            "severity": "incident",
            "harmed": [_short(h) for h in incident.harmed[:MAX_LIST]],
            "status": "open",
            "links": links[:MAX_LIST],
            "aware_at": when,
            "occurred_at": when,
            "tlp": "CLEAR",
        }
    )
