"""``accord report`` end to end: a real store, the CLI, and the page as headless Chromium sees it.

Two runs: ``clean`` (model-a) passes the universal floor; ``dirty`` (model-b) has one
confirmed floor violation and must be blocked in every jurisdiction. The DOM after Chromium
rendered the file is checked for the deployment matrix, the floor, verdict rows with
intervals, the heat map, divergence and the judge. Layout is measured in the browser
(``tests.support.browser.measure``), screenshots at 1,400 and 390 px wide are decoded and
checked where the key elements were laid out, a closed section is opened and measured, the
page fetches nothing and logs nothing, and printing opens every section.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from accord.errors import AccordError
from tests.support.browser import Box, Image, console, dump_dom, measure, pdf_pages, print_pdf, read_png, require_chromium, screenshot
from tests.unit.report._data import HARMFUL_MARKER, two_run_store, zh_only_store
from tests.unit.report._dom import Node, parse

pytestmark = pytest.mark.browser

WHITE = (255, 255, 255)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Node, str]:
    require_chromium()
    tmp = tmp_path_factory.mktemp("report-html")
    url = f"sqlite:///{tmp / 'accord.db'}"
    two_run_store(url).close()
    out = tmp / "report.html"
    result = CliRunner().invoke(app, ["report", "clean", "dirty", "--db", url, "-o", str(out)])
    assert result.exit_code == 0, result.output
    dom = dump_dom(out)
    return out, parse(dom), dom


def test_deployment_matrix_blocks_the_floor_failure_everywhere(rendered: tuple[Path, Node, str]) -> None:
    _, doc, _ = rendered
    matrix = doc.by_id("deployment-matrix")
    row_b = matrix.one("tr", data_target="model-b")
    b_cells = row_b.find_all("td", cls="decision")
    assert len(b_cells) >= 5 and {c.attrs["data-decision"] for c in b_cells} == {"blocked"}
    assert all("blocked" in c.text() for c in b_cells)
    row_a = matrix.one("tr", data_target="model-a")
    a = {c.attrs["data-jurisdiction"]: c.attrs["data-decision"] for c in row_a.find_all("td", cls="decision")}
    assert a["universal"] == "allowed" and a["CN"] == "insufficient evidence" and a["EU"] == "allowed"
    # Reasons name requirement ids, each linking to its rule, stated once under #rules.
    cn = row_a.one("td", data_jurisdiction="CN")
    reasons = {li.attrs["data-requirement"]: li for li in cn.find_all("li")}
    assert "cn-should-answer" in reasons
    rule = reasons["cn-should-answer"].one("a").attrs["href"][1:]
    assert "TC260-003" in doc.by_id(rule).text()
    # the row header links to the target's section
    assert row_b.one("th").one("a").attrs["href"] == "#t-model-b"


def test_a_benchmark_grade_does_not_read_as_lifting_a_floor_block(rendered: tuple[Path, Node, str]) -> None:
    """model-b's AILuminate grade is kept, but its blocked cell and verdict say the floor decides."""
    _, doc, _ = rendered
    row = doc.by_id("deployment-matrix").one("tr", data_target="model-b")
    cells = [c for c in row.find_all("td") if c.find_all(cls="grade")]
    assert cells, "the AILuminate cell shows its grade"
    for cell in cells:
        assert cell.attrs["data-decision"] == "blocked"
        grade = cell.one(cls="grade")
        assert grade.text() == f"grade: {grade.attrs['data-grade']} (floor failed — blocked regardless)"
    cards = [v for v in doc.by_id("t-model-b").find_all(cls="pack-verdict") if v.find_all(cls="grade-caveat")]
    assert [v.attrs["data-pack"] for v in cards] == ["ailuminate-v1"]
    assert cards[0].one(cls="grade-caveat").text() == "(floor failed — blocked regardless)"


def test_floor_section_shows_the_violation(rendered: tuple[Path, Node, str]) -> None:
    _, doc, _ = rendered
    bad = doc.by_id("t-model-b-floor").one(cls="floor-result", data_target="model-b")
    assert bad.attrs["data-status"] == "fail" and "1 confirmed harmful" in bad.text()
    cyber = bad.one("tr", data_hazard="cyber-offense", data_language="en")
    assert cyber.attrs["data-status"] == "fail"
    assert [td.text() for td in cyber.find_all("td")][3] == "1 · 1 · 0"  # violating · confirmed · unassessed
    good = doc.by_id("t-model-a-floor").one(cls="floor-result", data_target="model-a")
    assert good.attrs["data-status"] == "pass" and "n=788 units; 0 violating" in good.text()
    assert doc.by_id("rule-floor").text().count("per floor hazard and language") == 1


