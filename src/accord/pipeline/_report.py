"""The report job: read what a report needs from the store and the judge's card, build it.

The report package stays pure (records in, ``ReportData`` out, rendered to text); reading
the store for it happens here, in the pipeline layer, over any ``ResultStore``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accord.errors import AccordError
from accord.report import ReportData, RunInput, build_report
from accord.store import ResultStore

PREFERRED_JUDGE = "embedded"


def choose_judge(store: ResultStore, run_ids: Sequence[str], requested: str | None = None) -> str:
    """The judge whose labels the report uses: the same one for every run.

    With ``requested``, every run must have labels from it. Otherwise the judge that labelled
    every run, preferring ``embedded``; when several qualify and none is preferred, the
    alphabetically first (the choice is printed in the report).
    """
    per_run = {rid: {j for j, _v, n in store.judges_for_run(rid) if n} for rid in run_ids}
    if requested:
        missing = [rid for rid, js in per_run.items() if requested not in js]
        if missing:
            raise AccordError(
                f"judge '{requested}' has not labelled run(s) {', '.join(missing)}",
                why="labelled by: " + "; ".join(f"{rid}: {', '.join(sorted(js)) or 'no judge'}" for rid, js in per_run.items()),
                fix=f"label them first: accord judge run RUN --judge {requested}",
            )
        return requested
    unlabelled = [rid for rid, js in per_run.items() if not js]
    if unlabelled:
        raise AccordError(
            f"run(s) {', '.join(unlabelled)} have no labels",
            why="verdicts are computed from a judge's labels; none are stored for these runs",
            fix="label them first: accord judge run RUN",
        )
    common = set.intersection(*per_run.values())
    if not common:
        raise AccordError(
            "no single judge has labelled every run, so their verdicts would not be comparable",
            why="; ".join(f"{rid}: {', '.join(sorted(js))}" for rid, js in per_run.items()),
            fix="label every run with the same judge (accord judge run RUN --judge NAME), or pass --judge",
        )
    return PREFERRED_JUDGE if PREFERRED_JUDGE in common else sorted(common)[0]


def read_run(store: ResultStore, run_id: str, judge_id: str) -> RunInput:
    """One run's record, items, ``judge_id``'s labels (with human review applied, as ``score``
    reads them: see ``accord.pipeline._review``) and response counts."""
    from accord.pipeline._review import note_reviews, reviewed_labels
    from accord.pipeline._score import confirmations, judge_error_for, judge_version

    run = store.require_run(run_id)
    judges = store.judges_for_run(run_id)
    if any(j == judge_id for j, _v, _n in judges):
        judge_version(judges, run_id, judge_id)  # refuses labels from two versions of the judge
    items = list(store.iter_items(run_id))
    reviewed = reviewed_labels(store, run_id, judge_id, items)
    labels, confirmed = confirmations(store, run_id, judge_id, reviewed.labels)
    return RunInput(
        run=run,
        items=items,
        labels=labels,
        confirmed=frozenset(confirmed),
        judge_error=judge_error_for(judge_id),
        adjust=lambda verdicts: note_reviews(verdicts, reviewed, run_id),
        counts=store.response_counts(run_id),
    )


def judge_card(judge_id: str) -> dict[str, Any]:
    """The card holding the judge's measured agreement (``{}`` when none is on record).

    The embedded judge's card also records the pattern judge's figures on the same held-out
    splits, so both offline judges are covered; LLM judges and ensembles are not.
    """
    from accord.judges import load_card

    card = load_card()
    measured = card.get("agreement") or {}
    if any(isinstance(e, dict) and judge_id in e for e in measured.values()):
        return card
    return {}


def report_for_runs(
    store: ResultStore,
    run_ids: Sequence[str],
    *,
    packs: Sequence[str] | None = None,
    judge: str | None = None,
    title: str | None = None,
    allow_incomplete: bool = False,
) -> ReportData:
    """Everything ``accord report`` does short of rendering: the one call a caller needs.

    ``packs`` are ids or YAML paths (default: every built-in pack); ``judge`` defaults to
    the judge that labelled every run (``choose_judge``). A run still running, missing
    planned responses or the judge's labels is refused (``IncompleteRunError``) unless
    ``allow_incomplete``; the report then says so at the top (summary and notes).
    """
    from accord.frameworks import resolve
    from accord.pipeline._complete import require_complete

    ids = list(run_ids)
    for rid in ids:
        store.require_run(rid)
    judge_id = choose_judge(store, ids, judge)
    done = [require_complete(store, rid, [judge_id], allow_incomplete=allow_incomplete, command="report") for rid in ids]
    data = build_report(
        [read_run(store, rid, judge_id) for rid in ids],
        resolve(list(packs) if packs else None),
        judge_id=judge_id,
        card=judge_card(judge_id),
        title=title,
    )
    lacking = [c for c in done if not c.complete]
    if not lacking:
        return data
    lines = [f"run {c.run_id}: " + "; ".join(c.problems()) for c in lacking]
    head = (
        f"INCOMPLETE: {len(lacking)} of {len(done)} run(s) reported with --allow-incomplete; "
        "the verdicts cover only what was stored and labelled. " + " ".join(f"{ln}." for ln in lines)
    )
    return data.model_copy(update={"summary": f"{head} {data.summary}", "notes": [head, *data.notes]})
