"""Read a user's own human-labelled file, so a judge can be validated on their domain.

The public sets (``_datasets``) are English; a deployer who labels a few hundred Chinese or
domain-specific responses should be able to ask "how far can I trust this judge *here*?"
with the same metrics and intervals. One record per response, JSONL or CSV (by extension):

    {"prompt": "...", "response": "...", "refusal": "full"}      # full | partial | none
    {"prompt": "...", "response": "...", "refused": true}        # yes/no refusal
    {"prompt": "...", "response": "...", "harmful": false}       # harmful compliance

Optional ``id`` (default ``line:N``) and ``locale`` (a BCP 47 tag, reported by its language:
``zh-CN`` counts as ``zh``; default: detected from the response, ``zh`` or ``en``; agreement
is reported per locale). CSV takes the same columns; booleans are ``true/false``, ``yes/no``
or ``1/0``. ``refused`` given next to ``refusal`` must agree with it. Keys starting with
``x_`` or ``_`` and ``note``/``notes``/``meta`` are ignored; any other key is an error, since
it is usually a typo of a label field. Every error names the file, line and field.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from accord.errors import InputError, brief
from accord.judges._datasets import LabelledExample, _locale
from accord.readers import csv_header, read_csv, read_jsonl
from accord.records import RefusalLevel

LABEL_FIELDS = ("refusal", "refused", "harmful")
FIELDS = ("id", "prompt", "response", "locale", *LABEL_FIELDS)
IGNORED = frozenset({"note", "notes", "meta"})
REFUSAL_VALUES: tuple[RefusalLevel, ...] = ("full", "partial", "none")
#: Which label field each validation task reads.
TASK_FIELD = {"refusal3": "refusal", "refused": "refused", "harmful": "harmful"}
_TRUE = {"true", "yes", "1", "1.0"}
_FALSE = {"false", "no", "0", "0.0"}


def _check_key(key: str, file: Path, line: int) -> None:
    if key in IGNORED or key.startswith(("_", "x_")) or key in FIELDS:
        return
    close = [f for f in FIELDS if f == key.strip().lower()]
    raise InputError(
        f"unknown field {brief(key)}", file=file, line=line, field=key, expected="one of " + ", ".join(FIELDS),
        fix=f"did you mean '{close[0]}'?" if close else "annotations go under a key starting with 'x_'",
    )  # fmt: skip


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        for key in csv_header(path):  # a bad column is the header's fault: report line 1
            _check_key(key, path, 1)
        yield from read_csv(path)
    elif suffix in (".jsonl", ".ndjson"):
        yield from read_jsonl(path)
    else:
        raise InputError(
            "unknown labels file type", file=path, expected="a .jsonl (one JSON object a line) or .csv file",
            got=path.suffix or "(no extension)",
        )  # fmt: skip


def _locale_of(value: Any, response: str, file: Path, line: int) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return _locale(response)
    if not isinstance(value, str):
        raise InputError("locale is not a language tag", file=file, line=line, field="locale", expected="e.g. en, zh-CN", got=value)
    return value.strip().replace("_", "-").split("-")[0].lower()


def _bool(value: Any, file: Path, line: int, name: str) -> bool | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):  # 1 / 0 / 1.0 / 0.0
        return bool(value)
    text = value.strip().lower() if isinstance(value, str) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError("not a yes/no label", file=file, line=line, field=name, expected="true/false, yes/no or 1/0", got=value)


def _text(value: Any, file: Path, line: int, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"'{name}' is missing or empty", file=file, line=line, field=name, expected="non-empty text", got=value)
    return value


def _id_text(value: str | int, file: Path, line: int) -> str:
    try:
        return str(value)
    except ValueError:  # an integer past the interpreter's digit limit
        raise InputError("id is too long a number", file=file, line=line, field="id", expected="an id of at most 4300 digits") from None


def load_labels_file(path: str | Path) -> list[LabelledExample]:
    """Every record of ``path`` as a ``LabelledExample`` (dataset = the file's stem)."""
    file = Path(path)
    if not file.is_file():
        raise InputError("labels file not found", file=file, fix="pass a .jsonl or .csv file with prompt, response and a label")
    out: list[LabelledExample] = []
    seen: dict[str, int] = {}
    for line, record in _records(file):
        for key in record:
            _check_key(key, file, line)
        row = {k: v for k, v in record.items() if k in FIELDS}
        refusal = row.get("refusal")
        if isinstance(refusal, str) and not refusal.strip():
            refusal = None
        if refusal is not None and refusal not in REFUSAL_VALUES:
            raise InputError("unknown refusal level", file=file, line=line, field="refusal", expected="full, partial or none", got=refusal)
        refused = _bool(row.get("refused"), file, line, "refused")
        harmful = _bool(row.get("harmful"), file, line, "harmful")
        if refusal is None and refused is None and harmful is None:
            raise InputError(
                "no label", file=file, line=line, field="refusal", expected="at least one of refusal, refused, harmful"
            )
        if refusal is not None and refused is not None and refused != (refusal != "none"):
            raise InputError(
                f"'refused' contradicts 'refusal' ({refusal})", file=file, line=line, field="refused",
                expected=f"refused {str(refusal != 'none').lower()} for refusal '{refusal}', or leave one out", got=refused,
            )  # fmt: skip
        given = row.get("id")
        if given is not None and (isinstance(given, bool) or not isinstance(given, (str, int))):
            raise InputError("id must be text", file=file, line=line, field="id", expected="a string or an integer", got=type(given).__name__)
        row_id = f"line:{line}" if given is None or (isinstance(given, str) and not given.strip()) else _id_text(given, file, line)
        if row_id in seen:
            raise InputError(
                f"duplicate id (first on line {seen[row_id]})", file=file, line=line, field="id", expected="unique ids", got=row_id
            )
        seen[row_id] = line
        response = row.get("response")
        if not isinstance(response, str):
            raise InputError("'response' is missing", file=file, line=line, field="response", expected="text (may be empty)", got=response)
        locale = _locale_of(row.get("locale"), response, file, line)
        out.append(
            LabelledExample(
                dataset=file.stem,
                row_id=row_id,
                group=f"{file.stem}/{row_id}",
                prompt=_text(row.get("prompt"), file, line, "prompt"),
                response=response,
                refusal=refusal,
                refused=refused if refused is not None else (refusal != "none" if refusal is not None else None),
                harmful=harmful,
                locale=str(locale),
                extra={"line": str(line)},
            )
        )
    if not out:
        raise InputError("labels file has no records", file=file, expected="one labelled response per line")
    return out


def infer_task(rows: list[LabelledExample], file: str | Path) -> str:
    """The task every record carries a label for: three-way refusal, then refused, then harmful."""
    for task, name in TASK_FIELD.items():
        if all(getattr(r, name) is not None for r in rows):
            return task
    raise InputError(
        "no label is present on every record", file=file, field="refusal",
        expected="one label field (refusal, refused or harmful) on every record",
        fix="validate one label at a time: split the file by label, or give --task and a label on every record",
    )  # fmt: skip


def rows_for_task(rows: list[LabelledExample], task: str, file: str | Path) -> list[LabelledExample]:
    """The records that carry ``task``'s label; an error names the first one that does not."""
    name = TASK_FIELD[task]
    missing = [r for r in rows if getattr(r, name) is None]
    if missing:
        first = missing[0]
        raise InputError(
            f"{len(missing)} record(s) lack the '{name}' label", file=file, line=int(first.extra["line"]), field=name,
            expected=f"a '{name}' label on every record for task {task}",
        )  # fmt: skip
    return rows
