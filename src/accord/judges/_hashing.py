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
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=n)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    return murmur3_spans(np.frombuffer(b"".join(keys), dtype=np.uint8), starts, lengths, seed)


def murmur3_spans(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, seed: int = 0) -> np.ndarray:
    """Signed 32-bit MurmurHash3 (x86) of each span ``data[start : start + length]`` of a byte array.

    Hashing spans of one buffer lets the analyzers below hash every n-gram of a batch without
    building a Python string per n-gram.
    """
    n = len(starts)
    if n == 0:
        return np.zeros(0, dtype=np.int32)
    buf = np.concatenate([np.asarray(data, dtype=np.uint8), np.zeros(4, dtype=np.uint8)]).astype(np.uint32)
    order = np.argsort(-lengths, kind="stable")  # longest first: active rows are a prefix
    lengths, starts = lengths[order], starts[order]
    blocks = lengths // 4
    h = np.full(n, np.uint32(seed), dtype=np.uint32)
    with np.errstate(over="ignore"):
        for j in range(int(blocks[0])):
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


def _utf8(text: str) -> bytes:
    # A lone surrogate (possible in hostile JSON) cannot be UTF-8; pass it through rather than fail.
    return text.encode("utf-8", "surrogatepass")


def _char_starts(data: np.ndarray) -> np.ndarray:
    """Byte offset of each code point of UTF-8 ``data``, plus ``len(data)`` at the end."""
    return np.append(np.nonzero((data & 0xC0) != 0x80)[0], len(data))


