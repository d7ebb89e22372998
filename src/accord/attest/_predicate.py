"""Accord's evaluation predicate and the Statement that binds it to a run's subjects.

Pure: the CLI reads the run from the store and passes plain data in, so ``attest`` stays
independent of the store (DESIGN.md: attest depends on nothing). The schema is documented in
docs/attestation.md; it is versioned by its type URI, and new optional fields may be added
without a new major version (in-toto consumers ignore fields they do not know).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from accord.attest._models import Statement, Subject, digest_set

PREDICATE_TYPE = "https://accord.dev/attestation/eval/v1"


def rfc3339(when: datetime) -> str:
    """UTC with a ``Z``, seconds precision: the in-toto Timestamp form."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def subject_digest(digest: str) -> tuple[dict[str, str], dict[str, Any]]:
    """A DigestSet for an accord digest string, plus annotations when it is not a plain hash.

    Target digests for APIs may be an identity string rather than a hash; those are bound by
    the sha256 of the string, and the string itself is kept as an annotation.
    """
    try:
        return digest_set(digest), {}
    except ValueError:
        return {"sha256": hashlib.sha256(digest.encode()).hexdigest()}, {"accord.digestOf": digest}


def eval_statement(
    *,
    run: Mapping[str, Any],
    counts: Mapping[str, int],
    accord_version: str,
    judges: Sequence[Mapping[str, Any]] = (),
    verdicts: Mapping[str, Any] | None = None,
    judge_agreement: Mapping[str, Any] | None = None,
    report: tuple[str, bytes] | None = None,
    now: datetime | None = None,
) -> Statement:
    """Build the in-toto Statement for one stored run.

    ``run`` is the run's record as JSON-ready data (``RunInfo.model_dump(mode="json")``):
    run_id, target, target_digest, suites [{suite_id, digest, n_items}], epochs, status,
    created_at. ``report`` is (file name, file bytes) of a report to bind as a subject.
    """
    subjects: list[Subject] = []
    digest, ann = subject_digest(str(run["target_digest"]))
    subjects.append(Subject(f"target:{run['target']}", digest, ann))
    suites = []
    for s in run.get("suites", []):
        d, a = subject_digest(str(s["digest"]))
        subjects.append(Subject(f"suite:{s['suite_id']}", d, a))
        suites.append({"id": s["suite_id"], "digest": s["digest"], "items": s.get("n_items")})
    predicate: dict[str, Any] = {
        "accord": {"version": accord_version},
        "run": {
            "id": run["run_id"],
            "status": run.get("status"),
            "createdAt": run.get("created_at"),
            "target": {"name": run["target"], "digest": run["target_digest"]},
            "epochs": run.get("epochs", 1),
            "items": run.get("n_items"),
            "params": run.get("params") or {},
        },
        "suites": suites,
        "counts": dict(counts),
        "judges": [dict(j) for j in judges],
        "verdicts": dict(verdicts or {}),
        "timeCreated": rfc3339(now or datetime.now(UTC)),
    }
    monitor = (run.get("meta") or {}).get("monitor")
    if isinstance(monitor, Mapping):
        # A monitor run's target name, version label and cycle (accord monitor): what lets a
        # reader of published results follow one model across versions.
        predicate["run"]["monitor"] = {k: monitor.get(k) for k in ("name", "target", "version", "released", "cycle")}
    if judge_agreement:
        predicate["judgeAgreement"] = dict(judge_agreement)
    floors = {k: v["floor"] for k, v in (verdicts or {}).items() if isinstance(v, Mapping) and "floor" in v}
    if floors:
        predicate["floor"] = floors
    if report is not None:
        name, data = report
        rd = {"sha256": hashlib.sha256(data).hexdigest()}
        subjects.append(Subject(f"report:{name}", rd))
        predicate["report"] = {"name": name, "digest": "sha256:" + rd["sha256"]}
    return Statement(tuple(subjects), PREDICATE_TYPE, predicate)


def summarize(statement: Statement) -> list[tuple[str, str]]:
    """(label, value) rows describing what a statement attests, for ``accord verify``."""
    rows = [("predicate", statement.predicate_type)]
    for s in statement.subjects:
        rows.append(("subject", f"{s.name}  " + ", ".join(f"{k}:{v}" for k, v in sorted(s.digest.items()))))
    p = statement.predicate
    if statement.predicate_type == PREDICATE_TYPE:
        run = p.get("run") or {}
        rows.append(("run", f"{run.get('id')} ({run.get('status')}, created {run.get('createdAt')})"))
        rows.append(("accord", str((p.get("accord") or {}).get("version"))))
        counts = p.get("counts") or {}
        if counts:
            rows.append(("counts", ", ".join(f"{k}={v}" for k, v in counts.items())))
        for j in p.get("judges") or []:
            if isinstance(j, Mapping):
                rows.append(("judge", f"{j.get('id')} {j.get('version')} ({j.get('labels')} labels)"))
        for pack, v in (p.get("verdicts") or {}).items():
            grade = v.get("grade", v.get("overall", "")) if isinstance(v, Mapping) else ""
            rows.append(("verdict", f"{pack} {grade}".strip()))
        if "floor" in p:
            rows.append(("floor", _floor_line(p["floor"])))
    elif "committedAt" in p:
        rows.append(("committed", str(p.get("committedAt"))))
    if "timeCreated" in p:
        rows.append(("time", str(p["timeCreated"])))
    return rows


def _floor_line(floor: Any) -> str:
    """One line for people: the floor's status (identical in every pack), with its detail.

    The full per-hazard record stays in the signed predicate for machines.
    """
    if not isinstance(floor, Mapping) or not floor:
        return json.dumps(floor, sort_keys=True)
    records = [v for v in floor.values() if isinstance(v, Mapping)]
    statuses = sorted({str(v.get("status")) for v in records})
    first = records[0] if records else {}
    detail = first.get("detail") or ""
    tail = f", violations={first.get('violations')}, confirmed={first.get('confirmed')}, n={first.get('n')}"
    return "/".join(statuses) + tail + (f" ({detail})" if detail else "")
