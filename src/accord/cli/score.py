"""``accord score RUN``: turn a run's stored labels into verdicts under each pack.

No generation and no judging: the same stored responses, read under several frameworks on
top of the universal floor. Verdicts are saved in the store as artifacts of the run.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from accord.cli._common import DbOption, FailOnOption, JsonOption, check_gate, open_store

AllowIncompleteOption = Annotated[
    bool,
    typer.Option(
        "--allow-incomplete",
        help="Go on with a run that is still running, misses planned responses or the judge's labels (the output says so).",
    ),
]


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


_COLOUR = {"pass": "green", "allowed": "green", "fail": "red", "blocked": "red", "insufficient": "yellow", "insufficient evidence": "yellow", "reported": "dim"}


def _c(text: str) -> str:
    colour = _COLOUR.get(text)
    return f"[{colour}]{text}[/]" if colour else text


def score(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="The run whose labels to score.")],
    pack: Annotated[
        list[str] | None,
        typer.Option("--pack", "-p", metavar="PACK", help="Pack id or pack YAML file (repeatable). Default: every built-in pack except samples (company-example)."),
    ] = None,
    judge: Annotated[str | None, typer.Option("--judge", "-j", help="Judge id whose labels to use (needed when several judges labelled the run).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
    save: Annotated[bool, typer.Option("--save/--no-save", help="Store the verdicts as artifacts of the run.")] = True,
    examples: Annotated[int, typer.Option("--examples", min=0, help="Divergence examples to show per pack pair.")] = 2,
    fail_on: FailOnOption = None,
    allow_incomplete: AllowIncompleteOption = False,
) -> None:
    """Verdicts per pack and requirement, the floor, the deployment decision and divergence.

    With --fail-on, exits 1 when the verdicts trip that level (for CI gates). A run still
    running, missing planned responses or the judge's labels is refused (exit 3) unless
    --allow-incomplete.
    """
    from datetime import date

    from accord.frameworks import deployment_matrix, format_attack_success
    from accord.pipeline import score as score_job

    store = open_store(db)
    result = score_job(store, run_id, pack, judge=judge, as_of=date.today(), save=save, allow_incomplete=allow_incomplete)
    verdicts = {result.target: result.verdicts}
    matrix = deployment_matrix(verdicts)
    attacks = _attack_success(store, run_id, result.judge_id, save)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "run_id": result.run_id,
                    "target": result.target,
                    "judge_id": result.judge_id,
                    "judge_version": result.judge_version,
                    "responses": len(result.table),
                    "awaiting_review": result.awaiting_review,
                    "reviewed": result.reviewed,
                    "completeness": result.completeness,
                    "verdicts": [v.model_dump(mode="json") for v in result.verdicts],
                    "deployment": matrix.model_dump(mode="json"),
                    "divergence": result.divergence.to_dict(examples_per_cell=examples),
                    "attack_success": attacks.to_dict() if attacks is not None else None,
                },
                ensure_ascii=False,
            )
        )
    else:
        _print(result, matrix, examples)
        if attacks is not None:
            from rich.console import Console

            out = Console(highlight=False)
            out.print("\n[bold]attack success[/] (harmful answers to harmful requests; intervals clustered by behaviour)")
            for line in format_attack_success(attacks):
                out.print(line, markup=False)
    check_gate(verdicts, matrix, fail_on)


def _attack_success(store: Any, run_id: str, judge_id: str, save: bool) -> Any:
    """The run's attack success (issue 19) when it has attack variants, else ``None``."""
    from accord.frameworks import attack_names
    from accord.pipeline import attack_success

    run = store.require_run(run_id)
    if not attack_names(run.params)[1]:
        return None
    return attack_success(store, run_id, judge_id, save=save)


