"""Assess a system description against a rulebook at a date (pure).

The engine knows nothing about any law: it flattens the description into a view of dotted
paths (plus a few derived values such as the effective training compute), derives the
rulebook's facts in order, and for each rule whose condition holds works out which instrument
governs at the as-of date and the rule's status there. The law lives in the data files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from datetime import date as Date
from typing import Any, Literal

from pydantic import BaseModel, Field

from accord.regulation._compute import Chip, ComputeEstimate, estimate_from_hardware, estimate_from_params, match_chip
from accord.regulation._conditions import Result, fmt
from accord.regulation._rulebook import JURISDICTIONS, DateStep, Instrument, InstrumentRef, Rule, Rulebook
from accord.regulation._system import SystemDescription

COMPUTE_PATH = "model.training_compute_flop_effective"
StatusKind = Literal["applies", "applies_from", "no_longer_in_force", "voluntary", "exempt"]


class ObligationStatus(BaseModel):
    kind: StatusKind
    date: Date | None = None
    text: str


class Obligation(BaseModel):
    """One rule as it bears on one system at one date."""

    rule_id: str
    jurisdiction: str
    kind: Literal["obligation", "flag", "info"]
    instrument: str
    instrument_name: str
    citation: str
    title: str
    duty_holder: str
    status: ObligationStatus
    conf: str
    why: list[str]
    notes: list[str] = Field(default_factory=list)


class ComputeBasis(BaseModel):
    flop: float | None
    basis: str
    low: float | None = None
    high: float | None = None
    straddles: list[float] = Field(default_factory=list, description="Rule thresholds inside the estimate's range: the rules use the central value, but the outcome is uncertain.")


class Assessment(BaseModel):
    system: str
    as_of: date
    rules_version: str
    jurisdictions: list[str]
    compute: ComputeBasis
    classification: dict[str, list[str]]
    obligations: list[Obligation]

    def by_jurisdiction(self, j: str) -> list[Obligation]:
        return [o for o in self.obligations if o.jurisdiction == j]

    def find(self, rule_id: str) -> Obligation | None:
        return next((o for o in self.obligations if o.rule_id == rule_id), None)


def effective_compute(
    system: SystemDescription, chips: Iterable[Chip] = ()
) -> tuple[float | None, str, ComputeEstimate | None]:
    """Training compute as given, else 6ND from parameters and tokens, else a hardware estimate
    from ``model.training_run`` (needs the chip table), else unknown."""
    m = system.model
    if m.training_compute_flop is not None:
        return m.training_compute_flop, "given (model.training_compute_flop)", None
    if m.parameters is not None and m.training_tokens is not None:
        est = estimate_from_params(m.parameters, m.training_tokens)
        return est.central, f"estimated 6ND from model.parameters x model.training_tokens (range {fmt(est.low)}-{fmt(est.high)})", est
    run = m.training_run
    if run is not None:
        chip = match_chip(run.gpu_type, chips)
        if chip is None:
            return None, f"unknown (accelerator '{run.gpu_type}' not in the hardware table)", None
        util = None if run.utilization is None else (run.utilization, run.utilization)
        est = estimate_from_hardware(run.gpus, chip, run.days, util, run.precision)
        return est.central, (
            f"estimated from model.training_run: {run.gpus} x {chip.name}, {run.days:g} days, "
            f"{'utilisation ' + format(run.utilization, 'g') if run.utilization else 'utilisation 0.3-0.5 assumed'} "
            f"(range {fmt(est.low)}-{fmt(est.high)})"
        ), est
    return None, "unknown (give model.training_compute_flop, parameters and training_tokens, or training_run)", None


def advisories(system: SystemDescription) -> list[str]:
    """Gaps that make an assessment silently thinner (valid, but probably not meant)."""
    out = []
    d, m = system.deployment, system.model
    if not d.jurisdictions and not d.users_in:
        out.append("deployment.jurisdictions and deployment.users_in are empty: no jurisdiction is in scope")
    known = m.training_compute_flop is not None or (m.parameters and m.training_tokens) or m.training_run
    if m.developer and not known:
        out.append(
            "model.developer is true but training compute is unknown: compute thresholds (10^23, 10^25, 10^26) "
            "cannot be checked; give model.training_compute_flop, parameters and training_tokens, or training_run"
        )
    if (system.high_risk.annex_iii or system.high_risk.annex_i_legislation) and d.placed_on_market is None:
        out.append(
            "deployment.placed_on_market is not given: the Art 111(2) rule for high-risk systems already on the "
            "market cannot be checked, so the system is assessed as new"
        )
    if m.open_source_licence and not m.open_weights:
        out.append("model.open_source_licence is true but model.open_weights is false: Art 53(2) needs public weights")
    return out


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else k, v, out)
    else:
        out[prefix] = value


def system_view(system: SystemDescription, chips: Iterable[Chip] = ()) -> dict[str, Any]:
    """Dotted paths → values, plus derived ``model.training_compute_flop_effective`` and
    ``deployment.markets`` (jurisdictions ∪ users_in)."""
    view: dict[str, Any] = {}
    _flatten("", system.model_dump(mode="python"), view)
    flop, _, _ = effective_compute(system, chips)
    view[COMPUTE_PATH] = flop
    view["deployment.markets"] = sorted(set(system.deployment.jurisdictions) | set(system.deployment.users_in))
    return view


def derive_facts(book: Rulebook, view: Mapping[str, Any]) -> dict[str, Result]:
    facts: dict[str, Result] = {}
    for f in book.facts:
        facts[f.id] = f.when.evaluate(view, facts)  # reasons: the fields behind it
    return facts


def _live(inst: Instrument, as_of: date) -> bool:
    started = inst.in_force is None or inst.in_force <= as_of
    ended = inst.ended is not None and inst.ended.date <= as_of
    return started and not ended


def _adopted(inst: Instrument, as_of: date) -> bool:
    return inst.adopted is None or inst.adopted <= as_of


def _pick_source(rule: Rule, book: Rulebook, as_of: date) -> InstrumentRef | None:
    """The instrument that governs at ``as_of``: live, else upcoming, else ended; ``None`` if
    none was adopted yet."""
    refs = [r for r in rule.source if _adopted(book.instruments[r.instrument], as_of)]
    live = [r for r in refs if _live(book.instruments[r.instrument], as_of)]
    if live:
        return live[-1]
    upcoming = [r for r in refs if (e := book.instruments[r.instrument].ended) is None or e.date > as_of]
    if upcoming:
        return upcoming[0]
    return refs[-1] if refs else None


def _pick_step(
    rule: Rule, view: Mapping[str, Any], facts: Mapping[str, Result], as_of: date
) -> tuple[DateStep | None, list[DateStep], list[DateStep]]:
    """(step in force at as_of, matching steps in later law, all matching steps)."""
    matching = [s for s in rule.schedule if s.when is None or s.when.evaluate(view, facts).ok]
    current: DateStep | None = None
    for s in matching:  # latest `since` not after as_of; first listed wins a tie
        since = s.since or date.min
        if since <= as_of and (current is None or since > (current.since or date.min)):
            current = s
    later: dict[date, DateStep] = {}  # per later version of the law, the step that wins there
    for s in matching:
        if s.since is not None and s.since > as_of:
            later.setdefault(s.since, s)
    return current, [later[k] for k in sorted(later)], matching


def _step_date(step: DateStep, view: Mapping[str, Any]) -> date:
    """The step's date, moved later by its ``from_field`` when that date field is later."""
    moved = view.get(step.from_field) if step.from_field else None
    return moved if isinstance(moved, date) and moved > step.applies_from else step.applies_from


