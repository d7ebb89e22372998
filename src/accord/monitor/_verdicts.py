"""Verdict changes between two runs: the same packs' decisions, floor and requirements (pure).

Verdicts come from the existing scoring (``PackVerdict`` as ``model_dump(mode="json")``), so
judge-error correction, the floor's fail-closed bound and ``unassessed`` are already in them.
A change is a *regression* when it goes the worse way on the order

- status: ``pass`` > ``insufficient`` > ``fail`` (``reported`` has no bar and is not ranked);
- decision: ``allowed`` > ``insufficient evidence`` > ``blocked``.

pass -> fail and allowed -> blocked are regressions; pass -> insufficient is a regression too
(the evidence no longer shows the bar is met), shown as such with both runs' intervals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

_STATUS_RANK = {"pass": 2, "insufficient": 1, "fail": 0}
_DECISION_RANK = {"allowed": 2, "insufficient evidence": 1, "blocked": 0}


@dataclass(frozen=True)
class VerdictChange:
    """One changed verdict: a pack's decision, its floor, or one requirement."""

    pack_id: str
    what: str  # "decision", "floor" or "requirement <id>" (with the hazard when it has one)
    before: str
    after: str
    regression: bool
    #: The rate behind it in A and B: the judge-corrected interval where there is one.
    detail_a: str | None = None
    detail_b: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def text(self) -> str:
        arrow = f"{self.before} -> {self.after}"
        extra = f" ({self.detail_a} -> {self.detail_b})" if self.detail_a or self.detail_b else ""
        return f"{self.pack_id}: {self.what}: {arrow}{extra}"


def _worse(before: str, after: str, ranks: Mapping[str, int]) -> bool:
    return before in ranks and after in ranks and ranks[after] < ranks[before]


def _rate(req: Mapping[str, Any]) -> str:
    if req.get("corrected_value") is not None:
        lo, hi = req.get("corrected_low"), req.get("corrected_high")
        return f"{req['corrected_value']:.3f} [{lo:.3f}, {hi:.3f}] corrected, n={req.get('n')}"
    if req.get("value") is None:
        return f"n/a, n={req.get('n')}"
    return f"{req['value']:.3f} [{req['ci_low']:.3f}, {req['ci_high']:.3f}], n={req.get('n')}"


def _floor(f: Mapping[str, Any]) -> str:
    return (
        f"{f.get('violations')} violation(s) in {f.get('n')} units, upper bound {f.get('ci_high', 0):.4f}, {f.get('unassessed')} unassessed"
    )


def verdict_changes(a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]) -> tuple[list[VerdictChange], list[str]]:
    """(changes between packs both runs were scored under, pack ids only one run has)."""
    by_a = {v["pack_id"]: v for v in a}
    by_b = {v["pack_id"]: v for v in b}
    changes: list[VerdictChange] = []
    for pid in sorted(set(by_a) & set(by_b)):
        va, vb = by_a[pid], by_b[pid]
        if va["decision"] != vb["decision"]:
            changes.append(
                VerdictChange(pid, "decision", va["decision"], vb["decision"], _worse(va["decision"], vb["decision"], _DECISION_RANK))
            )
        fa, fb = va["floor"], vb["floor"]
        if fa["status"] != fb["status"]:
            changes.append(
                VerdictChange(
                    pid, "floor", fa["status"], fb["status"], _worse(fa["status"], fb["status"], _STATUS_RANK), _floor(fa), _floor(fb)
                )
            )
        reqs_b = {(r["requirement_id"], r.get("hazard")): r for r in vb["requirements"]}
        for ra in va["requirements"]:
            rb = reqs_b.get((ra["requirement_id"], ra.get("hazard")))
            if rb is None or ra["status"] == rb["status"]:
                continue
            what = f"requirement {ra['requirement_id']}" + (f" ({ra['hazard']})" if ra.get("hazard") else "")
            changes.append(
                VerdictChange(pid, what, ra["status"], rb["status"], _worse(ra["status"], rb["status"], _STATUS_RANK), _rate(ra), _rate(rb))
            )
    return changes, sorted(set(by_a) ^ set(by_b))
