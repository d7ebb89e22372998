"""``accord horizon``: trends and forecasts of when regulation's thresholds will bind.

Reads Epoch's and METR's published files in place from ``--data-dir`` / ``ACCORD_DATA_DIR``
(``horizon/``), or newer exports given with ``--data KIND=FILE`` / ``--data FETCHED-NAME``.
Markdown on stdout by default, ``--json`` for one JSON document; ``report`` writes a whole
outlook (``--format md|json|html``, ``-o FILE``; with ``--db``, accord's own runs over time).
``--as-of DATE`` uses only data published before DATE; ``backtest`` scores such a forecast
against what came after; ``runs`` shows the stored runs' rates by model release date.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from accord.cli._common import DataDirOption, DbOption, JsonOption

app = typer.Typer(no_args_is_help=True, help="Horizon scanning: compute and capability trends, threshold crossings, export controls.")

AsOfOption = Annotated[str | None, typer.Option("--as-of", help="Use only data published before this date (YYYY-MM-DD).")]
BootOption = Annotated[int, typer.Option("--bootstrap", min=100, help="Bootstrap resamples for the intervals.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed of the bootstrap (results are reproducible).")]
DataOption = Annotated[
    list[str] | None,
    typer.Option(
        "--data",
        help="Replace a data file: KIND=FILE (KIND: models, chips, eci, metr; a newer Epoch export with the same columns) "
        "or a dataset fetched with `accord data fetch` (epoch-notable-models, epoch-large-scale-models, epoch-frontier-models, epoch-ml-hardware). Repeatable.",
    ),
]
ReleasedOption = Annotated[
    list[str] | None,
    typer.Option(
        "--released",
        help="Release date of a model for runs without a monitor's date: NAME=YYYY-MM-DD (NAME: run id, target or version). Repeatable.",
    ),
]
JudgeOption = Annotated[
    str | None, typer.Option("--judge", help="Judge whose labels the runs are read with (default: each run's preferred judge).")
]


def _date(value: str | None, field: str) -> dt.date | None:
    from accord.errors import InputError

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError("not a date", field=field, expected="YYYY-MM-DD", got=value) from None


def _emit(
    sections: tuple[str, ...], data_dir: str | None, as_of: str | None, as_json: bool, data: list[str] | None = None, **kw: object
) -> None:
    from accord.pipeline import horizon_outlook, parse_data_overrides, render_outlook

    files = parse_data_overrides(data)
    doc = horizon_outlook(data_dir, as_of=_date(as_of, "--as-of"), sections=sections, files=files, **kw)  # type: ignore[arg-type]
    typer.echo(render_outlook(doc, "json" if as_json else "md"))


@app.command("trend")
def trend(
    data_dir: DataDirOption = None,
    as_of: AsOfOption = None,
    top_n: Annotated[int, typer.Option("--top-n", min=1, help="Frontier = top N by compute at publication.")] = 10,
    data: DataOption = None,
    bootstrap: BootOption = 2000,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Growth of frontier training compute per year, with its interval (vs Epoch's x4-5)."""
    _emit(("trend",), data_dir, as_of, as_json, data, top_n=top_n, n_boot=bootstrap, seed=seed)


