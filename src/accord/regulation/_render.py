"""Markdown and JSON renderings of assessments and calculator results (pure: returns text)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from accord.regulation._assess import Assessment, Obligation
from accord.regulation._compute import ComputeEstimate, Crossing, TppResult
from accord.regulation._conditions import fmt

JURISDICTION_NAMES = {
    "eu": "European Union: AI Act",
    "cn": "China",
    "us": "United States",
    "labs": "Frontier-lab frameworks (informational, voluntary)",
}
_KIND = {"flag": "FLAG ", "info": "", "obligation": ""}
DISCLAIMER = (
    "Screening aid, not legal advice. Art 5 items are flags for legal review, not conclusions. "
    "Confidence tags: P primary text read; S secondary sources agree; M from memory; UNVERIFIED check before relying."
)


def _line(o: Obligation) -> list[str]:
    head = f"- {_KIND[o.kind]}**{o.citation}** ({o.instrument}) — {o.title}"
    out = [head, f"  - status: **{o.status.text}** · duty: {o.duty_holder} · confidence: `{o.conf}`"]
    if o.why:
        out.append("  - why: " + "; ".join(o.why))
    out.extend(f"  - note: {n}" for n in o.notes)
    return out


def assessment_markdown(a: Assessment) -> str:
    lines = [
        f"# Regulatory assessment: {a.system}",
        "",
        f"As of **{a.as_of.isoformat()}** (rules data {a.rules_version}). {DISCLAIMER}",
        "",
    ]
    c = a.compute
    lines.append(f"Training compute: **{fmt(c.flop) + ' FLOP' if c.flop else 'unknown'}** — {c.basis}.")
    if c.straddles:
        lines.append(
            "**Uncertain:** the estimate's range spans "
            + ", ".join(fmt(t) for t in c.straddles)
            + " FLOP; rules keyed to it use the central value. Give model.training_compute_flop to settle it."
        )
    lines.append("")
    for j in a.jurisdictions:
        lines.append(f"## {JURISDICTION_NAMES.get(j, j)}")
        lines.append("")
        cls = a.classification.get(j, [])
        if cls:
            lines.append("Classification: " + "; ".join(cls) + ".")
            lines.append("")
        obs = a.by_jurisdiction(j)
        if not obs:
            lines.append("No obligations triggered by this description.")
            lines.append("")
            continue
        for o in obs:
            lines.extend(_line(o))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def assessment_json(a: Assessment) -> str:
    doc = {"disclaimer": DISCLAIMER, **a.model_dump(mode="json")}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def estimate_dict(est: ComputeEstimate, crossings: list[Crossing]) -> dict[str, Any]:
    return {
        "method": est.method,
        "flop": {"low": est.low, "central": est.central, "high": est.high},
        "assumptions": list(est.assumptions),
        "thresholds": [
            {"flop": c.flop, "verdict": c.verdict, "triggers": [dict(t) for t in c.triggers]} for c in crossings
        ],
    }


def estimate_markdown(est: ComputeEstimate, crossings: list[Crossing]) -> str:
    lines = [
        f"Training compute ({est.method}): **{fmt(est.central)} FLOP** (range {fmt(est.low)} – {fmt(est.high)})",
        "",
        *(f"- {a}" for a in est.assumptions),
        "",
        "Thresholds (all 'greater than'):",
    ]
    for c in crossings:
        lines.append(f"- **{fmt(c.flop)}**: {c.verdict.upper()}")
        for t in c.triggers:
            lines.append(f"  - {t['name']} — {t['status']} (conf {t['conf']})")
    return "\n".join(lines) + "\n"


def tpp_dict(r: TppResult) -> dict[str, Any]:
    return asdict(r)


def tpp_markdown(r: TppResult, source: str) -> str:
    pd = f"{r.pd:.2f}" if r.pd is not None else "unknown (no die area)"
    lines = [
        f"{r.name}: TPP **{r.tpp:,.0f}** ({r.basis}); performance density **{pd}**",
        "",
        f"ECCN 3A090 ({source}):",
    ]
    if r.paragraphs:
        lines.extend(f"- {p}" for p in r.paragraphs)
    else:
        lines.append("- below the 3A090.a and .b thresholds")
    lines.extend(f"- not evaluated: {p}" for p in r.not_evaluated)
    lines.extend(f"- licence review: {p}" for p in r.review_policies)
    lines.extend(f"- note: {n}" for n in r.notes)
    return "\n".join(lines) + "\n"
