"""Authorised reads per second of ``accord serve``: incidents under TLP and published verdicts.

The issue's figure: 10,000 incidents and 1,000 published results in the store, load from a
separate client process at concurrency 16, reads/s with p50/p99 latency, on SQLite (target
>= 500 reads/s with p99 <= 50 ms on 2 cores) and on PostgreSQL where
``ACCORD_TEST_POSTGRES_URL`` is set.

Three processes, so no one measures itself:

- this one seeds the store (once per store; ``--keep DIR`` re-uses a seeded one) and reports;
- the server: ``accord serve`` (``accord.cli.serve``, one uvicorn worker) on ``--port 0``;
- the client: aiohttp, ``--concurrency`` workers sharing one connection pool, each request
  timed from send to the last byte of the body. A warm-up of ``--warmup`` requests is not
  counted.

The seed, all through the service's own jobs except where noted:

- organisations ``bench-lab`` (provider), ``bench-reg`` (regulator: the reader), ``bench-aud``,
  ``bench-other``; tokens for each (``create_token``);
- incidents via ``report_incident`` (signed, committed to the server's log, audited), a TLP
  mix: 40% CLEAR, 20% GREEN, 15% AMBER (to bench-reg or to bench-aud), 10% AMBER+STRICT (to
  bench-reg or bench-aud), 15% RED (to a named member of bench-reg or bench-aud), so the
  reader may read about 75% and the TLP filter does real work on every list;
- results: the service demo's nine real publications (``fill_service_demo``: the published
  transcripts of real models, attested and verified by ``publish_result``), then copies of
  their rows under new ids and run ids up to ``--results`` (inserted with the results store's
  own ``insert_result``; a read does not re-verify, so what is measured is what a read costs;
  verifying 1,000 attestations would take ~12 minutes of seeding).

The workload (each a GET with the reader's bearer token, the mix by weight):

- ``incident``: ``/v1/incidents/{id}`` of an incident the reader may read (45%; restricted
  ones are audited per read, as the TLP rules require);
- ``incidents``: ``/v1/incidents?limit=20``, the first page of what the reader may read (15%);
- ``result``: ``/v1/results/{id}``, a result's verdicts (40%).

    .venv/bin/python benchmarks/server.py                      # SQLite (+ PostgreSQL if ACCORD_TEST_POSTGRES_URL)
    .venv/bin/python benchmarks/server.py --quick              # 1,000 incidents, 100 results, 2,000 requests
    .venv/bin/python benchmarks/server.py --keep /tmp/bench    # seed once, re-run fast
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TARGET_READS_PER_S = 500.0
TARGET_P99_MS = 50.0

CLIENT = r"""
import aiohttp, asyncio, json, random, sys, time
url, token, plan_file, n, conc, warmup = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
plan = json.load(open(plan_file))
paths = plan["paths"]
kinds = plan["kinds"]
async def main():
    headers = {"Authorization": f"Bearer {token}"}
    connector = aiohttp.TCPConnector(limit=conc)
    lat = {k: [] for k in set(kinds)}
    status = {}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        async def one(i):
            path, kind = paths[i % len(paths)], kinds[i % len(kinds)]
            t = time.perf_counter()
            async with session.get(url + path) as r:
                await r.read()
                code = r.status
            return kind, code, time.perf_counter() - t
        todo = iter(range(warmup))
        async def warm():
            for i in todo:
                await one(i)
        await asyncio.gather(*(warm() for _ in range(conc)))
        todo = iter(range(warmup, warmup + n))
        async def worker():
            for i in todo:
                kind, code, dt = await one(i)
                lat[kind].append(dt)
                status[f"{kind} {code}"] = status.get(f"{kind} {code}", 0) + 1
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        wall = time.perf_counter() - start
    print(json.dumps({"wall_s": wall, "n": n, "latencies": lat, "status": status}))