def _describe_step(step: DateStep, view: Mapping[str, Any]) -> str:
    return "exempt" if step.exempt else _step_date(step, view).isoformat()


def _status(
    rule: Rule, inst: Instrument, view: Mapping[str, Any], facts: Mapping[str, Result], as_of: date
) -> tuple[ObligationStatus, list[str]] | None:
    """The rule's status at ``as_of`` under ``inst``, with notes; ``None`` if not yet law."""
    notes: list[str] = []
    if inst.ended is not None and inst.ended.date <= as_of:
        e = inst.ended
        return ObligationStatus(
            kind="no_longer_in_force",
            date=e.date,
            text=f"no longer in force: {e.how} {e.date.isoformat()} by {e.by}"
            + (f" ({e.citation})" if e.citation else "")
            + ("; it never applied" if e.never_applied else ""),
        ), notes
    start: date | None
    exempt = ""
    if rule.schedule:
        step, later, matching = _pick_step(rule, view, facts, as_of)
        if step is None:
            return None  # not yet law at as_of
        start = _step_date(step, view)
        exempt = step.exempt
        if step.by:
            original = next((s for s in matching if s.since is None), None)
            was = f"; originally {_describe_step(original, view)}" if original else ""
            if original is not None and original.exempt and exempt:
                was = "; exempt under the original text too"
            notes.append(f"{'exemption' if exempt else 'date'} as amended by {step.by} (law since {step.since}){was}")
        if exempt and step.when is not None:
            notes.extend("exempt because " + r for r in step.when.evaluate(view, facts).reasons)
        if step.note:
            notes.append(step.note)
        for s in later:
            if s.exempt and s.exempt != exempt:
                notes.append(f"{s.by or 'a later amendment'} (law from {s.since}) exempts it: {s.exempt}")
            elif not s.exempt and (exempt or _step_date(s, view) != start):
                notes.append(
                    f"{s.by or 'a later amendment'} (law from {s.since}) moves this date to {_step_date(s, view).isoformat()}"
                )
    else:
        start = inst.in_force
    if inst.ended is not None:
        notes.append(
            f"later {inst.ended.how} {inst.ended.date.isoformat()} by {inst.ended.by}"
            + ("; it never applied" if inst.ended.never_applied else "")
        )
    if exempt:
        return ObligationStatus(kind="exempt", date=start, text=f"exempt: {exempt}"), notes
    if not inst.binding:
        text = "voluntary" + (f" (from {start.isoformat()})" if start and start > as_of else "")
        return ObligationStatus(kind="voluntary", date=start, text=text), notes
    if start is not None and as_of < start:
        return ObligationStatus(kind="applies_from", date=start, text=f"applies from {start.isoformat()}"), notes
    return ObligationStatus(kind="applies", date=start, text="applies" + (f" (since {start.isoformat()})" if start else "")), notes


