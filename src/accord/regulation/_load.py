"""Reading files: the packaged rule data, the hardware table, and system descriptions.

This is the package's only I/O. Rule data ships in ``regulation/data/*.yaml``; a directory of
extra or replacement files can be layered on top (``ACCORD_REGULATION_DIR`` or ``extra_dirs``)
so a changed law can be encoded without a release. A system description that does not
validate yields one ``SystemProblem`` per wrong field, each with file, line, field path, expected and
got.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from accord import yamlio
from accord.errors import InputError, UnknownNameError, brief
from accord.readers import read_text
from accord.regulation._compute import Chip, match_chip
from accord.regulation._rulebook import Rulebook
from accord.regulation._system import SystemDescription, cross_field_problems

RULE_FILES = ("facts.yaml", "eu.yaml", "cn.yaml", "us.yaml", "labs.yaml")
ENV_DIR = "ACCORD_REGULATION_DIR"


def _data_text(name: str) -> str:
    return resources.files("accord.regulation").joinpath("data", name).read_text(encoding="utf-8")


def load_rulebook(extra_dirs: list[Path] | None = None) -> Rulebook:
    """The packaged rulebook, with files from ``extra_dirs`` (and ``ACCORD_REGULATION_DIR``)
    replacing packaged files of the same name or adding new ones."""
    dirs = list(extra_dirs or [])
    if os.environ.get(ENV_DIR):
        dirs.append(Path(os.environ[ENV_DIR]))
    if not dirs:
        return _packaged_rulebook()
    texts: dict[str, tuple[str, str]] = {n: (f"accord/regulation/data/{n}", _data_text(n)) for n in RULE_FILES}
    for d in dirs:
        if not d.is_dir():
            raise InputError("rules directory not found", file=d, fix=f"create it or unset {ENV_DIR}")
        for p in sorted(d.glob("*.yaml")):
            texts[p.name] = (str(p), read_text(p))
    return _build(texts)


@lru_cache(maxsize=1)
def _packaged_rulebook() -> Rulebook:
    return _build({n: (f"accord/regulation/data/{n}", _data_text(n)) for n in RULE_FILES})


def _build(texts: dict[str, tuple[str, str]]) -> Rulebook:
    docs = []
    order = [n for n in RULE_FILES if n in texts] + sorted(n for n in texts if n not in RULE_FILES)
    for name in order:
        where, text = texts[name]
        try:
            docs.append(yamlio.load(text) or {})
        except yamlio.YAMLError as exc:
            raise InputError(f"not valid YAML: {exc}", file=where, line=yamlio.error_line(exc)) from exc
    try:
        return Rulebook.from_documents(docs)
    except (ValidationError, ValueError) as exc:
        raise InputError(f"rules data does not validate: {exc}", file=", ".join(w for w, _ in texts.values())) from exc


@lru_cache(maxsize=1)
def load_hardware() -> tuple[dict[str, int], tuple[Chip, ...]]:
    """(bit lengths that count for TPP, chips) from ``data/hardware.yaml``."""
    raw = yamlio.load(_data_text("hardware.yaml"))
    chips = tuple(
        Chip(
            id=c["id"],
            name=c["name"],
            tflops={k: float(v) for k, v in c["tflops"].items()},
            die_area_mm2=c.get("die_area_mm2"),
            memory_bandwidth_gbs=c.get("memory_bandwidth_gbs"),
            datacenter=bool(c.get("datacenter", True)),
            source=c["source"],
            conf=c["conf"],
            aliases=tuple(c.get("aliases", [])),
        )
        for c in raw["chips"]
    )
    return dict(raw["bits"]), chips


def find_chip(name: str) -> Chip:
    """A chip by id or alias, case- and punctuation-insensitive (``H100``, ``h100-sxm``)."""
    _, chips = load_hardware()
    chip = match_chip(name, chips)
    if chip is None:
        raise UnknownNameError("chip", name, [c.id for c in chips])
    return chip


@lru_cache(maxsize=1)
def load_compute_spec() -> dict[str, Any]:
    return dict(yamlio.load(_data_text("compute.yaml")))


# ---- system descriptions ----------------------------------------------------------------


@dataclass(frozen=True)
class SystemProblem:
    """One wrong field in a system description."""

    file: str
    line: int | None
    field: str
    message: str
    expected: str | None = None
    got: Any = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = self.field if len(self.field) <= 200 else self.field[:199] + "…"  # a crafted key can be huge
        s = f"{where}: field '{field}': {self.message}"
        if self.expected is not None:
            s += f" (expected {self.expected}"
            s += f", got {brief(self.got)})" if self.got is not None else ")"
        return s


_EXPECTED = {
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "float_type": "a number (e.g. 3.0e25)",
    "float_parsing": "a number (e.g. 3.0e25)",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "date_type": "a date YYYY-MM-DD",
    "date_parsing": "a date YYYY-MM-DD",
    "date_from_datetime_parsing": "a date YYYY-MM-DD",
    "date_from_datetime_inexact": "a date YYYY-MM-DD",
    "list_type": "a list",
    "string_type": "text",
    "model_type": "a mapping of fields",
    "dict_type": "a mapping of fields",
}


def _model_at(path: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The pydantic model class holding the field at ``path`` (for 'unknown field' hints)."""
    model: type[BaseModel] = SystemDescription
    for part in path[:-1]:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(str(part))
        ann = getattr(info, "annotation", None) if info else None
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
        else:
            return None
    return model


