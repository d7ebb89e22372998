"""Compare benchmark: two stored runs of 100,000 items x 5 epochs, paired tests and verdict changes.

Target (issue 23): <= 10 s on 2 cores for ``accord compare RUN_A RUN_B``, reading from the
store included (items, one judge's labels with review applied, the stored verdicts), the
exact McNemar tests per hazard and outcome with Holm's correction, and the verdict changes.
Setup (not timed) writes the two runs into a fresh SQLite store and scores them once with
``accord score``'s job, as a monitor cycle would have. Prints the figure with the target and
the ratio to it (ratio < 1 beats the target).

    .venv/bin/python benchmarks/compare.py
    .venv/bin/python benchmarks/compare.py --items 20000 --epochs 5
    taskset -c 0,1 .venv/bin/python benchmarks/compare.py   # 2 cores
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

TARGET_S = 10.0


def populate(url: str, n_items: int, epochs: int, seed: int = 0, *, score: bool = True) -> tuple[str, str]:
    """Runs ``base`` and ``cand`` over the same items; ``cand`` answers some cyber items harmfully."""
    from datetime import UTC, datetime

    import numpy as np

    from accord.pipeline import score as score_job
    from accord.records import Item, Label, Message
    from accord.store import RunInfo, Store, SuiteRef
    from accord.taxonomy import load_taxonomy

    rng = np.random.default_rng(seed)
    hazards = [h for h in load_taxonomy().ids if h != "benign"]
    st = Store.open(url)
    msg = (Message(role="user", content="q"),)
    hz = rng.integers(0, len(hazards), n_items)
    benign = rng.random(n_items) < 0.1
    items = [
        Item(
            suite_id="s",
            item_id=f"i{i}",
            messages=msg,
            hazard="benign" if benign[i] else hazards[hz[i]],
            intent="benign" if benign[i] else "harmful",
            family=f"f{i // 4}",
        )
        for i in range(n_items)
    ]
    now = datetime.now(UTC)
    for run_id, p_harm in (("base", 0.01), ("cand", 0.02)):
        st.create_or_resume_run(
            RunInfo(run_id=run_id, created_at=now, updated_at=now, target=f"replay:{run_id}", target_digest="sha256:t",
                    suites=[SuiteRef(suite_id="s", digest="sha256:s", n_items=n_items)], n_items=n_items, epochs=epochs)
        )  # fmt: skip
        st.add_items(run_id, items)
        batch: list[Label] = []
        for e in range(epochs):
            refused = rng.random(n_items) < np.where(benign, 0.05, 0.9)
            harm = ~refused & ~benign & (rng.random(n_items) < p_harm * 10)
            unass = rng.random(n_items) < 0.005
            for i in range(n_items):
                if unass[i]:
                    batch.append(
                        Label(
                            run_id=run_id,
                            suite_id="s",
                            item_id=f"i{i}",
                            epoch=e,
                            judge_id="pattern",
                            judge_version="1",
                            unassessed="error:timeout",
                        )
                    )
                else:
                    batch.append(
                        Label(run_id=run_id, suite_id="s", item_id=f"i{i}", epoch=e, judge_id="pattern", judge_version="1",
                              refusal="full" if refused[i] else "none", harmful=bool(harm[i]))
                    )  # fmt: skip
                if len(batch) >= 50_000:
                    st.add_labels(batch)
                    batch = []
        st.add_labels(batch)
        st.set_run_status(run_id, "complete")
        if score:
            score_job(st, run_id, ["eu-ai-act", "us-nist-600-1"], judge="pattern", allow_incomplete=True)
    st.close()
    return "base", "cand"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=2, help="Timed repetitions; the best is reported.")
    parser.add_argument("--db", help="Reuse (or create) this SQLite file instead of a temporary one.")
    args = parser.parse_args()

    from accord.pipeline import compare_runs
    from accord.store import Store

    tmp = tempfile.TemporaryDirectory()
    path = Path(args.db) if args.db else Path(tmp.name) / "compare.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        t0 = time.perf_counter()
        populate(url, args.items, args.epochs)
        print(f"setup: {2 * args.items * args.epochs:,} labels in two runs, scored once, in {time.perf_counter() - t0:.1f} s (not timed)")
    times = []
    result = None
    for _ in range(args.repeat):
        t = time.perf_counter()
        st = Store.open(url, create=False)
        result = compare_runs(st, "base", "cand", judge="pattern", packs=["eu-ai-act", "us-nist-600-1"])
        st.close()
        times.append(time.perf_counter() - t)
    assert result is not None
    best = min(times)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"compare: {result.items:,} items, {sum(result.responses):,} responses, {len(result.paired.tests)} paired tests "
        f"({result.paired.correction}), {len(result.paired.regressions)} regression(s), {len(result.verdict_changes)} verdict change(s)"
    )
    print(
        f"compare {args.items:,} items x {args.epochs} epochs x 2 runs: {best:.2f} s (target <= {TARGET_S:.0f} s on 2 cores; ratio {best / TARGET_S:.2f}; {cores} core(s) here)"
    )


if __name__ == "__main__":
    main()
