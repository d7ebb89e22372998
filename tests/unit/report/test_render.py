"""The renderers: JSON is the data, Markdown and HTML say the same things, nothing leaks.

HTML checks here read the bytes (no browser): escaping, self-containment (the CSP meta, no
URL anywhere), the findings-first order, collapsed per-target sections whose every link
lands, rules stated once, heat-map cells that show thin evidence, the provenance block and
the drill-down (responses only when the model carries them). The page as Chromium lays it
out is in ``tests/integration/test_report_html.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from accord.report import ReportData, render
from accord.report._fmt import descriptive_grade, grade_text, is_descriptive
from accord.report._html import (
    DRILL_LIMIT,
    FINDINGS_SHOWN,
    divergence_matrix,
    heat_class,
    heat_colour,
    heat_grid,
    interval_bar,
    script,
    split_findings,
    text_colour,
)
from accord.report._model import SCHEMA_VERSION, Attestation, DivergenceSection, DrillItem, Finding, JudgeLabel
from tests.unit.report._data import HARMFUL_MARKER
from tests.unit.report._dom import Node, parse


def test_json_is_the_report_data_round_trip(data: Any) -> None:
    text = render(data, "json")
    again = ReportData.model_validate_json(text)
    assert again == data
    doc = json.loads(text)
    assert doc["schema_version"] == SCHEMA_VERSION
    assert {c["decision"] for c in doc["matrix"]["cells"] if c["target"] == "model-b"} == {"blocked"}


@pytest.mark.parametrize("fmt", ["html", "md", "json"])
def test_no_model_output_reaches_any_format(data: Any, fmt: str) -> None:
    assert HARMFUL_MARKER not in render(data, fmt)  # type: ignore[arg-type]


def test_markdown_tables_stay_tables(data: Any) -> None:
    """Every table row has as many cells as its header, whatever the cell text holds."""
    lines = render(data.model_copy(update={"title": "a | b <script>x</script>"}), "md").splitlines()
    assert lines[0] == "# a \\| b &lt;script&gt;x&lt;/script&gt;"
    header_cells = None
    for line in lines:
        if not line.startswith("|"):
            header_cells = None
            continue
        cells = len(re.findall(r"(?<!\\)\|", line)) - 1
        if header_cells is None:
            header_cells = cells
        assert cells == header_cells, line


# -- HTML: escaping and self-containment --------------------------------------------------

EVIL = '<img src=x onerror="alert(1)">&<script>alert(2)</script>'


def _hostile(data: Any) -> Any:
    """The report with markup in the title and in a target's display name everywhere it is used."""
    old = data.targets[0].target
    targets = [t.model_copy(update={"target": EVIL}) if t.target == old else t for t in data.targets]
    cells = [c.model_copy(update={"target": EVIL}) if c.target == old else c for c in data.matrix.cells]
    matrix = data.matrix.model_copy(update={"targets": [EVIL if x == old else x for x in data.matrix.targets], "cells": cells})
    findings = [f.model_copy(update={"target": EVIL}) if f.target == old else f for f in data.findings]
    charts = data.charts.model_copy(
        update={
            "grid": [g.model_copy(update={"row": EVIL}) if g.row == old else g for g in data.charts.grid],
            "grid_rows": [EVIL if x == old else x for x in data.charts.grid_rows],
            "tradeoff": [p.model_copy(update={"name": EVIL}) if p.name == old else p for p in data.charts.tradeoff],
        }
    )
    return data.model_copy(
        update={"title": "<script>alert(1)</script>", "targets": targets, "matrix": matrix, "findings": findings, "charts": charts}
    )


def test_html_escapes_every_name_it_shows(data: Any) -> None:
    html = render(_hostile(data), "html")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img" not in html.lower() and "<script>alert(2)" not in html
    assert html.count("&lt;img src=x") >= 4  # matrix, findings, section, charts: all escaped
    doc = parse(html)
    assert doc.one("details", cls="target", data_target=EVIL)


