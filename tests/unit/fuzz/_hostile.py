"""Shared pieces of the loader fuzz tests: hostile inputs and the one property they all check.

Every loader that reads a file a user (or another party) wrote must end each input in one of
two ways: success, or an ``AccordError`` whose message names the file. Anything else (a
``RecursionError``, ``UnicodeDecodeError``, ``ValueError`` from a date, a canonicalisation
error, a hang) is a bug. Inputs are built two ways:

- **structured**: records with the loader's own field names whose values are drawn from
  hostile JSON (lone surrogates as ``\\ud800`` escapes, huge and non-finite numbers, wrong
  types, deep nesting, duplicate keys written verbatim);
- **mutated**: a valid document with hostile bytes spliced in (``\\xff``, NUL, a BOM, CRLF,
  ``[`` x 10,000, YAML aliases and tags, impossible dates), lines duplicated or cut.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from accord.errors import AccordError

#: One budget for every loader module: each example is bounded, the module takes seconds.
FUZZ = settings(
    max_examples=200,
    deadline=2000,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

SURROGATES = ("\ud800", "\udbff", "\udc00", "\udfff", "\udc80")
SNIPPETS: tuple[bytes, ...] = (
    b"\xff",
    b"\xc3",
    b"\x00",
    b"\r\n",
    b"\r",
    b"\xef\xbb\xbf",
    b'"\\ud800"',
    b'"\\udc80x"',
    b"\\ud800",
    b"[" * 10_000,
    b"{" * 5_000,
    b'{"a":' * 2_000,
    b"- " * 3_000,
    b"}",
    b"]",
    b'"',
    b",",
    b":",
    b"\n",
    b"\t",
    b"&a [1, 2]",
    b"*a",
    b"*undefined",
    b"<<: *a",
    b"!!python/object/apply:os.system ['true']",
    b"!!binary AAAA",
    b"!custom x",
    b"? [a, b]\n: c",
    b"%YAML 1.1\n---\n",
    b"---\n",
    b"...\n",
    b"1e999999",
    b"-1e999999",
    b"NaN",
    b"Infinity",
    b"9" * 5_000,
    b"0x" + b"f" * 100,
    b"2026-13-45",
    b"2026-02-30",
    b"2026-01-01 25:61:00",
    b"true",
    b"null",
    b"~",
)


def _bomb(levels: int = 9, width: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


BILLION_LAUGHS = _bomb()
SNIPPETS = (*SNIPPETS, BILLION_LAUGHS.encode(), b"a: &a [*a]\n")


def _splice(data: bytes, ops: list[tuple[int, float, bytes]]) -> bytes:
    for kind, where, payload in ops:
        at = int(where * len(data)) if data else 0
        if kind == 0:  # insert
            data = data[:at] + payload + data[at:]
        elif kind == 1:  # overwrite
            data = data[:at] + payload + data[at + len(payload) :]
        elif kind == 2:  # delete a stretch
            data = data[:at] + data[at + 1 + len(payload) % 64 :]
        elif kind == 3:  # duplicate the line around ``at``
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            end = len(data) if end < 0 else end + 1
            data = data[:end] + data[start:end] + data[end:]
        elif kind == 4:  # truncate
            data = data[:at]
    return data


@st.composite
def mutated(draw: st.DrawFn, bases: list[bytes]) -> bytes:
    """A valid document with hostile bytes spliced in, cut, doubled, BOM'd or CRLF'd."""
    data = draw(st.sampled_from(bases))
    payloads = st.one_of(st.sampled_from(SNIPPETS), st.binary(min_size=1, max_size=24), st.text(max_size=12).map(str.encode))
    ops = draw(st.lists(st.tuples(st.integers(0, 4), st.floats(0, 1), payloads), max_size=4))
    data = _splice(data, ops)
    if draw(st.booleans()) and draw(st.booleans()):
        data = data.replace(b"\n", b"\r\n")
    if draw(st.integers(0, 7)) == 5:  # not 0: hypothesis favours it
        data = b"\xef\xbb\xbf" + data
    return data


# --- hostile JSON values ----------------------------------------------------------------------

hostile_text = st.one_of(
    st.text(max_size=20),
    st.sampled_from(SURROGATES),
    st.tuples(st.text(max_size=5), st.sampled_from(SURROGATES), st.text(max_size=5)).map("".join),
    st.sampled_from(["", " ", "\x00", "\ufeff", "2026-13-45", "benign", "harmful", "en", "zh-CN", "user", "full", "true"]),
    st.just(5000).map(lambda n: "x" * n),
)
hostile_scalar = st.one_of(
    hostile_text,
    st.integers(),
    st.sampled_from([0, 1, -1, 10**30, True, False, None, math.inf, -math.inf, math.nan, 1e308, 0.5]),
    st.floats(allow_nan=True, allow_infinity=True),
)
hostile_json = st.recursive(
    hostile_scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)),
    max_leaves=12,
)


class Raw:
    """JSON text written as is (deep nesting, big literals, duplicate keys)."""

    def __init__(self, text: str) -> None:
        self.text = text


raw_json = st.sampled_from(
    [
        Raw("[" * 100_000 + "]" * 100_000),
        Raw("[" * 70 + "]" * 70),
        Raw('{"a":' * 500 + "1" + "}" * 500),
        Raw("9" * 5000),
        Raw("1e999999"),
        Raw("-0.0"),
        Raw("NaN"),
        Raw("Infinity"),
        Raw('"\\ud800"'),
        Raw('"\\udc80\\ud800"'),
        Raw('"\\ud83d\\ude00"'),  # a valid pair: fine
        Raw('{"role": "user", "content": "a", "content": "b"}'),
        Raw('[{"role": "user", "content": "\\udfff"}]'),
    ]
)


def dump(value: Any) -> str:
    """JSON text of ``value``; lone surrogates become ``\\udXXX`` escapes, ``Raw`` stays raw."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return json.dumps(value)  # ensure_ascii: a lone surrogate is written as its escape


