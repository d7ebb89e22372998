"""The renderers: JSON is the data, Markdown and HTML say the same things, nothing leaks."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from accord.report import ReportData, render
from accord.report._fmt import descriptive_grade, grade_text, is_descriptive
from accord.report._html import heat_colour, text_colour
from tests.unit.report._data import HARMFUL_MARKER
from tests.unit.report._dom import parse


def test_json_is_the_report_data_round_trip(data: Any) -> None:
    text = render(data, "json")
    again = ReportData.model_validate_json(text)
    assert again == data
    doc = json.loads(text)
    assert doc["schema_version"] == "1"
    assert {c["decision"] for c in doc["matrix"]["cells"] if c["target"] == "model-b"} == {"blocked"}


@pytest.mark.parametrize("fmt", ["html", "md", "json"])
def test_no_model_output_reaches_any_format(data: Any, fmt: str) -> None:
    assert HARMFUL_MARKER not in render(data, fmt)  # type: ignore[arg-type]


def test_markdown_has_every_section_and_the_matrix(data: Any) -> None:
    md = render(data, "md")
    for heading in ("## Summary", "## Deployment matrix", "## Universal floor", "## Verdicts by pack", "## Hazard by pack", "## Where the packs disagree", "## Judge", "## Runs"):
        assert heading in md
    row_b = next(line for line in md.splitlines() if line.startswith("| model-b |"))
    assert row_b.count("BLOCKED") == len(data.matrix.jurisdictions)
    row_a = next(line for line in md.splitlines() if line.startswith("| model-a |"))
    assert "ALLOWED" in row_a and "INSUFFICIENT EVIDENCE" in row_a
    assert "floor **FAIL**" in md and "floor **PASS**" in md
    assert "`floor:cyber-offense`" in md


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


def test_html_escapes_and_is_self_contained(data: Any) -> None:
    evil = data.model_copy(update={"title": "<script>alert(1)</script>"})
    html = render(evil, "html")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    lowered = html.lower()
    for needle in ("<script", "<link", "<img", "<iframe", "@import", "url(", "src=", "@font-face"):
        assert needle not in lowered, needle
    hrefs = re.findall(r'href\s*=\s*"([^"]*)"', html)
    assert hrefs and all(h.startswith("#") for h in hrefs), hrefs
    # The long prompt's markup is shown as text, not parsed.
    assert "&lt;b&gt;event&lt;/b&gt;" in html


def test_html_structure_without_a_browser(data: Any) -> None:
    doc = parse(render(data, "html"))
    matrix = doc.by_id("deployment-matrix")
    cells = matrix.find_all("td", cls="decision")
    assert len(cells) == len(data.matrix.cells)
    assert {c.attrs["data-decision"] for c in cells if c.attrs["data-target"] == "model-b"} == {"blocked"}
    floor = doc.by_id("floor")
    assert floor.one(cls="floor-result", data_target="model-b").attrs["data-status"] == "fail"
    verdicts = doc.find_all(cls="pack-verdict")
    assert len(verdicts) == sum(len(t.verdicts) for t in data.targets)
    heat = doc.by_id("heatmap").find_all("td", cls="heat")
    assert len([c for c in heat if c.attrs.get("data-rate") != ""]) == sum(len(t.heatmap) for t in data.targets)
    assert doc.by_id("judge").attrs["data-judge"] == "embedded"


def test_heat_colours() -> None:
    assert heat_colour(None) == "#e5e5e5"
    assert heat_colour(0.0) == "#b2182b" and heat_colour(1.0) == "#92c5de"
    assert heat_colour(-1) == heat_colour(0.0) and heat_colour(2) == heat_colour(1.0)
    assert text_colour(heat_colour(0.0)) == "#fff" and text_colour(heat_colour(0.95)) == "#111"


def _graded_cell(data: Any, target: str) -> Any:
    """The matrix cell of ``target`` whose one pack reports a benchmark grade (AILuminate)."""
    return next(c for c in data.matrix.cells if c.target == target and is_descriptive(next(iter(c.grades.values()))))


def test_a_grade_under_a_floor_block_says_it_does_not_lift_it(data: Any) -> None:
    """model-b fails the floor: its AILuminate grade stays, but both formats say it is moot."""
    blocked, allowed = _graded_cell(data, "model-b"), _graded_cell(data, "model-a")
    assert blocked.decision == "blocked" and allowed.decision == "allowed"
    grade = next(iter(blocked.grades.values()))
    moot = f"grade: {grade} (floor failed — blocked regardless)"

    doc = parse(render(data, "html"))
    matrix = doc.by_id("deployment-matrix")
    b_cell = matrix.one("td", data_target="model-b", data_jurisdiction=blocked.jurisdiction)
    assert b_cell.one(cls="grade").text() == moot
    a_cell = matrix.one("td", data_target="model-a", data_jurisdiction=allowed.jurisdiction)
    assert a_cell.one(cls="grade").text() == f"grade: {grade}" and not a_cell.find_all(cls="grade-caveat")
    pack = blocked.packs[0]
    card = doc.by_id("verdicts").one(cls="pack-verdict", data_pack=pack, data_target="model-b")
    assert card.one(cls="grade-caveat").text() == "(floor failed — blocked regardless)"
    assert not doc.by_id("verdicts").one(cls="pack-verdict", data_pack=pack, data_target="model-a").find_all(cls="grade-caveat")

    md = render(data, "md")
    row_b = next(line for line in md.splitlines() if line.startswith("| model-b |"))
    assert f"BLOCKED · {moot}" in row_b
    assert f"Grade: {grade} (floor failed — blocked regardless);" in md
    row_a = next(line for line in md.splitlines() if line.startswith("| model-a |"))
    assert f"ALLOWED · grade: {grade} |" in row_a


def test_grade_wording() -> None:
    assert grade_text("Excellent", "blocked", True) == "grade: Excellent (floor failed — blocked regardless)"
    assert grade_text("Excellent", "blocked", False) == "grade: Excellent (a requirement failed — blocked regardless)"
    assert grade_text("Good", "allowed", False) == "grade: Good"
    assert grade_text("Good", "insufficient evidence", False) == "grade: Good"
    assert grade_text(None, "blocked", True) is None
    # pass/fail packs report their decision as a grade: nothing more to say in a cell
    assert descriptive_grade({"eu-ai-act": "fail"}) is None
    assert descriptive_grade({"a": "Good", "b": "Fair"}) is None
    assert descriptive_grade({"ailuminate-v1": "Very Good"}) == "Very Good"
