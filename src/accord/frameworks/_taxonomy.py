"""The crosswalk, as typed records; the hazard taxonomy itself is ``accord.taxonomy``.

The taxonomy (``accord/taxonomy.yaml``, in the shared base) fixes the ids every pack,
crosswalk row and suite uses; ``crosswalk.yaml`` maps each framework's own categories onto
them, one citation per row. It is package data read by ``_load.py``; these models only check
its shape. ``Hazard`` and ``Taxonomy`` are re-exported here for the package's own modules.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from accord.frameworks._schema import Conf
from accord.taxonomy import Hazard, Taxonomy

__all__ = ["Crosswalk", "CrosswalkRow", "Hazard", "Taxonomy"]


class CrosswalkRow(BaseModel):
    """One of a framework's own categories and the canonical hazards it maps to."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    pack: str
    category: str
    name: str
    hazards: tuple[str, ...] = Field(min_length=1)
    cite: str = Field(min_length=1)
    conf: Conf
    note: str | None = None


class Crosswalk(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str
    rows: tuple[CrosswalkRow, ...]

    def for_pack(self, pack_id: str) -> tuple[CrosswalkRow, ...]:
        return tuple(r for r in self.rows if r.pack == pack_id)

    def packs_naming(self, hazard_id: str) -> tuple[str, ...]:
        """Packs with at least one category mapped to this hazard (the floor's justification)."""
        return tuple(sorted({r.pack for r in self.rows if hazard_id in r.hazards}))
