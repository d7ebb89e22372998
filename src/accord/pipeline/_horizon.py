"""Horizon-scanning jobs: read Epoch's and METR's files in place and assemble the outlook.

``accord.horizon`` is pure (text in, figures out); this module is the one that opens
``<ACCORD_DATA_DIR>/horizon/…`` and loads the regulation rulebook's thresholds, so the CLI
(and later the server) call one function and get the JSON-shaped outlook document that both
renderers read.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord import yamlio
from accord.errors import InputError
from accord.horizon import (
    DATACENTER_ASSUMPTION,
    ChipRow,
    DataQuality,
    EciRow,
    HorizonPoint,
    ModelRow,
    backtest,
    classify_chips,
    compute_trend,
    consequences_dict,
    doubling_time,
    eci_trend,
    forecast_crossings,
    metr_backtest,
    outlook_html,
    outlook_markdown,
    parse_chips,
    parse_eci,
    parse_metr,
    parse_models,
    tpp_frontier_trend,
)
from accord.paths import datasets_dir
from accord.regulation import load_compute_spec, load_hardware, load_rulebook

__all__ = [
    "DATA_KINDS",
    "FETCHED_KINDS",
    "SECTIONS",
    "HorizonData",
    "horizon_outlook",
    "load_horizon_data",
    "parse_data_overrides",
    "parse_released",
    "render_outlook",
    "stored_runs",
]

MODELS_FILE = "epoch_notable_ai_models_2025-02-24.csv"
CHIPS_FILE = "epoch_chip_dataset_2025-06.csv"
METR_FILE = "metr_benchmark_results_1_0.yaml"
ECI_FILE = "epoch_capabilities_index.csv"
SECTIONS = ("trend", "crossings", "metr", "eci", "chips")
#: What ``--data KIND=FILE`` may replace, and the shared file each kind stands for.
DATA_KINDS = {"models": MODELS_FILE, "chips": CHIPS_FILE, "eci": ECI_FILE, "metr": METR_FILE}
#: Datasets ``accord data fetch`` knows (``suites._fetch.REMOTE``) that horizon can read, by kind.
FETCHED_KINDS = {
    "epoch-notable-models": "models",
    "epoch-large-scale-models": "models",
    "epoch-frontier-models": "models",
    "epoch-ml-hardware": "chips",
}
SOURCES = (
    "Epoch AI, 'Data on AI Models' (notable models export of 2025-02-24, or the file given with --data models=), epoch.ai, CC BY 4.0",
    "Epoch AI, 'Data on Machine Learning Hardware' (2025-06, or --data chips=), epoch.ai, CC BY 4.0",
    "Epoch AI, 'Epoch Capabilities Index' (benchmark data, epoch.ai/benchmarks/eci), CC BY 4.0",
    "METR, Time Horizon 1.0 benchmark results (benchmark_results_1_0.yaml), metr.org, MIT",
    "Thresholds and obligations: accord regulation rulebook (compute.yaml; eu.yaml, us.yaml, facts.yaml: EU AI Act Art 51(2), 52, 55; CA SB 53; NY RAISE; ECCN 3A090)",
)


@dataclass(frozen=True)
class HorizonData:
    models: list[ModelRow]
    points: list[HorizonPoint]
    chips: list[ChipRow]
    quality: tuple[DataQuality, ...]
    eci: list[EciRow] = field(default_factory=list)


def _folder(data_dir: str | Path | None, required: bool = True) -> Path | None:
    base = datasets_dir(data_dir)
    if base is None:
        if not required:
            return None
        raise InputError("no dataset directory", field="--data-dir", expected="a folder holding horizon/ (or ACCORD_DATA_DIR)")
    folder = base / "horizon" if (base / "horizon").is_dir() else base
    if required and not (folder / MODELS_FILE).is_file():
        raise InputError(f"{MODELS_FILE} not found", file=folder, fix="point --data-dir (or ACCORD_DATA_DIR) at the shared datasets")
    return folder


def parse_data_overrides(values: list[str] | None) -> dict[str, Path]:
    """``--data KIND=FILE`` / ``--data FETCHED-NAME`` → ``{kind: path}``.

    ``FILE`` is a path; a name ``accord data fetch`` knows (``epoch-notable-models``…) reads
    its cached, hash-checked copy, and its kind need not be given.
    """
    from accord.suites import cached

    out: dict[str, Path] = {}
    for value in values or []:
        kind, sep, target = value.partition("=")
        if not sep:
            kind, target = FETCHED_KINDS.get(value, ""), value
            if not kind:
                raise InputError(
                    "unknown data file",
                    field="--data",
                    expected="KIND=FILE (KIND: " + ", ".join(DATA_KINDS) + ") or a fetched dataset: " + ", ".join(FETCHED_KINDS),
                    got=value,
                )
        if kind not in DATA_KINDS:
            raise InputError("unknown data kind", field="--data", expected=", ".join(DATA_KINDS), got=kind)
        if target in FETCHED_KINDS:
            if FETCHED_KINDS[target] != kind:
                raise InputError(f"dataset '{target}' holds {FETCHED_KINDS[target]}, not {kind}", field="--data", got=value)
            out[kind] = cached(target)
            continue
        path = Path(target).expanduser()
        if not path.is_file():
            raise InputError(
                "file not found",
                file=path,
                field="--data",
                fix="give the path of a CSV exported by Epoch, or fetch one: accord data fetch epoch-notable-models --allow-unpinned",
            )
        out[kind] = path
    return out


#: A data file larger than this is refused before it is read (Epoch's exports are a few MB).
MAX_DATA_BYTES = 64 * 1024 * 1024


def load_horizon_data(data_dir: str | Path | None = None, files: dict[str, Path] | None = None) -> HorizonData:
    """Read the four files (Epoch models, chips and ECI; METR horizons) and parse them.

    ``files`` replaces any of them (``--data models=FILE``: a newer Epoch export with the same
    columns); the others are read from ``--data-dir`` / ``ACCORD_DATA_DIR``.
    """
    files = dict(files or {})
    folder = _folder(data_dir, required="models" not in files)
    paths = {k: files.get(k) or (folder / name if folder else None) for k, name in DATA_KINDS.items()}

    def text(kind: str) -> tuple[str, str]:
        path = paths[kind]
        if path is None or not path.is_file():
            raise InputError(f"{DATA_KINDS[kind]} not found", file=path or DATA_KINDS[kind], fix=f"give --data {kind}=FILE or --data-dir")
        size = path.stat().st_size
        if size > MAX_DATA_BYTES:  # Epoch's largest export is ~2 MB: a bigger file is not one
            raise InputError(
                "data file too large", file=path, field="--data", expected=f"at most {MAX_DATA_BYTES:,} bytes", got=f"{size:,} bytes"
            )
        try:
            body = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError("data file is not UTF-8 text", file=path, field="--data", got=f"byte {exc.start}") from None
        return body, (path.name if kind not in files else str(path))

    models, qm = parse_models(*text("models"))
    mt, mn = text("metr")
    points, qp = parse_metr(yamlio.load(mt), mn)
    chips, qc = parse_chips(*text("chips"))
    quality = [qm, qp, qc]
    eci: list[EciRow] = []
    if "eci" in files or (paths["eci"] is not None and paths["eci"].is_file()):
        eci, qe = parse_eci(*text("eci"))
        quality.append(qe)
    return HorizonData(models, points, chips, tuple(quality), eci)


def parse_released(values: list[str] | None) -> dict[str, dt.date]:
    """``--released NAME=YYYY-MM-DD`` (NAME: a run id, a target name or a version label)."""
    out: dict[str, dt.date] = {}
    for v in values or []:
        name, sep, day = v.rpartition("=")
        try:
            if not sep or not name:
                raise ValueError
            out[name] = dt.date.fromisoformat(day)
        except ValueError:
            raise InputError("not a release date mapping", field="--released", expected="NAME=YYYY-MM-DD", got=v) from None
    return out


def stored_runs(db: str | None, released: dict[str, dt.date] | None = None, *, judge: str | None = None) -> dict[str, Any]:
    """accord's own runs over time: per-hazard refusal and harmful rates at each run's release date.

    Every labelled run in the store (``--db``) counts, read as ``score`` and the report read
    it: one judge's labels (``--judge``, else the run's preferred judge) with people's review
    decisions applied; runs no judge labelled are listed as skipped, not dropped silently.
    """
    from accord.frameworks import LabelTable
    from accord.horizon import RunPoint, hazard_rates, release_date, runs_section
    from accord.pipeline._report import choose_judge
    from accord.pipeline._review import reviewed_labels
    from accord.pipeline._stores import open_store

    store = open_store(db, read_only=True)
    try:
        points, skipped = [], []
        for run in store.list_runs():
            try:
                jid = choose_judge(store, [run.run_id], judge)
            except Exception as exc:  # noqa: BLE001 - an unlabelled run is reported, not fatal
                skipped.append({"runId": run.run_id, "why": str(exc).splitlines()[0]})
                continue
            items = list(store.iter_items(run.run_id))
            labels = reviewed_labels(store, run.run_id, jid, items).labels
            table = LabelTable.from_records(items, labels)
            meta = run.meta or {}
            mon = meta.get("monitor") if isinstance(meta.get("monitor"), dict) else {}
            target = str((mon or {}).get("target") or meta.get("target_name") or run.target)
            when, basis = release_date(run.run_id, target, meta, run.created_at, released or {})
            points.append(RunPoint(run.run_id, target, (mon or {}).get("version"), when, basis, jid, hazard_rates(table)))
    finally:
        close = getattr(store, "close", None)
        if callable(close):
            close()
    section = runs_section(points)
    section["skipped"] = skipped
    return section


def _thresholds(min_flop: float = 1e25) -> list[dict[str, Any]]:
    """The rulebook's training-compute thresholds that horizon scanning tracks (10^25, 10^26)."""
    return [t for t in load_compute_spec()["training_thresholds"] if float(t["flop"]) >= min_flop]


