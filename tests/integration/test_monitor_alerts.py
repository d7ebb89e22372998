"""Alerts delivered for real: a loopback webhook receiver that checks each envelope with the
organisation's public key, a real accord server (uvicorn on loopback, its own SQLite store) on
which the incident is filed and then read back under TLP by a recipient and a non-recipient,
idempotency across calls (and across a lost reply), a receiver that is down then up, hostile
receivers cut off in time, and no secret in any stored artifact, answer or output."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from accord.attest import PublicKey, SigningKey
from accord.errors import VerificationError
from accord.monitor import Alert, AlertSinks, build_alert, verify_alert
from accord.pipeline import LOCAL_ADMIN, create_org, create_token, deliver_alert, open_store
from accord.server import ServerConfig, create_app
from tests.support.hostile_server import HostileServer
from tests.support.loopback import serve_app
from tests.support.threaded_server import ThreadedServer

WHEN = datetime(2026, 12, 7, 0, 5, tzinfo=UTC)
HOOK_SECRET = "hook-SECRET-7c1e9b3f0a5d42e6"
SEED = bytes(range(100, 132))  # the organisation's key; its hex must appear nowhere

REGRESSION: dict[str, Any] = {
    "items": 400,
    "paired": {
        "correction": "holm", "alpha": 0.05,
        "tests": [
            {"hazard": "cyber-offense", "outcome": "harmful", "n": 200, "both": 4, "only_a": 1, "only_b": 29, "neither": 166,
             "unassessed": 2, "rate_a": 0.025, "rate_b": 0.165, "diff": {"value": 0.14, "lo": 0.09, "hi": 0.19}, "p_value": 1e-7,
             "p_adjusted": 3e-6, "change": "regression"},
        ],
    },
    "verdict_changes": [{"pack_id": "eu-ai-act", "what": "decision", "before": "allowed", "after": "blocked", "regression": True}],
}  # fmt: skip


def make_alert(run_id: str = "mon-nightly-acme-chat-20261207T0000Z") -> Alert:
    return build_alert(
        monitor="nightly", target="acme-chat", version="2026-12", baseline_version="2026-11", run_id=run_id,
        baseline_run_id="mon-nightly-acme-chat-20261130T0000Z", comparison=REGRESSION, created_at=WHEN,
    )  # fmt: skip


# -- a webhook receiver that checks signatures ------------------------------------------------


class Receiver:
    """http.server on loopback: verifies each POST with ``trusted`` (401 if it does not verify),
    records what it got, and answers ``status``."""

    def __init__(self, trusted: list[PublicKey], *, port: int = 0, status: int = 200) -> None:
        self.trusted, self.status = trusted, status
        self.posts: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    alert: Alert | None = verify_alert(body, outer.trusted)
                except VerificationError:
                    alert = None
                outer.posts.append({"headers": dict(self.headers.items()), "body": body, "alert": alert})
                code = outer.status if alert is not None else 401
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/accord"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


class Rude(ThreadedServer):
    """Receivers that misbehave at the socket level: ``hang`` (reads the request, never answers),
    ``huge-200`` / ``huge-500`` (announce 1 GB and stream it while the client reads),
    ``redirect`` (307 to ``location``)."""

    def __init__(self, mode: str, location: str = "") -> None:
        super().__init__()
        self.mode, self.location, self.port, self.requests, self.streamed = mode, location, 0, 0, 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (int(v) for k, _, v in (ln.partition(b":") for ln in head.split(b"\r\n")) if k.strip().lower() == b"content-length"), 0
            )
            await reader.readexactly(length)
            self.requests += 1
            if self.mode == "hang":
                await asyncio.sleep(3600)
            elif self.mode == "redirect":
                writer.write(f"HTTP/1.1 307 Temporary Redirect\r\nlocation: {self.location}\r\ncontent-length: 0\r\n\r\n".encode())
                await writer.drain()
            else:
                status = b"200 OK" if self.mode == "huge-200" else b"500 Internal Server Error"
                writer.write(b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain\r\ncontent-length: 1073741824\r\n\r\n")
                block = b"x" * 65536
                while self.streamed < 1 << 30:
                    writer.write(block)
                    await writer.drain()
                    self.streamed += len(block)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            try:
                writer.close()
            except RuntimeError:  # the loop closed under a hung handler at the test's end
                pass

    async def serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]


# -- a real accord server ---------------------------------------------------------------------


class LoseReplies:
    """ASGI wrapper: the next ``lose`` POSTs to /v1/incidents are filed by the real app, but the
    client gets a 502 instead of the reply (a proxy that lost it)."""

    def __init__(self, app: Any) -> None:
        self.app, self.lose, self.posts = app, 0, 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/v1/incidents":
            self.posts += 1
            if self.lose:
                self.lose -= 1

                async def swallow(message: Any) -> None:
                    pass

                await self.app(scope, receive, swallow)
                await send({"type": "http.response.start", "status": 502, "headers": [(b"content-length", b"0")]})
                await send({"type": "http.response.body", "body": b""})
                return
        await self.app(scope, receive, send)


@dataclass
class Server:
    url: str
    tokens: dict[str, str]
    gate: LoseReplies
    http: httpx.Client

    def get(self, path: str, org: str, **params: Any) -> httpx.Response:
        return self.http.get(self.url + path, params=params, headers={"Authorization": f"Bearer {self.tokens[org]}"})


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    store = open_store(f"sqlite:///{tmp_path / 'server.db'}", create=True)
    key_file = tmp_path / "server-key.pem"
    key_file.write_bytes(SigningKey.generate().to_pem())
    os.chmod(key_file, 0o600)
    tokens: dict[str, str] = {}
    for org, role in [("acme", "provider"), ("beta", "regulator"), ("gamma", "auditor"), ("delta", "public")]:
        create_org(store, LOCAL_ADMIN, org)
        tokens[org] = create_token(store, LOCAL_ADMIN, org, role)["token"]
    gate = LoseReplies(create_app(ServerConfig(log_dir=tmp_path / "log", signing_key=str(key_file)), store=store))
    try:
        with serve_app(gate) as base, httpx.Client(timeout=10) as http:
            yield Server(base, tokens, gate, http)
    finally:
        store.close()  # type: ignore[attr-defined]


@pytest.fixture
def org_key(monkeypatch: pytest.MonkeyPatch) -> SigningKey:
    """The organisation's signing key, given the way CI gives it (ACCORD_SIGNING_KEY)."""
    monkeypatch.setenv("ACCORD_SIGNING_KEY", SEED.hex())
    monkeypatch.setenv("ALERT_HOOK_SECRET", HOOK_SECRET)
    return SigningKey.from_seed(SEED)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    """The monitor's own store (where the alert's run and its delivery state live)."""
    s = open_store(f"sqlite:///{tmp_path / 'monitor.db'}", create=True)
    yield s
    s.close()


