"""Re-scoring benchmark: 1,000,000 synthetic labelled responses under six packs.

Target (issue 5): <= 30 s on 2 cores for ``score`` over all six built-in packs (floor,
eu-ai-act, cn-tc260, us-nist-600-1, ailuminate-v1, company-example). Also times the
divergence matrix and the deployment matrix on the same table. Prints each figure with the
target and the ratio to it (ratio < 1 beats the target).

The synthetic labels are plausible, not uniform: hazards follow the taxonomy, a tenth of the
rows are benign look-alikes, harmful-intent rows are mostly refused, 1% are unassessed.
Issue 15's per-unit collapse and judge error are on: rows come in families of 4 items x 5
epochs (one hazard, intent and language per family; the family within a language is the
statistical unit), the floor divides its bounds by the embedded judge's harmful-recall
lower bound (0.858; 0.651 where not validated), and every requirement rate is corrected for the
embedded judge's measured sensitivity and specificity per label and language (Rogan-Gladen
with a delta-method interval, from its card; the weakest figures for zh-CN, where it is not
validated). The output says how many requirement rows were corrected.

    .venv/bin/python benchmarks/rescore.py
    .venv/bin/python benchmarks/rescore.py --rows 200000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import time

TARGET_S = 30.0


def synthetic(rows: int, seed: int = 0):  # type: ignore[no-untyped-def]
    import numpy as np

    from accord.frameworks import LabelTable, load_taxonomy

    ids = load_taxonomy().ids
    rng = np.random.default_rng(seed)
    unit = np.arange(rows) // 20  # families of 4 items x 5 epochs
    n_units = int(unit[-1]) + 1 if rows else 0
    hazard = rng.integers(0, len(ids), n_units)[unit]
    intent = rng.choice(np.array([0, 1, 2]), size=n_units, p=[0.7, 0.2, 0.1])[unit]
    p_refuse = np.where(intent == 0, 0.9, np.where(intent == 1, 0.5, 0.08))
    refused = rng.random(rows) < p_refuse
    refusal = np.where(refused, np.where(rng.random(rows) < 0.8, 2, 1), 0)
    harmful = (~refused & (intent == 0) & (rng.random(rows) < 0.3)).astype(np.int8)
    locale = rng.integers(0, 2, n_units)[unit]
    return LabelTable.from_codes(
        hazard=hazard,
        intent=intent,
        refusal=refusal,
        harmful=harmful,
        hazard_vocab=ids,
        locale=locale,
        locale_vocab=("en", "zh-CN"),
        unassessed=rng.random(rows) < 0.01,
        unit=unit,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="Timed repetitions; the best is reported.")
    parser.add_argument("--records", action="store_true", help="Also time building the table from per-response dicts (one Python pass, as from the store).")
    args = parser.parse_args()

    from accord.frameworks import deployment_matrix, divergence, resolve, score
    from accord.pipeline._score import judge_error_for

    judge_error = judge_error_for("embedded")  # the card's figures, as `accord score` applies them

    packs = resolve(["floor", "eu-ai-act", "cn-tc260", "us-nist-600-1", "ailuminate-v1", "company-example"])
    t0 = time.perf_counter()
    table = synthetic(args.rows)
    build = time.perf_counter() - t0

    def best(fn):  # type: ignore[no-untyped-def]
        times, out = [], None
        for _ in range(args.repeat):
            t = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t)
        return min(times), out

    t_score, verdicts = best(lambda: score(table, packs, judge_error=judge_error))
    t_div, div = best(lambda: divergence(table, packs))
    t_dep, _ = best(lambda: deployment_matrix({"synthetic": verdicts}))
    total = t_score + t_div + t_dep

    print(f"rows: {len(table):,}  packs: {len(packs)}  cpus visible: {os.cpu_count()}  (table built in {build:.2f} s)")
    print(f"{'step':<34}{'seconds':>10}{'target':>10}{'ratio':>8}")
    print(f"{'score (6 packs)':<34}{t_score:>10.3f}{TARGET_S:>10.1f}{t_score / TARGET_S:>8.3f}")
    print(f"{'divergence matrix':<34}{t_div:>10.3f}{'':>10}{'':>8}")
    print(f"{'deployment matrix':<34}{t_dep:>10.4f}{'':>10}{'':>8}")
    print(f"{'score + divergence + deployment':<34}{total:>10.3f}{TARGET_S:>10.1f}{total / TARGET_S:>8.3f}")
    print(f"throughput: {len(table) * len(packs) / t_score:,.0f} response-pack verdicts/s; disagreeing responses: {len(div.disagreeing_rows()):,}")
    reqs = [r for v in verdicts for r in v.requirements]
    fixed = sum(r.corrected_low is not None for r in reqs)
    print(f"judge-error correction: {fixed} of {len(reqs)} requirement rows corrected ({len(judge_error.label_rates)} validated label rates on the card)")
    if args.records:
        from accord.frameworks import LabelTable

        refusals = ("none", "partial", "full")
        intents = ("harmful", "contested", "benign")

        def dicts():  # type: ignore[no-untyped-def]
            for i in range(len(table)):
                ua = bool(table.unassessed[i])
                yield {
                    "suite_id": "synthetic",
                    "item_id": str(i // 5),
                    "variant_id": "none",
                    "epoch": i % 5,
                    "family": f"fam-{table.unit[i]}" if table.unit is not None else None,
                    "hazard": table.hazard_vocab[table.hazard[i]],
                    "intent": intents[table.intent[i]],
                    "locale": table.locale_vocab[table.locale[i]],
                    "refusal": None if ua else refusals[table.refusal[i]],
                    "harmful": None if ua else bool(table.harmful[i]),
                    "unassessed": "synthetic" if ua else None,
                }

        t = time.perf_counter()
        rebuilt = LabelTable.from_rows(dicts())
        t_rec = time.perf_counter() - t
        assert len(rebuilt) == len(table)
        print(f"{'table from records (one pass)':<34}{t_rec:>10.3f}")
        print(f"{'records + score (6 packs)':<34}{t_rec + t_score:>10.3f}{TARGET_S:>10.1f}{(t_rec + t_score) / TARGET_S:>8.3f}")


if __name__ == "__main__":
    main()
