"""Render a page in a real headless Chromium (Debian's ``chromium``) for tests.

``--dump-dom`` prints the DOM after scripts ran, so tests see what a reader would see, not
just the bytes we wrote. Flags follow the machine notes: no sandbox as root, no background
networking (the network is closed), a fresh profile each time.

Layout is measured by a *probe*: a test-only copy of the page with one extra inline script
that writes what it measured (``getBoundingClientRect``, the resources the page fetched,
Content-Security-Policy violations) as JSON into an attribute of ``<html>``, read back from
the dumped DOM. The copy keeps the page's own Content-Security-Policy and only adds the
probe's hash to ``script-src``, so the page is measured under the policy it ships with.

``console`` runs Chromium with ``--enable-logging=stderr --v=0``, which prints every console
message (errors, uncaught exceptions, CSP violations) as an ``INFO:CONSOLE`` line; a report
must print none. ``read_png`` decodes a screenshot with the standard library only, so tests
can check that an element's box on the screenshot is painted.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed in CI: .ci/run must install it")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return path


def _flags(profile: str) -> list[str]:
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--user-data-dir={profile}",
    ]


def _target(url_or_path: str | Path) -> str:
    return Path(url_or_path).resolve().as_uri() if isinstance(url_or_path, Path) else url_or_path


def _run(url_or_path: str | Path, args: list[str], *, timeout_s: float) -> subprocess.CompletedProcess[str]:
    exe = require_chromium()
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [exe, *_flags(profile), *args, _target(url_or_path)],
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )


def dump_dom(
    url_or_path: str | Path,
    *,
    timeout_s: float = 60.0,
    budget_ms: int = 3000,
    width: int | None = None,
    height: int = 1000,
) -> str:
    """The serialised DOM after the page's scripts ran (at ``width`` x ``height`` if given)."""
    args = [f"--virtual-time-budget={budget_ms}", "--dump-dom"]
    if width is not None:
        args.insert(0, f"--window-size={width},{height}")
    proc = _run(url_or_path, args, timeout_s=timeout_s)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise AssertionError(f"chromium failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc.stdout


def console(url_or_path: str | Path, *, timeout_s: float = 60.0, budget_ms: int = 3000) -> list[str]:
    """Every console message the page produced (errors, uncaught exceptions, CSP violations)."""
    proc = _run(url_or_path, ["--enable-logging=stderr", "--v=0", f"--virtual-time-budget={budget_ms}", "--dump-dom"], timeout_s=timeout_s)
    if proc.returncode != 0:
        raise AssertionError(f"chromium failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return [line for line in proc.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def screenshot(url_or_path: str | Path, out: Path, *, width: int = 1280, height: int = 2000, timeout_s: float = 60.0) -> Path:
    """A PNG of the top ``height`` px of the page laid out ``width`` px wide.

    Below ``MIN_WINDOW`` px the page is shown in an iframe of that width at the left of a
    ``MIN_WINDOW`` px window, so the image is wider than the page; its coordinates match the
    page's own.
    """
    target: str | Path = url_or_path
    if width < MIN_WINDOW and isinstance(url_or_path, Path):
        page = url_or_path.resolve()
        target = _framed(page, width, height, page.parent)  # the wrapper sits beside the page
    proc = _run(target, [f"--window-size={max(width, MIN_WINDOW)},{height}", f"--screenshot={out}"], timeout_s=timeout_s)
    if proc.returncode != 0 or not out.exists():
        raise AssertionError(f"chromium screenshot failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return out


def print_pdf(url_or_path: str | Path, out: Path, *, timeout_s: float = 120.0) -> Path:
    """The page printed to PDF, as the browser's print dialog would (print media)."""
    proc = _run(url_or_path, ["--no-pdf-header-footer", f"--print-to-pdf={out}"], timeout_s=timeout_s)
    if proc.returncode != 0 or not out.exists():
        raise AssertionError(f"chromium print failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return out


def pdf_pages(pdf: Path) -> int:
    """Page count of a PDF Chromium wrote (its page objects are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf.read_bytes()))


# -- probes -------------------------------------------------------------------------------

_CSP = re.compile(r'(<meta http-equiv="Content-Security-Policy" content=")([^"]*)(")')


def with_probe(html: str, script: str) -> str:
    """A copy of ``html`` that runs ``script`` after the page, allowed by its hash in the CSP.

    Pages without a CSP meta get the script as is.
    """
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")

    def allow(m: re.Match[str]) -> str:
        policy = m.group(2)
        if "script-src" in policy:
            policy = policy.replace("script-src", f"script-src 'sha256-{digest}'", 1)
        else:
            policy += f"; script-src 'sha256-{digest}'"
        return m.group(1) + policy + m.group(3)

    html = _CSP.sub(allow, html, count=1)
    return html.replace("</body>", f"<script>{script}</script></body>", 1)


#: JavaScript run by ``measure``: ``SELECTORS`` is replaced by a JSON object name -> selector.
_MEASURE = """(function(){
var sel = SELECTORS, out = {rects: {}, resources: [], violations: []};
for (var k in sel) {
  var el = document.querySelector(sel[k]);
  if (!el) { out.rects[k] = null; continue; }
  var r = el.getBoundingClientRect(), s = getComputedStyle(el);
  var shown = el.checkVisibility ? el.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true}) : s.visibility !== 'hidden' && s.display !== 'none';
  out.rects[k] = {top: r.top + scrollY, left: r.left + scrollX, width: r.width, height: r.height,
    visible: shown && r.width > 0 && r.height > 0};
}
out.resources = performance.getEntriesByType('resource').map(function (e) { return e.name; });
out.page = {width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight,
  viewport: innerWidth};
document.documentElement.setAttribute('data-probe', JSON.stringify(out));
if (parent !== window) parent.postMessage(JSON.stringify(out), '*');
})();"""

#: Chromium's headless window is at least 500 px wide; narrower layouts (a 390 px phone) are
#: rendered in an iframe of that width, which is a viewport of its own for CSS media queries.
MIN_WINDOW = 500

_FRAME = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0;background:#fff">
<iframe src="{src}" style="width:{width}px;height:{height}px;border:0;display:block"></iframe>
<script>addEventListener("message", function (e) {{ document.documentElement.setAttribute("data-probe", e.data); }});</script>
</body></html>"""


def _framed(page: Path, width: int, height: int, tmp: Path) -> Path:
    """``page`` itself, or a wrapper showing it in a ``width`` px iframe when the window cannot
    be that narrow."""
    if width >= MIN_WINDOW:
        return page
    wrapper = tmp / f"frame-{width}.html"
    wrapper.write_text(_FRAME.format(src=page.name, width=width, height=height), encoding="utf-8")
    return wrapper


@dataclass(frozen=True)
class Box:
    top: float
    left: float
    width: float
    height: float
    visible: bool


@dataclass(frozen=True)
class Layout:
    """What the probe measured: element boxes (page coordinates), the page's size, and every
    resource the page fetched (a self-contained page fetches none)."""

    rects: dict[str, Box | None]
    resources: list[str]
    width: int
    height: int
    viewport: int


def measure(page: Path, selectors: dict[str, str], *, width: int, height: int = 1000, opened: str | None = None) -> Layout:
    """Lay ``page`` out at ``width`` px and measure ``selectors`` (name -> CSS selector).

    ``opened``: a CSS selector of ``<details>`` elements the probe opens first (a reader
    clicking them), so what they hold is measured as it is shown.
    """
    script = _MEASURE.replace("SELECTORS", json.dumps(selectors))
    if opened:
        opener = "Array.prototype.forEach.call(document.querySelectorAll(" + json.dumps(opened) + "), function (d) { d.open = true; });"
        script = opener + script
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / page.name
        copy.write_text(with_probe(page.read_text(encoding="utf-8"), script), encoding="utf-8")
        dom = dump_dom(_framed(copy, width, height, Path(tmp)), width=max(width, MIN_WINDOW), height=height)
    m = re.search(r'<html[^>]*\sdata-probe="([^"]*)"', dom)
    assert m, "the probe did not run (blocked by the page's CSP?)"
    raw: dict[str, Any] = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    rects = {k: (Box(**v) if v else None) for k, v in raw["rects"].items()}
    return Layout(rects, raw["resources"], raw["page"]["width"], raw["page"]["height"], raw["page"]["viewport"])


# -- screenshots --------------------------------------------------------------------------


@dataclass(frozen=True)
class Image:
    """A decoded PNG: ``pixel(x, y)`` is ``(r, g, b)``."""

    width: int
    height: int
    channels: int
    rows: list[bytes]

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        row = self.rows[y]
        i = x * self.channels
        return row[i], row[i + 1], row[i + 2]

    def colours(self, box: Box, *, step: int = 3) -> set[tuple[int, int, int]]:
        """Distinct colours sampled every ``step`` px inside ``box`` (clipped to the image)."""
        x0, y0 = max(0, int(box.left)), max(0, int(box.top))
        x1, y1 = min(self.width, int(box.left + box.width)), min(self.height, int(box.top + box.height))
        return {self.pixel(x, y) for y in range(y0, y1, step) for x in range(x0, x1, step)}


def read_png(path: Path, *, max_rows: int | None = None) -> Image:
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes) with zlib only."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, bytearray(), 0
    height = depth = colour = interlace = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert depth == 8 and colour in (2, 6) and not interlace, (depth, colour, interlace)
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(bytes(idat))
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    limit = height if max_rows is None else min(height, max_rows)
    for y in range(limit):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if f == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif f == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif f == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = prev[i]
                c = prev[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return Image(width, limit, channels, rows)


# -- a report's size and where its first section starts -----------------------------------


def report_metrics(page: Path, *, width: int = 1400) -> dict[str, Any]:
    """A report's size in bytes and, laid out ``width`` px wide, the top of its first
    per-target section (``details.target``) and the page height, in CSS px."""
    layout = measure(page, {"first_details": "details.target", "matrix": "#deployment-matrix", "findings": "#findings"}, width=width)
    first = layout.rects["first_details"]
    return {
        "bytes": page.stat().st_size,
        "width": width,
        "first_details_top": round(first.top) if first else None,
        "page_height": layout.height,
        "resources": layout.resources,
    }


if __name__ == "__main__":  # python -m tests.support.browser out/report.html
    import sys

    for arg in sys.argv[1:]:
        print(arg, json.dumps(report_metrics(Path(arg))))
