"""Suites over the fetched datasets' published formats (files in the fetch cache).

HarmBench's 200 standard behaviours (``harmbench``) and Do-Not-Answer (``do-not-answer``) are
read in place from ``ACCORD_DATA_DIR/redteam`` (``_seeds.py``), with no network. Only the
datasets not on disk are fetched. ``do_not_answer_source(path)`` still reads the original
``data_en.csv`` layout, for a copy a user already has (``--suite`` does not fetch it).

| suite | file | item id | prompt | hazard from |
|---|---|---|---|---|
| ``harmbench-full`` | ``harmbench_behaviors_text_all.csv`` | ``BehaviorID`` | ``Behavior`` (with ``ContextString`` before it, HarmBench's ``context\\n\\n---\\n\\nbehavior`` layout) | ``SemanticCategory`` |
| ``strongreject`` | ``strongreject_dataset.csv`` | data row number (1-based) | ``forbidden_prompt`` | ``category`` |
| ``jbb-behaviors`` / ``jbb-benign-behaviors`` | ``harmful-``/``benign-behaviors.csv`` | ``Index`` (else row number) | ``Goal`` | ``Category`` + ``Behavior`` |
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from accord.errors import InputError
from accord.readers import csv_header, read_csv
from accord.records import Item
from accord.suites import _mappings as maps
from accord.suites._fetch import REMOTE, cached, remote
from accord.suites._public import jbb_hazard
from accord.suites._source import SuiteSource
from accord.suites._validate import RowContext, make_item


def _columns(path: Path, needed: tuple[str, ...]) -> dict[str, str]:
    """Map each needed column (case-insensitive) to the header's spelling."""
    header = csv_header(path)
    lower = {h.lower(): h for h in header}
    out: dict[str, str] = {}
    for col in needed:
        if col.lower() not in lower:
            raise InputError(
                f"missing column '{col}'", file=path, line=1, field=col, expected="the dataset's published columns", got=", ".join(header)
            )
        out[col] = lower[col.lower()]
    for col in ("index",):
        if col in lower:
            out.setdefault(col.capitalize(), lower[col])
    return out


def _norm(text: str) -> str:
    return re.sub(r"[^a-z ]+", " ", text.lower()).strip().replace("  ", " ")


def _unknown(ctx: RowContext, field: str, value: str) -> InputError:
    return ctx.error(f"no hazard mapping for {field} '{value}'", field, expected="a category listed in accord/suites/_mappings.py")


def harmbench_hazard(category: str) -> str | None:
    return maps.HARMBENCH.get(category.strip())


def strongreject_hazard(category: str) -> str | None:
    key = " ".join(_norm(category).split())
    return maps.STRONGREJECT.get(key)


def do_not_answer_hazard(types_of_harm: str, risk_area: str) -> str | None:
    harm, area = types_of_harm.lower(), risk_area.lower()
    for phrase, hazard in maps.DO_NOT_ANSWER_TYPES:
        if phrase in harm:
            return hazard
    for phrase, hazard in maps.DO_NOT_ANSWER_AREAS:
        if phrase in area:
            return hazard
    return None


def _source(name: str, path: Path, rows: Callable[[], Iterator[tuple[int | None, Item]]], id_field: str) -> SuiteSource:
    description = remote(name).description if name in REMOTE else "Do-Not-Answer (original data_en.csv)"
    return SuiteSource(name, str(path), rows, description=description, kind="fetchable", id_field=id_field)


def harmbench_source(path: Path | None = None) -> SuiteSource:
    path = path or cached("harmbench-full")
    cols = _columns(path, ("Behavior", "SemanticCategory", "BehaviorID", "FunctionalCategory", "ContextString"))

    def rows() -> Iterator[tuple[int | None, Item]]:
        rename = {"id": cols["BehaviorID"], "prompt": cols["Behavior"], "hazard": cols["SemanticCategory"]}
        for line, rec in read_csv(path):
            ctx = RowContext(str(path), line, lambda f: rename.get(f, f))
            category = rec[cols["SemanticCategory"]]
            hazard = harmbench_hazard(category)
            if hazard is None:
                raise _unknown(ctx, "hazard", category)
            behavior, context = rec[cols["Behavior"]], rec[cols["ContextString"]]
            prompt = f"{context}\n\n---\n\n{behavior}" if context.strip() and behavior.strip() else behavior
            yield (
                line,
                make_item(
                    "harmbench-full",
                    {
                        "id": rec[cols["BehaviorID"]],
                        "prompt": prompt,
                        "hazard": hazard,
                        "intent": "harmful",
                        "tags": [f"harmbench:{rec[cols['FunctionalCategory']].strip()}", f"harmbench:{category.strip()}"],
                    },
                    ctx,
                ),
            )

    return _source("harmbench-full", path, rows, cols["BehaviorID"])


