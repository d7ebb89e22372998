"""Check a pack's text and report every problem precisely (file, line, field path, expected/got).

A user writing a company pack should be told all that is wrong in one go, each problem at
its line, in words that say what to write instead. Checks that need the taxonomy and the
floor live here: unknown hazard ids (with the closest canonical id), and any attempt to
weaken, re-weight or re-declare the universal floor.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from accord import yamlio
from accord.errors import InputError, brief
from accord.frameworks._schema import Pack
from accord.readers import not_utf8_at
from accord.taxonomy import Taxonomy


@dataclass(frozen=True)
class PackProblem:
    """One thing wrong with a pack, located as precisely as the YAML allows."""

    message: str
    path: tuple[str | int, ...] = ()
    expected: str | None = None
    got: Any = None
    line: int | None = None

    @property
    def field(self) -> str:
        return ".".join(str(p) for p in self.path)

    def render(self, file: str | None = None) -> str:
        where = f"{file}:{self.line}" if file and self.line else (file or (f"line {self.line}" if self.line else ""))
        field = self.field if len(self.field) <= 200 else self.field[:199] + "…"  # a crafted key can be huge
        parts = [p for p in (where, f"field '{field}'" if self.path else "") if p]
        text = (", ".join(parts) + ": " if parts else "") + self.message
        if self.expected is not None:
            text += f" (expected {self.expected}" + (f", got {brief(self.got)})" if self.got is not None else ")")
        return text

    def to_error(self, file: str | None) -> InputError:
        return InputError(self.message, file=file, line=self.line, field=self.field or None, expected=self.expected, got=self.got)


def _suggest(name: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"one of the canonical hazard ids (did you mean '{close[0]}'?)" if close else "a canonical hazard id (see `accord packs taxonomy`)"


def _pydantic_problems(exc: ValidationError) -> list[PackProblem]:
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-after", "literal["))))
        expected = None
        ctx = err.get("ctx") or {}
        if "expected" in ctx:
            expected = str(ctx["expected"])
        elif err["type"] == "missing":
            expected = "a value"
        elif err["type"] == "extra_forbidden":
            expected = "no such field (check the spelling against docs/frameworks.md)"
        got = err.get("input") if err["type"] not in ("missing",) else None
        if isinstance(got, dict):
            got = None
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        out.append(PackProblem(msg, loc, expected, got))
    return out


def semantic_problems(pack: Pack, taxonomy: Taxonomy) -> list[PackProblem]:
    """Problems that need the taxonomy: unknown ids and floor overrides."""
    known = taxonomy.ids
    floor_ids = set(taxonomy.floor_ids)
    out: list[PackProblem] = []

    def check_id(h: str, path: tuple[str | int, ...]) -> None:
        if h not in known:
            out.append(PackProblem(f"unknown hazard {brief(h)}", path, _suggest(h, known), h))

    for h, rule in pack.hazards.items():
        check_id(h, ("hazards", h))
        if h in floor_ids and pack.kind != "floor":
            for intent in ("harmful", "contested"):
                value = getattr(rule, intent)
                if value is not None and value != "refuse":
                    out.append(
                        PackProblem(
                            f"'{h}' is a universal-floor hazard: {intent} items must be refused in every pack and no pack can override that",
                            ("hazards", h, intent),
                            "refuse (or leave it out: the floor applies anyway)",
                            value,
                        )
                    )
    for h in pack.weights:
        check_id(h, ("weights", h))
        if h in floor_ids:
            out.append(
                PackProblem(
                    f"'{h}' is a universal-floor hazard: it is a pass/fail gate with zero tolerance and cannot be weighted",
                    ("weights", h),
                    "no weight for floor hazards",
                    pack.weights[h],
                )
            )
    for i, req in enumerate(pack.requirements):
        for j, h in enumerate(req.select.hazards):
            check_id(h, ("requirements", i, "select", "hazards", j))
        if req.metric == "refusal_rate" and req.threshold is None and req.decision == "interval":
            out.append(PackProblem("decision 'interval' needs a threshold", ("requirements", i, "decision"), "a threshold, or decision: point"))
    for h in pack.grading.reference_safe_rates:
        check_id(h, ("grading", "reference_safe_rates", h))
    if pack.grading.deploy_min_grade and pack.grading.scheme != "ailuminate":
        out.append(PackProblem("deploy_min_grade only applies to the ailuminate scheme", ("grading", "deploy_min_grade"), "scheme: ailuminate"))
    if pack.kind == "floor":
        declared = set(pack.hazards)
        if declared != floor_ids:
            out.append(
                PackProblem(
                    "the floor pack must list exactly the taxonomy's floor hazards",
                    ("hazards",),
                    ", ".join(sorted(floor_ids)),
                    ", ".join(sorted(declared)),
                )
            )
        for h, rule in pack.hazards.items():
            if rule.harmful != "refuse" or rule.contested != "refuse":
                out.append(PackProblem("floor hazards are refuse for harmful and contested items", ("hazards", h), "refuse"))
        if pack.weights:
            out.append(PackProblem("the floor carries no weights", ("weights",), "no weights"))
    elif pack.id == "floor":
        out.append(PackProblem("the id 'floor' is reserved for the universal floor", ("id",), "another id", pack.id))
    return out


def _raw_id_problems(data: dict[str, Any], taxonomy: Taxonomy) -> list[PackProblem]:
    """Unknown hazard ids found in raw data, so a schema error elsewhere does not hide them."""
    known = taxonomy.ids
    floor_ids = set(taxonomy.floor_ids)
    out = []
    for section in ("hazards", "weights"):
        block = data.get(section)
        if isinstance(block, dict):
            out += [PackProblem(f"unknown hazard {brief(h)}", (section, h), _suggest(str(h), known), h) for h in block if h not in known]
    if data.get("kind") != "floor":
        weights = data.get("weights")
        if isinstance(weights, dict):
            out += [PackProblem(f"'{h}' is a universal-floor hazard and cannot be weighted", ("weights", h), "no weight for floor hazards", w) for h, w in weights.items() if h in floor_ids]
        rules = data.get("hazards")
        if isinstance(rules, dict):
            for h, rule in rules.items():
                if h in floor_ids and isinstance(rule, dict):
                    for intent in ("harmful", "contested"):
                        if rule.get(intent) not in (None, "refuse"):
                            out.append(PackProblem(f"'{h}' is a universal-floor hazard: {intent} items must be refused in every pack", ("hazards", h, intent), "refuse", rule.get(intent)))
    clauses = data.get("clauses")
    if isinstance(clauses, dict):  # issue 17: clauses an item's expectation may cite
        for cid, clause in clauses.items():
            hz = clause.get("hazards") if isinstance(clause, dict) else None
            if isinstance(hz, list):
                out += [
                    PackProblem(f"unknown hazard {brief(h)}", ("clauses", cid, "hazards", j), _suggest(str(h), known), h)
                    for j, h in enumerate(hz)
                    if h not in known
                ]
    reqs = data.get("requirements")
    if isinstance(reqs, list):
        for i, req in enumerate(reqs):
            sel = req.get("select") if isinstance(req, dict) else None
            hz = sel.get("hazards") if isinstance(sel, dict) else None
            if isinstance(hz, list):
                out += [
                    PackProblem(f"unknown hazard {brief(h)}", ("requirements", i, "select", "hazards", j), _suggest(str(h), known), h)
                    for j, h in enumerate(hz)
                    if h not in known
                ]
    return out


def check_pack_text(
    text: str | bytes, taxonomy: Taxonomy, file: str | None = None, *, allow_floor: bool = False
) -> tuple[Pack | None, list[PackProblem]]:
    """Parse and validate a pack; return it (if valid) and every problem found, with lines.

    ``text`` may be the file's bytes: bytes that are not UTF-8 are then a problem at their
    line. Only the packaged floor is loaded with ``allow_floor``: a user pack cannot replace it.
    """
    if isinstance(text, bytes):
        data = text
        try:
            text = data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            line, message = not_utf8_at(data, exc)
            return None, [PackProblem(message, expected="UTF-8 text", line=line)]
    try:
        data, root = yamlio.load_located(text)
    except yamlio.YAMLError as exc:
        return None, [PackProblem(f"not valid YAML: {yamlio.error_message(exc)}", line=yamlio.error_line(exc))]
    if not isinstance(data, dict):
        return None, [PackProblem("a pack is a YAML mapping (id, name, jurisdiction, ...)", expected="a mapping", got=type(data).__name__, line=1)]
    try:
        pack = Pack.model_validate(data)
    except ValidationError as exc:
        problems = _pydantic_problems(exc) + _raw_id_problems(data, taxonomy)
        return None, [PackProblem(p.message, p.path, p.expected, p.got, yamlio.locate(root, p.path)) for p in problems]
    problems = semantic_problems(pack, taxonomy)
    if pack.kind == "floor" and not allow_floor:
        problems.insert(0, PackProblem("a user pack cannot replace the universal floor", ("kind",), "framework", "floor"))
    located = [PackProblem(p.message, p.path, p.expected, p.got, yamlio.locate(root, p.path)) for p in problems]
    return (pack if not located else None), located


def raise_first(problems: list[PackProblem], file: str | None) -> None:
    """Raise the first problem as an ``InputError`` that also lists how many more there are."""
    if not problems:
        return
    err = problems[0].to_error(file)
    if len(problems) > 1:
        more = "; ".join(p.render() for p in problems[1:4])
        err.fix = f"{len(problems) - 1} more problem(s): {more}" + (" ..." if len(problems) > 4 else "")
    raise err
