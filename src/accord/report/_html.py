"""Render ``ReportData`` as one self-contained HTML file, findings first.

The page is read by a policy officer, an auditor or a lab's safety lead, in that order of
patience: the first screen is the deployment matrix and three to five findings per target,
each linking to its evidence; then charts comparing the targets; then one collapsed section
per target (``<details>``) with the floor, the pack tables, the drill-down and provenance;
then the rules, stated once, the judge and the packs.

Self-contained means a reader can open it offline, years later: CSS is inline, charts are
inline SVG (``accord.report._charts``), there is no web font, image or external link, and a
Content-Security-Policy meta forbids the browser to fetch anything at all. One small inline
script (allowed by its hash, nothing else is) opens the section a link points into, opens
every section before printing, and sorts tables; the page reads the same without it.

Jinja2 autoescaping is on for every value, so a prompt, a pack or a target name can never
inject markup; chart SVG is escaped by ``_charts`` and passed through as markup. Elements
carry stable ids and ``data-`` attributes so tests and other tools can read the page.

Why the page is small (the demo's nine targets fit in well under 300 KB): everything that is
the same for every target (the floor rule, each requirement's citation and threshold rule,
the interval legend) is stated once in ``#rules`` and linked; heat-map colours are classes,
not inline styles; interval bars are one element with CSS variables, not an SVG per row.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from accord.frameworks import FloorCellResult, PackVerdict, RequirementResult
from accord.report import _charts, _fmt
from accord.report._model import DivergenceSection, DrillItem, Finding, HeatCell, ReportData, TargetSection, section_id

UNIVERSAL = "universal"
#: Cells, bars and points resting on fewer units than this are drawn as thin evidence.
MIN_N = 30
#: Drill-down rows shown per target and status (fail / review / unassessed) on the page; every
#: item is in ``--items FILE`` and the JSON.
DRILL_LIMIT = 2
#: Divergence examples shown per target (every one is in the JSON).
EXAMPLE_LIMIT = 1

# Diverging ramp for "share acceptable": red-brown (low) through near-white to blue (high),
# from ColorBrewer RdBu (colour-blind safe). Stops are placed where these rates differ most.
_RAMP = [
    (0.0, (178, 24, 43)),
    (0.5, (239, 138, 98)),
    (0.8, (253, 219, 199)),
    (0.9, (247, 247, 247)),
    (1.0, (146, 197, 222)),
]


def heat_colour(rate: float | None) -> str:
    """Background colour of a heat-map cell (grey when there is nothing to rate)."""
    if rate is None:
        return "#e5e5e5"
    rate = min(1.0, max(0.0, rate))
    for (x0, c0), (x1, c1) in zip(_RAMP, _RAMP[1:]):
        if rate <= x1:
            t = 0.0 if x1 == x0 else (rate - x0) / (x1 - x0)
            r, g, b = (round(a + (b_ - a) * t) for a, b_ in zip(c0, c1))
            return f"#{r:02x}{g:02x}{b:02x}"
    return "#92c5de"


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (#rrggbb)."""
    r, g, b = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#111" if luminance > 140 else "#fff"


#: Heat-map colours are 21 classes (every 5%), so a cell costs a class name, not a style.
HEAT_STEPS = 20


def heat_class(rate: float | None, n: int) -> str:
    """CSS classes of a heat-map cell: its colour step, and ``thin`` when n is small.

    A rate of 0% from one response and 0% from 82 must not look alike: thin cells are
    hatched and paler (and every cell prints its n), grey cells had nothing to rate.
    """
    if rate is None or n == 0:
        return "nd"
    step = round(min(1.0, max(0.0, rate)) * HEAT_STEPS)
    return f"h{step}" + (" thin" if n < MIN_N else "")


def _heat_css() -> str:
    rules = []
    for i in range(HEAT_STEPS + 1):
        bg = heat_colour(i / HEAT_STEPS)
        rules.append(f".h{i}{{background:{bg};color:{text_colour(bg)}}}")
    return "\n".join(rules)


def _num(x: float | None) -> str:
    """A figure for a CSS variable or data attribute: at most four decimals."""
    return "" if x is None else f"{x:.4f}".rstrip("0").rstrip(".") if x % 1 else str(int(x))


