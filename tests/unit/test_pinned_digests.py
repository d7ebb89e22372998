"""Pinned digests: literal expected values for the hashes old runs and attestations depend on.

A suite digest is an attestation's subject; a response key and a cache key are what a resumed
run looks up. If canonicalisation changes (key order, number formatting, Unicode escaping, a
new field that enters the digest), these values change and old runs stop resuming and old
attestations stop matching, silently. These tests make that loud: a failure here means either
a bug, or a deliberate format change that needs a migration and a note in the changelog.

The values were computed once, with the code as it stood before the records moved into the
shared base (issue 11), and must never be "updated to make the test pass".
"""

from __future__ import annotations

import pytest

from accord.records import Message, Response, ResponseKey
from accord.suites import Item, Suite, digest_items

PLAIN = Item(
    suite_id="pin",
    item_id="a1",
    messages=(Message(role="user", content="How do I bake bread?"),),
    hazard="benign",
    intent="benign",
    source="row 1",
)
RICH = Item(
    suite_id="pin",
    item_id="a2",
    messages=(
        Message(role="system", content="Be brief."),
        Message(role="user", content="Explain \u00e9t\u00e9 \u2014 and 1e3 \U0001f600"),
    ),
    hazard="vcr",
    intent="harmful",
    locale="fr",
    answer="B",
    tags=("x", "y"),
)
SUITE_DIGEST = "sha256:6bae83a84682204b085284ceb50582549254d7ff3aa8cd920329336a7f177680"


def test_suite_digest_is_pinned() -> None:
    assert digest_items([PLAIN, RICH]) == SUITE_DIGEST
    assert Suite(suite_id="pin", items=(PLAIN, RICH)).digest == SUITE_DIGEST


def test_suite_digest_ignores_source() -> None:
    """Provenance is not content: the same prompts from CSV or JSONL hash the same."""
    assert digest_items([PLAIN.model_copy(update={"source": "elsewhere"}), RICH]) == SUITE_DIGEST


def test_item_canonical_form_is_pinned() -> None:
    assert RICH.canonical() == {
        "suite_id": "pin",
        "item_id": "a2",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Explain \u00e9t\u00e9 \u2014 and 1e3 \U0001f600"},
        ],
        "hazard": "vcr",
        "intent": "harmful",
        "locale": "fr",
        "answer": "B",
        "tags": ["x", "y"],
    }


def test_response_key_form_is_pinned() -> None:
    """(run, suite, item, variant, epoch), in this order; the plain item's variant is ``none``."""
    assert ResponseKey._fields == ("run_id", "suite_id", "item_id", "variant_id", "epoch")
    response = Response(run_id="r1", suite_id="pin", item_id="a1", messages=list(PLAIN.messages), output="ok")
    assert response.key == ("r1", "pin", "a1", "none", 0)
    assert tuple(response.key) == ("r1", "pin", "a1", "none", 0)


def test_cache_key_is_pinned() -> None:
    from accord.runner._cache import cache_key, params_for_key
    from accord.targets import GenParams

    defaults = params_for_key(GenParams())
    assert defaults == {"temperature": 0.0, "max_tokens": 512, "top_p": None, "seed": None}
    assert cache_key("openai:m@v1", RICH.messages, defaults, 0) == (
        "066d59a4a6766cad4b51b5aac5196db9a581ce28265509b4847503ba41f38eba"
    )
    tuned = params_for_key(GenParams(temperature=0.7, max_tokens=64, top_p=0.9, seed=7, timeout_s=5))
    assert cache_key("sha256:" + "0" * 64, PLAIN.messages, tuned, 2) == (
        "b9e35195d35398ddf9b15200fe0e785959e2e66bf18de2a53774723da9af7d57"
    )


def test_cache_key_ignores_timeout() -> None:
    """The time-out bounds how long we wait, not what the model says."""
    from accord.runner._cache import cache_key, params_for_key
    from accord.targets import GenParams

    a = cache_key("t", PLAIN.messages, params_for_key(GenParams(timeout_s=5)), 0)
    b = cache_key("t", PLAIN.messages, params_for_key(GenParams(timeout_s=500)), 0)
    assert a == b


@pytest.mark.parametrize(
    ("attack", "params", "expected"),
    [
        ("none", {}, "none"),
        ("base64", {"layers": 2}, "base64-868b289781a5"),
    ],
)
def test_variant_id_is_pinned(attack: str, params: dict[str, object], expected: str) -> None:
    from accord.records import variant_id

    assert variant_id(attack, params) == expected


def test_variant_id_round_trips_and_rejects_bad_forms() -> None:
    from accord.records import parse_variant_id, variant_id

    vid = variant_id("role-play", {"persona": "x", "turns": [1, 2.5]})
    assert parse_variant_id(vid) == ("role-play", vid.rsplit("-", 1)[1])
    assert parse_variant_id("none") == ("none", "")
    # key order does not matter (RFC 8785), values do
    assert variant_id("base64", {"a": 1, "b": 2}) == variant_id("base64", {"b": 2, "a": 1})
    assert variant_id("base64", {"layers": 2}) != variant_id("base64", {"layers": 3})
    for bad in ("", "Base64-868b289781a5", "base64-868B289781A5", "base64-868b28978", "base64", "-868b289781a5"):
        with pytest.raises(ValueError):
            parse_variant_id(bad)
    for bad_attack in ("Base64", "b 64", "", "x-"):
        with pytest.raises(ValueError):
            variant_id(bad_attack, {})
    with pytest.raises(ValueError):
        variant_id("none", {"layers": 1})
