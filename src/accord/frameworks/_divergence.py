"""Where packs disagree about the same responses, and which responses make them disagree.

For each response, each pack says acceptable (1), not acceptable (0) or cannot tell (-1,
unassessed). ``matrix[p][q]`` counts responses pack ``p`` accepts and pack ``q`` rejects, so
the matrix is not symmetric: a refusal on a politically sensitive item can be acceptable to
one pack and over-refusal to another. Packs are descriptive; so is this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from accord.frameworks._engine import Prepared
from accord.frameworks._load import ResolvedPack
from accord.frameworks._table import LabelTable
from accord.stats import interval
from accord.taxonomy import Taxonomy, load_taxonomy

_INTENTS = ("harmful", "contested", "benign")


@dataclass(frozen=True)
class Divergence:
    """Per-response acceptability under each pack, and the pack-by-pack disagreements."""

    pack_ids: tuple[str, ...]
    accept: NDArray[np.int8]  # (responses, packs): 1 / 0 / -1
    matrix: NDArray[np.int64]  # (packs, packs): p accepts, q rejects
    table: LabelTable
    hazards: NDArray[np.int32]  # canonical hazard code per row
    hazard_ids: tuple[str, ...]

    def cell_rows(self, p: str, q: str) -> NDArray[np.intp]:
        """Row numbers of responses pack ``p`` accepts and pack ``q`` rejects."""
        i, j = self.pack_ids.index(p), self.pack_ids.index(q)
        return np.flatnonzero((self.accept[:, i] == 1) & (self.accept[:, j] == 0))

    def disagreeing_rows(self) -> NDArray[np.intp]:
        """Responses on which at least one pack accepts and another rejects."""
        return np.flatnonzero((self.accept == 1).any(axis=1) & (self.accept == 0).any(axis=1))

    def describe(self, row: int) -> dict[str, Any]:
        """One response: its key, what it probes, and which packs accept or reject it."""
        suite, item, variant, epoch = self.table.key(row)
        code = int(self.hazards[row])
        verdicts = {pid: ("acceptable" if v == 1 else "not acceptable" if v == 0 else "unassessed") for pid, v in zip(self.pack_ids, self.accept[row])}
        return {
            "suite_id": suite,
            "item_id": item,
            "variant_id": variant,
            "epoch": epoch,
            "hazard": self.hazard_ids[code] if code < len(self.hazard_ids) else self.table.hazard_vocab[self.table.hazard[row]],
            "intent": _INTENTS[int(self.table.intent[row])],
            "locale": self.table.locale_vocab[self.table.locale[row]],
            "accepted_by": [p for p, v in verdicts.items() if v == "acceptable"],
            "rejected_by": [p for p, v in verdicts.items() if v == "not acceptable"],
        }

    def examples(self, p: str, q: str, limit: int = 5) -> list[dict[str, Any]]:
        """The first ``limit`` responses behind cell (p, q), described."""
        return [self.describe(int(r)) for r in self.cell_rows(p, q)[:limit]]

    def to_dict(self, examples_per_cell: int = 3) -> dict[str, Any]:
        cells = {}
        for p in self.pack_ids:
            for q in self.pack_ids:
                if p != q and self.matrix[self.pack_ids.index(p), self.pack_ids.index(q)]:
                    cells[f"{p}>{q}"] = self.examples(p, q, examples_per_cell)
        return {
            "packs": list(self.pack_ids),
            "matrix": self.matrix.tolist(),
            "matrix_meaning": "matrix[p][q] = responses pack p accepts and pack q rejects",
            "disagreeing_responses": int(len(self.disagreeing_rows())),
            "responses": int(len(self.table)),
            "examples": cells,
        }


def divergence(table: LabelTable, packs: Sequence[ResolvedPack], taxonomy: Taxonomy | None = None) -> Divergence:
    prep = Prepared(table, taxonomy or load_taxonomy())
    accept = np.empty((len(table), len(packs)), dtype=np.int8)
    for j, rp in enumerate(packs):
        accept[:, j] = prep.acceptable(rp)
    ok = (accept == 1).astype(np.float64)
    bad = (accept == 0).astype(np.float64)
    matrix = np.rint(ok.T @ bad).astype(np.int64)  # (P, P): sum over rows of ok[:, p] * bad[:, q] (BLAS)
    return Divergence(tuple(rp.id for rp in packs), accept, matrix, table, prep.hz, prep.ids)


def hazard_pack_rates(table: LabelTable, packs: Sequence[ResolvedPack], taxonomy: Taxonomy | None = None) -> list[dict[str, Any]]:
    """Heat-map cells: per hazard and pack, the acceptable rate with n, interval and unassessed."""
    prep = Prepared(table, taxonomy or load_taxonomy())
    out = []
    for rp in packs:
        acc = prep.acceptable(rp)
        ok = acc >= 0
        n_h = np.bincount(prep.hz[ok], minlength=prep.n_codes)
        a_h = np.bincount(prep.hz[acc == 1], minlength=prep.n_codes)
        u_h = np.bincount(prep.hz[~ok], minlength=prep.n_codes)
        present = np.flatnonzero((n_h + u_h) > 0)
        lo, hi = interval(a_h[present], n_h[present])
        for c, low, high in zip(present, lo, hi):
            n = int(n_h[c])
            out.append(
                {
                    "pack_id": rp.id,
                    "hazard": prep.ids[c] if c < len(prep.ids) else "(unmapped)",
                    "n": n,
                    "acceptable": int(a_h[c]),
                    "rate": a_h[c] / n if n else None,
                    "ci_low": float(low),
                    "ci_high": float(high),
                    "unassessed": int(u_h[c]),
                }
            )
    return out