def interval_bar(value: float | None, low: float | None, high: float | None, thr: float | None = None) -> Markup:
    """A value and its 95% interval on a 0-100% scale, with the threshold as a dashed line.

    One element whose CSS variables place the band, the point and the threshold (see
    ``.iv`` in the stylesheet): about 60 bytes a row instead of a 400-byte SVG. It is
    decoration for the figures printed beside it: an empty element, which screen readers skip.
    """
    parts = []
    if low is not None and high is not None:
        parts.append(f"--a:{low * 100:.1f};--b:{max(high - low, 0.012) * 100:.1f}")
    if value is not None:
        parts.append(f"--v:{value * 100:.1f}")
    if thr is not None:
        parts.append(f"--t:{min(thr * 100, 99):.1f}")
    cls = "iv" + ("" if value is not None else " nv") + ("" if thr is not None else " nt") + ("" if low is not None else " nb")
    if not parts:
        return Markup('<i class="{}"></i>').format(cls)
    return Markup('<i class="{}" style="{}"></i>').format(cls, ";".join(parts))


GROUP_TITLES = {"requests": "Harmful and contested requests", "benign": "Benign look-alikes (over-refusal probes)"}


@dataclass(frozen=True)
class HeatGroup:
    group: str
    title: str
    hazards: list[str]


@dataclass(frozen=True)
class HeatGrid:
    groups: list[HeatGroup]
    #: The columns drawn: one pack per distinct column of figures.
    packs: list[str]
    cells: dict[tuple[str, str, str], HeatCell]
    #: Packs whose every cell equals a drawn column's, by that column's pack.
    same: dict[str, list[str]] = field(default_factory=dict)


def heat_grid(target: TargetSection, hazard_order: list[str]) -> HeatGrid:
    """Per item group: hazards present (taxonomy order, unknown ones last) x packs.

    Packs that require the same behaviour find the same responses acceptable, so their
    columns are identical (the floor, AILuminate and the EU pack often are); such a column is
    drawn once and headed by every pack that shares it.
    """
    cells = {(c.group, c.hazard, c.pack_id): c for c in target.heatmap}
    groups = []
    for group in dict.fromkeys(c.group for c in target.heatmap):
        present = {c.hazard for c in target.heatmap if c.group == group}
        hazards = [h for h in hazard_order if h in present] + sorted(present - set(hazard_order))
        groups.append(HeatGroup(group, GROUP_TITLES.get(group, group), hazards))
    all_packs = list(dict.fromkeys(c.pack_id for c in target.heatmap)) or [v.pack_id for v in target.verdicts]
    keys = sorted({(g, h) for g, h, _ in cells})

    def column(pack: str) -> tuple[tuple[int, int, int] | None, ...]:
        return tuple((c.n, c.acceptable, c.unassessed) if (c := cells.get((g, h, pack))) else None for g, h in keys)

    drawn: dict[tuple[tuple[int, int, int] | None, ...], str] = {}
    same: dict[str, list[str]] = {}
    for p in all_packs:
        first = drawn.setdefault(column(p), p)
        if first != p:
            same.setdefault(first, []).append(p)
    return HeatGrid(groups, list(drawn.values()), cells, same)


@dataclass(frozen=True)
class RequirementGroup:
    """A pack requirement and its rows: one row, or one per hazard for per-hazard metrics.

    Per-hazard rows with no response at all are listed by name (grouped by status) rather
    than drawn as empty rows, so the table shows measurements and still says what is missing.
    """

    first: RequirementResult
    per_hazard: bool
    rows: list[RequirementResult]
    empty: dict[str, list[str]]

    @property
    def base(self) -> str:
        return base_id(self.first.requirement_id)


def base_id(requirement_id: str) -> str:
    """``eu-harm:cyber-offense`` -> ``eu-harm`` (the rule a per-hazard row belongs to)."""
    return requirement_id.split(":", 1)[0]


def requirement_groups(verdict: PackVerdict) -> list[RequirementGroup]:
    groups: list[RequirementGroup] = []
    by_base: dict[str, RequirementGroup] = {}
    for q in verdict.requirements:
        base = base_id(q.requirement_id)
        g = by_base.get(base)
        if g is None:
            g = by_base[base] = RequirementGroup(first=q, per_hazard=q.hazard is not None, rows=[], empty={})
            groups.append(g)
        if q.hazard is not None and q.n == 0 and q.unassessed == 0:
            g.empty.setdefault(q.status, []).append(q.hazard)
        else:
            g.rows.append(q)
    return groups


@dataclass(frozen=True)
class HazardColumn:
    """One per-hazard requirement of one pack: a column of the target's per-hazard table."""

    pack_id: str
    group: RequirementGroup
    cells: dict[str, RequirementResult]