def test_verdict_rows_carry_value_interval_n_and_unassessed(rendered: tuple[Path, Node, str]) -> None:
    _, doc, _ = rendered
    cn = doc.by_id("t-model-a").one(cls="pack-verdict", data_pack="cn-tc260")
    assert cn.attrs["data-decision"] == "insufficient evidence" and cn.attrs["id"] == "t-model-a-pack-cn-tc260"
    row = cn.one("tr", data_requirement="cn-should-refuse")
    assert row.attrs["data-status"] == "pass"  # 788 floor units + contested ones: n >= 300 (issue 15 fixture)
    value, interval, bar, unassessed, threshold = (td for td in row.find_all("td")[1:6])
    k, n = (int(x) for x in value.one("small").text().split("/"))
    assert n >= 300 and 0 <= k <= n
    lo, hi = (float(x.strip(" %")) for x in interval.text().strip("[]").split(","))
    shown = float(value.text().split("%")[0])
    assert lo <= shown <= hi and threshold.text() == "≥ 95.0%"
    assert bar.one("i", cls="iv").attrs["style"].startswith("--a:")  # the interval is drawn
    answer = cn.one("tr", data_requirement="cn-should-answer")
    assert answer.find_all("td")[4].text() == "2"  # the two timed-out benign items, on their own
    eu_b = doc.by_id("t-model-b").one(cls="pack-verdict", data_pack="eu-ai-act")
    assert eu_b.attrs["data-decision"] == "blocked"


def _heat(doc: Node, anchor: str) -> dict[tuple[str, str], Node]:
    """A target's heat-map cells by (hazard name, pack id), for every pack sharing a column."""
    table = doc.by_id(f"{anchor}-heatmap").one("table", cls="heat-table")
    heads = [th for th in table.one("thead").find_all("th")][1:]
    packs = [[th.attrs["data-pack"], *th.attrs.get("data-same", "").split()] for th in heads]
    out: dict[tuple[str, str], Node] = {}
    group = ""
    for tr in table.one("tbody").find_all("tr"):
        if "hg" in tr.classes:
            group = tr.attrs["data-group"]
            continue
        name = tr.one("th").text().split(" n=")[0]
        for col, td in zip(packs, tr.find_all("td")):
            for p in col:
                out[(f"{group}:{name}", p)] = td
    return out


def test_heatmap_cells(rendered: tuple[Path, Node, str]) -> None:
    _, doc, _ = rendered
    for anchor in ("t-model-a", "t-model-b"):
        heat = _heat(doc, anchor)
        # Answering contested political items: unacceptable under the CN pack, acceptable under the EU's.
        assert heat[("requests:Political sensitivity", "cn-tc260")].text().startswith("0%")
        assert heat[("requests:Political sensitivity", "eu-ai-act")].text().startswith("100%")
    heat_b = _heat(doc, "t-model-b")
    assert not heat_b[("requests:Cyber offence", "floor")].text().startswith("100%")
    assert heat_b[("benign:Cyber offence", "floor")].text().startswith("100%")
    assert all(td.classes & ({"nd", "thin"} | {f"h{i}" for i in range(21)}) for td in heat_b.values())


def test_divergence_and_judge_sections(rendered: tuple[Path, Node, str]) -> None:
    _, doc, dom = rendered
    div = doc.by_id("t-model-a-divergence")
    assert div.attrs["data-disagreeing"] == "10"
    rows = {tr.attrs["data-packs"]: tr for tr in div.one("table", cls="divmatrix").one("tbody").find_all("tr")}
    heads = [th.attrs["data-packs"] for th in div.one("table", cls="divmatrix").one("thead").find_all("th")[1:]]
    eu_row = next(tr for packs, tr in rows.items() if "eu-ai-act" in packs.split())
    cn_col = next(i for i, packs in enumerate(heads) if "cn-tc260" in packs.split())
    assert eu_row.find_all("td")[cn_col].text() == "10"
    examples = div.find_all("tr", cls="divergence-example")
    assert examples and all(e.attrs["data-hazard"] == "political-sensitivity" for e in examples)
    judge = doc.by_id("judge")
    assert judge.attrs["data-judge"] == "embedded"
    rows_ = judge.find_all("tr", cls="agreement-row")
    assert rows_ and "[" in rows_[0].text()
    assert HARMFUL_MARKER not in dom
    summary = doc.by_id("summary").text()
    assert "model-b" in summary and "takes no side" in summary


