"""``accord horizon``: trends and forecasts of when regulation's thresholds will bind.

Reads Epoch's and METR's published files in place from ``--data-dir`` / ``ACCORD_DATA_DIR``
(``horizon/``). Markdown on stdout by default, ``--json`` for one JSON document; ``report``
writes a whole outlook (``--format md|json``, ``-o FILE``). ``--as-of DATE`` uses only data
published before DATE; ``backtest`` scores such a forecast against what came after.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from accord.cli._common import DataDirOption, JsonOption

app = typer.Typer(no_args_is_help=True, help="Horizon scanning: compute and capability trends, threshold crossings, export controls.")

AsOfOption = Annotated[str | None, typer.Option("--as-of", help="Use only data published before this date (YYYY-MM-DD).")]
BootOption = Annotated[int, typer.Option("--bootstrap", min=100, help="Bootstrap resamples for the intervals.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed of the bootstrap (results are reproducible).")]


def _date(value: str | None, field: str) -> dt.date | None:
    from accord.errors import InputError

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError("not a date", field=field, expected="YYYY-MM-DD", got=value) from None


def _emit(sections: tuple[str, ...], data_dir: str | None, as_of: str | None, as_json: bool, **kw: object) -> None:
    from accord.pipeline import horizon_outlook, render_outlook

    doc = horizon_outlook(data_dir, as_of=_date(as_of, "--as-of"), sections=sections, **kw)  # type: ignore[arg-type]
    typer.echo(render_outlook(doc, "json" if as_json else "md"))


@app.command("trend")
def trend(
    data_dir: DataDirOption = None,
    as_of: AsOfOption = None,
    top_n: Annotated[int, typer.Option("--top-n", min=1, help="Frontier = top N by compute at publication.")] = 10,
    bootstrap: BootOption = 2000,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Growth of frontier training compute per year, with its interval (vs Epoch's x4-5)."""
    _emit(("trend",), data_dir, as_of, as_json, top_n=top_n, n_boot=bootstrap, seed=seed)


@app.command("crossings")
def crossings(
    data_dir: DataDirOption = None,
    as_of: AsOfOption = None,
    months: Annotated[int, typer.Option("--months", min=3, max=120, help="Forecast window.")] = 24,
    bootstrap: BootOption = 2000,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Expected models above 10^25 / 10^26 FLOP per quarter, and when the largest run passes 10^27."""
    _emit(("crossings",), data_dir, as_of, as_json, months=months, n_boot=bootstrap, seed=seed)


@app.command("metr")
def metr(
    data_dir: DataDirOption = None,
    as_of: AsOfOption = None,
    bootstrap: BootOption = 2000,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Doubling time of METR's 50% time horizon (METR's method), vs METR's published figure."""
    _emit(("metr",), data_dir, as_of, as_json, n_boot=bootstrap, seed=seed)


@app.command("chips")
def chips(
    data_dir: DataDirOption = None,
    as_of: AsOfOption = None,
    which: Annotated[str, typer.Option("--chips", help="ml (Epoch's ML accelerators), controlled, or all.")] = "ml",
    bootstrap: BootOption = 2000,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
) -> None:
    """TPP and performance density of every chip in Epoch's hardware data, against ECCN 3A090."""
    _emit(("chips",), data_dir, as_of, as_json, chips=which, n_boot=bootstrap, seed=seed)


@app.command("backtest")
def backtest_cmd(
    as_of: Annotated[list[str], typer.Option("--as-of", help="Forecast from this date (repeatable).")],
    data_dir: DataDirOption = None,
    bootstrap: BootOption = 2000,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Forecast crossings from earlier dates and score coverage and error against what came after."""
    dates = tuple(d for v in as_of if (d := _date(v, "--as-of")) is not None)
    from accord.pipeline import horizon_outlook, render_outlook

    doc = horizon_outlook(data_dir, sections=(), backtests=dates, n_boot=bootstrap, seed=seed)
    typer.echo(render_outlook(doc, "json" if as_json else "md"))


@app.command("report")
def report(
    data_dir: DataDirOption = None,
    as_of: AsOfOption = None,
    fmt: Annotated[str, typer.Option("--format", help="md or json.")] = "md",
    output: Annotated[str | None, typer.Option("-o", "--output", help="Write to this file instead of stdout.")] = None,
    backtest_from: Annotated[list[str] | None, typer.Option("--backtest", help="Add a backtest from this date (repeatable).")] = None,
    which: Annotated[str, typer.Option("--chips", help="ml, controlled or all.")] = "controlled",
    bootstrap: BootOption = 2000,
    seed: SeedOption = 0,
) -> None:
    """The outlook: trends with intervals, upcoming crossings and the obligations they bring, sources."""
    from pathlib import Path

    from accord.pipeline import horizon_outlook, render_outlook

    dates = tuple(d for v in backtest_from or [] if (d := _date(v, "--backtest")) is not None)
    doc = horizon_outlook(data_dir, as_of=_date(as_of, "--as-of"), backtests=dates, chips=which, n_boot=bootstrap, seed=seed)
    text = render_outlook(doc, fmt)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {output}")
    else:
        typer.echo(text)