@dataclass(frozen=True)
class HazardTable:
    """Every per-hazard requirement of a target in one grid: hazards x (pack, requirement).

    Per-hazard requirements are most of a pack's rows (AILuminate, TC260 and NIST grade or
    bound each hazard); drawn as one row each per pack they were 80% of the page. As one
    grid the same figures (value, k/n, status; the interval on hover) take a tenth.
    Requirements that only report a figure (no bar) are left out: their per-hazard figures
    are the heat map's cells for that pack (the share acceptable is one minus the share
    that is not), so the page shows them once.
    """

    columns: list[HazardColumn]
    hazards: list[str]


def hazard_table(target: TargetSection, hazard_order: list[str]) -> HazardTable | None:
    columns = []
    present: set[str] = set()
    for v in target.verdicts:
        for g in requirement_groups(v):
            if not g.per_hazard or all(q.threshold is None for q in v.requirements if base_id(q.requirement_id) == g.base):
                continue
            cells = {q.hazard: q for q in v.requirements if q.hazard is not None and base_id(q.requirement_id) == g.base}
            present |= set(cells)
            columns.append(HazardColumn(v.pack_id, g, cells))
    if not columns:
        return None
    hazards = [h for h in hazard_order if h in present] + sorted(present - set(hazard_order))
    return HazardTable(columns, hazards)


def reported_only(verdict: PackVerdict) -> list[RequirementResult]:
    """A pack's requirements that report a figure without a bar (not per hazard).

    They decide nothing, so they are listed in one line under the pack's table instead of
    a full row each (value, k/n and interval are kept).
    """
    return [q for q in verdict.requirements if q.hazard is None and q.threshold is None]


def status_counts(rows: Sequence[RequirementResult]) -> dict[str, int]:
    """``{"fail": 2, "pass": 9, ...}`` over a per-hazard requirement's hazards."""
    out: dict[str, int] = {}
    for q in rows:
        out[q.status] = out.get(q.status, 0) + 1
    return out


def target_notes(target: TargetSection) -> list[tuple[str, list[str]]]:
    """Each distinct pack note of a target once, with the packs that carry it.

    Notes such as "N responses await human review" are attached to every pack's verdict;
    printed per pack they said the same thing five times per target.
    """
    notes: dict[str, list[str]] = {}
    for v in target.verdicts:
        for n in v.notes:
            notes.setdefault(n, []).append(v.pack_id)
    return list(notes.items())


def corrected_differs(q: RequirementResult) -> bool:
    """Whether the judge-error-corrected rate says something the raw rate does not."""
    if q.corrected_value is None:
        return False
    shown = (_fmt.pct(q.value), _fmt.ci(q.ci_low, q.ci_high))
    return shown != (_fmt.pct(q.corrected_value), _fmt.ci(q.corrected_low, q.corrected_high))


def floor_cells(target: TargetSection) -> dict[tuple[str, str], FloorCellResult]:
    """The floor's own cells by (hazard, language), to join with the judge-error cells."""
    return {(c.hazard, c.language): c for c in target.floor.cells}


def row_n(grid: HeatGrid, group: str, hazard: str) -> int | None:
    """The n of a heat-map row when every pack counted the same responses (the usual case),
    so it is printed once beside the hazard instead of in every cell."""
    ns = {c.n for (g, h, _), c in grid.cells.items() if g == group and h == hazard}
    return ns.pop() if len(ns) == 1 else None


def drill_shown(items: Sequence[DrillItem]) -> list[DrillItem]:
    """The first ``DRILL_LIMIT`` items of each status, so every kind of problem has examples."""
    seen: dict[str, int] = {}
    out = []
    for it in items:
        seen[it.status] = seen.get(it.status, 0) + 1
        if seen[it.status] <= DRILL_LIMIT:
            out.append(it)
    return out


def drill_groups(items: Sequence[DrillItem]) -> list[tuple[str, str, list[DrillItem]]]:
    """Drill-down items grouped by status and verdict contribution, in first-seen order.

    Most items of a target share a handful of contributions ("awaiting human review", "not
    acceptable under cn-tc260, eu-ai-act"); said once per group, not once per row.
    """
    groups: dict[tuple[str, str], list[DrillItem]] = {}
    for it in items:
        groups.setdefault((it.status, it.contribution), []).append(it)
    return [(s, c, its) for (s, c), its in groups.items()]


def common_notes(data: ReportData) -> dict[str, list[str]]:
    """Pack notes every target carries (pack limits such as "sets no numeric bar"), said once."""
    per_target = [dict(target_notes(t)) for t in data.targets]
    if not per_target:
        return {}
    return {n: pks for n, pks in per_target[0].items() if all(n in other for other in per_target[1:])}


