"""What local attack transforms cost: CPU per request and request rate against a plain run.

The issue's two targets, measured in one run at 200 ms latency / concurrency 100 against
``tests/support/loopback_openai.py`` (started as a subprocess, as ``throughput.py`` does):

(1) CPU per request: a campaign of ``--behaviours`` behaviours x 10 local transforms (the
    seven encodings and ``template:n=3``; each behaviour is also sent plain, so 11 requests
    per behaviour) against a plain run of the same number of requests (11 x behaviours
    items, no attacks). Both are ``accord run`` children, CPU = user+sys from ``os.wait4``
    (start-up included, the same for both since the request counts are equal).
    Target: the campaign uses <= 10% more CPU per request.
    The plain run also stores 11x the item rows, so (1) compares whole runs of equal size;
    the transforms' own share is printed next to it: the CPU of applying the ten transforms
    to every behaviour in-process (``VariantPlan.apply_local``, what the runner calls while
    feeding units), per request, over the plain run's CPU per request.
(2) Request rate: the same two runs' engine rates (responses / time from the first request
    to the last stored). Target: the campaign runs at >= 0.9x the plain run's rate.

Then, reported separately (no target): a rewrite campaign (``translate:zu`` with the same
loopback server as translator) whose helper requests are extra requests: its target and
helper request counts and rates.

    .venv/bin/python benchmarks/attacks.py            # 1,000 behaviours (22,000 requests; ~1.5 min)
    .venv/bin/python benchmarks/attacks.py --quick    # 200 behaviours
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from throughput import REPO, Child, Server, child_env, run_child, warm_up

#: The ten local transform variants: every encoding, and three templates.
TRANSFORMS = ["base64", "rot13", "hex", "leetspeak", "confusables", "zero-width", "char-spacing", "template:n=3"]
N_VARIANTS = 10
LATENCY_MS = 200
CPU_TARGET = 0.10  # at most 10% more CPU per request
RATE_TARGET = 0.90  # at least 0.9x the plain run's request rate


@dataclass
class Measured:
    name: str
    requests: int  # target requests (responses stored)
    helper_requests: int
    req_per_s: float  # engine rate: target responses / engine time
    child: Child

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.child.cpu_s / self.requests


def data_dir() -> str:
    return os.environ.get("ACCORD_DATA_DIR") or str(REPO.parent / "shared" / "datasets")


def write_suite(path: Path, n: int) -> Path:
    with path.open("w") as fh:
        for i in range(n):
            fh.write(
                json.dumps(
                    {
                        "id": f"b{i}",
                        "prompt": f"benchmark behaviour {i}: a request to attack",
                        "hazard": "nonviolent-crimes",
                        "intent": "harmful",
                    }
                )
                + "\n"
            )
    return path


def accord_run(name: str, spec: dict[str, Any], tmp: Path, conc: int) -> Measured:
    """``accord run -c SPEC`` as a child on a fresh store; its summary and CPU."""
    spec_file = tmp / f"{name}.json"
    spec_file.write_text(json.dumps({**spec, "engine": {"concurrency": conc}}))  # JSON is YAML
    db = tmp / f"{name}.db"
    env = child_env(ACCORD_HOME=str(tmp / "home"), ACCORD_DATA_DIR=data_dir())
    argv = [sys.executable, "-m", "accord.cli.main", "run", "-c", str(spec_file), "--db", f"sqlite:///{db}", "--json", "--no-progress"]
    child = run_child(argv, env)
    if child.returncode != 0:
        raise SystemExit(f"accord run ({name}) failed ({child.returncode})")
    summary = json.loads(child.out.strip().splitlines()[-1])
    if summary["errors"]:
        raise SystemExit(f"accord run ({name}) stored {summary['errors']} errors: {summary.get('error_messages')}")
    helpers = sum((summary.get("helper_requests") or {}).values())
    return Measured(name, int(summary["responses"]), helpers, float(summary["req_per_s"]), child)


def transform_cpu_ms(n: int) -> float:
    """CPU ms per attacked request of applying the transforms in-process (no I/O, warm)."""
    os.environ.setdefault("ACCORD_DATA_DIR", data_dir())
    from accord.attacks import plan_attacks
    from accord.records import Item, Message

    plan = plan_attacks(TRANSFORMS)
    assert len(plan.variants) == N_VARIANTS, [v.attack for v in plan.variants]
    items = [
        Item(suite_id="bench", item_id=f"b{i}", messages=(Message(role="user", content=f"benchmark behaviour {i}: a request to attack"),))
        for i in range(n)
    ]
    for v in plan.variants:  # warm: templates loaded, caches filled
        v.apply_local(items[0])
    start = time.process_time()
    for item in items:
        for v in plan.variants:
            v.apply_local(item)
    return 1000 * (time.process_time() - start) / (n * N_VARIANTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="200 behaviours instead of 1,000")
    parser.add_argument("--behaviours", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    n = args.behaviours or (200 if args.quick else 1000)
    per = 1 + N_VARIANTS
    conc = args.concurrency
    if not (Path(data_dir()) / "redteam").is_dir():
        raise SystemExit(f"the template transform reads the red-team datasets: set ACCORD_DATA_DIR (not found at {data_dir()})")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(f"{n:,} behaviours x {N_VARIANTS} local transforms (+ plain) = {n * per:,} requests; latency {LATENCY_MS} ms, concurrency {conc}")
    warm_up()
    server = Server(LATENCY_MS)
    try:
        with tempfile.TemporaryDirectory(prefix="accord-bench-attacks-") as tmp_s:
            tmp = Path(tmp_s)
            target = f"openai:{server.url}#bench"
            plain = accord_run("plain", {"targets": [target], "suites": [str(write_suite(tmp / "plain.jsonl", n * per))]}, tmp, conc)
            behaviours = str(write_suite(tmp / "behaviours.jsonl", n))
            campaign = accord_run("campaign", {"targets": [target], "suites": [behaviours], "attacks": TRANSFORMS}, tmp, conc)
            if campaign.requests != n * per or plain.requests != n * per:
                raise SystemExit(f"expected {n * per} responses each, got plain {plain.requests}, campaign {campaign.requests}")
            rewrite_spec = {"targets": [target], "suites": [behaviours], "attacks": ["translate:zu"], "translator": target}
            rewrite = accord_run("rewrite", rewrite_spec, tmp, conc)
    finally:
        server.close()

    limit = conc / (LATENCY_MS / 1000)
    print(f"\n{'':28}  {'requests':>8}  {'req/s':>7}  {'% limit':>7}  {'CPU-s':>6}  {'CPU ms/req':>10}")
    for m in (plain, campaign):
        print(
            f"{m.name + ' run':28}  {m.requests:8,}  {m.req_per_s:7.1f}  {100 * m.req_per_s / limit:6.1f}%  {m.child.cpu_s:6.2f}  {m.cpu_ms_per_request:10.3f}"
        )
    own = transform_cpu_ms(n)
    extra = campaign.cpu_ms_per_request / plain.cpu_ms_per_request - 1
    ratio = campaign.req_per_s / plain.req_per_s
    ok_cpu, ok_rate = extra <= CPU_TARGET, ratio >= RATE_TARGET
    print(f"\n(1) CPU per request, transforms vs plain: {extra:+.1%} (target <= +{CPU_TARGET:.0%}): {'ok' if ok_cpu else 'ABOVE TARGET'}")
    print(
        f"    the transforms' own CPU: {own:.4f} ms per attacked request = {own / plain.cpu_ms_per_request:.1%} "
        "of the plain run's CPU per request"
    )
    print(f"(2) request rate, campaign / plain: {ratio:.3f}x (target >= {RATE_TARGET:.2f}x): {'ok' if ok_rate else 'BELOW TARGET'}")
    print(
        f"\nrewrites, reported separately: translate:zu on {n:,} behaviours sent {rewrite.requests:,} target requests "
        f"(plain and translated) + {rewrite.helper_requests:,} translator requests (extra), {rewrite.req_per_s:.1f} target req/s, "
        f"{rewrite.cpu_ms_per_request:.3f} CPU ms per target request"
    )
    if not (ok_cpu and ok_rate):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
