"""``accord judge``: label a run's responses; validate, list and train judges.

Explicit sub-commands only (``accord judge run RUN``), so a run named ``validate`` or
``train`` can never turn into another command; everything heavy is imported inside them.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from accord.cli._common import DataDirOption, DbOption, JsonOption, console

app = typer.Typer(
    no_args_is_help=True,
    help="Label responses; review them (human decisions); validate, list and train judges.",
)

JudgeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--judge",
        "-j",
        help="Judge name: embedded (default), pattern, llm:<target spec>, ensemble:a+b[;min=N][;tie=unsafe|unassessed], any-unsafe:a+b. Repeatable.",
    ),
]


@app.command("run")
def run(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="The run whose stored responses to label.")],
    judge: JudgeOption = None,
    db: DbOption = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Responses per judge call.")] = 256,
    relabel: Annotated[
        bool, typer.Option("--relabel", help="Replace labels written by another version of the judge (e.g. after a retrain).")
    ] = False,
    executor: Annotated[
        str | None,
        typer.Option("--executor", help="local (default) or ray[:ADDRESS]: judge batches on a Ray cluster's workers (PostgreSQL --db; docs/scale.md)."),
    ] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="With --executor ray: tasks at once (default: the cluster's CPUs).")] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress display.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Label every stored response of RUN (only those this judge has not labelled yet)."""
    import sys

    from accord.cli._common import err_console, open_store
    from accord.judges import DEFAULT_JUDGE, get_judge
    from accord.pipeline import label, parse_executor, want_progress

    how = parse_executor(executor)
    store = open_store(db)
    store.require_run(run_id)
    out = err_console()
    mode = want_progress(no_progress or as_json)
    results = []
    for name in judge or [DEFAULT_JUDGE]:
        j = get_judge(name)
        with _LabelProgress(j.judge_id, mode, out) as advance:
            summary = label(store, run_id, j, batch_size=batch_size, relabel=relabel, progress=advance, executor=how, workers=workers, name=name)
        results.append(summary.to_dict())
        if summary.stale:
            print(
                f"warning: {summary.stale} labels of {run_id} were written by another version of "
                f"{j.judge_id} and were kept; run `accord judge run {run_id} --judge {name} --relabel` to replace them",
                file=sys.stderr,
            )
        if as_json:
            continue
        replaced = f", {summary.replaced} replaced (older version)" if summary.replaced else ""
        print(
            f"{j.judge_id} {j.version}: {summary.new} new labels{replaced} "
            f"({summary.unassessed} unassessed), {summary.skipped} already labelled"
        )
    if as_json:
        typer.echo(json.dumps(results[0] if len(results) == 1 else results))


class _LabelProgress:
    """A rich bar on a terminal, a plain line every few seconds elsewhere (logs, CI)."""

    def __init__(self, label: str, mode: str | None, out: Any) -> None:
        from accord.pipeline import line_interval_s

        self.label = label
        self.mode = mode
        self.out = out
        self.every_s = line_interval_s()
        self._bar: Any = None
        self._task: Any = None
        self._last = 0.0
        self._started = 0.0
        self._state = (0, 0)

    def __enter__(self) -> Any:
        import time

        self._started = self._last = time.monotonic()
        if self.mode == "bar":
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=self.out)
            self._bar.start()
            self._task = self._bar.add_task("label", total=None)
        return self.advance

    def advance(self, done: int, total: int) -> None:
        import time

        self._state = (done, total)
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total)
        elif self.mode == "lines" and time.monotonic() - self._last >= self.every_s:
            self._line()

    def _line(self) -> None:
        import sys
        import time

        from accord.pipeline import progress_line

        self._last = time.monotonic()
        print(progress_line(f"label {self.label}", *self._state, self._last - self._started), file=sys.stderr, flush=True)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif self.mode == "lines":
            self._line()


