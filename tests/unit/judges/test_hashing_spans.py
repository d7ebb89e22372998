"""The vectorised span analyzers give the same matrix as the per-n-gram path they replace.

``NgramHasher`` hashes byte spans of one buffer per batch (no Python string per n-gram); the
per-n-gram path is scikit-learn's analyzer re-implemented (checked against scikit-learn in
``test_hashing.py``). Both must agree on every document, including hostile ones.
"""

from __future__ import annotations

import pytest

from accord.judges._hashing import NgramHasher

DOCS = [
    "",
    " \n\t ",
    "a",
    "I can't help with that.",
    "Sure!  Here's how:\n\n1. Knead the dough\t2. Let it rise",
    "我不能帮助你做这件事。但我可以提供其他帮助。",
    "emoji 🙂 and accents: café naïve — dashes \u00a0nbsp\u3000ideographic",
    "x" * 300 + " " + "long-" * 40,
    "a b c d e f g",
    "lone surrogate \ud800 in hostile JSON",
    "\x00\x01 control characters \x7f",
]


@pytest.mark.parametrize(
    ("analyzer", "ngram"),
    [("word", (1, 2)), ("word", (1, 3)), ("word", (2, 2)), ("char_wb", (2, 4)), ("char_wb", (1, 3)), ("char_wb", (3, 5))],
)
def test_span_path_equals_per_ngram_path(analyzer: str, ngram: tuple[int, int]) -> None:
    docs = DOCS + [" ".join(DOCS)] + DOCS[::-1]
    hasher = NgramHasher(analyzer, ngram, 2**16)  # type: ignore[arg-type]
    assert hasher._spans is not None
    fast = hasher.transform(docs)
    hasher._spans = None
    slow = hasher.transform(docs)
    assert fast.shape == slow.shape and fast.nnz == slow.nnz > 0
    assert (fast != slow).nnz == 0


def test_one_document_never_shares_ngrams_with_its_neighbour() -> None:
    hasher = NgramHasher("word", (2, 2), 2**16)
    together = hasher.transform(["alpha beta", "gamma delta"])
    assert together.getrow(0).nnz == 1 and together.getrow(1).nnz == 1  # no "beta gamma"
    chars = NgramHasher("char_wb", (2, 4), 2**16).transform(["ab", "cd"])
    alone = NgramHasher("char_wb", (2, 4), 2**16).transform(["ab"])
    assert (chars.getrow(0) != alone.getrow(0)).nnz == 0
