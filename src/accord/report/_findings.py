"""Key findings per target, in plain words, each linked to its evidence (pure: model in, text out).

A reader opening a report wants, per target, what blocks it, where the frameworks disagree,
where the evidence is insufficient and what would decide it. These are read off records the
report already holds (the deployment matrix, the floor and its judge-error effect, the
verdicts, divergence, the drill-down counts): nothing here decides anything, it only says
what ``accord.frameworks`` decided, in sentences, with a link to where the figures are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from accord.frameworks import DeploymentCell, DeploymentMatrix, RequirementResult
from accord.report._fmt import ci, pct
from accord.report._model import Finding, TargetFindings, TargetSection, section_id

MAX_FINDINGS = 5
MIN_FINDINGS = 3
_ORDER = {"blocked": 0, "insufficient evidence": 1, "allowed": 2}
_SEVERITY = {"high": 0, "medium": 1, "low": 2, "info": 3}


def worst_decision(decisions: Sequence[str]) -> str:
    """blocked > insufficient evidence > allowed (a target is only as deployable as its worst cell)."""
    return min(decisions, key=lambda d: _ORDER.get(d, 1)) if decisions else "insufficient evidence"


def _jname(c: DeploymentCell) -> str:
    return c.jurisdiction_name or c.jurisdiction


def _listing(names: Sequence[str], limit: int = 4) -> str:
    names = list(names)
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f" and {len(names) - limit} more"


def headline(cells: Sequence[DeploymentCell]) -> str:
    """The target's decisions across jurisdictions in one phrase."""
    by: dict[str, list[str]] = {}
    for c in cells:
        by.setdefault(c.decision, []).append(_jname(c))
    if len(by) == 1:
        d = next(iter(by))
        return {"blocked": "Blocked in every jurisdiction", "allowed": "Allowed in every jurisdiction"}.get(
            d, "Not decided in any jurisdiction: insufficient evidence"
        )
    parts = [f"{d} in {_listing(by[d])}" for d in ("blocked", "insufficient evidence", "allowed") if d in by]
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def _is_floor_reason(requirement_id: str) -> bool:
    return "floor" in requirement_id.lower()


def _floor_findings(t: TargetSection, names: Mapping[str, str]) -> list[Finding]:
    f = t.floor
    anchor = section_id(t.anchor, "floor")
    out: list[Finding] = []
    if f.status == "fail":
        hazards = sorted({h.hazard for h in f.per_hazard if h.violations})
        where = _listing([names.get(h, h) for h in hazards]) or "floor hazards"
        out.append(
            Finding(
                kind="blocks",
                severity="high",
                text=(
                    f"The universal floor failed: {f.violations} violating response(s) in {where} "
                    f"({f.confirmed} confirmed by review). A floor failure blocks deployment in every jurisdiction."
                ),
                anchor=anchor,
            )
        )
    elif f.status == "insufficient":
        short = [c for c in f.cells if c.status == "insufficient"]
        short.sort(key=lambda c: (-(c.needed - c.n), c.hazard, c.language))
        more = sum(max(0, c.needed - c.n) for c in short)
        cells = [f"{names.get(c.hazard, c.hazard)} ({c.language}): {c.n} of {c.needed} units" for c in short[:3]]
        extra = f" and {len(short) - 3} more cell(s)" if len(short) > 3 else ""
        decide = (
            f"about {more} more unit(s) across these cells, none violating, would let the floor pass"
            if more
            else "fewer unassessed or violating responses in these cells (each counts as a possible violation)"
        )
        out.append(
            Finding(
                kind="insufficient",
                severity="medium",
                text=(
                    f"Evidence is insufficient to pass the universal floor in {len(short)} hazard-language cell(s): "
                    + "; ".join(cells) + extra + "."
                ),
                anchor=anchor,
                decide=decide[0].upper() + decide[1:] + ".",
            )
        )
    return out


def _requirement_findings(t: TargetSection, cells: Sequence[DeploymentCell]) -> list[Finding]:
    """What blocks the target besides the floor, and what leaves it undecided, per requirement.

    A reason whose detail starts with "insufficient" is evidence missing (with what would
    decide it), even inside a cell the floor blocks anyway; any other reason of a blocked
    cell is a requirement that failed.
    """
    anchor = section_id(t.anchor, "verdicts")
    by_reason: dict[tuple[str, str, str], list[str]] = {}
    for c in cells:
        if c.decision == "allowed":
            continue
        for r in c.reasons:
            if _is_floor_reason(r.requirement_id):
                continue
            kind = "insufficient" if r.detail.lower().startswith("insufficient") or c.decision != "blocked" else "blocks"
            by_reason.setdefault((kind, r.requirement_id, r.detail), []).append(_jname(c))
    out: list[Finding] = []
    for kind in ("blocks", "insufficient"):
        found = [(req, detail, where) for (k, req, detail), where in by_reason.items() if k == kind]
        for req, detail, where in found[:2]:
            said = re.sub(r"^insufficient:\s*", "", detail).rstrip(".")
            if kind == "blocks":
                text = f"Blocked in {_listing(where)} by {req}: {said}."
                out.append(Finding(kind="blocks", severity="high", text=text, anchor=anchor))
            else:
                text = f"Not enough evidence for {req} in {_listing(where)}: {said}."
                out.append(Finding(kind="insufficient", severity="medium", text=text, anchor=anchor, decide=_decide_requirement(t, req)))
    return out


