"""Reports: one ``ReportData`` per set of runs, rendered as self-contained HTML, Markdown or JSON.

The report presents what ``accord.frameworks`` concludes (verdicts, the floor, the
deployment matrix, divergence); it never decides anything itself. ``build_report`` is pure
(records in, ``ReportData`` out); reading the store for it is a pipeline job
(``accord.pipeline.report``); ``render`` turns the data into the requested format.
"""

from __future__ import annotations

from typing import Literal

from accord.report._build import VERIFY_KEYS_NOTE, RunInput, build_report, judge_section, verify_command
from accord.report._charts import (
    CHART_CSS,
    BarRow,
    GridCell,
    TimePoint,
    breakdown_chart,
    grid_chart,
    no_data_chart,
    ramp_colour,
    timeline_chart,
)
from accord.report._history import (
    HistoryInput,
    HistoryReport,
    TargetHistory,
    build_history,
    history_chart,
    mapping,
    matches,
    parse_time,
    rate_text,
    rates_from_leaves,
    rates_from_table,
    render_history,
    target_history,
)
from accord.report._html import render_html
from accord.report._markdown import render_items, render_json, render_markdown, write_items
from accord.report._model import Attestation, ItemRow, ReportData

Format = Literal["html", "md", "json"]
FORMATS: tuple[str, ...] = ("html", "md", "json")


def render(data: ReportData, fmt: Format) -> str:
    """``data`` in one of ``FORMATS``."""
    if fmt == "html":
        return render_html(data)
    if fmt == "md":
        return render_markdown(data)
    if fmt == "json":
        return render_json(data)
    raise ValueError(f"unknown report format {fmt!r}")


__all__ = [
    "CHART_CSS",
    "BarRow",
    "GridCell",
    "TimePoint",
    "breakdown_chart",
    "grid_chart",
    "no_data_chart",
    "ramp_colour",
    "timeline_chart",
    "FORMATS",
    "HistoryInput",
    "HistoryReport",
    "TargetHistory",
    "build_history",
    "history_chart",
    "mapping",
    "matches",
    "rate_text",
    "rates_from_leaves",
    "rates_from_table",
    "parse_time",
    "render_history",
    "target_history",
    "VERIFY_KEYS_NOTE",
    "Attestation",
    "ItemRow",
    "ReportData",
    "RunInput",
    "build_report",
    "judge_section",
    "render",
    "render_html",
    "render_items",
    "render_json",
    "render_markdown",
    "verify_command",
    "write_items",
]
