"""Stream a run's responses, each with its labels, as flat records for JSONL or CSV.

Responses and labels are both read in key order and merge-joined, so exporting a run of any
size holds one response and its labels in memory at a time.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any, TextIO

from accord.records import Label
from accord.store._protocol import ResultStore
from accord.store._records import ReviewDecision

CSV_FIELDS = [
    "run_id", "suite_id", "item_id", "variant_id", "epoch", "status", "output", "finish_reason",
    "blocked", "error_kind", "error", "attempts", "latency_s", "input_tokens", "output_tokens",
    "model_version", "cached", "provenance", "source_run", "source_created_at", "prompt", "labels", "reviews",
]  # fmt: skip


def _label_dict(lb: Label) -> dict[str, Any]:
    return {
        "judge_id": lb.judge_id,
        "judge_version": lb.judge_version,
        "refusal": lb.refusal,
        "harmful": lb.harmful,
        "score": lb.score,
        "unassessed": lb.unassessed is not None,
        "unassessed_reason": lb.unassessed,
        "rationale": lb.rationale,
    }


def _review_dict(rv: ReviewDecision) -> dict[str, Any]:
    return {
        "decision": rv.decision,
        "harmful": rv.harmful,
        "refusal": rv.refusal,
        "reviewer": rv.reviewer,
        "note": rv.note,
        "decided_at": rv.decided_at.isoformat(),
        "reason": rv.reason,
        "overrides": rv.overrides,
    }


def iter_export_records(store: ResultStore, run_id: str) -> Iterator[dict[str, Any]]:
    """One dict per stored response, with ``labels`` (a list, one per judge) and ``reviews``
    (people's decisions, oldest first; the last is in force)."""
    labels = iter(store.iter_labels(run_id))
    pending: Label | None = next(labels, None)
    reviews = iter(store.iter_reviews(run_id))
    pending_rv: ReviewDecision | None = next(reviews, None)
    for r in store.iter_responses(run_id):
        key = (r.suite_id, r.item_id, r.variant_id, r.epoch)
        mine: list[dict[str, Any]] = []
        while pending is not None and (pending.suite_id, pending.item_id, pending.variant_id, pending.epoch) <= key:
            if (pending.suite_id, pending.item_id, pending.variant_id, pending.epoch) == key:
                mine.append(_label_dict(pending))
            pending = next(labels, None)
        decided: list[dict[str, Any]] = []
        while pending_rv is not None and pending_rv.key <= key:
            if pending_rv.key == key:
                decided.append(_review_dict(pending_rv))
            pending_rv = next(reviews, None)
        yield {
            "run_id": r.run_id,
            "suite_id": r.suite_id,
            "item_id": r.item_id,
            "variant_id": r.variant_id,
            "epoch": r.epoch,
            "status": r.status,
            "output": r.output,
            "finish_reason": r.finish_reason,
            "blocked": r.blocked,
            "error_kind": r.error_kind.value if r.error_kind else None,
            "error": r.error,
            "attempts": r.attempts,
            "latency_s": r.latency_s,
            "input_tokens": r.input_tokens,
            "output_tokens": r.output_tokens,
            "model_version": r.model_version,
            "cached": r.cached,
            # "produced" / "reused" (from source_run, first produced at source_created_at);
            # "unknown" for responses stored before accord recorded it.
            "provenance": r.provenance or "unknown",
            "source_run": r.source_run,
            "source_created_at": r.source_created_at.isoformat() if r.source_created_at else None,
            "messages": [m.model_dump() for m in r.messages],
            # issue 19: what an attack did (its spec; a strategy's every turn and judge score)
            **({"attack": r.attack} if r.attack is not None else {}),
            "labels": mine,
            "reviews": decided,
        }


def write_export(store: ResultStore, run_id: str, fmt: str, out: TextIO) -> int:
    """Write the run as ``jsonl`` or ``csv`` to ``out``; return the number of records."""
    n = 0
    if fmt == "jsonl":
        for rec in iter_export_records(store, run_id):
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
        return n
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for rec in iter_export_records(store, run_id):
            rec["prompt"] = rec["messages"][-1]["content"] if rec["messages"] else ""
            rec["labels"] = json.dumps(rec["labels"], ensure_ascii=False) if rec["labels"] else ""
            rec["reviews"] = json.dumps(rec["reviews"], ensure_ascii=False) if rec["reviews"] else ""
            writer.writerow(rec)
            n += 1
        return n
    raise ValueError(fmt)


def export_to_string(store: ResultStore, run_id: str, fmt: str) -> str:
    buf = io.StringIO()
    write_export(store, run_id, fmt, buf)
    return buf.getvalue()
