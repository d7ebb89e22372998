"""Parse the public trend data (Epoch models and chips, METR horizons) from text (pure).

The pipeline reads the files; this module only turns their text into rows. Every row that
cannot be used is **counted by reason** in a ``DataQuality`` record that travels with the
result and is printed in every report, because a forecast that silently lost a third of its
rows would look as certain as one that lost none.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from accord.errors import InputError

DAYS_PER_YEAR = 365.2425


def year_fraction(d: dt.date) -> float:
    """A date as a decimal year (ordinal days / 365.2425), the x axis of every fit."""
    return d.toordinal() / DAYS_PER_YEAR


def date_of(year: float) -> dt.date:
    """Inverse of ``year_fraction``, clamped to the dates Python can hold."""
    ordinal = round(year * DAYS_PER_YEAR)
    return dt.date.fromordinal(min(max(ordinal, 1), dt.date.max.toordinal()))


def parse_date(text: str) -> dt.date | None:
    """``YYYY-MM-DD`` (or a date object from YAML); ``None`` when it is anything else."""
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text).strip()[:10])
    except ValueError:
        return None


def parse_positive(text: Any) -> float | None:
    """A finite positive float, else ``None`` (Epoch writes ``4.64e+26``; blanks mean unknown)."""
    try:
        v = float(str(text).strip())
    except ValueError:
        return None
    return v if math.isfinite(v) and v > 0 else None


@dataclass(frozen=True)
class DataQuality:
    """How many rows a file had, how many were used, and why each of the others was not."""

    source: str
    rows: int
    used: int
    dropped: dict[str, int] = field(default_factory=dict)
    examples: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows": self.rows,
            "used": self.used,
            "dropped": dict(self.dropped),
            "examples": {k: list(v) for k, v in self.examples.items()},
        }


class _Tally:
    def __init__(self, source: str) -> None:
        self.source = source
        self.rows = 0
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = {}

    def drop(self, reason: str, name: str) -> None:
        self.counts[reason] += 1
        ex = self.examples.setdefault(reason, [])
        if len(ex) < 3:
            ex.append(name)

    def done(self, used: int) -> DataQuality:
        assert used + sum(self.counts.values()) == self.rows, "every row is used or counted"
        return DataQuality(self.source, self.rows, used, dict(self.counts), {k: tuple(v) for k, v in self.examples.items()})


def require_columns(header: Sequence[str] | None, required: tuple[str, ...], source: str, what: str) -> None:
    """Refuse a file whose header lacks a column the parser reads, naming the column.

    Newer exports of the same Epoch table keep these names (extra columns are fine and
    ignored); a renamed or dropped column would otherwise read as "every value missing" and
    silently empty the forecast, so it is an error that says which column and what was there.
    """
    have = [h.strip().lstrip("\ufeff") for h in header or []]
    for col in required:
        if col not in have:
            close = [h for h in have if h.casefold().split(" (")[0] == col.casefold().split(" (")[0]]
            raise InputError(
                f"column '{col}' is missing",
                file=source,
                line=1,
                field=col,
                expected=f"{what} with the columns " + ", ".join(f"'{c}'" for c in required),
                got=f"a similar column {close[0]!r}"
                if close
                else f"{len(have)} columns: " + ", ".join(have[:8]) + (", ..." if len(have) > 8 else ""),
                fix="give a file with the same columns as Epoch's published export (see docs/horizon.md)",
            )


def _reader(text: str) -> csv.DictReader[str]:
    return csv.DictReader(io.StringIO(text.lstrip("\ufeff")))


MODEL_COLUMNS = ("Model", "Publication date", "Training compute (FLOP)")


@dataclass(frozen=True)
class ModelRow:
    """One AI model with a training-compute estimate (Epoch's central value, FLOP)."""

    name: str
    published: dt.date
    flop: float
    organization: str = ""


def parse_models(text: str, source: str = "models") -> tuple[list[ModelRow], DataQuality]:
    """Epoch's "AI Models" CSV → rows with a date and a compute estimate.

    Dropped (and counted): a blank or unparseable ``Publication date``, a missing or
    non-positive ``Training compute (FLOP)``, and duplicates (the same model name again; the
    first row is kept, as Epoch lists one row per model).
    """
    tally = _Tally(source)
    seen: set[str] = set()
    rows: list[ModelRow] = []
    reader = _reader(text)
    require_columns(reader.fieldnames, MODEL_COLUMNS, source, "Epoch 'AI Models' CSV")
    for raw in reader:
        tally.rows += 1
        name = (raw.get("Model") or "").strip()
        key = name.casefold()
        if key and key in seen:
            tally.drop("duplicate", name)
            continue
        seen.add(key)
        published = parse_date(raw.get("Publication date") or "")
        if published is None:
            tally.drop("unparseable date", name or "?")
            continue
        flop = parse_positive(raw.get("Training compute (FLOP)") or "")
        if flop is None:
            tally.drop("missing compute", name or "?")
            continue
        rows.append(ModelRow(name, published, flop, (raw.get("Organization") or "").strip()))
    rows.sort(key=lambda r: (r.published, -r.flop, r.name))
    return rows, tally.done(len(rows))


@dataclass(frozen=True)
class HorizonPoint:
    """One model's METR 50% time horizon (minutes of expert human time)."""

    model: str
    released: dt.date
    p50_minutes: float
    p50_low: float | None
    p50_high: float | None
    is_sota: bool


def parse_metr(data: Any, source: str = "metr") -> tuple[list[HorizonPoint], DataQuality]:
    """METR's ``benchmark_results`` YAML (already loaded) → one point per model."""
    tally = _Tally(source)
    out: list[HorizonPoint] = []
    results = (data or {}).get("results") or {}
    for name, entry in results.items():
        tally.rows += 1
        released = parse_date((entry or {}).get("release_date") or "")
        metrics = (entry or {}).get("metrics") or {}
        p50 = metrics.get("p50_horizon_length") or {}
        est = parse_positive(p50.get("estimate", ""))
        if released is None:
            tally.drop("unparseable date", str(name))
            continue
        if est is None:
            tally.drop("missing p50 horizon", str(name))
            continue
        out.append(
            HorizonPoint(
                str(name),
                released,
                est,
                parse_positive(p50.get("ci_low", "")),
                parse_positive(p50.get("ci_high", "")),
                bool(metrics.get("is_sota")),
            )
        )
    out.sort(key=lambda p: (p.released, p.model))
    return out, tally.done(len(out))


# Epoch chip-table column → the precision names of the rulebook's TPP bit table
# (regulation/data/hardware.yaml ``bits``); the values are dense ops/s per chip.
CHIP_COLUMNS = {
    "bf16": "Tensor-FP16/BF16 performance (FLOP/s)",
    "fp16": "FP16 (half precision) performance (FLOP/s)",
    "fp8": "FP8 performance (FLOP/s)",
    "fp4": "FP4 performance (FLOP/s)",
    "int8": "INT8 performance (OP/s)",
    "int4": "INT4 performance (OP/s)",
    "tf32": "TF32 (TensorFloat-32) performance (FLOP/s)",
}


CHIP_REQUIRED = ("Hardware name", "Release date")


@dataclass(frozen=True)
class ChipRow:
    """One chip of Epoch's hardware table: dense TOPS per precision, die area, release date."""

    name: str
    manufacturer: str
    kind: str
    released: dt.date | None
    tops: dict[str, float]
    die_area_mm2: float | None
    memory_bandwidth_gbs: float | None
    ml_hardware: bool


def parse_chips(text: str, source: str = "chips") -> tuple[list[ChipRow], DataQuality]:
    """Epoch's chip CSV → chips with at least one precision figure.

    Dropped (and counted): rows without a name, duplicates, and rows with no dense throughput
    at any precision (CPUs and GPUs listed only for graphics). A missing release date keeps
    the chip (its TPP is still defined) but leaves it out of the trend.
    """
    tally = _Tally(source)
    seen: set[str] = set()
    out: list[ChipRow] = []
    reader = _reader(text)
    require_columns(reader.fieldnames, CHIP_REQUIRED, source, "Epoch 'Machine Learning Hardware' CSV")
    if not any(c in (reader.fieldnames or []) for c in CHIP_COLUMNS.values()):
        raise InputError(
            "no throughput column",
            file=source,
            line=1,
            field=CHIP_COLUMNS["bf16"],
            expected="at least one of " + ", ".join(f"'{c}'" for c in CHIP_COLUMNS.values()),
        )
    # Epoch's per-table ML-hardware export lists only ML accelerators and may lack the flag.
    all_ml = "ML hardware" not in (reader.fieldnames or [])
    for raw in reader:
        tally.rows += 1
        name = (raw.get("Hardware name") or "").strip()
        if not name:
            tally.drop("no name", "?")
            continue
        if name.casefold() in seen:
            tally.drop("duplicate", name)
            continue
        seen.add(name.casefold())
        tops = {p: v / 1e12 for p, col in CHIP_COLUMNS.items() if (v := parse_positive(raw.get(col) or "")) is not None}
        if not tops:
            tally.drop("no throughput figure", name)
            continue
        bw = parse_positive(raw.get("Memory bandwidth (byte/s)") or "")
        out.append(
            ChipRow(
                name=name,
                manufacturer=(raw.get("Manufacturer") or "").strip(),
                kind=(raw.get("Type") or "").strip(),
                released=parse_date(raw.get("Release date") or ""),
                tops=tops,
                die_area_mm2=parse_positive(raw.get("Die Size (mm^2)") or ""),
                memory_bandwidth_gbs=bw / 1e9 if bw else None,
                ml_hardware=all_ml or (raw.get("ML hardware") or "").strip().lower() == "checked",
            )
        )
    return out, tally.done(len(out))


ECI_COLUMNS = ("Model version", "ECI Score", "Release date")


@dataclass(frozen=True)
class EciRow:
    """One model version's Epoch Capabilities Index score at its release date."""

    version: str
    released: dt.date
    score: float
    model: str = ""
    organization: str = ""


def parse_eci(text: str, source: str = "eci") -> tuple[list[EciRow], DataQuality]:
    """Epoch's Capabilities Index CSV → one row per model version with a score and a date.

    Dropped (and counted): a missing ``ECI Score`` (Epoch lists versions it has not scored
    yet), a blank or unparseable ``Release date``, and duplicates (the same ``Model version``
    again; the first row is kept). Scores are finite numbers of any sign (an IRT-style scale,
    not a count), so a non-numeric score is its own reason.
    """
    tally = _Tally(source)
    seen: set[str] = set()
    out: list[EciRow] = []
    reader = _reader(text)
    require_columns(reader.fieldnames, ECI_COLUMNS, source, "Epoch Capabilities Index CSV")
    for raw in reader:
        tally.rows += 1
        version = (raw.get("Model version") or "").strip()
        if not version:
            tally.drop("no model version", "?")
            continue
        if version.casefold() in seen:
            tally.drop("duplicate", version)
            continue
        seen.add(version.casefold())
        text_score = (raw.get("ECI Score") or "").strip()
        if not text_score:
            tally.drop("missing score", version)
            continue
        try:
            score = float(text_score)
        except ValueError:
            score = math.nan
        if not math.isfinite(score):
            tally.drop("unparseable score", version)
            continue
        raw_date = (raw.get("Release date") or "").strip()
        released = parse_date(raw_date)
        if released is None:
            tally.drop("missing date" if not raw_date else "unparseable date", version)
            continue
        out.append(EciRow(version, released, score, (raw.get("Model name") or "").strip(), (raw.get("Organization") or "").strip()))
    out.sort(key=lambda r: (r.released, -r.score, r.version))
    return out, tally.done(len(out))
