"""Sentence-level evidence: which sentences of a response refuse, and in what order.

A response is a bag of sentences; a linear scorer (trained on sentences of fully refusing vs
fully complying responses) rates each one, and per response we keep a few order-aware
aggregates. "Refuses, then helps anyway" (a partial refusal) and "helps, then adds a
disclaimer" (compliance) differ in *where* the refusing sentences sit, which whole-text
n-grams cannot see.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from accord.judges._features import split_sentences
from accord.judges._hashing import NgramHasher
from accord.judges._phrases import gloss, normalise

MAX_SENTENCES = 24
SENT_HASH = 2**18
AGGREGATES = ("max", "mean", "first", "last", "share_refusing", "helping_after_refusal", "refusing_in_first3")
_VEC = NgramHasher("word", (1, 2), SENT_HASH, norm="l2")  # HashingVectorizer's scheme, in numpy


def split(responses: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Up to ``MAX_SENTENCES`` sentences per response and the row each belongs to."""
    sentences: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(responses):
        parts = [s for s in split_sentences(gloss(normalise(text))) if s and len(s.strip()) > 1][:MAX_SENTENCES] or [""]
        sentences.extend(parts)
        owner.extend([i] * len(parts))
    return sentences, np.asarray(owner, dtype=np.int64)


def matrix(sentences: Sequence[str]) -> sp.csr_matrix:
    return _VEC.transform(sentences)


def aggregate(scores: np.ndarray, owner: np.ndarray, n_rows: int) -> np.ndarray:
    """(n_rows, len(AGGREGATES)) from per-sentence scores (positive = refusing)."""
    out = np.zeros((n_rows, len(AGGREGATES)), dtype=np.float64)
    starts = np.searchsorted(owner, np.arange(n_rows), side="left")
    ends = np.searchsorted(owner, np.arange(n_rows), side="right")
    for i in range(n_rows):
        s = scores[starts[i] : ends[i]]
        if len(s) == 0:
            continue
        refusing = s > 0
        first_ref = int(np.argmax(refusing)) if refusing.any() else len(s)
        helping_after = int((~refusing[first_ref:]).sum()) if refusing.any() else 0
        out[i] = (
            s.max(),
            s.mean(),
            s[0],
            s[-1],
            refusing.mean(),
            np.log1p(helping_after) / 2.0,
            refusing[:3].mean(),
        )
    return out
