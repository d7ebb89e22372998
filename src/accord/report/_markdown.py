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
    unassessed_text,
)
from accord.report._model import ReportData, TargetSection

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
    out = ["## Deployment matrix", "", *_table(["Target", *(f"{names.get(j, j)} ({j})" for j in js)], rows)]
    out.append("Reasons (requirement ids and citations):")
    out.append("")
    for c in r.matrix.cells:
        if not c.reasons:
            continue
        out.append(f"- **{md_cell(c.target)} × {md_cell(c.jurisdiction)}: {md_cell(c.decision)}**")
        for reason in c.reasons:
            out.append(f"  - {md_code(reason.requirement_id)} {md_cell(reason.detail)} — {md_cell(reason.cite)} \\[{md_cell(reason.conf)}\\]")
    out.append("")
    return out


JUDGE_ERROR_HEADING = "## What the judge's error does to these figures"


def _judge_error(t: TargetSection, names: dict[str, str]) -> list[str]:
    e = t.judge_error
    if e is None:
        return []
    out = [f"### {md_cell(t.target)}", "", f"- {md_cell(judge_recall_text(e))}"]
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
        f"### {md_cell(t.target)}: floor **{md_cell(f.status.upper())}**",
        "",
        f"{md_cell(f.detail)}. Violation rate {pct(f.value, 2)}, 95% CI {ci(f.ci_low, f.ci_high, 2)}, n={f.n}, bound {pct(f.bound, 2)}; "
        f"{f.violations} violation(s), {f.confirmed} confirmed harmful; unassessed {f.unassessed}. Source: {md_cell(f.cite)} \\[{md_cell(f.conf)}\\].",
        "",
    ]
    rows = [[f"{names.get(h.hazard, h.hazard)} ({h.hazard})", h.n, h.violations, h.confirmed, pct(h.value), ci(h.ci_low, h.ci_high), h.unassessed] for h in f.per_hazard]
    return out + _table(["Hazard", "n", "Violations", "Confirmed", "Rate", "95% CI", "Unassessed"], rows, {1, 2, 3, 4, 5, 6})


def _verdicts(t: TargetSection, names: dict[str, str]) -> list[str]:
    out = [f"### {md_cell(t.target)}", ""]
    for v in t.verdicts:
        out.append(
            f"#### {md_cell(v.pack_name)} ({md_code(v.pack_id)}, {md_cell(v.jurisdiction_name or v.jurisdiction)}, version {md_cell(v.pack_version)}, "
            f"{md_cell(v.pack_status)}{', binding' if v.binding else ''}): **{md_cell(v.decision)}**"
        )
        out.append("")
        caveat = grade_caveat(v.decision, v.floor.status == "fail") if is_descriptive(v.grade) else None
        out.append(f"Grade: {md_cell(v.grade or 'n/a')}{f' ({caveat})' if caveat else ''}; weighted acceptable score {pct(v.score)}; {v.n_responses} responses, {v.n_unassessed} unassessed.")
        for note in v.notes:
            out.append(f"Note: {md_cell(note)}")
        out.append("")
        if v.requirements:
            rows = [
                [
                    f"{q.requirement_id}: {q.title}",
                    q.metric.replace("_", " ") + (f" ({names.get(q.hazard, q.hazard)})" if q.hazard else ""),
                    pct(q.value),
                    ci(q.ci_low, q.ci_high),
                    q.n,
                    q.unassessed,
                    threshold(q.threshold_op, q.threshold),
                    q.status + (f" ({q.grade})" if q.grade else ""),
                    f"{q.cite} [{q.conf}]",
                ]
                for q in v.requirements
            ]
            out += _table(["Requirement", "Metric", "Value", "95% CI", "n", "Unassessed", "Threshold", "Result", "Source"], rows, {2, 3, 4, 5})
        else:
            out += ["Universal floor only (see the floor above).", ""]
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
    return [f"### {md_cell(t.target)}", "", *_table(["Items", "Hazard", *packs], rows)]


def _divergence(t: TargetSection, names: dict[str, str]) -> list[str]:
    d = t.divergence
    out = [f"### {md_cell(t.target)}: {d.disagreeing} of {d.responses} responses disagreed on", ""]
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
    out = ["## Judge", "", f"Judge {md_code(j.judge_id)}; label versions: {versions}; card version: {md_cell(j.card_version or 'none')}.", ""]
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
    out = ["## Runs", ""]
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


def render_markdown(r: ReportData) -> str:
    """The report as GitHub-flavoured Markdown."""
    names = r.hazard_names
    out = [
        f"# {md_cell(r.title)}",
        "",
        f"Generated {r.generated_at:%Y-%m-%d %H:%M} UTC by accord {md_cell(r.accord_version)} · taxonomy {md_cell(r.taxonomy_version)} · judge {md_code(r.judge.judge_id)}",
        "",
        "## Summary",
        "",
        md_text(r.summary),
        "",
    ]
    if any(t.judge_error for t in r.targets):
        out += [JUDGE_ERROR_HEADING, "", "The floor's upper bound per hazard and language, with a perfect judge and divided by the lower bound of the judge's measured harmful recall. Unassessed responses count as possible floor violations.", ""]
        for t in r.targets:
            out += _judge_error(t, names)
    out += [
        *_matrix(r),
        "## Universal floor",
        "",
    ]
    for t in r.targets:
        out += _floor(t, names)
    out += ["## Verdicts by pack", ""]
    for t in r.targets:
        out += _verdicts(t, names)
    out += ["## Hazard by pack (share acceptable under each pack)", ""]
    for t in r.targets:
        out += _heatmap(t, names)
    out += ["## Where the packs disagree", "", "Row pack accepts, column pack rejects. Model outputs are never shown; prompts are truncated and withheld for floor hazards.", ""]
    for t in r.targets:
        out += _divergence(t, names)
    out += _judge(r)
    out += ["## Packs applied", ""]
    out += _table(
        ["Pack", "Jurisdiction", "Version", "Status", "Effective", "Sources"],
        [[f"{p.name} ({p.pack_id})", p.jurisdiction_name or p.jurisdiction, p.version, p.status + (", binding" if p.binding else ""), (p.effective_from or "—") + (f" to {p.effective_until}" if p.effective_until else ""), "; ".join(p.sources)] for p in r.packs],
    )
    out += _runs(r)
    out += ["## How to read this report", "", *(f"{i}. {md_cell(n)}" for i, n in enumerate(r.notes, 1)), ""]
    return "\n".join(out)


def render_json(r: ReportData) -> str:
    """The structured data every other format is rendered from."""
    return r.model_dump_json(indent=2) + "\n"
