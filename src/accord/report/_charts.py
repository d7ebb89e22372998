"""Reusable inline-SVG charts for the report (and the dashboard and red-team views).

Every chart is a pure function from small frozen dataclasses to a ``str`` of inline SVG:
no I/O, no randomness, no clock, so the same data always gives byte-identical markup (the
report is attested by digest). The SVG is self-contained (no script, no external reference,
no web font), every text value is escaped, and it carries ``role="img"``, a ``<title>`` and
``aria-labelledby`` so screen readers announce it. It scales with its container
(``viewBox`` plus ``width="100%"``) from a 390 px phone to a 1,400 px screen.

Why sample size is drawn, not just printed: a rate of 0% from one response and 0% from 82
responses are different evidence. Grid cells and bars with ``n < min_n`` are pale and
hatched, points are hollow with dashed whiskers, every one shows its ``n``, and ``n == 0``
(or ``value is None``) is drawn as grey "no data", never as a colour on the scale. Colours
come from colour-blind-safe palettes (ColorBrewer RdBu for values, Okabe-Ito for targets),
restricted so that dark text on them keeps WCAG AA contrast; shape and printed text always
repeat what colour says.

Size matters (the demo report must stay under 300 KB): the grid is layered markup with no
per-cell tooltip, about 135 bytes a cell all told; charts with ids derive them from a hash
of their content (or ``chart_id``) so several charts on one page never collide.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

__all__ = [
    "CHART_CSS",
    "DECISION_SHAPES",
    "GRADE_COLOURS",
    "NO_DATA",
    "MUTED",
    "SERIES_COLOURS",
    "TEXT",
    "BarRow",
    "GridCell",
    "Rate",
    "TimePoint",
    "TradeoffPoint",
    "breakdown_chart",
    "grade_strip",
    "grid_chart",
    "no_data_chart",
    "pale",
    "ramp_colour",
    "timeline_chart",
    "tradeoff_chart",
]


@dataclass(frozen=True)
class Rate:
    """A rate with its 95% interval and sample size (the axes of the trade-off chart).

    ``value`` is ``None`` where nothing was measured; ``low``/``high`` may be ``None`` where
    no interval is known (then no whisker is drawn, and the point counts as thin evidence).
    """

    value: float | None
    low: float | None = None
    high: float | None = None
    n: int = 0


@dataclass(frozen=True)
class GridCell:
    """One cell of the target x hazard grid.

    ``row``/``col`` are keys into ``grid_chart``'s ``rows``/``cols``. ``label`` overrides
    the printed figure (default: the value as a percentage). ``href`` must be an in-page
    fragment (``#target-3``); anything else is dropped so the chart never links out.
    """

    row: str
    col: str
    value: float | None
    n: int
    low: float | None = None
    high: float | None = None
    label: str = ""
    href: str = ""


@dataclass(frozen=True)
class TradeoffPoint:
    """One target on the over-refusal (x) vs harmful-compliance (y) plane."""

    name: str
    x: Rate
    y: Rate
    href: str = ""


@dataclass(frozen=True)
class BarRow:
    """One bar of a breakdown (by ``variant_id``, by language, by attack...).

    ``group`` puts rows under a sub-heading (rows keep their given order within a group;
    groups appear in order of first appearance).
    """

    label: str
    value: float | None
    low: float | None
    high: float | None
    n: int
    group: str = ""
    href: str = ""


@dataclass(frozen=True)
class TimePoint:
    """One run of a target at a date: its value (with interval and n) and its decision.

    ``decision`` is a deployment decision (``allowed`` / ``blocked`` / ``insufficient
    evidence``) or ``None``; it is drawn as the marker's shape and colour.
    """

    date: date | datetime
    value: float | None
    low: float | None = None
    high: float | None = None
    n: int = 0
    decision: str | None = None
    #: The model version this run evaluated (a target's history): printed in the tooltip, and
    #: where it differs from the previous point's, a dashed vertical line names the new version.
    label: str = ""
    #: A finding at this run (e.g. ``regression``): a red triangle above the point, named in its tooltip.
    flag: str = ""


# --------------------------------------------------------------------------- palette

TEXT = "#111"
MUTED = "#444"  # 9.7:1 on white, 7:1 on the no-data grey
NO_DATA = "#e0e0e0"
_AXIS = "#767676"  # 4.5:1 on white: the lightest grey that still reads as a line and as text
_GRID = "#e6e6e6"
_BAR = "#4393c3"

# "Goodness" (0 = worst, 1 = best) -> colour. ColorBrewer RdBu (colour-blind safe), clipped to
# the stops on which TEXT keeps WCAG AA contrast (>= 4.5:1), so figures printed on a cell always
# read. Stops crowd towards 1 because that is where safety rates differ (95% vs 99% acceptable).
_RAMP: tuple[tuple[float, str], ...] = (
    (0.0, "#d6604d"),
    (0.5, "#f4a582"),
    (0.8, "#fddbc7"),
    (0.9, "#f7f7f7"),
    (0.95, "#d1e5f0"),
    (0.99, "#92c5de"),
    (1.0, "#4393c3"),
)

#: Okabe-Ito colours with >= 3:1 contrast on white (WCAG 1.4.11 for graphics); the yellow,
#: orange and sky blue are left out because they fade on white. Series beyond five repeat a
#: colour with a different dash pattern.
SERIES_COLOURS: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000")
_DASHES: tuple[str, ...] = ("", "6 3", "2 2")

#: AILuminate grades (worst to best) on the same ramp as values; the grade is always printed.
GRADE_COLOURS: dict[str, str] = {
    "Poor": "#d6604d",
    "Fair": "#f4a582",
    "Good": "#f7f7f7",
    "Very Good": "#92c5de",
    "Excellent": "#4393c3",
}

#: Marker shape per deployment decision in the timeline (shape, not colour: colour is the target).
DECISION_SHAPES: dict[str, str] = {"allowed": "circle", "blocked": "square", "insufficient evidence": "diamond"}

#: CSS the page can include once: inside ``<div class="chart-scroll">`` a chart shrinks to at
#: most 3/4 of its natural width (``--w``, set on each chart), so text stays >= 9 px and a wide
#: grid scrolls sideways on a phone instead; plus a visible focus ring on linked cells.
CHART_CSS = (
    ".chart-scroll{overflow-x:auto;max-width:100%}"
    "svg.accord-chart{display:block;height:auto}"
    ".chart-scroll>svg.accord-chart:not([data-state]){min-width:calc(var(--w)*.75)}"
    "svg.accord-chart a:focus{outline:2px solid #000}"
)

_HATCH_NOTE = "pale, hatched"


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _mix(a: str, b: str, t: float) -> str:
    """``a`` moved a fraction ``t`` towards ``b`` (both #rrggbb)."""
    ra, rb = _rgb(a), _rgb(b)
    r, g, bl = (round(x + (y - x) * t) for x, y in zip(ra, rb))
    return f"#{r:02x}{g:02x}{bl:02x}"


def ramp_colour(value: float | None, *, higher_is_better: bool = True) -> str:
    """Colour of a rate in [0, 1] on the value ramp (red = bad, blue = good); grey for ``None``.

    Exposed so HTML tables can colour cells exactly like the charts do.
    """
    v = _finite(value)
    if v is None:
        return NO_DATA
    g = min(1.0, max(0.0, v))
    if not higher_is_better:
        g = 1.0 - g
    for (x0, c0), (x1, c1) in zip(_RAMP, _RAMP[1:]):
        if g <= x1:
            return _mix(c0, c1, 0.0 if x1 == x0 else (g - x0) / (x1 - x0))
    return _RAMP[-1][1]


def pale(colour: str) -> str:
    """The washed-out version of a colour used for thin evidence (n below the minimum)."""
    return _mix(colour, "#ffffff", 0.55)


# --------------------------------------------------------------------------- text and numbers


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def _f(x: float) -> str:
    """A coordinate, to 0.1 user unit: enough for any screen, and short."""
    s = f"{x:.1f}"
    if s.endswith(".0"):
        s = s[:-2]
    return "0" if s == "-0" else s


def _pct(v: float) -> str:
    """A rate as a whole percentage; never rounds a non-zero rate to 0% or a non-full one to 100%."""
    p = v * 100.0
    if 0.0 < p < 1.0:
        return "<1%"
    if 99.0 < p < 100.0:
        return ">99%"
    return f"{p:.0f}%"


def _tick(v: float) -> str:
    p = round(v * 100.0, 6)
    return f"{p:.0f}%" if p == round(p) else f"{p:.1f}%"


def _n(n: int) -> str:
    return f"n={n}" if n < 100_000 else f"n={n // 1000}k"


def _stats(value: float | None, low: float | None, high: float | None, n: int) -> str:
    """``82% (74–90%), n=82``; ``no data, n=0``."""
    v, lo, hi = _finite(value), _finite(low), _finite(high)
    if v is None or n <= 0:
        return f"no data, n={max(n, 0)}"
    ci = f" ({_pct(lo)}–{_pct(hi)})" if lo is not None and hi is not None else ""
    return f"{_pct(v)}{ci}, n={n}"


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tw(text: str, size: float) -> float:
    """Rough rendered width of ``text`` at font ``size``: layouts need only an upper-ish bound."""
    return len(text) * size * 0.58


def _label(text: str, limit: int) -> str:
    """Escaped, truncated text content; the full text as a tooltip when cut."""
    short = _fit(text, limit)
    return _esc(short) + (f"<title>{_esc(text)}</title>" if short != text else "")


def _href(href: str | None) -> str | None:
    """Only in-page fragments may be linked: a chart never points outside the report."""
    if href and href.startswith("#") and len(href) > 1 and not any(c.isspace() for c in href):
        return _esc(href)
    return None


def _link(href: str | None, inner: str) -> str:
    """``inner`` inside an ``<a>`` when ``href`` is an in-page fragment."""
    target = _href(href)
    return f'<a href="{target}">{inner}</a>' if target else inner


# --------------------------------------------------------------------------- scaffolding

_AXES: tuple[tuple[float, float], ...] = ((0.05, 0.01), (0.1, 0.02), (0.2, 0.05), (0.5, 0.1), (1.0, 0.2))


def _axis(top: float) -> tuple[float, list[float]]:
    """The smallest of a few round axis maxima that holds ``top``, and its ticks."""
    mx, step = _AXES[-1]
    for m, s in _AXES:
        if top <= m + 1e-12:
            mx, step = m, s
            break
    return mx, [round(step * i, 9) for i in range(round(mx / step) + 1)]


def _cid(kind: str, title: str, chart_id: str | None, payload: object) -> str:
    """An id prefix unique per chart content, so several charts on one page never share ids."""
    if chart_id:
        s = re.sub(r"[^A-Za-z0-9_-]", "-", chart_id)
        return s if s[:1].isalpha() else "c" + s
    digest = hashlib.sha256(repr((kind, title, payload)).encode()).hexdigest()[:8]
    return f"ch-{kind}-{digest}"


def _svg(kind: str, cid: str, width: float, height: float, title: str, desc: str, body: str, *, state: str = "", grow: float = 1.25) -> str:
    """The root element: scales down with its container, and up to ``grow`` times its size."""
    extra = f' data-state="{state}"' if state else ""
    return (
        f'<svg class="accord-chart" data-chart="{kind}"{extra} viewBox="0 0 {_f(width)} {_f(height)}" width="100%" '
        f'style="--w:{_f(width)}px;max-width:{_f(width * grow)}px;height:auto" role="img" aria-labelledby="{cid}-t" aria-describedby="{cid}-d" '
        f'font-family="system-ui,sans-serif" font-size="12" fill="{TEXT}">'
        f'<title id="{cid}-t">{_esc(title)}</title><desc id="{cid}-d">{_esc(desc)}</desc>{body}</svg>'
    )


def _hatch_def(cid: str) -> str:
    return (
        f'<pattern id="{cid}-h" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<path d="M0 0V6" stroke="#333" stroke-opacity=".3" stroke-width="1.5"/></pattern>'
    )


def _empty(kind: str, title: str, message: str, chart_id: str | None) -> str:
    cid = _cid(kind, title, chart_id, ("empty", message))
    line = _fit(f"{title}: {message}" if title else message, 90)
    width = min(600.0, max(200.0, _tw(line, 12) + 24))
    body = f'<rect width="{_f(width)}" height="36" rx="4" fill="{NO_DATA}"/><text x="12" y="22">{_esc(line)}</text>'
    return _svg(kind, cid, width, 36, title, message, body, state="no-data", grow=1.0)


def no_data_chart(title: str, message: str = "no data", *, chart_id: str | None = None) -> str:
    """A small SVG saying there is nothing to draw (used for empty inputs, never an error)."""
    return _empty("empty", title, message, chart_id)


# --------------------------------------------------------------------------- grid

_CW, _CH = 48, 34


def grid_chart(
    cells: Sequence[GridCell],
    rows: Sequence[str],
    cols: Sequence[str],
    *,
    title: str,
    row_names: Mapping[str, str] | None = None,
    col_names: Mapping[str, str] | None = None,
    min_n: int = 30,
    higher_is_better: bool = True,
    value_label: str = "share acceptable",
    row_hrefs: Mapping[str, str] | None = None,
    chart_id: str | None = None,
) -> str:
    """Target (rows) x hazard (cols) grid; colour encodes the value, hatching thin evidence.

    Missing cells and cells with ``n == 0`` or ``value is None`` are grey "no data".
    ``higher_is_better`` picks the ramp direction (blue = good, red = bad). A legend with the
    colour scale and the thin-evidence pattern is included. Every cell prints its figure and
    ``n``; cells with ``n < min_n`` are pale and hatched. A cell outside ``rows``/``cols`` or a
    repeated cell is a caller error (``ValueError``), not something to draw silently.

    ``row_hrefs`` links row labels to in-page anchors (cheap); ``GridCell.href`` links single
    cells (about 25 bytes a cell). The markup is layered (cells, one hatch overlay, then the
    figures with ``pointer-events="none"``) and carries no per-cell tooltip, which keeps a
    9 x 18 grid near 20 KB; intervals belong in the tables the cells summarise.
    """
    row_keys = list(dict.fromkeys(rows))
    col_keys = list(dict.fromkeys(cols))
    if not cells or not row_keys or not col_keys:
        return _empty("grid", title, "no data", chart_id)
    index: dict[tuple[str, str], GridCell] = {}
    row_set, col_set = set(row_keys), set(col_keys)
    for cell in cells:
        if cell.row not in row_set or cell.col not in col_set:
            raise ValueError(f"grid cell ({cell.row!r}, {cell.col!r}) is not among the given rows and columns")
        if (cell.row, cell.col) in index:
            raise ValueError(f"grid cell ({cell.row!r}, {cell.col!r}) is given twice")
        index[(cell.row, cell.col)] = cell
    rn, cn, rh = row_names or {}, col_names or {}, row_hrefs or {}
    cid = _cid(
        "grid",
        title,
        chart_id,
        (
            tuple(cells),
            tuple(row_keys),
            tuple(col_keys),
            sorted(rn.items()),
            sorted(cn.items()),
            sorted(rh.items()),
            min_n,
            higher_is_better,
            value_label,
        ),
    )
    row_labels = [str(rn.get(r, r)) for r in row_keys]
    col_labels = [str(cn.get(c, c)) for c in col_keys]

    left = round(16 + max(_tw(_fit(t, 28), 12) for t in row_labels))
    col_w = max(_tw(_fit(t, 24), 11) for t in col_labels) * 0.7071
    top = round(col_w + 16)
    width = max(left + len(col_keys) * _CW + max(0.0, col_w - _CW / 2) + 8, 560.0)
    w, h = _CW - 2, _CH - 2

    head = ['<g font-size="11">']
    for j, label in enumerate(col_labels):
        head.append(f'<text transform="translate({left + j * _CW + _CW // 2} {top - 6}) rotate(-45)">{_label(label, 24)}</text>')
    head.append('</g><g text-anchor="end">')
    for i, (key, label) in enumerate(zip(row_keys, row_labels)):
        head.append(_link(rh.get(key, ""), f'<text x="{left - 8}" y="{top + i * _CH + _CH // 2 + 4}">{_label(label, 28)}</text>'))
    head.append("</g>")

    # Layers, for size: cells are stroked horizontal segments ("M x y h w" with a stroke as tall
    # as the cell: 38 bytes against 60 for a <rect>), in row-major order; thin cells get one
    # hatch overlay path (its segments name the thin cells); the figures, the "no data" labels
    # and the counts sit in one group per column so each <text> needs only its y.
    mid = h // 2
    rects: list[str] = [f'<g class="cells" stroke-width="{h}">']
    hatch: list[str] = []
    values: list[list[str]] = [[] for _ in col_keys]
    blanks: list[list[str]] = [[] for _ in col_keys]
    counts: list[list[str]] = [[] for _ in col_keys]
    thin_count = empty_count = 0
    for i, r in enumerate(row_keys):
        run: list[str] = []  # consecutive cells of this row that share one link
        run_href: str | None = None
        for j, c in enumerate(col_keys):
            found = index.get((r, c))
            x, y = left + j * _CW, top + i * _CH
            value = _finite(found.value) if found else None
            n = max(found.n, 0) if found else 0
            no_data = value is None or n == 0
            thin = not no_data and n < min_n
            thin_count += thin
            empty_count += no_data
            fill = NO_DATA if no_data else ramp_colour(value, higher_is_better=higher_is_better)
            if thin:
                fill = pale(fill)
                hatch.append(f"M{x} {y + mid}h{w}")
            href = found.href if found and _href(found.href) else None
            if href != run_href and run:
                rects.append(_link(run_href, "".join(run)))
                run = []
            run_href = href
            run.append(f'<path d="M{x} {y + mid}h{w}" stroke="{fill}"/>')
            if no_data or value is None:
                blanks[j].append(f'<text y="{y + 14}">no data</text>')
            else:
                shown = _fit(found.label, 7) if found and found.label else _pct(value)
                values[j].append(f'<text y="{y + 15}">{_esc(shown)}</text>')
            counts[j].append(f'<text y="{y + 27}">{_n(n)}</text>')
        rects.append(_link(run_href, "".join(run)))
    rects.append("</g>")
    defs = f"<defs>{_hatch_def(cid)}{_gradient(cid, higher_is_better)}</defs>"
    overlay = f'<path class="hatch" d="{"".join(hatch)}" stroke="url(#{cid}-h)" stroke-width="{h}" pointer-events="none"/>' if hatch else ""
    texts = ['<g text-anchor="middle" pointer-events="none"><g class="values" font-weight="600">']
    texts.extend(f'<g transform="translate({left + j * _CW + w // 2})">{"".join(v)}</g>' for j, v in enumerate(values) if v)
    texts.append(f'</g><g class="no-data" font-size="9" fill="{MUTED}">')
    texts.extend(f'<g transform="translate({left + j * _CW + w // 2})">{"".join(v)}</g>' for j, v in enumerate(blanks) if v)
    texts.append('</g><g class="counts" font-size="9">')
    texts.extend(f'<g transform="translate({left + j * _CW + w // 2})">{"".join(v)}</g>' for j, v in enumerate(counts))
    texts.append("</g></g>")
    legend_y = top + len(row_keys) * _CH + 12
    legend = _grid_legend(cid, legend_y, min_n, higher_is_better, value_label, width)
    better = "higher" if higher_is_better else "lower"
    desc = (
        f"{len(row_keys)} rows by {len(col_keys)} columns of {value_label} ({better} is better); every cell shows its figure and n. "
        f"{thin_count} cells rest on fewer than {min_n} responses ({_HATCH_NOTE}); {empty_count} have no data."
    )
    body = defs + "".join(head) + "".join(rects) + overlay + "".join(texts) + legend
    return _svg("grid", cid, width, legend_y + 62, title, desc, body)


def _gradient(cid: str, higher_is_better: bool) -> str:
    stops = _RAMP if higher_is_better else tuple((1.0 - x, c) for x, c in reversed(_RAMP))
    inner = "".join(f'<stop offset="{_f(x * 100)}%" stop-color="{c}"/>' for x, c in stops)
    return f'<linearGradient id="{cid}-g">{inner}</linearGradient>'


def _grid_legend(cid: str, y: int, min_n: int, higher_is_better: bool, value_label: str, width: float) -> str:
    x0, w = 8, 240
    ticks = (0.0, 0.5, 0.8, 1.0) if higher_is_better else (0.0, 0.2, 0.5, 1.0)
    better = "higher" if higher_is_better else "lower"
    out = [f'<g class="legend" font-size="10"><rect x="{x0}" y="{y}" width="{w}" height="10" fill="url(#{cid}-g)"/>']
    out.append('<g text-anchor="middle">')
    out.extend(f'<text x="{_f(x0 + t * w)}" y="{y + 22}">{_tick(t)}</text>' for t in ticks)
    room = max(40, int((width - x0 - w - 18) / (10 * 0.58)))
    out.append(f'</g><text x="{x0 + w + 10}" y="{y + 9}">{_label(f"{value_label} ({better} is better)", room)}</text>')
    y2 = y + 34
    out.append(f'<rect x="{x0}" y="{y2}" width="22" height="14" fill="{pale(_RAMP[2][1])}"/>')
    out.append(f'<rect x="{x0}" y="{y2}" width="22" height="14" fill="url(#{cid}-h)"/>')
    out.append(f'<text x="{x0 + 28}" y="{y2 + 11}">n &lt; {min_n}: thin evidence</text>')
    out.append(f'<rect x="{x0 + 170}" y="{y2}" width="22" height="14" fill="{NO_DATA}"/>')
    out.append(f'<text x="{x0 + 198}" y="{y2 + 11}">no data (n = 0)</text></g>')
    return "".join(out)


# --------------------------------------------------------------------------- trade-off

_TW, _TL, _TT, _TPW, _TPH = 600, 56, 16, 508, 300


def _has(rate: Rate) -> bool:
    return _finite(rate.value) is not None and rate.n > 0


def _thin_rate(rate: Rate, min_n: int) -> bool:
    return rate.n < min_n or _finite(rate.low) is None or _finite(rate.high) is None


def _top(values: Sequence[float | None]) -> float:
    vs = [min(1.0, max(0.0, v)) for v in (_finite(x) for x in values) if v is not None]
    return max(vs, default=0.0)


def tradeoff_chart(
    points: Sequence[TradeoffPoint],
    *,
    title: str,
    x_label: str = "over-refusal of benign requests",
    y_label: str = "harmful compliance",
    min_n: int = 30,
    chart_id: str | None = None,
) -> str:
    """Scatter of targets with 95% interval whiskers on both axes; lower-left is better.

    Each target is a numbered marker with a key row below the plot (name and both figures
    with interval and n), so nine long names never overlap. Axes start at 0 and end at the
    smallest round maximum holding every interval. Points with ``n < min_n`` on either axis
    or without an interval are hollow with dashed whiskers; points lacking either value are
    listed in the key as "no data" and not placed.
    """
    pts = list(points)
    if not pts:
        return _empty("tradeoff", title, "no data", chart_id)
    cid = _cid("tradeoff", title, chart_id, (tuple(pts), x_label, y_label, min_n))
    placed = [p for p in pts if _has(p.x) and _has(p.y)]
    xmax, xticks = _axis(_top([v for p in placed for v in (p.x.value, p.x.high)]))
    ymax, yticks = _axis(_top([v for p in placed for v in (p.y.value, p.y.high)]))
    bottom = _TT + _TPH

    def sx(v: float) -> float:
        return _TL + min(1.0, max(0.0, v / xmax)) * _TPW

    def sy(v: float) -> float:
        return bottom - min(1.0, max(0.0, v / ymax)) * _TPH

    grid = "".join(f"M{_f(sx(t))} {_TT}V{bottom}" for t in xticks[1:]) + "".join(f"M{_TL} {_f(sy(t))}H{_TL + _TPW}" for t in yticks[1:])
    out = [f'<path d="{grid}" stroke="{_GRID}"/>', f'<path d="M{_TL} {_TT}V{bottom}H{_TL + _TPW}" fill="none" stroke="{_AXIS}"/>']
    out.append('<g font-size="10" text-anchor="middle">')
    out.extend(f'<text x="{_f(sx(t))}" y="{bottom + 14}">{_tick(t)}</text>' for t in xticks)
    out.append('</g><g font-size="10" text-anchor="end">')
    out.extend(f'<text x="{_TL - 5}" y="{_f(sy(t) + 3)}">{_tick(t)}</text>' for t in yticks)
    out.append("</g>")
    out.append(f'<text x="{_TL + _TPW // 2}" y="{bottom + 32}" text-anchor="middle">{_label(x_label, 70)}</text>')
    out.append(f'<text transform="translate(14 {_TT + _TPH // 2}) rotate(-90)" text-anchor="middle">{_label(y_label, 44)}</text>')
    out.append(f'<text x="{_TL + _TPW - 6}" y="{_TT + 14}" text-anchor="end" font-size="10" fill="{MUTED}">lower-left is better</text>')

    key_y = bottom + 56
    key = [
        f'<g class="key" font-size="11"><g font-size="10" fill="{MUTED}"><text x="36" y="{key_y}">target</text>'
        f'<text x="280" y="{key_y}">{_label(x_label, 30)}</text><text x="440" y="{key_y}">{_label(y_label, 28)}</text></g>'
    ]
    for k, p in enumerate(pts, start=1):
        colour = SERIES_COLOURS[(k - 1) % len(SERIES_COLOURS)]
        ky = key_y + 20 * k
        ok = _has(p.x) and _has(p.y)
        thin = not ok or _thin_rate(p.x, min_n) or _thin_rate(p.y, min_n)
        dash = ' stroke-dasharray="3 2"' if thin else ""
        stroke = colour if ok else _AXIS
        key.append(
            f'<g><circle cx="18" cy="{ky - 4}" r="8" fill="#fff" stroke="{stroke}" stroke-width="2"{dash}/>'
            f'<text x="18" y="{ky}" font-size="9" font-weight="700" text-anchor="middle">{k}</text>'
            f'<text x="36" y="{ky}">{_label(p.name, 36)}</text>'
            f'<text x="280" y="{ky}">{_esc(_stats(p.x.value, p.x.low, p.x.high, p.x.n))}</text>'
            f'<text x="440" y="{ky}">{_esc(_stats(p.y.value, p.y.low, p.y.high, p.y.n))}</text></g>'
        )
        if not ok:
            continue
        xv, yv = _finite(p.x.value), _finite(p.y.value)
        assert xv is not None and yv is not None
        cx, cy = sx(xv), sy(yv)
        g = [f'<g class="point{" thin" if thin else ""}"><title>{k}: {_esc(p.name)}{" (thin evidence)" if thin else ""}</title>']
        xl, xh, yl, yh = (_finite(v) for v in (p.x.low, p.x.high, p.y.low, p.y.high))
        if xl is not None and xh is not None:
            a, b = sx(xl), sx(xh)
            g.append(
                f'<line class="ci-x" x1="{_f(a)}" y1="{_f(cy)}" x2="{_f(b)}" y2="{_f(cy)}" stroke="{colour}" stroke-width="1.5"{dash}/>'
            )
            g.append(f'<path d="M{_f(a)} {_f(cy - 4)}v8M{_f(b)} {_f(cy - 4)}v8" stroke="{colour}"/>')
        if yl is not None and yh is not None:
            a, b = sy(yl), sy(yh)
            g.append(
                f'<line class="ci-y" x1="{_f(cx)}" y1="{_f(a)}" x2="{_f(cx)}" y2="{_f(b)}" stroke="{colour}" stroke-width="1.5"{dash}/>'
            )
            g.append(f'<path d="M{_f(cx - 4)} {_f(a)}h8M{_f(cx - 4)} {_f(b)}h8" stroke="{colour}"/>')
        g.append(f'<circle cx="{_f(cx)}" cy="{_f(cy)}" r="9" fill="#fff" stroke="{colour}" stroke-width="2.5"{dash}/>')
        g.append(f'<text x="{_f(cx)}" y="{_f(cy + 3.5)}" font-size="10" font-weight="700" text-anchor="middle">{k}</text></g>')
        out.append(_link(p.href, "".join(g)))
    key.append("</g>")
    height = key_y + 20 * len(pts) + 12
    desc = (
        f"{len(pts)} targets: {x_label} (across) against {y_label} (up), each with its 95% interval; lower-left is better. "
        f"{len(pts) - len(placed)} without data. Hollow, dashed markers rest on fewer than {min_n} responses."
    )
    return _svg("tradeoff", cid, _TW, height, title, desc, "".join(out) + "".join(key))


# --------------------------------------------------------------------------- breakdown bars

_BW, _BROW = 640, 24


def breakdown_chart(
    rows: Sequence[BarRow],
    *,
    title: str,
    value_label: str,
    min_n: int = 30,
    chart_id: str | None = None,
) -> str:
    """Horizontal bars with interval whiskers and ``n`` printed per row.

    The axis runs from 0 to the smallest round maximum holding every interval (labelled),
    so small rates stay visible. Rows with ``n < min_n`` are pale and hatched; rows without
    a value or with ``n == 0`` say "no data". ``group`` values become sub-headings.
    """
    items = list(rows)
    if not items:
        return _empty("breakdown", title, "no data", chart_id)
    cid = _cid("breakdown", title, chart_id, (tuple(items), value_label, min_n))
    label_w = round(min(220.0, max(_tw(_fit(r.label, 32), 12) for r in items)) + 16)
    x0, x1 = label_w, _BW - 170
    xmax, ticks = _axis(_top([v for r in items if r.n > 0 for v in (r.value, r.high)]))

    def sx(v: float) -> float:
        return x0 + min(1.0, max(0.0, v / xmax)) * (x1 - x0)

    groups: dict[str, list[BarRow]] = {}
    for r in items:
        groups.setdefault(r.group, []).append(r)
    top, y = 8, 8
    body: list[str] = []
    thin_count = 0
    for name, members in groups.items():
        if name:
            body.append(f'<text x="8" y="{y + 15}" font-weight="700">{_label(name, 60)}</text>')
            y += _BROW
        for r in members:
            v = _finite(r.value)
            no_data = v is None or r.n <= 0
            thin = not no_data and r.n < min_n
            thin_count += thin
            stats = _stats(r.value, r.low, r.high, r.n)
            cls = ' class="thin"' if thin else (' class="no-data"' if no_data else "")
            g = [f"<g{cls}><title>{_esc(r.label)}: {_esc(stats)}{' (thin evidence)' if thin else ''}</title>"]
            g.append(f'<text x="{x0 - 8}" y="{y + 16}" text-anchor="end">{_label(r.label, 32)}</text>')
            if no_data or v is None:
                g.append(f'<text x="{x0 + 4}" y="{y + 16}" font-size="10" fill="{MUTED}">no data</text>')
            else:
                w = sx(v) - x0
                fill = pale(_BAR) if thin else _BAR
                g.append(f'<rect x="{x0}" y="{y + 5}" width="{_f(w)}" height="14" fill="{fill}"/>')
                if thin:
                    g.append(f'<rect x="{x0}" y="{y + 5}" width="{_f(w)}" height="14" fill="url(#{cid}-h)"/>')
                lo, hi = _finite(r.low), _finite(r.high)
                if lo is not None and hi is not None:
                    a, b = sx(lo), sx(hi)
                    dash = ' stroke-dasharray="3 2"' if thin else ""
                    g.append(
                        f'<line class="ci" x1="{_f(a)}" y1="{y + 12}" x2="{_f(b)}" y2="{y + 12}" stroke="{TEXT}" stroke-width="1.5"{dash}/>'
                        f'<path d="M{_f(a)} {y + 7}v10M{_f(b)} {y + 7}v10" stroke="{TEXT}"/>'
                    )
            g.append(f'<text x="{x1 + 10}" y="{y + 16}" font-size="11">{_esc(stats)}</text></g>')
            body.append(_link(r.href, "".join(g)))
            y += _BROW
    bottom = y + 2
    grid = "".join(f"M{_f(sx(t))} {top}V{bottom}" for t in ticks[1:])
    out = [f"<defs>{_hatch_def(cid)}</defs>" if thin_count else ""]
    out.append(f'<path d="{grid}" stroke="{_GRID}"/><path d="M{x0} {top}V{bottom}" stroke="{_AXIS}"/>')
    out.extend(body)
    out.append('<g font-size="10" text-anchor="middle">')
    out.extend(f'<text x="{_f(sx(t))}" y="{bottom + 13}">{_tick(t)}</text>' for t in ticks)
    out.append(f'</g><text x="{_f((x0 + x1) / 2)}" y="{bottom + 30}" text-anchor="middle" font-size="11">{_label(value_label, 60)}</text>')
    height = bottom + 40
    desc = (
        f"{len(items)} bars of {value_label} with 95% intervals and n; {thin_count} rest on fewer than {min_n} responses ({_HATCH_NOTE})."
    )
    return _svg("breakdown", cid, _BW, height, title, desc, "".join(out))


# --------------------------------------------------------------------------- grades

_GW, _GH, _GPER = 108, 54, 6


def grade_strip(
    grades: Sequence[tuple[str, str | None, int]],
    *,
    title: str,
    names: Mapping[str, str] | None = None,
    chart_id: str | None = None,
) -> str:
    """Hazard -> AILuminate grade (Poor ... Excellent, or ``None``: not gradable) with n.

    One tile per hazard, six to a row, in the given order; the grade word is printed on a
    colour from the value ramp (Poor red ... Excellent blue), so colour is never the only cue.
    ``n == 0`` reads "no data"; a ``None`` grade with responses reads "not gradable".
    """
    items = list(grades)
    if not items:
        return _empty("grades", title, "no data", chart_id)
    cid = _cid("grades", title, chart_id, (tuple(items), tuple(sorted((names or {}).items()))))
    nm = names or {}
    per = min(len(items), _GPER)
    width = max(per * _GW + 8, 240)
    out = ['<g text-anchor="middle">']
    counts: dict[str, int] = {}
    for k, (hazard, grade, n) in enumerate(items):
        x, y = 4 + (k % _GPER) * _GW, 4 + (k // _GPER) * _GH
        label = str(nm.get(hazard, hazard))
        shown = grade if (grade and n > 0) else ("no data" if n <= 0 else "not gradable")
        counts[shown] = counts.get(shown, 0) + 1
        fill = GRADE_COLOURS.get(grade, "#ffffff") if (grade and n > 0) else NO_DATA
        cx = x + _GW // 2 - 2
        size = ' font-size="10"' if shown == "not gradable" else ""
        out.append(
            f"<g><title>{_esc(label)}: {_esc(shown)}, {_n(max(n, 0))}</title>"
            f'<rect x="{x}" y="{y}" width="{_GW - 4}" height="{_GH - 4}" rx="3" fill="{fill}" stroke="{_AXIS}" stroke-width=".5"/>'
            f'<text x="{cx}" y="{y + 14}" font-size="10">{_label(label, 17)}</text>'
            f'<text x="{cx}" y="{y + 31}" font-weight="700"{size}>{_esc(_fit(shown, 14))}</text>'
            f'<text x="{cx}" y="{y + 44}" font-size="9">{_n(max(n, 0))}</text></g>'
        )
    out.append("</g>")
    height = 8 + ((len(items) - 1) // _GPER + 1) * _GH
    desc = f"{len(items)} hazards: " + ", ".join(f"{v} {k}" for k, v in counts.items()) + "."
    return _svg("grades", cid, width, height, title, desc, "".join(out))


# --------------------------------------------------------------------------- timeline

_LW, _LL, _LR, _LT, _LPH = 640, 50, 16, 14, 200


def _stamp(when: date | datetime) -> float:
    """Seconds since the epoch; naive times and bare dates are taken as UTC."""
    if isinstance(when, datetime):
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
    return datetime(when.year, when.month, when.day, tzinfo=UTC).timestamp()


_FLAG = "#b42318"  # 6.5:1 on white


def _band(valued: Sequence[tuple[TimePoint, float | None]], sx: Any, sy: Any, colour: str) -> str:
    """The 95% interval of one line as a shaded polygon through its points' bounds."""
    pts = [(sx(_stamp(p.date)), _finite(p.low), _finite(p.high)) for p, v in valued if v is not None and p.n > 0]
    pts = [(x, lo, hi) for x, lo, hi in pts if lo is not None and hi is not None]
    if len(pts) < 2:
        return ""
    upper = " ".join(f"{_f(x)},{_f(sy(hi))}" for x, _lo, hi in pts)
    lower = " ".join(f"{_f(x)},{_f(sy(lo))}" for x, lo, _hi in reversed(pts))
    return f'<polygon class="band" points="{upper} {lower}" fill="{colour}" fill-opacity=".14" stroke="none"/>'


def _version_marks(lines: Sequence[tuple[str, Sequence[TimePoint]]], sx: Any, bottom: float) -> str:
    """A dashed vertical line, named at the top, wherever a line's version label changes (each
    (date, label) once, however many lines share it); the first version is named without a line."""
    seen: set[tuple[str, str, bool]] = set()
    out: list[str] = []
    for _name, pts in lines:
        prev = ""
        for p in pts:
            if not p.label:
                continue
            x = sx(_stamp(p.date))
            key = (_f(x), p.label, bool(prev))
            if p.label != prev and key not in seen:
                seen.add(key)
                tip = f"version {p.label} from {p.date.isoformat()}"
                line = "" if not prev else f'<path d="M{_f(x)} {_LT}V{_f(bottom)}" stroke="{MUTED}" stroke-dasharray="4 3"/>'
                out.append(
                    f'<g class="version-mark"><title>{_esc(tip)}</title>{line}'
                    f'<text x="{_f(x + 3)}" y="{_LT + 9}" font-size="9" fill="{MUTED}">{_label(p.label, 18)}</text></g>'
                )
            prev = p.label
    return "".join(out)


def _marker(shape: str, x: float, y: float, fill: str, stroke: str) -> str:
    common = f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"'
    if shape == "square":
        return f'<rect x="{_f(x - 4.5)}" y="{_f(y - 4.5)}" width="9" height="9" {common}/>'
    if shape == "diamond":
        return f'<path d="M{_f(x)} {_f(y - 6)}l6 6-6 6-6-6z" {common}/>'
    if shape == "circle":
        return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="5" {common}/>'
    return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="3" {common}/>'


def timeline_chart(
    series: Mapping[str, Sequence[TimePoint]],
    *,
    title: str,
    value_label: str,
    min_n: int = 30,
    chart_id: str | None = None,
    bands: bool = False,
) -> str:
    """Values over dates, one line per target, interval whiskers, decision as marker shape.

    Dates are placed on a true time scale (naive times as UTC). Each target keeps one colour
    (and a dash pattern after the fifth); the marker's shape is the run's decision (circle
    allowed, square blocked, diamond insufficient evidence, dot none). Points with ``n <
    min_n`` are hollow. Runs without a value are a grey cross on the axis ("no data").

    With ``bands`` each line also carries its 95% interval as a shaded band. Points with a
    ``label`` (a version) get a dashed vertical line, named at the top, where the label differs
    from the previous point's; a point with a ``flag`` gets a red triangle above it.
    """
    lines = [(name, sorted(pts, key=lambda p: _stamp(p.date))) for name, pts in series.items() if pts]
    if not lines:
        return _empty("timeline", title, "no data", chart_id)
    payload: tuple[object, ...] = (tuple((k, tuple(v)) for k, v in lines), value_label, min_n)
    cid = _cid("timeline", title, chart_id, (*payload, bands) if bands else payload)
    stamps = [_stamp(p.date) for _, pts in lines for p in pts]
    t0, t1 = min(stamps), max(stamps)
    pw = _LW - _LL - _LR
    bottom = _LT + _LPH
    ymax, yticks = _axis(_top([v for _, pts in lines for p in pts if p.n > 0 for v in (p.value, p.high)]))

    def sx(t: float) -> float:
        return _LL + pw / 2 if t1 == t0 else _LL + 36 + (t - t0) / (t1 - t0) * (pw - 72)

    def sy(v: float) -> float:
        return bottom - min(1.0, max(0.0, v / ymax)) * _LPH

    grid = "".join(f"M{_LL} {_f(sy(t))}H{_LL + pw}" for t in yticks[1:])
    out = [f'<path d="{grid}" stroke="{_GRID}"/><path d="M{_LL} {_LT}V{bottom}H{_LL + pw}" fill="none" stroke="{_AXIS}"/>']
    out.append('<g font-size="10" text-anchor="end">')
    out.extend(f'<text x="{_LL - 5}" y="{_f(sy(t) + 3)}">{_tick(t)}</text>' for t in yticks)
    out.append('</g><g font-size="10" text-anchor="middle">')
    days: dict[str, float] = {}
    for s in sorted(stamps):
        days.setdefault(datetime.fromtimestamp(s, UTC).date().isoformat(), sx(s))
    labelled: list[tuple[str, float]] = []
    for day, x in days.items():
        if not labelled or x - labelled[-1][1] >= 70:
            labelled.append((day, x))
    last = list(days.items())[-1]
    if labelled[-1] != last:
        if last[1] - labelled[-1][1] < 70 and len(labelled) > 1:
            labelled.pop()
        labelled.append(last)
    out.extend(f'<text x="{_f(x)}" y="{bottom + 14}">{day}</text>' for day, x in labelled)
    out.append("</g>")
    out.append(
        f'<text transform="translate(12 {_LT + _LPH // 2}) rotate(-90)" text-anchor="middle" font-size="11">{_label(value_label, 36)}</text>'
    )
    out.append(_version_marks(lines, sx, bottom))
    decisions: dict[str, str] = {}
    for si, (name, pts) in enumerate(lines):
        colour = SERIES_COLOURS[si % len(SERIES_COLOURS)]
        dash = _DASHES[(si // len(SERIES_COLOURS)) % len(_DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        valued = [(p, _finite(p.value)) for p in pts]
        coords = [(sx(_stamp(p.date)), sy(v)) for p, v in valued if v is not None and p.n > 0]
        g = ['<g class="series">']
        if bands:
            g.append(_band(valued, sx, sy, colour))
        if len(coords) > 1:
            pl = " ".join(f"{_f(x)},{_f(y)}" for x, y in coords)
            g.append(f'<polyline points="{pl}" fill="none" stroke="{colour}" stroke-width="1.5"{dash_attr}/>')
        for p, v in valued:
            x = sx(_stamp(p.date))
            when = p.date.isoformat()
            decision = p.decision or "no decision"
            version = f" ({p.label})" if p.label else ""
            flag = f"; {p.flag}" if p.flag else ""
            tip = f"{name}, {when}{version}: {_stats(p.value, p.low, p.high, p.n)}; {decision}{flag}"
            if v is None or p.n <= 0:
                g.append(
                    f'<g class="no-data"><title>{_esc(tip)}</title><path d="M{_f(x - 4)} {bottom - 4}l8 8m0-8-8 8" stroke="{_AXIS}" stroke-width="1.5"/></g>'
                )
                continue
            y = sy(v)
            shape = DECISION_SHAPES.get(p.decision or "", "dot")
            decisions.setdefault(decision, shape)
            thin = p.n < min_n
            pt = [f'<g class="point{" thin" if thin else ""}"><title>{_esc(tip)}</title>']
            lo, hi = _finite(p.low), _finite(p.high)
            if lo is not None and hi is not None:
                pt.append(f'<line class="ci" x1="{_f(x)}" y1="{_f(sy(lo))}" x2="{_f(x)}" y2="{_f(sy(hi))}" stroke="{colour}"/>')
            pt.append(_marker(shape, x, y, "#fff" if thin else colour, colour))
            if p.flag:
                pt.append(f'<path class="flag" d="M{_f(x)} {_f(y - 16)}l5 8h-10z" fill="{_FLAG}"/>')
            pt.append("</g>")
            g.append("".join(pt))
        g.append("</g>")
        out.append("".join(g))
    # legend: targets (two per row), then the decision shapes used
    ly = bottom + 36
    legend = ['<g class="legend" font-size="11">']
    for si, (name, _) in enumerate(lines):
        colour = SERIES_COLOURS[si % len(SERIES_COLOURS)]
        dash = _DASHES[(si // len(SERIES_COLOURS)) % len(_DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        x, y = 8 + (si % 2) * 310, ly + (si // 2) * 18
        legend.append(
            f'<path d="M{x} {y - 4}h22" stroke="{colour}" stroke-width="2"{dash_attr}/><text x="{x + 28}" y="{y}">{_label(name, 44)}</text>'
        )
    y = ly + ((len(lines) - 1) // 2 + 1) * 18 + 4
    x = 8.0
    for decision, shape in decisions.items():
        legend.append(_marker(shape, x + 6, y - 4, TEXT, TEXT) + f'<text x="{_f(x + 16)}" y="{y}">{_esc(_fit(decision, 30))}</text>')
        x += 28 + _tw(_fit(decision, 30), 11)
    legend.append("</g>")
    height = y + 10
    n_points = len(stamps)
    desc = f"{len(lines)} targets, {n_points} runs from {datetime.fromtimestamp(t0, UTC).date()} to {datetime.fromtimestamp(t1, UTC).date()}: {value_label} with 95% intervals; marker shape is the decision."
    return _svg("timeline", cid, _LW, height, title, desc, "".join(out) + "".join(legend))