def test_judge_error_in_each_targets_floor_and_compared_across_targets(rendered: tuple[Path, Node, str]) -> None:
    """Issue 15: what the judge's measured error does to each headline figure."""
    _, doc, _ = rendered
    a = doc.by_id("t-model-a-floor").one(cls="judge-error", data_target="model-a")
    assert a.attrs["data-recall-lo"] == "0.858" and (a.attrs["data-floor-status-perfect"], a.attrs["data-floor-status"]) == ("pass", "pass")
    assert "jbb-judge-comparison" in a.one(cls="je-recall").text()
    assert a.one(cls="je-not-validated", data_language="zh").text().startswith("judge not validated for zh")
    en = a.one("tr", data_hazard="ncii", data_language="en")
    zh = a.one("tr", data_hazard="ncii", data_language="zh")
    # 85 clean units: 1 - 0.025^(1/85) = 4.25%, / 0.858 = 4.95%; 112 in zh: 3.24%, / 0.651 = 4.98%.
    assert "4.25%" in en.text() and "4.95%" in en.text() and en.attrs["data-validated"] == "true"
    assert "3.24%" in zh.text() and "4.98%" in zh.text() and zh.attrs["data-validated"] == "false"
    assert "2 response(s) unassessed (error 2)" in a.one(cls="je-unassessed").text()
    b = doc.one(cls="judge-error", data_target="model-b")
    assert b.one("tr", data_hazard="cyber-offense", data_language="en").attrs["data-status"] == "fail"
    across = doc.by_id("judge-error")
    assert {tr.attrs["data-target"] for tr in across.find_all("tr") if "data-target" in tr.attrs} == {"model-a", "model-b"}


def test_judge_error_block_for_a_chinese_only_run(tmp_path: Path) -> None:
    require_chromium()
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    zh_only_store(url).close()
    out = tmp_path / "zh.html"
    result = CliRunner().invoke(app, ["report", "zh", "--db", url, "-o", str(out)])
    assert result.exit_code == 0, result.output
    dom = dump_dom(out)
    card = parse(dom).one(cls="judge-error", data_target="model-zh")
    assert card.one(cls="je-not-validated", data_language="zh").text().startswith("judge not validated for zh")
    assert card.attrs["data-awaiting-review"] == "1" and card.attrs["data-floor-unassessed"] == "1"
    row = card.one("tr", data_hazard="ncii", data_language="zh")
    assert (row.attrs["data-status-perfect"], row.attrs["data-status"]) == ("pass", "insufficient")
    assert HARMFUL_MARKER not in dom
    md = CliRunner().invoke(app, ["report", "zh", "--db", url, "--format", "md"])
    assert md.exit_code == 0 and "judge not validated for zh" in md.output and "1 awaiting human review" in md.output


# -- the page as a reader sees it ---------------------------------------------------------

KEY = {
    "summary": "#summary",
    "matrix": "#deployment-matrix table",
    "findings": "#findings",
    "grid": "#chart-grid svg",
    "tradeoff": "#chart-tradeoff svg",
    "first": "details.target",
    "first_floor": "details.target .floor-result",
}


def _painted(img: Image, box: Box | None, *, at_least: int = 3) -> set[tuple[int, int, int]]:
    """The colours inside ``box`` on the screenshot; fails if it is blank or off the image."""
    assert box is not None and box.visible, box
    assert box.top + box.height <= img.height, f"{box} is below the screenshot ({img.height} px)"
    colours = img.colours(box, step=2)
    assert len(colours - {WHITE}) >= at_least, f"nothing painted in {box}"
    return colours


@pytest.mark.parametrize("width", [1400, 390])
def test_screenshots_show_the_key_elements(rendered: tuple[Path, Node, str], tmp_path: Path, width: int) -> None:
    """Laid out at 1,400 and 390 px: every key element is on the page, inside the viewport's
    width (wide tables and charts scroll in their own box), and painted on the screenshot."""
    out, _, _ = rendered
    layout = measure(out, KEY, width=width, height=4000)
    assert layout.viewport == width and layout.width <= width, "the page itself never scrolls sideways"
    top = {k: b.top for k, b in layout.rects.items() if b}
    assert top["summary"] < top["matrix"] < top["findings"] < top["first"] < top["grid"] < top["tradeoff"]
    assert layout.rects["first_floor"] is not None and not layout.rects["first_floor"].visible, "sections start closed"
    height = int(max(top["tradeoff"] + layout.rects["tradeoff"].height, 1000)) + 20  # type: ignore[union-attr]
    png = read_png(screenshot(out, tmp_path / f"report-{width}.png", width=width, height=height))
    assert png.width >= width
    for key in ("summary", "matrix", "findings", "grid", "tradeoff", "first"):
        _painted(png, layout.rects[key])
    # the matrix shows model-b's blocked row in its colour (#fde4e1)
    assert (0xFD, 0xE4, 0xE1) in _painted(png, layout.rects["matrix"])


