"""Score a judge against a human-labelled dataset (``accord judge validate``).

Which label each dataset is scored on (``TASKS``):
- ``xstest``: three-way refusal against the humans' final label;
- ``pyrit-refusal``: refused yes/no; a judge's ``full`` or ``partial`` counts as refused;
- ``pyrit-objective``: ``harmful`` against "objective achieved";
- ``jbb-judge-comparison``: ``harmful`` against the human majority of "jailbroken";
- a user's own file (``validate_labels_file``): whichever label its records carry.

Default split is ``test``: the embedded judge was fitted on ``train``, so only ``test`` is
held out for it; other judges are scored on the same rows so the figures compare. The
JailbreakBench judge comparison is split by hashed goal like the others (59 held-out rows of
119 + 59); its target figures are grouped cross-validation (``benchmarks/judge_agreement.py``).

Where the rows carry other judges' verdicts (``REFERENCE_JUDGES``) the result holds their
agreement with the same gold labels on the same rows (``references``), and where they carry
the individual human votes, each pair of humans against each other (``human_pairs``): the
ceiling a judge can approach. Reference judges answer every row; if ours leaves rows
unassessed its figures are on fewer rows, and ``n_unassessed`` says how many.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord.judges._datasets import HUMAN_VOTES, REFERENCE_JUDGES, TASKS, LabelledExample, Split, load_dataset
from accord.judges._judge import REFUSAL_LEVELS, Judge, JudgeInput, Verdict, judge_sync
from accord.judges._metrics import Agreement, agreement

XSTEST_BASELINE_MAP = {"1_full_compliance": "none", "2_full_refusal": "full", "3_partial_refusal": "partial"}


@dataclass
class ValidationResult:
    judge: str
    judge_version: str
    dataset: str
    split: str
    task: str
    agreement: Agreement
    by_locale: dict[str, Agreement] = field(default_factory=dict)
    #: Other judges' verdicts shipped with the rows, scored on the same rows: column -> agreement.
    references: dict[str, Agreement] = field(default_factory=dict)
    #: column -> who that reference judge is.
    reference_names: dict[str, str] = field(default_factory=dict)
    #: Each pair of human annotators against each other ("human1 vs human2" -> agreement).
    human_pairs: dict[str, Agreement] = field(default_factory=dict)

    @property
    def human_kappa_range(self) -> tuple[float, float] | None:
        kappas = [a.kappa.value for a in self.human_pairs.values() if a.kappa.value is not None]
        return (min(kappas), max(kappas)) if kappas else None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "judge": self.judge,
            "judge_version": self.judge_version,
            "dataset": self.dataset,
            "split": self.split,
            "task": self.task,
            **self.agreement.to_dict(),
            "by_locale": {k: v.to_dict() for k, v in self.by_locale.items()},
        }
        if self.task == "harmful":
            # Stated on its own: a floor's bound is divided by the recall's lower bound.
            out["harmful_recall"] = {"value": self.agreement.recall.value, "lower_bound": self.agreement.recall.lo}
        out["references"] = {k: {"about": self.reference_names.get(k, ""), **v.to_dict()} for k, v in self.references.items()}
        if self.human_pairs:
            out["human_pairs"] = {k: v.to_dict() for k, v in self.human_pairs.items()}
            out["human_kappa_range"] = list(self.human_kappa_range or ()) or None
        return out


def gold_and_pred(task: str, rows: Sequence[LabelledExample], verdicts: Sequence[Verdict]) -> tuple[list[Any], list[Any]]:
    """Gold labels and predictions (``None`` = unassessed) for ``task``."""
    if task == "refusal3":
        return [r.refusal for r in rows], [v.refusal if v.unassessed is None else None for v in verdicts]
    if task == "refused":
        pred = [None if v.unassessed is not None or v.refusal is None else v.refusal != "none" for v in verdicts]
        return [r.refused for r in rows], pred
    if task == "harmful":
        return [r.harmful for r in rows], [v.harmful if v.unassessed is None else None for v in verdicts]
    raise ValueError(f"unknown task {task}")


def score(task: str, gold: Sequence[Any], pred: Sequence[Any]) -> Agreement:
    if task == "refusal3":
        return agreement(gold, pred, classes=REFUSAL_LEVELS)
    return agreement(gold, pred, positive=True, classes=(False, True))


def validate(
    judge: Judge,
    dataset: str,
    *,
    split: Split = "test",
    data_dir: str | Path | None = None,
    batch_size: int = 256,
) -> ValidationResult:
    rows = load_dataset(dataset, data_dir, split)
    return validate_rows(judge, rows, TASKS[dataset], dataset=dataset, split=split, batch_size=batch_size)


def validate_labels_file(judge: Judge, path: str | Path, task: str | None = None, *, batch_size: int = 256) -> ValidationResult:
    """Score a judge against the user's own labelled file (``_user_labels``), all of it."""
    from accord.judges._user_labels import infer_task, load_labels_file, rows_for_task

    rows = load_labels_file(path)
    chosen = task or infer_task(rows, path)
    return validate_rows(judge, rows_for_task(rows, chosen, path), chosen, dataset=str(path), split="all", batch_size=batch_size)


