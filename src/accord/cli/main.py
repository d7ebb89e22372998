"""The ``accord`` command: one thin typer sub-app per package, registered here.

Each entry below names a module and the attribute holding a ``typer.Typer`` (a group) or a
plain function (a single command). ``main()`` catches ``AccordError`` once and prints its
diagnostics verbatim, without a traceback (``ACCORD_DEBUG=1`` or ``--verbose`` re-raises),
and exits with the error's ``ExitCode`` (docs/cli.md has the table).
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from accord import __version__

app = typer.Typer(
    name="accord",
    help="Comparable, verifiable AI safety evaluation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# name -> (module, attribute, help); groups are typer.Typer objects, commands are functions.
GROUPS: dict[str, tuple[str, str, str]] = {
    "runs": ("accord.cli.runs", "app", "List, show and export stored runs."),
    "suites": ("accord.cli.suites", "app", "List and inspect test suites; commit and reveal private ones."),
    "data": ("accord.cli.data", "app", "Fetch public datasets with pinned checksums."),
    "judge": ("accord.cli.judge", "app", "Label responses; validate, list and train judges."),
    "packs": ("accord.cli.packs", "app", "Framework policy packs, the taxonomy and the crosswalk."),
    "keys": ("accord.cli.keys", "app", "Signing keys."),
    "log": ("accord.cli.log", "app", "The Merkle transparency log."),
    "assess": ("accord.cli.assess", "app", "What each jurisdiction requires of an AI system."),
    "compute": ("accord.cli.compute", "app", "Training-compute and export-control calculators."),
    "plugins": ("accord.cli.plugins", "app", "Installed plugins and what they register."),
    "attacks": ("accord.cli.attacks", "app", "Attacks: what each does, its parameters, where the idea comes from."),
    "org": ("accord.cli.org", "org_app", "Organisations of the service and their signing keys."),
    "token": ("accord.cli.org", "token_app", "API tokens of the service (shown once, stored as digests)."),
    "audit": ("accord.cli.org", "audit_app", "The service's private, hash-chained audit log."),
    "redteam": ("accord.cli.redteam", "app", "Mutual red-teaming: commit to a campaign, run it, reveal it, verify."),
    "peer": ("accord.cli.peer", "app", "Federation: peer servers, their sharing policy, sync and witnessing."),
    "horizon": ("accord.cli.horizon", "app", "Horizon scanning: compute and capability trends, threshold crossings, export controls."),
    "monitor": ("accord.cli.monitor", "app", "Continuous monitoring: run what is due on a schedule, compare with the last run, alert."),
}
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("accord.cli.run", "run"),
    "score": ("accord.cli.score", "score"),
    "report": ("accord.cli.report", "report"),
    "attest": ("accord.cli.attest", "attest"),
    "verify": ("accord.cli.attest", "verify"),
    "demo": ("accord.cli.demo", "demo"),
    "serve": ("accord.cli.serve", "serve"),
    "compare": ("accord.cli.compare", "compare"),
}


def _register() -> None:
    for name, (module, attr, help_text) in GROUPS.items():
        try:
            sub = getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                continue  # not built yet
            raise
        app.add_typer(sub, name=name, help=help_text)
    for name, (module, attr) in COMMANDS.items():
        try:
            fn = getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                continue
            raise
        app.command(name=name)(fn)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"accord {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True, help="Show the version."),
    verbose: bool = typer.Option(False, "--verbose", help="Show tracebacks for errors."),
) -> None:
    if verbose:
        os.environ["ACCORD_DEBUG"] = "1"


_register()


def _print_error(text: str) -> None:
    """``error: <text>`` on stderr, the text verbatim: a message may hold brackets
    (``[a-z0-9-]``, ``[/data]``) that a markup renderer would eat or choke on."""
    sys.stderr.write(f"error: {text}\n")
    sys.stderr.flush()


def _mount_plugin_command(argv: list[str]) -> None:
    """Mount a plugin's command group when ``argv`` names a command accord does not have.

    Looked up only then, so ``accord --help`` and every built-in command never pay for the
    entry-point scan (start-up counts on every run); ``accord plugins list`` shows them all.
    """
    word = next((a for a in argv if not a.startswith("-")), None)
    if word is None or word in GROUPS or word in COMMANDS:
        return
    from accord.plugins import command_groups, load_object

    reg = command_groups().get(word)
    if reg is None:
        return
    sub = load_object(reg.app)
    if isinstance(sub, typer.Typer):
        app.add_typer(sub, name=reg.name, help=reg.help)
    else:
        app.command(name=reg.name, help=reg.help or None)(sub)


def main() -> None:
    from accord.errors import AccordError, ExitCode

    try:
        _mount_plugin_command(sys.argv[1:])
        app()
    except AccordError as exc:
        if os.environ.get("ACCORD_DEBUG"):
            raise
        _print_error(exc.diagnostics())
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        sys.exit(ExitCode.INTERRUPTED)
    except OSError as exc:
        # An output path that cannot be written (-o /no/such/dir/x), a full disk, ...: one
        # line naming the file, not a traceback. Bugs that happen to be OSErrors still show
        # their traceback under --verbose / ACCORD_DEBUG.
        if os.environ.get("ACCORD_DEBUG"):
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        _print_error(f"{where}{exc.strerror or exc}")
        sys.exit(ExitCode.BAD_INPUT)


if __name__ == "__main__":
    main()
