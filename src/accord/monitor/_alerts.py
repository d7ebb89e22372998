"""A monitor's alert as data: what one finished cycle found, signed for a webhook, or turned
into an incident report (pure: no network, no store; ``accord.pipeline._alerts`` sends).

An ``Alert`` is built from the comparison the monitor runner stored for a run
(``accord.pipeline._compare.Comparison.to_dict()``), so it carries the same numbers ``accord
compare`` prints: each paired regression with its n, both rates and the change's 95% interval,
the correction used (Holm or Benjamini-Hochberg) and alpha, and each verdict change.

- ``alert_id`` is derived from (monitor, target, run, baseline run): the same cycle always makes
  the same id, which is how delivery stays idempotent and how a receiver drops a duplicate.
- The webhook body is a DSSE envelope (``ALERT_PAYLOAD_TYPE``) over the alert's canonical JSON,
  signed with the organisation's Ed25519 key by accord's one DSSE implementation
  (``accord.attest.sign_payload``); ``verify_alert`` is what a receiver in Python runs.
- ``incident_report`` turns an alert into the ``IncidentReport`` filed on a server, with the
  TLP, recipients, severity and jurisdictions the monitor file chose.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from accord.errors import VerificationError

if TYPE_CHECKING:
    from accord.attest import Envelope, PublicKey, SigningKey
    from accord.incidents import IncidentReport
    from accord.monitor._sinks import AlertOn, IncidentSink

__all__ = [
    "ALERT_KINDS",
    "ALERT_PAYLOAD_TYPE",
    "ALERT_REF_PREFIX",
    "MAX_ALERT_BYTES",
    "MAX_ALERT_ROWS",
    "Alert",
    "AlertKind",
    "alert_id",
    "alert_json",
    "build_alert",
    "incident_report",
    "should_send",
    "sign_alert",
    "verify_alert",
]

AlertKind = Literal["regression", "change", "no-change", "first-run"]
"""What a cycle found: a regression (a paired test or a verdict went the worse way), another
significant change or verdict change (better), nothing significant, or no baseline to compare."""
ALERT_KINDS: tuple[str, ...] = get_args(AlertKind)

#: The DSSE ``payloadType`` of a webhook envelope: the signature covers it, so an attestation
#: signed by the same key can never be replayed as an alert, nor an alert as an attestation.
ALERT_PAYLOAD_TYPE = "application/vnd.accord.monitor-alert.v1+json"
#: How an incident filed for an alert names it (an ``external`` link): the server-side record
#: that lets a retry find an incident whose reply was lost instead of filing it twice.
ALERT_REF_PREFIX = "accord-alert:"
#: Rows kept per list (regressions, changes, verdict changes); the summary counts all of them.
MAX_ALERT_ROWS = 500
#: A webhook body larger than this is refused unread by ``verify_alert``.
MAX_ALERT_BYTES = 4 * 1024 * 1024


class Alert(BaseModel):
    """One monitor cycle's finding about one target, as sent to every sink."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alert_id: str = Field(pattern=r"^alert-[0-9a-f]{32}$", description="deterministic: monitor, target, run, baseline run")
    monitor: str = Field(min_length=1, max_length=200)
    target: str = Field(min_length=1, max_length=200)
    version: str | None = Field(default=None, max_length=200, description="the target's version label in this run")
    baseline_version: str | None = Field(default=None, max_length=200)
    run_id: str = Field(min_length=1, max_length=128)
    baseline_run_id: str | None = Field(default=None, max_length=128)
    kind: AlertKind
    summary: str = Field(max_length=1000, description="one line, with the n and interval of the worst change")
    regressions: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_ALERT_ROWS)
    changes: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_ALERT_ROWS)
    verdict_changes: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_ALERT_ROWS)
    correction: str | None = Field(default=None, description="holm or bh: the multiplicity correction the tests used")
    alpha: float | None = None
    items: int | None = Field(default=None, ge=0, description="distinct items compared")
    created_at: AwareDatetime

    @property
    def regressed_hazards(self) -> list[str]:
        """The hazards (not ``*``) a paired test found worse, in order, once each."""
        return list(dict.fromkeys(str(r["hazard"]) for r in self.regressions if r.get("hazard") not in (None, "*")))


