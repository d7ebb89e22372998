"""The rulebook: instruments, derived facts and rules, as validated data.

A rulebook is built from plain mappings (parsed YAML) by ``Rulebook.from_documents``; reading
the files is the caller's job (``_load.py``), so everything here stays pure. Each rule names
the instrument it comes from, its citation (article/section), a confidence tag copied from
``frameworks.md`` (P / S / M / UNVERIFIED), when it applies (with the amendments that moved
its date), and the condition over the system description that triggers it.
"""

from __future__ import annotations

import re
from datetime import date
from datetime import date as Date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from accord.regulation._conditions import Condition, ConditionSyntaxError, parse

JurisdictionId = Literal["eu", "cn", "us", "labs"]
JURISDICTIONS: tuple[str, ...] = ("eu", "cn", "us", "labs")
_CONF = re.compile(r"^(P|S|M|UNVERIFIED)( / (P|S|M|UNVERIFIED))*$")


def check_conf(v: str) -> str:
    """A confidence tag: P, S, M or UNVERIFIED, or several joined by ' / ' (e.g. 'P / S')."""
    if not _CONF.match(v):
        raise ValueError(f"confidence tag must be P, S, M or UNVERIFIED (joined by ' / '), got {v!r}")
    return v


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Ended(_Data):
    """How and when an instrument stopped having effect."""

    date: Date
    how: Literal["revoked", "rescinded", "superseded", "repealed"]
    by: str
    citation: str = ""
    never_applied: bool = Field(False, description="Ended before any of its duties applied (e.g. Colorado SB 24-205): said in the output so no one reads a past obligation into it.")


class Instrument(_Data):
    id: str
    jurisdiction: JurisdictionId
    name: str
    citation: str
    binding: bool
    adopted: date | None = None
    in_force: date | None = None
    ended: Ended | None = None
    conf: str
    sources: list[str] = Field(default_factory=list)
    note: str = ""

    @field_validator("conf")
    @classmethod
    def _conf(cls, v: str) -> str:
        return check_conf(v)


class InstrumentRef(_Data):
    """The instrument a rule comes from and the citation within it."""

    instrument: str
    citation: str


class DateStep(_Data):
    """One version of a rule's application date.

    ``since`` is the date this version became law (``None``: the original text); an amendment
    adds a step with a later ``since``. ``when`` narrows a step to some systems (e.g. legacy
    models placed on the market before a date). At an as-of date the step with the latest
    ``since`` not after it, among those whose ``when`` holds, gives the date.

    ``exempt`` makes the step an exemption rather than a date (e.g. Art 111(2): a legacy
    high-risk system without a significant design change); ``applies_from`` is then the date
    from which the exemption matters. ``from_field`` names a date field of the description
    that moves the date later when it is (e.g. the day of a significant design change).
    """

    applies_from: date
    since: date | None = None
    by: str = ""
    when: Condition | None = None
    note: str = ""
    exempt: str = ""
    from_field: str = ""

    @field_validator("when", mode="before")
    @classmethod
    def _parse_when(cls, v: Any) -> Condition | None:
        return None if v is None else _parse(v, "schedule.when")


class Fact(_Data):
    """A named, derived truth (e.g. ``eu_high_risk_annex_iii``) other conditions can use."""

    id: str
    label: str
    when: Condition
    jurisdiction: JurisdictionId | None = None
    show: bool = Field(False, description="List it under the jurisdiction's classification when true.")

    @field_validator("when", mode="before")
    @classmethod
    def _parse_when(cls, v: Any) -> Condition:
        return _parse(v, "fact.when")