def test_html_is_self_contained_and_its_csp_forbids_every_fetch(data: Any) -> None:
    html = render(data, "html")
    lowered = html.lower()
    for needle in ("<link", "<img", "<iframe", "<object", "<embed", "<base", "@import", "@font-face", "src=", "srcset", "//cdn"):
        assert needle not in lowered, needle
    # a URL may be shown as text (a target's endpoint), never in an attribute the browser follows
    urls = re.findall(r'\s(?:href|src|action|formaction|poster|data|xlink:href)\s*=\s*"(?:https?:)?//[^"]*"', lowered)
    assert not urls, urls
    # url() only ever names an in-page SVG pattern
    assert all(u.startswith("url(#") for u in re.findall(r"url\([^)]*\)", html)), re.findall(r"url\([^)]*\)", html)
    hrefs = re.findall(r'href\s*=\s*"([^"]*)"', html)
    assert hrefs and all(h.startswith("#") for h in hrefs), [h for h in hrefs if not h.startswith("#")]
    # exactly one script: inline, no src, allowed by its hash and by nothing else
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert len(scripts) == 1 and scripts[0][0] == ""
    doc = parse(html)
    csp = doc.one("meta", http_equiv="Content-Security-Policy").attrs["content"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    digest = base64.b64encode(hashlib.sha256(scripts[0][1].encode()).digest()).decode()
    assert directives["script-src"] == f"'sha256-{digest}'" and scripts[0][1] == str(script())
    assert directives["base-uri"] == "'none'" and directives["form-action"] == "'none'"
    assert "unsafe-eval" not in csp and "'self'" not in csp and "*" not in csp
    # the long prompt's markup is shown as text, not parsed
    assert "&lt;b&gt;event&lt;/b&gt;" in html


# -- HTML: findings first, details on demand, every link lands ----------------------------


def _ids(doc: Node) -> set[str]:
    return {n.attrs["id"] for n in doc.iter() if "id" in n.attrs}


def test_findings_first_then_sections_per_target_collapsed(data: Any) -> None:
    html = render(data, "html")
    order = ["summary", "deployment-matrix", "findings", "targets", "compare", "rules", "judge", "packs", "notes"]
    positions = [html.index(f'id="{i}"') for i in order]
    assert positions == sorted(positions)
    doc = parse(html)
    sections = doc.by_id("targets").find_all("details", cls="target")
    assert [s.attrs["id"] for s in sections] == [t.anchor for t in data.targets]
    assert all("open" not in s.attrs for s in sections), "per-target sections start closed"
    for t in data.targets:
        section = doc.by_id(t.anchor)
        assert section.attrs["data-target"] == t.target
        for part in ("floor", "judge-error", "verdicts", "heatmap", "charts", "divergence", "items", "provenance", "run"):
            assert section.find_all(id=f"{t.anchor}-{part}"), (t.anchor, part)
        # the full spec is in the run details; the display name everywhere else
        assert section.by_id(f"{t.anchor}-run").find_all("code") and t.run.target in section.by_id(f"{t.anchor}-run").text()


def test_every_in_page_link_lands(data: Any) -> None:
    doc = parse(render(data, "html"))
    ids = _ids(doc)
    hrefs = {n.attrs["href"][1:] for n in doc.iter() if n.tag == "a" and "href" in n.attrs}
    assert hrefs and hrefs <= ids, sorted(hrefs - ids)
    toc = doc.by_id("toc")
    assert {a.attrs["href"][1:] for a in toc.find_all("a")} >= {"summary", "deployment-matrix", "findings", "compare"} | {
        t.anchor for t in data.targets
    }


def test_findings_link_to_their_evidence_and_the_rest_sit_in_the_section(data: Any) -> None:
    doc = parse(render(data, "html"))
    cards = doc.by_id("findings").find_all("article", cls="tf")
    assert [c.attrs["data-target"] for c in cards] == [f.target for f in data.findings]
    for f, card in zip(data.findings, cards):
        shown, rest = split_findings(f.findings)
        items = card.find_all("li", cls="finding")
        assert len(items) == len(shown) == min(FINDINGS_SHOWN, len(f.findings))
        assert all(li.one("a", cls="ev").attrs["href"].startswith("#") for li in items)
        section = doc.by_id(f.anchor)
        assert len(section.find_all("li", cls="finding")) == len(rest)


def test_split_findings_keeps_the_most_severe() -> None:
    fs = [Finding(kind="evidence", severity=s, text=s, anchor="a") for s in ("info", "low", "high", "medium", "high")]
    shown, rest = split_findings(fs)
    assert [f.severity for f in shown] == ["high", "high", "medium"] and [f.severity for f in rest] == ["low", "info"]


def test_rules_are_stated_once(data: Any) -> None:
    html = render(data, "html")
    doc = parse(html)
    assert html.count(data.floor_rule.rule.split(";")[0]) == 1
    rules = doc.by_id("rules")
    rows = [n.attrs["id"] for n in rules.iter() if n.tag == "tr" and n.attrs.get("id", "").startswith("rule-")]
    assert rows and len(rows) == len(set(rows))
    for t in data.targets:
        for v in t.verdicts:
            for q in v.requirements:
                # a requirement's citation is in the rules, never in a target's table
                assert q.cite not in doc.by_id(t.anchor).text()


def test_matrix_cells_and_the_floor_per_target(data: Any) -> None:
    doc = parse(render(data, "html"))
    matrix = doc.by_id("deployment-matrix")
    cells = matrix.find_all("td", cls="decision")
    assert len(cells) == len(data.matrix.cells)
    row_b = matrix.one("tr", data_target="model-b")
    assert {c.attrs["data-decision"] for c in row_b.find_all("td", cls="decision")} == {"blocked"}
    assert doc.one(cls="floor-result", data_target="model-b").attrs["data-status"] == "fail"
    assert len(doc.find_all(cls="pack-verdict")) == sum(len(t.verdicts) for t in data.targets)
    assert doc.by_id("judge").attrs["data-judge"] == "embedded"


def test_a_grade_under_a_floor_block_says_it_does_not_lift_it(data: Any) -> None:
    """model-b fails the floor: its AILuminate grade stays, but both formats say it is moot."""
    blocked = next(c for c in data.matrix.cells if c.target == "model-b" and is_descriptive(next(iter(c.grades.values()))))
    allowed = next(c for c in data.matrix.cells if c.target == "model-a" and is_descriptive(next(iter(c.grades.values()))))
    assert blocked.decision == "blocked" and allowed.decision == "allowed"
    grade = next(iter(blocked.grades.values()))
    moot = f"grade: {grade} (floor failed — blocked regardless)"
    doc = parse(render(data, "html"))
    matrix = doc.by_id("deployment-matrix")
    b_cell = matrix.one("tr", data_target="model-b").one("td", data_jurisdiction=blocked.jurisdiction)
    assert b_cell.one(cls="grade").text() == moot
    a_cell = matrix.one("tr", data_target="model-a").one("td", data_jurisdiction=allowed.jurisdiction)
    assert a_cell.one(cls="grade").text() == f"grade: {grade}" and not a_cell.find_all(cls="grade-caveat")
    pack = blocked.packs[0]
    card = doc.by_id("t-model-b").one(cls="pack-verdict", data_pack=pack)
    assert card.one(cls="grade-caveat").text() == "(floor failed — blocked regardless)"
    assert not doc.by_id("t-model-a").one(cls="pack-verdict", data_pack=pack).find_all(cls="grade-caveat")


def test_grade_wording() -> None:
    assert grade_text("Excellent", "blocked", True) == "grade: Excellent (floor failed — blocked regardless)"
    assert grade_text("Excellent", "blocked", False) == "grade: Excellent (a requirement failed — blocked regardless)"
    assert grade_text("Good", "allowed", False) == "grade: Good"
    assert grade_text(None, "blocked", True) is None
    assert descriptive_grade({"eu-ai-act": "fail"}) is None
    assert descriptive_grade({"ailuminate-v1": "Very Good"}) == "Very Good"


# -- HTML: heat map, intervals, divergence ------------------------------------------------


def test_heat_colours_and_thin_evidence() -> None:
    assert heat_colour(None) == "#e5e5e5"
    assert heat_colour(0.0) == "#b2182b" and heat_colour(1.0) == "#92c5de"
    assert heat_colour(-1) == heat_colour(0.0) and heat_colour(2) == heat_colour(1.0)
    assert text_colour(heat_colour(0.0)) == "#fff" and text_colour(heat_colour(0.95)) == "#111"
    # 0% from one response and 0% from 82 do not look alike
    assert heat_class(0.0, 1) == "h0 thin" and heat_class(0.0, 82) == "h0"
    assert heat_class(None, 0) == "nd" and heat_class(0.5, 0) == "nd"


def test_heat_map_merges_packs_with_identical_columns(data: Any) -> None:
    doc = parse(render(data, "html"))
    for t in data.targets:
        grid = heat_grid(t, list(data.hazard_names))
        drawn = set(grid.packs) | {p for same in grid.same.values() for p in same}
        assert drawn == {c.pack_id for c in t.heatmap}
        table = doc.by_id(f"{t.anchor}-heatmap").one("table", cls="heat-table")
        assert [th.attrs["data-pack"] for th in table.find_all("th") if "data-pack" in th.attrs] == grid.packs
        cells = [td for td in table.find_all("td")]
        assert cells and all(td.classes & ({"nd"} | {f"h{i}" for i in range(21)}) for td in cells)
        thin = [td for td in cells if "thin" in td.classes]
        assert all("title" in td.attrs for td in thin), "thin cells carry their interval"


def test_interval_bar_is_one_small_element() -> None:
    bar = str(interval_bar(0.5, 0.4, 0.6, 0.95))
    assert bar == '<i class="iv" style="--a:40.0;--b:20.0;--v:50.0;--t:95.0"></i>'
    assert str(interval_bar(None, None, None, None)) == '<i class="iv nv nt nb"></i>'


def test_divergence_matrix_merges_packs_that_always_agree() -> None:
    d = DivergenceSection(
        packs=["a", "b", "c"],
        matrix=[[0, 0, 5], [0, 0, 5], [1, 1, 0]],
        responses=10,
        disagreeing=6,
        cells=[],
        examples=[],
    )
    m = divergence_matrix(d)
    assert m.groups == [["a", "b"], ["c"]] and m.counts == [[0, 5], [1, 0]]
    apart = d.model_copy(update={"matrix": [[0, 1, 5], [0, 0, 5], [1, 1, 0]]})
    assert divergence_matrix(apart).groups == [["a"], ["b"], ["c"]]


# -- HTML: provenance and drill-down ------------------------------------------------------


def test_provenance_shows_an_attestation_and_how_to_verify(data: Any) -> None:
    t = data.targets[0]
    att = Attestation(
        digest="sha256:" + "ab" * 32,
        keyid="key-<1>",
        log_index=7,
        log_origin="accord.log/test",
        verify="accord verify run.dsse --key SIGNER_VERIFIER_KEY",
        attested_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        verify_note="the keys come from `accord keys show`",
    )
    prov = t.provenance.model_copy(update={"attestations": [att], "attest_hint": None})
    attested = data.model_copy(update={"targets": [t.model_copy(update={"provenance": prov}), *data.targets[1:]]})
    html = render(attested, "html")
    doc = parse(html)
    block = doc.by_id(f"{t.anchor}-provenance")
    assert block.attrs["data-attested"] == "true"
    text = block.one(cls="attestation").text()
    assert att.digest in text and "key-<1>" in text and "log entry 7" in text and att.verify in text and "2026-11-20 09:30 UTC" in text
    assert "key-&lt;1&gt;" in html
    other = doc.by_id(f"{data.targets[1].anchor}-provenance")
    assert other.attrs["data-attested"] == "false" and "accord attest" in other.text()


def _item(status: str, response: str | None = None) -> DrillItem:
    return DrillItem(
        suite_id="suite",
        item_id=f"{status}-1",
        variant_id="none",
        epoch=0,
        hazard="cyber-offense",
        intent="harmful",
        language="en",
        status=status,  # type: ignore[arg-type]
        floor=True,
        labels=[JudgeLabel(judge_id="embedded", judge_version="1", refusal="none", harmful=True)],
        contribution=f"{status} contribution",
        rejected_by=["eu-ai-act"],
        response=response,
    )


def test_drill_down_shows_each_kind_and_responses_only_when_asked(data: Any) -> None:
    t = data.targets[0]
    items = [_item("fail") for _ in range(DRILL_LIMIT + 2)] + [_item("review"), _item("unassessed")]
    dd = t.drilldown.model_copy(
        update={"items": items, "total": 40, "shown": len(items), "counts": {"fail": 38, "review": 1, "unassessed": 1}}
    )
    page = render(data.model_copy(update={"targets": [t.model_copy(update={"drilldown": dd}), *data.targets[1:]]}), "html")
    block = parse(page).by_id(f"{t.anchor}-items")
    rows = block.find_all("tbody")
    assert len(rows) == 3, "one table per kind of problem"
    assert sum(len(b.find_all("tr")) for b in rows) == DRILL_LIMIT + 2  # capped per kind
    assert "accord report --items FILE" in block.text() and not block.find_all(cls="response")
    # with --include-responses the model carries the text: shown, escaped, behind a warning
    with_resp = [_item("fail", response=f"<b>{HARMFUL_MARKER}</b>")]
    dd2 = dd.model_copy(update={"items": with_resp, "responses_included": True})
    page2 = render(data.model_copy(update={"targets": [t.model_copy(update={"drilldown": dd2}), *data.targets[1:]]}), "html")
    block2 = parse(page2).by_id(f"{t.anchor}-items")
    assert HARMFUL_MARKER in block2.one(cls="response").text() and "<b>" + HARMFUL_MARKER not in page2
    assert "may be harmful" in block2.text()


def test_breakdowns_grades_and_timeline_are_placed_when_the_model_has_them(data: Any) -> None:
    from accord.report._model import BarData, Breakdown, GradeStrip, TimePointData

    t = data.targets[0]
    rows = [
        BarData(label=v, value=0.1 * i, low=0.0, high=0.2 * i + 0.1, n=10 * i) for i, v in enumerate(("none", "base64", "<b>rot13</b>"), 1)
    ]
    charts = t.charts.model_copy(
        update={
            "breakdowns": [Breakdown(by="variant_id", title="Harmful compliance by variant", value_label="harmful compliance", rows=rows)],
            "grades": [GradeStrip(pack_id="ailuminate-v1", title="AILuminate grades", grades=[("hate", "Good", 40), ("privacy", None, 3)])],
        }
    )
    when = [datetime(2026, 10, d, tzinfo=UTC) for d in (1, 15)]
    timeline = {t.target: [TimePointData(date=w, value=0.1, low=0.05, high=0.2, n=90, decision="allowed") for w in when]}
    report = data.model_copy(
        update={
            "targets": [t.model_copy(update={"charts": charts}), *data.targets[1:]],
            "charts": data.charts.model_copy(
                update={"timeline": timeline, "timeline_title": "Harmful compliance over time", "timeline_label": "harmful compliance"}
            ),
        }
    )
    html = render(report, "html")
    doc = parse(html)
    section = doc.by_id(f"{t.anchor}-charts")
    assert section.one("figure", cls="breakdown", data_by="variant_id").one("svg")
    assert section.one("figure", cls="grades", data_pack="ailuminate-v1").one("svg")
    assert doc.by_id("chart-timeline").one("svg")
    assert "<b>rot13" not in html and "&lt;b&gt;rot13" in html
    # a finding pointing at the charts now lands on them, not on the trade-off chart
    assert f'href="#{t.anchor}-charts"' in html or not any(k.anchor.endswith("-charts") for f in data.findings for k in f.findings)


def test_markdown_and_html_say_the_same_things_in_the_same_order(data: Any) -> None:
    """Findings first in both; the same decisions per target; the grade caveat in both."""
    md = render(data, "md")
    assert md.index("## Summary") < md.index("## Deployment matrix") < md.index("## Key findings")
    doc = parse(render(data, "html"))
    matrix = doc.by_id("deployment-matrix")
    for target in data.matrix.targets:
        html_decisions = sorted(td.attrs["data-decision"] for td in matrix.one("tr", data_target=target).find_all("td", cls="decision"))
        row = next(line for line in md.splitlines() if line.startswith(f"| {target} |"))
        md_decisions = sorted(cell.split(" · ")[0].strip().lower() for cell in row.strip("|").split("|")[1:])
        assert md_decisions == html_decisions, (target, md_decisions, html_decisions)
    assert "grade: Excellent (floor failed — blocked regardless)" in md
    assert all(f"### {f.target}" in md for f in data.findings)
