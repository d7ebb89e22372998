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


def _accord(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    res = subprocess.run(accord_argv(*args), capture_output=True, text=True, env=env, cwd=REPO, timeout=900)
    if res.returncode != 0:
        raise SystemExit(f"accord {' '.join(args[:2])} failed ({res.returncode}): {res.stderr[-2000:]}")
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


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
        runs: list[dict[str, Any]] = []
        last_db: tuple[str, Any] | None = None
        for n in counts:
            url, handle = _db(args.db)
            with LoopbackServer(latency_ms=args.latency_ms, cap=args.cap) as srv:
                s = _accord(
                    ["run", "-t", f"openai:{srv.url}#m", "-s", str(suite), "--db", url, "--run-id", f"scale{n}", "--no-cache", "--no-progress",
                     "--json", "--executor", f"ray:{cluster.address}", "--workers", str(n), "--concurrency", str(args.cap)],
                    env,
                )  # fmt: skip
                peak = srv.stats.max_in_flight
            task_wall = max(float(w["wall_s"]) for w in s["workers"])
            row = {
                "workers": n,
                "responses": s["responses"],
                "end_to_end_req_per_s": round(s["responses"] / s["wall_s"], 1),
                "steady_req_per_s": round(s["responses"] / task_wall, 1),
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
                j = _accord(
                    [
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
                    ],
                    env,
                )
                wall = time.perf_counter() - started
                row = {
                    "workers": n,
                    "labels": j["new"],
                    "labels_per_s": round(j["new"] / wall, 1),
                    "per_worker": round(j["new"] / wall / n, 1),
                }
                judged.append(row)
                print(
                    f"judge {args.judge}, {n} worker(s): {row['labels']} labels, {row['labels_per_s']} labels/s ({row['per_worker']} per worker), command wall {wall:.1f} s",
                    flush=True,
                )
            out["judge"] = {"judge": args.judge, "passes": judged}
            _drop(handle)
        elif last_db is not None:
            _drop(last_db[1])
    print(json.dumps(out))


def _clear_labels(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM labels"))
    engine.dispose()


if __name__ == "__main__":
    main()
