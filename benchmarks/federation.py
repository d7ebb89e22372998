"""Federation (issue 21): incidents per second synced between two servers, and how long a new
incident takes to reach the third server of a chain.

Targets: >= 1,000 incidents/s in bulk, and <= 2 sync intervals to the third server.

**Bulk** (``--incidents N``, default 5,000). Server A is a real ``accord serve`` process (its
own SQLite store and log, loopback HTTP, ``--port 0``); server B is this process: its own store
(SQLite, or ``--db-b postgresql://...``), its own log and key, its app served on loopback too
(A's ``accord peer add`` of B reads B's ``/v1/federation/info`` from it). Each is the other's
peer (``add_peer`` with the other's pinned key). What is timed is one ``sync_peer`` of B from A
(what ``accord peer sync`` and ``accord serve --sync-interval`` run), from B's first request to
the last page applied, and it includes, per page of ``--page`` incidents:

- B witnessing A's log first (once: A's checkpoint verified, cosigned, the cosignature posted);
- A serving the page: the signed pull request checked, the sharing rules applied per version,
  the page serialised and signed (in A's process, so on the same 2-core box it competes for CPU);
- B: the page's signature checked and the page parsed; for each version the content and salt
  re-canonicalised and the commitment recomputed, A's DSSE envelope verified (Ed25519) and
  checked to sign that commitment, the sharing rules applied again; B's own envelope signed
  over the commitment; the page's envelopes appended to B's transparency log in one batch
  (its files fsynced once, one signed checkpoint); the versions, headers, TLP reader rows and the cursor
  stored in one transaction.

Setup, not timed: A's incidents are created in one batch (``--seed bulk``: the same rows
``report_incident`` writes: salted commitment, A's signed envelope, one log append of all the
envelopes and one transaction; the sync then re-verifies every one of them) or one by one with
``report_incident`` (``--seed report``: one signed checkpoint and fsync per incident, ~150-300/s
here, so 5,000 take ~20-30 s). A mix of TLP (60% CLEAR, 20% GREEN, 10% AMBER to B's
organisation, 10% RED to a named member of it) and distribution levels 2 and 3, all of which B
may receive. After the sync (not timed) B is checked: it holds exactly N incidents, a sample of
its versions verifies under B's key (``accord.incidents.verify_version``) and B's log passes
``FileLog.audit``.

``--profile``: the bulk sync once more into a fresh server B2, under cProfile (B's side only:
A's work is in its own process), top functions by cumulative time.

**Chain** (``--rigs R --trials K --interval T``, default 3 chains x 4 trials at T = 1 s). Three
``accord serve --sync-interval T`` processes A -> B -> C (B pulls from A, C pulls from B,
relaying), started with random phases between their loops; each chain is built afresh. Each
trial waits a random time in [0, T), reports a TLP:CLEAR, distribution-3 incident on A over HTTP
(``POST /v1/incidents``), and polls B's and C's stores every 5 ms until C holds it: the time from
A's 201 to C holding it, in units of T, per hop too. What carries it: the sync loop (a round T
after the previous one ended) and the pokes (A's report pokes B, B's round that received
something pokes C: ``POST /v1/federation/poke``); with every poke lost the bound is 2 T plus two
rounds.

    .venv/bin/python benchmarks/federation.py                    # bulk 5,000 + chain, ~1-2 min
    .venv/bin/python benchmarks/federation.py --profile          # + cProfile of the bulk sync
    .venv/bin/python benchmarks/federation.py --only bulk --incidents 20000 --db-b postgresql://user@host/db
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.support.loopback

TARGET_RATE = 1000.0
TARGET_INTERVALS = 2.0
SERVER = "import typer, accord.cli.serve as s; typer.run(s.serve)"


# -- servers ----------------------------------------------------------------------------------
@dataclass
class Node:
    name: str
    root: Path
    db: str
    key_file: Path
    orgs: list[str]
    url: str = ""
    proc: subprocess.Popen[str] | None = None
    store: Any = None

    @property
    def log(self) -> Path:
        return self.root / "log"

    def public_key(self) -> str:
        from accord.attest import SigningKey

        return str(SigningKey.from_text(self.key_file.read_text(), source=str(self.key_file)).public.vkey())

    def origin(self) -> str:
        from accord.pipeline._federation import _own_origin

        return str(_own_origin(self.log))


def make_node(base: Path, name: str, orgs: list[str], db: str | None = None) -> Node:
    from accord.attest import SigningKey
    from accord.pipeline import LOCAL_ADMIN, create_org, open_service_store

    root = base / name
    root.mkdir(parents=True)
    key_file = root / "key.pem"
    key_file.write_bytes(SigningKey.generate().to_pem())
    os.chmod(key_file, 0o600)
    node = Node(name, root, db or f"sqlite:///{root / 'store.db'}", key_file, orgs)
    node.store = open_service_store(node.db)
    for org in orgs:
        create_org(node.store, LOCAL_ADMIN, org, org_id=org)
    node.origin()  # create the log (its origin) now
    return node


@contextmanager
def serve_process(node: Node, *extra: str) -> Iterator[Node]:
    """``accord serve`` for ``node`` in its own process; its first stdout line is its URL."""
    env = {**os.environ, "ACCORD_HOME": str(node.root / "home")}
    env.pop("ACCORD_DB", None)
    args = [
        "--db",
        node.db,
        "--log-dir",
        str(node.log),
        "--signing-key",
        str(node.key_file),
        "--port",
        "0",
        "--name",
        node.name,
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, *args, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        m = re.search(r"(http://\S+)", line)
        if m is None:
            proc.kill()
            raise SystemExit(f"server {node.name} did not start: {line!r} {proc.communicate()[1][-2000:]}")
        node.url, node.proc = m.group(1).rstrip("/"), proc
        yield node
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=30)


@contextmanager
def serve_here(node: Node) -> Iterator[Node]:
    """``node``'s app on loopback in this process (uvicorn in a thread, as the tests do)."""
    from accord.server import ServerConfig, create_app
    from tests.support.loopback import serve_app

    app = create_app(ServerConfig(log_dir=node.log, signing_key=str(node.key_file), name=node.name), store=node.store)
    with serve_app(app) as url:
        node.url = url
        yield node


