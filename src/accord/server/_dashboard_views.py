"""What each dashboard page shows, read through the pipeline's service jobs as the caller.

One function per page returns plain data for its template (``_dashboard`` renders it). Nothing
here reads the store directly or decides who may read what: results and grants come from the
publishing jobs, incidents only from ``readable_incidents`` / ``get_incident`` /
``incident_versions`` (TLP 2.0 is applied there), so the dashboard cannot show more than the API.
Charts are the report's inline-SVG components (``accord.report``, reached through
``accord.pipeline``), each beside a table with the same figures.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import accord.pipeline as pipeline
from accord.errors import InputError
from accord.pipeline import AccessDenied, Principal

PAGE_SIZE = 50
MAX_PAGE = 10_000
TLP_ORDER = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
TLP_MEANING = {
    "CLEAR": "anyone",
    "GREEN": "the community: any signed-in organisation",
    "AMBER": "the recipient organisations and the clients each must inform",
    "AMBER+STRICT": "the recipient organisations only",
    "RED": "the named individual recipients only",
}
DECISIONS = ("blocked", "insufficient evidence", "allowed")


# -- small helpers (also template filters) -------------------------------------------------


def input_error(what: str, *, field: str | None = None) -> InputError:
    return InputError(what, field=field)


def denied(what: str) -> AccessDenied:
    return AccessDenied(what)


def page_number(value: int) -> int:
    if value < 1 or value > MAX_PAGE:
        raise InputError(f"page must be between 1 and {MAX_PAGE}", field="page_no")
    return value


def pct(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value * 100:.{digits}f}%"


def when(value: Any) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM UTC`` (strings pass through)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return "—" if value is None else str(value)


def decision_class(decision: str | None) -> str:
    return {"allowed": "allowed", "blocked": "blocked", "insufficient evidence": "insufficient"}.get(decision or "", "none")


def tlp_class(tlp: str) -> str:
    return tlp.lower().replace("+", "-")


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


# -- incidents ------------------------------------------------------------------------------


def _deadlines(incident: Any, now: datetime) -> list[dict[str, Any]]:
    fn = getattr(pipeline, "incident_deadlines", None)
    if fn is None:
        return []
    out = []
    for d in fn(incident, now):
        due = d.due
        left = due - now
        out.append(
            {
                "rule": d.rule,
                "regime": getattr(d, "regime", ""),
                "due": due,
                "overdue": bool(d.overdue),
                "citation": d.citation,
                "description": getattr(d, "description", ""),
                "left": _duration(left.total_seconds()),
            }
        )
    out.sort(key=lambda d: d["due"])
    return out


def _duration(seconds: float) -> str:
    late = seconds < 0
    s = abs(seconds)
    text = f"{int(s // 86400)} d {int(s % 86400 // 3600)} h" if s >= 86400 else f"{int(s // 3600)} h {int(s % 3600 // 60)} min"
    return f"{text} overdue" if late else f"{text} left"


def _incident_row(inc: Any, now: datetime) -> dict[str, Any]:
    r = inc.report
    deadlines = _deadlines(inc, now)
    pending = [d for d in deadlines if not d["overdue"]]
    return {
        "id": inc.id,
        "title": r.title,
        "reporter": inc.reporter_org,
        "severity": r.severity,
        "status": r.status,
        "tlp": r.tlp,
        "system": r.system.name + (f" {r.system.version}" if r.system.version else ""),
        "hazards": list(r.hazards),
        "jurisdictions": list(r.jurisdictions),
        "aware_at": r.aware_at,
        "updated_at": inc.updated_at,
        "version": inc.version,
        "overdue": [d for d in deadlines if d["overdue"]],
        "next_due": pending[0] if pending else None,
    }


def incidents(st: Any, who: Principal, *, tlp: str | None, status: str | None, q: str | None, cursor: str | None = None) -> dict[str, Any]:
    """Incidents the caller may read, grouped by TLP level, each with its reporting clocks."""
    if tlp is not None and tlp not in TLP_ORDER:
        raise InputError(f"unknown TLP level {tlp[:40]!r}", field="tlp", fix="one of " + ", ".join(TLP_ORDER))
    if cursor is not None and (len(cursor) > 500 or not tlp):
        raise InputError("a cursor goes with one TLP level (follow a 'More' link)", field="cursor")
    if q is not None and len(q) > 200:
        raise InputError("the search text is over 200 characters", field="q")
    now = datetime.now(UTC)
    groups = []
    for level in (tlp,) if tlp else TLP_ORDER:
        got = pipeline.readable_incidents(
            st.store, who, tlp=level, status=status or None, q=q or None, limit=PAGE_SIZE, cursor=cursor if tlp else None
        )
        rows = [_incident_row(i, now) for i in got.items]
        rows.sort(key=lambda r: r["updated_at"], reverse=True)
        groups.append({"tlp": level, "meaning": TLP_MEANING[level], "rows": rows, "next_cursor": got.next_cursor})
    total = sum(len(g["rows"]) for g in groups)
    return {"groups": groups, "total": total, "filters": {"tlp": tlp or "", "status": status or "", "q": q or ""}, "tlp_levels": TLP_ORDER}


def incident(st: Any, who: Principal, incident_id: str) -> dict[str, Any]:
    """One incident (its latest readable version), its deadlines and its readable history."""
    if len(incident_id) > 200:
        raise InputError("incident id is too long", field="incident_id")
    inc = pipeline.get_incident(st.store, who, incident_id)
    now = datetime.now(UTC)
    r = inc.report
    versions = pipeline.incident_versions(st.store, who, incident_id)
    return {
        "incident": {
            **_incident_row(inc, now),
            "description": r.description,
            "harms": list(r.harms),
            "harmed": list(r.harmed),
            "system_classes": list(r.system_classes),
            "imminent_risk": r.imminent_risk,
            "occurred_at": r.occurred_at,
            "links": [{"kind": link.kind, "ref": link.ref, "label": link.label or link.ref} for link in r.links],
            "recipients": [{"org": x.org, "member": x.member, "clients": list(x.clients)} for x in r.recipients],
            "commitment": inc.commitment,
            "log_index": inc.log_index,
            "created_at": inc.created_at,
        },
        "deadlines": _deadlines(inc, now),
        "versions": [
            {
                "version": v.version,
                "created_at": v.created_at,
                "submitted_by": v.submitted_by,
                "tlp": v.report.tlp,
                "status": v.report.status,
                "severity": v.report.severity,
                "title": v.report.title,
                "commitment": v.commitment,
                "log_index": v.log_index,
            }
            for v in versions
        ],
        "tlp_meaning": TLP_MEANING.get(r.tlp, ""),
    }


# -- results -------------------------------------------------------------------------------

#: The home page's matrix and history read at most this many of the newest results.
MATRIX_RESULTS = 200
#: Items shown per page of a result's drill-down, and disclosures asked for per call.
ITEMS_PAGE = 100
DISCLOSE_CHUNK = 32


def _parse_time(text: Any) -> datetime | None:
    if isinstance(text, datetime):
        return text
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _worst(decisions: Iterable[str | None]) -> str | None:
    present = [d for d in decisions if d]
    for d in DECISIONS:
        if d in present:
            return d
    return present[0] if present else None


def _verdict_docs(row: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The signed pack verdicts of a result (JSON of ``PackVerdict``), in a stable order."""
    docs = [v for _, v in sorted((row.get("verdicts") or {}).items()) if isinstance(v, Mapping)]
    return sorted(docs, key=lambda v: (str(v.get("jurisdiction") or ""), str(v.get("pack_id") or "")))


