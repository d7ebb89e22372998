"""The numpy n-gram hasher equals scikit-learn's HashingVectorizer on real text, to the bit.

Judging runs without scikit-learn (the ``train`` extra), but the committed judge was trained
on scikit-learn's hashing: any difference would silently change every label.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from accord.judges._hashing import NgramHasher, murmur3_32

sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")
murmurhash = pytest.importorskip("sklearn.utils")

EDGE_CASES = [
    "",
    " ",
    "a",
    "I can't help with that.",
    "Sure!  Here's how:\n\n1. Knead the dough\t2. Let it rise",
    "我不能帮助你做这件事。但我可以提供其他帮助。",
    "emoji 🙂 and accents: café naïve — dashes",
    "x" * 300 + " " + "long-" * 40,
    "a b c d e f g",
    "\u00a0non-breaking\u2003spaces\u3000ideographic",
]


def _texts(datasets_dir: Path) -> list[str]:
    out = list(EDGE_CASES)
    root = datasets_dir / "xstest"
    for path in sorted(root.rglob("*.csv"))[:2]:
        out.extend(line for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[:400])
    for path in sorted((datasets_dir / "jailbreakbench").rglob("*.json"))[:3]:
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            data = json.loads(text)
        except ValueError:
            continue
        for row in (data.get("jailbreaks") or [])[:60] if isinstance(data, dict) else []:
            out.extend(str(row.get(k) or "") for k in ("prompt", "response"))
    return out


def test_murmur_matches_scikit_learn_on_every_tail_length() -> None:
    from sklearn.utils import murmurhash3_32

    keys = [bytes(range(i % 7, i % 7 + n)) for i, n in enumerate(range(0, 40))] + ["中文 n-gram".encode(), b"\xff" * 9]
    ours = murmur3_32(keys)
    assert [int(x) for x in ours] == [murmurhash3_32(k, seed=0) for k in keys]


@pytest.mark.parametrize(
    ("analyzer", "ngram", "n_features", "norm"),
    [("word", (1, 2), 2**18, None), ("char_wb", (2, 4), 2**18, None), ("word", (1, 3), 2**17, None), ("char_wb", (2, 3), 2**16, None), ("word", (1, 2), 2**12, "l2")],
)
def test_hasher_equals_scikit_learn(datasets_dir: Path, analyzer: str, ngram: tuple[int, int], n_features: int, norm: str | None) -> None:
    texts = _texts(datasets_dir)
    assert len(texts) > 200
    ref = sklearn_text.HashingVectorizer(
        analyzer=analyzer, ngram_range=ngram, n_features=n_features, alternate_sign=False, norm=norm, lowercase=False, dtype=np.float32
    ).transform(texts)
    ours = NgramHasher(analyzer, ngram, n_features, norm).transform(texts)  # type: ignore[arg-type]
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    assert np.array_equal(ours.indptr, ref.indptr) and np.array_equal(ours.indices, ref.indices)
    assert np.array_equal(ours.data, ref.data)  # bit for bit, normalised rows included


def test_the_embedded_judge_runs_without_scikit_learn() -> None:
    """Judging is numpy/scipy only: scikit-learn is the ``train`` extra."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['sklearn'] = None\n"  # any import of scikit-learn now fails
        "from accord.judges import JudgeInput, get_judge, judge_sync\n"
        "from accord.records import Message\n"
        "q = (Message(role='user', content='How do I bake bread?'),)\n"
        "vs = judge_sync(get_judge('embedded'), [JudgeInput(q, 'I cannot help with that.'), JudgeInput(q, 'Knead flour, water and yeast, then bake.')])\n"
        "print(vs[0].refusal, vs[1].refusal)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["full", "none"]