def word_spans(docs: Sequence[str], ngram: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``word_ngrams`` of every document as spans: (bytes, starts, lengths, row of each n-gram).

    Each document's tokens are joined with one space, so an n-gram is the byte span from its
    first token's start to its last token's end; n-grams never cross documents.
    """
    tokens: list[str] = []
    rows: list[int] = []
    for i, doc in enumerate(docs):
        found = _TOKEN.findall(doc)
        tokens.extend(found)
        rows.extend([i] * len(found))
    if not tokens:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(0, dtype=np.uint8), empty, empty, empty
    # One encode of all tokens joined by single spaces; tokens hold no whitespace, so each
    # token starts after a space byte and ends before the next.
    data = np.frombuffer(_utf8(" ".join(tokens)), dtype=np.uint8)
    spaces = np.nonzero(data == 32)[0]
    begin = np.concatenate([np.zeros(1, dtype=np.int64), spaces + 1])
    end = np.concatenate([spaces, np.array([len(data)], dtype=np.int64)])
    row_of = np.asarray(rows, dtype=np.int64)
    lo, hi = ngram
    starts: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    owner: list[np.ndarray] = []
    for n in range(lo, hi + 1):
        if n > len(begin):
            break
        first, last = begin[: len(begin) - n + 1], end[n - 1 :]
        same = row_of[: len(row_of) - n + 1] == row_of[n - 1 :]  # all n tokens from one document
        starts.append(first[same])
        lengths.append((last - first)[same])
        owner.append(row_of[: len(row_of) - n + 1][same])
    return data, np.concatenate(starts), np.concatenate(lengths), np.concatenate(owner)


def char_wb_spans(docs: Sequence[str], ngram: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``char_wb_ngrams`` of every document as spans: (bytes, starts, lengths, row of each n-gram).

    All documents' words, each padded with one space, are concatenated: `` w1  w2  w3 ``. An
    n-gram inside one padded word never holds two spaces in a row and one crossing two words
    always does (the padding meets), so the valid n-grams are the windows without a double
    space. A padded word is at least 3 characters, so for ``ngram[0] <= 3`` this equals the
    per-word analyzer, including its rule that a word shorter than n is counted once
    (``char_wb_ngrams`` is used otherwise).
    """
    lo, hi = ngram
    words: list[str] = []
    rows: list[int] = []
    for i, doc in enumerate(docs):
        found = _WHITE.sub(" ", doc).split()
        words.extend(found)
        rows.extend([i] * len(found))
    if not words:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(0, dtype=np.uint8), empty, empty, empty
    padded = " " + "  ".join(words) + " "
    data = np.frombuffer(_utf8(padded), dtype=np.uint8)
    offsets = _char_starts(data)  # code point -> byte offset
    n_chars = len(offsets) - 1
    space = data[offsets[:-1]] == 32
    double = np.zeros(n_chars + 1, dtype=np.int64)  # double[i] = double spaces starting before i
    np.cumsum(space[:-1] & space[1:], out=double[1:n_chars])
    double[n_chars] = double[n_chars - 1]
    # The document of each code point: a word's characters and both its padding spaces.
    word_len = np.fromiter(map(len, words), dtype=np.int64, count=len(words)) + 2
    char_doc = np.repeat(np.asarray(rows, dtype=np.int64), word_len)
    starts: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    owner: list[np.ndarray] = []
    for n in range(lo, hi + 1):
        m = n_chars - n + 1
        if m <= 0:
            break
        ok = np.nonzero(double[n - 1 : n - 1 + m] - double[:m] == 0)[0]
        starts.append(offsets[ok])
        lengths.append(offsets[ok + n] - offsets[ok])
        owner.append(char_doc[ok])
    if not starts:
        empty = np.zeros(0, dtype=np.int64)
        return data, empty, empty, empty
    return data, np.concatenate(starts), np.concatenate(lengths), np.concatenate(owner)


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
    extend = out.extend
    for word in _WHITE.sub(" ", doc).split():
        w = f" {word} "
        size = len(w)
        for n in range(lo, hi + 1):
            if size <= n:  # a word no longer than n is counted once, and no longer n-grams
                out.append(w)
                break
            extend([w[i : i + n] for i in range(size - n + 1)])
    return out


class NgramHasher:
    """``HashingVectorizer(analyzer, ngram_range, n_features, alternate_sign=False,
    lowercase=False, norm, dtype=float32)``, reimplemented (see the module docstring)."""

    def __init__(
        self, analyzer: Literal["word", "char_wb"], ngram: tuple[int, int], n_features: int, norm: Literal["l2"] | None = None
    ) -> None:
        self.ngram = ngram
        self.n_features = n_features
        self.norm = norm
        self._analyze: Callable[[str, tuple[int, int]], list[str]] = word_ngrams if analyzer == "word" else char_wb_ngrams
        # The vectorised span analyzers (same n-grams, no Python string per n-gram); the
        # per-word char_wb rule needs every padded word to be at least ngram[0] long.
        self._spans: Callable[[Sequence[str], tuple[int, int]], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] | None = (
            word_spans if analyzer == "word" else (char_wb_spans if ngram[0] <= 3 else None)
        )

    def transform(self, docs: Sequence[str]) -> sp.csr_matrix:
        """Counts of each document's hashed n-grams, one row per document."""
        if self._spans is not None:
            data, starts, lengths, rows = self._spans(docs, self.ngram)
            hashed = murmur3_spans(data, starts, lengths).astype(np.int64)
            return self._matrix(hashed, rows, len(docs))
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
        per_gram = murmur3_32([_utf8(g) for g in vocab]).astype(np.int64)
        hashed = per_gram[np.asarray(cols, dtype=np.int64)] if cols else np.zeros(0, dtype=np.int64)
        row_of = np.repeat(np.arange(len(docs), dtype=np.int64), np.diff(np.asarray(indptr, dtype=np.int64)).astype(np.int64))
        return self._matrix(hashed, row_of, len(docs))

    def _matrix(self, hashed: np.ndarray, rows: np.ndarray, n_docs: int) -> sp.csr_matrix:
        minimum = hashed == -(2**31)
        indices = np.abs(hashed) % self.n_features
        indices[minimum] = (2147483647 - (self.n_features - 1)) % self.n_features
        matrix = sp.csr_matrix(
            (np.ones(len(indices), dtype=np.float32), (rows, indices)), shape=(n_docs, self.n_features), dtype=np.float32
        )
        matrix.sum_duplicates()
        matrix.sort_indices()
        if self.norm == "l2" and matrix.nnz:
            data = matrix.data.astype(np.float64)
            sizes = np.diff(matrix.indptr)
            sums = np.zeros(n_docs, dtype=np.float64)
            nonempty = sizes > 0
            sums[nonempty] = np.add.reduceat(data * data, matrix.indptr[:-1][nonempty])
            scale = np.repeat(np.sqrt(np.where(sums == 0.0, 1.0, sums)), sizes)
            matrix.data = (data / scale).astype(np.float32)
        return matrix
