"""Suites from JSONL and CSV files (``open_suite(path).scan()``, ``load_suite``): success or AccordError."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from accord.suites import load_suite, open_suite
from tests.unit.fuzz._hostile import FUZZ, SURROGATES, ends_well, jsonl_file, mutated, write

FIELDS = ("id", "item_id", "prompt", "messages", "hazard", "intent", "locale", "answer", "tags", "suite_id", "meta", "x_note")
VALID = [
    {"id": "a", "prompt": "How do I bake bread?", "hazard": "benign", "intent": "benign", "locale": "en", "tags": ["x"]},
    {"id": 2, "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}], "locale": "zh-CN"},
    {"id": "c", "prompt": "Tell me about the 1989 protests.", "hazard": "political-sensitivity", "intent": "contested", "answer": "x"},
]
JSONL = ("\n".join(json.dumps(r, ensure_ascii=False) for r in VALID) + "\n").encode()
CSV = (
    b"id,prompt,hazard,intent,locale,tags,messages\n"
    b"a,How do I bake bread?,benign,benign,en,x;y,\n"
    b'"b","multi\nline",privacy,harmful,fr-FR,,\n'
    b'c,,benign,,en,,"[{""role"": ""user"", ""content"": ""hi""}]"\n'
)


def _scan(path: Path) -> object:
    source = open_suite(str(path))
    count, digest = source.scan()
    assert count >= 1 and digest.startswith("sha256:")
    return load_suite(str(path))


@FUZZ
@given(data=jsonl_file(FIELDS, VALID))
def test_jsonl_structured(scratch: Path, data: bytes) -> None:
    ends_well(_scan, write(scratch, "s.jsonl", data))


@FUZZ
@given(data=mutated([JSONL]))
def test_jsonl_mutated(scratch: Path, data: bytes) -> None:
    ends_well(_scan, write(scratch, "m.jsonl", data))


CELL = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["benign", "privacy", "harmful", "contested", "en", "zh-CN", "fr-FR", "a;b", "  ", "", "x" * 3000]),
)


@st.composite
def csv_file(draw: st.DrawFn) -> bytes:
    """A CSV suite whose cells are hostile text (the messages cell hostile JSON text)."""
    extra = draw(
        st.lists(st.sampled_from(["hazard", "intent", "locale", "tags", "messages", "other", "id", "prompt"]), unique=True, max_size=5)
    )
    header = draw(st.permutations(list(dict.fromkeys(["id", "prompt", *extra]))))
    if draw(st.integers(0, 9)) == 7:  # not 0: hypothesis favours it
        header = [*header, header[0]]  # a duplicate column
    rows = []
    for _ in range(draw(st.integers(1, 4))):
        cells = []
        for col in header:
            if col == "messages":
                cell = draw(
                    st.sampled_from(
                        [
                            '[{"role":"user","content":"\\ud800"}]',
                            '[{"role":"user","content":"a","content":"b"}]',
                            "[" * 5000,
                            '[{"role":"user","content":"hi"}]',
                            "",
                        ]
                    )
                )
            else:
                cell = draw(CELL)
            cells.append('"' + cell.replace('"', '""') + '"' if draw(st.booleans()) else cell.replace(",", ";").replace("\n", " "))
        rows.append(",".join(cells))
    if draw(st.integers(0, 7)) == 5:  # a row with a lone surrogate: bytes that are not UTF-8
        rows.insert(draw(st.integers(0, len(rows))), ",".join(draw(st.sampled_from(SURROGATES)) for _ in header))
    return ("\n".join([",".join(header), *rows]) + "\n").encode("utf-8", "surrogatepass")


@FUZZ
@given(data=csv_file())
def test_csv_structured(scratch: Path, data: bytes) -> None:
    ends_well(_scan, write(scratch, "s.csv", data))


@FUZZ
@given(data=mutated([CSV]))
def test_csv_mutated(scratch: Path, data: bytes) -> None:
    ends_well(_scan, write(scratch, "m.csv", data))