def horizon_outlook(
    data_dir: str | Path | None = None,
    *,
    as_of: dt.date | None = None,
    sections: tuple[str, ...] = SECTIONS,
    backtests: tuple[dt.date, ...] = (),
    metr_backtests: tuple[dt.date, ...] = (),
    months: int = 24,
    top_n: int = 10,
    chips: str = "ml",
    n_boot: int = 2000,
    seed: int = 0,
    files: dict[str, Path] | None = None,
    runs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The outlook document: the chosen sections, backtests, data quality and sources.

    ``as_of`` restricts every fit to what was published before it; without it the compute
    forecasts start the day after the last model's publication date and METR, ECI and the
    chips use all their rows. ``chips`` is ``ml`` (Epoch's curated ML accelerators),
    ``controlled`` (those meeting 3A090.a) or ``all``. ``files`` replaces data files
    (``parse_data_overrides``); ``runs`` is ``stored_runs``'s section, added as is.
    """
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise InputError("unknown section", field="--section", expected=", ".join(SECTIONS), got=sorted(unknown))
    data = load_horizon_data(data_dir, files)
    if not data.models:
        raise InputError("no model with a publication date and a compute estimate", file=data.quality[0].source)
    last = max(r.published for r in data.models)
    when = as_of or last + dt.timedelta(days=1)
    doc: dict[str, Any] = {"asOf": when.isoformat(), "dataEnd": last.isoformat()}
    try:
        if "trend" in sections:
            doc["computeTrend"] = compute_trend(data.models, top_n=top_n, as_of=when, n_boot=n_boot, seed=seed).to_dict()
        if "crossings" in sections:
            doc["crossings"] = forecast_crossings(data.models, _thresholds(), as_of=when, months=months, n_boot=n_boot, seed=seed).to_dict()
            rulebook = load_rulebook()
            try:
                in_force_at = dt.date.fromisoformat(rulebook.version)
            except ValueError:
                in_force_at = when
            flops = [float(t["flop"]) for t in _thresholds()] + [1e27]
            doc["consequences"] = consequences_dict(rulebook, flops, as_of=max(in_force_at, when))
        if "metr" in sections:
            doc["metr"] = doubling_time(data.points, as_of=as_of, n_boot=n_boot, seed=seed).to_dict()
        if "eci" in sections and data.eci:
            doc["eci"] = eci_trend(data.eci, as_of=as_of, n_boot=n_boot, seed=seed).to_dict()
        if "chips" in sections:
            doc["chips"] = _chips_section(data, as_of, chips, n_boot, seed)
        doc["backtests"] = [backtest(data.models, _thresholds(), as_of=d, n_boot=n_boot, seed=seed).to_dict() for d in backtests]
        doc["metrBacktests"] = [_metr_backtest(data, d, n_boot, seed) for d in metr_backtests]
    except InputError:
        raise
    except ValueError as exc:
        raise InputError(str(exc), field="--as-of", got=when.isoformat()) from exc
    if runs is not None:
        doc["runs"] = runs
    doc["dataQuality"] = [q.to_dict() for q in data.quality]
    doc["sources"] = list(SOURCES)
    return doc


def _metr_backtest(data: HorizonData, as_of: dt.date, n_boot: int, seed: int) -> dict[str, Any]:
    """A METR backtest, or why there is none (too few SOTA models before the date: said, not dropped)."""
    try:
        return metr_backtest(data.points, as_of=as_of, n_boot=n_boot, seed=seed).to_dict()
    except ValueError as exc:
        return {"asOf": as_of.isoformat(), "skipped": str(exc)}


def _chips_section(data: HorizonData, as_of: dt.date | None, which: str, n_boot: int, seed: int) -> dict[str, Any]:
    bits, _ = load_hardware()
    classes = classify_chips(data.chips, bits, load_compute_spec()["eccn_3a090"])
    known = [c for c in classes if c.result is not None and (as_of is None or (c.chip.released is not None and c.chip.released < as_of))]
    pick = {"all": lambda c: True, "ml": lambda c: c.chip.ml_hardware, "controlled": lambda c: c.controlled}
    if which not in pick:
        raise InputError("unknown chip selection", field="--chips", expected="ml, controlled or all", got=which)
    rows = sorted((c for c in known if pick[which](c)), key=lambda c: -(c.result.tpp if c.result else 0))
    spec = load_compute_spec()["eccn_3a090"]
    lines = []
    for para in spec["paragraphs"]:
        conds = para["when"].get("all", [para["when"]])
        tpp = [c["ge"] for c in conds if c.get("field") == "tpp" and "ge" in c]
        pd = [c["ge"] for c in conds if c.get("field") == "pd" and "ge" in c]
        if tpp and para["id"].startswith("3A090.a"):
            lines.append({"tpp": float(tpp[0]), "paragraph": para["id"] + (f", PD >= {pd[0]:g}" if pd else "")})
    section: dict[str, Any] = {
        "thresholds": lines,
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
    """``md``, ``json`` or ``html`` (one self-contained page) of the same document."""
    if fmt == "json":
        return json.dumps(doc, indent=2, default=str)
    if fmt == "md":
        return outlook_markdown(doc)
    if fmt == "html":
        return outlook_html(doc)
    raise InputError("unknown format", field="--format", expected="md, json or html", got=fmt)
