"""Import speed and memory: a large Inspect AI log into a fresh store (issue 18).

Targets: a 100,000-sample Inspect ``.eval`` log imports at >= 3,000 samples/s *including the
store writes* (``accord.interop.import_inspect`` + ``accord.pipeline.import_logs`` into a new
SQLite store), and the import streams: peak RSS at 100,000 samples <= 1.2 x peak RSS at 10,000.

The logs are synthesised with Inspect's own log writer (its ``.eval`` recorder, streaming one
sample at a time: ``log_init`` / ``log_start`` / ``log_sample`` / ``flush`` / ``log_finish``),
because generating 100,000 samples through ``inspect_ai.eval`` would take tens of CPU-minutes.
Every synthetic sample is a copy of a real sample from ``tests/data/interop/inspect/
mock_arith.eval`` (made by Inspect with its mockllm model: see HOW.md there), event transcript
included, with its own id, input and output. Synthesised logs are cached in ``--workdir``.

Each size is measured in its own subprocess (so peak RSS is that import's alone): first the
reader alone (``import_inspect``, samples iterated, nothing stored), then the full import.

    .venv/bin/python benchmarks/import.py                     # 10,000 and 100,000
    .venv/bin/python benchmarks/import.py --sizes 2000,20000  # a quick look
    .venv/bin/python benchmarks/import.py --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "tests" / "data" / "interop" / "inspect" / "mock_arith.eval"
TARGET_RATE = 3000.0
TARGET_RSS_RATIO = 1.2


def synthesise(path: Path, n: int, template: Path = TEMPLATE) -> Path:
    """Write an ``n``-sample, 1-epoch ``.eval`` log at ``path`` with Inspect's ``.eval`` recorder."""
    from inspect_ai.log import read_eval_log
    from inspect_ai.log._recorders.eval import EvalRecorder
    from inspect_ai.model import ModelOutput

    log = read_eval_log(str(template))
    base = next(s for s in log.samples or [] if s.error is None and s.scores)
    spec = log.eval.model_copy(deep=True)
    ids = [f"q{i:06d}" for i in range(n)]
    spec.dataset.sample_ids = list(ids)
    spec.dataset.samples = n
    spec.config.epochs = 1
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.eval")

    async def write() -> None:
        rec = EvalRecorder(str(path.parent))
        await rec.log_init(spec, location=str(tmp), clean=True)
        await rec.log_start(spec, log.plan)
        for i, sid in enumerate(ids):
            output = ModelOutput.from_content(model="mockllm", content=f"The answer is {i}+{i}")
            output.usage = base.output.usage
            sample = base.model_copy(update={"id": sid, "epoch": 1, "uuid": f"synth-{i}", "input": f"What is {i}+{i}?", "output": output})
            await rec.log_sample(spec, sample)
            if i % 2000 == 1999:
                await rec.flush(spec)
        await rec.log_finish(spec, "success", log.stats, log.results, log.reductions)

    asyncio.run(write())
    tmp.replace(path)
    return path


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def child(mode: str, log: str, db: str) -> dict[str, Any]:
    """One measurement in this process: ``read`` (the importer alone) or ``import`` (with the store)."""
    import inspect_ai.log  # noqa: F401  (start-up, not import speed: loaded before the clock starts)

    from accord.interop._inspect import import_inspect

    if mode != "read":
        import accord.pipeline._import  # noqa: F401
    rss_start = _peak_rss_mb()
    t0 = time.perf_counter()
    if mode == "read":
        n = 0
        for run in import_inspect([log]):
            for _ in run.samples():
                n += 1
    else:
        from accord.pipeline import import_logs, open_store

        store = open_store(db, create=True)
        summaries = import_logs(store, import_inspect([log]))
        n = sum(s.responses for s in summaries)
        assert all(s.written for s in summaries), "a fresh store must write the run"
    seconds = time.perf_counter() - t0
    return {"mode": mode, "samples": n, "seconds": seconds, "rate": n / seconds, "peak_rss_mb": _peak_rss_mb(), "rss_before_mb": rss_start}


def measure(mode: str, log: Path, workdir: Path) -> dict[str, Any]:
    db = workdir / f"{log.stem}-{mode}.sqlite"
    db.unlink(missing_ok=True)
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(log), str(db)], check=True, capture_output=True, text=True, env=os.environ
    )
    db.unlink(missing_ok=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated sample counts (smallest is the RSS baseline)")
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "accord-bench-import"))
    parser.add_argument("--no-reader", action="store_true", help="skip the reader-alone measurement")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "LOG", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    workdir = Path(args.workdir)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    rows: list[dict[str, Any]] = []
    for n in sizes:
        log = workdir / f"synth-{n}.eval"
        if not log.exists():
            t0 = time.perf_counter()
            synthesise(log, n)
            print(
                f"synthesised {n:,} samples with Inspect's writer in {time.perf_counter() - t0:.0f}s ({log.stat().st_size / 1e6:.0f} MB)",
                file=sys.stderr,
            )
        row: dict[str, Any] = {"samples": n, "log_mb": round(log.stat().st_size / 1e6, 1)}
        if not args.no_reader:
            row["reader"] = measure("read", log, workdir)
        row["import"] = measure("import", log, workdir)
        rows.append(row)
    base, big = rows[0], rows[-1]
    ratio = big["import"]["peak_rss_mb"] / base["import"]["peak_rss_mb"]
    result = {
        "rows": rows,
        "rate_at_largest": big["import"]["rate"],
        "rate_target": TARGET_RATE,
        "rss_ratio": ratio,
        "rss_ratio_target": TARGET_RSS_RATIO,
        "cpus": os.cpu_count(),
        "load_avg_1m": os.getloadavg()[0],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"Inspect log import ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    print(f"{'samples':>9} {'log MB':>7} {'reader/s':>9} {'import/s':>9} {'import s':>9} {'peak RSS MB':>12}")
    for r in rows:
        reader = f"{r['reader']['rate']:.0f}" if "reader" in r else "-"
        print(
            f"{r['samples']:>9,} {r['log_mb']:>7} {reader:>9} {r['import']['rate']:>9.0f} {r['import']['seconds']:>9.1f} {r['import']['peak_rss_mb']:>12.0f}"
        )
    ok_rate = big["import"]["rate"] >= TARGET_RATE
    ok_rss = ratio <= TARGET_RSS_RATIO
    print(
        f"rate at {big['samples']:,}: {big['import']['rate']:.0f} samples/s incl. store writes  (target >= {TARGET_RATE:.0f}: {'met' if ok_rate else 'NOT met'})"
    )
    print(
        f"peak RSS {big['samples']:,} / {base['samples']:,}: {ratio:.2f}x  (target <= {TARGET_RSS_RATIO}: {'met' if ok_rss else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
