"""A judge's validations against users' labelled files, recorded so scoring can use them.

``accord judge validate --labels FILE --record`` scores a judge against a deployer's own labels
(``accord.judges.validate_labels_file``) and stores the confusion counts per locale
(``record_validation``; ``ResultStore.add_judge_validation``, append-only). Scoring reads them
back per label and language with ``recorded_rates``: the verdict engine corrects and widens
its intervals by the judge's sensitivity and specificity there, and a language the judge's
card does not cover stops being "judge not validated for <language>" once a file covering it
is recorded. ``accord judge validations`` lists what is recorded (``describe_validation``).

Each validation task yields the binary labels the verdict engine corrects (``TASK_LABELS``):

- ``harmful`` -> ``harmful`` (positive: gold harmful);
- ``refused`` -> ``refused`` (positive: gold refused);
- ``refusal3`` -> ``refused`` (gold full or partial, against none; a judged full or partial
  counts as refused) and ``refused_full`` (gold full, against partial or none).

A locale with fewer than ``THIN_ROWS`` assessed rows is recorded and used all the same, and
listed as *thin*: the engine works with intervals, so few rows make wide intervals, not wrong ones.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from accord.errors import InputError
from accord.readers import sha256_file
from accord.stats import wilson
from accord.store import ConfusionCounts, JudgeValidation, ResultStore

#: Fewer assessed rows than this in a locale and the listing calls its figures thin (wide).
THIN_ROWS = 30

#: Validation task -> the labels it measures: (label, the classes counted as positive).
TASK_LABELS: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {
    "harmful": (("harmful", frozenset({"true"})),),
    "refused": (("refused", frozenset({"true"})),),
    "refusal3": (("refused", frozenset({"full", "partial"})), ("refused_full", frozenset({"full"}))),
}


def file_digest(path: str | Path) -> str:
    """``sha256:`` and the hex digest of the file's bytes."""
    return "sha256:" + sha256_file(path)


def language_of(locale: str) -> str:
    """A locale's BCP 47 primary language subtag, lower case (``zh-CN`` -> ``zh``)."""
    return locale.strip().replace("_", "-").split("-")[0].lower()


def _counts(agreement: Any) -> ConfusionCounts:
    return ConfusionCounts(
        classes=tuple(agreement.classes),
        confusion=tuple(tuple(int(x) for x in row) for row in agreement.confusion),
        n=int(agreement.n),
        n_assessed=int(agreement.n_assessed),
    )


def record_validation(
    store: ResultStore,
    result: Any,
    *,
    source: str,
    source_digest: str,
    recorded_by: str | None = None,
    recorded_at: datetime | None = None,
) -> JudgeValidation:
    """Store ``result`` (an ``accord.judges`` validation result of a judge against a labelled
    file: ``judge``, ``judge_version``, ``task``, ``agreement`` and ``by_locale``) and return
    the record with the id the store gave it.

    ``source`` is the file's name as the user gave it, ``source_digest`` the digest of its
    bytes (``file_digest``, taken before the file was read for validation).
    """
    if result.task not in TASK_LABELS:
        raise InputError("this validation cannot be recorded", field="--task", expected="refusal3, refused or harmful", got=result.task)
    if not result.agreement.classes:
        raise InputError(
            "this validation has no confusion counts to record", field="--record", fix="this is a bug in accord: report it"
        )
    if recorded_by is not None and not recorded_by.strip():
        recorded_by = None
    rec = JudgeValidation(
        judge_id=result.judge,
        judge_version=result.judge_version,
        task=result.task,
        source=source,
        source_digest=source_digest,
        n=int(result.agreement.n),
        recorded_by=recorded_by,
        recorded_at=recorded_at or datetime.now(UTC),
        overall=_counts(result.agreement),
        by_locale={loc: _counts(a) for loc, a in result.by_locale.items()},
    )
    return rec.model_copy(update={"id": store.add_judge_validation(rec)})