def _dedupe(items: Iterable[str], labels: Mapping[str, str] | None = None) -> list[str]:
    """Unique reasons in order, with ``{fact:id}`` placeholders replaced by the fact's label."""
    seen: dict[str, None] = {}
    for x in items:
        if labels and "{fact:" in x:
            for fid, label in labels.items():
                x = x.replace("{fact:" + fid + "}", label)
        seen.setdefault(x, None)
    return list(seen)


def assess(
    system: SystemDescription,
    book: Rulebook,
    as_of: date,
    jurisdictions: Iterable[str] | None = None,
    chips: Iterable[Chip] = (),
) -> Assessment:
    """Every rule of the chosen jurisdictions that bears on ``system`` at ``as_of``."""
    wanted = list(jurisdictions) if jurisdictions else list(JURISDICTIONS)
    unknown = [j for j in wanted if j not in JURISDICTIONS]
    if unknown:
        raise ValueError(f"unknown jurisdiction(s) {unknown}; known: {list(JURISDICTIONS)}")
    chips = tuple(chips)
    view = system_view(system, chips)
    facts = derive_facts(book, view)
    labels = {f.id: f.label for f in book.facts}
    out: list[Obligation] = []
    for rule in book.rules:
        if rule.jurisdiction not in wanted:
            continue
        hit = rule.when.evaluate(view, facts)
        if not hit.ok:
            continue
        ref = _pick_source(rule, book, as_of)
        if ref is None:
            continue
        inst = book.instruments[ref.instrument]
        resolved = _status(rule, inst, view, facts, as_of)
        if resolved is None:
            continue
        status, notes = resolved
        notes = [n for n in notes if n.removeprefix("exempt because ") not in hit.reasons]  # no echo of "why"
        if rule.exempt_when is not None and status.kind != "no_longer_in_force":
            ex = rule.exempt_when.evaluate(view, facts)
            if ex.ok:
                status = ObligationStatus(kind="exempt", date=status.date, text=f"exempt: {rule.exempt_reason}")
                notes = [*notes, *("exempt because " + r for r in ex.reasons)]
        out.append(
            Obligation(
                rule_id=rule.id,
                jurisdiction=rule.jurisdiction,
                kind=rule.kind,
                instrument=inst.id,
                instrument_name=inst.name,
                citation=ref.citation,
                title=rule.title,
                duty_holder=rule.duty_holder,
                status=status,
                conf=rule.conf,
                why=_dedupe(hit.reasons, labels),
                notes=_dedupe([*notes, *rule.notes], labels),
            )
        )
    classification = {
        j: [f.label for f in book.facts if f.show and f.jurisdiction == j and facts[f.id].ok] for j in wanted
    }
    flop, basis, est = effective_compute(system, chips)
    straddles = [t for t in book.thresholds(COMPUTE_PATH) if est and est.low <= t < est.high]
    return Assessment(
        system=system.name,
        as_of=as_of,
        rules_version=book.version,
        jurisdictions=wanted,
        compute=ComputeBasis(
            flop=flop, basis=basis, low=est.low if est else None, high=est.high if est else None, straddles=straddles
        ),
        classification=classification,
        obligations=out,
    )
