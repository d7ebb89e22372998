"""Render ``ReportData`` as Markdown (and JSON): the same content as the HTML, as text.

Markdown suits a pull request, a ticket or a terminal. Every value that comes from data
(target names and specs, run, suite, pack, hazard and judge ids, titles, citations, reasons,
notes, versions) is written through ``md_cell`` (CommonMark-escaped text on one line) or
``md_code`` (a code span whose fence no backtick in the value can close), so no name can
close a code span, open a link, an image, emphasis or raw HTML, or break a table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from accord.frameworks import RequirementResult
from accord.report._fmt import (
    ci,
    descriptive_grade,
    floor_effect_text,
    grade_caveat,
    grade_text,
    is_descriptive,
    judge_recall_text,
    not_validated_text,
    pct,
    threshold,
    truncate,
    unassessed_text,
)
from accord.report._model import ItemRow, JudgeLabel, ReportData, TargetSection, section_id

# Inline markup can start at any of these: backslash-escape them wherever they appear
# (CommonMark: any ASCII punctuation may be backslash-escaped and then reads as itself).
# ``(`` and ``)`` start nothing once ``[`` and ``]`` are escaped (a link needs ``](``), so
# they stay as they are: a grade's "(floor failed ...)" reads the same raw and rendered.
_INLINE = frozenset("\\`*_{}[]#!|~")
# HTML's own three: as entities, so no tag, comment, autolink or entity can start.
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# At the start of a line these open a block (list, heading, quote, setext underline);
# inside a line they are plain text and stay readable (``model-b``, ``127.0.0.1``).
_LEADING_BLOCK = re.compile(r"^(\d{1,9})([.)])|^([-+=])")
_LINE_BREAKS = re.compile(r"[\s\x00-\x1f\x7f\u2028\u2029\x85]+")


def _one_line(value: object) -> str:
    return _LINE_BREAKS.sub(" ", str(value)).strip()


def md_cell(value: object) -> str:
    """``value`` as CommonMark text that renders as exactly that text, on one line.

    Safe in a table cell, a heading, a list item or a paragraph: newlines become spaces,
    inline punctuation is backslash-escaped, ``& < >`` become entities, and a leading
    list/heading/quote marker is escaped. ``[x](javascript:...)`` stays text.
    """
    text = _one_line(value)
    out = "".join("\\" + c if c in _INLINE else _ENTITIES.get(c, c) for c in text)
    return _LEADING_BLOCK.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else "\\" + m.group(3), out, count=1)


def md_text(value: object) -> str:
    """A paragraph of data as escaped text (one line: a paragraph cannot start a new block)."""
    return md_cell(value)


def md_code(value: object) -> str:
    """``value`` as a code span: the fence is one backtick longer than any backtick run in it.

    Nothing inside a code span is markup (no HTML, links or entities), so only the fence
    matters. Not for table cells (GFM splits cells at ``|`` even inside code): use ``md_cell``.
    """
    text = _one_line(value)
    if not text:
        return ""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text[0] == "`" or text[-1] == "`" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_UNIVERSAL = "universal"
_GROUPS = {"requests": "harmful/contested", "benign": "benign look-alikes"}


def _row(*cells: object) -> str:
    return "| " + " | ".join(md_cell(c) for c in cells) + " |"


def _table(header: list[str], rows: Sequence[Sequence[object]], right: set[int] | None = None) -> list[str]:
    right = right or set()
    rule = ["---:" if i in right else "---" for i in range(len(header))]
    return [_row(*header), "| " + " | ".join(rule) + " |", *(_row(*r) for r in rows), ""]


def _matrix(r: ReportData) -> list[str]:
    js = sorted(r.matrix.jurisdictions, key=lambda j: j != _UNIVERSAL)
    names = {p.jurisdiction: p.jurisdiction_name or p.jurisdiction for p in r.packs}
    floor_failed = {t.target for t in r.targets if t.floor.status == "fail"}
    rows = []
    for t in r.matrix.targets:
        row: list[object] = [t]
        for j in js:
            cells = [c for c in r.matrix.cells if c.target == t and c.jurisdiction == j]
            if not cells:
                row.append("—")
                continue
            c = cells[0]
            grade = grade_text(descriptive_grade(c.grades), c.decision, t in floor_failed)
            row.append(c.decision.upper() + (f" · {grade}" if grade else ""))
        rows.append(row)
    return [_anchor("deployment-matrix"), "## Deployment matrix", "", *_table(["Target", *(f"{names.get(j, j)} ({j})" for j in js)], rows)]


def _anchor(anchor: str) -> str:
    """An HTML anchor for a stable id. Ids are built from ``[a-z0-9-]`` only (``anchor_for``),
    so this is the one piece of raw HTML the Markdown carries; anything else is refused."""
    if not re.fullmatch(r"[a-z][a-z0-9-]*", anchor):
        raise ValueError(f"not a report anchor: {anchor!r}")
    return f'<a id="{anchor}"></a>'


def _link(text: str, anchor: str) -> str:
    """A link to an evidence section (``#anchor``), its text escaped."""
    if not re.fullmatch(r"[a-z][a-z0-9-]*", anchor):
        return md_cell(text)
    return f"[{md_cell(text)}](#{anchor})"


def _reasons(t: TargetSection, r: ReportData) -> list[str]:
    out = []
    for c in r.matrix.cells:
        if c.target != t.target or not c.reasons:
            continue
        out.append(f"- **{md_cell(c.jurisdiction_name or c.jurisdiction)}: {md_cell(c.decision)}**")
        for reason in c.reasons:
            out.append(f"  - {md_code(reason.requirement_id)} {md_cell(reason.detail)} — {md_cell(reason.cite)} \\[{md_cell(reason.conf)}\\]")
    return ["Reasons by jurisdiction (requirement ids and citations):", "", *out, ""] if out else []


KIND_WORD = {
    "decision": "Decision",
    "blocks": "Blocks",
    "frameworks-disagree": "Frameworks disagree",
    "insufficient": "Insufficient evidence",
    "judge-error": "Judge error",
    "review": "Needs review",
    "unassessed": "Unassessed",
    "evidence": "Evidence",
}


def _findings(r: ReportData) -> list[str]:
    out = [_anchor("findings"), "## Key findings", ""]
    for tf in r.findings:
        out += [f"### {md_cell(tf.target)}: {md_cell(tf.headline)}", ""]
        for f in tf.findings:
            line = f"- **{KIND_WORD.get(f.kind, f.kind)}** · {md_cell(f.text)} ({_link('evidence', f.anchor)})"
            if f.decide:
                line += f" What would decide it: {md_cell(f.decide)}"
            out.append(line)
        out.append("")
    return out


def _est(value: float | None, low: float | None, high: float | None, n: int, min_n: int) -> str:
    if not n or value is None:
        return "no data (n=0)"
    thin = f", thin evidence: n < {min_n}" if n < min_n else ""
    return f"{pct(value)} {ci(low, high)} (n={n}{thin})"


def _charts(r: ReportData) -> list[str]:
    c = r.charts
    names = r.hazard_names
    out = [_anchor("charts"), "## Charts (as tables)", "", f"### {md_cell(c.tradeoff_title)}", ""]
    out += _table(
        ["Target", "Over-refusal of benign requests", "Harmful compliance"],
        [[p.name, _est(p.x.value, p.x.low, p.x.high, p.x.n, c.min_n), _est(p.y.value, p.y.low, p.y.high, p.y.n, c.min_n)] for p in c.tradeoff],
    )
    if c.grid:
        cells = {(g.row, g.col): g for g in c.grid}
        rows = []
        for t in c.grid_rows:
            row: list[object] = [t]
            for h in c.grid_cols:
                g = cells.get((t, h))
                row.append("—" if g is None else (f"{pct(g.value, 0)} (n={g.n}{'†' if g.n < c.min_n else ''})" if g.n else "no data"))
            rows.append(row)
        out += [f"### {md_cell(c.grid_title)}", "", f"Value: {md_cell(c.grid_metric)}; † marks thin evidence (n < {c.min_n}).", ""]
        out += _table(["Target", *(names.get(h, h) for h in c.grid_cols)], rows)
    if c.timeline:
        out += [f"### {md_cell(c.timeline_title)}", ""]
        rows = [[name, f"{p.date:%Y-%m-%d}", _est(p.value, p.low, p.high, p.n, c.min_n), p.decision or "—"] for name, pts in c.timeline.items() for p in pts]
        out += _table(["Target", "Date", c.timeline_label or "value", "Decision"], rows)
    return out


def _contents(r: ReportData) -> list[str]:
    decision = {f.target: f.decision for f in r.findings}
    out = [_anchor("contents"), "## Contents", ""]
    out += [f"- {_link(t.target, t.anchor)} — {md_cell(decision.get(t.target, ''))}" for t in r.targets]
    out += [f"- {_link('The universal floor rule', 'floor-rule')}", f"- {_link('Judge', 'judge')}", f"- {_link('Rules', 'rules')}", f"- {_link('Packs applied', 'packs')}", f"- {_link('Runs', 'runs')}", f"- {_link('How to read this report', 'how-to-read')}", ""]
    return out


def _floor_rule(r: ReportData) -> list[str]:
    f = r.floor_rule
    return [
        _anchor("floor-rule"),
        "## The universal floor rule",
        "",
        f"{md_cell(f.rule[:1].upper() + f.rule[1:])}. Bound {pct(f.bound, 2)} at {f.confidence:.0%} confidence ({md_cell(f.interval)} interval), "
        f"counted in units ({md_cell(f.unit)}). Source: {md_cell(f.cite)} \\[{md_cell(f.conf)}\\]. "
        "Stated once here; each target below shows only its own figures.",
        "",
    ]


def _provenance(t: TargetSection) -> list[str]:
    m, p = t.run, t.provenance
    out = [
        _anchor(section_id(t.anchor, "run")),
        _anchor(section_id(t.anchor, "provenance")),
        "#### Run and provenance",
        "",
        f"- Target {md_code(m.target)} (digest {md_code(m.target_digest)}), run {md_code(m.run_id)}, {md_cell(m.status)}, created {m.created_at:%Y-%m-%d %H:%M} UTC, accord {md_cell(m.accord_version or 'unknown')}",
        f"- Judge {md_code(p.judge_id)} ({md_cell(', '.join(p.judge_versions) or 'unknown version')}): {md_cell(p.judge_error)}",
        f"- {md_cell(p.completeness)}",
    ]
    for a in p.attestations:
        where = f", transparency log entry {a.log_index}" + (f" of {md_cell(a.log_origin)}" if a.log_origin else "") if a.log_index is not None else ", not found in the transparency log on this machine"
        signed = f" on {a.attested_at:%Y-%m-%d %H:%M} UTC" if a.attested_at else ""
        out.append(f"- Attested{signed}: digest {md_code(a.digest)}, signer key id {md_code(a.keyid)}{where}. Verify: {md_code(a.verify)} ({md_cell(a.verify_note)})")
    if p.attest_hint:
        out.append(f"- {md_cell(p.attest_hint)}")
    return [*out, ""]


def _target_charts(t: TargetSection, r: ReportData) -> list[str]:
    """The target's point on the trade-off plot, its breakdowns and grades, as tables."""
    names, min_n = r.hazard_names, r.charts.min_n
    out = [_anchor(section_id(t.anchor, "charts")), "#### Charts: trade-off, breakdowns and grades", ""]
    for p in r.charts.tradeoff:
        if p.name == t.target:
            out += [
                f"Harmful compliance {md_cell(_est(p.y.value, p.y.low, p.y.high, p.y.n, min_n))}; "
                f"over-refusal of benign requests {md_cell(_est(p.x.value, p.x.low, p.x.high, p.x.n, min_n))}.",
                "",
            ]
    for b in t.charts.breakdowns:
        out += [f"{md_cell(b.title)}:", ""]
        out += _table([b.by.replace("_", " "), b.value_label], [[row.label, _est(row.value, row.low, row.high, row.n, min_n)] for row in b.rows])
    for g in t.charts.grades:
        out += [f"{md_cell(g.title)}:", ""]
        out += _table(["Hazard", "Grade", "n"], [[names.get(h, h), grade or "not gradable", n] for h, grade, n in g.grades], {2})
    return out


def _label_text(lab: JudgeLabel) -> str:
    if lab.unassessed:
        what = f"unassessed ({lab.unassessed})"
    else:
        what = f"refusal {lab.refusal or '?'}, harmful {'yes' if lab.harmful else 'no'}"
    return f"{lab.judge_id}: {what}" + (" (replaced by review)" if lab.reviewed else "")


RESPONSE_LIMIT = 300


def _drilldown(t: TargetSection, names: dict[str, str]) -> list[str]:
    d = t.drilldown
    counts = ", ".join(f"{n} {k}" for k, n in d.counts.items())
    out = [_anchor(section_id(t.anchor, "items")), "#### Items that fail, need review or are unassessed", ""]
    if not d.total:
        return [*out, "None: every response is acceptable under every pack.", ""]
    more = f"; the first {d.shown} are listed, all of them with `accord report --items FILE`" if d.shown < d.total else ""
    out += [f"{d.total} item(s): {md_cell(counts)}{more}.", ""]
    header = ["Item", "Hazard · intent · language", "Status", "Labels", "Verdict contribution"]
    rows: list[list[object]] = []
    for i in d.items:
        row: list[object] = [
            f"{i.suite_id}/{i.item_id}" + (f" ({i.variant_id}, epoch {i.epoch})" if i.variant_id != "none" or i.epoch else ""),
            f"{names.get(i.hazard, i.hazard)} · {i.intent} · {i.language}",
            i.status,
            "; ".join(_label_text(lab) for lab in i.labels) or "—",
            i.contribution,
        ]
        if d.responses_included:
            row.append("(no output)" if i.response is None else truncate(i.response, RESPONSE_LIMIT))
        rows.append(row)
    if d.responses_included:
        header.append("Response (truncated; shown because --include-responses was given)")
    return out + _table(header, rows)




def _judge_error(t: TargetSection, names: dict[str, str]) -> list[str]:
    e = t.judge_error
    if e is None:
        return []
    out = [_anchor(section_id(t.anchor, "judge-error")), "#### What the judge's error does to these figures", "", f"- {md_cell(judge_recall_text(e))}"]
    out += [f"- **{md_cell(not_validated_text(e, lang, rec))}**." for lang, rec in e.not_validated.items()]
    out += [f"- {md_cell(floor_effect_text(e))}", f"- {md_cell(unassessed_text(e))}", f"- {md_cell(e.rates)}", ""]
    rows = [
        [
            names.get(c.hazard, c.hazard),
            c.language + ("" if c.validated else " (judge not validated)"),
            c.n,
            c.possible,
            pct(c.bound_perfect, 2),
            f"{c.judge_recall:.3f}",
            pct(c.bound, 2),
            f"{c.needed_perfect} / {c.needed}",
            f"{c.status_perfect} / {c.status}",
        ]
        for c in e.cells
    ]
    header = ["Hazard", "Language", "Units", "Possible violations", "Upper bound, perfect judge", "Judge recall (lower bound)", "Upper bound with judge error", "Units needed, none violating (perfect / this judge)", "Result (perfect / with error)"]
    return out + _table(header, rows, {2, 3, 4, 5, 6})


def _floor(t: TargetSection, names: dict[str, str]) -> list[str]:
    f = t.floor
    out = [
        _anchor(section_id(t.anchor, "floor")),
        f"#### Universal floor **{md_cell(f.status.upper())}**",
        "",
        f"{md_cell(f.detail)}. Violation rate {pct(f.value, 2)}, 95% CI {ci(f.ci_low, f.ci_high, 2)}, n={f.n}; "
        f"{f.violations} violation(s), {f.confirmed} confirmed harmful; unassessed {f.unassessed}. The rule: see the universal floor rule above.",
        "",
    ]
    rows = [[f"{names.get(h.hazard, h.hazard)} ({h.hazard})", h.n, h.violations, h.confirmed, pct(h.value), ci(h.ci_low, h.ci_high), h.unassessed] for h in f.per_hazard]
    return out + _table(["Hazard", "n", "Violations", "Confirmed", "Rate", "95% CI", "Unassessed"], rows, {1, 2, 3, 4, 5, 6})


def _verdicts(t: TargetSection, names: dict[str, str], r: ReportData) -> list[str]:
    out = [_anchor(section_id(t.anchor, "verdicts")), "#### Verdicts by pack", ""]
    for v in t.verdicts:
        out.append(
            f"##### {md_cell(v.pack_name)} ({md_code(v.pack_id)}, {md_cell(v.jurisdiction_name or v.jurisdiction)}, version {md_cell(v.pack_version)}, "
            f"{md_cell(v.pack_status)}{', binding' if v.binding else ''}): **{md_cell(v.decision)}**"
        )
        out.append("")
        caveat = grade_caveat(v.decision, v.floor.status == "fail") if is_descriptive(v.grade) else None
        out.append(f"Grade: {md_cell(v.grade or 'n/a')}{f' ({caveat})' if caveat else ''}; weighted acceptable score {pct(v.score)}; {v.n_responses} responses, {v.n_unassessed} unassessed.")
        for note in v.notes:
            out.append(f"Note: {md_cell(note)}")
        out.append("")
        if v.requirements:
            corrected = any(q.corrected_value is not None for q in v.requirements)
            notes = {q.correction for q in v.requirements if q.correction}
            shared = next(iter(notes)) if len(notes) == 1 else None
            rows = [
                [
                    q.requirement_id,
                    q.metric.replace("_", " ") + (f" ({names.get(q.hazard, q.hazard)})" if q.hazard else ""),
                    pct(q.value),
                    ci(q.ci_low, q.ci_high),
                    *([_corrected(q, with_note=shared is None)] if corrected else []),
                    q.n,
                    q.unassessed,
                    q.status + (f" ({q.grade})" if q.grade else ""),
                ]
                for q in v.requirements
            ]
            header = ["Requirement (rule: see Rules)", "Metric", "Value", "95% CI", *(["Corrected for judge error"] if corrected else []), "n", "Unassessed", "Result"]
            out += _table(header, rows, {2, 3, 4, 5} | ({6} if corrected else set()))
            if shared:
                out += [f"Judge-error correction: {md_cell(shared)}", ""]
        else:
            out += ["Universal floor only (see the floor above).", ""]
    out += _reasons(t, r)
    return out


def _corrected(q: RequirementResult, *, with_note: bool = True) -> str:
    """The judge-error-corrected rate with its interval (``—`` where none was computed)."""
    if q.corrected_value is None:
        return "—"
    return f"{pct(q.corrected_value)} {ci(q.corrected_low, q.corrected_high)}" + (f" ({q.correction})" if q.correction and with_note else "")


def _base(requirement_id: str) -> str:
    """``ail-hazard:violent-crimes`` -> ``ail-hazard``: a per-hazard row's requirement."""
    return requirement_id.split(":", 1)[0]


def _rules(r: ReportData) -> list[str]:
    """Every pack's requirements once (title, threshold, minimum n, rule, source): the same for
    every target, so the per-target tables show only figures."""
    out = [_anchor("rules"), "## Rules", "", "What each requirement tests and where it comes from; stated once, the same for every target.", ""]
    seen: dict[str, dict[str, RequirementResult]] = {}
    for t in r.targets:
        for v in t.verdicts:
            mine = seen.setdefault(v.pack_id, {})
            for q in v.requirements:
                mine.setdefault(_base(q.requirement_id), q)
    names = {p.pack_id: p.name for p in r.packs}
    for pack_id, reqs in seen.items():
        if not reqs:
            continue
        out += [f"### {md_cell(names.get(pack_id, pack_id))} ({md_code(pack_id)})", ""]
        rows = [
            [
                base + (" (per hazard)" if q.hazard and q.requirement_id != base else ""),
                re.sub(r"^[^:]*:\s*", "", q.title) if q.title.startswith(base) else q.title,
                q.metric.replace("_", " "),
                threshold(q.threshold_op, q.threshold),
                q.min_n,
                q.decision_rule,
                f"{q.cite} [{q.conf}]",
            ]
            for base, q in reqs.items()
        ]
        out += _table(["Requirement", "Title", "Metric", "Threshold", "Minimum n", "Decision rule", "Source"], rows, {4})
    return out


def _heatmap(t: TargetSection, names: dict[str, str]) -> list[str]:
    packs = list(dict.fromkeys(c.pack_id for c in t.heatmap))
    cells = {(c.group, c.hazard, c.pack_id): c for c in t.heatmap}
    rows = []
    for group in dict.fromkeys(c.group for c in t.heatmap):
        present = {c.hazard for c in t.heatmap if c.group == group}
        for h in [h for h in names if h in present] + sorted(present - set(names)):
            row: list[object] = [_GROUPS.get(group, group), names.get(h, h)]
            for p in packs:
                c = cells.get((group, h, p))
                row.append("—" if c is None else f"{pct(c.rate, 0)} (n={c.n}" + (f", ua {c.unassessed})" if c.unassessed else ")"))
            rows.append(row)
    return [_anchor(section_id(t.anchor, "heatmap")), "#### Hazard by pack (share acceptable under each pack)", "", *_table(["Items", "Hazard", *packs], rows)]


def _divergence(t: TargetSection, names: dict[str, str]) -> list[str]:
    d = t.divergence
    out = [
        _anchor(section_id(t.anchor, "divergence")),
        f"#### Where the packs disagree: {d.disagreeing} of {d.responses} responses",
        "",
        "Row pack accepts, column pack rejects. Model outputs are never shown here; prompts are truncated and withheld for floor hazards.",
        "",
    ]
    rows = [[p, *("·" if p == q else d.matrix[i][j] for j, q in enumerate(d.packs))] for i, p in enumerate(d.packs)]
    out += _table(["accepted by ↓ · rejected by →", *d.packs], rows, set(range(1, len(d.packs) + 1)))
    if d.examples:
        ex = [
            [
                f"{e.suite_id}/{e.item_id}" + (f" ({e.variant_id}, epoch {e.epoch})" if e.variant_id != "none" or e.epoch else ""),
                f"{names.get(e.hazard, e.hazard)} · {e.intent} · {e.locale}",
                e.prompt if e.prompt is not None else f"({e.prompt_withheld})",
                "unassessed" if e.unassessed else f"refusal {e.refusal}, harmful {'yes' if e.harmful else 'no'}",
                ", ".join(e.accepted_by),
                ", ".join(e.rejected_by),
            ]
            for e in d.examples
        ]
        out += _table(["Item", "Hazard · intent · locale", "Prompt (truncated)", "Judge's labels", "Acceptable under", "Not acceptable under"], ex)
    return out


def _judge(r: ReportData) -> list[str]:
    j = r.judge
    versions = ", ".join(md_cell(v) for v in j.versions) or "unknown"
    out = [_anchor("judge"), "## Judge", "", f"Judge {md_code(j.judge_id)}; label versions: {versions}; card version: {md_cell(j.card_version or 'none')}.", ""]
    if j.agreement:
        rows = []
        for a in j.agreement:
            row: list[object] = [f"{a.dataset} ({a.split})", a.task, a.n, a.n_unassessed]
            for m in ("accuracy", "kappa", "f1"):
                e = a.metrics.get(m)
                row.append("n/a" if e is None or e.value is None else f"{e.value:.3f} [{e.lo:.3f}, {e.hi:.3f}]" if e.lo is not None and e.hi is not None else f"{e.value:.3f}")
            rows.append(row)
        out += _table(["Dataset", "Task", "n", "Unassessed", "Accuracy", "Cohen's κ", "F1"], rows, {2, 3, 4, 5, 6})
    for note in j.notes:
        out.append(f"- {md_cell(note)}")
    out.append("")
    return out


def _runs(r: ReportData) -> list[str]:
    out = [_anchor("runs"), "## Runs", ""]
    for t in r.targets:
        m = t.run
        out += [
            f"- **{md_cell(m.run_id)}**: target {md_code(m.target)}, digest {md_code(m.target_digest)}, {md_cell(m.status)}, "
            f"created {m.created_at:%Y-%m-%d %H:%M} UTC, accord {md_cell(m.accord_version or 'unknown')}",
            *(f"  - suite {md_cell(s.suite_id)}: {s.n_items} items, {md_code(s.digest)}" for s in m.suites),
            "  - responses: " + ", ".join(f"{md_cell(k)} {n}" for k, n in m.responses.items()),
            f"  - labelled by the judge: {m.n_labelled} ({m.n_unassessed} unassessed); {m.n_unlabelled} without a label from this judge",
        ]
    out.append("")
    return out


def _attacks(t: TargetSection, r: ReportData) -> list[str]:
    """The attack success table, any-attack line and cross-language gap (issue 19), as tables."""
    a = t.attacks
    if a is None:
        return []
    names, min_n = r.hazard_names, r.charts.min_n
    out = [_anchor(section_id(t.anchor, "attacks")), "#### Attacks", "", md_text(a.method), ""]
    rows = []
    for q in a.rates:
        corrected = "—" if q.corrected_value is None else f"{pct(q.corrected_value)} {ci(q.corrected_low, q.corrected_high)}"
        per = "—" if q.queries_per_success is None else f"{q.queries_per_success:.1f}"
        rows.append(
            [
                q.attack if q.hazard is None else "",
                "all hazards" if q.hazard is None else names.get(q.hazard, q.hazard),
                _est(q.value, q.low, q.high, q.n_behaviours, min_n),
                f"{q.successes} / {q.n_attempts}",
                q.unassessed,
                corrected,
                per,
            ]
        )
    out += _table(["Attack", "Hazard", "Success rate (n = behaviours)", "Successes / attempts", "Unassessed", "Corrected for judge error", "Target queries / success"], rows, {3, 4, 6})
    for x in a.any_attack:
        if x.hazard is None:
            out += [f"Any attack: {md_cell(_est(x.value, x.low, x.high, x.n_behaviours, min_n))} of attacked behaviours broken by at least one attack ({x.unassessed} unassessed).", ""]
    if a.gaps:
        out += [f"Refusal of the plain request by language, paired by behaviour against {md_cell(a.reference_locale)}:", ""]
        out += _table(
            ["Language", "Difference", "Pairs", "Both refused", "Only this language", "Only the reference", "Neither"],
            [[g.locale, f"{pct(g.value)} {ci(g.low, g.high)}" if g.value is not None else "no data", g.n_pairs, g.both, g.only_locale, g.only_reference, g.neither] for g in a.gaps],
            {2, 3, 4, 5, 6},
        )
    out += [f"- {md_cell(n)}" for n in a.notes] + ([""] if a.notes else [])
    return out


def _target(t: TargetSection, r: ReportData) -> list[str]:
    """One target's details, in the order a reader checks them."""
    names = r.hazard_names
    out = [_anchor(t.anchor), f"### {md_cell(t.target)}", ""]
    out += _provenance(t)
    out += _judge_error(t, names)
    out += _floor(t, names)
    out += _verdicts(t, names, r)
    out += _heatmap(t, names)
    out += _divergence(t, names)
    out += _target_charts(t, r)
    out += _attacks(t, r)
    out += _drilldown(t, names)
    return out


def render_markdown(r: ReportData) -> str:
    """The report as GitHub-flavoured Markdown, findings first, in the same order as the HTML:
    summary, deployment matrix, key findings, charts (as tables), contents, the floor rule
    once, each target's details, then judge, packs, runs and how to read."""
    out = [
        f"# {md_cell(r.title)}",
        "",
        f"Generated {r.generated_at:%Y-%m-%d %H:%M} UTC by accord {md_cell(r.accord_version)} · taxonomy {md_cell(r.taxonomy_version)} · judge {md_code(r.judge.judge_id)}",
        "",
        _anchor("summary"),
        "## Summary",
        "",
        md_text(r.summary),
        "",
        *_matrix(r),
        *_findings(r),
        *_charts(r),
        *_contents(r),
        *_floor_rule(r),
        _anchor("targets"),
        "## Targets",
        "",
    ]
    for t in r.targets:
        out += _target(t, r)
    out += _judge(r)
    out += _rules(r)
    out += [_anchor("packs"), "## Packs applied", ""]
    out += _table(
        ["Pack", "Jurisdiction", "Version", "Status", "Effective", "Sources"],
        [[f"{p.name} ({p.pack_id})", p.jurisdiction_name or p.jurisdiction, p.version, p.status + (", binding" if p.binding else ""), (p.effective_from or "—") + (f" to {p.effective_until}" if p.effective_until else ""), "; ".join(p.sources)] for p in r.packs],
    )
    out += _runs(r)
    out += [_anchor("how-to-read"), "## How to read this report", "", *(f"{i}. {md_cell(n)}" for i, n in enumerate(r.notes, 1)), ""]
    return "\n".join(out)


def render_json(r: ReportData) -> str:
    """The structured data every other format is rendered from."""
    return r.model_dump_json(indent=2) + "\n"


def render_items(rows: Sequence[ItemRow], fmt: str = "jsonl") -> str:
    """The full per-item table (``accord report --items``) as JSON Lines or CSV.

    Kept out of the report itself (which shows only the drill-down) so the page stays small;
    CSV joins the pack lists with ``;``. Model output is present only where the rows carry it
    (``--include-responses``).
    """
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        fields = list(ItemRow.model_fields)
        writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            doc = r.model_dump(mode="json")
            writer.writerow({k: ";".join(v) if isinstance(v, list) else ("" if v is None else v) for k, v in doc.items()})
        return buf.getvalue()
    if fmt != "jsonl":
        raise ValueError(f"unknown item table format {fmt!r}")
    return "".join(r.model_dump_json() + "\n" for r in rows)


def write_items(path: Path, rows: Sequence[ItemRow]) -> None:
    """Write ``render_items`` to ``path``: CSV when it ends in ``.csv``, else JSON Lines."""
    fmt = "csv" if path.suffix.lower() == ".csv" else "jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_items(rows, fmt), encoding="utf-8")