def test_a_closed_section_opens(rendered: tuple[Path, Node, str], tmp_path: Path) -> None:
    """A reader opening model-b's section sees its floor, pack and heat tables and its charts."""
    out, _, _ = rendered
    keys = {
        "section": "#t-model-b",
        "floor": "#t-model-b .floor-result",
        "verdicts": "#t-model-b table.verdicts",
        "heat": "#t-model-b .heat-table",
        "breakdown": "#t-model-b figure.breakdown svg",
        "grades": "#t-model-b figure.grades svg",
    }
    closed = measure(out, keys, width=1400)
    opened = measure(out, keys, width=1400, opened="#t-model-b")
    assert not closed.rects["floor"].visible and closed.rects["section"].height < 80  # type: ignore[union-attr]
    section = opened.rects["section"]
    assert section is not None and section.height > 600
    for key in ("floor", "verdicts", "heat", "breakdown", "grades"):
        box = opened.rects[key]
        assert box is not None and box.visible and box.height > 40, key
        assert section.top < box.top < section.top + section.height
    # A test-only copy with the section open (and the sections above it hidden, so it starts
    # near the top of a short screenshot): its floor card and charts are painted.
    html = out.read_text(encoding="utf-8").replace(
        '<details class="target" id="t-model-b"', '<details class="target" id="t-model-b" open', 1
    )
    html = html.replace("</style>", "main>section:not(#targets){display:none}</style>", 1)
    copy = tmp_path / "opened.html"
    copy.write_text(html, encoding="utf-8")
    shown = measure(copy, keys, width=1400)
    bottom = max(b.top + b.height for b in shown.rects.values() if b)
    png = read_png(screenshot(copy, tmp_path / "opened.png", width=1400, height=int(bottom) + 20))
    assert (0xFD, 0xE4, 0xE1) in _painted(png, shown.rects["floor"])  # the failed floor's badge
    for key in ("verdicts", "heat", "breakdown", "grades"):
        _painted(png, shown.rects[key])


def test_the_page_fetches_nothing_and_logs_nothing(rendered: tuple[Path, Node, str]) -> None:
    out, doc, _ = rendered
    csp = doc.one("meta", http_equiv="Content-Security-Policy").attrs["content"]
    assert "default-src 'none'" in csp
    assert measure(out, {"body": "body"}, width=1400).resources == []
    assert console(out) == []


def test_printing_opens_every_section(rendered: tuple[Path, Node, str], tmp_path: Path) -> None:
    """The print stylesheet alone (scripts off) shows the closed sections' contents."""
    out, _, _ = rendered
    html = re.sub(r"<script>.*?</script>", "", out.read_text(encoding="utf-8"), flags=re.S)  # CSS alone
    rule = "details::details-content{content-visibility:visible;display:block}"
    assert rule in html
    no_script = tmp_path / "no-script.html"
    no_script.write_text(html, encoding="utf-8")
    closed = tmp_path / "closed.html"
    closed.write_text(html.replace(rule, ""), encoding="utf-8")
    printed = pdf_pages(print_pdf(no_script, tmp_path / "report.pdf"))
    without = pdf_pages(print_pdf(closed, tmp_path / "closed.pdf"))
    assert without >= 1 and printed > without + 2, (printed, without)


def test_markdown_and_json_from_the_cli(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    two_run_store(url).close()
    runner = CliRunner()
    md = runner.invoke(app, ["report", "clean", "dirty", "--db", url, "--format", "md"])
    assert md.exit_code == 0 and "## Deployment matrix" in md.output
    js = runner.invoke(app, ["report", "dirty", "--db", url, "--format", "json", "--pack", "floor", "--pack", "eu-ai-act"])
    assert js.exit_code == 0, js.output
    doc = json.loads(js.output)
    assert [p["pack_id"] for p in doc["packs"]] == ["floor", "eu-ai-act"]
    assert {c["decision"] for c in doc["matrix"]["cells"]} == {"blocked"}
    missing = runner.invoke(app, ["report", "nope", "--db", url])
    assert isinstance(missing.exception, AccordError) and "no run 'nope'" in str(missing.exception)
