"""Render ``ReportData`` as one self-contained HTML file.

Self-contained means a reader can open it offline, years later: CSS is inline, charts are
inline SVG and CSS colours, and there is no script, web font or external link to fetch.
Jinja2 autoescaping is on for every value, so a prompt or a pack name can never inject
markup. Elements carry stable ids and ``data-`` attributes (``#deployment-matrix``,
``#floor``, ``.pack-verdict[data-pack]``, ``#heatmap``, ``#divergence``, ``#judge``) so tests
and other tools can read the rendered page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2

from accord.frameworks import PackVerdict, RequirementResult
from accord.report import _fmt
from accord.report._model import HeatCell, ReportData, TargetSection

UNIVERSAL = "universal"

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
    )
    env.globals["not_validated_text"] = _fmt.not_validated_text
    return env


GROUP_TITLES = {"requests": "Harmful and contested requests", "benign": "Benign look-alikes (over-refusal probes)"}


@dataclass(frozen=True)
class HeatGroup:
    group: str
    title: str
    hazards: list[str]


@dataclass(frozen=True)
class HeatGrid:
    groups: list[HeatGroup]
    packs: list[str]
    cells: dict[tuple[str, str, str], HeatCell]


def heat_grid(target: TargetSection, hazard_order: list[str]) -> HeatGrid:
    """Per item group: hazards present (taxonomy order, unknown ones last) x packs."""
    cells = {(c.group, c.hazard, c.pack_id): c for c in target.heatmap}
    groups = []
    for group in dict.fromkeys(c.group for c in target.heatmap):
        present = {c.hazard for c in target.heatmap if c.group == group}
        hazards = [h for h in hazard_order if h in present] + sorted(present - set(hazard_order))
        groups.append(HeatGroup(group, GROUP_TITLES.get(group, group), hazards))
    packs = list(dict.fromkeys(c.pack_id for c in target.heatmap)) or [v.pack_id for v in target.verdicts]
    return HeatGrid(groups, packs, cells)


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


def requirement_groups(verdict: PackVerdict) -> list[RequirementGroup]:
    groups: list[RequirementGroup] = []
    by_base: dict[str, RequirementGroup] = {}
    for q in verdict.requirements:
        base = q.requirement_id.split(":", 1)[0]
        g = by_base.get(base)
        if g is None:
            g = by_base[base] = RequirementGroup(first=q, per_hazard=q.hazard is not None, rows=[], empty={})
            groups.append(g)
        if q.hazard is not None and q.n == 0 and q.unassessed == 0:
            g.empty.setdefault(q.status, []).append(q.hazard)
        else:
            g.rows.append(q)
    return groups


def _context(data: ReportData) -> dict[str, Any]:
    # The floor's column ("universal") first: it applies everywhere.
    jurisdictions = sorted(data.matrix.jurisdictions, key=lambda j: j != UNIVERSAL)
    names: dict[str, str] = {}
    packs: dict[str, list[str]] = {}
    for p in data.packs:
        names.setdefault(p.jurisdiction, p.jurisdiction_name or p.jurisdiction)
        packs.setdefault(p.jurisdiction, []).append(p.pack_id)
    order = list(data.hazard_names)
    return {
        "r": data,
        "jurisdictions": jurisdictions,
        "jur_names": names,
        "jur_packs": packs,
        "cell_map": {(c.target, c.jurisdiction): c for c in data.matrix.cells},
        "floor_failed": {t.target for t in data.targets if t.floor.status == "fail"},
        "heat_grid": lambda t: heat_grid(t, order),
        "requirement_groups": requirement_groups,
    }


def render_html(data: ReportData) -> str:
    """The report as one HTML document (UTF-8 text)."""
    return _env().get_template("report.html.j2").render(**_context(data))