@app.command("validate")
def validate(
    dataset: Annotated[
        str | None,
        typer.Option(
            "--dataset",
            "-d",
            help="xstest, xstest-harmful, pyrit-refusal, pyrit-objective, pyrit-harm, jbb-judge-comparison or jbb-judge-comparison-sent.",
        ),
    ] = None,
    labels: Annotated[
        str | None,
        typer.Option("--labels", help="Your own labelled file (.jsonl/.csv: prompt, response, refusal|refused|harmful; see docs/judges.md)."),
    ] = None,
    task: Annotated[
        str | None, typer.Option("--task", help="With --labels: refusal3, refused or harmful (default: the label every record has).")
    ] = None,
    judge: Annotated[str, typer.Option("--judge", "-j", help="Judge name (see `accord judge list`).")] = "embedded",
    split: Annotated[
        str | None,
        typer.Option(
            "--split",
            help="With --dataset: test (held out from the embedded judge, default), train or all. "
            "jbb-judge-comparison(-sent): test is the 59 rows of held-out goals, all is the 178 rows.",
        ),
    ] = None,
    data_dir: DataDirOption = None,
    record: Annotated[
        bool,
        typer.Option(
            "--record",
            help="With --labels: store the result in the results database, so score, report and attest of this judge "
            "use its error rates for the languages the file covers.",
        ),
    ] = False,
    recorded_by: Annotated[
        str | None, typer.Option("--recorded-by", help="With --record: who labelled or recorded the file (free text, kept with it).")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Score a judge against human labels (a public dataset or your own file), each figure with a 95% interval."""
    from accord.errors import InputError
    from accord.judges import get_judge, validate_labels_file
    from accord.judges import validate as run_validation

    if record and labels is None:
        raise InputError(
            "--record needs --labels",
            field="--record",
            expected="--labels FILE (your own labelled file)",
            fix="the public datasets' figures are on the judge's card already (accord judge list); record your own labels with --labels FILE --record",
        )
    if recorded_by is not None and not record:
        raise InputError("--recorded-by applies to --record only", field="--recorded-by", expected="--labels FILE --record --recorded-by NAME")
    if (dataset is None) == (labels is None):
        raise InputError(
            "give exactly one of --dataset and --labels", field="--dataset", expected="a public dataset name or your labelled file"
        )
    if labels is not None and split is not None:
        raise InputError("--split applies to --dataset only", field="--split", expected="no --split with --labels (every record is scored)")
    if dataset is not None and task is not None:
        raise InputError("--task applies to --labels only", field="--task", expected="no --task with --dataset (each dataset has its task)")
    if split is not None and split not in ("test", "train", "all"):
        raise InputError("unknown split", field="--split", expected="test, train or all", got=split)
    if task is not None and task not in ("refusal3", "refused", "harmful"):
        raise InputError("unknown task", field="--task", expected="refusal3, refused or harmful", got=task)
    j = get_judge(judge)
    recorded: Any = None
    if labels is not None:
        store, digest = None, None
        if record:
            from pathlib import Path

            from accord.cli._common import open_store
            from accord.pipeline import file_digest

            store = open_store(db)  # before judging: a wrong --db fails at once
            if Path(labels).is_file():  # the bytes scored are the bytes digested (a missing file: the loader says so)
                digest = file_digest(labels)
        result = validate_labels_file(j, labels, task)
        if store is not None:
            from accord.pipeline import describe_validation, record_validation

            assert digest is not None
            rec = record_validation(store, result, source=labels, source_digest=digest, recorded_by=recorded_by)
            recorded = describe_validation(rec)
    else:
        assert dataset is not None
        result = run_validation(j, dataset, split=split or "test", data_dir=data_dir)  # type: ignore[arg-type]
    split = result.split
    dataset = result.dataset
    if as_json:
        doc = result.to_dict()
        if recorded is not None:
            doc["recorded"] = recorded
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    a = result.agreement
    table = Table(title=f"{result.judge} on {dataset} ({split} split, task {result.task}, {a.average})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("95% interval", justify="right")
    for name in ("accuracy", "precision", "recall", "f1", "kappa"):
        est = getattr(a, name)
        interval = "n/a" if est.lo is None else f"[{est.lo:.3f}, {est.hi:.3f}]"
        table.add_row(name, "n/a" if est.value is None else f"{est.value:.3f}", interval)
    out = console()
    out.print(table)
    out.print(f"n={a.n}  assessed={a.n_assessed}  unassessed={a.n_unassessed}  judge version {result.judge_version}")
    if len(result.by_locale) > 1 or set(result.by_locale) - {"en"}:
        for locale, la in result.by_locale.items():
            out.print(f"  locale {locale}: accuracy {la.accuracy.fmt()}, kappa {la.kappa.fmt()}, n={la.n}")
    if result.task == "harmful":
        lo = "n/a" if a.recall.lo is None else f"{a.recall.lo:.3f}"
        out.print(f"harmful recall {a.recall.fmt()}; lower bound {lo} (a floor's bound is divided by it)")
    if result.references or result.human_pairs:
        names = result.reference_names
        ref = Table(title=f"the same {a.n} rows, same gold labels: {result.judge} beside the reference judges")
        for col in ("judge", "accuracy [95% CI]", "kappa [95% CI]", "recall [95% CI]", "n"):
            ref.add_column(col, justify="left" if col == "judge" else "right")
        others = [(f"{k}: {names.get(k, 'reference')}", v) for k, v in result.references.items()]
        others += list(result.human_pairs.items())
        for name, ag in [(f"{result.judge} (this run)", a), *others]:
            ref.add_row(name, ag.accuracy.fmt(), ag.kappa.fmt(), ag.recall.fmt(), f"{ag.n_assessed}/{ag.n}")
        out.print(ref)
        if result.human_kappa_range is not None:
            lo_k, hi_k = result.human_kappa_range
            out.print(f"humans agree with each other at kappa {lo_k:.3f}-{hi_k:.3f} (pairwise): the realistic ceiling")
    if recorded is not None:
        _print_recorded(recorded)


def _print_recorded(rec: dict[str, Any]) -> None:
    """What --record stored, and what it now changes (plain text: file names are data, never markup)."""
    used = [f"{loc} (n={e['n_assessed']}{', thin: wide intervals' if e['thin'] else ''})" for loc, e in rec["locales"].items() if e["n_assessed"]]
    empty = [loc for loc, e in rec["locales"].items() if not e["n_assessed"]]
    by = f" by {rec['recorded_by']}" if rec["recorded_by"] else ""
    print(
        f"recorded validation #{rec['id']}: {rec['judge_id']} {rec['judge_version']}, task {rec['task']}, "
        f"{rec['n']} rows of {rec['source']} ({rec['digest_short']}){by}"
    )
    if used:
        print(
            f"accord score, report and attest of {rec['judge_id']} {rec['judge_version']} now use these error rates "
            f"for: {', '.join(used)}"
        )
    if empty:
        print(f"no row the judge assessed in: {', '.join(empty)} (nothing measured there, not used)")


@app.command("validations")
def validations(
    judge: Annotated[str | None, typer.Option("--judge", "-j", help="Only this judge's validations (its id, e.g. embedded).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List judges' recorded validations against labelled files (accord judge validate --labels FILE --record), oldest first."""
    from accord.pipeline import THIN_ROWS, list_validations, open_store

    store = open_store(db, create=False, read_only=True)
    rows = list_validations(store, judge)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        print("no recorded validations" + (f" of {judge}" if judge else "") + "; record one with: accord judge validate --labels FILE --record")
        return
    out = console()
    p = lambda text: out.print(text, markup=False, highlight=False, soft_wrap=True)  # noqa: E731  (data, never markup)
    fmt = lambda r: "n/a" if r["value"] is None else f"{r['value']:.3f} [{r['lo']:.3f}, {r['hi']:.3f}]"  # noqa: E731
    thin = False
    for row in rows:
        by = f" by {row['recorded_by']}" if row["recorded_by"] else ""
        p(
            f"#{row['id']} {row['judge_id']} {row['judge_version']}  task {row['task']}  {row['source']} {row['digest_short']}  "
            f"{row['n']} rows  recorded {row['recorded_at'][:10]}{by}"
        )
        for locale, e in row["locales"].items():
            n = f"n={e['n_assessed']}" + (f" of {e['n']}" if e["n"] != e["n_assessed"] else "") + (" (thin)" if e["thin"] else "")
            thin = thin or e["thin"]
            rates = "; ".join(
                f"{label}: sensitivity {fmt(m['sensitivity'])}, specificity {fmt(m['specificity'])}" for label, m in e["labels"].items()
            )
            p(f"    {locale}  {n}  {rates}")
    p("sensitivity: judged positive among the gold positives; specificity: judged negative among the gold negatives (95% Wilson intervals)")
    if thin:
        p(f"thin: fewer than {THIN_ROWS} assessed rows in that locale; its rates are used all the same, with wide intervals")


@app.command("list")
def list_judges(as_json: JsonOption = False) -> None:
    """Each judge with its version, what it needs, and its last measured agreement."""
    from accord.judges import catalog

    rows = catalog()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    table = Table(title="judges: agreement with human labels on the held-out test split (95% interval)")
    for col in ("judge", "version", "needs", "dataset", "last measured agreement"):
        table.add_column(col)
    from rich.markup import escape

    for row in rows:
        measured = list(row["agreement"].items()) or [("-", row["description"])]
        for i, (dataset, text) in enumerate(measured):
            head = (row["judge"], row["version"], row["needs"]) if i == 0 else ("", "", "")
            table.add_row(*(escape(str(cell)) for cell in (*head, dataset, text)))  # data, never markup
    console().print(table)


@app.command("train")
def train(
    out_dir: Annotated[
        str,
        typer.Option(
            "--out-dir",
            help="Directory for embedded.npz and its card (required: nothing is written into the installed package; "
            "maintainers refresh the committed artefact with --out-dir src/accord/judges/models).",
        ),
    ],
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fit the embedded judge on the train split of the human-labelled data; write artefact + card."""
    from pathlib import Path

    from accord.cli._common import err_console
    from accord.judges import CARD_PATH, MODEL_PATH, train_and_write

    base = Path(out_dir)
    base.mkdir(parents=True, exist_ok=True)
    model_path, card_path = base / MODEL_PATH.name, base / CARD_PATH.name
    out = console()
    note = err_console()
    card = train_and_write(data_dir, model_path, card_path, progress=lambda m: note.print(m, style="dim", markup=False))
    if as_json:
        typer.echo(json.dumps(card, indent=2, ensure_ascii=False))
        return
    out.print(f"wrote {model_path} ({card['artefact']['bytes']} bytes) and {card_path}")
    for dataset, entry in card["agreement"].items():
        acc = entry["embedded"]["accuracy"]
        kap = entry["embedded"]["kappa"]
        out.print(
            f"  {dataset} ({entry['task']}, test n={entry['embedded']['n']}): "
            f"accuracy {acc['value']:.3f} [{acc['lo']:.3f}, {acc['hi']:.3f}], kappa {kap['value']:.3f} [{kap['lo']:.3f}, {kap['hi']:.3f}]"
        )




@app.command("review")
def review(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="The labelled run whose responses to review.")],
    show: Annotated[
        str | None,
        typer.Option("--show", metavar="KEY", help="Print one response's request and output for a reviewer (the text may be harmful)."),
    ] = None,
    decide_key: Annotated[
        str | None, typer.Option("--decide", metavar="KEY", help="Record a decision on one response (suite/item[/variant][#epoch]).")
    ] = None,
    harmful: Annotated[str | None, typer.Option("--harmful", metavar="yes|no", help="With --decide: is the response harmful?")] = None,
    refusal: Annotated[
        str | None,
        typer.Option("--refusal", metavar="full|partial|none", help="With --decide: how far it refused (a full refusal is never harmful)."),
    ] = None,
    reviewer: Annotated[
        str | None, typer.Option("--reviewer", envvar="ACCORD_REVIEWER", help="Who decides (default: ACCORD_REVIEWER); required to decide.")
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="With --decide: a short note on the decision (at most 2000 characters).")
    ] = None,
    decisions: Annotated[
        str | None,
        typer.Option("--decisions", metavar="FILE", help="Record every decision of a JSONL file (all or none; see docs/judges.md)."),
    ] = None,
    pending: Annotated[bool, typer.Option("--pending", help="List only the responses that await a decision.")] = False,
    judge: Annotated[
        str | None, typer.Option("--judge", "-j", help="Count floor-hazard harmful labels of this judge only (the one you score with).")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the responses of RUN that need a person (judges disagree, or harmful on a floor hazard) and record decisions.

    Until decided, such a response counts as unassessed (reason needs-review) in every score.
    Outputs are never printed except with --show.
    """
    import sys

    from accord.errors import InputError

    modes = [name for name, value in (("--show", show), ("--decide", decide_key), ("--decisions", decisions)) if value is not None]
    if len(modes) > 1:
        raise InputError("give at most one of --show, --decide and --decisions", field=modes[1], expected="one action per command")
    if decide_key is None:
        for name, value in (("--harmful", harmful), ("--refusal", refusal), ("--note", note)):
            if value is not None:
                raise InputError(f"{name} applies to --decide only", field=name, expected=f"--decide KEY {name} ...")
    if modes and (pending or judge is not None):
        raise InputError(
            "--pending and --judge apply to the list only",
            field="--pending" if pending else "--judge",
            expected="no --show/--decide/--decisions",
        )
    if decide_key is not None and harmful is None:
        raise InputError("--decide needs --harmful", field="--harmful", expected="yes or no")
    if harmful is not None and harmful.lower() not in ("yes", "no"):
        raise InputError("not a harmful decision", field="--harmful", expected="yes or no", got=harmful)
    if refusal is not None and refusal not in ("full", "partial", "none"):
        raise InputError("not a refusal level", field="--refusal", expected="full, partial or none", got=refusal)

    from accord.pipeline import open_store

    if decide_key is not None or decisions is not None:
        store = open_store(db, create=False)
        if decide_key is not None:
            from accord.pipeline import decide, format_key

            assert harmful is not None
            rv = decide(store, run_id, decide_key, harmful=harmful.lower(), refusal=refusal, reviewer=reviewer, note=note)
            if as_json:
                typer.echo(json.dumps(_decision_json(rv, format_key)))
                return
            overrides = ", ".join(
                f"{o['judge_id']} {o['judge_version']}: "
                + ("unassessed" if o["unassessed"] else ("harmful" if o["harmful"] else "not harmful"))
                for o in rv.overrides
            )
            print(
                f"recorded decision #{rv.decision} on {format_key(rv.key)}: harmful {'yes' if rv.harmful else 'no'}"
                f"{f', refusal {rv.refusal}' if rv.refusal else ''}, by {rv.reviewer} at {rv.decided_at.isoformat()} "
                f"(reason {rv.reason}; overrides {overrides or 'no label'})"
            )
            return
        from accord.pipeline import format_key, import_decisions

        assert decisions is not None
        recorded = import_decisions(store, run_id, decisions, reviewer=reviewer)
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "run_id": run_id,
                        "file": decisions,
                        "recorded": len(recorded),
                        "decisions": [_decision_json(rv, format_key) for rv in recorded],
                    }
                )
            )
            return
        print(f"recorded {len(recorded)} decision(s) on run {run_id} from {decisions}")
        return

    store = open_store(db, create=False, read_only=True)
    if show is not None:
        from accord.pipeline import show_response

        shown = show_response(store, run_id, show)
        print(
            "warning: the text below is a model's output to a test request and may itself be harmful; "
            "it is printed because you asked for it (--show) and is shown nowhere else",
            file=sys.stderr,
        )
        if as_json:
            typer.echo(json.dumps(shown, ensure_ascii=False))
            return
        _print_shown(shown)
        return

    from accord.pipeline import review_list

    listed = review_list(store, run_id, judge=judge, pending_only=pending)
    if as_json:
        typer.echo(json.dumps(listed.to_dict(), ensure_ascii=False))
        return
    _print_review_list(listed)


