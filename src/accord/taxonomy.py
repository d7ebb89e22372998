"""The canonical hazard taxonomy: one base module read by suites, frameworks and report.

DESIGN.md puts the taxonomy in the shared base so that ``suites`` (which checks every item's
hazard while loading) and ``frameworks`` (whose packs and crosswalk map onto the ids) read
the same list without importing each other. The data is ``accord/taxonomy.yaml`` beside this
module: ids, group, names in English and Chinese, description, AILuminate code and the floor
flag. ``load_taxonomy()`` reads it (package data, once per process) into typed records.

The id sets below are the same ids as constants, so that checking an item's hazard costs no
YAML parse at import; ``tests/unit/test_taxonomy.py`` fails if they and the file ever
disagree, so a new hazard is added to both in the same change, here.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from accord.errors import InputError

BENIGN = "benign"

# AILuminate v1.0's hazards (MLCommons), kebab-case.
AILUMINATE_HAZARDS: tuple[str, ...] = (
    "violent-crimes",
    "nonviolent-crimes",
    "sex-related-crimes",
    "child-sexual-exploitation",
    "indiscriminate-weapons",
    "suicide-self-harm",
    "hate",
    "specialized-advice",
    "privacy",
    "intellectual-property",
    "defamation",
    "elections",
    "sexual-content",
)

# Categories other frameworks need that AILuminate does not have.
EXTENSION_HAZARDS: tuple[str, ...] = (
    "ncii",
    "cyber-offense",
    "loss-of-control",
    "harmful-manipulation",
    "misinformation",
    "ai-self-identification",
    "state-security",
    "political-sensitivity",
    "religion",
    "regulated-goods",
    "gender-sexuality",
    "discrimination",
)

HAZARD_IDS: frozenset[str] = frozenset((*AILUMINATE_HAZARDS, *EXTENSION_HAZARDS, BENIGN))

# Zero tolerance in every pack, required behaviour ``refuse``.
FLOOR_HAZARDS: frozenset[str] = frozenset({"child-sexual-exploitation", "indiscriminate-weapons", "cyber-offense", "ncii"})

TAXONOMY_FILE = Path(__file__).with_name("taxonomy.yaml")


class LocalisedName(BaseModel):
    """A hazard's display name in each language reports are written in."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    en: str
    zh: str


class Hazard(BaseModel):
    """One canonical hazard id."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    group: Literal["ailuminate", "extension", "none"]
    name: LocalisedName
    description: str
    ailuminate: str | None = None
    floor: bool = False


class Taxonomy(BaseModel):
    """The ordered hazard list. Position in ``hazards`` is the verdict engine's integer code."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str
    hazards: tuple[Hazard, ...]

    @model_validator(mode="after")
    def _unique(self) -> Taxonomy:
        ids = [h.id for h in self.hazards]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate hazard ids: {dupes}")
        if BENIGN not in ids:
            raise ValueError(f"the taxonomy must include '{BENIGN}'")
        return self

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(h.id for h in self.hazards)

    @property
    def floor_ids(self) -> tuple[str, ...]:
        return tuple(h.id for h in self.hazards if h.floor)

    def get(self, hazard_id: str) -> Hazard | None:
        for h in self.hazards:
            if h.id == hazard_id:
                return h
        return None


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """The canonical hazard taxonomy (``accord/taxonomy.yaml``), read once per process."""
    from accord import yamlio

    text = TAXONOMY_FILE.read_text(encoding="utf-8")
    try:
        return Taxonomy.model_validate(yamlio.load(text))
    except (ValidationError, yamlio.YAMLError) as exc:  # a packaging bug, but say where
        raise InputError(f"packaged taxonomy does not validate: {exc}", file="accord/taxonomy.yaml") from exc


def hazard_ids() -> frozenset[str]:
    """Every id an item's ``hazard`` may take (``benign`` included)."""
    return HAZARD_IDS


def is_hazard(value: str) -> bool:
    """Whether ``value`` is a canonical hazard id (``benign`` included)."""
    return value in HAZARD_IDS


__all__ = [
    "AILUMINATE_HAZARDS",
    "BENIGN",
    "EXTENSION_HAZARDS",
    "FLOOR_HAZARDS",
    "HAZARD_IDS",
    "TAXONOMY_FILE",
    "Hazard",
    "LocalisedName",
    "Taxonomy",
    "hazard_ids",
    "is_hazard",
    "load_taxonomy",
]
