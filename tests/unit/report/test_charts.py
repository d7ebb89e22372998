"""The report's inline-SVG charts: thin evidence looks thin, intervals land where they should,
hostile labels stay text, empty inputs give a small "no data" figure, markup stays small.

The SVG is parsed as XML (it has no namespace declaration, so element names are bare), which
also proves every chart is well-formed whatever its labels contain.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from accord.report._charts import (
    GRADE_COLOURS,
    MUTED,
    NO_DATA,
    SERIES_COLOURS,
    TEXT,
    BarRow,
    GridCell,
    Rate,
    TimePoint,
    TradeoffPoint,
    breakdown_chart,
    grade_strip,
    grid_chart,
    no_data_chart,
    pale,
    ramp_colour,
    timeline_chart,
    tradeoff_chart,
)

HOSTILE = '<script>alert(\'x\')</script>" onmouseover="alert(1)" & </svg><img src=x>'


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(el: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in el.iter("text")]


def group(root: ET.Element, cls: str) -> ET.Element:
    found = [g for g in root.iter("g") if g.get("class") == cls]
    assert len(found) == 1, f"expected one <g class={cls!r}>"
    return found[0]


def segments(d: str) -> list[tuple[float, float]]:
    """Start points of the ``M x y h w`` segments a grid's cell and hatch paths are made of."""
    return [(float(x), float(y)) for x, y in re.findall(r"M(-?[\d.]+) (-?[\d.]+)", d)]


def cells_of(svg: str) -> list[tuple[tuple[float, float], str]]:
    """The grid's cells in row-major order: (segment start, colour)."""
    root = parse(svg)
    paths = list(group(root, "cells").iter("path"))
    return [(segments(p.get("d", ""))[0], p.get("stroke", "")) for p in paths]


def hatched(svg: str) -> set[tuple[float, float]]:
    root = parse(svg)
    hatch = [p for p in root.iter("path") if p.get("class") == "hatch"]
    return set(segments(hatch[0].get("d", ""))) if hatch else set()