def alert_id(monitor: str, target: str, run_id: str, baseline_run_id: str | None) -> str:
    """``alert-`` and 32 hex digits of SHA-256 over the four names (JSON-encoded, so no two
    different tuples can collide by shifting a separator)."""
    key = json.dumps([monitor, target, run_id, baseline_run_id], ensure_ascii=False, separators=(",", ":"))
    return "alert-" + hashlib.sha256(key.encode()).hexdigest()[:32]


def _rows(value: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in value if isinstance(r, Mapping)] if isinstance(value, Sequence) and not isinstance(value, str) else []


def _pts(value: Any) -> str:
    return f"{float(value) * 100:+.1f}" if isinstance(value, int | float) else "?"


def _pct(value: Any) -> str:
    return f"{float(value) * 100:.1f}%" if isinstance(value, int | float) else "n/a"


def _test_text(t: Mapping[str, Any]) -> str:
    """``harmful on cyber-offense: 2.5% -> 16.5% (+14.0 pts [+9.0, +19.0]), n=200, p_adj=3e-06``:
    both rates, the change with its paired 95% interval, the pairs it rests on."""
    diff = t.get("diff") if isinstance(t.get("diff"), Mapping) else {}
    assert isinstance(diff, Mapping)
    p = t.get("p_adjusted")
    p_text = f"{p:.2g}" if isinstance(p, int | float) else "?"
    return (
        f"{t.get('outcome', '?')} on {t.get('hazard', '?')}: {_pct(t.get('rate_a'))} -> {_pct(t.get('rate_b'))} "
        f"({_pts(diff.get('value'))} pts [{_pts(diff.get('lo'))}, {_pts(diff.get('hi'))}]), n={t.get('n', '?')}, p_adj={p_text}"
    )


def _verdict_text(v: Mapping[str, Any]) -> str:
    text = f"{v.get('pack_id', '?')}: {v.get('what', '?')} {v.get('before', '?')} -> {v.get('after', '?')}"
    if v.get("detail_a") or v.get("detail_b"):
        text += f" ({v.get('detail_a') or 'n/a'} -> {v.get('detail_b') or 'n/a'})"
    return text


def _worst(tests: list[dict[str, Any]]) -> dict[str, Any] | None:
    def size(t: Mapping[str, Any]) -> float:
        diff = t.get("diff")
        value = diff.get("value") if isinstance(diff, Mapping) else None
        return abs(float(value)) if isinstance(value, int | float) else 0.0

    return max(tests, key=size) if tests else None


def _summary(
    *, monitor: str, target: str, label: str, base_label: str | None, kind: str, regressions: list[dict[str, Any]],
    changes: list[dict[str, Any]], verdicts: list[dict[str, Any]], correction: str | None, alpha: float | None, items: int | None,
) -> str:  # fmt: skip
    head = f"{monitor}: {target} {label}"
    if kind == "first-run":
        return f"{head}: first run, no baseline to compare with"
    head += f" vs {base_label}"
    method = f"{correction or '?'}-corrected, alpha={alpha if alpha is not None else '?'}, {items if items is not None else '?'} items"
    bad_verdicts = [v for v in verdicts if v.get("regression")]
    if kind == "no-change":
        return f"{head}: no significant change ({method})"
    parts: list[str] = []
    if kind == "regression":
        parts.append(f"REGRESSION: {len(regressions)} paired test(s) worse, {len(bad_verdicts)} verdict(s) worse")
        worst = _worst(regressions)
        if worst is not None:
            parts.append("worst " + _test_text(worst))
        elif bad_verdicts:
            parts.append(_verdict_text(bad_verdicts[0]))
    else:
        parts.append(f"changed: {len(changes)} paired test(s) better, {len(verdicts)} verdict change(s), none worse")
        best = _worst(changes)
        if best is not None:
            parts.append(_test_text(best))
        elif verdicts:
            parts.append(_verdict_text(verdicts[0]))
    return f"{head}: " + "; ".join(parts) + f" ({method})"


