"""Fixtures: a real SQLite store with a clean run and a run with a floor violation, and its report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.unit.report._data import two_run_store

GENERATED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    s = two_run_store(f"sqlite:///{tmp_path_factory.mktemp('report') / 'accord.db'}")
    yield s
    s.close()


@pytest.fixture(scope="module")
def data(store: Any) -> Any:
    from accord.frameworks import resolve
    from accord.pipeline import choose_judge, judge_card, read_run
    from accord.report import build_report

    judge = choose_judge(store, ["clean", "dirty"])
    runs = [read_run(store, r, judge) for r in ("clean", "dirty")]
    return build_report(runs, resolve(None), judge_id=judge, card=judge_card(judge), generated_at=GENERATED)
