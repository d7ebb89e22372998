"""Continuous monitoring (pure): paired regression tests between runs, verdict changes,
monitor files and their schedules, alert payloads.

No I/O: the pipeline (``accord.pipeline._monitor``) reads the store, runs what is due and
sends alerts; this package decides. numpy and scipy load inside the functions that use them.
"""

from typing import TYPE_CHECKING, Any

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
from accord.monitor._schedule import (
    EPOCH,
    CycleRun,
    TargetPlan,
    cycle_start,
    monitor_run_id,
    next_boundary,
    parse_cadence,
    plan_target,
    rfc3339,
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
__all__ += ["EPOCH", "CycleRun", "TargetPlan", "cycle_start", "monitor_run_id", "next_boundary", "parse_cadence", "plan_target", "rfc3339"]

# Alerts (issue 23): loaded on first use, so ``import accord.monitor`` does not load the
# incident schema and cryptography (the compare and monitor commands import this package).
_LAZY: dict[str, str] = {
    **dict.fromkeys(
        (
            "ALERT_KINDS",
            "ALERT_PAYLOAD_TYPE",
            "ALERT_REF_PREFIX",
            "Alert",
            "AlertKind",
            "alert_id",
            "alert_json",
            "build_alert",
            "incident_report",
            "should_send",
            "sign_alert",
            "verify_alert",
        ),
        "accord.monitor._alerts",
    ),
    **dict.fromkeys(("ALERT_ON", "AlertOn", "AlertSinks", "IncidentSink", "WebhookSink"), "accord.monitor._sinks"),
}
# The monitor file (issue 23): its model loads the alert sinks, so it is lazy too.
_LAZY.update(dict.fromkeys(("SERVED", "CompareSettings", "MonitorFile", "MonitorTarget"), "accord.monitor._file"))
__all__ += sorted(_LAZY)

if TYPE_CHECKING:
    from accord.monitor._alerts import (
        ALERT_KINDS,
        ALERT_PAYLOAD_TYPE,
        ALERT_REF_PREFIX,
        Alert,
        AlertKind,
        alert_id,
        alert_json,
        build_alert,
        incident_report,
        should_send,
        sign_alert,
        verify_alert,
    )
    from accord.monitor._file import SERVED, CompareSettings, MonitorFile, MonitorTarget
    from accord.monitor._sinks import ALERT_ON, AlertOn, AlertSinks, IncidentSink, WebhookSink


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'accord.monitor' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