asyncio.run(main())
"""

SERVER = "import typer, accord.cli.serve as s; typer.run(s.serve)"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


# -- seeding ----------------------------------------------------------------------------------
def _report(i: int, tlp: str, recipients: list[dict[str, Any]], rng: random.Random) -> dict[str, Any]:
    hazards = ["cbrn", "cyber", "self-harm", "hate", "privacy", "misinformation"]
    from accord.taxonomy import is_hazard

    usable = [h for h in hazards if is_hazard(h)]
    return {
        "title": f"benchmark incident {i}: synthetic load record",
        "description": f"Synthetic incident {i} for benchmarks/server.py (not a real event).",
        "system": {"name": f"bench-system-{i % 50}", "version": f"{i % 7}.0", "provider": "bench-lab"},
        "hazards": [rng.choice(usable)] if usable else [],
        "severity": rng.choice(["hazard", "incident", "serious incident"]),
        "harms": ["other"],
        "jurisdictions": [rng.choice(["EU", "US", "GB"])],
        "status": "open",
        "aware_at": (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i)).isoformat(),
        "tlp": tlp,
        "recipients": recipients,
    }


def _tlp_for(i: int, rng: random.Random) -> tuple[str, list[dict[str, Any]], bool]:
    """(TLP, recipients, readable by bench-reg/reader)."""
    roll = rng.random()
    to_reader = rng.random() < 0.5
    org = "bench-reg" if to_reader else "bench-aud"
    if roll < 0.40:
        return "CLEAR", [], True
    if roll < 0.60:
        return "GREEN", [], True
    if roll < 0.75:
        return "AMBER", [{"org": org}], to_reader
    if roll < 0.85:
        return "AMBER+STRICT", [{"org": org}], to_reader
    return "RED", [{"org": org, "member": "reader"}], to_reader


def seed(db: str, root: Path, n_incidents: int, n_results: int, data_dir: str | None, say: Any) -> dict[str, Any]:
    """Fill ``db``; returns the reader's token and the ids to read (kept in root/seed.json)."""
    import sqlalchemy as sa

    from accord.pipeline import LOCAL_ADMIN, authenticate, create_org, create_token, fill_service_demo, open_service_store, report_incident
    from accord.store import Published
    from accord.store._published import results as results_table

    store = open_service_store(db)
    log_dir = root / "log"
    t0 = time.perf_counter()
    demo = fill_service_demo(store, data_dir=data_dir, log_dir=log_dir, incidents=0, say=lambda s: None)
    say(f"  demo: {len(demo.results)} real results published in {time.perf_counter() - t0:.0f} s")
    for org, name in (("bench-lab", "Bench Lab"), ("bench-reg", "Bench Regulator"), ("bench-aud", "Bench Auditor"), ("bench-other", "Bench Other")):
        create_org(store, LOCAL_ADMIN, name, org_id=org)
    reader = create_token(store, LOCAL_ADMIN, "bench-reg", "regulator", member="reader")["token"]
    reporters = [authenticate(store, create_token(store, LOCAL_ADMIN, org, role)["token"]) for org, role in (("bench-lab", "provider"), ("bench-aud", "auditor"), ("bench-other", "provider"))]

    rng = random.Random(20)
    readable: list[str] = []
    t0 = time.perf_counter()
    for i in range(n_incidents):
        tlp, recipients, ok = _tlp_for(i, rng)
        who = reporters[i % len(reporters)]
        made = report_incident(store, who, _report(i, tlp, recipients, rng), log_dir=log_dir)
        if ok:
            readable.append(made.incident_id)
        if (i + 1) % 1000 == 0:
            say(f"  {i + 1:,} incidents reported ({(i + 1) / (time.perf_counter() - t0):.0f}/s)")

    pub = Published(store)
    with store.engine.connect() as conn:
        originals = [dict(r._mapping) for r in conn.execute(sa.select(results_table))]
    if not originals:
        raise SystemExit("no published demo results to copy: is ACCORD_DATA_DIR set?")
    result_ids = [r["id"] for r in originals]
    with pub.transaction() as conn:
        for i in range(len(originals), n_results):
            row = dict(originals[i % len(originals)])
            row["id"] = uuid.uuid4().hex
            row["run_id"] = f"bench-copy-{i:04d}-{row['run_id']}"[:200]
            row["envelope_sha256"] = uuid.uuid4().hex + uuid.uuid4().hex
            row["verdicts"] = json.loads(row.pop("verdicts_json"))
            row["summary"] = json.loads(row.pop("summary_json"))
            row.pop("has_private", None)
            pub.insert_result(row, None, conn=conn)
            result_ids.append(row["id"])
    store.close()
    info = {"reader": reader, "readable": readable, "results": result_ids, "incidents": n_incidents}
    (root / "seed.json").write_text(json.dumps(info), encoding="utf-8")
    return info