class Rule(_Data):
    id: str
    jurisdiction: JurisdictionId
    kind: Literal["obligation", "flag", "info"] = "obligation"
    source: list[InstrumentRef] = Field(min_length=1)
    title: str
    duty_holder: str
    when: Condition
    exempt_when: Condition | None = None
    exempt_reason: str = ""
    schedule: list[DateStep] = Field(default_factory=list)
    conf: str
    notes: list[str] = Field(default_factory=list)

    @field_validator("conf")
    @classmethod
    def _conf(cls, v: str) -> str:
        return check_conf(v)

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, dict) else v

    @field_validator("when", "exempt_when", mode="before")
    @classmethod
    def _parse_when(cls, v: Any) -> Condition | None:
        return None if v is None else _parse(v, "rule.when")

    @model_validator(mode="after")
    def _exempt_has_reason(self) -> Rule:
        if self.exempt_when is not None and not self.exempt_reason:
            raise ValueError(f"rule {self.id}: exempt_when needs an exempt_reason")
        return self


def _parse(v: Any, where: str) -> Condition:
    if isinstance(v, Condition):
        return v
    try:
        return parse(v, where)
    except ConditionSyntaxError as exc:
        raise ValueError(str(exc)) from exc


class Rulebook(_Data):
    """All instruments, facts and rules, cross-checked on construction."""

    instruments: dict[str, Instrument]
    facts: list[Fact]
    rules: list[Rule]
    version: str = ""

    @model_validator(mode="after")
    def _cross_check(self) -> Rulebook:
        known_facts: set[str] = set()
        for f in self.facts:
            missing = f.when.facts() - known_facts
            if missing:
                raise ValueError(f"fact '{f.id}' uses facts not derived before it: {sorted(missing)}")
            known_facts.add(f.id)
        ids: set[str] = set()
        for r in self.rules:
            if r.id in ids:
                raise ValueError(f"duplicate rule id '{r.id}'")
            ids.add(r.id)
            for ref in r.source:
                if ref.instrument not in self.instruments:
                    raise ValueError(f"rule '{r.id}' cites unknown instrument '{ref.instrument}'")
            conds = [r.when, r.exempt_when, *(s.when for s in r.schedule)]
            for c in conds:
                if c is not None and c.facts() - known_facts:
                    raise ValueError(f"rule '{r.id}' uses unknown facts {sorted(c.facts() - known_facts)}")
        return self

    @classmethod
    def from_documents(cls, docs: list[dict[str, Any]]) -> Rulebook:
        """Merge parsed data files (each with optional ``instruments``, ``facts``, ``rules``)."""
        instruments: dict[str, Instrument] = {}
        facts: list[Fact] = []
        rules: list[Rule] = []
        versions = [str(d["version"]) for d in docs if d.get("version")]
        for doc in docs:
            for raw in doc.get("instruments", []) or []:
                inst = Instrument.model_validate(raw)
                if inst.id in instruments:
                    raise ValueError(f"duplicate instrument id '{inst.id}'")
                instruments[inst.id] = inst
            facts.extend(Fact.model_validate(x) for x in doc.get("facts", []) or [])
            rules.extend(Rule.model_validate(x) for x in doc.get("rules", []) or [])
        return cls(instruments=instruments, facts=facts, rules=rules, version=max(versions, default=""))

    def _conditions(self) -> list[Condition]:
        out: list[Condition] = [f.when for f in self.facts]
        for r in self.rules:
            out.extend(c for c in (r.when, r.exempt_when, *(s.when for s in r.schedule)) if c is not None)
        return out

    def thresholds(self, path: str) -> list[float]:
        """Numeric thresholds any condition compares ``path`` against (e.g. 1e23, 1e25, 1e26)."""
        values = {
            float(leaf.value)
            for c in self._conditions()
            for leaf in c.leaves()
            if leaf.path == path and leaf.op in ("gt", "ge", "lt", "le")
        }
        return sorted(values)

    def fields_used(self) -> set[str]:
        """Every system-description path any condition reads (tests check they exist)."""
        out: set[str] = set()
        for f in self.facts:
            out |= f.when.fields()
        for r in self.rules:
            for c in (r.when, r.exempt_when, *(s.when for s in r.schedule)):
                if c is not None:
                    out |= c.fields()
            out |= {s.from_field for s in r.schedule if s.from_field}
        return out