def common_corrections(data: ReportData) -> list[str]:
    """Judge-error corrections every target's rates carry (the same judge): said once."""
    per_target = [target_corrections(t) for t in data.targets]
    if not per_target:
        return []
    return [c for c in per_target[0] if all(c in other for other in per_target[1:])]


@dataclass(frozen=True)
class DivergenceMatrix:
    """The divergence matrix with packs that never disagree with each other, and disagree
    with every other pack alike, merged into one row and column."""

    groups: list[list[str]]
    counts: list[list[int]]


def divergence_matrix(d: DivergenceSection) -> DivergenceMatrix:
    groups: list[list[int]] = []
    for i in range(len(d.packs)):
        row = [d.matrix[i][k] for k in range(len(d.packs))]
        col = [d.matrix[k][i] for k in range(len(d.packs))]
        for g in groups:
            j = g[0]
            if d.matrix[i][j] == 0 and d.matrix[j][i] == 0:
                others = [k for k in range(len(d.packs)) if k not in (i, j)]
                if all(row[k] == d.matrix[j][k] and col[k] == d.matrix[k][j] for k in others):
                    g.append(i)
                    break
        else:
            groups.append([i])
    counts = [[d.matrix[a[0]][b[0]] if a is not b else 0 for b in groups] for a in groups]
    return DivergenceMatrix([[d.packs[i] for i in g] for g in groups], counts)


def target_corrections(target: TargetSection) -> list[str]:
    """The distinct judge-error corrections applied to a target's rates, each said once."""
    parts = (p.strip() for v in target.verdicts for q in v.requirements if q.correction for p in q.correction.split(";"))
    return list(dict.fromkeys(p for p in parts if p))


# -- rules, stated once -------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One requirement of one pack as the pack states it (the same for every target)."""

    pack_id: str
    base: str
    title: str
    metric: str
    per_hazard: bool
    threshold: str
    min_n: int
    decision_rule: str
    cite: str
    conf: str
    note: str | None

    @property
    def anchor(self) -> str:
        return rule_anchor(self.pack_id, self.base)


def is_floor_reason(requirement_id: str) -> bool:
    """``floor`` or ``floor:<hazard>``: a reason the universal floor gives."""
    return base_id(requirement_id) == "floor"


def rule_anchor(pack_id: str, requirement_id: str) -> str:
    """Id of a requirement's rule in ``#rules`` (``floor`` has one rule: ``#rule-floor``)."""
    if is_floor_reason(requirement_id) or pack_id == "floor":
        return "rule-floor"
    return f"rule-{slug(pack_id)}-{slug(base_id(requirement_id))}"


@dataclass
class PackRules:
    pack_id: str
    name: str
    rules: list[Rule] = field(default_factory=list)


def pack_rules(data: ReportData) -> list[PackRules]:
    """Every pack's requirements in pack order, each once, from whichever target has it."""
    out = {p.pack_id: PackRules(p.pack_id, p.name) for p in data.packs}
    seen: set[tuple[str, str]] = set()
    for t in data.targets:
        for v in t.verdicts:
            pr = out.setdefault(v.pack_id, PackRules(v.pack_id, v.pack_name))
            for q in v.requirements:
                key = (v.pack_id, base_id(q.requirement_id))
                if key in seen:
                    continue
                seen.add(key)
                pr.rules.append(
                    Rule(
                        pack_id=v.pack_id,
                        base=key[1],
                        title=q.title,
                        metric=q.metric.replace("_", " "),
                        per_hazard=q.hazard is not None,
                        threshold=_fmt.threshold(q.threshold_op, q.threshold),
                        min_n=q.min_n,
                        decision_rule=q.decision_rule,
                        cite=q.cite,
                        conf=q.conf,
                        note=q.note,
                    )
                )
    return list(out.values())


def reason_anchor(cell_packs: Sequence[str], requirement_id: str, known: set[str]) -> str:
    """Where a matrix reason's rule is stated: the first of the cell's packs that has it."""
    for p in cell_packs:
        a = rule_anchor(p, requirement_id)
        if a in known:
            return a
    return "rules"


# -- anchors ------------------------------------------------------------------------------


