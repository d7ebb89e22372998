"""The generic loaders: a JSONL file of items, or a CSV file with a column mapping.

JSONL: one object a line with ``id`` (or ``item_id``), ``prompt`` (text) or ``messages``
(``[{"role", "content"}, ...]``, last turn the user's), and optionally ``hazard`` (a canonical
id, default ``benign``), ``intent`` (default ``benign`` for benign items, else ``harmful``),
``locale`` (BCP 47, default ``en``), ``answer`` and ``tags`` (list of strings). Annotation keys
``meta``, ``note``, ``notes``, ``rationale``, ``citation`` and any key starting with ``_`` or
``x_`` are ignored; any other key is an error (it is usually a typo of a real field).

CSV: the same fields as columns. ``mapping`` (for JSONL keys too) renames them — ``{"prompt": "text", "hazard":
"category"}`` reads the prompt from column ``text`` — and errors name the user's column.
``tags`` are ``;``-separated; ``messages`` is a JSON list in one cell; empty cells take the
defaults. Columns that no field uses are ignored.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from accord.errors import InputError, brief
from accord.readers import csv_header, loads_json, read_csv, read_jsonl
from accord.records import Item
from accord.suites._source import SuiteSource
from accord.suites._validate import RowContext, make_item

FIELDS: tuple[str, ...] = (
    "id",
    "prompt",
    "messages",
    "hazard",
    "intent",
    "locale",
    "answer",
    "tags",
    "family",
    "pair",
    "framing",
    "persona",
    "subtype",
    "canary",
    "expect",
    "contrast_of",
)
IGNORED_KEYS = frozenset({"meta", "note", "notes", "rationale", "citation"})


def _jsonl_rows(path: Path, suite_id: str, mapping: Mapping[str, str]) -> Iterator[tuple[int | None, Item]]:
    file = str(path)
    inverse = {key: name for name, key in mapping.items()}
    for lineno, obj in read_jsonl(path):
        renamed: dict[str, str] = {}
        row: dict[str, Any] = {}
        for key, value in obj.items():
            if key in IGNORED_KEYS or key.startswith(("_", "x_")):
                continue
            if key == "suite_id":
                if value != suite_id:
                    raise InputError(
                        "suite_id differs from the suite's", file=file, line=lineno, field="suite_id", expected=suite_id, got=value
                    )
                continue
            name = inverse.get(key) or ("id" if key == "item_id" else key)
            if name not in FIELDS:
                raise InputError(
                    f"unknown field {brief(key)}",
                    file=file,
                    line=lineno,
                    field=key,
                    expected="one of " + ", ".join(FIELDS),
                    fix="annotations go under 'meta' or a key starting with 'x_'",
                )
            if name in row:
                raise InputError("both 'id' and 'item_id' given", file=file, line=lineno, field=key)
            renamed[name] = key
            row[name] = value
        ctx = RowContext(file, lineno, lambda f: renamed.get(f) or mapping.get(f, f))  # used in this iteration only  # noqa: B023
        yield lineno, make_item(suite_id, row, ctx)


def jsonl_source(
    path: Path, *, mapping: Mapping[str, str] | None = None, suite_id: str | None = None, description: str = "", kind: str = "file"
) -> SuiteSource:
    """A JSONL suite; its id defaults to the file's stem. ``mapping`` renames keys as for CSV."""
    _must_exist(path)
    _check_mapping_fields(mapping or {})
    sid = suite_id or path.stem
    keys = dict(mapping or {})
    return SuiteSource(
        sid, str(path), lambda: _jsonl_rows(path, sid, keys), description=description, kind=kind, id_field=keys.get("id", "id")
    )


def parse_mapping(text: str | None) -> dict[str, str]:
    """``"prompt=text,hazard=category"`` -> ``{"prompt": "text", "hazard": "category"}``."""
    if not text:
        return {}
    out: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, column = part.partition("=")
        if not sep or not key.strip() or not column.strip():
            raise InputError("bad --map entry", field="--map", expected="field=column[,field=column...]", got=part)
        out[key.strip()] = column.strip()
    return out


def _check_mapping_fields(mapping: Mapping[str, str]) -> None:
    for key in mapping:
        if key not in FIELDS:
            raise InputError(f"unknown field '{key}' in the column mapping", field="--map", expected="one of " + ", ".join(FIELDS), got=key)


def _resolve_columns(path: Path, header: tuple[str, ...], mapping: Mapping[str, str]) -> dict[str, str]:
    """canonical field -> column name, checking the mapping against the header."""
    file = str(path)
    _check_mapping_fields(mapping)
    columns: dict[str, str] = {}
    for name in FIELDS:
        if name in mapping:
            if mapping[name] not in header:
                raise InputError(
                    f"missing column '{mapping[name]}' (mapped to {name})",
                    file=file,
                    line=1,
                    field=mapping[name],
                    expected="one of the header's columns: " + ", ".join(header),
                )
            columns[name] = mapping[name]
        elif name in header:
            columns[name] = name
        elif name == "id" and "item_id" in header:
            columns[name] = "item_id"
    if "id" not in columns:
        raise InputError(
            "missing column 'id'", file=file, line=1, field="id", expected="an id column (or --map id=COLUMN)", got=", ".join(header)
        )
    if "prompt" not in columns and "messages" not in columns:
        raise InputError(
            "missing column 'prompt'",
            file=file,
            line=1,
            field="prompt",
            expected="a prompt or messages column (or --map prompt=COLUMN)",
            got=", ".join(header),
        )
    return columns


def _csv_rows(path: Path, suite_id: str, columns: dict[str, str]) -> Iterator[tuple[int | None, Item]]:
    file = str(path)
    for lineno, record in read_csv(path):
        ctx = RowContext(file, lineno, lambda f: columns.get(f, f))
        row: dict[str, Any] = {}
        for name, column in columns.items():
            value: Any = record.get(column, "")
            if name == "messages":
                if not value.strip():
                    continue
                value = loads_json(
                    value, file=file, line=lineno, field=ctx.column("messages"), expected='a JSON list [{"role": "user", "content": "..."}]'
                )
            if name == "tags":
                value = [t.strip() for t in value.split(";") if t.strip()]
            row[name] = value
        if "messages" in row and row.get("prompt", "") == "":
            row.pop("prompt", None)
        yield lineno, make_item(suite_id, row, ctx)


def csv_source(
    path: Path, *, mapping: Mapping[str, str] | None = None, suite_id: str | None = None, description: str = "", kind: str = "file"
) -> SuiteSource:
    """A CSV suite read through a column mapping; the header is checked now, rows when read."""
    _must_exist(path)
    columns = _resolve_columns(path, csv_header(path), mapping or {})
    sid = suite_id or path.stem
    return SuiteSource(sid, str(path), lambda: _csv_rows(path, sid, columns), description=description, kind=kind, id_field=columns["id"])


def _must_exist(path: Path) -> None:
    if not path.is_file():
        raise InputError("no such suite file", file=path, expected="an existing .jsonl or .csv file")
