"""Throughput, CPU and memory of ``accord run`` against a loopback OpenAI-compatible server.

Starts ``tests/support/loopback_openai.py`` as a subprocess with a fixed latency, then in the
same run measures, each as its own child process (CPU = user+sys from ``os.wait4``,
interpreter start-up and imports included; peak RSS = ``ru_maxrss``):

(a) the bare ~20-line httpx loop at the same concurrency (``BARE_LOOP`` below: one shared
    ``httpx.AsyncClient``, ``concurrency`` workers) -- the issue's baseline; and
(a') the same loop with one single-connection client per worker, a stronger baseline on
    this httpx version (its shared pool rescans every connection per request);
(a'') the same loop on aiohttp (``AIOHTTP_LOOP``: one ``ClientSession`` with
    ``TCPConnector(limit=concurrency)``), the bar accord's transport (``targets/_wire.py``:
    h11 under its own connection-per-slot pool) must hold: >= 0.95x its req/s and <= 2.5x its
    CPU per 1,000 items at 200 ms / concurrency 100 (printed as a ``vs aiohttp`` line);
    skipped with a note when aiohttp is not installed (a dev-only dependency);
(b) ``accord run`` (default options: response cache on, fresh SQLite store, progress off).

It prints requests/s as % of the limit (concurrency / latency) and as a ratio to each bare
loop, and how busy the server was (its CPU-s over the child's wall time; well under 100%
means the server was not the bottleneck). Two rates for accord: ``engine`` (responses / time from the first request to the last
stored, the run's own ``req_per_s``) and ``e2e`` (items / the whole process's wall time,
start-up, validation and storing included). Then the same at 0 ms latency, then 100,000
items at 0 ms for memory. Children run with bytecode caches (``PYTHONDONTWRITEBYTECODE``
removed, after one warm-up import), as an installed package has them.

    .venv/bin/python benchmarks/throughput.py            # the full set (a few minutes)
    .venv/bin/python benchmarks/throughput.py --quick    # 1,000 items only, both latencies
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

BARE_LOOP = r"""
import asyncio, httpx, json, ssl, sys, time
url, n, conc = sys.argv[1] + "/chat/completions", int(sys.argv[2]), int(sys.argv[3])
per_worker = sys.argv[4] == "per-worker"
async def main():
    limits = httpx.Limits(max_connections=1 if per_worker else conc, max_keepalive_connections=1 if per_worker else conc)
    tls = ssl.create_default_context()  # shared: building one per client costs ~30 ms each
    clients = [httpx.AsyncClient(limits=limits, verify=tls) for _ in range(conc if per_worker else 1)]
    todo = iter(range(n))
    async def worker(client):
        for i in todo:
            r = await client.post(url, json={"model": "bench", "messages": [{"role": "user", "content": f"benchmark prompt {i}"}]})
            r.raise_for_status()
            r.json()["choices"][0]["message"]["content"]
    start = time.perf_counter()
    await asyncio.gather(*(worker(clients[w % len(clients)]) for w in range(conc)))
    wall = time.perf_counter() - start
    for c in clients:
        await c.aclose()
    print(json.dumps({"req_per_s": n / wall}))
asyncio.run(main())
"""


AIOHTTP_LOOP = r"""
import aiohttp, asyncio, json, sys, time
url, n, conc = sys.argv[1] + "/chat/completions", int(sys.argv[2]), int(sys.argv[3])
async def main():
    connector = aiohttp.TCPConnector(limit=conc)
    async with aiohttp.ClientSession(connector=connector) as session:
        todo = iter(range(n))
        async def worker():
            for i in todo:
                async with session.post(url, json={"model": "bench", "messages": [{"role": "user", "content": f"benchmark prompt {i}"}]}) as r:
                    r.raise_for_status()
                    (await r.json())["choices"][0]["message"]["content"]
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        wall = time.perf_counter() - start
    print(json.dumps({"req_per_s": n / wall}))
asyncio.run(main())
"""


def have_aiohttp() -> bool:
    """Whether aiohttp can be imported by the children (same interpreter); it is optional."""
    import importlib.util

    return importlib.util.find_spec("aiohttp") is not None


@dataclass
class Child:
    out: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    returncode: int


def child_env(**extra: str) -> dict[str, str]:
    """The children's environment: bytecode caches on, as an installed package has them."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


def warm_up() -> None:
    """Import every module the measured children use once, so their .pyc files exist."""
    code = "import accord.cli.main, accord.cli.run, accord.runner, accord.store, accord.suites, accord.targets._providers.openai, httpx"
    if have_aiohttp():
        code += ", aiohttp"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, env=child_env())


def run_child(argv: list[str], env: dict[str, str] | None = None) -> Child:
    """Run a child, returning its stdout, wall time, CPU (user+sys) and peak RSS."""
    env = env or child_env()
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.stderr.write(err)
    return Child(out, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode)


class Server:
    def __init__(self, latency_ms: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.loopback_openai", "--port", "0", "--latency-ms", str(latency_ms)],
            stdout=subprocess.PIPE,
            cwd=REPO,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()

    def cpu(self) -> float:
        """CPU-s the server has used so far (Linux /proc), to show it is not the bottleneck."""
        try:
            with open(f"/proc/{self.proc.pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return float("nan")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def write_suite(path: Path, n: int) -> Path:
    with path.open("w") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"b{i}", "prompt": f"benchmark prompt {i}", "hazard": "benign", "intent": "benign"}) + "\n")
    return path