def peer(x: Node, y: Node, *, pull: bool = True, push: bool = True, relay: bool = False) -> str:
    """Make ``y`` a peer of ``x`` (in ``x``'s store, as ``accord peer add`` does); y's origin."""
    from accord.pipeline import LOCAL_ADMIN, add_peer

    row = add_peer(
        x.store,
        LOCAL_ADMIN,
        y.url,
        trusted_key=y.public_key(),
        orgs=y.orgs,
        pull=pull,
        push=push,
        relay=relay,
        log_dir=x.log,
        log_key=str(x.key_file),
    )
    return str(row["origin"])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- seeding ----------------------------------------------------------------------------------
def _report(i: int, rng: random.Random, peer_org: str) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.6:
        tlp, recipients = "CLEAR", []
    elif roll < 0.8:
        tlp, recipients = "GREEN", []
    elif roll < 0.9:
        tlp, recipients = "AMBER", [{"org": peer_org}]
    else:
        tlp, recipients = "RED", [{"org": peer_org, "member": "reader"}]
    return {
        "title": f"federation benchmark incident {i}",
        "description": f"Synthetic incident {i} for benchmarks/federation.py (not a real event).",
        "system": {"name": f"bench-system-{i % 50}", "version": f"{i % 7}.0", "provider": "bench-lab"},
        "severity": rng.choice(["hazard", "incident", "serious incident"]),
        "harms": ["other"],
        "jurisdictions": [rng.choice(["EU", "US", "GB"])],
        "aware_at": (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i)).isoformat(),
        "tlp": tlp,
        "recipients": recipients,
        "distribution": rng.choice([2, 3]),
    }


