"""The report job: read what a report needs from the store and the judge's card, build it.

The report package stays pure (records in, ``ReportData`` out, rendered to text); reading
the store for it happens here, in the pipeline layer, over any ``ResultStore``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from accord.errors import AccordError
from accord.report import Attestation, ItemRow, ReportData, RunInput, build_report
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


def read_run(store: ResultStore, run_id: str, judge_id: str, *, include_responses: bool = False, completeness: Any = None) -> RunInput:
    """One run's record, items, ``judge_id``'s labels (with human review applied, as ``score``
    reads them: see ``accord.pipeline._review``) and response counts.

    Also every judge's stored labels (the drill-down shows each judge's reading), the run's
    attestations (``attestations``) and, only with ``include_responses``, a reader of model
    output for the drill-down (responses can be harmful: never read without the user's flag).
    ``completeness`` is ``require_complete``'s record, when the caller has it."""
    from accord.pipeline._review import note_reviews, reviewed_labels
    from accord.pipeline._score import confirmations, judge_error_of, judge_version

    run = store.require_run(run_id)
    judges = store.judges_for_run(run_id)
    version = None
    if any(j == judge_id for j, _v, _n in judges):
        version = judge_version(judges, run_id, judge_id)  # refuses labels from two versions of the judge
    items = list(store.iter_items(run_id))
    reviewed = reviewed_labels(store, run_id, judge_id, items)
    labels, confirmed = confirmations(store, run_id, judge_id, reviewed.labels)
    return RunInput(
        run=run,
        items=items,
        labels=labels,
        confirmed=frozenset(confirmed),
        judge_error=judge_error_of(store, judge_id, version),
        adjust=lambda verdicts: note_reviews(verdicts, reviewed, run_id),
        counts=store.response_counts(run_id),
        all_labels=list(store.iter_labels(run_id)),
        response_text=_response_reader(store, run_id) if include_responses else None,
        attestations=attestations(store, run_id),
        complete=None if completeness is None else bool(completeness.complete),
        problems=tuple(completeness.problems()) if completeness is not None and not completeness.complete else (),
        expected_responses=int(run.expected_responses),
        attack_success=_attack_success_for(store, run, judge_id),
    )


def _attack_success_for(store: ResultStore, run: Any, judge_id: str) -> Any:
    """The run's attack success with every response's target queries; ``None`` without attack variants."""
    from accord.frameworks import attack_names
    from accord.pipeline._attack_score import attack_success

    if not attack_names(run.params)[1]:
        return None
    return attack_success(store, run.run_id, judge_id, save=False)


def _response_reader(store: ResultStore, run_id: str) -> Callable[[tuple[str, str, str, int]], str | None]:
    """Model output by response key, read once on first use (only for ``--include-responses``)."""
    cache: dict[tuple[str, str, str, int], str | None] = {}

    def text(key: tuple[str, str, str, int]) -> str | None:
        if not cache:
            for resp in store.iter_responses(run_id):
                cache[(resp.suite_id, resp.item_id, resp.variant_id, int(resp.epoch))] = resp.output if resp.output is not None else None
            cache.setdefault(("", "", "", -1), None)  # mark as read even when the run has no responses
        return cache.get(key)

    return text


def attestations(store: ResultStore, run_id: str, log_dir: Path | None = None) -> list[Attestation]:
    """The run's stored attestations (``accord attest`` keeps each envelope in the store), each
    with its digest (sha256 of the envelope bytes: the log entry), signer key id and, when the
    transparency log on this machine holds it, its index there."""
    import hashlib
    import json
    import os
    from datetime import datetime

    from accord.attest import Envelope, FileLog, default_log_dir
    from accord.report import VERIFY_KEYS_NOTE, verify_command

    stored = store.get_artifacts(run_id, "attestation")
    if not stored:
        return []
    out: list[Attestation] = []
    log: Any = None
    env = os.environ.get("ACCORD_LOG_DIR")
    # ``--log-dir``/``ACCORD_LOG_DIR`` as ``accord attest --log`` takes them, else the default.
    candidates = [default_log_dir(d) for d in (log_dir, Path(env) if env else None) if d is not None] + [default_log_dir()]
    directory = next((d for d in candidates if (d / "log.json").is_file()), None)
    try:
        log = FileLog.open(directory) if directory is not None else None
    except (AccordError, OSError, ValueError):
        log = None  # an unreadable log: the attestation is still shown, without an index
    try:
        for name, doc in sorted(stored.items()):
            try:
                envelope = Envelope.from_dict(doc)
                data = envelope.to_json()
            except (AccordError, ValueError):
                continue
            when = None
            try:
                created = json.loads(envelope.payload).get("predicate", {}).get("timeCreated")
                when = datetime.fromisoformat(str(created).replace("Z", "+00:00")) if created else None
            except (ValueError, AttributeError):
                when = None
            keyids = [s.get("keyid") for s in doc.get("signatures", []) if isinstance(s, dict) and s.get("keyid")]
            index = None
            if log is not None:
                try:
                    index = log.find(data)
                except (AccordError, OSError, ValueError):
                    index = None
            out.append(
                Attestation(
                    digest="sha256:" + hashlib.sha256(data).hexdigest(),
                    keyid=str(keyids[0])[:16] if keyids else name,
                    attested_at=when,
                    log_index=index,
                    log_origin=getattr(log, "origin", None) if index is not None else None,
                    verify=verify_command(run_id, index),
                    verify_note=VERIFY_KEYS_NOTE if index is not None else f"{run_id}.intoto.json: the envelope `accord attest {run_id} -o {run_id}.intoto.json` wrote. {VERIFY_KEYS_NOTE}",
                )
            )
    finally:
        if log is not None:
            log.close()
    return out


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
    include_responses: bool = False,
    item_rows: list[ItemRow] | None = None,
) -> ReportData:
    """Everything ``accord report`` does short of rendering: the one call a caller needs.

    ``packs`` are ids or YAML paths (default: every built-in pack); ``judge`` defaults to
    the judge that labelled every run (``choose_judge``). A run still running, missing
    planned responses or the judge's labels is refused (``IncompleteRunError``) unless
    ``allow_incomplete``; the report then says so at the top (summary and notes).
    ``include_responses`` puts model output in the drill-down (and ``item_rows``); ``item_rows``,
    when given, receives the full per-item table (``accord report --items``).
    """
    from accord.frameworks import resolve
    from accord.pipeline._complete import require_complete

    ids = list(run_ids)
    for rid in ids:
        store.require_run(rid)
    judge_id = choose_judge(store, ids, judge)
    done = [require_complete(store, rid, [judge_id], allow_incomplete=allow_incomplete, command="report") for rid in ids]
    data = build_report(
        [read_run(store, rid, judge_id, include_responses=include_responses, completeness=c) for rid, c in zip(ids, done, strict=True)],
        resolve(list(packs) if packs else None),
        judge_id=judge_id,
        card=judge_card(judge_id),
        title=title,
        item_rows=item_rows,
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
