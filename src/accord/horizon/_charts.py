"""Inline-SVG charts of the outlook: trends with bands, thresholds and crossings (pure).

In the house style of ``accord.report``'s charts (self-contained SVG, ``role="img"`` with a
``<title>`` and ``<desc>``, ``viewBox`` + ``width="100%"``, every text escaped, colour-blind
safe Okabe-Ito colours with shape and printed text repeating what colour says), but on a
**time x value** plane whose value axis is usually logarithmic: the caller passes values in
axis units (log10 FLOP, log2 minutes, ECI points) and the tick labels. The chart draws the
observed points, the fitted line with its bootstrap band, horizontal threshold lines (the
rulebook's) and vertical crossing marks with their interval as a shaded span. Deterministic:
the same data gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

W, H, LEFT, RIGHT, TOP, PH = 680, 300, 64, 150, 14, 230
POINT = "#0072B2"
FIT = "#000000"
BAND = "#0072B2"
LINE = "#D55E00"
CROSS = "#009E73"
AXIS = "#767676"
GRID = "#e6e6e6"
TEXT = "#111"


@dataclass(frozen=True)
class Pt:
    when: dt.date
    y: float
    label: str
    hollow: bool = False


@dataclass(frozen=True)
class BandPt:
    when: dt.date
    fit: float
    low: float
    high: float


@dataclass(frozen=True)
class HLine:
    y: float
    label: str


@dataclass(frozen=True)
class Mark:
    """A vertical crossing mark at ``when`` with its interval ``[low, high]`` (either may be None)."""

    when: dt.date
    label: str
    low: dt.date | None = None
    high: dt.date | None = None


def _esc(x: object) -> str:
    return html.escape(str(x), quote=True)


def _f(x: float) -> str:
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _cid(kind: str, payload: object) -> str:
    return f"hz-{kind}-" + hashlib.sha256(repr(payload).encode()).hexdigest()[:8]


def _svg(kind: str, cid: str, height: float, title: str, desc: str, body: str) -> str:
    return (
        f'<svg class="accord-chart" data-chart="{kind}" viewBox="0 0 {W} {_f(height)}" width="100%" '
        f'style="--w:{W}px;max-width:{_f(W * 1.25)}px;height:auto" role="img" aria-labelledby="{cid}-t" aria-describedby="{cid}-d" '
        f'font-family="system-ui,sans-serif" font-size="12" fill="{TEXT}">'
        f'<title id="{cid}-t">{_esc(title)}</title><desc id="{cid}-d">{_esc(desc)}</desc>{body}</svg>'
    )


def empty_chart(title: str, message: str) -> str:
    """A small grey box that says why nothing is drawn."""
    cid = _cid("empty", (title, message))
    body = f'<rect width="{W}" height="36" rx="4" fill="#e0e0e0"/><text x="12" y="22">{_esc(f"{title}: {message}"[:100])}</text>'
    return _svg("empty", cid, 36, title, message, body)


def _year_ticks(d0: dt.date, d1: dt.date) -> list[dt.date]:
    years = list(range(d0.year + (1 if (d0.month, d0.day) != (1, 1) else 0), d1.year + 1))
    step = max(1, math.ceil(len(years) / 8))
    return [dt.date(y, 1, 1) for y in years[::step]]


def trend_chart(
    *,
    title: str,
    y_label: str,
    points: Sequence[Pt],
    band: Sequence[BandPt] = (),
    hlines: Sequence[HLine] = (),
    marks: Sequence[Mark] = (),
    y_ticks: Sequence[tuple[float, str]] = (),
    kind: str = "trend",
) -> str:
    """Points over time with the fitted line, its band, threshold lines and crossing marks."""
    if not points:
        return empty_chart(title, "no data")
    dates = [p.when for p in points] + [b.when for b in band] + [m.when for m in marks]
    dates += [d for m in marks for d in (m.low, m.high) if d is not None]
    d0, d1 = min(dates), max(dates)
    ys = [p.y for p in points] + [v for b in band for v in (b.low, b.high)] + [h.y for h in hlines]
    y0, y1 = min(ys), max(ys)
    pad = (y1 - y0) * 0.05 or 1.0
    y0, y1 = y0 - pad, y1 + pad
    span = max(d1.toordinal() - d0.toordinal(), 1)
    pw = W - LEFT - RIGHT
    bottom = TOP + PH

    def sx(d: dt.date) -> float:
        return LEFT + (d.toordinal() - d0.toordinal()) / span * pw

    def sy(v: float) -> float:
        return bottom - (min(max(v, y0), y1) - y0) / (y1 - y0) * PH

    cid = _cid(kind, (title, tuple(points), tuple(band), tuple(hlines), tuple(marks)))
    out = [f'<defs><clipPath id="{cid}-c"><rect x="{LEFT}" y="{TOP}" width="{pw}" height="{PH}"/></clipPath></defs>']
    ticks = [(v, t) for v, t in y_ticks if y0 <= v <= y1]
    out.append(f'<path d="{"".join(f"M{LEFT} {_f(sy(v))}H{LEFT + pw}" for v, _ in ticks)}" stroke="{GRID}"/>')
    out.append(f'<path d="M{LEFT} {TOP}V{bottom}H{LEFT + pw}" fill="none" stroke="{AXIS}"/>')
    out.append(
        '<g font-size="10" text-anchor="end">'
        + "".join(f'<text x="{LEFT - 5}" y="{_f(sy(v) + 3)}">{_esc(t)}</text>' for v, t in ticks)
        + "</g>"
    )
    out.append(
        '<g font-size="10" text-anchor="middle">'
        + "".join(
            f'<text x="{_f(sx(d))}" y="{bottom + 14}">{d.year}</text><path d="M{_f(sx(d))} {bottom}v4" stroke="{AXIS}"/>'
            for d in _year_ticks(d0, d1)
        )
        + "</g>"
    )
    out.append(f'<text transform="translate(12 {TOP + PH // 2}) rotate(-90)" text-anchor="middle" font-size="11">{_esc(y_label)}</text>')
    body = [f'<g clip-path="url(#{cid}-c)">']
    for m in marks:
        if m.low or m.high:
            a, b = sx(m.low or d0), sx(m.high or d1)
            body.append(
                f'<rect class="cross-span" x="{_f(a)}" y="{TOP}" width="{_f(max(b - a, 1))}" height="{PH}" fill="{CROSS}" fill-opacity=".12"/>'
            )
    if band:
        upper = " ".join(f"{_f(sx(b.when))},{_f(sy(b.high))}" for b in band)
        lower = " ".join(f"{_f(sx(b.when))},{_f(sy(b.low))}" for b in reversed(band))
        body.append(f'<polygon class="band" points="{upper} {lower}" fill="{BAND}" fill-opacity=".18"/>')
        body.append(
            f'<polyline class="fit" points="{" ".join(f"{_f(sx(b.when))},{_f(sy(b.fit))}" for b in band)}" fill="none" stroke="{FIT}" stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
    for h in hlines:
        body.append(f'<path class="threshold" d="M{LEFT} {_f(sy(h.y))}H{LEFT + pw}" stroke="{LINE}" stroke-width="1.5"/>')
    for m in marks:
        body.append(f'<path class="crossing" d="M{_f(sx(m.when))} {TOP}V{bottom}" stroke="{CROSS}" stroke-width="2"/>')
    for p in points:
        fill = "#fff" if p.hollow else POINT
        body.append(
            f'<circle cx="{_f(sx(p.when))}" cy="{_f(sy(p.y))}" r="3.5" fill="{fill}" stroke="{POINT}" stroke-width="1.5"><title>{_esc(p.label)}</title></circle>'
        )
    body.append("</g>")
    out.extend(body)
    labels = ['<g font-size="10">']
    for h in hlines:
        labels.append(f'<text x="{LEFT + pw + 6}" y="{_f(sy(h.y) + 3)}" fill="{LINE}">{_esc(h.label[:26])}</text>')
    labels.append("</g>")
    out.extend(labels)
    ly = bottom + 32
    legend = [
        f'<g class="legend" font-size="11"><circle cx="{LEFT + 6}" cy="{ly - 4}" r="3.5" fill="{POINT}"/><text x="{LEFT + 14}" y="{ly}">observed</text>',
        f'<path d="M{LEFT + 90} {ly - 4}h22" stroke="{FIT}" stroke-dasharray="5 3" stroke-width="1.5"/><rect x="{LEFT + 90}" y="{ly - 9}" width="22" height="10" fill="{BAND}" fill-opacity=".18"/><text x="{LEFT + 118}" y="{ly}">fit, 95% band</text>'
        if band
        else "",
        f'<path d="M{LEFT + 220} {ly - 4}h22" stroke="{LINE}" stroke-width="1.5"/><text x="{LEFT + 248}" y="{ly}">threshold</text>'
        if hlines
        else "",
        f'<path d="M{LEFT + 330} {ly - 10}v12" stroke="{CROSS}" stroke-width="2"/><rect x="{LEFT + 334}" y="{ly - 10}" width="14" height="12" fill="{CROSS}" fill-opacity=".12"/><text x="{LEFT + 354}" y="{ly}">crossing, 95% interval</text>'
        if marks
        else "",
        "</g>",
    ]
    out.extend(legend)
    for i, m in enumerate(marks):
        between = f" ({m.low.isoformat() if m.low else '…'} to {m.high.isoformat() if m.high else 'beyond'})"
        out.append(
            f'<text class="mark-label" x="{LEFT}" y="{ly + 18 + 16 * i}" font-size="11">{_esc(m.label + " " + m.when.isoformat() + between)}</text>'
        )
    height = ly + 12 + 16 * len(marks)
    desc = (
        f"{len(points)} observed points from {min(p.when for p in points)} to {max(p.when for p in points)}"
        + (", the fitted trend with its 95% bootstrap band" if band else "")
        + (", thresholds " + ", ".join(h.label for h in hlines) if hlines else "")
        + (", crossings " + ", ".join(f"{m.label} {m.when}" for m in marks) if marks else "")
        + "."
    )
    return _svg(kind, cid, height, title, desc, "".join(out))


@dataclass(frozen=True)
class Bar:
    group: str
    label: str
    value: float
    low: float
    high: float


def count_chart(*, title: str, bars: Sequence[Bar], value_label: str) -> str:
    """Grouped vertical bars (expected count per period) with interval whiskers, figures printed."""
    if not bars:
        return empty_chart(title, "no data")
    groups = list(dict.fromkeys(b.group for b in bars))
    labels = list(dict.fromkeys(b.label for b in bars))
    colours = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
    top = max(max(b.high, b.value) for b in bars) or 1.0
    step = 10 ** math.floor(math.log10(top)) if top >= 1 else 1
    ymax = math.ceil(top / step) * step
    pw = W - LEFT - 20
    bottom = TOP + PH
    slot = pw / len(labels)
    bw = min(28.0, (slot - 8) / len(groups))

    def sy(v: float) -> float:
        return bottom - v / ymax * PH

    cid = _cid("counts", (title, tuple(bars)))
    ticks = [ymax * i / 4 for i in range(5)]
    out = [f'<path d="{"".join(f"M{LEFT} {_f(sy(t))}H{LEFT + pw}" for t in ticks[1:])}" stroke="{GRID}"/>']
    out.append(f'<path d="M{LEFT} {TOP}V{bottom}H{LEFT + pw}" fill="none" stroke="{AXIS}"/>')
    out.append(
        '<g font-size="10" text-anchor="end">' + "".join(f'<text x="{LEFT - 5}" y="{_f(sy(t) + 3)}">{t:g}</text>' for t in ticks) + "</g>"
    )
    out.append(
        f'<text transform="translate(12 {TOP + PH // 2}) rotate(-90)" text-anchor="middle" font-size="11">{_esc(value_label)}</text>'
    )
    by = {(b.group, b.label): b for b in bars}
    for i, lab in enumerate(labels):
        x0 = LEFT + i * slot + (slot - bw * len(groups)) / 2
        for g_i, g in enumerate(groups):
            b = by.get((g, lab))
            if b is None:
                continue
            x = x0 + g_i * bw
            c = colours[g_i % len(colours)]
            stats = f"{g}, {lab}: expected {b.value:.1f} (95% {b.low:.1f}–{b.high:.1f})"
            out.append(
                f'<g class="bar"><title>{_esc(stats)}</title><rect x="{_f(x)}" y="{_f(sy(b.value))}" width="{_f(bw - 2)}" height="{_f(bottom - sy(b.value))}" fill="{c}"/>'
                f'<path class="ci" d="M{_f(x + bw / 2 - 1)} {_f(sy(b.low))}V{_f(sy(b.high))}M{_f(x + bw / 2 - 4)} {_f(sy(b.high))}h6M{_f(x + bw / 2 - 4)} {_f(sy(b.low))}h6" stroke="{TEXT}"/></g>'
            )
        out.append(
            f'<text x="{_f(LEFT + i * slot + slot / 2)}" y="{bottom + 14}" font-size="10" text-anchor="middle">{_esc(lab[:10])}</text>'
        )
    ly = bottom + 34
    legend = ['<g class="legend" font-size="11">']
    for g_i, g in enumerate(groups):
        x = LEFT + g_i * 180
        legend.append(
            f'<rect x="{x}" y="{ly - 10}" width="12" height="12" fill="{colours[g_i % len(colours)]}"/><text x="{x + 18}" y="{ly}">{_esc(g)}</text>'
        )
    legend.append(f'<text x="{LEFT + len(groups) * 180}" y="{ly}">whiskers: 95% interval</text></g>')
    out.extend(legend)
    desc = f"Expected number per period for {', '.join(groups)} over {len(labels)} periods, with 95% intervals."
    return _svg("counts", cid, ly + 10, title, desc, "".join(out))


def log_ticks(lo: float, hi: float, fmt: str = "1e{:d}") -> list[tuple[float, str]]:
    """Ticks at whole powers of ten between ``lo`` and ``hi`` (log10 axis units)."""
    a, b = math.floor(lo), math.ceil(hi)
    step = max(1, math.ceil((b - a) / 8))
    return [(float(e), fmt.format(e)) for e in range(a, b + 1, step)]