def _decision_json(rv: Any, format_key: Any) -> dict[str, Any]:
    return {"key": format_key(rv.key), **rv.model_dump(mode="json")}


def _verdict_word(label: dict[str, Any]) -> str:
    if label["unassessed"]:
        return f"unassessed ({label['unassessed']})"
    return ("harmful" if label["harmful"] else "not harmful") + (f", refusal {label['refusal']}" if label["refusal"] else "")


def _print_review_list(listed: Any) -> None:
    """One line per response, the key first and whole (what a reviewer copies into --show/--decide)."""
    out = console()
    p = lambda text: out.print(text, markup=False, highlight=False, soft_wrap=True)  # noqa: E731  (data, never markup)
    scope = f"floor-hazard harmful labels of {listed.judge_id}" if listed.judge_id else "floor-hazard harmful labels of any judge"
    p(f"run {listed.run_id}: responses for human review (judges disagree on harmful; {scope})")
    for e in listed.entries:
        d = e.decision
        judges = "; ".join(f"{lb['judge_id']} {_verdict_word(lb)}" for lb in e.labels) or "no label"
        if d is None:
            decision = "PENDING"
        else:
            decision = "decided: " + ("harmful" if d.harmful else "not harmful") + (f", refusal {d.refusal}" if d.refusal else "")
            decision += f" by {d.reviewer} at {d.decided_at.isoformat(timespec='seconds')}"
            decision += f" (decision #{d.decision})" if e.decisions > 1 else ""
        reasons = ", ".join(e.reasons) or "decided on request"
        p(f"{e.key_text}  [{e.hazard}] {reasons} | {judges} | {decision}")
    p(
        f"{listed.needing} need review: {listed.pending} pending (scored as unassessed, reason needs-review), "
        f"{listed.needing - listed.pending} decided; {listed.decided} response(s) carry a decision in all"
    )
    if listed.pending:
        p(
            f"read one: accord judge review {listed.run_id} --show KEY; decide: accord judge review {listed.run_id} "
            "--decide KEY --harmful yes|no [--refusal full|partial|none] --reviewer NAME"
        )


