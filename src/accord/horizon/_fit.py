"""Log-linear trend fits with bootstrap intervals (pure; numpy is imported on first use).

Every trend in horizon scanning is a straight line in log space (compute grows by a factor
per year; time horizons double every so many days). The fit is ordinary least squares and
the interval is a **pairs (case) bootstrap**: rows are resampled with replacement and the
line refitted, so the interval does not lean on the residuals being normal or of equal
variance, which frontier data are not (a few very large runs sit far from the line).
Degenerate resamples (all x equal) are skipped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

LEVEL = 0.95
N_BOOT = 2000


@dataclass(frozen=True, eq=False)
class LineFit:
    """``y = intercept + slope * (x - x0)`` with bootstrap samples of both and of residual sd.

    ``x0`` is the mean x, so intercept and slope are nearly uncorrelated and extrapolation
    samples (``boot_intercept + boot_slope * (x - x0)``) stay numerically tame.
    """

    n: int
    x0: float
    slope: float
    intercept: float
    resid_sd: float
    slope_low: float
    slope_high: float
    level: float
    boot_slope: NDArray[np.float64]
    boot_intercept: NDArray[np.float64]
    boot_sd: NDArray[np.float64]
    degenerate: int

    def predict(self, x: ArrayLike) -> NDArray[np.float64]:
        import numpy as np

        return self.intercept + self.slope * (np.asarray(x, dtype=float) - self.x0)

    def band(self, xs: ArrayLike) -> list[tuple[float, float, float, float]]:
        """``(x, fitted y, low, high)`` at each x: the line and the percentile band of the
        bootstrap lines (where the trend is, not where a single point lands)."""
        import numpy as np

        xa = np.asarray(xs, dtype=float)
        lines = self.boot_intercept[:, None] + self.boot_slope[:, None] * (xa[None, :] - self.x0)
        alpha = (1 - self.level) / 2
        lo, hi = np.quantile(lines, [alpha, 1 - alpha], axis=0)
        mid = self.predict(xa)
        return [(float(x), float(m), float(a), float(b)) for x, m, a, b in zip(xa, mid, lo, hi, strict=True)]

    def summary(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "slope": self.slope,
            "slopeLow": self.slope_low,
            "slopeHigh": self.slope_high,
            "level": self.level,
            "interceptAtMeanX": self.intercept,
            "meanX": self.x0,
            "residualSd": self.resid_sd,
            "bootstrap": int(self.boot_slope.size),
            "degenerateResamples": self.degenerate,
        }


def ols(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float, float, float]:
    """(slope, intercept at mean x, residual sd with n-2 degrees of freedom)."""
    import numpy as np

    xm, ym = x.mean(), y.mean()
    sxx = float(((x - xm) ** 2).sum())
    if sxx == 0.0:
        raise ValueError("all x values are equal: no slope to fit")
    slope = float(((x - xm) * (y - ym)).sum() / sxx)
    resid = y - ym - slope * (x - xm)
    sd = float(np.sqrt((resid**2).sum() / max(len(x) - 2, 1)))
    return slope, float(ym), sd


def fit_line(x: ArrayLike, y: ArrayLike, *, n_boot: int = N_BOOT, level: float = LEVEL, seed: int = 0) -> LineFit:
    """OLS of y on x, and a percentile pairs-bootstrap interval for the slope (vectorised)."""
    import numpy as np

    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if xa.shape != ya.shape or xa.ndim != 1:
        raise ValueError("x and y must be one-dimensional and of the same length")
    if xa.size < 3:
        raise ValueError(f"a trend needs at least 3 points, got {xa.size}")
    slope, _, sd = ols(xa, ya)
    x0 = float(xa.mean())
    intercept = float(ya.mean())
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, xa.size, size=(n_boot, xa.size))
    bx, by = xa[idx], ya[idx]
    bxm = bx.mean(axis=1, keepdims=True)
    bym = by.mean(axis=1, keepdims=True)
    sxx = ((bx - bxm) ** 2).sum(axis=1)
    ok = sxx > 0
    bslope = ((bx - bxm) * (by - bym)).sum(axis=1)[ok] / sxx[ok]
    bint = bym[ok, 0] + bslope * (x0 - bxm[ok, 0])
    resid = by[ok] - bym[ok] - bslope[:, None] * (bx[ok] - bxm[ok])
    bsd = np.sqrt((resid**2).sum(axis=1) / max(xa.size - 2, 1))
    alpha = (1 - level) / 2
    lo, hi = np.quantile(bslope, [alpha, 1 - alpha])
    return LineFit(
        n=int(xa.size),
        x0=x0,
        slope=slope,
        intercept=intercept,
        resid_sd=sd,
        slope_low=float(lo),
        slope_high=float(hi),
        level=level,
        boot_slope=bslope,
        boot_intercept=bint,
        boot_sd=bsd,
        degenerate=int((~ok).sum()),
    )
