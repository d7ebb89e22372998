"""A target's history: read its runs (or a server's published results) and build it.

``accord report --history TARGET`` reads every stored run of TARGET (a monitor target's name,
a target spec or a run's display name), scores each under the packs exactly as ``accord
report`` does, measures its rates over distinct items and reads the ``monitor-compare``
artifact the monitor runner stored with it; ``accord.report._history`` groups, orders and
renders. The dashboard's target page calls ``published_history``: the same figures from the
results organisations published (their signed verdicts and evidence bundles), read only
through the publishing jobs, so it shows nothing the results API would not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from accord.errors import AccordError, InputError
from accord.report import (
    HistoryInput,
    HistoryReport,
    TargetHistory,
    build_history,
    history_chart,
    mapping,
    matches,
    parse_time,
    rate_text,
    rates_from_leaves,
    rates_from_table,
    render_history,
    target_history,
)
from accord.store import ResultStore

__all__ = [
    "MAX_HISTORY_RUNS",
    "history_chart",
    "history_for_target",
    "published_history",
    "rate_text",
    "render_history",
]

#: The newest runs of one target a history reads (older ones are counted and named in a note).
MAX_HISTORY_RUNS = 500
#: A target name is at most this long (the server stores published targets cut to 400).
MAX_TARGET_CHARS = 400
#: Published results scanned for one target's page (newest first), and results shown per page.
PUBLISHED_SCAN = 2_000
PUBLISHED_PAGE = 20
COMPARE_KIND = "monitor-compare"


def check_target(target: str, *, field: str = "target") -> str:
    """A target name as a user or a URL gives it: non-empty, bounded, no control characters."""
    if not target or not target.strip():
        raise InputError("the target name is empty", field=field, expected="a monitor target's name, a target spec or a run's target name")
    if len(target) > MAX_TARGET_CHARS:
        raise InputError(f"the target name is over {MAX_TARGET_CHARS} characters", field=field, got=target[:60] + "…")
    if any(ord(c) < 32 or ord(c) == 127 for c in target):
        raise InputError("the target name holds a control character", field=field, got=repr(target[:60]))
    return target


def runs_of_target(store: ResultStore, target: str, *, monitor: str | None = None) -> list[Any]:
    """Stored runs whose target is ``target`` (``accord.report._history.matches``), newest first;
    with ``monitor``, only that monitor's runs."""
    out = []
    for run in store.list_runs():
        meta = run.meta or {}
        if not matches(target, run.target, meta):
            continue
        if monitor is not None:
            mon = meta.get("monitor")
            if not isinstance(mon, Mapping) or mon.get("name") != monitor:
                continue
        out.append(run)
    return out


def _compare_doc(store: ResultStore, run_id: str) -> Mapping[str, Any] | None:
    got = store.get_artifacts(run_id, COMPARE_KIND)
    if not got:
        return None
    doc = (
        got.get("baseline") if isinstance(got.get("baseline"), Mapping) else next((v for v in got.values() if isinstance(v, Mapping)), None)
    )
    return doc


def history_for_target(
    store: ResultStore,
    target: str,
    *,
    monitor: str | None = None,
    packs: Sequence[str] | None = None,
    judge: str | None = None,
    title: str | None = None,
    limit: int = MAX_HISTORY_RUNS,
) -> HistoryReport:
    """``target``'s history from the store (see the module doc).

    Runs without any label are left out and named in a note (a rate from no labels would read
    as clean); so are runs older than the newest ``limit``. Incomplete runs are kept and
    marked. Every run is read with one judge (``choose_judge``), so the points are comparable.
    """
    from accord.frameworks import LabelTable, resolve, score
    from accord.pipeline._complete import completeness
    from accord.pipeline._report import choose_judge, read_run
    from accord.taxonomy import load_taxonomy

    check_target(target)
    runs = runs_of_target(store, target, monitor=monitor)
    if not runs:
        known = sorted(
            {str((r.meta.get("monitor") or {}).get("target") or r.meta.get("target_name") or r.target) for r in store.list_runs()[:200]}
        )
        raise AccordError(
            f"no stored run of target '{target}'" + (f" by monitor '{monitor}'" if monitor else ""),
            why="a target is named by its monitor target name, its target spec or the run's target name",
            fix=("targets with runs: " + ", ".join(known[:20])) if known else "run an evaluation first: accord run",
        )
    notes: list[str] = []
    if len(runs) > limit:
        notes.append(f"{len(runs) - limit} older run(s) of this target are not shown (the newest {limit} are).")
        runs = runs[:limit]
    labelled = {r.run_id for r in runs if any(n for _j, _v, n in store.judges_for_run(r.run_id))}
    unlabelled = [r.run_id for r in runs if r.run_id not in labelled]
    if unlabelled:
        notes.append(f"Left out, no labels yet: {', '.join(unlabelled[:20])}{' …' if len(unlabelled) > 20 else ''}.")
    runs = [r for r in runs if r.run_id in labelled]
    if not runs:
        raise AccordError(f"no run of target '{target}' has labels", fix="label them first: accord judge run RUN")
    judge_id = choose_judge(store, [r.run_id for r in runs], judge)
    resolved = resolve(list(packs) if packs else None)
    tax = load_taxonomy()
    inputs = []
    for run in runs:
        ri = read_run(store, run.run_id, judge_id)
        table = LabelTable.from_records(ri.items, ri.labels, ri.confirmed)
        verdicts = score(table, resolved, taxonomy=tax, run_id=run.run_id, judge_id=judge_id, target=run.target, judge_error=ri.judge_error)
        if ri.adjust is not None:
            verdicts = ri.adjust(verdicts)
        done = completeness(store, run.run_id, [judge_id])
        inputs.append(
            HistoryInput(
                run_id=run.run_id,
                created_at=run.created_at,
                target_spec=run.target,
                rates=rates_from_table(table),
                meta=run.meta or {},
                status=run.status,
                complete=bool(done.complete),
                verdicts=verdicts,
                compare=_compare_doc(store, run.run_id),
                notes=tuple(done.problems()) if not done.complete else (),
            )
        )
    return build_history(inputs, judge_id=judge_id, title=title, notes=notes)