def build_alert(
    *,
    monitor: str,
    target: str,
    version: str | None,
    baseline_version: str | None,
    run_id: str,
    baseline_run_id: str | None,
    comparison: Mapping[str, Any] | None,
    created_at: datetime,
) -> Alert:
    """The alert for one run of ``target``: ``comparison`` is ``Comparison.to_dict()`` against
    the baseline run (None: the target's first run, nothing to compare).

    ``regressions``: the paired tests whose change is ``regression``; ``changes``: those whose
    change is ``improvement``; ``verdict_changes``: every verdict change (each says whether it is
    a regression). ``kind`` is ``regression`` if any paired test or verdict change is one,
    ``change`` if anything else changed significantly, else ``no-change``.
    """
    label = version or run_id
    base_label = baseline_version or baseline_run_id
    if comparison is None:
        return Alert(
            alert_id=alert_id(monitor, target, run_id, baseline_run_id), monitor=monitor, target=target, version=version,
            baseline_version=baseline_version, run_id=run_id, baseline_run_id=baseline_run_id, kind="first-run",
            summary=_summary(monitor=monitor, target=target, label=label, base_label=None, kind="first-run", regressions=[], changes=[],
                             verdicts=[], correction=None, alpha=None, items=None),
            created_at=created_at,
        )  # fmt: skip
    paired = comparison.get("paired") if isinstance(comparison.get("paired"), Mapping) else {}
    assert isinstance(paired, Mapping)
    tests = _rows(paired.get("tests"))
    regressions = [t for t in tests if t.get("change") == "regression"]
    changes = [t for t in tests if t.get("change") == "improvement"]
    verdicts = _rows(comparison.get("verdict_changes"))
    if regressions or any(v.get("regression") for v in verdicts):
        kind: AlertKind = "regression"
    elif changes or verdicts:
        kind = "change"
    else:
        kind = "no-change"
    correction = paired.get("correction") if isinstance(paired.get("correction"), str) else None
    alpha = float(paired["alpha"]) if isinstance(paired.get("alpha"), int | float) else None
    items = int(comparison["items"]) if isinstance(comparison.get("items"), int) else None
    summary = _summary(
        monitor=monitor, target=target, label=label, base_label=base_label, kind=kind, regressions=regressions, changes=changes,
        verdicts=verdicts, correction=correction, alpha=alpha, items=items,
    )  # fmt: skip
    return Alert(
        alert_id=alert_id(monitor, target, run_id, baseline_run_id), monitor=monitor, target=target, version=version,
        baseline_version=baseline_version, run_id=run_id, baseline_run_id=baseline_run_id, kind=kind, summary=summary[:1000],
        regressions=regressions[:MAX_ALERT_ROWS], changes=changes[:MAX_ALERT_ROWS], verdict_changes=verdicts[:MAX_ALERT_ROWS],
        correction=correction, alpha=alpha, items=items, created_at=created_at,
    )  # fmt: skip


def should_send(alert: Alert, on: AlertOn) -> bool:
    """Whether a monitor whose ``alerts.on`` is ``on`` sends ``alert``: ``regression`` (only
    regressions), ``change`` (regressions and other significant changes), ``every-run`` (all,
    a first run and a quiet one included: a heartbeat that says the monitor still runs)."""
    if on == "every-run":
        return True
    if on == "change":
        return alert.kind in ("regression", "change")
    if on == "regression":
        return alert.kind == "regression"
    raise ValueError(f"unknown alerts.on {on!r}; expected regression, change or every-run")