def _by_language(rec: JudgeValidation) -> dict[str, ConfusionCounts]:
    """The record's counts per language; locales of one language are summed."""
    out: dict[str, ConfusionCounts] = {}
    for locale, counts in sorted(rec.by_locale.items()):
        lang = language_of(locale)
        prev = out.get(lang)
        if prev is None:
            out[lang] = counts
            continue
        index = {c: i for i, c in enumerate(prev.classes)}  # same classes, perhaps in another order
        order = [index[c] for c in counts.classes]
        matrix = [list(row) for row in prev.confusion]
        for i, row in enumerate(counts.confusion):
            for j, x in enumerate(row):
                matrix[order[i]][order[j]] += x
        out[lang] = ConfusionCounts(
            classes=prev.classes,
            confusion=tuple(map(tuple, matrix)),
            n=prev.n + counts.n,
            n_assessed=prev.n_assessed + counts.n_assessed,
        )
    return out


def source_text(rec: JudgeValidation) -> str:
    """``labels file <name> sha256:<12 hex> recorded <date>``: where a rate came from."""
    return f"labels file {rec.source} {rec.source_digest[:19]} recorded {rec.recorded_at.date().isoformat()}"


def recorded_rates(store: ResultStore, judge_id: str, judge_version: str | None) -> list[dict[str, Any]]:
    """The judge's recorded confusion counts per label and language, for scoring.

    One dict per (label, language): ``{label, language, tp, fn, tn, fp, source}``, with
    ``label`` one of ``harmful``, ``refused``, ``refused_full`` (``TASK_LABELS``), ``language``
    a BCP 47 primary subtag in lower case, and the counts over the rows the judge assessed.
    Each comes from the *latest* recorded validation that measures that label in that
    language; earlier ones stay on record but no longer count. Languages with no assessed row
    are left out (nothing was measured there).

    With ``judge_version`` only validations of that exact version count: a retrained judge is
    another classifier, and an older version's error rates do not describe it (its labels
    would be corrected by figures measured on a different model). ``None`` takes every version.
    Sorted by label, then language.
    """
    from accord.frameworks import rates_from_confusion

    # The same conversion scoring applies to the judge card's counts (one rule for both).
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in store.iter_judge_validations(judge_id):  # oldest first: later ones replace
        if judge_version is not None and rec.judge_version != judge_version:
            continue
        for lang, counts in _by_language(rec).items():
            if counts.n_assessed == 0:
                continue
            for rates in rates_from_confusion(rec.task, counts.classes, counts.confusion, lang, source_text(rec)):
                latest[(rates.label, lang)] = rates.to_dict()
    return [latest[key] for key in sorted(latest)]


def _rate(k: int, n: int) -> dict[str, float | int | None]:
    est = wilson(k, n)
    return {"value": est.value, "lo": est.lo, "hi": est.hi, "k": k, "n": n}


def describe_validation(rec: JudgeValidation) -> dict[str, Any]:
    """A recorded validation as ``accord judge validations`` lists it: per locale the rows,
    whether they are thin (< ``THIN_ROWS`` assessed), and per label sensitivity (judged
    positive among gold positives) and specificity (judged negative among gold negatives),
    each with its 95% Wilson interval."""
    locales: dict[str, Any] = {}
    for locale, counts in sorted(rec.by_locale.items()):
        labels: dict[str, Any] = {}
        for label, positive in TASK_LABELS[rec.task]:
            tp, fn, tn, fp = counts.collapse(positive)
            labels[label] = {"tp": tp, "fn": fn, "tn": tn, "fp": fp, "sensitivity": _rate(tp, tp + fn), "specificity": _rate(tn, tn + fp)}
        locales[locale] = {
            "language": language_of(locale),
            "n": counts.n,
            "n_assessed": counts.n_assessed,
            "thin": counts.n_assessed < THIN_ROWS,
            "labels": labels,
        }
    return {
        "id": rec.id,
        "judge_id": rec.judge_id,
        "judge_version": rec.judge_version,
        "task": rec.task,
        "source": rec.source,
        "source_digest": rec.source_digest,
        "digest_short": rec.source_digest[:19],
        "n": rec.n,
        "recorded_by": rec.recorded_by,
        "recorded_at": rec.recorded_at.isoformat(),
        "locales": locales,
    }


def list_validations(store: ResultStore, judge_id: str | None = None) -> list[dict[str, Any]]:
    """Every recorded validation (of ``judge_id`` only, if given), oldest first, described."""
    return [describe_validation(rec) for rec in store.iter_judge_validations(judge_id)]

