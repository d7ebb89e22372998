"""Encoding transforms: exact round-trips, determinism, and every variant differs from the request."""

from __future__ import annotations

import base64
import codecs
import unicodedata
from typing import Any

import pytest

from accord.attacks import get_attack, plan_attacks
from accord.attacks._encodings import CONFUSABLES, ENCODINGS, LEET_FULL, SEPARATOR, ZERO_WIDTH, Encoding
from accord.errors import InputError
from accord.records import Item, Message

#: Benign requests we author: ASCII, punctuation and newlines, and non-Latin scripts.
TEXTS = [
    "How do I bake sourdough bread? List the steps.",
    'Quote "this", then a backslash \\ and\nsecond line\twith a tab.',
    "Grüße aus Köln, 你好, naïve café, emoji 🙂 and Ωmega.",
    "x",
]

#: Every encoding with a few parameter sets each (the specs a user would write).
SPECS = [
    "base64",
    "base64:layers=3",
    "base64:instruction=false",
    "rot13",
    "rot13:instruction=false",
    "hex",
    "hex:instruction=false",
    "leetspeak",
    "leetspeak:level=full",
    "confusables",
    "confusables:rate=1.0",
    "confusables:rate=0.1,seed=7",
    "zero-width",
    "zero-width:every=3,char=mixed",
    "zero-width:char=wj",
    "char-spacing",
    "char-spacing:separator=--",
]


def _item(text: str) -> Item:
    return Item(suite_id="s", item_id="i1", messages=(Message(role="user", content=text),))


def _steps(spec: str) -> tuple[Encoding, dict[str, Any]]:
    (variant,) = plan_attacks([spec]).variants
    (step,) = variant.steps
    assert isinstance(step.attack, Encoding)
    return step.attack, step.params


def _roundtrip_texts(attack: Encoding) -> list[str]:
    # Leetspeak decodes exactly only text without digits of its own; the others take any text.
    if attack.name == "leetspeak":
        return [t for t in TEXTS if not any(c.isdigit() for c in t)]
    return TEXTS


@pytest.mark.parametrize("spec", SPECS)
def test_decoding_the_output_gives_the_request_back(spec: str) -> None:
    attack, params = _steps(spec)
    for text in _roundtrip_texts(attack):
        out = attack.apply(text, params, _item(text))
        assert attack.decode(attack.payload(out, params), params) == text, spec


def _can_change(attack: Encoding, params: dict[str, Any], text: str) -> bool:
    """Whether the encoding has anything to work on (the ciphers' instruction line always changes the text)."""
    if params.get("instruction"):
        return True
    if attack.name in {"zero-width", "char-spacing"}:
        return len(text) > 1  # they insert *between* characters
    if attack.name == "confusables":
        return any(c in CONFUSABLES for c in text)
    if attack.name == "leetspeak":
        return any(c in LEET_FULL for c in text)
    return True


@pytest.mark.parametrize("spec", SPECS)
def test_every_variant_differs_from_the_request_and_is_deterministic(spec: str) -> None:
    attack, params = _steps(spec)
    for text in TEXTS:
        if not _can_change(attack, params, text):
            continue
        out = attack.apply(text, params, _item(text))
        assert out != text, spec
        assert attack.apply(text, params, _item(text)) == out, spec


def test_every_encoding_is_registered_and_covered() -> None:
    names = {cls.name for cls in ENCODINGS}
    assert names == {"base64", "rot13", "hex", "leetspeak", "confusables", "zero-width", "char-spacing"}
    assert {s.split(":")[0] for s in SPECS} == names
    for name in names:
        attack = get_attack(name)
        assert attack.kind == "transform" and attack.origin and attack.summary
        for field in attack.Params.model_fields.values():
            assert field.description, f"{name}: a parameter without a description"


def test_ciphers_decode_with_the_standard_library() -> None:
    text = TEXTS[2]
    b64, params = _steps("base64:layers=2")
    payload = b64.payload(b64.apply(text, params, _item(text)), params)
    assert base64.b64decode(base64.b64decode(payload)).decode() == text
    rot, params = _steps("rot13")
    out = rot.apply(TEXTS[0], params, _item(TEXTS[0]))
    assert codecs.decode(rot.payload(out, params), "rot13") == TEXTS[0]
    hx, params = _steps("hex")
    assert bytes.fromhex(hx.payload(hx.apply(text, params, _item(text)), params)).decode() == text


