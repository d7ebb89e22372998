"""Run ids: the one validator every entry point calls (CLI, Python API, run specs, store).

A run id names a directory, a file stem, a database key and a line in a Markdown report, so it
is kept to a shape that is safe in all of them: 1-128 characters of ``A-Z a-z 0-9 . _ -``,
starting with a letter or a digit. That rules out path traversal (``..``, ``/``), option
look-alikes (``-rf``), whitespace and control characters (newlines), and Markdown or HTML
syntax, without escaping anywhere downstream.
"""

from __future__ import annotations

import re

from accord.errors import InputError

RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
RUN_ID_EXPECTED = "1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit"


def validate_run_id(value: str, *, field: str = "--run-id") -> str:
    """Return ``value`` if it is a valid run id, else raise ``InputError`` naming ``field``."""
    if not isinstance(value, str) or RUN_ID_PATTERN.fullmatch(value) is None:
        shown: object = value
        if isinstance(value, str) and len(value) > 80:
            shown = value[:80] + f"... ({len(value)} characters)"
        raise InputError("not a valid run id", field=field, expected=RUN_ID_EXPECTED, got=shown)
    return value
