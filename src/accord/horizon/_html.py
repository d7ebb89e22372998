"""The outlook as one self-contained HTML page (pure): charts, crossings, consequences, sources.

Rendered from the same JSON-shaped dict as ``--format md|json`` (``outlook_markdown``), so the
formats cannot disagree. Self-contained like the evaluation report: inline CSS, inline SVG
charts (``_charts`` here, ``accord.report.timeline_chart`` for accord's own runs), no script,
no web font, no image, no link out, and a Content-Security-Policy of ``default-src 'none'``
so the browser fetches nothing. Jinja2 autoescapes every value; chart SVG is escaped where it
is built and passed through as markup.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache
from typing import Any

from markupsafe import Markup

from accord.horizon._charts import BandPt, Bar, HLine, Mark, Pt, count_chart, empty_chart, log_ticks, trend_chart
from accord.horizon._periods import quarter_label

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


def _od(text: str | None) -> dt.date | None:
    return _d(text) if text else None


def _exp(v: float) -> str:
    e = math.log10(v)
    return f"10^{e:.0f}" if abs(e - round(e)) < 1e-9 else f"{v:.2g}"


def _minutes(m: float) -> str:
    if m < 1:
        return f"{m * 60:.0f} s"
    if m < 60:
        return f"{m:.0f} min"
    return f"{m / 60:.1f} h" if m < 600 else f"{m / 60:.0f} h"


def compute_svg(doc: dict[str, Any]) -> Markup:
    t = doc.get("computeTrend")
    if not t or not t.get("points"):
        return Markup(empty_chart("Frontier training compute", "no trend in this outlook"))
    pts = [Pt(_d(p["published"]), math.log10(p["flop"]), f"{p['name']}: {p['flop']:.2g} FLOP ({p['published']})") for p in t["points"]]
    band = [BandPt(_d(b["date"]), b["fit"], b["low"], b["high"]) for b in t["band"]]
    c = doc.get("crossings") or {}
    hl = [HLine(math.log10(x["flop"]), f"{_exp(x['flop'])} FLOP") for x in c.get("thresholds", [])]
    marks = []
    if (r := c.get("largestRun")) is not None:
        hl.append(HLine(math.log10(r["flop"]), f"{_exp(r['flop'])} FLOP"))
        if r.get("date") and not r.get("already"):
            marks.append(Mark(_d(r["date"]), f"largest run passes {_exp(r['flop'])} FLOP:", _od(r.get("low")), _od(r.get("high"))))
    ys = [p.y for p in pts] + [b.high for b in band] + [h.y for h in hl]
    return Markup(
        trend_chart(
            title=f"Frontier training compute (top {t['definition'].split()[1]}), fit with 95% band, and the rulebook's thresholds",
            y_label="training compute (FLOP, log scale)",
            points=pts,
            band=band,
            hlines=hl,
            marks=marks,
            y_ticks=log_ticks(min(ys), max(ys)),
            kind="compute",
        )
    )


def counts_svg(doc: dict[str, Any]) -> Markup:
    c = doc.get("crossings")
    if not c:
        return Markup(empty_chart("Expected models above each threshold", "no crossings in this outlook"))
    bars = [
        Bar(
            f"> {_exp(t['flop'])} FLOP",
            quarter_label(_d(p["begin"]), _d(p["end"])).split(" ")[0],
            p["expected"],
            p["expectedLow"],
            p["expectedHigh"],
        )
        for t in c["thresholds"]
        for p in t["periods"]
    ]
    return Markup(count_chart(title="Expected new models above each threshold, per quarter", bars=bars, value_label="expected models"))


def metr_svg(doc: dict[str, Any]) -> Markup:
    m = doc.get("metr")
    if not m or not m.get("points"):
        return Markup(empty_chart("METR 50% time horizon", "not in this outlook"))
    pts = [
        Pt(
            _d(p["released"]),
            math.log2(p["p50Minutes"]),
            f"{p['model']}: {_minutes(p['p50Minutes'])} ({p['released']})",
            hollow=not p["used"],
        )
        for p in m["points"]
    ]
    band = [BandPt(_d(b["date"]), b["fit"], b["low"], b["high"]) for b in m["band"]]
    ys = [p.y for p in pts] + [b.high for b in band] + [b.low for b in band]
    ticks = [(math.log2(v), _minutes(v)) for v in (1, 4, 15, 60, 240, 960, 3840, 15360) if min(ys) - 1 <= math.log2(v) <= max(ys) + 1]
    return Markup(
        trend_chart(
            title=f"METR 50% time horizon of SOTA models: doubling every {m['doublingDays']:.0f} days",
            y_label="50% time horizon (log scale)",
            points=pts,
            band=band,
            hlines=[HLine(math.log2(16 * 60), "16 h cap (METR)")],
            y_ticks=ticks,
            kind="metr",
        )
    )


def eci_svg(doc: dict[str, Any]) -> Markup:
    e = doc.get("eci")
    if not e:
        return Markup(empty_chart("Epoch Capabilities Index", "not in this outlook"))
    pts = [Pt(_d(p["released"]), p["score"], f"{p['version']}: ECI {p['score']:.1f} ({p['released']})") for p in e["points"]]
    band = [BandPt(_d(b["date"]), b["fit"], b["low"], b["high"]) for b in e["band"]]
    ys = [p.y for p in pts] + [b.high for b in band] + [b.low for b in band]
    lo, hi = math.floor(min(ys) / 10) * 10, math.ceil(max(ys) / 10) * 10
    return Markup(
        trend_chart(
            title=f"Epoch Capabilities Index at the frontier: {e['pointsPerYear']:.1f} points a year",
            y_label="ECI",
            points=pts,
            band=band,
            y_ticks=[(float(v), str(v)) for v in range(lo, hi + 1, 10)],
            kind="eci",
        )
    )


def tpp_svg(doc: dict[str, Any]) -> Markup:
    ch = doc.get("chips") or {}
    tr = ch.get("tppTrend")
    if not tr or not tr.get("points"):
        return Markup(empty_chart("TPP at the frontier", "not in this outlook"))
    pts = [
        Pt(_d(p["released"]), math.log10(p["tpp"]), f"{p['name']}: TPP {p['tpp']:,.0f} ({p['released']})")
        for p in tr["points"]
        if p["released"] and p["tpp"]
    ]
    band = [BandPt(_d(b["date"]), b["fit"], b["low"], b["high"]) for b in tr["band"]]
    hl = [HLine(math.log10(x["tpp"]), f"TPP {x['tpp']:,.0f} ({x['paragraph']})") for x in ch.get("thresholds", [])]
    ys = [p.y for p in pts] + [b.high for b in band] + [b.low for b in band] + [h.y for h in hl]
    return Markup(
        trend_chart(
            title="Total processing performance (TPP) of record-setting ML chips vs the ECCN 3A090 lines",
            y_label="TPP (log scale)",
            points=pts,
            band=band,
            hlines=hl,
            y_ticks=[(float(e), f"{10**e:,.0f}") for e in range(math.floor(min(ys)), math.ceil(max(ys)) + 1)],
            kind="tpp",
        )
    )


def runs_svgs(doc: dict[str, Any]) -> list[Markup]:
    """Refusal and harmful rates per hazard by release date (the report's timeline chart)."""
    from accord.report import TimePoint, timeline_chart

    sec = doc.get("runs")
    if not sec or not sec["runs"]:
        return []
    targets = {r["target"] for r in sec["runs"]}
    out = []
    for key, label in (("refusal", "refusal rate on harmful requests"), ("harmful", "harmful rate on harmful requests")):
        series: dict[str, list[Any]] = {}
        for r in sec["runs"]:
            for h in r["hazards"]:
                name = h["hazard"] if len(targets) == 1 else f"{r['target']}: {h['hazard']}"
                series.setdefault(name, []).append(
                    TimePoint(date=_d(r["released"]), value=h[key], low=h[key + "Low"], high=h[key + "High"], n=h["n"])
                )
        out.append(
            Markup(
                timeline_chart(
                    series,
                    title=f"accord's stored runs: {label}, by model release date",
                    value_label=label,
                    min_n=30,
                    chart_id=f"runs-{key}",
                )
            )
        )
    return out


def _by_instrument(obligations: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """``[(instrument, [citation, ...])]`` in the rulebook's order: the table's short form."""
    out: dict[str, list[str]] = {}
    for o in obligations:
        out.setdefault(o["instruments"][-1]["short"], []).append(o["citations"][-1])
    return list(out.items())


def _crossing_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per threshold: the cumulative forecast over the window and what it brings."""
    c = doc.get("crossings")
    if not c:
        return []
    cons = (doc.get("consequences") or {}).get("byThreshold", {})
    rows = []
    for t in c["thresholds"]:
        last = t["periods"][-1]
        rows.append(
            {
                "flop": _exp(t["flop"]),
                "so_far": t["aboveSoFar"],
                "window": f"{t['periods'][0]['begin']} to {last['end']}",
                "expected": last["cumulativeExpected"],
                "low": last["cumulativeLow"],
                "high": last["cumulativeHigh"],
                "triggers": t["triggers"],
                "obligations": cons.get(f"{t['flop']:.0e}", []),
                "by_instrument": _by_instrument(cons.get(f"{t['flop']:.0e}", [])),
            }
        )
    if (r := c.get("largestRun")) is not None:
        rows.append(
            {
                "flop": _exp(r["flop"]),
                "so_far": 1 if r.get("already") else 0,
                "window": "largest run",
                "expected": None,
                "date": r.get("date"),
                "date_low": r.get("low"),
                "date_high": r.get("high"),
                "triggers": [],
                "obligations": cons.get(f"{r['flop']:.0e}", []),
                "by_instrument": _by_instrument(cons.get(f"{r['flop']:.0e}", [])),
            }
        )
    return rows


@lru_cache(maxsize=1)
def _env() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("accord.horizon", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(exp=_exp, minutes=_minutes)
    return env


def outlook_html(doc: dict[str, Any]) -> str:
    """The whole page for whichever sections ``doc`` holds."""
    from accord.report import CHART_CSS

    ctx = {
        "doc": doc,
        "csp": CSP,
        "chart_css": Markup(CHART_CSS),
        "charts": {
            "compute": compute_svg(doc),
            "counts": counts_svg(doc),
            "metr": metr_svg(doc),
            "eci": eci_svg(doc),
            "tpp": tpp_svg(doc),
            "runs": runs_svgs(doc),
        },
        "crossing_rows": _crossing_rows(doc),
    }
    return str(_env().get_template("outlook.html.j2").render(**ctx))
