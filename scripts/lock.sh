#!/usr/bin/env bash
# Re-create the lock files from pyproject.toml (run after changing a dependency; commit both).
#
#   requirements/demo.lock  core only: what `make demo` installs (no torch, no test tools)
#   requirements/test.lock  core + dev (server, postgres, train, pytest, ruff, mypy) + hf + inspect + ray:
#                           what `make test` and CI install
#
# Both pin every package with sha256 hashes for CPython 3.11 on x86_64 Linux (the machines this
# project runs on). torch is the CPU build 2.13.0+cpu that lies on these machines' disk
# (/opt/wheels, which pip's global config already searches): uv is pointed at it so the lock
# holds that file's hash, not a CUDA build's with its several GB of nvidia-* dependencies.
# requirements/constraints.txt keeps numpy/scipy/scikit-learn at the versions the committed
# judge artefact was trained with.
set -euo pipefail
cd "$(dirname "$0")/.."
UV="${UV:-uv}"
command -v "$UV" >/dev/null || { echo "lock: needs uv (pip install uv)" >&2; exit 2; }
WHEELS="${ACCORD_WHEELS:-/opt/wheels}"
common=(--python-version 3.11 --python-platform x86_64-manylinux_2_28 -c requirements/constraints.txt
        --generate-hashes --no-emit-find-links --custom-compile-command "bash scripts/lock.sh")
"$UV" pip compile -q pyproject.toml "${common[@]}" -o requirements/demo.lock
"$UV" pip compile -q pyproject.toml --extra dev --extra hf --extra inspect --extra ray --find-links "$WHEELS" "${common[@]}" -o requirements/test.lock
grep -q '^torch==2.13.0+cpu ' requirements/test.lock || { echo "lock: torch is not the local CPU build; is $WHEELS there?" >&2; exit 1; }
# `make demo` and `make test` share .venv: every package the demo pins must have the same pin in
# the test lock, so installing one over the other never changes a version.
pins() { grep -oE '^[a-z0-9._-]+==[^ ]+' "$1" | sort; }
extra=$(comm -23 <(pins requirements/demo.lock) <(pins requirements/test.lock))
[ -z "$extra" ] || { echo "lock: demo.lock pins that test.lock does not: $extra" >&2; exit 1; }
echo "lock: wrote requirements/demo.lock ($(grep -c '^[a-z]' requirements/demo.lock) packages), requirements/test.lock ($(grep -c '^[a-z]' requirements/test.lock) packages)"