def sinks(hook_url: str | None, server: Server | None = None, **incident: Any) -> AlertSinks:
    block: dict[str, Any] = {"on": "regression"}
    if hook_url:
        block["webhooks"] = [{"url": hook_url, "headers": {"X-Hook-Secret": "env:ALERT_HOOK_SECRET"}, "timeout_s": 5}]
    if server is not None:
        block["incident"] = {
            "server": server.url, "token_env": "ALERT_INCIDENT_TOKEN", "tlp": "AMBER", "recipients": [{"org": "beta"}],
            "severity": "serious hazard", "jurisdictions": ["NL"], "timeout_s": 10, **incident,
        }  # fmt: skip
    return AlertSinks.model_validate(block)


def stored_text(store: Any, run_id: str) -> str:
    return json.dumps(store.get_artifacts(run_id, "monitor-alert"))


def assert_no_secret(*texts: str, secrets: list[str]) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"a secret leaked: {secret[:6]}..."


# -- the tests ---------------------------------------------------------------------------------


def test_webhook_and_incident_delivered_once_and_read_under_tlp(
    server: Server, org_key: SigningKey, store: Any, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ALERT_INCIDENT_TOKEN", server.tokens["acme"])
    alert = make_alert()
    with Receiver([org_key.public]) as hook:
        first = deliver_alert(store, alert, sinks(hook.url, server))
        second = deliver_alert(store, alert, sinks(hook.url, server))
    assert [(d.kind, d.status) for d in first] == [("webhook", "sent"), ("incident", "sent")], first
    assert [(d.kind, d.status) for d in second] == [("webhook", "already-sent"), ("incident", "already-sent")]
    # the receiver got one POST, verified under the organisation's key, with the header from the env
    assert len(hook.posts) == 1
    post = hook.posts[0]
    assert post["alert"] == alert
    assert post["headers"]["Content-Type"] == "application/json"
    assert post["headers"]["Accord-Alert-Id"] == alert.alert_id
    assert post["headers"]["X-Hook-Secret"] == HOOK_SECRET
    # one incident on the server, with the id the delivery recorded
    incident_id = first[1].detail.split()[1]
    assert second[1].detail == incident_id
    mine = server.get("/v1/incidents", "acme", q=alert.alert_id).json()["incidents"]
    assert [i["id"] for i in mine] == [incident_id]
    # the recipient reads it with the marking the sink chose; a non-recipient cannot see it
    read = server.get(f"/v1/incidents/{incident_id}", "beta")
    assert read.status_code == 200, read.text
    report = read.json()["report"]
    assert report["tlp"] == "AMBER" and [r["org"] for r in report["recipients"]] == ["beta"]
    assert report["severity"] == "serious hazard" and report["jurisdictions"] == ["NL"] and report["hazards"] == ["cyber-offense"]
    assert report["system"] == {"name": "acme-chat", "version": "2026-12", "provider": None}
    assert {"kind": "run", "ref": alert.run_id, "label": "monitor run"} in report["links"]
    assert server.get(f"/v1/incidents/{incident_id}", "gamma").status_code == 404
    assert server.get("/v1/incidents", "gamma", q=alert.alert_id).json()["incidents"] == []
    # the state on the run: one artifact per sink
    state = store.get_artifacts(alert.run_id, "monitor-alert")
    assert set(state) == {"webhook-0", "incident"}
    assert state["webhook-0"]["status"] == "sent" and state["webhook-0"]["http_status"] == 200 and state["webhook-0"]["attempts"] == 1
    assert state["incident"]["incident_id"] == incident_id and state["incident"]["http_status"] == 201
    # no secret anywhere: artifacts, the webhook body, the filed incident, the process's output
    out = capfd.readouterr()
    secrets = [HOOK_SECRET, server.tokens["acme"], SEED.hex()]
    assert_no_secret(stored_text(store, alert.run_id), post["body"].decode(), read.text, out.out, out.err, secrets=secrets)
    assert_no_secret(repr(first), repr(second), secrets=secrets)


def test_a_lost_reply_does_not_file_twice(server: Server, org_key: SigningKey, store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALERT_INCIDENT_TOKEN", server.tokens["acme"])
    alert = make_alert()
    server.gate.lose = 1
    first = deliver_alert(store, alert, sinks(None, server))
    assert [(d.status, d.detail) for d in first] == [("failed", "HTTP 502")]
    assert store.get_artifacts(alert.run_id, "monitor-alert")["incident"]["status"] == "failed"
    # the incident was filed although the reply never came: the retry finds it instead of filing again
    second = deliver_alert(store, alert, sinks(None, server))
    assert second[0].status == "sent" and "found on the server" in second[0].detail
    assert server.gate.posts == 1
    filed = server.get("/v1/incidents", "acme", q=alert.alert_id).json()["incidents"]
    assert len(filed) == 1 and second[0].detail.split()[1] == filed[0]["id"]
    # the delivery state itself lost (another store, a wiped run): still not filed twice
    other = open_store(f"sqlite:///{Path(str(store.url).split('///')[-1]).with_name('other.db')}", create=True)
    try:
        again = deliver_alert(other, alert, sinks(None, server))
    finally:
        other.close()
    assert again[0].status == "sent" and server.gate.posts == 1
    # another organisation quoting the alert id cannot make this one skip its filing
    fresh = make_alert(run_id="mon-nightly-acme-chat-20261214T0000Z")
    monkeypatch.setenv("ALERT_INCIDENT_TOKEN", server.tokens["gamma"])
    spoof = deliver_alert(store, fresh, sinks(None, server, tlp="CLEAR", recipients=[]))
    assert spoof[0].status == "sent"  # gamma files one (CLEAR, readable by all) naming fresh's alert id
    monkeypatch.setenv("ALERT_INCIDENT_TOKEN", server.tokens["acme"])
    store.put_artifact(fresh.run_id, "monitor-alert", "incident", {})  # forget gamma's delivery
    real = deliver_alert(store, fresh, sinks(None, server))
    assert real[0].status == "sent" and "found" not in real[0].detail
    assert server.gate.posts == 3


def test_receiver_down_then_up(org_key: SigningKey, store: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    alert = make_alert()
    down = deliver_alert(store, alert, sinks(f"http://127.0.0.1:{port}/hooks/accord"))
    assert down[0].status == "failed" and "Connect" in down[0].detail
    state = store.get_artifacts(alert.run_id, "monitor-alert")["webhook-0"]
    assert (state["status"], state["attempts"], state["http_status"]) == ("failed", 1, None)
    with Receiver([org_key.public], port=port) as hook:
        up = deliver_alert(store, alert, sinks(hook.url))
        again = deliver_alert(store, alert, sinks(hook.url))
    assert up[0].status == "sent" and up[0].attempts == 2 and again[0].status == "already-sent"
    assert len(hook.posts) == 1
    state = store.get_artifacts(alert.run_id, "monitor-alert")["webhook-0"]
    assert (state["status"], state["attempts"], state["last_error"]) == ("sent", 2, None)


def test_a_receiver_that_pins_another_key_refuses_the_alert(org_key: SigningKey, store: Any) -> None:
    with Receiver([SigningKey.generate().public]) as hook:
        got = deliver_alert(store, make_alert(), sinks(hook.url))
    assert got[0].status == "failed" and got[0].detail.startswith("HTTP 401")
    assert len(hook.posts) == 1 and hook.posts[0]["alert"] is None


def test_missing_environment_variables_fail_their_sink_by_name(
    server: Server, org_key: SigningKey, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALERT_HOOK_SECRET")
    monkeypatch.delenv("ALERT_INCIDENT_TOKEN", raising=False)
    alert = make_alert()
    with Receiver([org_key.public]) as hook:
        got = deliver_alert(store, alert, sinks(hook.url, server))
    assert [d.status for d in got] == ["failed", "failed"]
    assert "ALERT_HOOK_SECRET is not set" in got[0].detail and "X-Hook-Secret" in got[0].detail
    assert "ALERT_INCIDENT_TOKEN" in got[1].detail and "not set" in got[1].detail
    assert hook.posts == [] and server.gate.posts == 0
    state = store.get_artifacts(alert.run_id, "monitor-alert")
    assert "ALERT_HOOK_SECRET" in state["webhook-0"]["last_error"]


def test_a_refused_token_is_a_failure_with_the_servers_reason(
    server: Server, org_key: SigningKey, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bogus = "acc_" + "Z" * 40
    monkeypatch.setenv("ALERT_INCIDENT_TOKEN", bogus)
    alert = make_alert()
    got = deliver_alert(store, alert, sinks(None, server))
    assert got[0].status == "failed" and got[0].detail.startswith("HTTP 401: "), got
    state = store.get_artifacts(alert.run_id, "monitor-alert")["incident"]
    assert (state["status"], state["http_status"], state["attempts"]) == ("failed", 401, 1)
    assert_no_secret(got[0].detail, stored_text(store, alert.run_id), secrets=[bogus])
    # a token that cannot file (read-only role) is refused by the server, not by a guess here
    monkeypatch.setenv("ALERT_INCIDENT_TOKEN", server.tokens["delta"])
    assert deliver_alert(store, alert, sinks(None, server))[0].detail.startswith("HTTP 403")


def test_no_signing_key_fails_the_webhooks_only(server: Server, store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCORD_SIGNING_KEY", raising=False)
    monkeypatch.setenv("ALERT_HOOK_SECRET", HOOK_SECRET)
    monkeypatch.setenv("ALERT_INCIDENT_TOKEN", server.tokens["acme"])
    with Receiver([]) as hook:
        got = deliver_alert(store, make_alert(), sinks(hook.url, server))
    assert (got[0].status, got[1].status) == ("failed", "sent")
    assert "no signing key" in got[0].detail and hook.posts == []


def test_an_echoing_receiver_leaks_no_secret(org_key: SigningKey, store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A receiver whose error body echoes the request's Authorization header back."""
    monkeypatch.setenv("ALERT_HOOK_SECRET", "Bearer " + HOOK_SECRET)
    with HostileServer("echo-auth-500") as rude:
        hook = AlertSinks.model_validate({"webhooks": [{"url": rude.url + "/hook", "headers": {"Authorization": "env:ALERT_HOOK_SECRET"}}]})
        alert = make_alert()
        got = deliver_alert(store, alert, hook)
    assert got[0].status == "failed" and got[0].detail.startswith("HTTP 500")
    assert "invalid credentials" in got[0].detail  # the receiver's words are kept, its echo masked
    assert_no_secret(got[0].detail, stored_text(store, alert.run_id), secrets=[HOOK_SECRET])


@pytest.mark.parametrize("mode", ["hang", "huge-500"])
def test_hostile_receivers_are_cut_off_in_time(mode: str, org_key: SigningKey, store: Any) -> None:
    with Rude(mode) as rude:
        hook = AlertSinks.model_validate({"webhooks": [{"url": rude.url, "timeout_s": 1}]})
        t0 = time.monotonic()
        got = deliver_alert(store, make_alert(), hook)
        took = time.monotonic() - t0
    assert got[0].status == "failed" and took < 2.5, (got, took)
    assert rude.requests == 1
    if mode == "hang":
        assert "within 1 s" in got[0].detail
    else:
        assert got[0].detail.startswith("HTTP 500")
        assert rude.streamed < 64 << 20  # stopped reading long before 1 GB


def test_a_huge_success_answer_is_not_read(org_key: SigningKey, store: Any) -> None:
    with Rude("huge-200") as rude:
        t0 = time.monotonic()
        got = deliver_alert(store, make_alert(), AlertSinks.model_validate({"webhooks": [{"url": rude.url, "timeout_s": 5}]}))
        took = time.monotonic() - t0
    assert got[0].status == "sent" and took < 2.0 and rude.streamed < 64 << 20


def test_a_slow_drip_is_cut_at_the_deadline(org_key: SigningKey, store: Any) -> None:
    """One byte a second: each read is within any per-read time-out, the whole is not."""
    with HostileServer("slow-loris") as rude:
        t0 = time.monotonic()
        got = deliver_alert(store, make_alert(), AlertSinks.model_validate({"webhooks": [{"url": rude.url + "/hook", "timeout_s": 2}]}))
        took = time.monotonic() - t0
    assert got[0].status == "failed" and "within 2 s" in got[0].detail and took < 3.5, (got, took)


def test_redirects_are_not_followed(org_key: SigningKey, store: Any) -> None:
    with Receiver([org_key.public]) as elsewhere, Rude("redirect", location=elsewhere.url) as rude:
        got = deliver_alert(store, make_alert(), AlertSinks.model_validate({"webhooks": [{"url": rude.url}]}))
    assert got[0].status == "failed" and got[0].detail.startswith("HTTP 307: redirects are not followed")
    assert elsewhere.posts == []


def test_an_alert_from_a_real_comparison_reaches_the_receiver(tmp_path: Path, org_key: SigningKey) -> None:
    """Store -> ``compare_runs`` -> ``build_alert`` -> signed webhook -> verified by the receiver."""
    from accord.pipeline import compare_runs
    from tests.integration.test_compare_cli import _store

    url = _store(tmp_path, cand_harmful=20)
    st = open_store(url)
    try:
        cmp = compare_runs(st, "base", "cand", verdicts=False)
        alert = build_alert(
            monitor="nightly", target="acme-chat", version="v2", baseline_version="v1", run_id="cand", baseline_run_id="base",
            comparison=cmp.to_dict(), created_at=WHEN,
        )  # fmt: skip
        assert alert.kind == "regression" and "cyber-offense" in alert.regressed_hazards
        with Receiver([org_key.public]) as hook:
            got = deliver_alert(st, alert, sinks(hook.url))
        assert got[0].status == "sent" and hook.posts[0]["alert"] == alert
        assert st.get_artifacts("cand", "monitor-alert")["webhook-0"]["status"] == "sent"
    finally:
        st.close()


def test_state_belongs_to_one_alert_and_one_url(org_key: SigningKey, store: Any) -> None:
    """A new alert on the same run (another baseline), or a sink pointed elsewhere, is delivered
    afresh; the state of the earlier one never makes it look sent."""
    first = make_alert()
    other_baseline = build_alert(
        monitor="nightly", target="acme-chat", version="2026-12", baseline_version="2026-10", run_id=first.run_id,
        baseline_run_id="mon-nightly-acme-chat-20261123T0000Z", comparison=REGRESSION, created_at=WHEN,
    )  # fmt: skip
    assert other_baseline.alert_id != first.alert_id
    with Receiver([org_key.public]) as hook, Receiver([org_key.public]) as moved:
        assert deliver_alert(store, first, sinks(hook.url))[0].status == "sent"
        assert deliver_alert(store, other_baseline, sinks(hook.url))[0].status == "sent"
        assert deliver_alert(store, other_baseline, sinks(moved.url))[0].status == "sent"
        assert deliver_alert(store, other_baseline, sinks(moved.url))[0].status == "already-sent"
    assert [p["alert"].alert_id for p in hook.posts] == [first.alert_id, other_baseline.alert_id]
    assert [p["alert"].alert_id for p in moved.posts] == [other_baseline.alert_id]
    state = store.get_artifacts(first.run_id, "monitor-alert")["webhook-0"]
    assert state["alert_id"] == other_baseline.alert_id and state["host"] == "127.0.0.1" and moved.url not in json.dumps(state)