def seed_bulk(node: Node, who: Any, reports: list[dict[str, Any]]) -> None:
    """Version 1 of each report through ``report_incidents`` (one log batch and one transaction
    per 10,000; ``report_incident`` signs a checkpoint and fsyncs per incident)."""
    from accord.pipeline import report_incidents

    for start in range(0, len(reports), 10_000):
        report_incidents(node.store, who, reports[start : start + 10_000], log_dir=node.log, log_key=str(node.key_file))


def seed(node: Node, n: int, peer_org: str, mode: str) -> float:
    """``n`` incidents reported by ``node``'s first organisation; returns the seconds taken."""
    from accord.pipeline import Principal, report_incident

    who = Principal(org=node.orgs[0], role="provider", token_id="bench", member="bench")
    rng = random.Random(21)
    reports = [_report(i, rng, peer_org) for i in range(n)]
    t0 = time.perf_counter()
    if mode == "bulk":
        seed_bulk(node, who, reports)
    else:
        for r in reports:
            report_incident(node.store, who, r, log_dir=node.log, log_key=str(node.key_file))
    return time.perf_counter() - t0


# -- checks -----------------------------------------------------------------------------------
def check_receiver(node: Node, expected: int, sample: int = 200) -> str:
    """B holds ``expected`` incidents, each version once; a sample verifies; its log audits."""
    import sqlalchemy as sa

    from accord.attest import FileLog, SigningKey
    from accord.incidents import verify_version
    from accord.pipeline._incident_jobs import _version

    with node.store.engine.connect() as conn:
        heads = conn.execute(sa.text("SELECT count(*) FROM service_incidents")).scalar_one()
        versions = conn.execute(sa.text("SELECT count(*) FROM service_incident_versions")).scalar_one()
        ids = [r[0] for r in conn.execute(sa.text("SELECT incident_id FROM service_incident_versions"))]
    if heads != expected or versions != expected:
        raise SystemExit(f"B holds {heads} incidents / {versions} versions, not {expected}")
    from accord.store import Incidents

    key = SigningKey.from_text(node.key_file.read_text(), source=str(node.key_file)).public
    inc = Incidents(node.store)
    for incident_id in random.Random(5).sample(ids, min(sample, len(ids))):
        for row in inc.versions(incident_id):
            verify_version(_version(row), [key])
    with FileLog.open(node.log) as tlog:
        tlog.audit()
        size = tlog.size
    return f"B holds {heads:,} incidents ({versions:,} versions); {min(sample, len(ids))} sampled versions verify under B's key; B's log ({size:,} entries) audits"


# -- bulk -------------------------------------------------------------------------------------
def bulk(args: argparse.Namespace, base: Path) -> dict[str, Any]:
    from accord.pipeline import sync_peer

    with ExitStack() as es:
        a = make_node(base, "a", ["org-a"])
        b = es.enter_context(serve_here(make_node(base, "b", ["org-b"], args.db_b)))
        peer(a, b, pull=False)  # before seeding: B's organisations are recipients A knows
        print(f"bulk: seeding {args.incidents:,} incidents on A ({args.seed}) ...", flush=True)
        seeded = seed(a, args.incidents, "org-b", args.seed)
        from accord.store import Incidents

        last_seq = Incidents(a.store).max_seq()
        print(f"bulk: seeded in {seeded:.1f} s ({args.incidents / seeded:,.0f}/s)", flush=True)
        a.store.close()
        es.enter_context(serve_process(a))
        origin = peer(b, a)
        cpu_a0 = cpu_seconds(a.proc.pid)  # type: ignore[union-attr]
        t0 = time.perf_counter()
        rounds = []
        while True:
            r = sync_peer(b.store, b.log, origin, log_key=str(b.key_file), page_size=args.page)
            rounds.append(r)
            if r.error or r.pages == 0 or r.cursor >= last_seq:
                break
        wall = time.perf_counter() - t0
        cpu_a = cpu_seconds(a.proc.pid) - cpu_a0  # type: ignore[union-attr]
        if any(r.error for r in rounds):
            raise SystemExit(f"sync failed: {[r.error for r in rounds if r.error]}")
        received = sum(r.received for r in rounds)
        pages = sum(r.pages for r in rounds)
        checked = check_receiver(b, args.incidents)
        out = {
            "incidents": args.incidents,
            "received": received,
            "pages": pages,
            "rounds": len(rounds),
            "wall_s": wall,
            "rate": received / wall,
            "a_cpu_s": cpu_a,
        }
        out["store_b"] = "postgresql" if args.db_b else "sqlite"
        out["checked"] = checked
        print(
            f"bulk: {received:,} incidents in {wall:.2f} s = {received / wall:,.0f}/s ({pages} pages, {len(rounds)} round(s)); A's CPU {cpu_a:.2f} s",
            flush=True,
        )
        print(f"bulk: {checked}", flush=True)
        if args.profile:
            out["profile"] = profile_sync(base, a, args)
        return out


