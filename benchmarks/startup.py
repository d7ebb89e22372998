"""Start-up time of the CLI on this working tree against a base commit, in one run.

A user pays start-up on every command, and a CI job that gates on ``accord score`` pays it in
every step, so a change may not make ``accord --help`` or ``accord runs list`` more than 10%
slower than the commit before it. Both trees run with the same interpreter (this one) as
``python -m accord.cli.main ...`` with ``PYTHONPATH=<tree>/src``; the base tree is exported with
``git archive`` into a temp folder (the repository is not touched). Runs are interleaved, the
order flipping each round, so drift of a shared 2-core machine hits both sides alike; each tree
gets its own empty SQLite store, created by its own code (schemas may differ between commits).

    python benchmarks/startup.py                    # base 03a1788 (before issue 11), 15 rounds
    python benchmarks/startup.py --base HEAD~3 -n 25

Prints a table of medians (and min) per command and tree, the ratio this/base, and PASS or
FAIL against ``--limit`` (1.10). Exits 1 on FAIL, so it can gate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The commit before the issue-11 change (one pipeline behind every front end).
DEFAULT_BASE = "03a1788"

#: Creates an empty store at the URL given: ``Store`` is importable from ``accord.store`` on
#: both sides of the change.
MAKE_STORE = "import sys; from accord.store import Store; Store.open(sys.argv[1])"


@dataclass
class Tree:
    """One side of the comparison: a source folder and its own empty store."""

    name: str
    src: Path
    db: str = ""
    times: dict[str, list[float]] = field(default_factory=dict)


def export_base(rev: str, dest: Path) -> str:
    """Write ``rev``'s ``src/`` under ``dest`` (no worktree, no change to the repo); return the full sha."""
    sha = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    archive = subprocess.run(["git", "archive", "--format=tar", sha, "src"], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return sha


def env_for(tree: Tree, home: Path) -> dict[str, str]:
    """The same environment for both trees, apart from which source is on the path.

    PYTHON* variables are dropped so byte-code is cached (the warm-up run writes it, as a
    user's first run does) and no stray PYTHONPATH entry shadows the tree.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "PYTHON"))}
    env.update(PYTHONPATH=str(tree.src), HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
               XDG_CACHE_HOME=str(home / "cache"), COLUMNS="100", NO_COLOR="1")
    return env


def run_once(tree: Tree, args: list[str], home: Path) -> float:
    """Wall seconds of one ``python -m accord.cli.main ARGS``; fails loudly on a non-zero exit."""
    cmd = [sys.executable, "-m", "accord.cli.main", *args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=home, env=env_for(tree, home), capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{tree.name}: `accord {' '.join(args)}` exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=DEFAULT_BASE, help=f"commit to compare against (default {DEFAULT_BASE})")
    parser.add_argument("-n", "--rounds", type=int, default=15, help="timed runs per command and tree (default 15)")
    parser.add_argument("--limit", type=float, default=1.10, help="largest allowed ratio this/base of the medians (default 1.10)")
    opts = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="accord-startup-") as tmp_name:
        tmp = Path(tmp_name)
        sha = export_base(opts.base, tmp / "base")
        trees = [Tree("base", tmp / "base" / "src"), Tree("this", ROOT / "src")]
        home = tmp / "home"
        home.mkdir()
        for tree in trees:
            tree.db = f"sqlite:///{tmp / (tree.name + '.db')}"
            subprocess.run([sys.executable, "-c", MAKE_STORE, tree.db], cwd=home, env=env_for(tree, home), check=True)
        commands = {"--help": ["--help"], "runs list": ["runs", "list", "--db", "{db}"]}

        def args_for(tree: Tree, name: str) -> list[str]:
            return [a.replace("{db}", tree.db) for a in commands[name]]

        for tree in trees:  # warm-up: byte-code caches, page cache
            for name in commands:
                run_once(tree, args_for(tree, name), home)
        for i in range(opts.rounds):
            order = trees if i % 2 == 0 else trees[::-1]
            for name in commands:
                for tree in order:
                    tree.times.setdefault(name, []).append(run_once(tree, args_for(tree, name), home))

    base, this = trees
    print(f"accord start-up: this working tree vs base {opts.base} ({sha[:12]}), {opts.rounds} interleaved runs each, {sys.executable}")
    print(f"{'command':<12} {'base median':>12} {'this median':>12} {'base min':>10} {'this min':>10} {'ratio':>7}  verdict")
    ok = True
    for name in commands:
        b, t = statistics.median(base.times[name]), statistics.median(this.times[name])
        ratio = t / b
        verdict = "PASS" if ratio <= opts.limit else "FAIL"
        ok &= verdict == "PASS"
        print(f"{name:<12} {b * 1000:>10.0f}ms {t * 1000:>10.0f}ms {min(base.times[name]) * 1000:>8.0f}ms {min(this.times[name]) * 1000:>8.0f}ms {ratio:>7.3f}  {verdict}")
    print(f"limit: this/base median <= {opts.limit:.2f}  ->  {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
