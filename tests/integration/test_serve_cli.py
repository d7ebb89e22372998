"""``accord serve`` as a user runs it: a real process, a real port, real HTTP, Ctrl-C.

The server is started with ``--port 0``; the first line of stdout names the URL actually
bound, which the test reads back. ``--demo`` is checked end to end on the public data: the
tokens it prints (one per role) work, are printed once, and are not in the database file.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

pytest.importorskip("uvicorn")

URL_LINE = re.compile(r"accord serving on (http://127\.0\.0\.1:\d+)")
TOKEN_LINE = re.compile(r"token (\w+): (acc_[A-Za-z0-9_-]{43})")


@contextmanager
def accord_serve(*args: str, timeout_s: float = 120.0) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """Start ``accord serve ARGS --port 0``; yield (process, URL, stdout lines so far)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "accord.cli.main", "serve", "--port", "0", "--log-level", "warning", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + timeout_s
        url = None
        assert proc.stdout is not None
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            m = URL_LINE.search(line)
            if m:
                url = m.group(1)
        if url is None:
            proc.kill()
            _, err = proc.communicate(timeout=10)
            raise AssertionError(f"accord serve printed no URL; stdout {lines!r}; stderr {err[-2000:]!r}")
        # the tokens follow the URL line; read until the usage hint that ends them (if any)
        if "--demo" in args:
            while True:
                line = proc.stdout.readline()
                if not line:
                    break
                lines.append(line.rstrip("\n"))
                if line.startswith("use: "):
                    break
        _wait_up(url)
        yield proc, url, lines
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)


def _wait_up(url: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"{url} did not answer /v1/health")


def test_serve_answers_publishes_its_schema_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    db = tmp_path / "serve.db"
    with accord_serve("--db", f"sqlite:///{db}", "--log-dir", str(tmp_path / "log")) as (proc, url, lines):
        assert lines[0].startswith("accord serving on http://127.0.0.1:")
        health = httpx.get(f"{url}/v1/health").json()
        assert health["ok"] is True
        schema = httpx.get(f"{url}/openapi.json").json()
        assert "/v1/health" in schema["paths"]
        r = httpx.get(f"{url}/v1/no-such-route")
        assert r.status_code == 404 and "Traceback" not in r.text
        r = httpx.get(f"{url}/v1/health", headers={"Authorization": "Bearer acc_not-a-real-token"})
        assert r.status_code in (200, 401)  # health does not authenticate; where it would, a bad token is a 401
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err[-2000:]
        assert "Traceback" not in err
    assert db.is_file()  # the store was created where --db said


def test_a_port_in_use_is_one_clear_line_not_a_traceback(tmp_path: Path) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "accord.cli.main", "serve", "--port", str(port), "--db", f"sqlite:///{tmp_path / 's.db'}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        busy.close()
    assert proc.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr and "--port" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_an_unknown_host_is_a_clear_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "accord.cli.main", "serve", "--host", "no-such-host.invalid", "--db", f"sqlite:///{tmp_path / 's.db'}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "cannot listen on 'no-such-host.invalid'" in proc.stderr and "Traceback" not in proc.stderr


def test_demo_fills_the_store_and_prints_one_working_token_per_role_once(datasets_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    args = ("--demo", "--db", f"sqlite:///{db}", "--log-dir", str(tmp_path / "log"), "--data-dir", str(datasets_dir))
    with accord_serve(*args, timeout_s=300) as (proc, url, lines):
        tokens = dict(TOKEN_LINE.findall("\n".join(lines)))
        assert set(tokens) == {"provider", "auditor", "regulator", "public"}, lines
        who = httpx.get(f"{url}/v1/whoami", headers={"Authorization": f"Bearer {tokens['auditor']}"})
        assert who.status_code == 200 and who.json()["org"] == "demo-auditor" and who.json()["role"] == "auditor"
        assert tokens["auditor"] not in who.text  # the server never echoes a token
        r = httpx.get(f"{url}/v1/whoami", headers={"Authorization": "Bearer " + tokens["auditor"][:-1] + "x"})
        assert r.status_code == 401
        results = httpx.get(f"{url}/v1/results").json()
        assert results["total"] == 9  # one per demo run: XSTest's five models, JailbreakBench's four
        verdicts = httpx.get(f"{url}/v1/results/{results['results'][0]['id']}").json()["verdicts"]
        assert verdicts  # signed verdicts under the packs, readable by anyone
        incidents = httpx.get(f"{url}/v1/incidents", params={"limit": 500}).json()["incidents"]
        assert len(incidents) >= 100 and all(i["report"]["tlp"] == "CLEAR" for i in incidents)  # real AIID records, public
        assert any("incidentdatabase.ai" in json.dumps(i) for i in incidents)  # each cites its AIID source
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    printed = "\n".join(lines) + out
    for token in tokens.values():
        assert printed.count(token) == 1  # shown once
        assert token not in err
    data = b"".join(p.read_bytes() for p in tmp_path.glob("demo.db*"))
    assert data and not any(t.encode() in data for t in tokens.values())  # stored as digests only

    # a second --demo re-uses the store: nothing published twice, fresh tokens
    with accord_serve(*args, timeout_s=300) as (proc, url, lines):
        again = dict(TOKEN_LINE.findall("\n".join(lines)))
        assert set(again) == set(tokens) and not set(again.values()) & set(tokens.values())
        assert httpx.get(f"{url}/v1/results").json()["total"] == 9
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
