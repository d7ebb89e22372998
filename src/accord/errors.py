"""One error type the CLI knows how to show.

Every failure a user can fix (bad input, unknown names, a locked or too-new database, a
missing optional dependency) is an ``AccordError``: it says *what* happened, *why*, and
*what to try*, so the CLI can print it once, without a traceback, and exit with the code
``ExitCode`` gives it. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable
from enum import IntEnum
from pathlib import Path

#: Characters of an offending value an error message shows (a crafted file can hold huge ones).
GOT_CHARS = 80
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlong = 3, GOT_CHARS, GOT_CHARS, GOT_CHARS


def brief(value: object, limit: int = GOT_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters with an ellipsis, in bounded time and memory."""
    try:
        text = _REPR.repr(value)
    except ValueError:  # an int past Python's digit limit cannot even be printed
        text = f"<{type(value).__name__} too large to show>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ExitCode(IntEnum):
    """The one exit-code table every ``accord`` command follows (docs/cli.md).

    Scripts and CI jobs gate on these, so their meaning never changes between commands.
    """

    OK = 0
    #: The checked condition failed: ``--fail-on`` tripped, a signature or proof did not
    #: verify, a validated file has problems.
    CHECK_FAILED = 1
    #: Bad input or usage: unknown names, malformed files, bad flags, a missing store or
    #: optional dependency. Nothing was changed.
    BAD_INPUT = 2
    #: The run is incomplete or mostly failed: interrupted, the target unreachable, or most
    #: responses errors. Re-run with the same run id to resume.
    INCOMPLETE = 3
    #: Stopped by Ctrl-C / SIGINT (the shell's convention, 128 + 2).
    INTERRUPTED = 130


class AccordError(Exception):
    """An error meant for the user, not a stack trace."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __init__(self, what: str, *, why: str | None = None, fix: str | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.why = why
        self.fix = fix

    def diagnostics(self) -> str:
        lines = [self.what]
        if self.why:
            lines.append(f"why: {self.why}")
        if self.fix:
            lines.append(f"fix: {self.fix}")
        return "\n".join(lines)


class InputError(AccordError, ValueError):
    """Bad user input, located precisely: file, line (1-based) and field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        expected: str | None = None,
        got: object = None,
        fix: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        self.expected = expected
        self.got = got
        where = []
        if self.file:
            where.append(self.file if line is None else f"{self.file}:{line}")
        elif line is not None:
            where.append(f"line {line}")
        if field:
            where.append(f"field '{field if len(field) <= 200 else field[:199] + '…'}'")  # a crafted key can be huge
        prefix = (", ".join(where) + ": ") if where else ""
        why = None
        if expected is not None:
            why = f"expected {expected}" + (f", got {brief(got)}" if got is not None else "")
        super().__init__(prefix + message, why=why, fix=fix)


class UnknownNameError(AccordError, LookupError):
    """A name (target provider, suite, judge, pack, dataset) that no registry knows."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        known_sorted = sorted(known)
        self.kind = kind
        self.name = name
        self.known = known_sorted
        super().__init__(
            f"unknown {kind} '{name}'",
            fix="known: " + (", ".join(known_sorted) if known_sorted else "(none)"),
        )


class MissingDependencyError(AccordError, ImportError):
    """An optional extra is needed (e.g. torch for local Hugging Face models)."""

    def __init__(self, feature: str, extra: str, module: str) -> None:
        super().__init__(
            f"{feature} needs the optional package '{module}'",
            fix=f"pip install 'accord[{extra}]'",
        )


class StoreError(AccordError):
    """The results database cannot be used as asked (schema too new, unreachable, ...)."""


class VerificationError(AccordError):
    """A signature, proof, checkpoint or commitment did not verify."""

    exit_code = ExitCode.CHECK_FAILED
