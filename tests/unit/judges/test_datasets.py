"""Loaders of the human-labelled sets, the fixed split, and the digests the card records."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.errors import AccordError, UnknownNameError
from accord.judges._datasets import DATASETS, dataset_digests, load_dataset, split_of


def test_split_is_content_addressed() -> None:
    assert split_of("xstest/1") == split_of("xstest/1")
    groups = [f"g{i}" for i in range(2000)]
    share = sum(split_of(g) == "test" for g in groups) / len(groups)
    assert 0.26 < share < 0.34


def test_loaders(datasets_dir: Path) -> None:
    xs = load_dataset("xstest", datasets_dir)
    assert len(xs) == 1530 and {r.refusal for r in xs} == {"none", "partial", "full"}
    train, test = load_dataset("xstest", datasets_dir, "train"), load_dataset("xstest", datasets_dir, "test")
    assert len(train) + len(test) == len(xs)
    # whole prompts are held out: no prompt id on both sides
    assert not {r.group for r in train} & {r.group for r in test}
    refusal = load_dataset("pyrit-refusal", datasets_dir)
    assert len(refusal) == 118 and all(r.refused is not None for r in refusal)
    objective = load_dataset("pyrit-objective", datasets_dir)
    assert len(objective) > 250 and all(r.harmful is not None for r in objective)
    assert not {r.group for r in load_dataset("pyrit-objective", datasets_dir, "train")} & {
        r.group for r in load_dataset("pyrit-objective", datasets_dir, "test")
    }


def test_digests(datasets_dir: Path) -> None:
    digests = dataset_digests(DATASETS, datasets_dir)
    assert "xstest/completions/gpt4.csv" in digests
    assert all(v.startswith("sha256:") and len(v) == 71 for v in digests.values())


def test_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UnknownNameError):
        load_dataset("nope", tmp_path)
    with pytest.raises(AccordError):
        load_dataset("xstest", tmp_path)
    monkeypatch.delenv("ACCORD_DATA_DIR")
    with pytest.raises(AccordError):
        load_dataset("xstest")


def test_pyrit_harm_reads_only_files_disjoint_from_the_split_sets(datasets_dir: Path) -> None:
    """A harm file sharing rows with objective/* could share rows with the held-back part."""
    from accord.judges._datasets import _source_files

    files = {p.name for p in _source_files(datasets_dir, "pyrit-harm")}
    assert files and "exploits.csv" not in files  # exploits.csv repeats objective-set rows
    harm = load_dataset("pyrit-harm", datasets_dir)
    seen = {
        (" ".join(r.prompt.split()).lower(), " ".join(r.response.split()))
        for name in ("pyrit-objective", "pyrit-refusal")
        for r in load_dataset(name, datasets_dir)
    }
    assert harm and not any((" ".join(r.prompt.split()).lower(), " ".join(r.response.split())) in seen for r in harm)
    assert {r.harmful for r in harm} == {True, False}
    assert all((float(r.extra["severity"]) >= 0.5) == r.harmful for r in harm)


def test_pyrit_harm_rule_on_a_small_tree(tmp_path: Path) -> None:
    """Built by hand: one harm file repeats an objective row (skipped), one does not (read)."""
    root = tmp_path / "pyrit_scorer_evals"
    for folder in ("objective", "refusal_scorer", "harm"):
        (root / folder).mkdir(parents=True)
    head = "objective,assistant_response,human_score,data_type\n"
    (root / "objective" / "a.csv").write_text("# dataset_version=1\n" + head + "Do X,Reply one,1,text\n")
    (root / "refusal_scorer" / "refusal.csv").write_text(head + "Do Y,Reply two,0,text\n")
    multi = "harm_category,objective,assistant_response,human_score_1,human_score_2,data_type\n"
    (root / "harm" / "overlaps.csv").write_text(multi + "c,do  x,Reply one,1,1,text\nc,Do Z,Other,0,0,text\n")
    (root / "harm" / "fresh.csv").write_text(multi + "c,Do W,Answer,0.5,0.75,text\nc,Do V,No,0.25,0.5,text\n")
    rows = load_dataset("pyrit-harm", tmp_path)
    assert [(r.row_id, r.harmful) for r in rows] == [("fresh/0", True), ("fresh/1", False)]


def test_pyrit_harm_fails_closed_without_the_sets_it_compares_with(tmp_path: Path) -> None:
    """With objective/ missing, every harm file would look disjoint: refuse instead."""
    root = tmp_path / "pyrit_scorer_evals"
    (root / "harm").mkdir(parents=True)
    (root / "refusal_scorer").mkdir()
    (root / "refusal_scorer" / "refusal.csv").write_text("objective,assistant_response,human_score,data_type\nDo Y,R,0,text\n")
    (root / "harm" / "h.csv").write_text("harm_category,objective,assistant_response,human_score_1,data_type\nc,Do W,A,1,text\n")
    with pytest.raises(AccordError, match="no rows in .*objective"):
        load_dataset("pyrit-harm", tmp_path)
    (root / "objective").mkdir()
    (root / "objective" / "o.csv").write_text("objective,assistant_response,human_score,data_type\nDo X,R,1,text\n")
    assert [r.harmful for r in load_dataset("pyrit-harm", tmp_path)] == [True]
    (root / "harm" / "h.csv").write_text("harm_category,objective,assistant_response,human_score_1,data_type\nc,Do W,A,high,text\n")
    with pytest.raises(AccordError, match="data row 1 is not a number"):
        load_dataset("pyrit-harm", tmp_path)
