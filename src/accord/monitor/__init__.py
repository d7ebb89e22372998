"""Continuous monitoring (pure): paired regression tests between runs, verdict changes,
monitor files and their schedules, alert payloads.

No I/O: the pipeline (``accord.pipeline._monitor``) reads the store, runs what is due and
sends alerts; this package decides. numpy and scipy load inside the functions that use them.
"""

from accord.monitor._paired import (
    ALPHA,
    CORRECTIONS,
    OUTCOME_INTENTS,
    WORSE_WHEN,
    Correction,
    ItemOutcomes,
    PairedComparison,
    PairedTest,
    adjust,
    benjamini_hochberg,
    collapse,
    compare_outcomes,
    holm,
    mcnemar_exact,
    paired_test,
)
from accord.monitor._verdicts import VerdictChange, verdict_changes

__all__ = [
    "ALPHA",
    "CORRECTIONS",
    "OUTCOME_INTENTS",
    "WORSE_WHEN",
    "Correction",
    "ItemOutcomes",
    "PairedComparison",
    "PairedTest",
    "VerdictChange",
    "adjust",
    "benjamini_hochberg",
    "collapse",
    "compare_outcomes",
    "holm",
    "mcnemar_exact",
    "paired_test",
    "verdict_changes",
]