def _problem(err: dict[str, Any], file: str, root: Any) -> SystemProblem:
    loc: tuple[str | int, ...] = tuple(err["loc"])
    field = ".".join(str(p) for p in loc) or "(document)"
    kind = err["type"]
    ctx = err.get("ctx") or {}
    line = yamlio.locate(root, loc)
    got = err.get("input")
    if kind == "extra_forbidden":
        model = _model_at(loc)
        known = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        msg = "unknown field" + (f"; did you mean '{close[0]}'?" if close else "")
        return SystemProblem(file, line, field, msg, expected="one of " + ", ".join(known) if known else None)
    if kind == "literal_error":
        return SystemProblem(file, line, field, "not an allowed value", expected=str(ctx.get("expected")), got=got)
    if kind in ("greater_than", "greater_than_equal"):
        op = ">" if kind == "greater_than" else ">="
        bound = ctx.get("gt", ctx.get("ge"))
        shown = f"{bound:g}" if isinstance(bound, (int, float)) else str(bound)
        return SystemProblem(file, line, field, "out of range", expected=f"a number {op} {shown}", got=got)
    if kind == "too_short":
        return SystemProblem(file, line, field, "too short", expected=f"at least {ctx.get('min_length')} item(s)", got=got)
    if kind == "value_error":
        return SystemProblem(file, line, field, str(ctx.get("error", err["msg"])))
    if kind == "missing":
        return SystemProblem(file, line, field, "required field is missing")
    if kind in _EXPECTED:  # our "expected ..." says it better than pydantic's "Input should be ..."
        return SystemProblem(file, line, field, "wrong type or format", expected=_EXPECTED[kind], got=got)
    return SystemProblem(file, line, field, err["msg"], got=got)


def check_system_text(text: str, file: str = "<input>") -> tuple[SystemDescription | None, list[SystemProblem]]:
    """Parse and validate; returns the description or every problem found (pure)."""
    try:
        data, root = yamlio.load_located(text)
    except yamlio.YAMLError as exc:
        return None, [SystemProblem(file, yamlio.error_line(exc), "(document)", f"not valid YAML/JSON: {yamlio.error_message(exc)}")]
    if data is None:
        return None, [SystemProblem(file, 1, "(document)", "the file is empty", expected="a mapping of fields (see `accord assess schema`)")]
    if not isinstance(data, dict):
        return None, [SystemProblem(file, 1, "(document)", "the top level must be a mapping of fields", expected="a mapping", got=type(data).__name__)]
    try:
        system = SystemDescription.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(dict(e), file, root) for e in exc.errors(include_url=False)]
        return None, sorted(problems, key=lambda p: p.line or 0)
    crossed = [
        SystemProblem(file, yamlio.locate(root, path), ".".join(path), message, expected=expected, got=got)
        for path, message, expected, got in cross_field_problems(system)
    ]
    if crossed:
        return None, sorted(crossed, key=lambda p: p.line or 0)
    run = system.model.training_run
    if run is not None:
        _, chips = load_hardware()
        chip = match_chip(run.gpu_type, chips)
        path: tuple[str | int, ...] = ("model", "training_run", "gpu_type")
        if chip is None:
            known = ", ".join(c.id for c in chips)
            return None, [SystemProblem(file, yamlio.locate(root, path), ".".join(map(str, path)), "unknown accelerator", expected=f"one of {known}", got=run.gpu_type)]
        if run.precision not in chip.tflops:
            path = ("model", "training_run", "precision")
            return None, [SystemProblem(file, yamlio.locate(root, path), ".".join(map(str, path)), f"no {run.precision} figure for {chip.name}", expected="one of " + ", ".join(chip.tflops), got=run.precision)]
    return system, []


def read_system(path: str | Path) -> tuple[SystemDescription | None, list[SystemProblem]]:
    p = Path(path)
    if not p.is_file():
        raise InputError("system description not found", file=p, fix="give the path of a YAML or JSON file")
    return check_system_text(read_text(p), str(p))


def load_system(path: str | Path) -> SystemDescription:
    """Read and validate, raising ``InputError`` at the first problem (all are listed)."""
    system, problems = read_system(path)
    if system is None:
        first = problems[0]
        if len(problems) == 1:
            raise InputError(
                first.message, file=first.file, line=first.line, field=first.field,
                expected=first.expected, got=first.got,
            )  # fmt: skip
        err = InputError(
            f"{len(problems)} problems in the system description:\n" + "\n".join(str(p) for p in problems),
            fix=f"fix the fields above; 'accord assess validate {path}' re-checks",
        )
        err.file, err.line, err.field = first.file, first.line, first.field
        raise err
    return system
