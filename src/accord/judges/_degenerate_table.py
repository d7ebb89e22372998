"""Builds ``models/degenerate.npz``: the character bigrams of natural Chinese and Japanese text,
for the unspaced-script word-salad check of ``_degenerate`` (a salad of Han or kana characters
is made of pairs that natural text rarely has).

Sources (both Apache-2.0, copied in ``$ACCORD_DATA_DIR/redteam``, see its SOURCE.md):

- COLD (thu-coai/COLDataset, Deng et al. 2022) ``dev.csv``: 6,431 Chinese social-media
  comments (``TEXT`` column), about 300,000 characters;
- XSafety (Wang et al. 2023) Japanese prompts, the first seven category files in name order
  (``Crimes_And_Illegal_Activities`` .. ``Physical_Harm``), about 77,000 characters.

COLD's test split, XSafety's other Japanese files and its Chinese files, Flames and CValues
were kept out of the table: they are the natural text the threshold was checked on.

The table holds every bigram of two characters in the CJK ideograph or kana blocks that
occurs in the sources (no counts), as sorted codes ``ord(a) << 16 | ord(b)``, stored in a
compressed ``.npz`` (read with ``allow_pickle=False``) as two ``uint16`` arrays: ``first``, the
differences between successive first characters, and ``second``, the second characters::

    ACCORD_DATA_DIR=../shared/datasets .venv/bin/python -m accord.judges._degenerate_table
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "models" / "degenerate.npz"
JA_FILES = 7


def is_cjk(c: str) -> bool:
    o = ord(c)
    return 0x3041 <= o <= 0x30FF or 0x4E00 <= o <= 0x9FFF


def codes(text: str) -> set[int]:
    return {ord(a) << 16 | ord(b) for a, b in zip(text, text[1:], strict=False) if is_cjk(a) and is_cjk(b)}


def sources(data_dir: Path) -> list[str]:
    red = data_dir / "redteam"
    with open(red / "cold" / "dev.csv", encoding="utf-8-sig", newline="") as f:
        texts = [row["TEXT"] for row in csv.DictReader(f)]
    for path in sorted((red / "xsafety" / "ja").glob("*.csv"))[:JA_FILES]:
        with open(path, encoding="utf-8-sig", newline="") as f:
            texts += [row[0] for row in csv.reader(f) if row]
    return texts


def build(data_dir: Path, out: Path = OUT) -> int:
    table: set[int] = set()
    for text in sources(data_dir):
        table |= codes(text)
    a = np.array(sorted(table), dtype=np.uint32)
    first = np.diff(a >> 16, prepend=np.uint32(0)).astype(np.uint16)
    np.savez_compressed(out, first=first, second=(a & 0xFFFF).astype(np.uint16))
    return len(table)


def load(path: Path = OUT) -> frozenset[int]:
    with np.load(path, allow_pickle=False) as z:
        first = np.cumsum(z["first"], dtype=np.uint32)
        return frozenset(((first << 16) | z["second"].astype(np.uint32)).tolist())


if __name__ == "__main__":
    n = build(Path(os.environ.get("ACCORD_DATA_DIR", "../shared/datasets")))
    print(f"{n} bigrams -> {OUT} ({OUT.stat().st_size} bytes)")