def bare(url: str, n: int, conc: int, mode: str) -> tuple[float, Child]:
    code = AIOHTTP_LOOP if mode == "aiohttp" else BARE_LOOP
    child = run_child([sys.executable, "-c", code, url, str(n), str(conc), mode])
    if child.returncode != 0:
        raise SystemExit(f"bare {mode} loop failed ({child.returncode})")
    return float(json.loads(child.out)["req_per_s"]), child


def accord(url: str, suite: Path, db: Path, conc: int) -> tuple[dict[str, float], Child]:
    env = child_env(ACCORD_HOME=str(db.parent / "home"))
    argv = [
        sys.executable, "-m", "accord.cli.main", "run",
        "--target", f"openai:{url}#bench", "--suite", str(suite),
        "--concurrency", str(conc), "--db", f"sqlite:///{db}", "--json", "--no-progress",
    ]  # fmt: skip
    child = run_child(argv, env)
    if child.returncode != 0:
        raise SystemExit(f"accord run failed ({child.returncode})")
    return json.loads(child.out.strip().splitlines()[-1]), child


def scenario(latency_ms: float, n: int, conc: int, tmp: Path, *, baselines: bool = True) -> None:
    server = Server(latency_ms)
    try:
        limit = conc / (latency_ms / 1000) if latency_ms else None
        suite = write_suite(tmp / f"suite-{n}.jsonl", n)
        print(
            f"\n== {n:,} items, concurrency {conc}, latency {latency_ms:g} ms"
            + (f" (limit {limit:,.0f} req/s)" if limit else " (no latency limit)")
        )
        rows: list[tuple[str, float, float | None, Child]] = []
        busy: list[float] = []  # the server's CPU-s / the child's wall time: < 1 means it kept up
        if baselines:
            loops = [("shared", "bare httpx loop (shared client)"), ("per-worker", "bare httpx loop (client per worker)")]
            if have_aiohttp():
                loops.append(("aiohttp", "bare aiohttp loop (one session)"))
            else:
                print("(bare aiohttp loop skipped: aiohttp is not installed; `pip install aiohttp` to add it)")
            for mode, name in loops:
                before = server.cpu()
                rate, child = bare(server.url, n, conc, mode)
                busy.append((server.cpu() - before) / child.wall_s)
                rows.append((name, rate, None, child))
        db = tmp / f"bench-{latency_ms:g}-{n}.db"
        for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            p.unlink(missing_ok=True)
        before = server.cpu()
        summary, child = accord(server.url, suite, db, conc)
        busy.append((server.cpu() - before) / child.wall_s)
        if summary["responses"] != n or summary["errors"]:
            raise SystemExit(f"accord stored {summary['responses']} responses with {summary['errors']} errors, expected {n}")
        rows.append(("accord run (engine)", float(summary["req_per_s"]), n / child.wall_s, child))
        width = max(len(r[0]) for r in rows)
        print(
            f"{'':{width}}  {'req/s':>8}  {'% limit':>7}  {'e2e req/s':>9}  {'CPU-s/1k':>8}  {'peak RSS':>8}  {'server busy':>11}  ratio to bare loops"
        )
        bases = [r[1] for r in rows[:-1]]
        for (name, rate, e2e, ch), load in zip(rows, busy):
            pct = f"{100 * rate / limit:6.1f}%" if limit else "    n/a"
            ratios = "  ".join(f"{rate / b:.2f}" for b in bases) if name.startswith("accord") and bases else ""
            e2e_s = f"{e2e:9.1f}" if e2e is not None else f"{'':9}"
            print(
                f"{name:{width}}  {rate:8.1f}  {pct:>7}  {e2e_s}  {1000 * ch.cpu_s / n:8.2f}  {ch.peak_rss_mb:6.1f}MB  {100 * load:10.0f}%  {ratios}"
            )
        if bases:
            e2e_rate = rows[-1][2] or 0.0
            print("accord e2e (start-up included) / bare loops: " + "  ".join(f"{e2e_rate / b:.2f}" for b in bases))
        aio = [r for r in rows if r[0].startswith("bare aiohttp")]
        if aio:
            mine = rows[-1]
            rate_ratio, cpu_ratio = mine[1] / aio[0][1], mine[3].cpu_s / aio[0][3].cpu_s
            line = f"accord vs bare aiohttp: req/s {rate_ratio:.2f}x, CPU per 1,000 items {cpu_ratio:.2f}x"
            if latency_ms == 200:  # the bar is set at 200 ms / concurrency 100 only
                verdict = "ok" if rate_ratio >= 0.95 and cpu_ratio <= 2.5 else "BELOW TARGET"
                line += f" (targets: >= 0.95x, <= 2.5x): {verdict}"
            print(line)
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="skip the 100,000-item memory run")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--big", type=int, default=100_000)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    warm_up()
    with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp:
        scenario(200, args.items, args.concurrency, Path(tmp))
        scenario(0, args.items, args.concurrency, Path(tmp))
        if not args.quick:
            scenario(0, args.big, args.concurrency, Path(tmp), baselines=False)


if __name__ == "__main__":
    main()
