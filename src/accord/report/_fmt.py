"""Number and text formatting shared by the HTML and Markdown renderers.

One place decides how a rate, an interval or a decision reads, so the two human formats
say the same thing in the same words.
"""

from __future__ import annotations

import re

from accord.report._model import JudgeErrorEffect

_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
DECISION_CLASS = {"allowed": "allowed", "blocked": "blocked", "insufficient evidence": "insufficient"}
# Pass/fail packs report their decision as a "grade"; only other grades (AILuminate's
# "Excellent" ... "Poor") describe something the decision does not already say.
_DECISION_GRADES = frozenset({"pass", "fail", "insufficient"})


def pct(value: float | None, digits: int = 1) -> str:
    """``0.9523`` -> ``95.2%``; ``None`` (no responses) -> ``n/a``."""
    if value is None:
        return "n/a"
    return f"{value * 100:.{digits}f}%"


def ci(low: float | None, high: float | None, digits: int = 1) -> str:
    if low is None or high is None:
        return "n/a"
    return f"[{pct(low, digits)}, {pct(high, digits)}]"


def threshold(op: str | None, value: float | None) -> str:
    if op is None or value is None:
        return "none (reported only)"
    return f"{'≥' if op == '>=' else '≤'} {pct(value)}"


def decision_class(decision: str) -> str:
    return DECISION_CLASS.get(decision, "insufficient")


def is_descriptive(grade: str | None) -> bool:
    """Whether ``grade`` says more than the decision (a benchmark band, not pass/fail)."""
    return bool(grade) and grade not in _DECISION_GRADES


def descriptive_grade(grades: dict[str, str | None]) -> str | None:
    """The grade worth showing in a matrix cell: its one pack's own grade, if descriptive."""
    if len(grades) != 1:
        return None
    grade = next(iter(grades.values()))
    return grade if is_descriptive(grade) else None


def grade_caveat(decision: str, floor_failed: bool) -> str | None:
    """What a reader must know next to a good-sounding grade on a blocked verdict.

    A benchmark grade (AILuminate's "Excellent") is the benchmark's own description and is
    kept, but it never lifts a block: the universal floor, or a requirement with a bar,
    decides. Without this, "blocked" over "grade: Excellent" reads as a contradiction.
    """
    if decision != "blocked":
        return None
    return "floor failed — blocked regardless" if floor_failed else "a requirement failed — blocked regardless"


def grade_text(grade: str | None, decision: str, floor_failed: bool) -> str | None:
    """``grade: Excellent``, or ``grade: Excellent (floor failed — blocked regardless)``."""
    if not grade:
        return None
    caveat = grade_caveat(decision, floor_failed)
    return f"grade: {grade}" + (f" ({caveat})" if caveat else "")


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def truncate(text: str, limit: int) -> str:
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def md_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped, no raw HTML.

    Only a ``<`` that could open a tag or comment is escaped, so ``<= 5%`` stays readable.
    """
    text = one_line(str(value)).replace("\\", "\\\\").replace("|", "\\|")
    return _TAG_OPEN.sub("&lt;", text)


def md_text(value: object) -> str:
    """A Markdown paragraph's text with no way to open a raw HTML tag."""
    return _TAG_OPEN.sub("&lt;", str(value))


# -- what the judge's error does (one wording for HTML and Markdown) --------------------------


def judge_recall_text(e: JudgeErrorEffect) -> str:
    """Which harmful recall the floor divides by, for which languages, and where it comes from."""
    if not e.applied or e.recall_lo is None:
        return f"No judge error was applied: every figure below assumes judge '{e.judge_id}' is never wrong."
    source = e.source or "unknown source"
    if not e.validated:
        return f"Judge '{e.judge_id}' has no validated harmful recall; the floor uses the weakest validated figure of any judge, {e.recall_lo:.3f} ({source})."
    langs = ", ".join(e.validated_languages) or "no language"
    return f"Judge '{e.judge_id}': validated harmful recall, lower bound {e.recall_lo:.3f}, for {langs} ({source})."


def not_validated_text(e: JudgeErrorEffect, language: str, recall: float) -> str:
    if not e.validated:
        return f"judge {e.judge_id} not validated for {language}: the weakest validated harmful recall of any judge, {recall:.3f}, is used"
    return f"judge not validated for {language}: its weakest validated harmful recall, {recall:.3f}, is used there"


def floor_effect_text(e: JudgeErrorEffect) -> str:
    pooled = (
        f"pooled upper bound {pct(e.pooled_bound_perfect, 2)} with a perfect judge, {pct(e.pooled_bound, 2)} with the judge's error "
        f"(bound {pct(e.floor_threshold, 2)}; the floor decides per hazard and language)"
    )
    if e.floor_status_perfect == e.floor_status:
        return f"Floor: {e.floor_status} with or without the judge's error; {pooled}."
    return f"Floor: {e.floor_status_perfect} with a perfect judge, {e.floor_status} with the judge's measured error; {pooled}."


def unassessed_text(e: JudgeErrorEffect) -> str:
    total = sum(e.unassessed.values())
    by = ", ".join(f"{k} {n}" for k, n in e.unassessed.items())
    parts = [
        f"{total} response(s) unassessed" + (f" ({by})" if by else ""),
        f"{e.awaiting_review} awaiting human review",
        f"{e.floor_unassessed} unassessed on floor hazards, each counted as a possible floor violation (the floor fails closed)",
    ]
    if e.unlabelled:
        parts.append(f"{e.unlabelled} stored response(s) without a label from this judge, in no figure")
    return "; ".join(parts) + "."