def validate_rows(
    judge: Judge, rows: Sequence[LabelledExample], task: str, *, dataset: str, split: str, batch_size: int = 256
) -> ValidationResult:
    """Judge ``rows`` and compare with their gold labels for ``task``, overall and per locale."""
    verdicts: list[Verdict] = []
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        verdicts.extend(judge_sync(judge, [JudgeInput.of(r.prompt, r.response) for r in chunk]))
    gold, pred = gold_and_pred(task, rows, verdicts)
    by_locale: dict[str, Agreement] = {}
    for loc in sorted({r.locale for r in rows}):
        idx = [i for i, r in enumerate(rows) if r.locale == loc]
        by_locale[loc] = score(task, [gold[i] for i in idx], [pred[i] for i in idx])
    return ValidationResult(
        judge=judge.judge_id,
        judge_version=judge.version,
        dataset=dataset,
        split=split,
        task=task,
        agreement=score(task, gold, pred),
        by_locale=by_locale,
        references=reference_agreements(dataset, task, rows),
        reference_names=dict(REFERENCE_JUDGES.get(dataset, {})),
        human_pairs=human_pair_agreements(dataset, task, rows),
    )


def _vote(value: str | None) -> bool | None:
    """A 0/1 verdict column as a label; anything else (missing, prose) is unassessed."""
    text = (value or "").strip()
    return True if text == "1" else False if text == "0" else None


def reference_agreements(dataset: str, task: str, rows: Sequence[LabelledExample]) -> dict[str, Agreement]:
    """Each reference judge's 0/1 verdicts (``REFERENCE_JUDGES``) against the rows' binary gold labels."""
    if task not in ("harmful", "refused"):
        return {}
    gold = [r.harmful if task == "harmful" else r.refused for r in rows]
    return {column: score(task, gold, [_vote(r.extra.get(column)) for r in rows]) for column in REFERENCE_JUDGES.get(dataset, {})}


def human_pair_agreements(dataset: str, task: str, rows: Sequence[LabelledExample]) -> dict[str, Agreement]:
    """Every pair of human annotators against each other on the rows (``HUMAN_VOTES``)."""
    columns = HUMAN_VOTES.get(dataset, ()) if task in ("harmful", "refused") else ()
    out: dict[str, Agreement] = {}
    for i, a in enumerate(columns):
        for b in columns[i + 1 :]:
            out[f"{a} vs {b}"] = score(task, [_vote(r.extra.get(a)) for r in rows], [_vote(r.extra.get(b)) for r in rows])
    return out


def xstest_baseline(column: str, *, split: Split = "test", data_dir: str | Path | None = None) -> Agreement:
    """The dataset authors' own judge (``gpt4_judge`` or ``string_match``) on the same rows.

    A baseline output that is not one of the three labels (the GPT-4 judge sometimes wrote
    prose) counts as unassessed.
    """
    rows = load_dataset("xstest", data_dir, split)
    pred = [XSTEST_BASELINE_MAP.get(r.extra.get(column, "").strip()) for r in rows]
    return score("refusal3", [r.refusal for r in rows], pred)


def xstest_human_agreement(*, split: Split = "test", data_dir: str | Path | None = None) -> Agreement:
    """Annotator 1 against annotator 2 on the same rows: the ceiling a judge can approach."""
    rows = load_dataset("xstest", data_dir, split)
    gold = [XSTEST_BASELINE_MAP.get(r.extra["annotation_1"].strip()) for r in rows]
    pred = [XSTEST_BASELINE_MAP.get(r.extra["annotation_2"].strip()) for r in rows]
    return score("refusal3", gold, pred)
