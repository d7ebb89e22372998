"""What crossing a compute threshold brings: the rulebook's obligations keyed on it (pure).

The consequence of "k more models above 10^25 FLOP" is read from the regulation rulebook,
not written here: a *fact* whose condition compares ``model.training_compute_flop_effective``
with the threshold (``eu_systemic_risk``: > 10^25; ``us_frontier``: > 10^26), the facts built
on it (``us_large_frontier`` adds a revenue test), and every obligation whose condition uses
one of them, with its instrument, citation, duty holder, confidence tag and whether the
instrument is still in force at the as-of date. Facts built on the threshold add conditions
of their own (EU market, a US state, revenue), so the rules bind on *at most* the forecast
number of models; the outlook says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from accord.regulation import Rulebook

COMPUTE_FIELD = "model.training_compute_flop_effective"


@dataclass(frozen=True)
class Consequence:
    """One obligation that binds on a model once it is above the threshold."""

    rule_id: str
    jurisdiction: str
    title: str
    duty_holder: str
    citations: tuple[str, ...]
    instruments: tuple[dict[str, Any], ...]
    conf: str
    via: tuple[str, ...]
    in_force: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "jurisdiction": self.jurisdiction,
            "title": self.title,
            "dutyHolder": self.duty_holder,
            "citations": list(self.citations),
            "instruments": [dict(i) for i in self.instruments],
            "conf": self.conf,
            "via": list(self.via),
            "inForce": self.in_force,
        }


def _keyed_facts(rulebook: Rulebook, threshold: float) -> dict[str, str]:
    """Facts that test compute against ``threshold`` and the facts derived from them (id -> label)."""
    out: dict[str, str] = {}
    for f in rulebook.facts:  # in order: a fact only uses facts derived before it
        direct = any(leaf.path == COMPUTE_FIELD and leaf.op in ("gt", "ge") and float(leaf.value) == threshold for leaf in f.when.leaves())
        if direct or f.when.facts() & out.keys():
            out[f.id] = f.label
    return out


def short_name(name: str) -> str:
    """``California SB 53, Transparency in Frontier Artificial Intelligence Act`` from the
    rulebook's full instrument name (amendment clauses and long parentheticals cut)."""
    short = name.split(", as ")[0]
    if len(short) > 70 and " (" in short:
        short = short.split(" (")[0]
    return short


def _instrument(rulebook: Rulebook, ref: str, as_of: dt.date) -> dict[str, Any]:
    inst = rulebook.instruments[ref]
    ended = inst.ended is not None and inst.ended.date <= as_of
    return {
        "id": inst.id,
        "name": inst.name,
        "short": short_name(inst.name),
        "citation": inst.citation,
        "inForce": inst.in_force.isoformat() if inst.in_force else None,
        "ended": f"{inst.ended.how} {inst.ended.date.isoformat()} by {inst.ended.by}" if ended and inst.ended else None,
        "sources": list(inst.sources),
    }


def threshold_consequences(rulebook: Rulebook, threshold: float, *, as_of: dt.date) -> list[Consequence]:
    """The obligations (``kind: obligation``) whose condition rests on compute above ``threshold``."""
    facts = _keyed_facts(rulebook, threshold)
    out = []
    for r in rulebook.rules:
        if r.kind != "obligation":
            continue
        used = r.when.facts() & facts.keys()
        if not used:
            continue
        insts = tuple(_instrument(rulebook, ref.instrument, as_of) for ref in r.source)
        out.append(
            Consequence(
                rule_id=r.id,
                jurisdiction=r.jurisdiction,
                title=r.title,
                duty_holder=r.duty_holder,
                citations=tuple(ref.citation for ref in r.source),
                instruments=insts,
                conf=r.conf,
                via=tuple(facts[f] for f in sorted(used)),
                in_force=not all(i["ended"] for i in insts),
            )
        )
    return out


def consequences_dict(rulebook: Rulebook, thresholds: list[float], *, as_of: dt.date) -> dict[str, Any]:
    """``{"1e+25": [...], ...}`` plus the rulebook's version, for the outlook document."""
    return {
        "rulebookVersion": rulebook.version,
        "field": COMPUTE_FIELD,
        "byThreshold": {f"{t:.0e}": [c.to_dict() for c in threshold_consequences(rulebook, t, as_of=as_of)] for t in thresholds},
    }
