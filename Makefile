# The two commands a newcomer needs:  make demo   and   make test
# Each creates its own virtual environment (.venv) from a clean clone, from a lock file, so every
# machine gets the same versions: `make demo` installs requirements/demo.lock (core only: the demo
# replays recorded transcripts, so no torch), `make test` requirements/test.lock (core + the
# server, postgres, train, hf and dev extras; a superset of the demo's pins). One marker file per
# lock in .venv says which is installed; `make lock` re-creates both from pyproject.toml.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
ACCORD_DATA_DIR ?= $(abspath ../shared/datasets)
export ACCORD_DATA_DIR


.PHONY: demo test install install-demo lint lock clean bench

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip

# `pip install -r LOCK` checks every file against its sha256; the project itself goes in
# editable, with --no-deps so nothing beyond the lock is resolved.
$(VENV)/.demo-installed: requirements/demo.lock pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -r requirements/demo.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.test-installed: requirements/test.lock pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -r requirements/test.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

install-demo: $(VENV)/.demo-installed
install: $(VENV)/.test-installed

# The main job on embedded defaults: real models' recorded responses (XSTest v2, JailbreakBench
# artifacts) -> stored run -> judged -> scored under every pack -> deployment matrix + HTML report.
demo: $(VENV)/.demo-installed
	$(BIN)/accord demo --out-dir out

# Unit + integration tests. Starts a throw-away PostgreSQL on loopback for the store tests when
# it can (scripts/pg_start.sh); without one those tests skip locally (CI treats a skip as failure).
test: $(VENV)/.test-installed
	@if [ -z "$$ACCORD_TEST_POSTGRES_URL" ]; then \
	  url=$$(bash scripts/pg_start.sh 2>/dev/null) && export ACCORD_TEST_POSTGRES_URL=$$url; \
	fi; \
	$(BIN)/pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	exit $$rc

# What CI checks before the tests (.ci/run): lint and types, from the test environment.
lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/mypy

# Re-create requirements/*.lock after changing a dependency in pyproject.toml (needs uv).
lock:
	bash scripts/lock.sh

bench: $(VENV)/.test-installed
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/log.py
	$(BIN)/python benchmarks/rescore.py
	$(BIN)/python benchmarks/judge_throughput.py
	$(BIN)/python benchmarks/judge_agreement.py
	$(BIN)/python benchmarks/startup.py

clean:
	rm -rf $(VENV) out build src/*.egg-info
