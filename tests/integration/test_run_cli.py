"""``accord run`` as a user runs it: replay and OpenAI-compatible targets, --json, cache, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from accord.store import Store
from tests.integration._run_helpers import REPO, accord_argv, count_rows, db_path, last_json, run_accord, write_suite
from tests.support.loopback_openai import LoopbackServer

JSON_KEYS = {"run_id", "items", "responses", "errors", "wall_s", "cpu_s", "req_per_s"}


def test_replay_run_prints_one_json_line(tmp_path: Path, sqlite_url: str) -> None:
    suite = write_suite(tmp_path / "mini.jsonl", 20)
    replay = tmp_path / "rec.jsonl"
    replay.write_text("".join(json.dumps({"item_id": f"q{i}", "output": f"answer {i}", "model": "rec-1"}) + "\n" for i in range(18)))
    res = run_accord("run", "--target", f"replay:{replay}", "--suite", str(suite), "--db", sqlite_url, "--run-id", "rep", "--epochs", "2", "--json")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert JSON_KEYS <= set(out) and {"status", "expected", "complete", "target_name"} <= set(out)
    assert (out["run_id"], out["items"], out["responses"], out["errors"]) == ("rep", 20, 40, 4)
    assert out["cpu_s"] > 0 and out["wall_s"] > 0 and out["req_per_s"] > 0
    assert "run id: rep" in res.stderr
    with Store.open(sqlite_url) as store:
        assert store.error_counts("rep") == {"missing_record": 4}
        run = store.get_run("rep")
        assert run is not None and run.status == "complete" and run.suites[0].n_items == 20
        assert run.suites[0].digest.startswith("sha256:")
    # running the finished run again sends nothing and stores nothing twice
    again = run_accord("run", "--target", f"replay:{replay}", "--suite", str(suite), "--db", sqlite_url, "--run-id", "rep", "--epochs", "2", "--json")
    assert again.returncode == 0, again.stderr
    assert last_json(again.stdout)["responses"] == 40
    assert "resuming: rep" in again.stderr


def test_openai_target_second_run_comes_from_the_cache(tmp_path: Path, sqlite_url: str) -> None:
    suite = write_suite(tmp_path / "mini.jsonl", 30, extra={3: "x [[content_filter]]", 4: "y [[always400]]"})
    with LoopbackServer(latency_ms=1) as srv:
        target = f"openai:{srv.url}#tiny"
        first = run_accord("run", "-t", target, "-s", str(suite), "--db", sqlite_url, "--json", "--concurrency", "8")
        assert first.returncode == 0, first.stderr
        one = last_json(first.stdout)
        assert (one["responses"], one["errors"]) == (30, 1)
        sent = srv.stats.requests
        # issue 15: another run's answers are reused only when asked (--reuse-cache MAX_AGE)
        second = run_accord("run", "-t", target, "-s", str(suite), "--db", sqlite_url, "--json", "--reuse-cache", "1h")
        assert second.returncode == 0, second.stderr
        two = last_json(second.stdout)
        assert two["run_id"] != one["run_id"] and two["responses"] == 30
        assert srv.stats.requests == sent + 1  # only the failed request goes out again
        third = run_accord("run", "-t", target, "-s", str(suite), "--db", sqlite_url, "--json", "--no-cache")
        assert third.returncode == 0 and srv.stats.requests == sent + 1 + 30
    with Store.open(sqlite_url) as store:
        rows = {r.item_id: r for r in store.iter_responses(str(two["run_id"]))}
        assert rows["q0"].cached and rows["q0"].output == "echo: question q0"
        assert rows["q0"].provenance == "reused" and rows["q0"].source_run == one["run_id"]
        assert rows["q3"].blocked and rows["q3"].output is None and rows["q3"].error_kind is None
        assert rows["q4"].error_kind is not None and not rows["q4"].cached
        assert store.response_counts(str(two["run_id"]))["cached"] == 29


@pytest.mark.parametrize(
    ("target", "suite_rows", "needle"),
    [
        ("openai:http://127.0.0.1:9/v1", None, "base URL but no model"),
        ("nonsense:x", None, "unknown target provider 'nonsense'"),
        ("replay:{tmp}/absent.jsonl", None, "no such replay file"),
        ("replay:{tmp}/bad.jsonl", None, "bad.jsonl:2"),
        ("replay:{tmp}/good.jsonl", ['{"id": "a", "prompt": "hi"}', '{"id": "b", "prompt": ""}'], "suite.jsonl:2"),
        ("replay:{tmp}/good.jsonl", ['{"id": "a", "prompt": "hi"}', "{broken"], "suite.jsonl:2"),
    ],
)
def test_bad_input_fails_before_any_run_exists(tmp_path: Path, sqlite_url: str, target: str, suite_rows: list[str] | None, needle: str) -> None:
    (tmp_path / "good.jsonl").write_text('{"item_id": "a", "output": "x"}\n')
    (tmp_path / "bad.jsonl").write_text('{"item_id": "a", "output": "x"}\n{"item_id": "b"}\n')
    suite = tmp_path / "suite.jsonl"
    suite.write_text("\n".join(suite_rows or ['{"id": "a", "prompt": "hi"}']) + "\n")
    res = run_accord("run", "--target", target.format(tmp=tmp_path), "--suite", str(suite), "--db", sqlite_url, "--run-id", "x")
    assert res.returncode == 2
    assert needle in res.stderr and "Traceback" not in res.stderr
    assert not db_path(sqlite_url).exists() or Store.open(sqlite_url).list_runs() == []


def test_ctrl_c_flushes_marks_interrupted_and_resumes(tmp_path: Path, sqlite_url: str) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 3000)
    with LoopbackServer(latency_ms=10) as srv:
        argv = accord_argv("run", "-t", f"openai:{srv.url}#m", "-s", str(suite), "--db", sqlite_url, "--run-id", "cc", "--concurrency", "10", "--json")
        proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
        deadline = time.monotonic() + 60
        while count_rows(sqlite_url, "SELECT count(*) FROM responses") < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "resume with --run-id cc" in err
        summary = json.loads(out.strip().splitlines()[-1])
        stored = count_rows(sqlite_url, "SELECT count(*) FROM responses")
        assert summary["responses"] == stored and 0 < stored < 3000
        assert count_rows(sqlite_url, "SELECT count(*) FROM runs WHERE status = 'interrupted'") == 1
        res = run_accord("run", "-t", f"openai:{srv.url}#m", "-s", str(suite), "--db", sqlite_url, "--run-id", "cc", "--concurrency", "50", "--json")
        assert res.returncode == 0, res.stderr
    assert last_json(res.stdout)["responses"] == 3000
    assert count_rows(sqlite_url, "SELECT count(*) FROM runs WHERE status = 'complete'") == 1


def test_run_import_graph_stays_lean(tmp_path: Path, sqlite_url: str) -> None:
    """``accord run`` against an OpenAI-compatible server loads no heavy or unused library."""
    suite = write_suite(tmp_path / "one.jsonl", 1)
    with LoopbackServer() as srv:
        res = subprocess.run(
            [*accord_argv("run", "-t", f"openai:{srv.url}#m", "-s", str(suite), "--db", sqlite_url, "--json")][:1]
            + ["-X", "importtime"]
            + accord_argv("run", "-t", f"openai:{srv.url}#m", "-s", str(suite), "--db", sqlite_url, "--json")[1:],
            capture_output=True, text=True, cwd=REPO, timeout=60,
        )  # fmt: skip
    assert res.returncode == 0, res.stderr
    loaded = {line.split("|")[-1].strip() for line in res.stderr.splitlines() if line.startswith("import time:")}
    heavy = {"sklearn", "numpy", "scipy", "torch", "transformers", "fastapi", "starlette", "uvicorn", "openai", "anthropic", "httpx", "httpcore", "jinja2", "cryptography"}
    assert not {m for m in loaded if m.split(".")[0] in heavy}


def test_csv_suite_with_a_column_mapping(tmp_path: Path, sqlite_url: str) -> None:
    csv = tmp_path / "probes.csv"
    csv.write_text("key,text,category\nk1,how do I bake bread,benign\nk2,what is the capital of France,benign\n")
    replay = tmp_path / "rec.jsonl"
    replay.write_text('{"item_id": "k1", "output": "knead it"}\n{"item_id": "k2", "output": "Paris"}\n')
    res = run_accord(
        "run", "-t", f"replay:{replay}", "-s", str(csv), "--map", "id=key,prompt=text,hazard=category",
        "--db", sqlite_url, "--run-id", "csv", "--json",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert last_json(res.stdout)["responses"] == 2 and last_json(res.stdout)["errors"] == 0
    bad = run_accord("run", "-t", f"replay:{replay}", "-s", str(csv), "--map", "prompt", "--db", sqlite_url)
    assert bad.returncode == 2 and "--map" in bad.stderr


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_wrong_model_exits_3_and_prints_the_servers_message_once(tmp_path: Path, sqlite_url: str) -> None:
    """Issue 12 finding 14: a run whose items all failed exits 3 and says why, with counts."""
    suite = write_suite(tmp_path / "s.jsonl", 12)
    with LoopbackServer(models=("m",)) as srv:
        res = run_accord("run", "-t", f"openai:{srv.url}#x", "-s", str(suite), "--db", sqlite_url, "--run-id", "wrong", "--no-progress")
    assert res.returncode == 3, res.stderr
    lines = [line for line in res.stderr.splitlines() if "model 'x' not found" in line]
    assert len(lines) == 1, res.stderr  # one distinct message, not one line per item
    assert lines[0].strip().startswith("12 x client_error:"), lines
    assert "incomplete: wrong" in res.stderr and "Traceback" not in res.stderr


def test_small_suite_against_a_dead_server_stores_no_errors(tmp_path: Path, sqlite_url: str) -> None:
    """Issue 12 finding 14: with fewer than 10 items, connection errors are not stored as final."""
    suite = write_suite(tmp_path / "s.jsonl", 3)
    port = _closed_port()
    args = ("run", "-t", f"openai:http://127.0.0.1:{port}/v1#m", "-s", str(suite), "--db", sqlite_url, "--run-id", "small")
    res = run_accord(*args, "--max-retries", "1", "--no-progress")
    assert res.returncode == 3, res.stderr
    assert "could not be reached" in res.stderr and "Traceback" not in res.stderr
    assert count_rows(sqlite_url, "SELECT count(*) FROM responses") == 0
    with LoopbackServer(port=port):  # the server is up now: resuming sends the same items again
        ok = run_accord(*args, "--json")
    assert ok.returncode == 0, ok.stderr
    assert (last_json(ok.stdout)["responses"], last_json(ok.stdout)["errors"]) == (3, 0)


def test_retry_errors_resends_stored_errors_and_keeps_the_old_attempts(tmp_path: Path, sqlite_url: str) -> None:
    """Issue 12 finding 12: after an outage, `--retry-errors` turns the stored errors into answers."""
    flaky = {i: f"question q{i} [[flaky]]" for i in (5, 6, 7, 11)}
    suite = write_suite(tmp_path / "s.jsonl", 20, extra=flaky)
    with LoopbackServer(flaky_down=True) as srv:
        args = ("run", "-t", f"openai:{srv.url}#m", "-s", str(suite), "--db", sqlite_url, "--run-id", "outage", "--concurrency", "2", "--max-retries", "0")
        first = run_accord(*args, "--json")
        assert first.returncode == 0, first.stderr
        assert (last_json(first.stdout)["responses"], last_json(first.stdout)["errors"]) == (20, 4)
        sent = srv.stats.requests
        plain = run_accord(*args, "--json")  # a plain resume: the errors count as done, as before
        assert plain.returncode == 0 and srv.stats.requests == sent
        assert last_json(plain.stdout)["errors"] == 4
        srv.config.flaky_down = False  # the outage is over
        again = run_accord(*args, "--retry-errors", "--json")
        assert again.returncode == 0, again.stderr
        assert srv.stats.requests == sent + 4  # only the errored items went out again
    out = last_json(again.stdout)
    assert (out["responses"], out["errors"], out["retried_errors"]) == (20, 0, 4)
    with Store.open(sqlite_url) as store:
        rows = {r.item_id: r for r in store.iter_responses("outage")}
        attempts = list(store.iter_attempts("outage"))  # type: ignore[attr-defined]
    assert all(r.error_kind is None and r.output for r in rows.values())
    assert rows["q5"].output == "echo: question q5 [[flaky]]"
    assert sorted(a["item_id"] for a in attempts) == ["q11", "q5", "q6", "q7"]
    assert all(a["error_kind"] is not None for a in attempts)


def test_concurrency_adapts_to_a_server_that_serves_one_request_at_a_time(tmp_path: Path, sqlite_url: str) -> None:
    """Issue 12 finding 14: `--concurrency 64` against a one-slot server (llama.cpp-like).

    Each request takes 0.5 s and the time-out is 1 s, so with 64 in flight nearly every
    request times out in the queue. The adaptive limit brings it down to what the server
    serves, the run completes, and a hint names a concurrency that fits.
    """
    n = 20
    suite = write_suite(tmp_path / "s.jsonl", n)
    with LoopbackServer(serial=True, latency_ms=500) as srv:
        res = run_accord(
            "run", "-t", f"openai:{srv.url}#m", "-s", str(suite), "--db", sqlite_url, "--run-id", "slot",
            "--concurrency", "64", "--timeout", "1", "--no-progress", "--json",
        )  # fmt: skip
    out = last_json(res.stdout)
    assert out["responses"] == n
    assert out["errors"] <= n // 5, res.stderr  # without adapting, about half time out 6 times
    hints = [line for line in res.stderr.splitlines() if line.startswith("hint: ")]
    assert len(hints) == 1 and "timeout" in hints[0] and "try --concurrency " in hints[0], res.stderr
    suggested = int(hints[0].rsplit("try --concurrency ", 1)[1].split()[0])
    assert 1 <= suggested <= 4
    assert out["in_flight_limit"] is not None and out["in_flight_limit"] < 64


def test_counters_are_never_negative(tmp_path: Path, sqlite_url: str) -> None:
    """Issue 12 finding 14: a run served from the cache reports 0 retries, never a negative count."""
    suite = write_suite(tmp_path / "s.jsonl", 10)
    with LoopbackServer() as srv:
        target = f"openai:{srv.url}#m"
        assert run_accord("run", "-t", target, "-s", str(suite), "--db", sqlite_url, "--json").returncode == 0
        res = run_accord("run", "-t", target, "-s", str(suite), "--db", sqlite_url, "--json", "--reuse-cache", "1h")
    out = last_json(res.stdout)
    assert out["cached"] == 10
    numbers = {k: v for k, v in out.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    assert numbers and all(v >= 0 for v in numbers.values()), numbers


def test_reuse_cache_with_no_cache_is_refused(tmp_path: Path, sqlite_url: str) -> None:
    """Issue 15 leftover: the contradiction was silently resolved in favour of --no-cache."""
    (tmp_path / "good.jsonl").write_text('{"item_id": "a", "output": "x"}\n')
    suite = tmp_path / "suite.jsonl"
    suite.write_text('{"id": "a", "prompt": "hi"}\n')
    target = f"replay:{tmp_path / 'good.jsonl'}"
    res = run_accord("run", "-t", target, "-s", str(suite), "--db", sqlite_url, "--no-cache", "--reuse-cache", "1h")
    assert res.returncode == 2 and "--reuse-cache and --no-cache contradict" in res.stderr and "Traceback" not in res.stderr
    assert not db_path(sqlite_url).exists() or Store.open(sqlite_url).list_runs() == []