def _print_shown(shown: dict[str, Any]) -> None:
    out = console()
    p = lambda text: out.print(text, markup=False, highlight=False, soft_wrap=True)  # noqa: E731  (data, never markup; never re-wrapped)
    p(f"run {shown['run_id']}  response {shown['key']}  hazard {shown['hazard']}  intent {shown['intent']}  status {shown['status']}")
    p(f"needs review: {', '.join(shown['reasons']) or 'no'}")
    for lb in shown["labels"]:
        flags = f" flags {', '.join(lb['flags'])}" if lb.get("flags") else ""
        p(f"  {lb['judge_id']} {lb['judge_version']}: {_verdict_word(lb)}{flags}")
    for d in shown["decisions"]:
        refusal = f", refusal {d['refusal']}" if d["refusal"] else ""
        note = f" - {d['note']}" if d["note"] else ""
        p(f"  decision #{d['decision']} by {d['reviewer']} at {d['decided_at']}: harmful {'yes' if d['harmful'] else 'no'}{refusal}{note}")
    p("")
    p("----- request (as the suite states it) -----")
    for m in shown["request"]:
        p(f"[{m['role']}] {m['content']}")
    if shown["sent"] is not None:
        p("----- sent to the model (the attack's variant) -----")
        for m in shown["sent"]:
            p(f"[{m['role']}] {m['content']}")
    p(f"----- output (finish reason {shown['finish_reason']}) -----")
    p(shown["output"] if shown["output"] is not None else "(no output)")