def profile_sync(base: Path, a: Node, args: argparse.Namespace) -> str:
    import cProfile
    import io
    import pstats

    from accord.pipeline import open_service_store, sync_peer

    a.store = open_service_store(a.db)
    with serve_here(make_node(base, "b2", ["org-b"])) as b2:
        peer(a, b2, pull=False)
        origin = peer(b2, a)
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        r = sync_peer(b2.store, b2.log, origin, log_key=str(b2.key_file), page_size=args.page)
        prof.disable()
        wall = time.perf_counter() - t0
    a.store.close()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("cumulative").print_stats(args.profile_top)
    text = buf.getvalue()
    head = f"profile (B's process, under cProfile, which slows it): {r.received:,} incidents in {wall:.2f} s = {r.received / wall:,.0f}/s"
    print(head)
    print(text[text.find("   ncalls") :] if "   ncalls" in text else text, flush=True)
    breakdown = stage_breakdown(stats, wall)
    print(breakdown, flush=True)
    return head + "\n" + breakdown


#: The sync's stages: (label, file suffix, function), cumulative times as cProfile counts them.
STAGES = [
    ("sync_peer (all)", "pipeline/_federation.py", "sync_peer"),
    ("  witness A's log (checkpoint, proof, cosign)", "pipeline/_federation.py", "_witness"),
    ("  HTTP GETs (incl. waiting on A to serve)", "pipeline/_federation.py", "_get"),
    ("  verify_feed (page signature + parse)", "federation/_wire.py", "verify_feed"),
    ("  _apply (all)", "pipeline/_federation.py", "_apply"),
    ("    canonical_document (re-canonicalise)", "incidents/_commit.py", "canonical_document"),
    ("    commit_document (sha256)", "incidents/_commit.py", "commit_document"),
    ("    verify_attestation (A's envelope)", "attest/_verify.py", "verify_attestation"),
    ("    offer_level (sharing rules)", "federation/_distribution.py", "offer_level"),
    ("    sign_commitment (B's envelope)", "incidents/_commit.py", "sign_commitment"),
    ("    log_append_many (batch + checkpoint)", "pipeline/_service_log.py", "log_append_many"),
    ("    known_versions", "store/_incidents.py", "known_versions"),
    ("    put_many (store writes)", "store/_incidents.py", "put_many"),
    ("    put_many (store writes, batched)", "store/_incidents.py", "put_many"),
    ("    reader_keys", "incidents/_tlp.py", "reader_keys"),
    ("    marking_json", "pipeline/_incident_jobs.py", "marking_json"),
    ("    pydantic model_dump_json", "pydantic/main.py", "model_dump_json"),
]