# -- the published side (the dashboard) ----------------------------------------------------


def _predicate(store: Any, who: Any, result_id: str) -> Mapping[str, Any]:
    """The signed statement's predicate of a published result ({} when it does not read)."""
    from accord.attest import Envelope, Statement
    from accord.pipeline._publish import result_envelope

    try:
        env = Envelope.from_json(result_envelope(store, who, result_id))
        return Statement.from_json(env.payload).predicate
    except (AccordError, ValueError, KeyError, TypeError):
        return {}


def _published_meta(predicate: Mapping[str, Any]) -> dict[str, Any]:
    """Run metadata a published statement carries: ``monitor`` where the attested run has it
    (``run.monitor``, ``run.meta.monitor`` or ``run.params.monitor``); nothing else is needed."""
    run = mapping(predicate.get("run"))
    for holder in (run, run.get("meta"), run.get("params")):
        if isinstance(holder, Mapping) and isinstance(holder.get("monitor"), Mapping):
            return {"monitor": dict(holder["monitor"])}
    return {}


def _judge_of(verdicts: Sequence[Mapping[str, Any]]) -> str | None:
    for v in verdicts:
        if v.get("judge_id"):
            return str(v["judge_id"])
    return None


def published_history(store: Any, who: Any, target: str, *, page: int = 1, page_size: int = PUBLISHED_PAGE) -> dict[str, Any]:
    """A target's published results over time, as the caller may read them.

    Results come from ``published_results`` / ``published_result`` (the API's own read rule),
    newest ``PUBLISHED_SCAN`` scanned, ``page_size`` per page (newest page first, each page
    oldest first in its chart). Returns ``{"history": TargetHistory | None, "orgs": {run id:
    org}, "results": {run id: result id}, "total": matching results, "scanned": n, "more":
    bool}``. Rates come from each result's evidence bundle, read with its verdicts' judge.
    """
    from accord.pipeline._publish import published_result, published_results

    check_target(target)
    if not 1 <= page <= 10_000:
        raise InputError("page must be between 1 and 10000", field="page_no")
    if not 1 <= page_size <= 50:
        raise InputError("page size must be 1..50", field="page_size")
    matching: list[Mapping[str, Any]] = []
    scanned, offset, total = 0, 0, None
    while scanned < PUBLISHED_SCAN:
        got = published_results(store, who, limit=200, offset=offset)
        rows = got["results"]
        total = got["total"]
        scanned += len(rows)
        matching += [r for r in rows if r.get("target") == target]
        offset += len(rows)
        if not rows or offset >= total:
            break
    start = (page - 1) * page_size
    shown = matching[start : start + page_size]
    inputs: list[HistoryInput] = []
    orgs: dict[str, str] = {}
    results: dict[str, str] = {}
    for row in shown:
        full = published_result(store, who, row["id"], evidence=True)
        verdicts = [v for _, v in sorted((full.get("verdicts") or {}).items()) if isinstance(v, Mapping)]
        leaves = ((full.get("evidence") or {}).get("leaves")) or []
        predicate = _predicate(store, who, row["id"])
        run = mapping(predicate.get("run"))
        created = parse_time(run.get("createdAt")) or parse_time(full.get("published_at")) or datetime.now(UTC)
        key = f"{row['id']}"
        orgs[key] = str(row.get("org"))
        results[key] = str(row["id"])
        inputs.append(
            HistoryInput(
                run_id=key,
                created_at=created,
                target_spec=target,
                rates=rates_from_leaves(leaves, _judge_of(verdicts)),
                meta=_published_meta(predicate),
                status=str(run.get("status") or "published"),
                verdicts=verdicts,
                notes=(f"run {row.get('run_id')}",),
            )
        )
    history: TargetHistory | None = target_history(target, inputs) if inputs else None
    return {
        "history": history,
        "orgs": orgs,
        "results": results,
        "runs": {r["id"]: str(r.get("run_id")) for r in shown},
        "total": len(matching),
        "scanned": scanned,
        "scan_limited": total is not None and scanned < total,
        "page": page,
        "more": start + page_size < len(matching),
    }


def history_json(h: HistoryReport) -> str:
    return json.dumps(h.model_dump(mode="json"), ensure_ascii=False)