@st.composite
def json_record(draw: st.DrawFn, fields: tuple[str, ...], valid: dict[str, Any]) -> str:
    """One JSON object a line: a valid record with some fields replaced, added or repeated."""
    pairs: list[tuple[str, Any]] = list(valid.items())
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.one_of(st.sampled_from(fields), hostile_text))
        value = draw(st.one_of(hostile_json, raw_json))
        if draw(st.booleans()):
            pairs.append((key, value))  # may repeat a key: a duplicate in the text
        else:
            pairs = [(k, value if k == key else v) for k, v in pairs] or [(key, value)]
    if draw(st.integers(0, 5)) == 0:
        pairs = pairs[: draw(st.integers(0, len(pairs)))]
    return "{" + ",".join(f"{dump(k) if isinstance(k, str) else dump(str(k))}:{dump(v)}" for k, v in pairs) + "}"


@st.composite
def jsonl_file(draw: st.DrawFn, fields: tuple[str, ...], valid: list[dict[str, Any]]) -> bytes:
    """A JSONL file: the valid records in order, some made hostile, maybe one more line.

    UTF-8 throughout: a lone surrogate only ever appears as a ``\\udXXX`` escape.
    """
    lines = [draw(json_record(fields, v)) if draw(st.booleans()) else dump(v) for v in valid]
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), draw(st.one_of(hostile_json, raw_json).map(dump)))
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- the property -------------------------------------------------------------------------------


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def ends_well(load: Callable[[Path], object], path: Path) -> object:
    """Run ``load(path)``: success, or an ``AccordError`` naming the file. Anything else fails."""
    try:
        return load(path)
    except AccordError as exc:
        text = exc.diagnostics()
        assert str(path) in text or getattr(exc, "file", None) == str(path), f"the error does not name the file: {text}"
        assert len(text) < 20_000, f"an error message of {len(text)} characters"
        return exc