def stage_breakdown(stats: Any, wall: float) -> str:
    rows = {(Path(f).as_posix(), fn): (nc, ct) for (f, _line, fn), (_cc, nc, _tt, ct, _callers) in stats.stats.items()}
    lines = ["stage breakdown (cumulative s under cProfile; nested stages overlap their parents)"]
    for label, suffix, fn in STAGES:
        found = [(nc, ct) for (f, name), (nc, ct) in rows.items() if name == fn and f.endswith(suffix)]
        if found:
            nc, ct = sum(x[0] for x in found), sum(x[1] for x in found)
            lines.append(f"  {label:<50} {ct:7.2f} s {ct / wall:6.0%}  ({nc:,} calls)")
    return "\n".join(lines)


# -- chain ------------------------------------------------------------------------------------
def chain(args: argparse.Namespace, base: Path) -> dict[str, Any]:
    """``args.rigs`` chains, each started with random phases between its servers' loops, and
    ``args.trials`` incidents through each; latencies in units of T."""
    rng = random.Random(args.seed_chain)
    lat: list[float] = []
    hop1: list[float] = []
    for rig in range(args.rigs):
        chain_rig(args, base / f"chain{rig}", rig, rng, lat, hop1)
    hop2 = [x - y for x, y in zip(lat, hop1, strict=True)]
    return {
        "interval_s": args.interval,
        "trials": len(lat),
        "rigs": args.rigs,
        "median_T": statistics.median(lat),
        "max_T": max(lat),
        "hop1_median_T": statistics.median(hop1),
        "hop1_max_T": max(hop1),
        "hop2_median_T": statistics.median(hop2),
        "hop2_max_T": max(hop2),
        "latencies_T": lat,
    }