def alert_json(alert: Alert) -> bytes:
    """The bytes that are signed: compact JSON, sorted keys, UTF-8 (what ``Alert`` parses back)."""
    return json.dumps(alert.model_dump(mode="json"), separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def sign_alert(alert: Alert, key: SigningKey) -> Envelope:
    """The webhook body: a DSSE envelope (``ALERT_PAYLOAD_TYPE``) over ``alert_json(alert)``."""
    from accord.attest import sign_payload

    return sign_payload(alert_json(alert), ALERT_PAYLOAD_TYPE, key)


def verify_alert(envelope_bytes: bytes, trusted_keys: Sequence[PublicKey]) -> Alert:
    """What a receiver runs on a webhook body: the envelope must be signed by one of
    ``trusted_keys`` (the sender organisation's public key, ``accord keys show``) with the alert
    payload type, and its payload must parse as an ``Alert``. Checked before it is parsed.
    Raises ``VerificationError`` (and nothing else) on anything wrong."""
    from pydantic import ValidationError

    from accord.attest import verify_envelope

    if len(envelope_bytes) > MAX_ALERT_BYTES:
        raise VerificationError(f"the alert is over {MAX_ALERT_BYTES} bytes", why="refused unread")
    env, _key = verify_envelope(envelope_bytes, trusted_keys, payload_type=ALERT_PAYLOAD_TYPE)
    try:
        return Alert.model_validate_json(env.payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "the top"
        raise VerificationError(f"the signed alert is malformed at {where}: {first.get('msg')}") from None


_TITLES = {
    "regression": "Safety regression in {target} {label} (monitor {monitor})",
    "change": "Significant change in {target} {label} (monitor {monitor})",
    "no-change": "No significant change in {target} {label} (monitor {monitor})",
    "first-run": "First monitored run of {target} {label} (monitor {monitor})",
}


def _description(alert: Alert) -> str:
    lines = [alert.summary, ""]
    if alert.baseline_run_id:
        lines.append(
            f"Run {alert.run_id} ({alert.version or 'no version label'}) compared with baseline run {alert.baseline_run_id} "
            f"({alert.baseline_version or 'no version label'}) on {alert.items if alert.items is not None else '?'} distinct items: "
            f"exact McNemar per hazard and outcome, {alert.correction or '?'}-corrected at alpha={alert.alpha}."
        )
    else:
        lines.append(f"Run {alert.run_id} ({alert.version or 'no version label'}): no baseline run to compare with.")
    for title, rows, fmt in (
        ("Paired regressions", alert.regressions, _test_text),
        ("Verdict changes", alert.verdict_changes, _verdict_text),
        ("Paired improvements", alert.changes, _test_text),
    ):
        if rows:
            lines += ["", f"{title} ({len(rows)}):"]
            lines += [f"- {fmt(r)}" for r in rows[:50]]
            if len(rows) > 50:
                lines.append(f"- ... and {len(rows) - 50} more (in the alert)")
    lines += ["", f"Alert id: {alert.alert_id} (accord monitor, detected {alert.created_at.isoformat()})"]
    text = "\n".join(lines)
    return text if len(text) <= 19_000 else text[:19_000] + f"\n[cut; the full alert is {alert.alert_id}]"


def incident_report(alert: Alert, sink: IncidentSink, *, aware_at: datetime) -> IncidentReport:
    """The incident filed for ``alert`` on ``sink.server``: the target as the system (its version
    label as the version), the regressed hazards that are taxonomy ids, the sink's severity, TLP,
    recipients and jurisdictions, links to the run and its baseline (``run``) and the alert id
    (``external``, ``accord-alert:<id>``: how a retry finds it). ``aware_at``: when the monitor
    found it (the alert's ``created_at`` keeps every retry's report identical)."""
    from accord.incidents import IncidentReport, Link, SystemRef
    from accord.taxonomy import is_hazard

    label = alert.version or alert.run_id
    title = _TITLES[alert.kind].format(target=alert.target, label=label, monitor=alert.monitor)
    links = [Link(kind="run", ref=alert.run_id, label="monitor run")]
    if alert.baseline_run_id:
        links.append(Link(kind="run", ref=alert.baseline_run_id, label="baseline run"))
    links.append(Link(kind="external", ref=ALERT_REF_PREFIX + alert.alert_id, label="accord monitor alert"))
    return IncidentReport(
        title=title[:300],
        description=_description(alert),
        system=SystemRef(name=alert.target, version=alert.version),
        hazards=tuple(h for h in alert.regressed_hazards if is_hazard(h)),
        severity=sink.severity,
        jurisdictions=tuple(sink.jurisdictions),
        links=tuple(links),
        aware_at=aware_at,
        tlp=sink.tlp,
        recipients=tuple(sink.recipients),
    )