def test_cipher_instruction_says_what_the_encoding_is_and_asks_for_an_answer() -> None:
    attack, params = _steps("base64:layers=2")
    out = attack.apply("hello", params, _item("hello"))
    line, payload = out.split(SEPARATOR, 1)
    assert "base64" in line and "2 times" in line and "respond" in line.lower()
    assert "hello" not in out
    bare, bare_params = _steps("base64:layers=2,instruction=false")
    assert bare.apply("hello", bare_params, _item("hello")) == payload


def test_confusables_swap_only_for_cyrillic_or_greek_look_alikes() -> None:
    text = TEXTS[0]
    attack, params = _steps("confusables:rate=1.0")
    out = attack.apply(text, params, _item(text))
    assert len(out) == len(text)
    for a, b in zip(text, out):
        if a in CONFUSABLES:
            assert b == CONFUSABLES[a]
            assert unicodedata.name(b).split()[0] in {"CYRILLIC", "GREEK"}
        else:
            assert a == b
    assert len(set(CONFUSABLES.values())) == len(CONFUSABLES), "the table must be injective to decode"


def test_confusables_rate_and_seed_choose_which_letters_change() -> None:
    text = "a" * 400
    low, p_low = _steps("confusables:rate=0.1")
    changed = sum(c != "a" for c in low.apply(text, p_low, _item(text)))
    assert 10 < changed < 80  # about 40 of 400
    seed1, p_seed1 = _steps("confusables:rate=0.1,seed=1")
    assert seed1.apply(text, p_seed1, _item(text)) != low.apply(text, p_low, _item(text))
    # A request with a single replaceable letter still changes at a tiny rate.
    tiny, p_tiny = _steps("confusables:rate=0.01")
    assert tiny.apply("12 a 34", p_tiny, _item("12 a 34")) == "12 \u0430 34"


def test_zero_width_counts_and_kinds() -> None:
    text = "abcdefghij"
    attack, params = _steps("zero-width:every=3")
    out = attack.apply(text, params, _item(text))
    assert out == "abc\u200bdef\u200bghi\u200bj"
    mixed, p_mixed = _steps("zero-width:char=mixed")
    out = mixed.apply(text, p_mixed, _item(text))
    assert len(out) == 2 * len(text) - 1 and set(out[1::2]) == set(ZERO_WIDTH.values())
    assert not out.startswith(tuple(ZERO_WIDTH.values())) and not out.endswith(tuple(ZERO_WIDTH.values()))


def test_char_spacing_and_leetspeak_shapes() -> None:
    spaced, params = _steps("char-spacing:separator=.")
    assert spaced.apply("a.b c", params, _item("a.b c")) == "a...b. .c"
    leet, p_leet = _steps("leetspeak:instruction=false")
    assert leet.apply("Go see it", p_leet, _item("Go see it")) == "G0 s33 1t"
    full, p_full = _steps("leetspeak:level=full,instruction=false")
    assert full.apply("Go see it", p_full, _item("Go see it")) == "G0 533 17"


def test_a_partial_params_dict_reads_like_the_resolved_one() -> None:
    for spec in ("base64", "confusables", "zero-width", "char-spacing", "leetspeak"):
        attack, params = _steps(spec)
        assert attack.apply(TEXTS[0], {}, _item(TEXTS[0])) == attack.apply(TEXTS[0], params, _item(TEXTS[0])), spec


@pytest.mark.parametrize(
    "spec",
    [
        "base64:layers=0",
        "base64:layers=many",
        "base64:wrap=1",
        "confusables:rate=0",
        "confusables:rate=1.5",
        "zero-width:char=nbsp",
        "zero-width:every=0",
        "leetspeak:level=max",
        "rot13:x",
    ],
)
def test_bad_parameters_are_refused_before_anything_is_sent(spec: str) -> None:
    with pytest.raises(InputError) as info:
        plan_attacks([spec])
    assert spec.split(":")[0] in str(info.value)


def test_variant_ids_are_stable() -> None:
    # Stored results are keyed by these ids: resolving defaults must not change them silently.
    a = plan_attacks(["base64", "zero-width:every=2"]).variants
    b = plan_attacks(["base64:layers=1,instruction=true", "zero-width:every=2,char=zwsp"]).variants
    assert [v.variant_id for v in a] == [v.variant_id for v in b]
    assert a[0].variant_id == "base64-5c49b1bdce86"


def test_only_the_last_user_turn_is_encoded() -> None:
    item = Item(
        suite_id="s",
        item_id="i2",
        messages=(
            Message(role="system", content="sys"),
            Message(role="user", content="first"),
            Message(role="assistant", content="reply"),
            Message(role="user", content="second"),
        ),
    )
    (variant,) = plan_attacks(["rot13:instruction=false"]).variants
    out = variant.apply_local(item)
    assert [m.content for m in out] == ["sys", "first", "reply", "frpbaq"]