def _floor(row: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The universal floor (identical in every pack's verdict, so the first one's)."""
    for v in _verdict_docs(row):
        floor = v.get("floor")
        if isinstance(floor, Mapping):
            return floor
    return None


def _by_jurisdiction(row: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Jurisdiction -> the worst decision of its packs (and a grade where one pack grades)."""
    out: dict[str, dict[str, Any]] = {}
    for v in _verdict_docs(row):
        j = str(v.get("jurisdiction") or "?")
        cell = out.setdefault(j, {"decisions": [], "grade": None})
        cell["decisions"].append(v.get("decision"))
        cell["grade"] = cell["grade"] or v.get("grade")
    return {j: {"decision": _worst(c["decisions"]), "grade": c["grade"]} for j, c in out.items()}


def _result_row(row: Mapping[str, Any]) -> dict[str, Any]:
    floor = _floor(row)
    cells = _by_jurisdiction(row)
    return {
        "id": row["id"],
        "org": row["org"],
        "target": row.get("target") or row.get("run_id") or "?",
        "run_id": row.get("run_id"),
        "published": _parse_time(row.get("published_at")) or row.get("published_at"),
        "log_index": row.get("log_index"),
        "floor": floor.get("status") if floor else None,
        "decisions": [(j, cells[j]["decision"]) for j in sorted(cells)],
        "cells": cells,
        "worst": _worst(c["decision"] for c in cells.values()),
        "floor_doc": floor,
    }


def home(st: Any, who: Principal, *, page: int) -> dict[str, Any]:
    """Published results (a page, newest first), the latest decision per organisation, target
    and jurisdiction, and each target's floor over time (from the newest ``MATRIX_RESULTS``)."""
    listed = pipeline.published_results(st.store, who, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    rows = [_result_row(r) for r in listed["results"]]
    recent = (
        rows
        if page == 1 and listed["total"] <= PAGE_SIZE
        else [_result_row(r) for r in pipeline.published_results(st.store, who, limit=MATRIX_RESULTS)["results"]]
    )
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for r in recent:  # newest first: the first seen per (org, target) is its latest
        latest.setdefault((r["org"], r["target"]), r)
    jurisdictions = sorted({j for r in latest.values() for j in r["cells"]}, key=lambda j: (j != "universal", j))
    matrix_rows = [
        {
            "org": r["org"],
            "target": r["target"],
            "result_id": r["id"],
            "published": r["published"],
            "cells": [{"jurisdiction": j, **r["cells"].get(j, {"decision": None, "grade": None})} for j in jurisdictions],
        }
        for (_, _), r in sorted(latest.items())
    ]
    charts: dict[str, str] = {}
    series: dict[str, list[Any]] = {}
    if recent:
        for r in reversed(recent):
            f = r["floor_doc"]
            when_ = r["published"]
            if f is None or not isinstance(when_, datetime):
                continue
            name = f"{r['org']}: {r['target']}"
            series.setdefault(name, []).append(
                pipeline.TimePoint(
                    date=when_,
                    value=f.get("value"),
                    low=f.get("ci_low"),
                    high=f.get("ci_high"),
                    n=int(f.get("n") or 0),
                    decision=r["worst"],
                )
            )
        if series:
            charts["timeline"] = pipeline.timeline_chart(
                series, title="Universal floor over time", value_label="share of units with a violation", chart_id="dash-timeline"
            )
    return {
        "rows": rows,
        "total": listed["total"],
        "matrix": {"jurisdictions": jurisdictions, "rows": matrix_rows},
        "page": page,
        "more": page * PAGE_SIZE < listed["total"],
        "charts": charts,
        "timeline_caption": "Per target, the share of units with a floor violation in each published result (95% interval; marker shape: the worst deployment decision). Lower is better.",
    }


def _requirements_by_hazard(verdicts: Sequence[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for v in verdicts:
        for q in v.get("requirements") or []:
            if isinstance(q, Mapping) and q.get("hazard"):
                out.setdefault(str(q["hazard"]), []).append(
                    {
                        "title": q.get("title") or q.get("requirement_id"),
                        "status": q.get("status") or "reported",
                        "value": q.get("value"),
                        "pack": v.get("pack_name") or v.get("pack_id"),
                    }
                )
    return out


def _key_text(key: Mapping[str, Any]) -> str:
    return f"{key.get('suite')}/{key.get('item')}/{key.get('variant')}/{key.get('epoch')}"


def _judged(labels: Any) -> str:
    if not isinstance(labels, list) or not labels:
        return "—"
    parts = []
    for lab in labels:
        if not isinstance(lab, Mapping):
            continue
        if lab.get("unassessed"):
            parts.append(f"unassessed ({lab['unassessed']})")
        else:
            bits = [f"refusal: {lab.get('refusal')}"]
            if lab.get("harmful"):
                bits.append("harmful" + (" (confirmed)" if lab.get("confirmed") else ""))
            parts.append(", ".join(bits))
    return "; ".join(parts) or "—"


def _disclosed(st: Any, who: Principal, result: Mapping[str, Any], keys: list[str]) -> tuple[dict[int, str], str]:
    """Texts of ``keys`` the caller may receive (index -> text) and a sentence on why.

    Asked of the disclosure job only where a grant (or ownership) makes it worth asking: an
    anonymous or ungranted reader is never sent to it, so browsing does not fill the audit
    log with denials; the job itself still decides, and audits, every disclosure."""
    if who.org is None and who.role != "admin":
        return {}, "Sign in with a token of an organisation holding a grant to see responses."
    own = who.org == result["org"] or who.role == "admin"
    if not own:
        grants = pipeline.list_grants(st.store, who, result_id=result["id"], limit=200)["grants"]
        now = datetime.now(UTC)
        usable = [
            g for g in grants
            if g.get("grantee_org") == who.org and who.role in (g.get("roles") or []) and not g.get("revoked_at")
            and (_parse_time(g.get("expires_at")) or now) > now
        ]  # fmt: skip
        if not usable:
            return {}, f"Organisation {who.org} ({who.role}) holds no active grant for this result; ask {result['org']} for one."
        covered: set[str] | None = None if any(g.get("keys") is None for g in usable) else {k for g in usable for k in g["keys"]}
        keys = [k for k in keys if covered is None or k in covered]
        why = "Responses shown are those the grant(s) " + ", ".join(g["id"] for g in usable) + " disclose to you."
    else:
        why = "Your organisation published this result: every response is shown."
    texts: dict[int, str] = {}
    try:
        for i in range(0, len(keys), DISCLOSE_CHUNK):
            chunk = keys[i : i + DISCLOSE_CHUNK]
            if not chunk:
                break
            got = pipeline.result_disclosures(st.store, who, result["id"], keys=chunk)
            for d in got["disclosures"]:
                texts[int(d["index"])] = str(d["text"])
    except pipeline.NotFound as exc:
        return {}, exc.what
    except AccessDenied as exc:
        return {}, exc.what
    return texts, why


def result(st: Any, who: Principal, result_id: str, *, items_page: int = 1) -> dict[str, Any]:
    """One result: its facts, verdicts per pack, the floor and requirements per hazard, and
    its items (the redacted bundle) with the texts the caller's grant discloses."""
    if len(result_id) > 100:
        raise InputError("result id is too long", field="result_id")
    row = pipeline.published_result(st.store, who, result_id, evidence=True)
    verdicts = _verdict_docs(row)
    floor = _floor(row)
    reqs = _requirements_by_hazard(verdicts)
    hazards = []
    for h in (floor or {}).get("per_hazard") or []:
        hazards.append({**h, "requirements": reqs.pop(str(h.get("hazard")), [])})
    for name, qs in sorted(reqs.items()):
        hazards.append({"hazard": name, "n": 0, "violations": 0, "value": None, "ci_low": None, "ci_high": None, "requirements": qs})
    charts: dict[str, str] = {}
    if floor:
        bars = [
            pipeline.BarRow(
                label=str(h["hazard"]), value=h.get("value"), low=h.get("ci_low"), high=h.get("ci_high"), n=int(h.get("n") or 0)
            )
            for h in floor.get("per_hazard") or []
        ]
        if bars:
            charts["hazards"] = pipeline.breakdown_chart(
                bars, title="Universal floor: violations per hazard", value_label="share of units with a violation", chart_id="dash-hazards"
            )
    leaves = ((row.get("evidence") or {}).get("leaves")) or []
    start = (items_page - 1) * ITEMS_PAGE
    shown = leaves[start : start + ITEMS_PAGE]
    keys = [_key_text(leaf.get("key") or {}) for leaf in shown if leaf.get("output")]
    texts, access = _disclosed(st, who, row, keys) if keys else ({}, "No response on this page has an output.")
    items = [
        {
            "index": start + i,
            "key": _key_text(leaf.get("key") or {}),
            "hazard": leaf.get("hazard"),
            "locale": leaf.get("locale"),
            "status": leaf.get("status"),
            "judged": _judged(leaf.get("labels")),
            "text": texts.get(start + i),
        }
        for i, leaf in enumerate(shown)
    ]
    return {
        "result": {**_result_row(row), "keyid": row.get("keyid"), "evidence_root": row.get("evidence_root")},
        "verdicts": [
            {
                "pack_id": v.get("pack_id"),
                "pack_name": v.get("pack_name") or v.get("pack_id"),
                "pack_version": v.get("pack_version") or "",
                "jurisdiction": v.get("jurisdiction_name") or v.get("jurisdiction"),
                "decision": v.get("decision"),
                "grade": v.get("grade"),
                "reasons": [r for r in v.get("reasons") or [] if isinstance(r, Mapping)],
            }
            for v in verdicts
        ],
        "floor": floor,
        "hazards": hazards,
        "items": items,
        "items_total": len(leaves),
        "items_page": items_page,
        "items_more": start + ITEMS_PAGE < len(leaves),
        "grant": {"disclosed": bool(texts), "text": access},
        "charts": charts,
    }


# -- a target's history ----------------------------------------------------------------------

#: Published results of one target per history page (each reads its evidence bundle).
HISTORY_PAGE = 20


def rate(value: Any) -> str:
    """A history rate as text: value, interval, k/n and unassessed apart (template filter)."""
    return str(pipeline.rate_text(value))


def target_history(st: Any, who: Principal, name: str, *, page: int) -> dict[str, Any]:
    """One target's published results over time (a page of ``HISTORY_PAGE``), read through the
    publishing jobs as the caller: the same rates over distinct items, with n and intervals, the
    verdicts and, where the signed statement carries them, the version labels."""
    got = pipeline.published_history(st.store, who, name, page=page, page_size=HISTORY_PAGE)
    h = got["history"]
    if h is None:
        raise pipeline.NotFound(
            f"no published result of target '{name[:80]}'" + (f" on page {page}" if page > 1 else ""),
            fix="targets are named as on a result's page",
        )
    rows = []
    for p in reversed(h.points):  # newest first, as the results list
        rows.append({"point": p, "org": got["orgs"].get(p.run_id, "?"), "result_id": got["results"].get(p.run_id, p.run_id),
                     "run_id": got["runs"].get(p.run_id, "")})  # fmt: skip
    hazards = sorted({hz.hazard for p in h.points for hz in p.hazards})
    return {
        "target": name,
        "history": h,
        "rows": rows,
        "hazards": hazards,
        "total": got["total"],
        "scan_limited": got["scan_limited"],
        "page": page,
        "more": got["more"],
        "charts": {"history": pipeline.history_chart(h, chart_id="dash-history")},
    }


# -- the log ---------------------------------------------------------------------------------

#: Entries listed on the log page (the newest).
LOG_ENTRIES = 50
MAX_PASTE = 4 * 1024 * 1024


def log(st: Any, who: Principal) -> dict[str, Any]:
    """The log's latest checkpoint (origin, size, root, verifier key, witnesses) and its newest
    entries, each named by the published result it is (incident commitments are unnamed)."""
    info = pipeline.log_info(st.store, st.log_dir, log_key=st.config.signing_key)
    size = int(info.get("size") or 0)
    by_index: dict[int, dict[str, Any]] = {}
    if size:
        for r in pipeline.published_results(st.store, who, limit=LOG_ENTRIES)["results"]:
            by_index[int(r["log_index"])] = r
    entries = []
    for index in range(size - 1, max(-1, size - 1 - LOG_ENTRIES), -1):
        r = by_index.get(index)
        if r is not None:
            entries.append(
                {"index": index, "kind": "result", "label": f"{r['org']}: {r.get('target') or r['run_id']}", "result_id": r["id"]}
            )
        else:
            entries.append(
                {
                    "index": index,
                    "kind": "signed entry",
                    "label": "a signed statement (an incident commitment or an older result)",
                    "result_id": None,
                }
            )
    return {"checkpoint": info if size else None, "entries": entries, "peers": peers(st)}


def peers(st: Any) -> list[dict[str, Any]]:
    """The federation's peers as anyone may see them (issue 21): state, witnessed checkpoint,
    last sync; a forked peer with the two checkpoints that prove it. Not their sharing policy."""
    out = []
    for r in pipeline.list_peers(st.store):
        evidence = r.get("fork_evidence") or {}
        out.append(
            {
                "name": r["name"],
                "origin": r["origin"],
                "state": r["state"],
                "witnessed_size": r.get("witnessed_size"),
                "last_sync_at": r.get("last_sync_at"),
                "fork_detected_at": r.get("fork_detected_at"),
                "fork_why": evidence.get("why"),
                "fork_witnessed": evidence.get("witnessed"),
                "fork_shown": evidence.get("shown"),
            }
        )
    out.sort(key=lambda r: (r["state"] != "forked", r["name"]))
    return out


def _candidates(pasted: str) -> list[bytes]:
    """The exact bytes a pasted envelope may have had: browsers send a textarea's line breaks as
    CRLF and people trim the trailing newline ``accord attest`` writes."""
    text = pasted.replace("\r\n", "\n").strip()
    return [text.encode("utf-8") + b"\n", text.encode("utf-8")]


def verify_this(st: Any, who: Principal, pasted: str) -> dict[str, Any]:
    """Check a result id or a pasted envelope against this server's own log with the same
    ``verify`` job ``accord verify`` runs: signature under the publishing organisation's
    registered keys, inclusion under the latest signed checkpoint (log key from the server),
    and the evidence bundle with the verdicts recomputed from it."""
    import hashlib

    text = pasted.strip()
    if not text:
        raise InputError("paste a result id or an envelope", field="what")
    if len(pasted) > MAX_PASTE:
        raise InputError(f"the pasted text is over {MAX_PASTE:,} characters", field="what")
    checks: list[dict[str, Any]] = []
    envelope: bytes | None = None
    if text.startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError as exc:
            return {"ok": False, "what": "pasted text", "checks": [], "message": f"not JSON: {exc}", "result_id": None}
        if not isinstance(doc, dict) or "payload" not in doc or "signatures" not in doc:
            return {
                "ok": False,
                "what": "pasted JSON",
                "checks": [],
                "message": "not a DSSE envelope (needs payload and signatures)",
                "result_id": None,
            }
        row = None
        for candidate in _candidates(pasted):
            rid = hashlib.sha256(candidate).hexdigest()[:32]
            try:
                row = pipeline.published_result(st.store, who, rid)
            except pipeline.NotFound:
                continue
            envelope = candidate
            break
        if row is None:
            return {
                "ok": False,
                "what": "pasted envelope",
                "checks": [{"name": "published here", "ok": False, "outcome": "no entry of this server's log has exactly these bytes"}],
                "message": "This envelope was not published on this server (or was changed).",
                "result_id": None,
            }
        checks.append({"name": "published here", "ok": True, "outcome": f"result {row['id']}, log entry {row['log_index']}"})
    else:
        if len(text) > 100 or any(c.isspace() for c in text):
            raise InputError("a result id is a short word without spaces (or paste the envelope JSON)", field="what")
        row = pipeline.published_result(st.store, who, text)
        envelope = pipeline.result_envelope(st.store, who, row["id"])
        checks.append({"name": "published here", "ok": True, "outcome": f"result {row['id']}, log entry {row['log_index']}"})
    if envelope is None:  # unreachable: set together with row above
        raise pipeline.NotFound("no such result")
    return _verify_stored(st, who, row, envelope, checks)


def _verify_stored(st: Any, who: Principal, row: Mapping[str, Any], envelope: bytes, checks: list[dict[str, Any]]) -> dict[str, Any]:
    import tempfile
    from pathlib import Path

    from accord.errors import AccordError

    keys = [k["public_key_pem"] for k in pipeline.org_keys(st.store, row["org"])]
    info = pipeline.log_info(st.store, st.log_dir, log_key=st.config.signing_key)
    proof = pipeline.log_inclusion(st.store, st.log_dir, int(row["log_index"]))
    size = json.loads(proof).get("tree_size") if proof.strip().startswith(b"{") else None
    checkpoint = pipeline.log_checkpoint(st.store, st.log_dir, size)
    evidence = pipeline.result_evidence(st.store, who, row["id"])
    with tempfile.TemporaryDirectory(prefix="accord-verify-") as tmp:
        d = Path(tmp)
        (d / "envelope.json").write_bytes(envelope)
        (d / "proof.json").write_bytes(proof)
        (d / "checkpoint.txt").write_text(checkpoint, encoding="utf-8")
        (d / "evidence.json").write_bytes(evidence)
        try:
            verified = pipeline.verify(
                d / "envelope.json",
                trusted_keys=keys,
                trusted_log_keys=[info["log_vkey"]] if info.get("log_vkey") else [],
                checkpoint=d / "checkpoint.txt",
                proof=d / "proof.json",
                evidence=d / "evidence.json",
                recompute=True,
            )
        except AccordError as exc:
            checks.append({"name": "verify", "ok": False, "outcome": exc.what + (f" ({exc.why})" if exc.why else "")})
            return {"ok": False, "what": f"result {row['id']}", "checks": checks, "message": "It does not verify.", "result_id": row["id"]}
    for name, outcome in verified.checks.items():
        checks.append({"name": name, "ok": True, "outcome": outcome})
    return {
        "ok": True,
        "what": f"result {row['id']}",
        "checks": checks,
        "message": f"Signed by organisation {row['org']}'s registered key, in this log under its signed checkpoint, the verdicts recomputed from the evidence.",
        "result_id": row["id"],
    }
