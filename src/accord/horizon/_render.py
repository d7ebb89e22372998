"""The outlook as Markdown, from the JSON-shaped dict the pipeline assembles (pure).

One renderer over one dict, so ``--format md`` and ``--format json`` cannot disagree.
"""

from __future__ import annotations

import math
from typing import Any


def _flop(v: float) -> str:
    e = math.log10(v)
    return f"10^{e:.0f}" if abs(e - round(e)) < 1e-9 else f"{v:.2g}"


def _x(v: float) -> str:
    return f"x{v:.2f}"


def outlook_markdown(doc: dict[str, Any]) -> str:
    """Sections for whichever parts ``doc`` holds (trend, crossings, metr, chips, backtests, quality)."""
    out = [f"# Horizon outlook (as of {doc.get('asOf')})", ""]
    if t := doc.get("computeTrend"):
        pct = round(100 * t["level"])
        out += [
            "## Frontier training compute",
            "",
            f"Frontier: {t['definition']} ({t['frontierModels']} models).",
            f"Growth {_x(t['growthPerYear'])} per year ({pct}% interval {_x(t['growthLow'])}–{_x(t['growthHigh'])}), "
            f"doubling every {t['doublingMonths']:.1f} months. "
            f"Epoch's published figure: x{t['epochPublished']['low']:g}–{t['epochPublished']['high']:g} per year "
            f"({t['epochPublished']['source']}).",
            "",
        ]
    if c := doc.get("crossings"):
        pct = round(100 * c["level"])
        out += [
            "## Threshold crossings",
            "",
            f"Models with a compute estimate arrive at {c['ratePerYear']:.1f} a year (last {c['rateYears']:g} years); "
            f"the trend and residuals come from {c['modelsInFit']} models of the last {c['fitYears']:g} years. "
            f"Intervals are {pct}%: 'expected' is the mean number, 'count' the prediction interval of what will be observed.",
            "",
        ]
        cons = (doc.get("consequences") or {}).get("byThreshold", {})
        for t in c["thresholds"]:
            binds = "; ".join(f"{x['name']} ({x['status']})" for x in t["triggers"]) or "—"
            last = t["periods"][-1]
            rules = cons.get(f"{t['flop']:.0e}", [])
            out += [
                f"### Above {_flop(t['flop'])} FLOP ({t['aboveSoFar']} so far)",
                "",
                f"Thresholds in compute.yaml: {binds}.",
                "",
            ]
            if rules:
                out += [
                    f"Consequence: {len(rules)} obligations of the rulebook bind on each of up to {last['cumulativeExpected']:.1f} more models "
                    f"({last['cumulativeLow']}–{last['cumulativeHigh']}) by {last['end']}, where their other conditions hold:",
                    "",
                ]
                out += [
                    f"- {r['instruments'][-1]['short']}, {'; '.join(r['citations'])}: {r['title']} "
                    f"(duty: {r['dutyHolder']}; confidence {r['conf']}{'' if r['inForce'] else '; NO LONGER IN FORCE'})"
                    for r in rules
                ]
                out.append("")
            out += [
                "| period | expected | interval | count | cumulative new | cumulative count |",
                "|---|---:|---:|---:|---:|---:|",
            ]
            for p in t["periods"]:
                out.append(
                    f"| {p['begin']}..{p['end']} | {p['expected']:.1f} | {p['expectedLow']:.1f}–{p['expectedHigh']:.1f} | "
                    f"{p['predictedLow']}–{p['predictedHigh']} | {p['cumulativeExpected']:.1f} | "
                    f"{p['cumulativeLow']}–{p['cumulativeHigh']} |"
                )
            out.append("")
        if (r := c.get("largestRun")) is not None:
            if r["already"]:
                out += [f"The largest run is already above {_flop(r['flop'])}: {r['already']}.", ""]
            else:
                out += [
                    f"The largest run crosses {_flop(r['flop'])} FLOP around {r['date'] or 'never on this trend'} "
                    f"({pct}% interval {r['low'] or '—'} to {r['high'] or 'beyond the trend'}; record line "
                    f"{_x(r['recordGrowthPerYear'])} per year).",
                    "",
                ]
    if m := doc.get("metr"):
        pct = round(100 * m["level"])
        pub = m["metrPublished"]
        out += [
            "## METR time horizons",
            "",
            f"50% horizon doubles every {m['doublingDays']:.0f} days ({pct}% interval {m['low']:.0f}–{m['high']:.0f}) "
            f"over {len(m['models'])} SOTA models since {m['since']} ({m['method']}). "
            f"METR's published figure: {pub['days']:g} days ({pub['source']}).",
            "",
        ]
    for b in doc.get("metrBacktests", []):
        if b.get("skipped"):
            out += [f"## METR backtest from {b['asOf']}", "", f"Not scored: {b['skipped']}.", ""]
            continue
        pct = round(100 * b["level"])
        out += [
            f"## METR backtest from {b['asOf']}",
            "",
            f"Doubling time fitted before {b['asOf']}: {b['doublingDaysBefore']:.0f} days ({pct}% interval {b['lowBefore']:.0f}–{b['highBefore']:.0f}) "
            f"over {len(b['modelsBefore'])} SOTA models; with all models: {b['doublingDaysAll']:.0f} days. Scored on {b['scored']} later SOTA models: "
            f"coverage of the {pct}% prediction intervals {b['coverage']:.0%}, mean absolute error {b['meanAbsErrorDoublings']:.2f} doublings.",
            "",
            "| model | released | predicted p50 (min) | interval | observed | covered |",
            "|---|---|---:|---:|---:|---|",
        ]
        out += [
            f"| {m['model']} | {m['released']} | {m['predictedMinutes']:.1f} | {m['low']:.1f}–{m['high']:.1f} | {m['observedMinutes']:.1f} | {'yes' if m['covered'] else 'NO'} |"
            for m in b["models"]
        ]
        out.append("")
    if e := doc.get("eci"):
        pct = round(100 * e["level"])
        out += [
            "## Epoch Capabilities Index",
            "",
            f"At the frontier ECI rises {e['pointsPerYear']:.1f} points a year ({pct}% interval {e['low']:.1f}–{e['high']:.1f}) "
            f"over {e['frontierVersions']} record-setting versions of {e['versions']} scored ({e['definition']}). "
            f"Latest record: {e['latest']['version']}, {e['latest']['score']:.1f} ({e['latest']['released']}).",
            "",
        ]
    if ch := doc.get("chips"):
        out += [
            "## Export controls (ECCN 3A090)",
            "",
            f"{ch['classified']} chips with a TPP; {ch['controlled']} meet 3A090.a ({ch['datacenterAssumption']}).",
            "",
        ]
        if tr := ch.get("tppTrend"):
            out += [
                f"TPP at the frontier grows {_x(tr['growthPerYear'])} per year ({_x(tr['growthLow'])}–{_x(tr['growthHigh'])}) "
                f"over {tr['chips']} record-setting ML chips.",
                "",
            ]
        out += ["| chip | released | TPP | PD | 3A090 |", "|---|---|---:|---:|---|"]
        for r in ch["rows"]:
            pd = f"{r['pd']:.2f}" if r["pd"] is not None else "—"
            paras = ", ".join(p.split(":")[0] for p in r["paragraphs"]) or "not controlled"
            out.append(f"| {r['name']} | {r['released'] or '—'} | {r['tpp']:,.0f} | {pd} | {paras} |")
        out.append("")
    for b in doc.get("backtests", []):
        pct = round(100 * b["level"])
        out += [
            f"## Backtest from {b['asOf']} ({b['months']:.0f} months, to {b['dataEnd']})",
            "",
            f"Coverage of the {pct}% intervals: {b['coverage']:.0%} of {b['scored']} scored counts; "
            f"mean absolute error of the expected count per quarter: {b['meanAbsErrorPerQuarter']:.2f}.",
            "",
            "| threshold | period | expected | interval | observed | covered |",
            "|---|---|---:|---:|---:|---|",
        ]
        for s in b["quarters"] + b["cumulative"]:
            out.append(
                f"| {_flop(s['flop'])} | {s['period']} | {s['expected']:.1f} | {s['low']}–{s['high']} | {s['observed']} | "
                f"{'yes' if s['covered'] else 'NO'} |"
            )
        out.append("")
    if (rs := doc.get("runs")) is not None:
        basis = ", ".join(f"{v} dated by {k}" for k, v in rs["releasedBasis"].items())
        out += [
            "## accord's own runs over time",
            "",
            f"{len(rs['runs'])} stored runs at their model's release date ({basis}); {rs['definition']}.",
            "",
            "| released (basis) | target | run | hazard | n items | refusal (95%) | harmful (95%) | unassessed responses |",
            "|---|---|---|---|---:|---:|---:|---:|",
        ]

        def rate(h: dict[str, Any], k: str) -> str:
            return "no data" if h[k] is None else f"{h[k]:.0%} ({h[k + 'Low']:.0%}–{h[k + 'High']:.0%})"

        for r in rs["runs"]:
            who = r["target"] + (f" ({r['version']})" if r["version"] else "")
            for h in r["hazards"]:
                out.append(
                    f"| {r['released']} ({r['releasedBasis']}) | {who} | {r['runId']} | {h['hazard']} | {h['n']} | {rate(h, 'refusal')} | "
                    f"{rate(h, 'harmful')} | {h['unassessedResponses']} |"
                )
        for sk in rs.get("skipped", []):
            out.append(f"\nSkipped run {sk['runId']}: {sk['why']}")
        out.append("")
    if q := doc.get("dataQuality"):
        out += ["## Data", "", "| file | rows | used | not used (why) |", "|---|---:|---:|---|"]
        for d in q:
            why = ", ".join(f"{k}: {v}" for k, v in d["dropped"].items()) or "—"
            out.append(f"| {d['source']} | {d['rows']} | {d['used']} | {why} |")
        out.append("")
    if s := doc.get("sources"):
        out += ["## Sources", ""] + [f"- {x}" for x in s] + [""]
    return "\n".join(out)
