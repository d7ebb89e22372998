"""Hashed n-gram counts in numpy: scikit-learn's ``HashingVectorizer``, bit for bit, without it.

The embedded judge's features are hashed word and ``char_wb`` n-grams. Judging must run on
a base install (numpy and scipy only; scikit-learn is the ``train`` extra), yet the committed
artefact was trained on scikit-learn's hashing, so this module reproduces it exactly:

- the same analyzers: ``word`` tokens are ``(?u)\\b\\w\\w+\\b`` matches joined into n-grams
  with one space; ``char_wb`` n-grams are taken inside each whitespace-separated word padded
  with one space on each side, a word shorter than n counted once;
- the same hash: MurmurHash3 x86 32-bit, seed 0, of the UTF-8 bytes, read as a signed
  int32; column ``abs(h) % n_features`` (with ``-2**31`` mapped as scikit-learn maps it);
- the same matrix: float32 counts in a canonical CSR matrix (sorted, duplicates summed),
  optionally L2-normalised per row (norms in float64, as scikit-learn's kernel does).

MurmurHash3 runs vectorised over every distinct n-gram of a batch at once (rows sorted by
length, so each 4-byte round works on a prefix). ``tests/unit/judges/test_hashing.py``
checks the result against scikit-learn on real responses whenever scikit-learn is present.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import scipy.sparse as sp

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_WHITE = re.compile(r"\s\s+")
_C1, _C2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def murmur3_32(keys: Sequence[bytes], seed: int = 0) -> np.ndarray:
    """Signed 32-bit MurmurHash3 (x86) of each byte string, vectorised."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int32)
    lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=n)
    buf = np.frombuffer(b"".join(keys) + b"\0\0\0\0", dtype=np.uint8).astype(np.uint32)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    order = np.argsort(-lengths, kind="stable")  # longest first: active rows are a prefix
    lengths, starts = lengths[order], starts[order]
    blocks = lengths // 4
    h = np.full(n, np.uint32(seed), dtype=np.uint32)
    with np.errstate(over="ignore"):
        for j in range(int(blocks[0]) if n else 0):
            m = int(np.searchsorted(-blocks, -j, side="left"))  # rows with more than j blocks
            at = starts[:m] + 4 * j
            k = buf[at] | (buf[at + 1] << np.uint32(8)) | (buf[at + 2] << np.uint32(16)) | (buf[at + 3] << np.uint32(24))
            k = _rotl(k * _C1, 15) * _C2
            hh = _rotl(h[:m] ^ k, 13)
            h[:m] = hh * np.uint32(5) + np.uint32(0xE6546B64)
        rem = lengths & 3
        tail = np.nonzero(rem)[0]
        if tail.size:
            at = starts[tail] + blocks[tail] * 4
            r = rem[tail]
            k1 = buf[at].copy()
            k1 |= np.where(r > 1, buf[at + 1] << np.uint32(8), np.uint32(0))
            k1 |= np.where(r > 2, buf[at + 2] << np.uint32(16), np.uint32(0))
            k1 = _rotl(k1 * _C1, 15) * _C2
            h[tail] ^= k1
        h ^= lengths.astype(np.uint32)
        h ^= h >> np.uint32(16)
        h *= np.uint32(0x85EBCA6B)
        h ^= h >> np.uint32(13)
        h *= np.uint32(0xC2B2AE35)
        h ^= h >> np.uint32(16)
    out = np.empty(n, dtype=np.int32)
    out[order] = h.view(np.int32)
    return out


def word_ngrams(doc: str, ngram: tuple[int, int]) -> list[str]:
    """scikit-learn's ``word`` analyzer (no lower-casing, no stop words)."""
    tokens = _TOKEN.findall(doc)
    lo, hi = ngram
    if hi == 1:
        return tokens
    out = list(tokens) if lo == 1 else []
    start = max(lo, 2)
    for n in range(start, min(hi + 1, len(tokens) + 1)):
        out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return out


def char_wb_ngrams(doc: str, ngram: tuple[int, int]) -> list[str]:
    """scikit-learn's ``char_wb`` analyzer: n-grams inside space-padded words."""
    lo, hi = ngram
    out: list[str] = []
    append = out.append
    for word in _WHITE.sub(" ", doc).split():
        w = f" {word} "
        size = len(w)
        for n in range(lo, hi + 1):
            offset = 0
            append(w[offset : offset + n])
            while offset + n < size:
                offset += 1
                append(w[offset : offset + n])
            if offset == 0:  # a word shorter than n is counted once
                break
    return out


class NgramHasher:
    """``HashingVectorizer(analyzer, ngram_range, n_features, alternate_sign=False,
    lowercase=False, norm, dtype=float32)``, reimplemented (see the module docstring)."""

    def __init__(self, analyzer: Literal["word", "char_wb"], ngram: tuple[int, int], n_features: int, norm: Literal["l2"] | None = None) -> None:
        self.ngram = ngram
        self.n_features = n_features
        self.norm = norm
        self._analyze: Callable[[str, tuple[int, int]], list[str]] = word_ngrams if analyzer == "word" else char_wb_ngrams

    def transform(self, docs: Sequence[str]) -> sp.csr_matrix:
        """Counts of each document's hashed n-grams, one row per document."""
        vocab: dict[str, int] = {}
        cols: list[int] = []
        indptr = [0]
        for doc in docs:
            for gram in self._analyze(doc, self.ngram):
                idx = vocab.get(gram)
                if idx is None:
                    idx = vocab[gram] = len(vocab)
                cols.append(idx)
            indptr.append(len(cols))
        hashed = murmur3_32([g.encode("utf-8") for g in vocab]).astype(np.int64)
        minimum = hashed == -(2**31)
        column = np.abs(hashed) % self.n_features
        column[minimum] = (2147483647 - (self.n_features - 1)) % self.n_features
        indices = column[np.asarray(cols, dtype=np.int64)] if cols else np.zeros(0, dtype=np.int64)
        rows = np.repeat(np.arange(len(docs), dtype=np.int64), np.diff(np.asarray(indptr, dtype=np.int64)).astype(np.int64))
        matrix = sp.csr_matrix(
            (np.ones(len(indices), dtype=np.float32), (rows, indices)), shape=(len(docs), self.n_features), dtype=np.float32
        )
        matrix.sum_duplicates()
        matrix.sort_indices()
        if self.norm == "l2" and matrix.nnz:
            data = matrix.data.astype(np.float64)
            sizes = np.diff(matrix.indptr)
            sums = np.zeros(len(docs), dtype=np.float64)
            nonempty = sizes > 0
            sums[nonempty] = np.add.reduceat(data * data, matrix.indptr[:-1][nonempty])
            scale = np.repeat(np.sqrt(np.where(sums == 0.0, 1.0, sums)), sizes)
            matrix.data = (data / scale).astype(np.float32)
        return matrix