def _print(result: Any, matrix: Any, examples: int) -> None:
    from rich.console import Console
    from rich.markup import escape as esc
    from rich.table import Table

    out = Console()  # markup on for the colours below; every piece of data goes through esc()
    vs = result.verdicts
    floor = vs[0].floor
    out.print(
        f"[bold]run[/] {esc(result.run_id)} · target {esc(result.target)} · judge {esc(result.judge_id)} ({esc(result.judge_version)}) · "
        f"{len(result.table):,} responses, {vs[0].n_unassessed:,} unassessed"
    )
    done = result.completeness or {}
    if done and not done.get("complete", True):
        out.print(
            f"[bold yellow]INCOMPLETE (--allow-incomplete):[/] {done['missing']:,} of {done['planned']:,} planned responses missing, "
            f"{sum(done['unlabelled'].values()):,} unlabelled" + (", still running" if done["status"] == "running" else "")
        )
    if result.awaiting_review:
        out.print(
            f"[yellow]{result.awaiting_review:,} response(s) await human review and count as unassessed:[/] "
            f"accord judge review {esc(result.run_id)} --pending"
        )
    if vs[0].unmapped_hazards:
        out.print(f"[yellow]hazards not in the taxonomy (scored with each pack's defaults):[/] {esc(str(vs[0].unmapped_hazards))}")

    ft = Table(title=f"universal floor: {_c(floor.status)} — {esc(floor.detail)}")
    for col in ("hazard", "n", "violations", "confirmed harmful", "rate", "95% CI", "unassessed"):
        ft.add_column(col)
    for p in floor.per_hazard:
        ft.add_row(p.hazard, str(p.n), str(p.violations), str(p.confirmed), _pct(p.value), f"{_pct(p.ci_low)}–{_pct(p.ci_high)}", str(p.unassessed))
    ft.add_row("all floor hazards", str(floor.n), str(floor.violations), str(floor.confirmed), _pct(floor.value), f"{_pct(floor.ci_low)}–{_pct(floor.ci_high)}", str(floor.unassessed))
    out.print(ft)

    dt = Table(title="deployment")
    for col in ("jurisdiction", "packs", "decision", "grades", "reasons"):
        dt.add_column(col)
    for c in matrix.cells:
        reasons = "\n".join(esc(f"{r.requirement_id}: {r.detail} [{r.cite}; {r.conf}]") for r in c.reasons[:4])
        if len(c.reasons) > 4:
            reasons += f"\n… {len(c.reasons) - 4} more"
        dt.add_row(esc(c.jurisdiction_name or c.jurisdiction), ", ".join(c.packs), _c(c.decision), esc(", ".join(f"{k}: {v}" for k, v in c.grades.items() if v)), reasons)
    out.print(dt)

    for v in vs:
        if not v.requirements:
            continue
        t = Table(title=esc(f"{v.pack_name} [{v.pack_id} {v.pack_version}] — grade {v.grade}") + (f", weighted acceptable rate {v.score:.3f}" if v.score is not None else ""))
        for col in ("requirement", "metric", "n", "value", "95% CI", "bar", "status", "unassessed", "source"):
            t.add_column(col)
        last_cite = None
        for r in v.requirements:
            source = "(as above)" if r.cite == last_cite else esc(f"{r.cite} ({r.conf})")
            last_cite = r.cite
            bar = f"{r.threshold_op} {_pct(r.threshold)}" if r.threshold is not None else ""
            if r.n < r.min_n and r.threshold is not None:
                bar += f" (n ≥ {r.min_n})"
            status = _c(r.status) + (f" · {r.grade}" if r.grade else "")
            t.add_row(esc(r.requirement_id), r.metric, str(r.n), _pct(r.value), f"{_pct(r.ci_low)}–{_pct(r.ci_high)}", bar, status, str(r.unassessed), source)
        out.print(t)
        for note in v.notes:
            out.print(f"  [dim]note: {esc(note)}[/]")

    div = result.divergence
    ids = list(div.pack_ids)
    mt = Table(title="divergence: responses the row pack accepts and the column pack rejects")
    mt.add_column("")
    for p in ids:
        mt.add_column(p)
    for i, p in enumerate(ids):
        mt.add_row(p, *[("" if i == j else str(int(div.matrix[i, j]))) for j in range(len(ids))])
    out.print(mt)
    out.print(f"{len(div.disagreeing_rows()):,} of {len(result.table):,} responses are acceptable to some packs and not to others")
    if examples:
        shown = 0
        for i, p in enumerate(ids):
            for j, q in enumerate(ids):
                if i != j and div.matrix[i, j]:
                    for e in div.examples(p, q, examples):
                        line = f"  {p} accepts, {q} rejects: {e['suite_id']}/{e['item_id']} [{e['variant_id']}] epoch {e['epoch']} hazard {e['hazard']} ({e['intent']}, {e['locale']})"
                        out.print(esc(line))
                        shown += 1
                    if shown >= 12:
                        return
