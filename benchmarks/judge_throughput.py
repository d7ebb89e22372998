"""Embedded-judge throughput on ONE pinned core, this tree's judge beside a baseline's, in one run.

Workload: XSTest v2's real responses with their prompts (read in place, repeated to --n, each
copy made distinct by a numbered suffix so that no cache serves a repeat),
judged in batches through the public ``judge_batch`` path (pre-checks including the degenerate
detector, features, both stages, flags). Each judge runs in its own child process pinned to
one core with ``taskset -c CORE`` (``os.sched_setaffinity`` where taskset is missing), one
after the other, so both see the same machine. The baseline is the judge at a git ref
(default: the commit before the judge issue's retraining), extracted with ``git archive`` into
a temporary directory and imported from there: its code and its committed artefact.

Target (the judge issue): >= 1,000 responses/s on one core. Prints each rate, the ratio to the
target and this tree's rate as a ratio of the baseline's, by wall clock on the pinned core
and per CPU-second (steadier when the machine is shared; it prints the load average).

    ACCORD_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/judge_throughput.py
    .venv/bin/python benchmarks/judge_throughput.py --n 20000 --core 1 --baseline b790acb
    .venv/bin/python benchmarks/judge_throughput.py --baseline none    # this tree only
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

TARGET = 1000.0
ROOT = Path(__file__).resolve().parent.parent
#: The judge as it was when the judge issue was taken up (version 3+a6a2120b9417).
DEFAULT_BASELINE = "b790acb"


def _child(n: int, batch: int, data_dir: str | None) -> None:
    """Runs inside the pinned child: judge the workload, print one JSON line."""
    from accord.judges import JudgeInput, judge_sync
    from accord.judges._datasets import load_dataset
    from accord.judges._embedded import EmbeddedJudge

    rows = load_dataset("xstest", data_dir)
    pairs = [(r.prompt, r.response) for r in rows]
    # Every pair distinct (a numbered suffix), as in a real run: no cache may serve a repeat.
    work = [(f"{p} ({i})", f"{r} ({i})") for i, (p, r) in ((i, pairs[i % len(pairs)]) for i in range(n))]
    judge = EmbeddedJudge()
    judge_sync(judge, [JudgeInput.of(p, r) for p, r in work[:64]])  # warm-up: model load, first calls
    t0, c0 = time.perf_counter(), time.process_time()
    for start in range(0, len(work), batch):
        judge_sync(judge, [JudgeInput.of(p, r) for p, r in work[start : start + batch]])
    busy, cpu = time.perf_counter() - t0, time.process_time() - c0
    chars = sum(len(p) + len(r) for p, r in work) / len(work)
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    print(json.dumps({"rate": n / busy, "cpu_rate": n / cpu, "n": n, "chars": chars, "version": judge.version, "cores": affinity}))


def _fmt(result: dict[str, object]) -> str:
    # Wall-clock rate on the pinned core, and per CPU-second of the process: on a busy machine
    # the second is the steadier figure (the core is shared, the work is not).
    return f"{float(result['rate']):6.0f} responses/s on 1 core, {float(result['cpu_rate']):6.0f} per CPU-second"  # type: ignore[arg-type]


def _pinned(cmd: list[str], core: int, env: dict[str, str]) -> list[str]:
    if shutil.which("taskset"):
        return ["taskset", "-c", str(core), *cmd]
    return cmd  # the child pins itself (see --pin-self)


def _measure(src: Path, core: int, n: int, batch: int, data_dir: str | None) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--n", str(n), "--batch", str(batch), "--pin-self", str(core)]
    if data_dir:
        cmd += ["--data-dir", data_dir]
    out = subprocess.run(_pinned(cmd, core, env), env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"judging under {src} failed:\n{out.stderr[-3000:]}")
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _extract(ref: str, into: Path) -> Path:
    """The baseline's ``src/`` at ``ref`` (code and committed artefact), via ``git archive``."""
    archive = into / "src.tar"
    with archive.open("wb") as fh:
        subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref, "src"], stdout=fh, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--core", type=int, default=0, help="the core both judges are pinned to")
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="git ref of the baseline judge, or 'none'")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pin-self", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        if args.pin_self is not None and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {args.pin_self})
        _child(args.n, args.batch, args.data_dir)
        return

    print(
        f"cpus visible: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}; pinned to core {args.core} "
        f"({'taskset' if shutil.which('taskset') else 'sched_setaffinity'})"
    )
    here = _measure(ROOT / "src", args.core, args.n, args.batch, args.data_dir)
    print(f"workload: {here['n']} XSTest responses (mean {float(here['chars']):.0f} chars of prompt+response), batch {args.batch}")  # type: ignore[arg-type]
    rate = float(here["rate"])  # type: ignore[arg-type]
    print(f"this tree  (embedded {here['version']}): {_fmt(here)}  ({rate / TARGET:.2f}x the target of {TARGET:.0f}/s)")
    if args.baseline != "none":
        with tempfile.TemporaryDirectory(prefix="accord-judge-baseline-") as tmp:
            base = _measure(_extract(args.baseline, Path(tmp)), args.core, args.n, args.batch, args.data_dir)
        brate = float(base["rate"])  # type: ignore[arg-type]
        print(f"baseline {args.baseline} (embedded {base['version']}): {_fmt(base)}  ({brate / TARGET:.2f}x target)")
        cpu_ratio = float(here["cpu_rate"]) / float(base["cpu_rate"])  # type: ignore[arg-type]
        print(f"this tree / baseline: {rate / brate:.2f}x wall, {cpu_ratio:.2f}x per CPU-second")


if __name__ == "__main__":
    main()
