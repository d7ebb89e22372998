"""Scale-out (issue 24): ``accord run`` and ``accord judge run`` with ``--executor ray``, 1, 2, 4
workers, over a real PostgreSQL store and a local Ray cluster (a head with no CPUs and one worker
node offering ``--cpus`` CPUs, all on loopback).

**Runs.** One loopback OpenAI-compatible endpoint that serves at most ``--cap`` requests at once,
each taking ``--latency-ms`` (the rest queue), so its ceiling is ``cap / latency`` requests/s; the
run's ``concurrency`` is the cap (cluster-wide, held by the ``PermitBank`` actor). For each worker
count: a fresh run of ``--items`` items; printed are the end-to-end rate (responses / the
driver's wall time, task start-up included), the steady rate (responses / the longest task's
wall time), each worker's own rate, its permit round trips per request, the ratio to ideal
linear scaling (``n x`` the 1-worker steady rate, capped by the endpoint's ceiling) and the
most requests in flight the endpoint saw (never above the cap).

**Baseline.** The same run with ``--executor local`` (one accord process, same endpoint and
PostgreSQL store).

**Permits.** The ``PermitBank`` actor alone: the latency of one acquire round trip (sequential,
the release sent without waiting) and the permits/s it grants to 64 concurrent callers.

**Judging.** ``accord judge run --executor ray`` of one of the runs above with ``--judge``
(default ``embedded``, on CPUs), labels/s and per worker for 1, 2, 4 workers (each pass labels
the run afresh under a new database copy of nothing: the labels are deleted between passes).

This machine has 2 cores shared with the endpoint, PostgreSQL, Ray's own processes and the
driver: past 2 workers the figures measure contention, not accord. Read the per-worker rate for
larger machines: a worker node with a free core sends about that many requests/s.

    ACCORD_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:55461/postgres \\
      python benchmarks/scale.py [--items 4000] [--cap 64] [--latency-ms 20] [--judge embedded]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO)]

from tests.integration._run_helpers import accord_argv, write_suite  # noqa: E402
from tests.support.loopback_openai import LoopbackServer  # noqa: E402
from tests.support.ray_cluster import ray_cluster  # noqa: E402


def _db(base: str) -> tuple[str, Any]:
    import sqlalchemy as sa

    name = "accord_scale_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return base.rsplit("/", 1)[0] + "/" + name, (admin, name)


def _drop(handle: Any) -> None:
    import sqlalchemy as sa

    admin, name = handle
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _accord(args: list[str], env: dict[str, str], watch: tuple[str, str] | None = None) -> tuple[dict[str, Any], float | None]:
    """Run accord; with ``watch`` (a database URL and a table) also the steady rate: rows
    written per second between 10% and 90% of the final count, polled every 0.2 s (task
    start-up and the tail are left out)."""
    import sqlalchemy as sa

    proc = subprocess.Popen(accord_argv(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    samples: list[tuple[float, int]] = []
    engine = sa.create_engine(watch[0]) if watch else None
    while proc.poll() is None:
        if engine is not None and watch is not None:
            try:
                with engine.connect() as conn:
                    samples.append((time.perf_counter(), int(conn.execute(sa.text(f"SELECT count(*) FROM {watch[1]}")).scalar_one())))
            except sa.exc.SQLAlchemyError:
                pass  # tables not made yet
        time.sleep(0.2)
    out, err = proc.communicate()
    if engine is not None:
        engine.dispose()
    if proc.returncode != 0:
        raise SystemExit(f"accord {' '.join(args[:2])} failed ({proc.returncode}): {err[-2000:]}")
    steady = None
    if samples and max(c for _, c in samples) > 0:
        final = max(c for _, c in samples)
        lo = next((t, c) for t, c in samples if c >= 0.1 * final)
        hi = next((t, c) for t, c in samples if c >= 0.9 * final)
        steady = (hi[1] - lo[1]) / (hi[0] - lo[0]) if hi[0] > lo[0] else None
    return dict(json.loads(out.strip().splitlines()[-1])), steady


def permit_figures(address: str) -> dict[str, float]:
    import ray

    from accord.pipeline._permits import PermitBank

    ray.init(address=address, log_to_driver=False, namespace="accord-bench")
    try:
        bank = ray.remote(num_cpus=0, max_concurrency=10_000)(PermitBank).remote(64, None, 60.0)

        async def sequential(n: int) -> float:
            started = time.perf_counter()
            for _ in range(n):
                permit, _ = await bank.acquire.remote()
                bank.release.remote(permit)
            return (time.perf_counter() - started) / n

        async def concurrent(n: int, callers: int) -> float:
            async def caller(k: int) -> None:
                for _ in range(k):
                    permit, _ = await bank.acquire.remote()
                    bank.release.remote(permit)

            started = time.perf_counter()
            await asyncio.gather(*(caller(n // callers) for _ in range(callers)))
            return n / (time.perf_counter() - started)

        asyncio.run(sequential(200))  # warm up
        latency = asyncio.run(sequential(2000))
        rate = asyncio.run(concurrent(6400, 64))
        return {"acquire_round_trip_ms": round(latency * 1000, 3), "permits_per_s_64_callers": round(rate, 1)}
    finally:
        ray.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=4000)
    ap.add_argument("--cap", type=int, default=64, help="requests the endpoint serves at once (= the run's concurrency)")
    ap.add_argument("--latency-ms", type=float, default=20.0)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--cpus", type=int, default=4, help="CPUs the worker node offers Ray (tasks take one each)")
    ap.add_argument("--judge", default="embedded")
    ap.add_argument("--skip-judge", action="store_true")
    ap.add_argument(
        "--db", default=os.environ.get("ACCORD_TEST_POSTGRES_URL"), help="PostgreSQL server URL (a database per run is made on it)"
    )
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the cluster on the way out
    if not args.db:
        raise SystemExit("needs PostgreSQL: --db postgresql://... or ACCORD_TEST_POSTGRES_URL (scripts/pg_start.sh starts one)")
    counts = [int(x) for x in args.workers.split(",")]
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"accord-scale-{os.getpid()}"
    tmp.mkdir(parents=True, exist_ok=True)
    suite = write_suite(tmp / "suite.jsonl", args.items)
    ceiling = args.cap / (args.latency_ms / 1000)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "ACCORD_SHARD_SIZE": str(max(50, args.items // 40))}
    out: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count()},
        "endpoint": {"cap": args.cap, "latency_ms": args.latency_ms, "ceiling_req_per_s": round(ceiling)},
    }
    with ray_cluster(workers=1, cpus=args.cpus) as cluster:
        out["permits"] = permit_figures(cluster.address)
        print(
            f"permit bank: one acquire round trip {out['permits']['acquire_round_trip_ms']} ms; {out['permits']['permits_per_s_64_callers']} permits/s to 64 callers",
            flush=True,
        )
        out["local"] = local_baseline(args, suite, env)
        print(
            f"run, --executor local (one process, the same endpoint and store): {out['local']['steady_req_per_s']} req/s steady "
            f"({out['local']['end_to_end_req_per_s']} end to end)",
            flush=True,
        )
        runs: list[dict[str, Any]] = []
        last_db: tuple[str, Any] | None = None
        for n in counts:
            url, handle = _db(args.db)
            with LoopbackServer(latency_ms=args.latency_ms, cap=args.cap) as srv:
                s, steady = _accord(
                    ["run", "-t", f"openai:{srv.url}#m", "-s", str(suite), "--db", url, "--run-id", f"scale{n}", "--no-cache", "--no-progress",
                     "--json", "--executor", f"ray:{cluster.address}", "--workers", str(n), "--concurrency", str(args.cap)],
                    env,
                    watch=(url, "responses"),
                )  # fmt: skip
                peak = srv.stats.max_in_flight
            row = {
                "workers": n,
                "responses": s["responses"],
                "end_to_end_req_per_s": round(s["responses"] / s["wall_s"], 1),
                "steady_req_per_s": round(steady or 0.0, 1),
                "per_worker": [
                    {
                        "sent": w["sent"],
                        "req_per_s": w["req_per_s"],
                        "permit_calls_per_request": round(w.get("permit_calls", 0) / max(1, w["requests"]), 3),
                    }
                    for w in s["workers"]
                ],
                "endpoint_max_in_flight": peak,
            }
            runs.append(row)
            if last_db is not None:
                _drop(last_db[1])
            last_db = (url, handle)
        base = runs[0]["steady_req_per_s"]
        for row in runs:
            ideal = min(base * row["workers"], ceiling)
            row["ideal_req_per_s"] = round(ideal, 1)
            row["ratio_to_ideal"] = round(row["steady_req_per_s"] / ideal, 3) if ideal else None
            print(
                f"run, {row['workers']} worker(s): {row['steady_req_per_s']} req/s steady ({row['end_to_end_req_per_s']} end to end), "
                f"ideal {row['ideal_req_per_s']} -> ratio {row['ratio_to_ideal']}; per worker "
                f"{[w['req_per_s'] for w in row['per_worker']]}; endpoint saw at most {row['endpoint_max_in_flight']} in flight (cap {args.cap})",
                flush=True,
            )
        out["runs"] = runs
        if not args.skip_judge and last_db is not None:
            url, handle = last_db
            judged = []
            for n in counts:
                _clear_labels(url)
                started = time.perf_counter()
                argv = [
                    "judge",
                    "run",
                    f"scale{counts[-1]}",
                    "--db",
                    url,
                    "-j",
                    args.judge,
                    "--executor",
                    f"ray:{cluster.address}",
                    "--workers",
                    str(n),
                    "--json",
                ]
                j, steady = _accord(argv, env, watch=(url, "labels"))
                wall = time.perf_counter() - started
                rate = steady or 0.0
                row = {
                    "workers": n,
                    "labels": j["new"],
                    "steady_labels_per_s": round(rate, 1),
                    "per_worker": round(rate / n, 1),
                    "command_wall_s": round(wall, 1),
                }
                judged.append(row)
                print(
                    f"judge {args.judge}, {n} worker(s): {row['labels']} labels, {row['steady_labels_per_s']} labels/s steady ({row['per_worker']} per worker); "
                    f"command wall {wall:.1f} s (start-up, reading the responses, loading the judge included)",
                    flush=True,
                )
            out["judge"] = {"judge": args.judge, "passes": judged}
            _drop(handle)
        elif last_db is not None:
            _drop(last_db[1])
    print(json.dumps(out))


def local_baseline(args: argparse.Namespace, suite: Path, env: dict[str, str]) -> dict[str, float]:
    """The same run with ``--executor local``: what one accord process does on this machine."""
    url, handle = _db(args.db)
    try:
        with LoopbackServer(latency_ms=args.latency_ms, cap=args.cap) as srv:
            argv = [
                "run",
                "-t",
                f"openai:{srv.url}#m",
                "-s",
                str(suite),
                "--db",
                url,
                "--run-id",
                "local",
                "--no-cache",
                "--no-progress",
                "--json",
            ]
            s, steady = _accord([*argv, "--concurrency", str(args.cap)], env, watch=(url, "responses"))
        return {"steady_req_per_s": round(steady or 0.0, 1), "end_to_end_req_per_s": round(s["responses"] / s["wall_s"], 1)}
    finally:
        _drop(handle)


def _clear_labels(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM labels"))
    engine.dispose()


if __name__ == "__main__":
    main()
