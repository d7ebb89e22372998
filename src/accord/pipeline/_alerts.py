"""Deliver a monitor's alert to its sinks: signed webhooks and an incident on an accord server.

``deliver_alert(store, alert, sinks)`` sends one alert to every sink of a monitor file's
``alerts:`` block and records each sink's delivery state in the store, on the alert's run
(artifact kind ``monitor-alert``, one name per sink: ``webhook-0``, ``webhook-1``, ...,
``incident``). It is idempotent and never raises for a sink's failure:

- a sink already ``sent`` for this alert is skipped (``already-sent``);
- a failed sink is recorded (status, attempts, last error, HTTP status, times) and tried again
  on the next call; the state is written after every attempt (and, for an incident, before
  the request is made).

**Webhook.** ``POST <url>`` with ``Content-Type: application/json``; the body is a DSSE envelope
(``accord.monitor.ALERT_PAYLOAD_TYPE``) over the alert's JSON, signed with the organisation's
Ed25519 key (``sinks.signing_key``, else the caller's ``signing_key``, else ``ACCORD_SIGNING_KEY``,
else ``accord keys init``'s key). The ``Accord-Alert-Id`` header repeats the alert id. Extra
headers are ``env:VAR`` references read now; a variable that is not set fails that sink with
a message naming the variable. Any 2xx is ``sent``; anything else is ``failed`` with its status.
Delivery is at least once: a receiver that took the POST but whose answer never came back
gets it again on the next call, and drops the duplicate by ``alert_id``.

**Incident.** ``POST {server}/v1/incidents`` with ``Authorization: Bearer $<token_env>`` and the
``IncidentReport`` from ``accord.monitor.incident_report`` (the sink's TLP, recipients, severity
and jurisdictions). An incident is never filed twice for one alert, even when the reply to the
first POST was lost: the report carries an ``external`` link ``accord-alert:<alert id>`` (and
the id in its description), and before every POST this job asks the server which organisation
the token belongs to (``GET /v1/whoami``) and searches that organisation's own incidents for
the alert id (``GET /v1/incidents?q=<id>&reporter=<org>``). One found is recorded as sent with
its id; only when none is found is a new one filed. The search is limited to incidents the
token's organisation reported, so another organisation cannot suppress the filing by quoting
the alert id. (Two processes delivering the same alert at the same instant could still both
file; the monitor runner delivers one cycle of a run at a time.)

**Hostile receivers.** Each sink's whole exchange (connect, send, answer, body) runs under one
deadline of the sink's ``timeout_s`` (``asyncio.timeout``: a receiver that hangs or drips bytes
is cut off there, not after each read's own time-out); at most ``REPLY_LIMIT`` bytes of an
answer are read (a 1 GB reply is not read); redirects are never followed (a 3xx is a failure
that names the status: a signed alert or a bearer token must go where the monitor file says).

**Secrets.** No token, header value or key reaches an artifact, an exception, a ``Delivery`` or
the alert: header values and the token are read from the environment at send time and every
error text is passed through ``accord.redact`` with them (a receiver that echoes the request
headers back in an error body is masked).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from accord.errors import AccordError

if TYPE_CHECKING:
    import httpx

    from accord.attest import SigningKey
    from accord.monitor import Alert, AlertSinks, IncidentSink, WebhookSink
    from accord.store import ResultStore

__all__ = ["ALERT_ARTIFACT", "REPLY_LIMIT", "Delivery", "adeliver_alert", "alert_state", "deliver_alert"]

#: The store artifact kind of a sink's delivery state (one name per sink).
ALERT_ARTIFACT = "monitor-alert"
#: The most bytes of any answer that are read: enough for an incident's JSON, or an error text.
REPLY_LIMIT = 1 << 20
#: How much of an error answer is kept in the state (after redaction).
ERROR_TEXT_CHARS = 300

DeliveryStatus = Literal["sent", "already-sent", "failed"]


@dataclass(frozen=True)
class Delivery:
    """What happened to one sink in one ``deliver_alert`` call. ``detail``: the incident id, the
    HTTP status or the error (never a secret)."""

    sink: str
    kind: Literal["webhook", "incident"]
    status: DeliveryStatus
    detail: str
    attempts: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _SinkFailed(Exception):
    """One sink's attempt failed; ``args[0]`` is safe to store and print, ``http_status`` if any."""

    def __init__(self, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


def _now_text(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _url_digest(url: str) -> str:
    """The sink's URL as state records it: a digest (a webhook URL may embed a secret path)."""
    return "sha256:" + hashlib.sha256(url.encode()).hexdigest()


def _safe(text: str, secrets: Sequence[str]) -> str:
    from accord.redact import redact_all

    cleaned = "".join(c if c.isprintable() else " " for c in text)
    return redact_all(cleaned, secrets)[:ERROR_TEXT_CHARS]


def _error_text(exc: BaseException, secrets: Sequence[str], timeout_s: float) -> str:
    import httpx

    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return f"no complete answer within {timeout_s:g} s (cut off)"
    name = type(exc).__name__
    message = str(exc) or name
    return _safe(f"{name}: {message}" if message != name else name, secrets)


def alert_state(store: ResultStore, run_id: str) -> dict[str, dict[str, Any]]:
    """Every sink's delivery state on ``run_id``: ``{name: state}`` (``monitor-alert`` artifacts)."""
    return store.get_artifacts(run_id, ALERT_ARTIFACT)


class _State:
    """One sink's delivery state, read once and written after each change."""

    def __init__(self, store: ResultStore, alert: Alert, name: str, kind: str, label: str, url: str) -> None:
        self.store, self.run_id, self.name = store, alert.run_id, name
        old = store.get_artifacts(alert.run_id, ALERT_ARTIFACT).get(name) or {}
        same = old.get("alert_id") == alert.alert_id and old.get("url") == _url_digest(url) and old.get("kind") == kind
        self.data: dict[str, Any] = (
            dict(old)
            if same
            else {
                "alert_id": alert.alert_id,
                "kind": kind,
                "sink": label,
                "host": urlsplit(url).hostname,
                "url": _url_digest(url),
                "status": "pending",
                "attempts": 0,
                "last_error": None,
                "http_status": None,
                "incident_id": None,
                "first_attempt_at": None,
                "last_attempt_at": None,
                "sent_at": None,
            }
        )

    @property
    def sent(self) -> bool:
        return bool(self.data.get("status") == "sent")

    def save(self, **changes: Any) -> None:
        self.data.update(changes)
        self.store.put_artifact(self.run_id, ALERT_ARTIFACT, self.name, self.data)

    def attempt(self, now: datetime) -> None:
        """Count an attempt and record it *before* anything is sent."""
        text = _now_text(now)
        self.save(
            status="pending", attempts=int(self.data.get("attempts") or 0) + 1, first_attempt_at=self.data.get("first_attempt_at") or text,
            last_attempt_at=text,
        )  # fmt: skip


def _client(timeout_s: float) -> httpx.AsyncClient:
    import httpx

    # The per-phase time-out is a second line; the whole exchange runs under asyncio.timeout.
    return httpx.AsyncClient(timeout=httpx.Timeout(timeout_s), follow_redirects=False, headers={"Accept-Encoding": "identity"})


async def _exchange(
    http: httpx.AsyncClient, method: str, url: str, *, headers: dict[str, str], content: bytes | None = None,
    params: dict[str, str] | None = None, read_success: bool = True, limit: int = REPLY_LIMIT,
) -> tuple[int, bytes]:  # fmt: skip
    """One request: its status and at most ``limit`` bytes of the answer (none of a 2xx answer
    when ``read_success`` is False: a webhook's reply is not needed). Redirects are not followed."""
    async with http.stream(method, url, headers=headers, content=content, params=params) as resp:
        if not read_success and 200 <= resp.status_code < 300:
            return resp.status_code, b""
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.aiter_raw():  # raw: no decompression bomb (identity is asked for)
            chunks.append(chunk)
            size += len(chunk)
            if size >= limit:
                break  # the rest is never read: leaving the block closes the connection
        return resp.status_code, b"".join(chunks)[:limit]


def _status_error(status: int, body: bytes, secrets: Sequence[str]) -> _SinkFailed:
    if 300 <= status < 400:
        return _SinkFailed(f"HTTP {status}: redirects are not followed (point the sink at the final URL)", status)
    text = body.decode("utf-8", "replace").strip()
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict):  # accord's {"error", "why", "fix"}, FastAPI's {"detail"}, others' {"message"}
        inner = doc.get("error") or doc.get("detail") or doc.get("message")
        if isinstance(inner, str):
            text = inner + "".join(f"; {k}: {doc[k]}" for k in ("why", "fix") if isinstance(doc.get(k), str))
        elif inner is not None:
            text = json.dumps(inner, ensure_ascii=False)
    shown = _safe(text, secrets)
    return _SinkFailed(f"HTTP {status}" + (f": {shown}" if shown else ""), status)


# -- webhook -------------------------------------------------------------------------------


def _header_values(sink: WebhookSink) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, ref in sink.headers.items():
        var = ref[4:]
        value = os.environ.get(var)
        if value is None or value == "":
            raise _SinkFailed(f"header {name}: environment variable {var} is not set (the sink's `env:{var}`)")
        out[name] = value
    return out


async def _send_webhook(sink: WebhookSink, alert: Alert, body: bytes, secrets: list[str]) -> int:
    from accord import __version__

    values = _header_values(sink)
    secrets.extend(values.values())
    headers = {
        "User-Agent": f"accord/{__version__}",
        **values,
        "Content-Type": "application/json",
        "Accord-Alert-Id": alert.alert_id,
    }
    async with _client(sink.timeout_s) as http:
        async with asyncio.timeout(sink.timeout_s):
            status, reply = await _exchange(http, "POST", sink.url, headers=headers, content=body, read_success=False, limit=16 * 1024)
    if 200 <= status < 300:
        return status
    raise _status_error(status, reply, secrets)


async def _webhook(
    store: ResultStore, alert: Alert, sink: WebhookSink, index: int, get_key: Callable[[], SigningKey | AccordError], now: datetime
) -> Delivery:
    name = f"webhook-{index}"
    state = _State(store, alert, name, "webhook", sink.label, sink.url)
    if state.sent:
        return Delivery(sink.label, "webhook", "already-sent", f"HTTP {state.data.get('http_status')}", int(state.data["attempts"]))
    state.attempt(now)
    secrets: list[str] = []
    try:
        key = get_key()  # loaded once, and only when a webhook is still to be sent
        if isinstance(key, AccordError):
            raise _SinkFailed(f"no signing key: {key.what}" + (f" ({key.why})" if key.why else ""))
        from accord.monitor import sign_alert

        body = sign_alert(alert, key).to_json()
        status = await _send_webhook(sink, alert, body, secrets)
    except _SinkFailed as exc:
        state.save(status="failed", last_error=str(exc), http_status=exc.http_status)
        return Delivery(sink.label, "webhook", "failed", str(exc), int(state.data["attempts"]))
    except Exception as exc:  # network errors, time-outs: the receiver's state, not a crash of ours
        text = _error_text(exc, secrets, sink.timeout_s)
        state.save(status="failed", last_error=text, http_status=None)
        return Delivery(sink.label, "webhook", "failed", text, int(state.data["attempts"]))
    state.save(status="sent", last_error=None, http_status=status, sent_at=_now_text(now))
    return Delivery(sink.label, "webhook", "sent", f"HTTP {status}", int(state.data["attempts"]))


# -- incident ------------------------------------------------------------------------------


def _json(body: bytes, what: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise _SinkFailed(f"the server's answer to {what} is not JSON") from None


async def _find_filed(http: httpx.AsyncClient, sink: IncidentSink, alert: Alert, auth: dict[str, str], secrets: list[str]) -> str | None:
    """The id of an incident this token's organisation already filed for ``alert``, or None."""
    from accord.monitor import ALERT_REF_PREFIX

    status, body = await _exchange(http, "GET", f"{sink.server}/v1/whoami", headers=auth)
    if status != 200:
        raise _status_error(status, body, secrets)
    org = _json(body, "/v1/whoami").get("org")
    if not isinstance(org, str) or not org:
        raise _SinkFailed(f"the token in {sink.token_env} belongs to no organisation on {sink.server}")
    status, body = await _exchange(
        http, "GET", f"{sink.server}/v1/incidents", headers=auth, params={"q": alert.alert_id, "reporter": org, "limit": "50"}
    )
    if status != 200:
        raise _status_error(status, body, secrets)
    ref = ALERT_REF_PREFIX + alert.alert_id
    for inc in _json(body, "/v1/incidents").get("incidents") or []:
        links = ((inc.get("report") or {}).get("links")) or []
        if inc.get("reporter_org") == org and any(lk.get("kind") == "external" and lk.get("ref") == ref for lk in links):
            return str(inc.get("id"))
    return None


async def _file_incident(
    sink: IncidentSink, alert: Alert, state: _State, now: datetime, secrets: list[str]
) -> tuple[str, int | None, bool]:
    """(incident id, HTTP status of the POST or None, whether it was found already filed)."""
    from pydantic import ValidationError

    from accord import __version__
    from accord.monitor import incident_report

    token = os.environ.get(sink.token_env)
    if not token:
        raise _SinkFailed(f"environment variable {sink.token_env} (the sink's token_env) is not set")
    secrets.append(token)
    try:
        report = incident_report(alert, sink, aware_at=alert.created_at)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "the report"
        raise _SinkFailed(f"the incident report is not valid at {where}: {first.get('msg')}") from None
    auth = {"Authorization": f"Bearer {token}", "User-Agent": f"accord/{__version__}", "Accept": "application/json"}
    async with _client(sink.timeout_s) as http:
        async with asyncio.timeout(sink.timeout_s):
            found = await _find_filed(http, sink, alert, auth, secrets)
            if found is not None:
                return found, None, True
            state.attempt(now)  # recorded before the POST: a lost reply is looked for next time
            body = json.dumps(report.model_dump(mode="json")).encode()
            status, reply = await _exchange(
                http, "POST", f"{sink.server}/v1/incidents", headers={**auth, "Content-Type": "application/json"}, content=body
            )
            if status != 201:
                raise _status_error(status, reply, secrets)
            incident_id = _json(reply, "POST /v1/incidents").get("incident_id")
            if not isinstance(incident_id, str) or not incident_id:
                raise _SinkFailed("the server filed the incident but named no incident_id", status)
            return incident_id, status, False


async def _incident(store: ResultStore, alert: Alert, sink: IncidentSink, now: datetime) -> Delivery:
    label = urlsplit(sink.server).hostname or sink.server
    state = _State(store, alert, "incident", "incident", label, sink.server)
    if state.sent:
        return Delivery(label, "incident", "already-sent", str(state.data.get("incident_id")), int(state.data["attempts"]))
    secrets: list[str] = []
    before = int(state.data.get("attempts") or 0)
    try:
        incident_id, status, found = await _file_incident(sink, alert, state, now, secrets)
    except _SinkFailed as exc:
        if int(state.data.get("attempts") or 0) == before:
            state.attempt(now)
        state.save(status="failed", last_error=str(exc), http_status=exc.http_status)
        return Delivery(label, "incident", "failed", str(exc), int(state.data["attempts"]))
    except Exception as exc:
        if int(state.data.get("attempts") or 0) == before:
            state.attempt(now)
        text = _error_text(exc, secrets, sink.timeout_s)
        state.save(status="failed", last_error=text, http_status=None)
        return Delivery(label, "incident", "failed", text, int(state.data["attempts"]))
    if found and int(state.data.get("attempts") or 0) == before:
        state.attempt(now)
    state.save(status="sent", last_error=None, http_status=status, incident_id=incident_id, sent_at=_now_text(now), found_on_server=found)
    detail = f"incident {incident_id}" + (" (already filed: found on the server)" if found else "")
    return Delivery(label, "incident", "sent", detail, int(state.data["attempts"]))


# -- the job -------------------------------------------------------------------------------


def _load_key(sinks: AlertSinks, signing_key: str | None) -> SigningKey | AccordError:
    from accord.attest import load_signing_key

    try:
        return load_signing_key(sinks.signing_key or signing_key)
    except AccordError as exc:  # InputError included: every webhook fails with it, the incident still goes
        return exc


async def adeliver_alert(
    store: ResultStore, alert: Alert, sinks: AlertSinks, *, signing_key: str | None = None, now: datetime | None = None
) -> list[Delivery]:
    """``deliver_alert`` as a coroutine (for callers inside an event loop)."""
    now = now or datetime.now(UTC)
    out: list[Delivery] = []
    if sinks.webhooks:
        loaded: list[SigningKey | AccordError] = []

        def get_key() -> SigningKey | AccordError:
            if not loaded:
                loaded.append(_load_key(sinks, signing_key))
            return loaded[0]

        for i, hook in enumerate(sinks.webhooks):
            out.append(await _webhook(store, alert, hook, i, get_key, now))
    if sinks.incident is not None:
        out.append(await _incident(store, alert, sinks.incident, now))
    return out


def deliver_alert(
    store: ResultStore, alert: Alert, sinks: AlertSinks, *, signing_key: str | None = None, now: datetime | None = None
) -> list[Delivery]:
    """Send ``alert`` to every sink not yet sent; one ``Delivery`` per sink, in the file's order
    (webhooks, then the incident). Never raises for a sink's failure: it is recorded in the
    store (``monitor-alert`` artifacts on ``alert.run_id``) and retried on the next call."""
    from accord.aio import run_sync

    return run_sync(adeliver_alert(store, alert, sinks, signing_key=signing_key, now=now))
