"""Training-compute and export-control arithmetic (pure).

Two estimates of training compute, each a low / central / high range:

* **6·N·D** (parameters × tokens): the standard dense-transformer approximation (forward +
  backward ≈ 6 FLOP per parameter per token, Kaplan et al. 2020). The high end is 8·N·D, which
  counts the extra forward pass of full activation recomputation; for mixture-of-experts models
  N is the *active* parameter count.
* **hardware**: GPUs × peak dense FLOP/s at the training precision × seconds × utilisation
  (model FLOP utilisation, MFU). Without a stated utilisation the range is 0.3–0.5, an
  assumption (UNVERIFIED) typical of large dense runs.

Thresholds are "greater than" values (Art 51(2) says "greater than 10^25"): a range is
``crossed`` when even its low end is above the threshold, ``not crossed`` when its high end is
at or below it, and ``uncertain`` in between.

TPP follows ECCN 3A090: TPP = 2 × MacTOPS × bit length = dense TOPS × bit length, maximised
over bit lengths; PD = TPP / die area (mm²).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from accord.regulation._conditions import parse

SECONDS_PER_DAY = 86_400.0
DEFAULT_UTILISATION = (0.3, 0.5)


@dataclass(frozen=True)
class Chip:
    id: str
    name: str
    tflops: dict[str, float]
    die_area_mm2: float | None
    memory_bandwidth_gbs: float | None
    datacenter: bool
    source: str
    conf: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComputeEstimate:
    """A training-compute estimate in FLOP with the assumptions behind it."""

    low: float
    central: float
    high: float
    method: str
    assumptions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not (0 < self.low <= self.central <= self.high):
            raise ValueError(f"estimate must satisfy 0 < low <= central <= high, got {self.low}, {self.central}, {self.high}")


@dataclass(frozen=True)
class Crossing:
    flop: float
    verdict: Literal["crossed", "not crossed", "uncertain"]
    triggers: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class TppResult:
    name: str
    tpp: float
    basis: str
    pd: float | None
    memory_bandwidth_gbs: float | None
    datacenter: bool
    paragraphs: tuple[str, ...]
    not_evaluated: tuple[str, ...]
    review_policies: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)


def _norm(s: str) -> str:
    return "".join(ch for ch in s.lower() if ch.isalnum())


def match_chip(name: str, chips: Iterable[Chip]) -> Chip | None:
    """A chip by id or alias, ignoring case and punctuation (``H100`` = ``h100-sxm``'s alias)."""
    want = _norm(name)
    for c in chips:
        if want in {_norm(c.id), *(_norm(a) for a in c.aliases)}:
            return c
    return None


def estimate_from_params(parameters: float, tokens: float) -> ComputeEstimate:
    """6·N·D central and low, 8·N·D high (activation recomputation)."""
    if parameters <= 0 or tokens <= 0:
        raise ValueError("parameters and tokens must be positive")
    c = 6.0 * parameters * tokens
    return ComputeEstimate(
        low=c,
        central=c,
        high=8.0 * parameters * tokens,
        method="6ND",
        assumptions=(
            f"C = 6 x N x D = 6 x {parameters:.3g} x {tokens:.3g}",
            "high end 8ND counts full activation recomputation; use active parameters for mixture-of-experts",
        ),
    )


def estimate_from_hardware(
    gpus: int,
    chip: Chip,
    days: float,
    utilisation: tuple[float, float] | None = None,
    precision: str = "bf16",
) -> ComputeEstimate:
    """GPUs × peak dense FLOP/s × seconds × utilisation (a range when utilisation is)."""
    if gpus <= 0 or days <= 0:
        raise ValueError("gpus and days must be positive")
    if precision not in chip.tflops:
        raise ValueError(f"{chip.name} has no {precision} figure; known: {', '.join(sorted(chip.tflops))}")
    assumed = utilisation is None
    lo_u, hi_u = DEFAULT_UTILISATION if utilisation is None else utilisation
    if not (0 < lo_u <= hi_u <= 1):
        raise ValueError(f"utilisation must satisfy 0 < low <= high <= 1, got {lo_u}..{hi_u}")
    peak = chip.tflops[precision] * 1e12
    raw = gpus * peak * days * SECONDS_PER_DAY
    notes = [
        f"peak {chip.tflops[precision]:g} TFLOP/s dense {precision} per {chip.name} ({chip.source}; conf {chip.conf})",
        f"C = {gpus} GPUs x {peak:.3g} FLOP/s x {days:g} days x 86400 s x utilisation",
    ]
    if assumed:
        notes.append("utilisation not given: range 0.3-0.5 assumed (UNVERIFIED, typical MFU of large dense runs)")
    return ComputeEstimate(
        low=raw * lo_u, central=raw * (lo_u + hi_u) / 2, high=raw * hi_u, method="hardware", assumptions=tuple(notes)
    )


def crossings(est: ComputeEstimate, thresholds: list[dict[str, Any]]) -> list[Crossing]:
    """Where the estimate falls against each "greater than" threshold."""
    out = []
    for t in thresholds:
        flop = float(t["flop"])
        if est.low > flop:
            verdict: Literal["crossed", "not crossed", "uncertain"] = "crossed"
        elif est.high <= flop:
            verdict = "not crossed"
        else:
            verdict = "uncertain"
        out.append(Crossing(flop=flop, verdict=verdict, triggers=tuple(t["triggers"])))
    return out


def chip_tpp(chip: Chip, bits: dict[str, int]) -> tuple[float, str]:
    """Highest dense TOPS × bit length over the precisions that count for TPP."""
    best, basis = 0.0, ""
    for prec, b in bits.items():
        if prec in chip.tflops:
            v = chip.tflops[prec] * b
            if v > best:
                best, basis = v, f"{prec}: {chip.tflops[prec]:g} TOPS x {b} bits"
    if best == 0.0:
        raise ValueError(f"{chip.name} has no precision that counts for TPP ({', '.join(bits)})")
    return best, basis


def classify_3a090(
    name: str,
    tpp: float,
    basis: str,
    die_area_mm2: float | None,
    memory_bandwidth_gbs: float | None,
    datacenter: bool,
    spec: dict[str, Any],
) -> TppResult:
    """Evaluate the ECCN 3A090 paragraphs (data in ``compute.yaml``) for one chip."""
    pd = tpp / die_area_mm2 if die_area_mm2 else None
    view = {"tpp": tpp, "pd": pd, "memory_bandwidth_gbs": memory_bandwidth_gbs}
    hits: list[str] = []
    skipped: list[str] = []
    for para in spec["paragraphs"]:
        cond = parse(para["when"], para["id"])
        uses_pd = "pd" in cond.fields()
        if para.get("datacenter_only") and not datacenter:
            skipped.append(f"{para['id']} (datacenter ICs only)")
            continue
        if uses_pd and pd is None:
            skipped.append(f"{para['id']} (needs die area for performance density)")
            continue
        if cond.evaluate(view, {}).ok:
            hits.append(f"{para['id']}: {para['meaning']}")
    policies = []
    if any(h.startswith("3A090.a") for h in hits):
        for pol in spec.get("review_policies", []):
            cond = parse(pol["when"], pol["id"])
            if memory_bandwidth_gbs is None and "memory_bandwidth_gbs" in cond.fields():
                continue
            if cond.evaluate(view, {}).ok:
                policies.append(f"{pol['name']} (conf {pol['conf']})")
    notes = [spec["datacenter_note"]] if datacenter else []
    return TppResult(
        name=name,
        tpp=tpp,
        basis=basis,
        pd=pd,
        memory_bandwidth_gbs=memory_bandwidth_gbs,
        datacenter=datacenter,
        paragraphs=tuple(hits),
        not_evaluated=tuple(skipped),
        review_policies=tuple(policies),
        notes=tuple(notes),
    )
