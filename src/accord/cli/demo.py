"""``accord demo``: the main job on embedded defaults (see ``accord.pipeline.run_demo``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli._common import DataDirOption, DbOption, JsonOption


def demo(
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Directory for report.html, report.md and verdicts.json.", file_okay=False)] = Path("out"),
    judge: Annotated[str, typer.Option("--judge", help="Judge to label responses with.")] = "embedded",
    db: DbOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Replay real models' published transcripts, judge, score under every pack, report."""
    import json
    import sys

    from rich.console import Console
    from rich.table import Table

    from accord.pipeline import run_demo

    con = Console(stderr=as_json)
    if con.width < 110:  # the matrix needs the room; CI logs and pipes report 80 columns
        con = Console(width=110, stderr=as_json)
    result = run_demo(db=db, out_dir=out_dir, data_dir=data_dir, judge_name=judge, say=lambda s: con.print(s, highlight=False, markup=False))
    m = result.matrix
    if as_json:
        payload = {
            "runs": [r.run_id for r in result.runs],
            "report": str(result.report_path),
            "verdicts": str(result.verdicts_path),
            "counts": result.counts,
            "deployment": m.model_dump(mode="json"),
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return
    style = {"allowed": "green", "blocked": "bold red", "insufficient evidence": "yellow"}
    short = {"insufficient evidence": "insufficient"}
    table = Table(title="deployment matrix (target x jurisdiction)", show_lines=False)
    table.add_column("target")
    for j in m.jurisdictions:
        table.add_column(j)
    for t in m.targets:
        cells = []
        for j in m.jurisdictions:
            c = m.cell(t, j)
            cells.append(f"[{style.get(c.decision, '')}]{short.get(c.decision, c.decision)}[/]")
        table.add_row(t.replace("[", "\\["), *cells)
    con.print(table)
    con.print("insufficient: too few responses on a required hazard (e.g. no floor items in that transcript) to decide either way")
    con.print(f"report: {result.report_path}\nverdicts: {result.verdicts_path}\nruns: accord runs list  |  one run: accord runs show {result.runs[0].run_id}")
