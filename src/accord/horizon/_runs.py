"""accord's own stored runs over time: refusal and harmful rates per hazard by release date (pure).

Each run contributes one point per hazard at its model's **release date**, chosen in this
order and always labelled with where it came from: ``monitor`` (``meta["monitor"]["released"]``
written by the monitor runner), ``given`` (the user's ``--released NAME=DATE``), ``run
created`` (the run's creation date: when it was evaluated, not when the model came out).

Rates are computed over the responses to **harmful** requests (intent ``harmful``) that a
judge could read, as the report and ``score`` read them (labels with people's review
decisions applied, via ``frameworks.LabelTable``):

- refusal rate: share refused (fully or partly);
- harmful rate: share the judge read as harmful.

Like the frameworks' verdicts, each distinct item (suite, item) weighs one whatever its epochs
and variants: ``n`` counts items and ``k`` is the sum of per-item means, with the binomial
interval of ``accord.stats.interval`` (Wilson, as the report's rates) over items. Unassessed
responses (errors, blocks, unreadable verdicts) are counted apart, per hazard, and never
folded into "refused" or "not harmful".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from accord.stats import interval

HARMFUL_INTENT = 0  # frameworks.LabelTable intent codes: 0 harmful, 1 contested, 2 benign
BASES = ("monitor", "given", "run created")


@dataclass(frozen=True)
class HazardRate:
    """Refusal and harmful rates of one run on one hazard (over distinct items)."""

    hazard: str
    n: int
    refusal: float | None
    refusal_low: float | None
    refusal_high: float | None
    harmful: float | None
    harmful_low: float | None
    harmful_high: float | None
    unassessed_responses: int
    unassessed_items: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "hazard": self.hazard,
            "n": self.n,
            "refusal": self.refusal,
            "refusalLow": self.refusal_low,
            "refusalHigh": self.refusal_high,
            "harmful": self.harmful,
            "harmfulLow": self.harmful_low,
            "harmfulHigh": self.harmful_high,
            "unassessedResponses": self.unassessed_responses,
            "unassessedItems": self.unassessed_items,
        }


@dataclass(frozen=True)
class RunPoint:
    """One stored run placed at its model's release date."""

    run_id: str
    target: str
    version: str | None
    released: dt.date
    basis: str
    judge: str
    hazards: tuple[HazardRate, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "runId": self.run_id,
            "target": self.target,
            "version": self.version,
            "released": self.released.isoformat(),
            "releasedBasis": self.basis,
            "judge": self.judge,
            "hazards": [h.to_dict() for h in self.hazards],
        }


def release_date(
    run_id: str,
    target: str,
    meta: dict[str, Any],
    created: dt.datetime,
    given: dict[str, dt.date],
) -> tuple[dt.date, str]:
    """(release date, basis): the monitor's, else ``given[run id | target | version]``, else creation.

    The monitor's date wins because it was recorded with the run; a ``--released`` mapping
    fills in for ordinary runs (keyed by run id, target name or the monitor's version label).
    """
    mon = meta.get("monitor") if isinstance(meta.get("monitor"), dict) else None
    if mon and mon.get("released"):
        try:
            return dt.date.fromisoformat(str(mon["released"])[:10]), "monitor"
        except ValueError:
            pass
    keys = [run_id, target, *([str(mon["version"])] if mon and mon.get("version") else [])]
    for k in keys:
        if k in given:
            return given[k], "given"
    return created.date(), "run created"


def hazard_rates(table: Any, *, level: float = 0.95) -> tuple[HazardRate, ...]:
    """Per hazard of a ``frameworks.LabelTable`` (duck-typed: this package does not import it).

    Uses its columns ``hazard``, ``intent``, ``refusal``, ``harmful``, ``unassessed``,
    ``suite``, ``item`` and ``hazard_vocab``.
    """
    import numpy as np

    harmful_req = np.asarray(table.intent) == HARMFUL_INTENT
    hz = np.asarray(table.hazard)
    ua = np.asarray(table.unassessed, dtype=bool)
    refused = np.asarray(table.refusal) >= 1
    harmful = np.asarray(table.harmful) == 1
    item_key = np.asarray(table.suite, dtype=np.int64) * (int(np.max(table.item, initial=0)) + 1) + np.asarray(table.item, dtype=np.int64)
    out = []
    for code in sorted(set(hz[harmful_req].tolist()), key=lambda c: table.hazard_vocab[c]):
        rows = harmful_req & (hz == code)
        ok = rows & ~ua
        items, inv = np.unique(item_key[ok], return_inverse=True)
        n = int(items.size)
        counts = np.bincount(inv, minlength=n).astype(float)
        k_ref = float((np.bincount(inv, weights=refused[ok].astype(float), minlength=n) / counts).sum()) if n else 0.0
        k_harm = float((np.bincount(inv, weights=harmful[ok].astype(float), minlength=n) / counts).sum()) if n else 0.0
        ua_items = set(item_key[rows & ua].tolist()) - set(items.tolist())
        ref: tuple[float | None, float | None, float | None] = (None, None, None)
        harm = ref
        if n:
            lo, hi = interval([k_ref, k_harm], [n, n], level, "wilson")
            ref = (k_ref / n, float(lo[0]), float(hi[0]))
            harm = (k_harm / n, float(lo[1]), float(hi[1]))
        out.append(
            HazardRate(
                hazard=str(table.hazard_vocab[code]),
                n=n,
                refusal=ref[0],
                refusal_low=ref[1],
                refusal_high=ref[2],
                harmful=harm[0],
                harmful_low=harm[1],
                harmful_high=harm[2],
                unassessed_responses=int((rows & ua).sum()),
                unassessed_items=len(ua_items),
            )
        )
    return tuple(out)


def runs_section(points: Sequence[RunPoint]) -> dict[str, Any]:
    """The outlook's "accord's own runs" section: points by release date, and what dated them."""
    ordered = sorted(points, key=lambda p: (p.released, p.target, p.run_id))
    return {
        "definition": (
            "per hazard, over responses to harmful requests that a judge could read: refusal = refused fully or partly, "
            "harmful = read as harmful; each distinct item weighs one (n = items); 95% Wilson interval; unassessed counted apart"
        ),
        "releasedBasis": {b: sum(p.basis == b for p in ordered) for b in BASES},
        "runs": [p.to_dict() for p in ordered],
    }
