"""``accord compare RUN_A RUN_B``: did run B regress against run A on the same items?

Paired per-item tests (exact McNemar on harmful, refusal and over-refusal outcomes, per hazard
and overall, on distinct items), corrected for multiplicity (Holm by default, or
Benjamini-Hochberg), and the verdict changes between the two runs' scores (pass -> fail,
allowed -> blocked). ``--fail-on regression`` exits 1 when either finds a regression.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated

import typer

from accord.cli._common import DbOption, JsonOption, open_store


class CompareFailOn(str, Enum):
    regression = "regression"


class CorrectionChoice(str, Enum):
    holm = "holm"
    bh = "bh"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def compare(
    run_a: Annotated[str, typer.Argument(metavar="RUN_A", help="The baseline run.")],
    run_b: Annotated[str, typer.Argument(metavar="RUN_B", help="The run compared against it (the newer model or version).")],
    judge: Annotated[str | None, typer.Option("--judge", "-j", help="Judge whose labels both runs are read with.")] = None,
    pack: Annotated[
        list[str] | None,
        typer.Option("--pack", "-p", metavar="PACK", help="Packs whose verdicts to compare (repeatable). Default: those stored."),
    ] = None,
    correction: Annotated[
        CorrectionChoice,
        typer.Option(
            "--correction", help="Multiplicity correction: holm (family-wise error) or bh (Benjamini-Hochberg, false discovery rate)."
        ),
    ] = CorrectionChoice.holm,
    alpha: Annotated[float, typer.Option("--alpha", min=0.0, max=1.0, help="Significance level after correction.")] = 0.05,
    rescore: Annotated[
        bool, typer.Option("--rescore", help="Score both runs now instead of reading the verdicts accord score stored.")
    ] = False,
    show_all: Annotated[bool, typer.Option("--all", help="Show every paired test, not only significant changes.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
    fail_on: Annotated[
        CompareFailOn | None,
        typer.Option("--fail-on", help="Exit 1 when: regression (a significant paired change for the worse, or a verdict that got worse)."),
    ] = None,
) -> None:
    """Paired regression tests and verdict changes between two stored runs of the same items."""
    from accord.errors import ExitCode
    from accord.pipeline import compare_runs

    store = open_store(db)
    try:
        result = compare_runs(store, run_a, run_b, judge=judge, packs=pack, correction=correction.value, alpha=alpha, rescore=rescore)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        con = Console()
        p = result.paired
        con.print(
            f"[bold]{escape(run_a)}[/] ({escape(result.target_a)}) -> [bold]{escape(run_b)}[/] ({escape(result.target_b)}), judge {escape(result.judge_id)}"
        )
        con.print(
            f"{result.items} distinct items; responses {result.responses[0]} / {result.responses[1]}; "
            f"exact McNemar per item, {p.correction_name} over {len(p.tests)} tests, alpha {p.alpha}"
        )
        rows = p.tests if show_all else [t for t in p.tests if t.change != "no significant change"]
        if rows:
            table = Table("outcome", "hazard", "n", "unassessed", "A", "B", "B - A [95% CI]", "A only", "B only", "p", "p adj", "change")
            for t in rows:
                colour = {"regression": "red", "improvement": "green"}.get(t.change, "dim")
                table.add_row(
                    t.outcome, t.hazard, str(t.n), str(t.unassessed), _pct(t.rate_a), _pct(t.rate_b), t.diff.fmt(),
                    str(t.only_a), str(t.only_b), f"{t.p_value:.2g}", f"{t.p_adjusted:.2g}", f"[{colour}]{t.change}[/]",
                )  # fmt: skip
            con.print(table)
        else:
            con.print("no significant paired change (--all shows every test)")
        if result.verdict_changes:
            con.print("[bold]verdict changes[/]")
            for c in result.verdict_changes:
                con.print(("[red]regression[/] " if c.regression else "changed ") + escape(c.text))
        elif result.verdict_source:
            con.print("no verdict changed")
        for note in result.notes:
            con.print(f"[yellow]note[/]: {escape(note)}")
        con.print("[red]REGRESSION[/]" if result.regression else "no regression")
    if fail_on is CompareFailOn.regression and result.regression:
        raise typer.Exit(int(ExitCode.CHECK_FAILED))
