"""Incident exchange over HTTP (issue 20): report, add versions, list/search, get, history.

Thin routes: every decision (TLP, scopes, who may add a version) is made by the pipeline's
incident jobs with the caller's ``Principal``; an incident the caller may not read answers 404
exactly like one that does not exist. Each incident is served with the reporting deadlines
that apply to it now (``deadlines``); each version with its salt and signed envelope, so a
reader can check it against the commitment in the server's log (docs/incidents.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from accord.pipeline import (
    Incident,
    IncidentReport,
    IncidentVersion,
    Principal,
    add_incident_version,
    get_incident,
    incident_deadlines,
    incident_versions,
    notify_peers,
    readable_incidents,
    report_incident,
    retract_incident,
)
from accord.server._deps import principal, state
from accord.server._state import ServerState

router = APIRouter(prefix="/v1/incidents", tags=["incidents"])
Who = Annotated[Principal, Depends(principal)]
State = Annotated[ServerState, Depends(state)]


def _tlp(value: str | None) -> str | None:
    # A "+" in a query string decodes to a space: "tlp=AMBER+STRICT" arrives as "AMBER STRICT".
    return value.replace(" ", "+").upper() if value is not None else None


def incident_body(incident: Incident, now: datetime | None = None) -> dict[str, Any]:
    body: dict[str, Any] = incident.model_dump(mode="json")
    body["deadlines"] = [d.to_dict() for d in incident_deadlines(incident, now)]
    return body


def version_body(version: IncidentVersion) -> dict[str, Any]:
    body: dict[str, Any] = version.model_dump(mode="json")
    return body


@router.post("", status_code=201, summary="Report a new incident (version 1)")
def create(report: IncidentReport, who: Who, st: State) -> JSONResponse:
    """Needs the ``incidents:write`` scope; the caller's organisation is the reporter."""
    version = report_incident(st.store, who, report, log_dir=st.log_dir, log_key=st.config.signing_key)
    notify_peers(st.store, st.log_dir, log_key=st.config.signing_key)  # federation: peers pull it now
    return JSONResponse(version_body(version), status_code=201, headers={"Location": f"/v1/incidents/{version.incident_id}"})


@router.post("/{incident_id}/versions", status_code=201, summary="Append a version (reporter organisation only)")
def add_version(incident_id: str, report: IncidentReport, who: Who, st: State) -> JSONResponse:
    version = add_incident_version(st.store, who, incident_id, report, log_dir=st.log_dir, log_key=st.config.signing_key)
    notify_peers(st.store, st.log_dir, log_key=st.config.signing_key)
    return JSONResponse(version_body(version), status_code=201)


class Retraction(BaseModel):
    """Why the reporter retracts an incident (the only content the retraction carries)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


@router.post(
    "/{incident_id}/retract", status_code=201, summary="Retract an incident: its content is hidden here and on every peer it reached"
)
def retract(incident_id: str, body: Retraction, who: Who, st: State) -> JSONResponse:
    """Only the reporter organisation; a new signed version with no content, earlier versions' content wiped."""
    version = retract_incident(st.store, who, incident_id, body.reason, log_dir=st.log_dir, log_key=st.config.signing_key)
    notify_peers(st.store, st.log_dir, log_key=st.config.signing_key)
    return JSONResponse(version_body(version), status_code=201)


@router.get("", summary="List and search the incidents the caller may read")
def list_incidents(
    who: Who,
    st: State,
    tlp: Annotated[str | None, Query(max_length=20, description="CLEAR, GREEN, AMBER, AMBER+STRICT or RED")] = None,
    hazard: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    q: Annotated[str | None, Query(max_length=200, description="case-insensitive text in the title, description or system")] = None,
    reporter: Annotated[str | None, Query(max_length=64)] = None,
    updated_after: Annotated[datetime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> JSONResponse:
    page = readable_incidents(
        st.store,
        who,
        tlp=_tlp(tlp),
        hazard=hazard,
        status=status,
        q=q,
        reporter=reporter,
        updated_after=updated_after,
        limit=limit,
        cursor=cursor,
    )
    # JSONResponse directly: the bodies are JSON-ready already, and FastAPI's encoder walking
    # every nested value again costs more than the read itself (benchmarks/server.py)
    return JSONResponse({"incidents": [incident_body(i) for i in page.items], "next_cursor": page.next_cursor})


@router.get("/{incident_id}", summary="One incident (latest version) with its reporting deadlines")
def get_one(incident_id: str, who: Who, st: State) -> JSONResponse:
    return JSONResponse(incident_body(get_incident(st.store, who, incident_id)))


@router.get("/{incident_id}/versions", summary="The versions the caller may read, oldest first")
def history(
    incident_id: str,
    who: Who,
    st: State,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JSONResponse:
    return JSONResponse({"versions": [version_body(v) for v in incident_versions(st.store, who, incident_id, limit=limit)]})
