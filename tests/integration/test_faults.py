"""A fault-injecting server (25%: 429, 500, dropped connections, slow replies): the run completes,
every item is accounted for, and retries stay bounded."""

from __future__ import annotations

from pathlib import Path

from accord.store import Store
from tests.integration._run_helpers import last_json, run_accord, write_suite
from tests.support.loopback_openai import LoopbackServer

N = 400
MAX_RETRIES = 4


def test_faulty_server_every_item_accounted_for(tmp_path: Path, sqlite_url: str) -> None:
    suite = write_suite(tmp_path / "f.jsonl", N, extra={7: "always fails [[always500]]", 8: "bad request [[always400]]"})
    with LoopbackServer(latency_ms=2, faults=0.25, slow_ms=1500, retry_after="0", seed=11, track=True) as srv:
        res = run_accord(
            "run", "-t", f"openai:{srv.url}#m", "-s", str(suite), "--db", sqlite_url, "--run-id", "faulty",
            "--concurrency", "32", "--timeout", "0.4", "--max-retries", str(MAX_RETRIES), "--json",
        )  # fmt: skip
        stats = srv.stats.as_json()
    assert res.returncode == 0, res.stderr
    summary = last_json(res.stdout)
    assert summary["responses"] == N
    # every fault kind was exercised, and retries are bounded per request
    assert set(stats["faults"]) == {"429", "500", "drop", "slow"}
    assert sum(stats["faults"].values()) >= 0.2 * N
    assert stats["max_attempts"] <= MAX_RETRIES + 1
    assert stats["requests"] <= N * (MAX_RETRIES + 1)
    with Store.open(sqlite_url) as store:
        rows = {r.item_id: r for r in store.iter_responses("faulty")}
        counts = store.response_counts("faulty")
    assert set(rows) == {f"q{i}" for i in range(N)}
    for row in rows.values():  # a response or an unassessed error, never neither, never both
        assert (row.output is not None) != (row.error_kind is not None)
        assert 1 <= row.attempts <= MAX_RETRIES + 1
    assert rows["q7"].error_kind.value == "server_error" and rows["q7"].attempts == MAX_RETRIES + 1  # type: ignore[union-attr]
    assert rows["q8"].error_kind.value == "client_error" and rows["q8"].attempts == 1  # type: ignore[union-attr]
    assert counts["retries"] >= sum(stats["faults"].values()) - counts["errors"] * (MAX_RETRIES + 1)
    assert summary["errors"] == counts["errors"] < 0.05 * N
