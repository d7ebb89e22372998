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
    help="Label responses; validate, list and train judges.",
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
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress display.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Label every stored response of RUN (only those this judge has not labelled yet)."""
    import sys

    from accord.cli._common import err_console, open_store
    from accord.judges import DEFAULT_JUDGE, get_judge
    from accord.pipeline import label, want_progress

    store = open_store(db)
    store.require_run(run_id)
    out = err_console()
    mode = want_progress(no_progress or as_json)
    results = []
    for name in judge or [DEFAULT_JUDGE]:
        j = get_judge(name)
        with _LabelProgress(j.judge_id, mode, out) as advance:
            summary = label(store, run_id, j, batch_size=batch_size, relabel=relabel, progress=advance)
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
            "jbb-judge-comparison(-sent) is validation-only: test and all are every row, train is refused.",
        ),
    ] = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Score a judge against human labels (a public dataset or your own file), each figure with a 95% interval."""
    from accord.errors import InputError
    from accord.judges import get_judge, validate_labels_file
    from accord.judges import validate as run_validation

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
    if labels is not None:
        result = validate_labels_file(j, labels, task)
    else:
        assert dataset is not None
        result = run_validation(j, dataset, split=split or "test", data_dir=data_dir)  # type: ignore[arg-type]
    split = result.split
    dataset = result.dataset
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
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
