"""ECCN 3A090 classification of every chip in Epoch's hardware table (pure).

TPP and the paragraphs come from the regulation package — ``chip_tpp`` with the rulebook's
bit-length table (``hardware.yaml``) and ``classify_3a090`` with ``compute.yaml`` — so the
thresholds (TPP 4,800; 1,600 with PD 5.92; …) exist once. Epoch's table does not say whether a
chip is "designed or marketed for datacenters", which 3A090.a.2 and .b turn on: chips Epoch
curates as ML hardware are treated as datacenter chips, the rest are not, and reports say so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from accord.horizon._data import ChipRow, year_fraction
from accord.horizon._fit import LEVEL, N_BOOT, LineFit, fit_line
from accord.horizon._trend import band_dicts
from accord.regulation import Chip, TppResult, chip_tpp, classify_3a090

DATACENTER_ASSUMPTION = "datacenter = Epoch's 'ML hardware' flag (Epoch does not record how a chip is marketed)"


@dataclass(frozen=True)
class ChipClass:
    chip: ChipRow
    result: TppResult | None  # None: no precision that counts for TPP

    @property
    def controlled(self) -> bool:
        return self.result is not None and any(p.startswith("3A090.a") for p in self.result.paragraphs)

    def to_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "name": self.chip.name,
            "manufacturer": self.chip.manufacturer,
            "type": self.chip.kind,
            "released": self.chip.released.isoformat() if self.chip.released else None,
            "mlHardware": self.chip.ml_hardware,
            "tpp": r.tpp if r else None,
            "basis": r.basis if r else None,
            "pd": r.pd if r else None,
            "paragraphs": list(r.paragraphs) if r else [],
            "notEvaluated": list(r.not_evaluated) if r else [],
            "controlled3A090a": self.controlled,
        }


def classify_chips(chips: list[ChipRow], bits: dict[str, int], spec: dict[str, Any]) -> list[ChipClass]:
    """TPP, PD and the 3A090 paragraphs met, for every chip (``spec`` = ``compute.yaml``'s ``eccn_3a090``)."""
    out = []
    for c in chips:
        reg_chip = Chip(
            id=c.name,
            name=c.name,
            tflops=dict(c.tops),
            die_area_mm2=c.die_area_mm2,
            memory_bandwidth_gbs=c.memory_bandwidth_gbs,
            datacenter=c.ml_hardware,
            source="Epoch AI, Data on Machine Learning Hardware",
            conf="Epoch",
        )
        try:
            tpp, basis = chip_tpp(reg_chip, bits)
        except ValueError:
            out.append(ChipClass(c, None))
            continue
        out.append(ChipClass(c, classify_3a090(c.name, tpp, basis, c.die_area_mm2, c.memory_bandwidth_gbs, c.ml_hardware, spec)))
    return out


@dataclass(frozen=True, eq=False)
class TppTrend:
    fit: LineFit
    chips: int
    records: tuple[ChipClass, ...] = ()

    @property
    def growth_per_year(self) -> float:
        return 10**self.fit.slope

    def to_dict(self) -> dict[str, Any]:
        return {
            "definition": "OLS of log10 TPP on release date over Epoch ML-hardware chips that set a TPP record at release",
            "chips": self.chips,
            "growthPerYear": self.growth_per_year,
            "growthLow": 10**self.fit.slope_low,
            "growthHigh": 10**self.fit.slope_high,
            "level": self.fit.level,
            "fit": self.fit.summary(),
            "points": [
                {
                    "name": c.chip.name,
                    "released": c.chip.released.isoformat() if c.chip.released else None,
                    "tpp": c.result.tpp if c.result else None,
                }
                for c in self.records
            ],
            "band": band_dicts(
                self.fit,
                min(c.chip.released for c in self.records if c.chip.released),
                max(c.chip.released for c in self.records if c.chip.released),
                months_ahead=12,
            )
            if self.records
            else [],
        }


def tpp_frontier_trend(
    classes: list[ChipClass], *, as_of: dt.date | None = None, n_boot: int = N_BOOT, level: float = LEVEL, seed: int = 0
) -> TppTrend:
    """Growth of TPP at the frontier: the chips that beat every earlier ML chip's TPP."""
    import numpy as np

    dated = sorted(
        (c for c in classes if c.result and c.chip.ml_hardware and c.chip.released and (as_of is None or c.chip.released < as_of)),
        key=lambda c: c.chip.released or dt.date.min,
    )
    best, records = 0.0, []
    for c in dated:
        assert c.result is not None and c.chip.released is not None
        if c.result.tpp > best:
            best = c.result.tpp
            records.append(c)
    x = np.array([year_fraction(c.chip.released) for c in records if c.chip.released])
    y = np.log10([c.result.tpp for c in records if c.result])
    return TppTrend(fit_line(x, y, n_boot=n_boot, level=level, seed=seed), len(records), tuple(records))
