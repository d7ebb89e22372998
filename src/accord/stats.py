"""Binomial confidence intervals and the one ``Estimate`` record. Pure, and cheap to import.

Every rate accord reports carries n and a 95% interval (CONTRIBUTING.md). The intervals live
here once, for the judges' agreement figures and the frameworks' verdicts alike:

- **Clopper-Pearson** ("exact"): the beta-quantile bounds, via ``scipy.stats.beta.ppf``,
  vectorised. It is what ``scipy.stats.binomtest(k, n).proportion_ci(method="exact")``
  computes (that call solves for each bound by root-finding, a few milliseconds a call, too
  slow for a table of thousands of cells). It is the frameworks' default: the floor's rule
  compares the upper end with a bound, and an interval that is too narrow would pass a model
  on too little evidence.
- **Wilson** score interval, without continuity correction: the same figures as
  ``binomtest(...).proportion_ci(method="wilson")``, vectorised. ``k == 0`` gives a lower
  bound of exactly 0 and ``k == n`` an upper bound of exactly 1.

``tests/unit/test_stats.py`` checks both against ``scipy.stats.binomtest`` over a grid.
``n == 0`` gives the uninformative interval [0, 1] for arrays and an empty ``Estimate``
(all ``None``) for one figure. numpy and scipy are imported inside the functions, so
importing this module costs nothing (the CLI's start-up imports no numerical library).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

Method = Literal["clopper-pearson", "wilson"]
METHODS: tuple[Method, ...] = ("clopper-pearson", "wilson")
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """A figure with its interval (95% unless said otherwise); ``None`` where undefined.

    Undefined means there is nothing to estimate from (no rows, no positives), which is not
    the same as zero and is shown as "n/a".
    """

    value: float | None
    lo: float | None
    hi: float | None

    def fmt(self, digits: int = 3) -> str:
        """``0.750 [0.409, 0.929]``, or ``n/a``."""
        if self.value is None:
            return "n/a"
        if self.lo is None or self.hi is None:
            return f"{self.value:.{digits}f}"
        return f"{self.value:.{digits}f} [{self.lo:.{digits}f}, {self.hi:.{digits}f}]"


def interval(
    k: ArrayLike,
    n: ArrayLike,
    confidence: float = CONFIDENCE,
    method: Method = "clopper-pearson",
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(low, high) arrays for ``k`` successes out of ``n`` trials, element by element."""
    import numpy as np

    if method not in METHODS:
        raise ValueError(f"unknown interval method {method!r}; expected one of {', '.join(METHODS)}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    k_arr = np.asarray(k, dtype=np.float64)
    n_arr = np.asarray(n, dtype=np.float64)
    if np.any(k_arr < 0) or np.any(k_arr > n_arr):
        raise ValueError("need 0 <= k <= n")
    alpha = 1.0 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "clopper-pearson":
            from scipy.stats import beta

            low = np.where(k_arr > 0, beta.ppf(alpha / 2, k_arr, n_arr - k_arr + 1), 0.0)
            high = np.where(k_arr < n_arr, beta.ppf(1 - alpha / 2, k_arr + 1, n_arr - k_arr), 1.0)
        else:
            from scipy.special import ndtri

            z = float(ndtri(1 - alpha / 2))
            p = k_arr / n_arr
            denom = 1 + z * z / n_arr
            centre = (p + z * z / (2 * n_arr)) / denom
            half = z * np.sqrt(p * (1 - p) / n_arr + z * z / (4 * n_arr * n_arr)) / denom
            low = np.where(k_arr > 0, np.clip(centre - half, 0.0, 1.0), 0.0)
            high = np.where(k_arr < n_arr, np.clip(centre + half, 0.0, 1.0), 1.0)
    empty = n_arr == 0
    low = np.where(empty, 0.0, low)
    high = np.where(empty, 1.0, high)
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


def proportion(k: int, n: int, confidence: float = CONFIDENCE, method: Method = "wilson") -> Estimate:
    """``k / n`` with its interval; an empty ``Estimate`` when ``n == 0``."""
    if n == 0:
        return Estimate(None, None, None)
    low, high = interval([k], [n], confidence, method)
    return Estimate(k / n, float(low[0]), float(high[0]))


def wilson(k: int, n: int, confidence: float = CONFIDENCE) -> Estimate:
    """``k / n`` with its Wilson score interval."""
    return proportion(k, n, confidence, "wilson")


__all__ = ["CONFIDENCE", "METHODS", "Estimate", "Method", "interval", "proportion", "wilson"]