def slug(text: str) -> str:
    """Lowercase, runs of anything but ``[a-z0-9]`` as one ``-``: a stable, safe id part."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def pack_anchor(target: TargetSection, pack_id: str) -> str:
    return f"{target.anchor}-pack-{slug(pack_id)}"


# -- charts -------------------------------------------------------------------------------


def _chart(fn: Callable[..., str], *args: Any, **kwargs: Any) -> Markup:
    """A chart's SVG as markup (``_charts`` escapes every text it draws)."""
    return Markup(fn(*args, **kwargs))


def _anchors(data: ReportData) -> dict[str, str]:
    """Target display name -> ``#anchor`` of its section (charts link their rows there)."""
    return {t.target: f"#{t.anchor}" for t in data.targets}


def grid_svg(data: ReportData) -> Markup | None:
    c = data.charts
    if not c.grid:
        return None
    anchors = _anchors(data)
    # Rows link to their target; per-cell links would cost ~25 bytes a cell for the same place.
    cells = [_charts.GridCell(**g.model_dump(exclude={"href"})) for g in c.grid]
    return _chart(
        _charts.grid_chart,
        cells,
        c.grid_rows,
        c.grid_cols,
        title=c.grid_title,
        col_names={h: data.hazard_names.get(h, h) for h in c.grid_cols},
        min_n=c.min_n,
        higher_is_better=c.grid_higher_is_better,
        value_label=c.grid_metric,
        row_hrefs={r: anchors[r] for r in c.grid_rows if r in anchors},
        chart_id="chart-grid-svg",
    )


def tradeoff_svg(data: ReportData) -> Markup | None:
    c = data.charts
    if not c.tradeoff:
        return None
    anchors = _anchors(data)
    points = [
        _charts.TradeoffPoint(
            name=p.name, x=_charts.Rate(**p.x.model_dump()), y=_charts.Rate(**p.y.model_dump()), href=anchors.get(p.name, "")
        )
        for p in c.tradeoff
    ]
    return _chart(_charts.tradeoff_chart, points, title=c.tradeoff_title, min_n=c.min_n, chart_id="chart-tradeoff-svg")


def timeline_svg(data: ReportData) -> Markup | None:
    c = data.charts
    if not c.timeline:
        return None
    series = {name: [_charts.TimePoint(**p.model_dump()) for p in pts] for name, pts in c.timeline.items()}
    return _chart(_charts.timeline_chart, series, title=c.timeline_title, value_label=c.timeline_label, chart_id="chart-timeline-svg")


def breakdown_svgs(data: ReportData, target: TargetSection) -> list[tuple[str, Markup]]:
    """``(by, svg)`` per breakdown of one target (by ``variant_id``, by language, ...)."""
    out = []
    for i, b in enumerate(target.charts.breakdowns):
        rows = [_charts.BarRow(**r.model_dump(exclude={"href"})) for r in b.rows]
        out.append(
            (
                b.by,
                _chart(
                    _charts.breakdown_chart,
                    rows,
                    title=b.title,
                    value_label=b.value_label,
                    min_n=data.charts.min_n,
                    chart_id=f"{target.anchor}-bd{i}",
                ),
            )
        )
    return out


def grade_svgs(data: ReportData, target: TargetSection) -> list[tuple[str, Markup]]:
    """``(pack_id, svg)`` per pack that grades each hazard."""
    return [
        (
            g.pack_id,
            _chart(
                _charts.grade_strip, [tuple(x) for x in g.grades], title=g.title, names=data.hazard_names, chart_id=f"{target.anchor}-gr{i}"
            ),
        )
        for i, g in enumerate(target.charts.grades)
    ]


# -- the page's stylesheet, script and Content-Security-Policy ------------------------------