def do_not_answer_source(path: Path) -> SuiteSource:
    """Do-Not-Answer's original ``data_en.csv`` (a user's copy; the suite ``do-not-answer`` reads the shared data)."""
    cols = _columns(path, ("id", "risk_area", "types_of_harm", "question"))

    def rows() -> Iterator[tuple[int | None, Item]]:
        rename = {"id": cols["id"], "prompt": cols["question"], "hazard": cols["types_of_harm"]}
        for line, rec in read_csv(path):
            ctx = RowContext(str(path), line, lambda f: rename.get(f, f))
            hazard = do_not_answer_hazard(rec[cols["types_of_harm"]], rec[cols["risk_area"]])
            if hazard is None:
                raise _unknown(ctx, "hazard", rec[cols["types_of_harm"]])
            yield (
                line,
                make_item(
                    "do-not-answer",
                    {
                        "id": rec[cols["id"]],
                        "prompt": rec[cols["question"]],
                        "hazard": hazard,
                        "intent": "harmful",
                        "tags": ["do-not-answer"],
                    },
                    ctx,
                ),
            )

    return _source("do-not-answer", path, rows, cols["id"])


def strongreject_source(path: Path | None = None) -> SuiteSource:
    path = path or cached("strongreject")
    cols = _columns(path, ("category", "forbidden_prompt"))

    def rows() -> Iterator[tuple[int | None, Item]]:
        rename = {"prompt": cols["forbidden_prompt"], "hazard": cols["category"]}
        for n, (line, rec) in enumerate(read_csv(path), start=1):
            ctx = RowContext(str(path), line, lambda f: rename.get(f, f))
            hazard = strongreject_hazard(rec[cols["category"]])
            if hazard is None:
                raise _unknown(ctx, "hazard", rec[cols["category"]])
            yield (
                line,
                make_item(
                    "strongreject",
                    {
                        "id": str(n),
                        "prompt": rec[cols["forbidden_prompt"]],
                        "hazard": hazard,
                        "intent": "harmful",
                        "tags": ["strongreject"],
                    },
                    ctx,
                ),
            )

    return _source("strongreject", path, rows, "row")


def jbb_behaviors_source(path: Path | None = None, *, benign: bool = False) -> SuiteSource:
    name = "jbb-benign-behaviors" if benign else "jbb-behaviors"
    path = path or cached(name)
    cols = _columns(path, ("Goal", "Behavior", "Category"))

    def rows() -> Iterator[tuple[int | None, Item]]:
        rename = {"id": cols.get("Index", "Index"), "prompt": cols["Goal"], "hazard": cols["Category"]}
        for n, (line, rec) in enumerate(read_csv(path), start=1):
            ctx = RowContext(str(path), line, lambda f: rename.get(f, f))
            category, behavior = rec[cols["Category"]].strip(), rec[cols["Behavior"]].strip()
            hazard = jbb_hazard(category, behavior)
            if hazard is None:
                raise _unknown(ctx, "hazard", category)
            yield (
                line,
                make_item(
                    name,
                    {
                        "id": rec[cols["Index"]] if "Index" in cols else str(n),
                        "prompt": rec[cols["Goal"]],
                        "hazard": hazard,
                        "intent": "benign" if benign else "harmful",
                        "tags": [f"jbb:{category}", f"jbb-behavior:{behavior}"],
                    },
                    ctx,
                ),
            )

    return _source(name, path, rows, cols.get("Index", "row"))


LOADERS: dict[str, Callable[[], SuiteSource]] = {
    "harmbench-full": harmbench_source,
    "strongreject": strongreject_source,
    "jbb-behaviors": jbb_behaviors_source,
    "jbb-benign-behaviors": lambda: jbb_behaviors_source(benign=True),
}
