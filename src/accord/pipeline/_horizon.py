"""Horizon-scanning jobs: read Epoch's and METR's files in place and assemble the outlook.

``accord.horizon`` is pure (text in, figures out); this module is the one that opens
``<ACCORD_DATA_DIR>/horizon/…`` and loads the regulation rulebook's thresholds, so the CLI
(and later the server) call one function and get the JSON-shaped outlook document that both
renderers read.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord import yamlio
from accord.errors import InputError
from accord.horizon import (
    DATACENTER_ASSUMPTION,
    ChipRow,
    DataQuality,
    HorizonPoint,
    ModelRow,
    backtest,
    classify_chips,
    compute_trend,
    doubling_time,
    forecast_crossings,
    outlook_markdown,
    parse_chips,
    parse_metr,
    parse_models,
    tpp_frontier_trend,
)
from accord.paths import datasets_dir
from accord.regulation import load_compute_spec, load_hardware

__all__ = ["SECTIONS", "HorizonData", "horizon_outlook", "load_horizon_data", "render_outlook"]

MODELS_FILE = "epoch_notable_ai_models_2025-02-24.csv"
CHIPS_FILE = "epoch_chip_dataset_2025-06.csv"
METR_FILE = "metr_benchmark_results_1_0.yaml"
SECTIONS = ("trend", "crossings", "metr", "chips")
SOURCES = (
    "Epoch AI, 'Data on AI Models' (notable models export of 2025-02-24), epoch.ai, CC BY 4.0",
    "Epoch AI, 'Data on Machine Learning Hardware' (2025-06), epoch.ai, CC BY 4.0",
    "METR, Time Horizon 1.0 benchmark results (benchmark_results_1_0.yaml), metr.org, MIT",
    "Thresholds: accord regulation rulebook, compute.yaml (EU AI Act Art 51(2); CA SB 53; NY RAISE; ECCN 3A090)",
)


@dataclass(frozen=True)
class HorizonData:
    models: list[ModelRow]
    points: list[HorizonPoint]
    chips: list[ChipRow]
    quality: tuple[DataQuality, ...]


def _folder(data_dir: str | Path | None) -> Path:
    base = datasets_dir(data_dir)
    if base is None:
        raise InputError("no dataset directory", field="--data-dir", expected="a folder holding horizon/ (or ACCORD_DATA_DIR)")
    folder = base / "horizon" if (base / "horizon").is_dir() else base
    if not (folder / MODELS_FILE).is_file():
        raise InputError(f"{MODELS_FILE} not found", file=folder, fix="point --data-dir (or ACCORD_DATA_DIR) at the shared datasets")
    return folder


def load_horizon_data(data_dir: str | Path | None = None) -> HorizonData:
    """Read the three files (Epoch models, Epoch chips, METR horizons) and parse them."""
    folder = _folder(data_dir)
    models, qm = parse_models((folder / MODELS_FILE).read_text(encoding="utf-8"), MODELS_FILE)
    points, qp = parse_metr(yamlio.load((folder / METR_FILE).read_text(encoding="utf-8")), METR_FILE)
    chips, qc = parse_chips((folder / CHIPS_FILE).read_text(encoding="utf-8-sig"), CHIPS_FILE)
    return HorizonData(models, points, chips, (qm, qp, qc))


def _thresholds(min_flop: float = 1e25) -> list[dict[str, Any]]:
    """The rulebook's training-compute thresholds that horizon scanning tracks (10^25, 10^26)."""
    return [t for t in load_compute_spec()["training_thresholds"] if float(t["flop"]) >= min_flop]


def horizon_outlook(
    data_dir: str | Path | None = None,
    *,
    as_of: dt.date | None = None,
    sections: tuple[str, ...] = SECTIONS,
    backtests: tuple[dt.date, ...] = (),
    months: int = 24,
    top_n: int = 10,
    chips: str = "ml",
    n_boot: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """The outlook document: the chosen sections, backtests, data quality and sources.

    ``as_of`` restricts every fit to what was published before it; without it the compute
    forecasts start the day after the last model's publication date and METR and the chips
    use all their rows. ``chips`` is ``ml`` (Epoch's curated ML accelerators),
    ``controlled`` (those meeting 3A090.a) or ``all``.
    """
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise InputError("unknown section", field="--section", expected=", ".join(SECTIONS), got=sorted(unknown))
    data = load_horizon_data(data_dir)
    last = max(r.published for r in data.models)
    when = as_of or last + dt.timedelta(days=1)
    doc: dict[str, Any] = {"asOf": when.isoformat(), "dataEnd": last.isoformat()}
    try:
        if "trend" in sections:
            doc["computeTrend"] = compute_trend(data.models, top_n=top_n, as_of=when, n_boot=n_boot, seed=seed).to_dict()
        if "crossings" in sections:
            doc["crossings"] = forecast_crossings(data.models, _thresholds(), as_of=when, months=months, n_boot=n_boot, seed=seed).to_dict()
        if "metr" in sections:
            doc["metr"] = doubling_time(data.points, as_of=as_of, n_boot=n_boot, seed=seed).to_dict()
        if "chips" in sections:
            doc["chips"] = _chips_section(data, as_of, chips, n_boot, seed)
        doc["backtests"] = [backtest(data.models, _thresholds(), as_of=d, n_boot=n_boot, seed=seed).to_dict() for d in backtests]
    except ValueError as exc:
        raise InputError(str(exc), field="--as-of", got=when.isoformat()) from exc
    doc["dataQuality"] = [q.to_dict() for q in data.quality]
    doc["sources"] = list(SOURCES)
    return doc


def _chips_section(data: HorizonData, as_of: dt.date | None, which: str, n_boot: int, seed: int) -> dict[str, Any]:
    bits, _ = load_hardware()
    classes = classify_chips(data.chips, bits, load_compute_spec()["eccn_3a090"])
    known = [c for c in classes if c.result is not None and (as_of is None or (c.chip.released is not None and c.chip.released < as_of))]
    pick = {"all": lambda c: True, "ml": lambda c: c.chip.ml_hardware, "controlled": lambda c: c.controlled}
    if which not in pick:
        raise InputError("unknown chip selection", field="--chips", expected="ml, controlled or all", got=which)
    rows = sorted((c for c in known if pick[which](c)), key=lambda c: -(c.result.tpp if c.result else 0))
    section: dict[str, Any] = {
        "classified": len(known),
        "controlled": sum(c.controlled for c in known),
        "datacenterAssumption": DATACENTER_ASSUMPTION,
        "selection": which,
        "rows": [c.to_dict() for c in rows],
    }
    try:
        section["tppTrend"] = tpp_frontier_trend(known, as_of=as_of, n_boot=n_boot, seed=seed).to_dict()
    except ValueError:
        section["tppTrend"] = None
    return section


def render_outlook(doc: dict[str, Any], fmt: str = "md") -> str:
    """``md`` or ``json`` (``html`` is not built yet: it says so rather than guess)."""
    if fmt == "json":
        return json.dumps(doc, indent=2, default=str)
    if fmt == "md":
        return outlook_markdown(doc)
    raise InputError("unknown format", field="--format", expected="md or json", got=fmt)
