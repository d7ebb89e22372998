"""Issue 15, problem 7: the response cache never stands in for another run's answers by default.

A model swapped behind the same URL and alias has the same target digest, so the cache key
cannot tell; reuse across runs is opt-in (``reuse_cache_max_age_s`` / ``--reuse-cache``), with
a maximum age, and each stored response records where it came from.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from accord.pipeline import spec_from_data
from accord.runner import EngineConfig, ItemsSource, RunPlan, execute, scan_suites
from accord.runner._cache import parse_age, reusable
from accord.store import Store

from ._helpers import ScriptedTarget, make_items

FAST = dict(backoff_base_s=0.001, backoff_cap_s=0.01)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    st = Store.open(f"sqlite:///{tmp_path / 'a.db'}")
    yield st
    st.close()


def _plan(target: object, items: list, run_id: str, **cfg: object) -> RunPlan:
    sources = [ItemsSource("s", items)]
    config = EngineConfig(concurrency=4, **FAST, **cfg)  # type: ignore[arg-type]
    return RunPlan(target=target, sources=sources, suites=scan_suites(sources), config=config, run_id=run_id)  # type: ignore[arg-type]


def test_a_new_run_does_not_reuse_another_runs_answers_by_default(store: Store) -> None:
    items = make_items(10)
    execute(store, _plan(ScriptedTarget(), items, "old"))
    swapped = ScriptedTarget()  # same spec and digest: the model behind the alias changed
    summary = execute(store, _plan(swapped, items, "new"))
    assert sum(swapped.calls.values()) == 10 and summary.cached == 0
    rows = list(store.iter_responses("new"))
    assert all(r.provenance == "produced" and not r.cached and r.source_run is None for r in rows)
    assert store.provenance_counts("new") == {"produced": 10, "reused": 0, "unknown": 0, "sources": {}}


def test_reuse_cache_reuses_and_records_the_source(store: Store) -> None:
    items = make_items(10)
    execute(store, _plan(ScriptedTarget(), items, "old"))
    again = ScriptedTarget()
    summary = execute(store, _plan(again, items, "new", reuse_cache_max_age_s=3600))
    assert sum(again.calls.values()) == 0 and summary.cached == 10
    rows = list(store.iter_responses("new"))
    assert all(r.provenance == "reused" and r.cached and r.source_run == "old" for r in rows)
    assert all(r.source_created_at is not None and r.source_created_at <= datetime.now(UTC) for r in rows)
    assert store.provenance_counts("new") == {"produced": 0, "reused": 10, "unknown": 0, "sources": {"old": 10}}
    # a run that produced fresh answers makes them the cache's: the next reuse names it
    execute(store, _plan(ScriptedTarget(), items, "fresh"))
    execute(store, _plan(ScriptedTarget(), items, "later", reuse_cache_max_age_s=3600))
    assert store.provenance_counts("later")["sources"] == {"fresh": 10}


def test_too_old_entries_are_not_reused(store: Store) -> None:
    items = make_items(6)
    execute(store, _plan(ScriptedTarget(), items, "old"))
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE response_cache SET created_at = :t"), {"t": two_days_ago})
    again = ScriptedTarget()
    summary = execute(store, _plan(again, items, "new", reuse_cache_max_age_s=parse_age("24h")))
    assert sum(again.calls.values()) == 6 and summary.cached == 0
    assert {r.provenance for r in store.iter_responses("new")} == {"produced"}
    # within the limit they are
    third = ScriptedTarget()
    execute(store, _plan(third, items, "newer", reuse_cache_max_age_s=parse_age("7d")))
    assert sum(third.calls.values()) == 0


def test_reusable_rules() -> None:
    now = datetime(2026, 1, 2, tzinfo=UTC)
    recent = {"run_id": "a", "created_at": (now - timedelta(hours=1)).isoformat()}
    assert reusable(recent, "a", None, now=now)  # a run's own entries
    assert not reusable(recent, "b", None, now=now)  # another run's: only when asked
    assert reusable(recent, "b", 7200, now=now) and not reusable(recent, "b", 60, now=now)
    assert not reusable({"run_id": None, "created_at": None}, "b", 7200, now=now)
    legacy = {"run_id": None, "created_at": (now - timedelta(minutes=1)).isoformat()}  # written before m006
    assert reusable(legacy, "b", 7200, now=now) and not reusable(legacy, "b", None, now=now)


def test_parse_age() -> None:
    assert parse_age("24h") == 86400 and parse_age("30m") == 1800 and parse_age("90s") == 90 and parse_age("7d") == 7 * 86400
    assert parse_age("15") == 15
    for bad in ("", "h", "-1h", "soon", "infh"):
        with pytest.raises(ValueError):
            parse_age(bad)


def test_run_spec_engine_field() -> None:
    base = {"targets": [{"spec": "replay:x.jsonl"}], "suites": ["s"]}
    assert spec_from_data(base).engine.reuse_cache is None
    assert spec_from_data({**base, "engine": {"reuse_cache": "24h"}}).engine.reuse_cache == "24h"
    with pytest.raises(Exception, match="not an age"):
        spec_from_data({**base, "engine": {"reuse_cache": "tomorrow"}})
