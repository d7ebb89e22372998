"""``accord run`` against a hostile endpoint (tests/support/hostile_server.py), issue 12 findings 1-3, 10.

Each malformed reply ends as a classified, stored error; the run ends in bounded time and
memory with an honest exit code; an echoed key is stored nowhere.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration._run_helpers import REPO, db_path, write_suite
from tests.support.hostile_server import HostileServer

N_ITEMS = 3
KEY = "sk-live-HOSTILEtestKEY0123456789"


#: Runs ``accord`` and, at exit, writes the process's own peak RSS (``VmHWM``, which exec
#: resets) to the file named first. ``wait4``'s ``ru_maxrss`` would not do: Linux carries the
#: parent's high-water mark across fork and exec, so a big pytest process would be counted.
_MEASURED = (
    "import atexit, runpy, sys\n"
    "hwm = sys.argv.pop(1)\n"
    "def _write():\n"
    "    with open('/proc/self/status') as fh, open(hwm, 'w') as out:\n"
    "        out.write(next(line for line in fh if line.startswith('VmHWM')))\n"
    "atexit.register(_write)\n"
    "sys.argv[0] = 'accord'\n"
    "runpy.run_module('accord.cli.main', run_name='__main__')\n"
)


def run_measured(*args: str, env: dict[str, str], timeout: float) -> tuple[int, str, str, float, float]:
    """Like ``run_child`` but with the child's own peak RSS in MB (``VmHWM``)."""
    import sys
    import tempfile

    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, tempfile.NamedTemporaryFile("r") as hwm:
        argv = [sys.executable, "-c", _MEASURED, hwm.name, *args]
        proc = subprocess.Popen(argv, stdout=out, stderr=err, text=True, cwd=REPO, env=env)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise AssertionError(f"accord {' '.join(args)} did not finish within {timeout} s")
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        del usage
        peak_kb = int(hwm.read().split()[1])
        return proc.returncode, out.read(), err.read(), time.monotonic() - started, peak_kb / 1024


def stored_errors(url: str) -> list[tuple[str | None, str | None]]:
    with sqlite3.connect(f"file:{db_path(url)}?mode=ro", uri=True) as conn:
        return [(r[0], r[1]) for r in conn.execute("SELECT error_kind, error FROM responses")]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = os.environ.copy()
    e["ACCORD_HOME"] = str(tmp_path / "home")
    e["HOSTILE_KEY"] = KEY
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        e.pop(name, None)
    return e


# Wall-time bounds: each item costs at most 2 attempts x --timeout 3 s plus backoff; the rest
# is start-up and the runner's own bookkeeping. Before issue 12, neg-chunk never ended.
MODES = [
    # mode, stored error kind, wall-time bound (s)
    ("neg-chunk", "bad_response", 45),
    ("garbage-chunk", "bad_response", 45),
    ("huge-chunk", "bad_response", 45),
    ("bad-length", "bad_response", 45),
    ("short-length", "connection", 45),
    ("huge-body", "bad_response", 45),
    ("huge-unsized", "bad_response", 45),
    ("reset", "connection", 45),
    ("slow-loris", "timeout", 45),
    ("no-message", "bad_response", 45),
    ("error-message", "client_error", 45),
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("mode", "kind", "bound_s"), MODES, ids=[m[0] for m in MODES])
def test_each_hostile_reply_is_a_classified_stored_error(
    tmp_path: Path, sqlite_url: str, env: dict[str, str], mode: str, kind: str, bound_s: float
) -> None:
    suite = write_suite(tmp_path / "s.jsonl", N_ITEMS)
    with HostileServer(mode) as srv:
        rc, out, err, wall, rss_mb = run_measured(
            "run", "-t", f"openai:{srv.url}#m", "-s", str(suite), "--db", sqlite_url, "--run-id", "hostile",
            "--max-retries", "1", "--timeout", "3", "--concurrency", "4", "--json", "--no-progress",
            env=env, timeout=bound_s + 20,
        )  # fmt: skip
    assert "Traceback" not in err, err
    assert wall < bound_s, f"{mode}: {wall:.1f} s"
    assert rss_mb < 300, f"{mode}: peak RSS {rss_mb:.0f} MB"
    assert rc == 3, f"{mode}: every item failed, yet exit {rc}\n{err[-2000:]}"
    rows = stored_errors(sqlite_url)
    if rows:  # stored as classified errors
        assert {k for k, _ in rows} == {kind}, (mode, rows)
    else:  # or the run stopped early ("the target could not be reached"), naming the kind
        assert kind in ("connection", "timeout"), (mode, err[-2000:])
        assert f"({kind}:" in err, err[-2000:]
    if mode == "error-message":
        assert all("model 'x' not found" in (e or "") for _, e in rows)
        assert "model 'x' not found" in err + out  # the server's explanation reaches the user


@pytest.mark.timeout(90)
@pytest.mark.parametrize("mode", ["echo-auth", "echo-auth-500"])
def test_an_echoed_key_is_stored_and_exported_nowhere(tmp_path: Path, sqlite_url: str, env: dict[str, str], mode: str) -> None:
    suite = write_suite(tmp_path / "s.jsonl", N_ITEMS)
    with HostileServer(mode) as srv:
        rc, out, err, _, _ = run_measured(
            "run", "-t", f"openai:{srv.url}#m", "-s", str(suite), "--db", sqlite_url, "--run-id", "echo",
            "--api-key-env", "HOSTILE_KEY", "--max-retries", "1", "--timeout", "3", "--json", "--no-progress",
            env=env, timeout=60,
        )  # fmt: skip
    assert "Traceback" not in err, err
    secret = KEY.removeprefix("sk-live-")
    assert rc == 3 and "invalid credentials" in err + out, err[-2000:]
    assert secret not in out and secret not in err
    rows = stored_errors(sqlite_url)
    if mode == "echo-auth-500":  # a 500 is stored (a 401 stops the run before anything is stored)
        assert rows and all(e and "invalid credentials" in e for _, e in rows), rows
        assert all(secret not in (e or "") for _, e in rows), rows
        rc2, exported, err2, _, _ = run_measured("runs", "export", "echo", "--db", sqlite_url, env=env, timeout=60)
        assert rc2 == 0, err2
        assert exported.strip() and secret not in exported
        for line in exported.strip().splitlines():
            json.loads(line)
    # nothing in the database file at all (responses, runs, metadata)
    for path in (db_path(sqlite_url), Path(f"{db_path(sqlite_url)}-wal")):
        assert not path.exists() or secret.encode() not in path.read_bytes()


@pytest.mark.timeout(60)
def test_credentials_in_the_target_url_are_refused_before_anything_is_stored(tmp_path: Path, sqlite_url: str, env: dict[str, str]) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 1)
    rc, out, err, _, _ = run_measured(
        "run", "-t", "openai:http://user:hunter2pw@127.0.0.1:9/v1#m", "-s", str(suite), "--db", sqlite_url, "--json",
        env=env, timeout=50,
    )  # fmt: skip
    assert rc == 2, err
    assert "credentials in the URL are refused" in err
    assert "hunter2pw" not in err + out
    path = db_path(sqlite_url)
    assert not path.exists() or b"hunter2pw" not in path.read_bytes()