@cache
def _asset(name: str) -> str:
    """A stylesheet or script shipped beside the template (``report.css``, ``report.js``;
    pyproject's package data ships ``*.css`` and ``*.js``), read as is: no template syntax."""
    return resources.files("accord.report").joinpath("templates", name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def stylesheet() -> Markup:
    """The page's CSS: the stylesheet, the heat-map colour steps and the charts' own rules."""
    return Markup(_asset("report.css") + "\n" + _heat_css() + "\n" + _charts.CHART_CSS)


@lru_cache(maxsize=1)
def script() -> Markup:
    """The page's one script (sorting, opening linked and printed sections); optional."""
    return Markup(_asset("report.js").strip())


def csp() -> str:
    """Nothing may be fetched, framed, submitted or run, except the page's own script by hash.

    ``default-src 'none'`` covers images, fonts, frames, connections and media; styles are
    the inline stylesheet and the per-element CSS variables of the interval bars.
    """
    digest = base64.b64encode(hashlib.sha256(str(script()).encode("utf-8")).digest()).decode("ascii")
    return f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"


# -- the page -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("accord.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        pct=_fmt.pct,
        ci=_fmt.ci,
        threshold=_fmt.threshold,
        decision_class=_fmt.decision_class,
        descriptive_grade=_fmt.descriptive_grade,
        is_descriptive=_fmt.is_descriptive,
        grade_caveat=_fmt.grade_caveat,
        heat_colour=heat_colour,
        text_colour=text_colour,
        judge_recall_text=_fmt.judge_recall_text,
        floor_effect_text=_fmt.floor_effect_text,
        unassessed_text=_fmt.unassessed_text,
        num=_num,
        slug=slug,
        base_id=base_id,
    )
    env.tests["floor_reason"] = is_floor_reason
    env.globals.update(
        not_validated_text=_fmt.not_validated_text,
        interval_bar=interval_bar,
        heat_class=heat_class,
        rule_anchor=rule_anchor,
        section_id=section_id,
        pack_anchor=pack_anchor,
        DRILL_LIMIT=DRILL_LIMIT,
        EXAMPLE_LIMIT=EXAMPLE_LIMIT,
        MIN_N=MIN_N,
    )
    return env


#: Findings per target shown in the summary (the most severe first); the rest open its section.
FINDINGS_SHOWN = 3
_SEVERITY = {"high": 0, "medium": 1, "low": 2, "info": 3}


def split_findings(findings: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
    """The findings the summary shows and the ones left for the target's section.

    Nine targets with five findings each do not fit one screen; the summary keeps the three
    most severe per target (stable order within a severity), the section shows the others.
    """
    ranked = sorted(findings, key=lambda f: _SEVERITY.get(f.severity, 9))
    return ranked[:FINDINGS_SHOWN], ranked[FINDINGS_SHOWN:]


def je_changed(targets: Sequence[TargetSection]) -> int:
    """How many targets' floor result differs with and without the judge's measured error."""
    return sum(1 for t in targets if t.judge_error and t.judge_error.floor_status != t.judge_error.floor_status_perfect)


def _context(data: ReportData) -> dict[str, Any]:
    # The floor's column ("universal") first: it applies everywhere.
    jurisdictions = sorted(data.matrix.jurisdictions, key=lambda j: j != UNIVERSAL)
    names: dict[str, str] = {}
    packs: dict[str, list[str]] = {}
    for p in data.packs:
        names.setdefault(p.jurisdiction, p.jurisdiction_name or p.jurisdiction)
        packs.setdefault(p.jurisdiction, []).append(p.pack_id)
    order = list(data.hazard_names)
    rules = pack_rules(data)
    known = {"rule-floor"} | {r.anchor for pr in rules for r in pr.rules}
    return {
        "r": data,
        "jurisdictions": jurisdictions,
        "jur_names": names,
        "jur_packs": packs,
        "cell_map": {(c.target, c.jurisdiction): c for c in data.matrix.cells},
        "floor_failed": {t.target for t in data.targets if t.floor.status == "fail"},
        "by_name": {t.target: t for t in data.targets},
        "heat_grid": lambda t: heat_grid(t, order),
        "requirement_groups": requirement_groups,
        "hazard_table": lambda t: hazard_table(t, order),
        "status_counts": status_counts,
        "reported_only": reported_only,
        "target_notes": target_notes,
        "target_corrections": target_corrections,
        "row_n": row_n,
        "floor_cells": floor_cells,
        "divergence_matrix": divergence_matrix,
        "common_notes": common_notes(data),
        "common_corrections": common_corrections(data),
        "drill_groups": drill_groups,
        "drill_shown": drill_shown,
        "corrected_differs": corrected_differs,
        "pack_rules": rules,
        "reason_anchor": lambda packs_, rid: reason_anchor(packs_, rid, known),
        "grid_svg": grid_svg(data),
        "tradeoff_svg": tradeoff_svg(data),
        "timeline_svg": timeline_svg(data),
        "breakdown_svgs": lambda t: breakdown_svgs(data, t),
        "grade_svgs": lambda t: grade_svgs(data, t),
        "split_findings": split_findings,
        "je_changed": je_changed,
        "findings_of": {f.target: f for f in data.findings},
        "css": stylesheet(),
        "js": script(),
        "csp": csp(),
    }


def render_html(data: ReportData) -> str:
    """The report as one HTML document (UTF-8 text)."""
    return _env().get_template("report.html.j2").render(**_context(data))