def chain_rig(args: argparse.Namespace, base: Path, rig: int, rng: random.Random, lat: list[float], hop1: list[float]) -> None:
    import httpx

    from accord.pipeline import LOCAL_ADMIN, create_token, open_service_store
    from accord.store import Incidents

    T = args.interval
    nodes = [make_node(base, n, [f"org-{n}"]) for n in ("ca", "cb", "cc")]
    token = create_token(nodes[0].store, LOCAL_ADMIN, "org-ca", "provider", member="bench")["token"]
    for node in nodes:
        node.store.close()
    with ExitStack() as es:
        for node in nodes:
            time.sleep(rng.uniform(0, T))  # each loop's phase: random, as servers started independently
            es.enter_context(serve_process(node, "--sync-interval", str(T)))
        for node in nodes:
            node.store = es.enter_context(contextlib.closing(open_service_store(node.db)))
        a, b, c = nodes
        peer(a, b, pull=False)
        peer(b, a)
        peer(b, c, pull=False)
        peer(c, b, relay=True)  # C takes what B relays (reported by org-ca, which B does not speak for)
        http = es.enter_context(httpx.Client(timeout=30))
        inc_b, inc_c = Incidents(b.store), Incidents(c.store)

        def report(i: int) -> str:
            body = {**_report(i, rng, "org-cb"), "tlp": "CLEAR", "recipients": [], "distribution": 3}
            resp = http.post(f"{a.url}/v1/incidents", json=body, headers={"Authorization": f"Bearer {token}"})
            if resp.status_code != 201:
                raise SystemExit(f"A answered {resp.status_code}: {resp.text[:300]}")
            return str(resp.json()["incident_id"])

        def wait_on_c(incident_id: str, limit_s: float) -> tuple[float, float] | None:
            """(when B held it, when C held it), both stores polled every 5 ms."""
            start = time.perf_counter()
            on_b = None
            while time.perf_counter() - start < limit_s:
                if on_b is None and inc_b.head(incident_id) is not None:
                    on_b = time.perf_counter()
                if inc_c.head(incident_id) is not None:
                    return (on_b or time.perf_counter()), time.perf_counter()
                time.sleep(0.005)
            return None

        print(f"chain {rig + 1}/{args.rigs}: A -> B -> C, sync interval {T:g} s; warming up ...", flush=True)
        if wait_on_c(report(-1), 10 * T + 10) is None:
            raise SystemExit("the warm-up incident never reached C")
        for i in range(args.trials):
            time.sleep(rng.uniform(0, T))
            incident_id = report(i)
            t_made = time.perf_counter()
            seen = wait_on_c(incident_id, 10 * T + 10)
            if seen is None:
                raise SystemExit(f"trial {i}: the incident did not reach C within {10 * T + 10:.0f} s")
            lat.append((seen[1] - t_made) / T)
            hop1.append((seen[0] - t_made) / T)
            print(
                f"chain {rig + 1}/{args.rigs}: trial {i + 1}/{args.trials}: {lat[-1] * T:.3f} s = {lat[-1]:.2f} T (A -> B {hop1[-1]:.2f} T, B -> C {lat[-1] - hop1[-1]:.2f} T)",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=("bulk", "chain"))
    ap.add_argument("--incidents", type=int, default=5000, help="incidents on A for the bulk sync")
    ap.add_argument("--page", type=int, default=500, help="page size B asks for (the server caps it at 2,000)")
    ap.add_argument("--seed", choices=("bulk", "report"), default="bulk", help="how A's incidents are created (setup, not timed)")
    ap.add_argument(
        "--db-b", help="B's store for the bulk sync, an empty database (default: SQLite in a temporary folder), e.g. postgresql://..."
    )
    ap.add_argument("--profile", action="store_true", help="also profile the bulk sync (B's process) with cProfile")
    ap.add_argument("--profile-top", type=int, default=30)
    ap.add_argument("--interval", type=float, default=1.0, help="sync interval T of the chain's servers, seconds")
    ap.add_argument("--rigs", type=int, default=3, help="chains started afresh (each with random phases between its servers' sync loops)")
    ap.add_argument("--trials", type=int, default=4, help="incidents timed per chain")
    ap.add_argument("--seed-chain", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="accord-bench-federation-") as tmp:
        base = Path(tmp)
        os.environ["ACCORD_HOME"] = str(base / "home")
        os.environ.pop("ACCORD_DB", None)
        res_bulk = bulk(args, base) if args.only != "chain" else None
        res_chain = chain(args, base) if args.only != "bulk" else None
    print()
    print(f"accord federation ({os.cpu_count()} CPUs): " + " ".join(sys.argv[1:]))
    if res_bulk:
        r = res_bulk
        meets = "meets" if r["rate"] >= TARGET_RATE else "MISSES"
        print(
            f"bulk   {r['rate']:>8,.0f} incidents/s  target >= {TARGET_RATE:,.0f}/s: {meets}  "
            f"({r['received']:,} incidents, {r['pages']} pages of {args.page}, A -> B over loopback HTTP, B on {r['store_b']}, {r['wall_s']:.2f} s; A's CPU {r['a_cpu_s']:.2f} s)"
        )
        print("       timed: B witnessing A's log, each page served and signed by A, its signature checked by B, each version's commitment")
        print(
            "       recomputed and A's envelope verified on B, B's envelope signed, one log batch + checkpoint and one transaction per page"
        )
        print(f"       {r['checked']}")
    if res_chain:
        r = res_chain

        def verdict(x: float) -> str:
            return "meets" if x <= TARGET_INTERVALS else "MISSES"

        print(
            f"chain  median {r['median_T']:.2f} T ({verdict(r['median_T'])}), max {r['max_T']:.2f} T ({verdict(r['max_T'])})  target <= {TARGET_INTERVALS:g} T  "
            f"(A -> B -> C, T = {r['interval_s']:g} s, {r['trials']} trials over {r['rigs']} chains, from A's 201 to C's store holding it)"
        )
        print(
            f"       per hop: A -> B median {r['hop1_median_T']:.2f} T (max {r['hop1_max_T']:.2f}), B -> C median {r['hop2_median_T']:.2f} T (max {r['hop2_max_T']:.2f})"
        )
        print(
            "       carried by the pokes (report -> B, B's receiving round -> C) and the loops; with every poke lost a hop waits up to T + one round"
        )
    print(json.dumps({"bulk": {k: v for k, v in (res_bulk or {}).items() if k != "checked"}, "chain": res_chain}))


if __name__ == "__main__":
    main()
