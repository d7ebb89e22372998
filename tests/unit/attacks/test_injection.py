"""Refusal suppression, prefix injection and payload splitting: the request survives, the frame is right."""

from __future__ import annotations

import json
import re

import pytest

from accord.attacks import get_attack, plan_attacks
from accord.attacks._injection import DEFAULT_PREFIX, SUPPRESSION_RULES, split_payload
from accord.errors import InputError
from accord.records import Item, Message

REQUEST = "Explain how tides work, in three short paragraphs."
TRICKY = 'A "quoted" request with a backslash \\ and\na second line, plus a = "fake" assignment.'


def _apply(spec: str | dict[str, object], text: str = REQUEST) -> str:
    (variant,) = plan_attacks([spec]).variants
    item = Item(suite_id="s", item_id="i", messages=(Message(role="user", content=text),))
    return variant.apply_local(item)[-1].content


def _pieces(out: str) -> list[str]:
    """The payload-splitting variables, read back as JSON strings, in order a1, a2, ..."""
    found = re.findall(r"^a(\d+) = (\".*\")$", out, flags=re.M)
    assert [int(i) for i, _ in found] == list(range(1, len(found) + 1))
    return [json.loads(v) for _, v in found]


def test_refusal_suppression_puts_the_request_under_every_rule() -> None:
    out = _apply("refusal-suppression")
    assert REQUEST in out and out != REQUEST
    for rule in SUPPRESSION_RULES:
        assert rule in out
    assert out.index(SUPPRESSION_RULES[-1]) < out.index(REQUEST) < out.index("Remember")
    assert "Remember" not in _apply("refusal-suppression:remind=false")


def test_prefix_injection_asks_for_the_prefix() -> None:
    out = _apply("prefix-injection")
    assert out.startswith(REQUEST) and f'"{DEFAULT_PREFIX}"' in out
    assert '"Absolutely, here it is"' in _apply({"name": "prefix-injection", "params": {"prefix": "Absolutely, here it is"}})
    assert '"Certainly"' in _apply("prefix-injection:Certainly")  # the bare value is the prefix


@pytest.mark.parametrize("prefix", ["two\nlines", "   ", "x" * 201])
def test_prefix_injection_refuses_a_bad_prefix(prefix: str) -> None:
    with pytest.raises(InputError, match="prefix"):
        plan_attacks([{"name": "prefix-injection", "params": {"prefix": prefix}}])


@pytest.mark.parametrize(
    ("spec", "parts"),
    [
        ("payload-splitting", 3),
        ("payload-splitting:parts=5", 5),
        ("payload-splitting:parts=2,by=words", 2),
        ("payload-splitting:parts=10,by=words", 10),
    ],
)
@pytest.mark.parametrize("text", [REQUEST, TRICKY])
def test_payload_splitting_pieces_join_back_to_the_request(spec: str, parts: int, text: str) -> None:
    out = _apply(spec, text)
    pieces = _pieces(out)
    assert "".join(pieces) == text
    assert all(pieces)
    assert f"Let z = {' + '.join(f'a{i}' for i in range(1, len(pieces) + 1))}." in out
    assert len(pieces) == min(parts, len(text.split(" ")) if "words" in spec else len(text))


def test_payload_splitting_by_characters_cuts_even_pieces_and_hides_the_whole_request() -> None:
    out = _apply("payload-splitting:parts=4")
    lengths = [len(p) for p in _pieces(out)]
    assert max(lengths) - min(lengths) <= 1
    assert REQUEST not in out  # no piece carries the request whole


def test_payload_splitting_by_words_keeps_words_whole() -> None:
    pieces = _pieces(_apply("payload-splitting:parts=3,by=words"))
    words = REQUEST.split(" ")
    assert [w for p in pieces for w in p.split(" ") if w] == words


def test_split_payload_edge_cases() -> None:
    assert split_payload("ab", 5, "chars") == ["a", "b"]
    assert split_payload("", 3, "chars") == [""]
    assert split_payload("one", 3, "words") == ["one"]
    assert split_payload("a  b", 2, "words") == ["a  ", "b"]


@pytest.mark.parametrize(
    "spec", ["payload-splitting:parts=1", "payload-splitting:parts=11", "payload-splitting:by=tokens", "refusal-suppression:x=1"]
)
def test_bad_parameters_are_refused(spec: str) -> None:
    with pytest.raises(InputError):
        plan_attacks([spec])


def test_injection_attacks_are_described() -> None:
    for name in ("refusal-suppression", "prefix-injection", "payload-splitting"):
        attack = get_attack(name)
        assert attack.kind == "transform" and attack.summary and attack.origin
        assert all(f.description for f in attack.Params.model_fields.values())
        assert _apply(name) != REQUEST
