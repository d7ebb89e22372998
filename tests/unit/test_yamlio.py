"""The one YAML loader: floats as in YAML 1.2, positions, and limits."""

from __future__ import annotations

import datetime

import pytest

from accord import yamlio


def test_exponent_floats_and_dates() -> None:
    data = yamlio.load("a: 1e25\nb: 1.0e25\nc: 10\nd: 2025-08-02\ne: '1e3'\nf: .inf\n")
    assert data["a"] == 1e25 and isinstance(data["a"], float) and data["b"] == 1e25
    assert data["c"] == 10 and isinstance(data["c"], int)
    assert data["d"] == datetime.date(2025, 8, 2) and data["e"] == "1e3" and data["f"] == float("inf")


def test_is_safe() -> None:
    with pytest.raises(yamlio.YAMLError):
        yamlio.load("!!python/object/apply:os.system ['true']\n")


def test_load_located_and_locate() -> None:
    text = "id: acme\nrequirements:\n  - id: r1\n    threshold: 0.9\n  - id: r2\n"
    data, root = yamlio.load_located(text)
    assert data == yamlio.load(text)
    assert yamlio.locate(root, ("requirements", 1, "id")) == 5
    assert yamlio.locate(root, ("requirements", 0, "threshold")) == 4
    assert yamlio.locate(root, ("requirements", 0, "missing")) == 3  # deepest existing ancestor
    assert yamlio.locate(None, ("x",)) is None
    assert yamlio.load_located("") == (None, None)


def test_error_line_and_message() -> None:
    with pytest.raises(yamlio.YAMLError) as info:
        yamlio.load("a: 1\nb: [1, 2\n")
    assert yamlio.error_line(info.value) is not None
    assert "\n" not in yamlio.error_message(info.value)


def test_limits() -> None:
    with pytest.raises(yamlio.YAMLLimitError, match="bytes"):
        yamlio.load("a: " + "x" * (yamlio.MAX_BYTES + 1))
    deep = "[" * (yamlio.MAX_DEPTH + 1) + "]" * (yamlio.MAX_DEPTH + 1)
    with pytest.raises(yamlio.YAMLLimitError, match="deeper") as info:
        yamlio.load(deep)
    assert yamlio.error_line(info.value) == 1
    ok = "[" * (yamlio.MAX_DEPTH - 1) + "]" * (yamlio.MAX_DEPTH - 1)
    assert yamlio.load(ok) is not None
    bomb = "a: &a [1]\n" + "".join(f"k{i}: *a\n" for i in range(yamlio.MAX_ALIASES + 1))
    with pytest.raises(yamlio.YAMLLimitError, match="aliases"):
        yamlio.load(bomb)