@app.command("crossings")
def crossings(
    data_dir: DataDirOption = None,
    as_of: AsOfOption = None,
    months: Annotated[int, typer.Option("--months", min=3, max=120, help="Forecast window.")] = 24,
    data: DataOption = None,
    bootstrap: BootOption = 2000,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Expected models above 10^25 / 10^26 FLOP per quarter, and when the largest run passes 10^27."""
    _emit(("crossings",), data_dir, as_of, as_json, data, months=months, n_boot=bootstrap, seed=seed)


@app.command("metr")
def metr(
    data_dir: DataDirOption = None,
    as_of: AsOfOption = None,
    bootstrap: BootOption = 2000,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Doubling time of METR's 50% time horizon (METR's method), vs METR's published figure.

    With --as-of the fit uses only models released before DATE and is scored against the SOTA
    models released after it (coverage of the 95% prediction intervals, error in doublings).
    """
    d = _date(as_of, "--as-of")
    _emit(("metr",), data_dir, as_of, as_json, metr_backtests=(d,) if d else (), n_boot=bootstrap, seed=seed)


@app.command("eci")
def eci(
    data_dir: DataDirOption = None,
    as_of: AsOfOption = None,
    data: DataOption = None,
    bootstrap: BootOption = 2000,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Epoch Capabilities Index at the frontier: points per year with its interval."""
    _emit(("eci",), data_dir, as_of, as_json, data, n_boot=bootstrap, seed=seed)


@app.command("chips")
def chips(
    data_dir: DataDirOption = None,
    as_of: AsOfOption = None,
    which: Annotated[str, typer.Option("--chips", help="ml (Epoch's ML accelerators), controlled, or all.")] = "ml",
    data: DataOption = None,
    bootstrap: BootOption = 2000,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
) -> None:
    """TPP and performance density of every chip in Epoch's hardware data, against ECCN 3A090."""
    _emit(("chips",), data_dir, as_of, as_json, data, chips=which, n_boot=bootstrap, seed=seed)


@app.command("backtest")
def backtest_cmd(
    as_of: Annotated[list[str], typer.Option("--as-of", help="Forecast from this date (repeatable).")],
    data_dir: DataDirOption = None,
    data: DataOption = None,
    metr: Annotated[bool, typer.Option("--metr", help="Also backtest METR's doubling time from each date.")] = False,
    bootstrap: BootOption = 2000,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Forecast crossings from earlier dates and score coverage and error against what came after."""
    dates = tuple(d for v in as_of if (d := _date(v, "--as-of")) is not None)
    from accord.pipeline import horizon_outlook, parse_data_overrides, render_outlook

    doc = horizon_outlook(
        data_dir,
        sections=(),
        backtests=dates,
        metr_backtests=dates if metr else (),
        n_boot=bootstrap,
        seed=seed,
        files=parse_data_overrides(data),
    )
    typer.echo(render_outlook(doc, "json" if as_json else "md"))


@app.command("runs")
def runs_cmd(
    db: DbOption = None,
    released: ReleasedOption = None,
    judge: JudgeOption = None,
    as_json: JsonOption = False,
) -> None:
    """accord's own stored runs over time: refusal and harmful rates per hazard by model release date."""
    from accord.pipeline import parse_released, render_outlook, stored_runs

    section = stored_runs(db, parse_released(released), judge=judge)
    if as_json:
        import json

        typer.echo(json.dumps(section, indent=2))
    else:
        typer.echo(render_outlook({"asOf": "stored runs", "runs": section}, "md"))


@app.command("report")
def report(
    data_dir: DataDirOption = None,
    as_of: AsOfOption = None,
    fmt: Annotated[str, typer.Option("--format", help="md, json or html (one self-contained page).")] = "md",
    output: Annotated[str | None, typer.Option("-o", "--output", help="Write to this file instead of stdout.")] = None,
    backtest_from: Annotated[
        list[str] | None, typer.Option("--backtest", help="Add a backtest from this date (repeatable; crossings and METR).")
    ] = None,
    which: Annotated[str, typer.Option("--chips", help="ml, controlled or all.")] = "controlled",
    data: DataOption = None,
    db: Annotated[
        str | None, typer.Option("--db", help="Add accord's own stored runs over time from this results store (URL or path).")
    ] = None,
    released: ReleasedOption = None,
    judge: JudgeOption = None,
    bootstrap: BootOption = 2000,
    seed: SeedOption = 0,
) -> None:
    """The outlook: trends with intervals, upcoming crossings and the obligations they bring, sources."""
    from pathlib import Path

    from accord.pipeline import horizon_outlook, parse_data_overrides, parse_released, render_outlook, stored_runs

    dates = tuple(d for v in backtest_from or [] if (d := _date(v, "--backtest")) is not None)
    runs = stored_runs(db, parse_released(released), judge=judge) if db else None
    doc = horizon_outlook(
        data_dir,
        as_of=_date(as_of, "--as-of"),
        backtests=dates,
        metr_backtests=dates,
        chips=which,
        n_boot=bootstrap,
        seed=seed,
        files=parse_data_overrides(data),
        runs=runs,
    )
    text = render_outlook(doc, fmt)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {output}")
    else:
        typer.echo(text)