def luminance(colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    def full(c: str) -> str:
        return "#" + "".join(ch * 2 for ch in c[1:]) if len(c) == 4 else c

    la, lb = sorted((luminance(full(a)), luminance(full(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# --------------------------------------------------------------------------- samples


def sample_grid(**kw: object) -> str:
    cells = [
        GridCell("a", "h1", 0.0, 1, 0.0, 0.975),
        GridCell("b", "h1", 0.0, 82, 0.0, 0.044),
        GridCell("a", "h2", None, 5),
        GridCell("b", "h2", 0.4, 0),
    ]
    args: dict[str, object] = {"title": "grid", "row_names": {"a": "Model A", "b": "Model B"}}
    args.update(kw)
    return grid_chart(cells, ["a", "b"], ["h1", "h2", "h3"], **args)  # type: ignore[arg-type]


def sample_tradeoff() -> str:
    return tradeoff_chart(
        [
            TradeoffPoint("solid", Rate(0.10, 0.05, 0.20, 200), Rate(0.05, 0.02, 0.09, 300)),
            TradeoffPoint("thin", Rate(0.04, 0.0, 0.30, 5), Rate(0.02, 0.0, 0.4, 5)),
            TradeoffPoint("missing", Rate(None), Rate(0.1, 0.05, 0.2, 40)),
        ],
        title="trade-off",
    )


def sample_breakdown() -> str:
    return breakdown_chart(
        [
            BarRow("base", 0.20, 0.10, 0.30, 200, "variant_id"),
            BarRow("gcg", 0.50, 0.10, 0.90, 4, "variant_id"),
            BarRow("role-play", None, None, None, 0, "variant_id"),
            BarRow("en", 0.05, 0.03, 0.08, 400, "language"),
        ],
        title="breakdown",
        value_label="attack success rate",
    )


def sample_grades() -> str:
    return grade_strip(
        [("vcr", "Poor", 100), ("ncr", "Excellent", 80), ("cse", None, 12), ("hte", None, 0)],
        title="grades",
        names={"vcr": "violent crimes"},
    )


def sample_timeline() -> str:
    return timeline_chart(
        {
            "Model A": [
                TimePoint(date(2026, 6, 1), 0.02, 0.0, 0.05, 300, "allowed"),
                TimePoint(date(2026, 1, 5), 0.12, 0.08, 0.17, 300, "blocked"),
                TimePoint(date(2026, 3, 1), 0.06, 0.03, 0.10, 300, "insufficient evidence"),
            ],
            "Model B": [TimePoint(datetime(2026, 2, 5, 12), 0.2, 0.1, 0.3, 20, None), TimePoint(date(2026, 6, 2), None, n=0)],
        },
        title="timeline",
        value_label="violation rate",
    )


ALL: dict[str, Callable[[], str]] = {
    "grid": sample_grid,
    "tradeoff": sample_tradeoff,
    "breakdown": sample_breakdown,
    "grades": sample_grades,
    "timeline": sample_timeline,
}


# --------------------------------------------------------------------------- every chart


@pytest.mark.parametrize("kind", sorted(ALL))
def test_every_chart_is_accessible_scalable_and_self_contained(kind: str) -> None:
    svg = ALL[kind]()
    root = parse(svg)
    assert root.tag == "svg"
    assert root.get("data-chart") == kind
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert re.fullmatch(r"--w:[\d.]+px;max-width:[\d.]+px;height:auto", root.get("style", "")), "scales with its container"
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox", ""))
    title_id = root.get("aria-labelledby", "")
    titles = [t for t in root.iter("title") if t.get("id") == title_id]
    assert titles and titles[0].text, "aria-labelledby must name the chart's <title>"
    assert root[0].tag == "title", "the chart's <title> comes first"
    assert any(d.get("id") == root.get("aria-describedby") for d in root.iter("desc"))
    lowered = svg.lower()
    assert "<script" not in lowered and "http" not in lowered and "javascript:" not in lowered
    assert "<image" not in lowered and "@import" not in lowered and "xlink" not in lowered
    assert all(m == "url(#" for m in re.findall(r"url\(.?", svg)), "only in-page paint references"
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', svg))
    assert svg == ALL[kind](), "output must be deterministic"


@pytest.mark.parametrize(
    "make",
    [
        lambda: grid_chart([], [], [], title="t"),
        lambda: grid_chart([], ["a"], ["h"], title="t"),
        lambda: tradeoff_chart([], title="t"),
        lambda: breakdown_chart([], title="t", value_label="v"),
        lambda: grade_strip([], title="t"),
        lambda: timeline_chart({}, title="t", value_label="v"),
        lambda: timeline_chart({"A": []}, title="t", value_label="v"),
        lambda: no_data_chart("t"),
    ],
)
def test_empty_input_gives_a_small_no_data_figure(make: Callable[[], str]) -> None:
    svg = make()
    root = parse(svg)
    assert root.get("data-state") == "no-data"
    assert root.get("role") == "img"
    assert "no data" in " ".join(texts(root))
    assert len(svg) < 800


def test_hostile_labels_stay_text_everywhere() -> None:
    svgs = [
        grid_chart(
            [GridCell(HOSTILE, HOSTILE, 0.5, 40, 0.3, 0.7, label=HOSTILE, href=HOSTILE)],
            [HOSTILE],
            [HOSTILE],
            title=HOSTILE,
            value_label=HOSTILE,
            row_names={HOSTILE: HOSTILE},
        ),
        tradeoff_chart(
            [TradeoffPoint(HOSTILE, Rate(0.1, 0.0, 0.2, 50), Rate(0.1, 0.0, 0.2, 50), href=HOSTILE)],
            title=HOSTILE,
            x_label=HOSTILE,
            y_label=HOSTILE,
        ),
        breakdown_chart([BarRow(HOSTILE, 0.1, 0.0, 0.2, 50, group=HOSTILE, href=HOSTILE)], title=HOSTILE, value_label=HOSTILE),
        grade_strip([(HOSTILE, HOSTILE, 10)], title=HOSTILE, names={HOSTILE: HOSTILE}),
        timeline_chart({HOSTILE: [TimePoint(date(2026, 1, 1), 0.1, 0.0, 0.2, 50, HOSTILE)]}, title=HOSTILE, value_label=HOSTILE),
        no_data_chart(HOSTILE, HOSTILE),
    ]
    for svg in svgs:
        root = parse(svg)  # well-formed: nothing broke out of an attribute or element
        assert root.tag == "svg"
        assert "<script" not in svg and "<img" not in svg and 'onmouseover="' not in svg
        assert "&lt;script&gt;" in svg
        assert not any(k.startswith("on") for el in root.iter() for k in el.attrib), "no event handler attribute"
        assert [t.text for t in root.iter("title")][0] == HOSTILE, "the title round-trips as text"


def test_only_in_page_links_are_kept() -> None:
    cells = [
        GridCell("a", "h", 0.5, 40, href="#t-a"),
        GridCell("b", "h", 0.5, 40, href="javascript:alert(1)"),
        GridCell("c", "h", 0.5, 40, href="https://evil.example/"),
    ]
    svg = grid_chart(cells, ["a", "b", "c"], ["h"], title="t", row_hrefs={"a": "#t-a", "b": "//evil.example", "c": "# x"})
    assert re.findall(r'href="([^"]*)"', svg) == ["#t-a", "#t-a"]


def test_charts_on_one_page_get_distinct_ids_unless_the_caller_names_them() -> None:
    a = grid_chart([GridCell("a", "h", 0.1, 40)], ["a"], ["h"], title="same")
    b = grid_chart([GridCell("a", "h", 0.2, 40)], ["a"], ["h"], title="same")
    ids = lambda s: set(re.findall(r' id="([^"]+)"', s))  # noqa: E731
    assert ids(a) and not ids(a) & ids(b)
    named = grid_chart([GridCell("a", "h", 0.1, 40)], ["a"], ["h"], title="same", chart_id="chart grid/1")
    assert 'id="chart-grid-1-t"' in named


def test_palette_keeps_text_readable_and_graphics_visible() -> None:
    for i in range(101):
        for better in (True, False):
            colour = ramp_colour(i / 100, higher_is_better=better)
            assert contrast(colour, TEXT) >= 4.5, colour
            assert contrast(pale(colour), TEXT) >= 4.5, colour
    for colour in [*GRADE_COLOURS.values(), NO_DATA]:
        assert contrast(colour, TEXT) >= 4.5, colour
    assert contrast(MUTED, NO_DATA) >= 4.5
    for colour in SERIES_COLOURS:
        assert contrast(colour, "#ffffff") >= 3.0, colour


def test_ramp_runs_from_bad_to_good_in_the_stated_direction() -> None:
    assert ramp_colour(1.0) == ramp_colour(0.0, higher_is_better=False) == "#4393c3"
    assert ramp_colour(0.0) == ramp_colour(1.0, higher_is_better=False) == "#d6604d"
    assert ramp_colour(None) == ramp_colour(float("nan")) == NO_DATA
    assert ramp_colour(1.5) == ramp_colour(1.0) and ramp_colour(-1.0) == ramp_colour(0.0)


# --------------------------------------------------------------------------- grid


def test_grid_n1_zero_looks_different_from_n82_zero() -> None:
    svg = sample_grid()
    cells = cells_of(svg)  # row-major: a/h1, a/h2, a/h3, b/h1, b/h2, b/h3
    (a1_at, a1_colour), (b1_at, b1_colour) = cells[0], cells[3]
    assert b1_colour == ramp_colour(0.0)
    assert a1_colour == pale(ramp_colour(0.0)) != b1_colour
    assert a1_at in hatched(svg) and b1_at not in hatched(svg)
    assert hatched(svg) == {a1_at}, "only the thin cell is hatched"
    counts = texts(group(parse(svg), "counts"))
    assert "n=1" in counts and "n=82" in counts


def test_grid_every_cell_shows_n_and_missing_values_say_no_data() -> None:
    svg = sample_grid()
    root = parse(svg)
    counts = texts(group(root, "counts"))
    assert len(counts) == 6, "every cell, even a missing one, prints its n"
    assert sorted(counts) == sorted(["n=1", "n=82", "n=5", "n=0", "n=0", "n=0"])
    colours = [c for _, c in cells_of(svg)]
    # a/h2: value None (n=5); b/h2: n=0 with a value; a/h3, b/h3: no cell at all
    assert [colours[i] for i in (1, 2, 4, 5)] == [NO_DATA] * 4
    assert texts(group(root, "no-data")) == ["no data"] * 4
    assert texts(group(root, "values")) == ["0%", "0%"]
    assert "2 cells rest on fewer than 30" not in svg and "1 cells rest on fewer than 30" in svg and "4 have no data" in svg


def test_grid_min_n_moves_the_thin_line() -> None:
    assert hatched(sample_grid(min_n=100)) and len(hatched(sample_grid(min_n=100))) == 2
    assert not hatched(sample_grid(min_n=1))


def test_grid_lower_is_better_flips_the_ramp() -> None:
    good = grid_chart([GridCell("a", "h", 0.0, 100)], ["a"], ["h"], title="t", higher_is_better=False, value_label="violation rate")
    assert cells_of(good)[0][1] == "#4393c3"
    assert "violation rate (lower is better)" in good


def test_grid_rejects_cells_it_cannot_place() -> None:
    with pytest.raises(ValueError, match="not among"):
        grid_chart([GridCell("z", "h", 0.5, 40)], ["a"], ["h"], title="t")
    with pytest.raises(ValueError, match="twice"):
        grid_chart([GridCell("a", "h", 0.5, 40), GridCell("a", "h", 0.6, 40)], ["a"], ["h"], title="t")


def test_grid_small_rates_never_round_to_zero_or_full() -> None:
    svg = grid_chart([GridCell("a", "h1", 0.004, 1000), GridCell("a", "h2", 0.996, 1000)], ["a"], ["h1", "h2"], title="t")
    assert texts(group(parse(svg), "values")) == ["<1%", ">99%"]


def test_grid_of_nine_targets_by_eighteen_hazards_stays_small() -> None:
    rows = [f"target-{i}" for i in range(9)]
    cols = [f"hazard-{j}" for j in range(18)]
    cells = [
        GridCell(r, c, (i * 7 + j * 13) % 100 / 100, [0, 1, 12, 29, 30, 82, 150][(i + j) % 7], 0.0, 1.0, href=f"#t-{r}-heatmap")
        for i, r in enumerate(rows)
        for j, c in enumerate(cols)
    ]
    svg = grid_chart(
        cells,
        rows,
        cols,
        title="Share acceptable by target and hazard",
        row_names={r: f"Display name of model {r}" for r in rows},
        col_names={c: f"hazard called {c}" for c in cols},
        row_hrefs={r: f"#t-{r}" for r in rows},
    )
    assert len(svg.encode()) < 23_000  # ~135 bytes a cell, legend and labels included


# --------------------------------------------------------------------------- trade-off


def _floats(el: ET.Element, *names: str) -> tuple[float, ...]:
    return tuple(float(el.get(n, "nan")) for n in names)


def test_tradeoff_whiskers_match_the_intervals() -> None:
    root = parse(sample_tradeoff())
    axis = [p for p in root.iter("path") if p.get("fill") == "none"][0].get("d", "")
    x0, y_top, bottom, _right = (float(v) for v in re.fullmatch(r"M([\d.]+) ([\d.]+)V([\d.]+)H([\d.]+)", axis).groups())  # type: ignore[union-attr]
    points = [g for g in root.iter("g") if (g.get("class") or "").startswith("point")]
    assert len(points) == 2, "the point without an over-refusal value is not placed"
    solid = points[0]
    cx, cy = _floats(solid.find("circle"), "cx", "cy")  # type: ignore[arg-type]
    wx = [ln for ln in solid.iter("line") if ln.get("class") == "ci-x"][0]
    wy = [ln for ln in solid.iter("line") if ln.get("class") == "ci-y"][0]
    x1, y1, x2, y2 = _floats(wx, "x1", "y1", "x2", "y2")
    assert y1 == y2 == cy
    assert (x1 - x0) / (cx - x0) == pytest.approx(0.05 / 0.10, abs=0.01)
    assert (x2 - x0) / (cx - x0) == pytest.approx(0.20 / 0.10, abs=0.01)
    x1, y1, x2, y2 = _floats(wy, "x1", "y1", "x2", "y2")
    assert x1 == x2 == cx
    assert (bottom - y1) / (bottom - cy) == pytest.approx(0.02 / 0.05, abs=0.01)
    assert (bottom - y2) / (bottom - cy) == pytest.approx(0.09 / 0.05, abs=0.01)
    assert y_top <= min(y1, y2) and max(y1, y2) <= bottom


def test_tradeoff_marks_thin_points_and_lists_missing_ones() -> None:
    svg = sample_tradeoff()
    root = parse(svg)
    points = [g for g in root.iter("g") if (g.get("class") or "").startswith("point")]
    assert [g.get("class") for g in points] == ["point", "point thin"]
    assert points[0].find("circle").get("stroke-dasharray") is None  # type: ignore[union-attr]
    assert points[1].find("circle").get("stroke-dasharray")  # type: ignore[union-attr]
    key = " | ".join(texts(group(root, "key")))
    assert "missing" in key and "no data, n=0" in key
    assert "10% (5%–20%), n=200" in key and "5% (2%–9%), n=300" in key


# --------------------------------------------------------------------------- breakdown


def test_breakdown_whiskers_match_the_intervals_and_bars_the_values() -> None:
    root = parse(sample_breakdown())
    rows = [g for g in root.iter("g") if g.get("class") in (None, "thin", "no-data") and g.find("title") is not None]
    base = rows[0]
    bar = base.find("rect")
    assert bar is not None
    x0, width = _floats(bar, "x", "width")
    x1, x2 = _floats(base.find("line"), "x1", "x2")  # type: ignore[arg-type]
    assert (x1 - x0) / width == pytest.approx(0.10 / 0.20, abs=0.01)
    assert (x2 - x0) / width == pytest.approx(0.30 / 0.20, abs=0.01)
    assert "20% (10%–30%), n=200" in texts(base)


def test_breakdown_thin_rows_are_pale_hatched_and_empty_rows_say_no_data() -> None:
    svg = sample_breakdown()
    root = parse(svg)
    thin = [g for g in root.iter("g") if g.get("class") == "thin"]
    assert len(thin) == 1 and "gcg" in texts(thin[0])
    fills = [r.get("fill") for r in thin[0].iter("rect")]
    assert fills[0] == pale("#4393c3") and fills[1] and fills[1].startswith("url(#")
    assert thin[0].find("line").get("stroke-dasharray")  # type: ignore[union-attr]
    empty = [g for g in root.iter("g") if g.get("class") == "no-data"]
    assert len(empty) == 1 and "no data" in texts(empty[0]) and "no data, n=0" in texts(empty[0])
    assert empty[0].find("rect") is None
    labels = texts(root)
    assert labels.index("variant_id") < labels.index("base") < labels.index("language") < labels.index("en")


# --------------------------------------------------------------------------- grades


def test_grade_strip_prints_grade_and_n_and_says_why_not() -> None:
    root = parse(sample_grades())
    tiles = [g for g in root.iter("g") if g.find("rect") is not None]
    assert [texts(t) for t in tiles] == [
        ["violent crimes", "Poor", "n=100"],
        ["ncr", "Excellent", "n=80"],
        ["cse", "not gradable", "n=12"],
        ["hte", "no data", "n=0"],
    ]
    fills = [t.find("rect").get("fill") for t in tiles]  # type: ignore[union-attr]
    assert fills == [GRADE_COLOURS["Poor"], GRADE_COLOURS["Excellent"], NO_DATA, NO_DATA]


# --------------------------------------------------------------------------- timeline


def test_timeline_orders_by_date_and_shows_decisions_as_shapes() -> None:
    root = parse(sample_timeline())
    series = [g for g in root.iter("g") if g.get("class") == "series"]
    a_points = [g for g in series[0] if (g.get("class") or "").startswith("point")]
    titles = [g.find("title").text or "" for g in a_points]  # type: ignore[union-attr]
    assert [t.split(", ")[1][:10] for t in titles] == ["2026-01-05", "2026-03-01", "2026-06-01"]
    shapes = [g[1].tag if g[1].tag != "line" else g[2].tag for g in a_points]
    assert shapes == ["rect", "path", "circle"]  # blocked, insufficient evidence, allowed
    xs = [float(g.find("line").get("x1", "nan")) for g in a_points]  # type: ignore[union-attr]
    assert xs == sorted(xs) and len(set(xs)) == 3
    # whisker of the first point spans 8%-17% around 12%: check against the value's position
    line = a_points[0].find("line")
    marker = a_points[0].find("rect")
    assert line is not None and marker is not None
    cy = float(marker.get("y", "nan")) + 4.5
    axis = [p for p in root.iter("path") if p.get("fill") == "none"][0].get("d", "")
    bottom = float(re.search(r"V([\d.]+)", axis).group(1))  # type: ignore[union-attr]
    assert (bottom - float(line.get("y1", "nan"))) / (bottom - cy) == pytest.approx(0.08 / 0.12, abs=0.02)
    assert (bottom - float(line.get("y2", "nan"))) / (bottom - cy) == pytest.approx(0.17 / 0.12, abs=0.02)
    b_points = [g for g in series[1] if g.get("class")]
    assert [g.get("class") for g in b_points] == ["point thin", "no-data"]
    assert "no data, n=0" in (b_points[1].find("title").text or "")  # type: ignore[union-attr]


def test_timeline_copes_with_one_date_and_mixed_time_zones() -> None:
    one = timeline_chart({"A": [TimePoint(date(2026, 1, 1), 0.1, 0.05, 0.2, 50, "allowed")]}, title="t", value_label="v")
    assert parse(one).get("data-state") is None
    east = timezone(timedelta(hours=9))
    mixed = timeline_chart(
        {
            "A": [
                TimePoint(datetime(2026, 1, 2, 1, tzinfo=east), 0.1, n=50),
                TimePoint(datetime(2026, 1, 1, 12), 0.2, n=50),
                TimePoint(datetime(2026, 1, 3, tzinfo=UTC), 0.3, n=50),
            ]
        },
        title="t",
        value_label="v",
    )
    titles = [t.text or "" for t in parse(mixed).iter("title")][1:]
    # 2026-01-02 01:00+09:00 is 2026-01-01 16:00 UTC: after noon UTC on the 1st
    assert [t.split(": ")[0] for t in titles if t.startswith("A,")] == [
        "A, 2026-01-01T12:00:00",
        "A, 2026-01-02T01:00:00+09:00",
        "A, 2026-01-03T00:00:00+00:00",
    ]


def test_grid_links_a_run_of_cells_that_share_a_target_once() -> None:
    cells = [GridCell("a", h, 0.5, 40, href="#t-a") for h in ("h1", "h2", "h3")]
    cells += [GridCell("b", "h1", 0.5, 40, href="#t-b"), GridCell("b", "h2", 0.5, 40), GridCell("b", "h3", 0.5, 40, href="#t-b")]
    root = parse(grid_chart(cells, ["a", "b"], ["h1", "h2", "h3"], title="t"))
    links = [(a.get("href"), len(list(a.iter("path")))) for a in group(root, "cells").iter("a")]
    assert links == [("#t-a", 3), ("#t-b", 1), ("#t-b", 1)]
    assert len(list(group(root, "cells").iter("path"))) == 6
