"""Agreement between a judge and human labels, each figure with a 95% interval. Pure.

- accuracy, and precision / recall of a binary task: proportions, Wilson score interval
  (``accord.stats``);
- F1, Cohen's kappa, and the macro-averaged precision / recall / F1 of a multi-class task:
  percentile bootstrap over rows (``BOOTSTRAP`` resamples, fixed seed, so reruns print the
  same interval).

Unassessed predictions (``None``) are counted in ``n_unassessed`` and left out of every
figure: they are neither agreement nor disagreement. ``n`` is every row, ``n_assessed``
those scored. ``Estimate`` and ``wilson`` are the shared ones from ``accord.stats``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from accord.stats import Estimate, wilson

BOOTSTRAP = 1000
SEED = 20261123


@dataclass(frozen=True)
class Agreement:
    """How well predictions match gold labels."""

    n: int
    n_assessed: int
    n_unassessed: int
    accuracy: Estimate
    precision: Estimate
    recall: Estimate
    f1: Estimate
    kappa: Estimate
    average: str  # "binary (positive=...)" or "macro over k classes"
    #: The class labels, in the order of ``confusion``'s rows and columns.
    classes: tuple[str, ...] = ()
    #: Counts over the assessed rows: ``confusion[i][j]`` = gold class i judged as class j. The
    #: verdict engine's misclassification correction (``accord.frameworks.ConfusionRates``)
    #: reads a judge's sensitivity and specificity from these, per label and language.
    confusion: tuple[tuple[int, ...], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def confusion(gold: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """k x k counts, rows gold, columns predicted (inputs are class indices)."""
    return np.bincount(gold * k + pred, minlength=k * k).reshape(k, k)


def kappa_from(cm: np.ndarray) -> float | None:
    """Cohen's kappa of a confusion matrix (``None`` when chance agreement is 1)."""
    n = cm.sum()
    if n == 0:
        return None
    po = np.trace(cm) / n
    pe = float((cm.sum(axis=0) * cm.sum(axis=1)).sum()) / (n * n)
    if pe >= 1.0:
        return None
    return float((po - pe) / (1 - pe))


def _prf(cm: np.ndarray, cls: int) -> tuple[float | None, float | None, float | None]:
    tp = cm[cls, cls]
    pred_pos = cm[:, cls].sum()
    gold_pos = cm[cls, :].sum()
    p = tp / pred_pos if pred_pos else None
    r = tp / gold_pos if gold_pos else None
    f = (2 * tp / (pred_pos + gold_pos)) if (pred_pos + gold_pos) else None
    return p, r, f


def _macro(cm: np.ndarray) -> tuple[float | None, float | None, float | None]:
    vals = [_prf(cm, c) for c in range(cm.shape[0]) if cm[c, :].sum() or cm[:, c].sum()]
    out = []
    for j in range(3):
        xs = [float(v[j] or 0.0) for v in vals]
        out.append(float(np.mean(xs)) if xs else None)
    return out[0], out[1], out[2]


def _bootstrap(gold: np.ndarray, pred: np.ndarray, k: int, stat: Any, value: float | None) -> Estimate:
    if value is None:
        return Estimate(None, None, None)
    rng = np.random.default_rng(SEED)
    n = len(gold)
    idx = rng.integers(0, n, size=(BOOTSTRAP, n))
    codes = gold[idx] * k + pred[idx]
    samples = []
    for row in codes:
        v = stat(np.bincount(row, minlength=k * k).reshape(k, k))
        if v is not None:
            samples.append(v)
    if not samples:
        return Estimate(value, None, None)
    lo, hi = np.percentile(samples, [2.5, 97.5])
    return Estimate(float(value), float(lo), float(hi))


def agreement(
    gold: Sequence[Hashable],
    pred: Sequence[Hashable | None],
    *,
    positive: Hashable | None = None,
    classes: Sequence[Hashable] | None = None,
) -> Agreement:
    """Score ``pred`` against ``gold``; ``None`` in ``pred`` is unassessed.

    With ``positive`` set the task is binary and precision/recall/F1 are for that class;
    otherwise they are macro-averaged over ``classes`` (default: every label seen).
    """
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} rows, pred {len(pred)}")
    pairs = [(g, p) for g, p in zip(gold, pred) if p is not None]
    n = len(gold)
    n_assessed = len(pairs)
    labels = list(classes) if classes is not None else sorted({g for g, _ in pairs} | {p for _, p in pairs}, key=str)
    if positive is not None and positive not in labels:
        labels.append(positive)
    index = {c: i for i, c in enumerate(labels)}
    k = max(len(labels), 1)
    g = np.asarray([index[a] for a, _ in pairs], dtype=np.int64)
    p = np.asarray([index[b] for _, b in pairs], dtype=np.int64)
    cm = confusion(g, p, k)
    acc = wilson(int(np.trace(cm)), n_assessed)
    kap = _bootstrap(g, p, k, kappa_from, kappa_from(cm))
    if positive is not None:
        c = index[positive]
        tp = int(cm[c, c])
        prec = wilson(tp, int(cm[:, c].sum()))
        rec = wilson(tp, int(cm[c, :].sum()))
        f1v = _prf(cm, c)[2]
        f1 = _bootstrap(g, p, k, lambda m: _prf(m, c)[2], None if f1v is None else float(f1v))
        average = f"binary (positive={positive})"
    else:
        mp, mr, mf = _macro(cm)
        prec = _bootstrap(g, p, k, lambda m: _macro(m)[0], mp)
        rec = _bootstrap(g, p, k, lambda m: _macro(m)[1], mr)
        f1 = _bootstrap(g, p, k, lambda m: _macro(m)[2], mf)
        average = f"macro over {k} classes"
    return Agreement(
        n=n,
        n_assessed=n_assessed,
        n_unassessed=n - n_assessed,
        accuracy=acc,
        precision=prec,
        recall=rec,
        f1=f1,
        kappa=kap,
        average=average,
        classes=tuple(str(c).lower() if isinstance(c, bool) else str(c) for c in labels),
        confusion=tuple(tuple(int(x) for x in row) for row in cm),
    )