def plan_requests(info: dict[str, Any], n: int, rng: random.Random, only: str | None = None) -> dict[str, list[str]]:
    paths: list[str] = []
    kinds: list[str] = []
    for _ in range(n):
        if only == "health":  # the HTTP stack alone: no store, no token check (the ceiling)
            paths.append("/v1/health")
            kinds.append("health")
            continue
        roll = {"incident": 0.0, "incidents": 0.5, "result": 0.9}[only] if only else rng.random()
        if roll < 0.45:
            paths.append(f"/v1/incidents/{rng.choice(info['readable'])}")
            kinds.append("incident")
        elif roll < 0.60:
            paths.append("/v1/incidents?limit=20")
            kinds.append("incidents")
        else:
            paths.append(f"/v1/results/{rng.choice(info['results'])}")
            kinds.append("result")
    return {"paths": paths, "kinds": kinds}


# -- processes --------------------------------------------------------------------------------
@contextmanager
def server(db: str, root: Path, env: dict[str, str]) -> Any:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, "--db", db, "--port", "0", "--log-dir", str(root / "log"), "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        m = re.search(r"(http://\S+)", line)
        if m is None:
            proc.kill()
            raise SystemExit(f"the server did not start: {line!r} {proc.communicate()[1][-2000:]}")
        yield m.group(1), proc
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def cpu_seconds(pid: int) -> float:
    """User+system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(label: str, db: str, root: Path, info: dict[str, Any], args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    plan = plan_requests(info, 5000, random.Random(7), args.only)
    plan_file = root / "plan.json"
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    with server(db, root, env) as (url, proc):
        cpu0 = cpu_seconds(proc.pid)
        out = subprocess.run(
            [sys.executable, "-c", CLIENT, url, info["reader"], str(plan_file), str(args.requests), str(args.concurrency), str(args.warmup)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        server_cpu = cpu_seconds(proc.pid) - cpu0
    res = json.loads(out.stdout)
    all_lat = [x for v in res["latencies"].values() for x in v]
    row = {
        "store": label,
        "reads_per_s": res["n"] / res["wall_s"],
        "p50_ms": 1000 * percentile(all_lat, 50),
        "p99_ms": 1000 * percentile(all_lat, 99),
        "server_cpu_busy": server_cpu / res["wall_s"],
        "by_kind": {k: {"n": len(v), "p50_ms": 1000 * percentile(v, 50), "p99_ms": 1000 * percentile(v, 99)} for k, v in sorted(res["latencies"].items())},
        "status": res["status"],
    }
    return row


def fresh_postgres(base: str) -> str:
    import sqlalchemy as sa

    name = "accord_bench_" + uuid.uuid4().hex[:8]
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


def drop_postgres(url: str) -> None:
    import sqlalchemy as sa

    base, name = url.rsplit("/", 1)
    admin = sa.create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run_one(label: str, db: str | None, root: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Seed (unless ``root`` holds a seeded store) and measure one store.

    Seeding writes ~10,000 signed log entries, each fsynced: on this machine's disk that is
    ~13 per second, so the seed is written on tmpfs (/dev/shm, where present) and then copied
    to ``root`` on disk, where the server reads it. The measured reads run from the disk copy.
    """
    import shutil

    root.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "ACCORD_HOME": str(root / "home")}
    env.pop("ACCORD_DB", None)
    seeded = root / "seed.json"
    db_url_file = root / "db_url"
    if seeded.is_file() and db_url_file.is_file():
        db = db_url_file.read_text().strip()
        info = json.loads(seeded.read_text())
        print(f"{label}: re-using the seeded store {db}", flush=True)
    else:
        shm = Path("/dev/shm")
        work = Path(tempfile.mkdtemp(prefix="accord-bench-seed-", dir=shm)) if shm.is_dir() else root
        os.environ["ACCORD_HOME"] = str(work / "home")
        seed_db = db or f"sqlite:///{work / 'bench.db'}"
        print(f"{label}: seeding {args.incidents:,} incidents and {args.results:,} results into {seed_db} ...", flush=True)
        t0 = time.perf_counter()
        info = seed(seed_db, work, args.incidents, args.results, args.data_dir, lambda s: print(s, flush=True))
        if work != root:
            shutil.copytree(work, root, dirs_exist_ok=True)
            shutil.rmtree(work, ignore_errors=True)
        db = db or f"sqlite:///{root / 'bench.db'}"
        db_url_file.write_text(db)
        print(f"{label}: seeded in {time.perf_counter() - t0:.0f} s", flush=True)
    os.environ["ACCORD_HOME"] = env["ACCORD_HOME"]
    return measure(label, db, root, info, args, env)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--incidents", type=int, default=10_000)
    ap.add_argument("--results", type=int, default=1_000)
    ap.add_argument("--requests", type=int, default=10_000, help="measured requests per store")
    ap.add_argument("--warmup", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--quick", action="store_true", help="1,000 incidents, 100 results, 2,000 requests")
    ap.add_argument("--keep", type=Path, help="seed into this folder (re-used by later runs) instead of a temporary one")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--only", choices=("incident", "incidents", "result", "health"), help="one kind of read instead of the mix (to see what each costs)")
    ap.add_argument("--data-dir", default=os.environ.get("ACCORD_DATA_DIR") or str(REPO.parent / "shared" / "datasets"))
    args = ap.parse_args()
    if args.quick:
        args.incidents, args.results, args.requests = 1_000, 100, 2_000
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="accord-bench-server-") as tmp:
        base = args.keep or Path(tmp)
        rows.append(run_one("sqlite", None, base / "sqlite", args))
        pg = os.environ.get("ACCORD_TEST_POSTGRES_URL")
        if pg and not args.no_postgres:
            keep_pg = (base / "postgres" / "db_url").is_file()
            url = None if keep_pg else fresh_postgres(pg)
            try:
                rows.append(run_one("postgresql", url, base / "postgres", args))
            finally:
                if url is not None and args.keep is None:
                    drop_postgres(url)
    print()
    print(f"accord serve, {args.incidents:,} incidents, {args.results:,} results, {args.requests:,} requests at concurrency {args.concurrency} ({os.cpu_count()} CPUs)")
    print(f"{'store':<11} {'reads/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'server CPU':>10}   target >= {TARGET_READS_PER_S:.0f}/s, p99 <= {TARGET_P99_MS:.0f} ms (SQLite)")
    for r in rows:
        meets = r["reads_per_s"] >= TARGET_READS_PER_S and r["p99_ms"] <= TARGET_P99_MS
        print(f"{r['store']:<11} {r['reads_per_s']:>8.0f} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} {r['server_cpu_busy']:>9.0%}   {'meets' if meets else 'MISSES'} the target")
        for kind, k in r["by_kind"].items():
            print(f"  {kind:<9} n={k['n']:>5}  p50 {k['p50_ms']:.1f} ms  p99 {k['p99_ms']:.1f} ms")
        print(f"  status: {r['status']}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