def _decide_requirement(t: TargetSection, requirement_id: str) -> str | None:
    for v in t.verdicts:
        for q in v.requirements:
            if q.requirement_id == requirement_id and q.status == "insufficient":
                if q.n < q.min_n:
                    return f"{q.min_n - q.n} more scored unit(s) for {requirement_id} (it needs at least {q.min_n}; it has {q.n})."
                return f"More scored units for {requirement_id}, so its 95% interval {ci(q.ci_low, q.ci_high)} falls on one side of the threshold."
    return None


def _disagreement(t: TargetSection, cells: Sequence[DeploymentCell]) -> list[Finding]:
    decisions = {c.decision for c in cells}
    d = t.divergence
    top = d.cells[0] if d.cells else None
    detail = (
        f" The packs disagree about {d.disagreeing} of {d.responses} responses; most often {top.accepted_by} accepts "
        f"what {top.rejected_by} rejects ({top.count})."
        if top
        else ""
    )
    if len(decisions) > 1:
        parts = [f"{dec} under {_listing([_jname(c) for c in cells if c.decision == dec])}" for dec in ("allowed", "insufficient evidence", "blocked") if dec in decisions]
        return [Finding(kind="frameworks-disagree", severity="medium", text="Frameworks disagree: " + "; ".join(parts) + "." + detail, anchor=section_id(t.anchor, "divergence"))]
    if top and d.disagreeing:
        return [Finding(kind="frameworks-disagree", severity="low", text=f"The frameworks reach the same decision, but apply differently to single responses.{detail}", anchor=section_id(t.anchor, "divergence"))]
    return []


def _uncorrected_status(q: RequirementResult) -> str:
    """The status the judge's own rate would give (``frameworks._engine._status`` on the
    uncorrected figures): compared with ``q.status``, decided on the corrected ones."""
    if q.threshold is None or q.threshold_op is None:
        return "reported"
    if q.n < q.min_n or q.value is None:
        return "insufficient"
    if q.decision_rule == "point":
        ok = q.value >= q.threshold if q.threshold_op == ">=" else q.value <= q.threshold
        return "pass" if ok else "fail"
    if q.threshold_op == ">=":
        return "pass" if q.ci_low >= q.threshold else ("fail" if q.ci_high < q.threshold else "insufficient")
    return "pass" if q.ci_high <= q.threshold else ("fail" if q.ci_low > q.threshold else "insufficient")


def _correction_flips(t: TargetSection) -> list[Finding]:
    """Requirements whose result the judge-error correction changes (first two)."""
    flips: list[str] = []
    for v in t.verdicts:
        for q in v.requirements:
            if q.corrected_value is None or q.status == "reported":
                continue
            raw = _uncorrected_status(q)
            if raw != q.status:
                flips.append(
                    f"{q.requirement_id} ({v.pack_id}): {raw} on the judge's labels ({pct(q.value)}), {q.status} once corrected "
                    f"for the judge's error ({pct(q.corrected_value)} {ci(q.corrected_low, q.corrected_high)})"
                )
    if not flips:
        return []
    more = f"; and {len(flips) - 2} more" if len(flips) > 2 else ""
    return [
        Finding(
            kind="judge-error",
            severity="medium",
            text="Correcting for the judge's measured error changes a result: " + "; ".join(flips[:2]) + more + ".",
            anchor=section_id(t.anchor, "verdicts"),
            decide="A judge validated with tighter error figures (for these labels and languages) would narrow the corrected interval.",
        )
    ]


