"""Options and helpers shared by the sub-apps.

Sub-app modules import only typer and this module at the top level; anything heavy
(sqlalchemy, numpy, sklearn, torch, cryptography) is imported inside the command function, so
``accord run`` starts fast and one broken optional dependency cannot break every command.

The grammar every command follows (docs/cli.md): ``--json`` prints one JSON document on
stdout; ``-o`` is always a file; ``--signing-key`` is a private key and ``--trusted-key`` a
public one; ``--fail-on`` gates on verdicts; exit codes come from ``accord.errors.ExitCode``.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Results database URL (sqlite:///path or postgresql://...). Default: ACCORD_DB, else the embedded SQLite file.",
        envvar="ACCORD_DB",
        show_envvar=True,
    ),
]

DataDirOption = Annotated[
    str | None,
    typer.Option(
        "--data-dir",
        help="Directory of public datasets (default: ACCORD_DATA_DIR).",
        envvar="ACCORD_DATA_DIR",
    ),
]

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as one JSON document on stdout (schema: docs/cli.md).")]


class FailOn(str, Enum):
    """``--fail-on`` levels (``accord.pipeline.gate`` says what each one checks)."""

    blocked = "blocked"
    insufficient = "insufficient"
    fail = "fail"


FailOnOption = Annotated[
    FailOn | None,
    typer.Option(
        "--fail-on",
        help="Exit 1 when: blocked (a jurisdiction blocks deployment), insufficient (any decision is blocked or undecided), "
        "fail (blocked, or any requirement or the floor fails).",
    ),
]


def open_store(db: str | None, *, create: bool = False) -> Any:
    """Open the results store named by ``--db`` / ``ACCORD_DB`` (migrating it if needed).

    Only ``accord run`` creates a store (``create=True``); every other command works on
    stored runs, so a mistyped ``--db`` path is reported rather than silently created empty.
    """
    from accord.pipeline import open_store as open_results

    return open_results(db, create=create)


def check_gate(verdicts: Any, matrix: Any, fail_on: FailOn | None) -> None:
    """Print why ``--fail-on`` tripped (stderr) and exit ``CHECK_FAILED``; return if it did not."""
    if fail_on is None:
        return
    import sys

    from accord.errors import ExitCode
    from accord.pipeline import gate

    reasons = gate(verdicts, matrix, fail_on.value)  # type: ignore[arg-type]
    if reasons:
        shown = reasons[:10] + ([f"... {len(reasons) - 10} more"] if len(reasons) > 10 else [])
        print(f"--fail-on {fail_on.value}: " + "; ".join(shown), file=sys.stderr)
        raise typer.Exit(ExitCode.CHECK_FAILED)


def console() -> Any:
    """A stdout console that prints text as given: data never goes through rich markup."""
    from rich.console import Console

    return Console(highlight=False)


def err_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


ExecutorOption = Annotated[
    str | None,
    typer.Option(
        "--executor",
        help="local (default: this process) or ray[:ADDRESS]: send from a Ray cluster's workers, all writing to one PostgreSQL --db (pip install 'accord[ray]'; docs/scale.md).",
    ),
]
WorkersOption = Annotated[int | None, typer.Option("--workers", min=1, help="With --executor ray: tasks sharing the run (default: the cluster's CPUs).")]