def _judge_findings(t: TargetSection) -> list[Finding]:
    out: list[Finding] = _correction_flips(t)
    e = t.judge_error
    if e is None:
        return out
    anchor = section_id(t.anchor, "judge-error")
    if e.floor_status_perfect != e.floor_status:
        recall = f" (harmful recall at least {e.recall_lo:.3f})" if e.recall_lo is not None else ""
        out.append(
            Finding(
                kind="judge-error",
                severity="medium",
                text=f"The judge's measured error decides the floor: {e.floor_status_perfect} with a perfect judge, {e.floor_status} with the judge's error{recall}.",
                anchor=anchor,
                decide="A better-validated judge, or human labels on the floor items, would narrow the bound.",
            )
        )
    if e.not_validated:
        langs = ", ".join(f"{lang} ({r:.3f})" for lang, r in e.not_validated.items())
        out.append(
            Finding(
                kind="judge-error",
                severity="low",
                text=f"The judge is not validated for {langs}: the weakest validated harmful recall is used there, which widens those bounds.",
                anchor=anchor,
                decide="Validate the judge in these languages (accord judge validate).",
            )
        )
    return out


def _review_findings(t: TargetSection) -> list[Finding]:
    out: list[Finding] = []
    counts = t.drilldown.counts
    anchor = section_id(t.anchor, "items")
    review = counts.get("review", 0)
    if review:
        out.append(
            Finding(
                kind="review",
                severity="medium",
                text=f"{review} response(s) await human review; until decided, those on floor hazards count as possible floor violations.",
                anchor=anchor,
                decide=f"Decide them: accord judge review {t.run.run_id}.",
            )
        )
    ua = counts.get("unassessed", 0)
    if ua:
        reasons = t.judge_error.unassessed if t.judge_error else {}
        by = ", ".join(f"{k} {n}" for k, n in reasons.items() if k != "needs-review")
        out.append(
            Finding(
                kind="unassessed",
                severity="low",
                text=f"{ua} response(s) could not be assessed" + (f" ({by})" if by else "") + "; they are counted separately, never as safe or refused.",
                anchor=anchor,
            )
        )
    return out


def _evidence_finding(t: TargetSection, harmful: tuple[float | None, float | None, float | None, int], over: tuple[float | None, float | None, float | None, int]) -> Finding:
    hv, hl, hh, hn = harmful
    ov, ol, oh, on = over
    parts = [f"{t.run.n_labelled} labelled responses"]
    if hn:
        parts.append(f"harmful compliance {pct(hv)} {ci(hl, hh)} on {hn} harmful requests")
    if on:
        parts.append(f"over-refusal {pct(ov)} {ci(ol, oh)} on {on} benign look-alikes")
    return Finding(kind="evidence", severity="info", text="Evidence: " + "; ".join(parts) + ".", anchor=section_id(t.anchor, "charts"))


def _pick(found: Sequence[Finding], limit: int) -> list[Finding]:
    """Up to ``limit`` findings, one of each kind first (so a disagreement is not crowded out
    by a second insufficient requirement), then the rest by severity; shown most severe first."""
    order = sorted(range(len(found)), key=lambda i: (_SEVERITY[found[i].severity], i))
    chosen: list[int] = []
    kinds: set[str] = set()
    for i in order:
        if found[i].kind not in kinds and len(chosen) < limit:
            chosen.append(i)
            kinds.add(found[i].kind)
    for i in order:
        if i not in chosen and len(chosen) < limit:
            chosen.append(i)
    return [found[i] for i in sorted(chosen, key=lambda i: (_SEVERITY[found[i].severity], i))]


def target_findings(
    t: TargetSection,
    matrix: DeploymentMatrix,
    names: Mapping[str, str],
    harmful: tuple[float | None, float | None, float | None, int],
    over: tuple[float | None, float | None, float | None, int],
) -> TargetFindings:
    """Three to five findings for one target, most severe first.

    ``harmful`` and ``over`` are (value, low, high, n) of harmful compliance and over-refusal,
    used for the evidence line that fills the list up to three.
    """
    cells = [c for c in matrix.cells if c.target == t.target]
    found = [
        *_floor_findings(t, names),
        *_requirement_findings(t, cells),
        *_disagreement(t, cells),
        *_judge_findings(t),
        *_review_findings(t),
    ]
    found = _pick(found, MAX_FINDINGS)
    if len(found) < MAX_FINDINGS:
        found.append(_evidence_finding(t, harmful, over))
    if len(found) < MIN_FINDINGS and t.floor.status == "pass":
        found.append(
            Finding(
                kind="decision",
                severity="info",
                text=f"The universal floor passed: upper bound {pct(t.floor.ci_high, 2)} at most {pct(t.floor.bound, 2)} in every hazard and language.",
                anchor=section_id(t.anchor, "floor"),
            )
        )
    if len(found) < MIN_FINDINGS:
        p = t.provenance
        found.append(Finding(kind="evidence", severity="info", text=f"Judge: {p.judge_error} {p.completeness}", anchor=section_id(t.anchor, "provenance")))
    decision = worst_decision([c.decision for c in cells])
    return TargetFindings(target=t.target, anchor=t.anchor, headline=headline(cells), decision=decision, findings=found)
