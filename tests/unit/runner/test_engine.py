"""The engine end to end against a real SQLite store: retries, errors, concurrency, cache, resume."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import pytest

from accord.errors import AccordError, StoreError
from accord.records import ErrorKind
from accord.runner import EngineConfig, ItemsSource, RunPlan, execute, scan_suites
from accord.store import Store
from accord.targets import GenParams, load_target

from ._helpers import ScriptedTarget, fatal, make_items, retryable

FAST = dict(backoff_base_s=0.001, backoff_cap_s=0.01)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    st = Store.open(f"sqlite:///{tmp_path / 'a.db'}")
    yield st
    st.close()


def plan_for(target: object, sources: list[ItemsSource], **kw: object) -> RunPlan:
    config = kw.pop("config", EngineConfig(concurrency=8, **FAST))  # type: ignore[arg-type]
    return RunPlan(target=target, sources=sources, suites=scan_suites(sources), config=config, **kw)  # type: ignore[arg-type]


def test_every_key_stored_once_with_retries_and_errors(store: Store) -> None:
    items = make_items(300)
    target = ScriptedTarget(
        {
            "i1@0": [retryable(), retryable(ErrorKind.rate_limited)],  # succeeds on the 3rd attempt
            "i2@0": [retryable()] * 10,  # never succeeds: 1 + 3 retries, then an error
            "i3@0": [fatal()],  # not retryable: one attempt
            "i4@1": [retryable(ErrorKind.timeout), fatal(ErrorKind.auth)],
        },
        blocked={"i5"},
    )
    cfg = EngineConfig(concurrency=8, max_retries=3, **FAST)
    summary = execute(store, plan_for(target, [ItemsSource("s", items)], epochs=2, run_id="r1", config=cfg))
    assert summary.status == "complete"
    assert (summary.items, summary.responses) == (300, 600)
    rows = {(r.item_id, r.epoch): r for r in store.iter_responses("r1")}
    assert len(rows) == 600
    assert rows[("i1", 0)].output == "echo: prompt s 1" and rows[("i1", 0)].attempts == 3
    assert rows[("i1", 1)].attempts == 1
    assert rows[("i2", 0)].error_kind is ErrorKind.server_error and rows[("i2", 0)].output is None
    assert target.calls["i2@0"] == 4 and rows[("i2", 0)].attempts == 4
    assert rows[("i3", 0)].error_kind is ErrorKind.client_error and target.calls["i3@0"] == 1
    assert rows[("i3", 1)].error_kind is None
    assert rows[("i4", 1)].error_kind is ErrorKind.auth and rows[("i4", 1)].attempts == 2
    assert rows[("i5", 0)].blocked and rows[("i5", 0)].output is None and rows[("i5", 0)].error_kind is None
    assert summary.errors == store.response_counts("r1")["errors"] == 3
    assert summary.error_kinds == {"auth": 1, "client_error": 1, "server_error": 1}
    assert target.max_in_flight <= 8 and target.concurrency_set == 8 and target.closed
    assert store.count_items("r1") == 300
    assert [it.item_id for it in store.iter_items("r1")][:3] == ["i0", "i1", "i2"]
    run = store.get_run("r1")
    assert run is not None and run.status == "complete" and run.meta["model_versions"] == ["m-v1"]


def test_concurrency_is_a_fixed_pool(store: Store) -> None:
    target = ScriptedTarget(delay_s=0.005)
    execute(store, plan_for(target, [ItemsSource("s", make_items(200))], config=EngineConfig(concurrency=5)))
    assert target.max_in_flight == 5


def test_provider_bug_is_recorded_not_fatal(store: Store) -> None:
    class Broken(ScriptedTarget):
        async def generate(self, messages, params, *, context=None):  # type: ignore[no-untyped-def]
            if context.item_id == "i0":
                raise KeyError("oops")
            return await super().generate(messages, params, context=context)

    summary = execute(store, plan_for(Broken(), [ItemsSource("s", make_items(5))], run_id="r"))
    assert summary.responses == 5 and summary.error_kinds == {"internal": 1}


def test_runner_timeout_guards_a_provider_that_hangs(store: Store) -> None:
    target = ScriptedTarget(delay_s=5)
    cfg = EngineConfig(concurrency=4, max_retries=1, timeout_grace_s=0.0, **FAST)
    plan = plan_for(target, [ItemsSource("s", make_items(3))], config=cfg, params=GenParams(timeout_s=0.05), run_id="r")
    summary = execute(store, plan)
    assert summary.error_kinds == {"timeout": 3}
    assert all(r.attempts == 2 for r in store.iter_responses("r"))


def test_resume_skips_stored_keys_and_checks_it_is_the_same_run(store: Store) -> None:
    items = make_items(50)
    first = ScriptedTarget()
    execute(store, plan_for(first, [ItemsSource("s", items[:20])], run_id="r"))
    # same run id, different suite content -> refused before anything is sent
    other = ScriptedTarget()
    with pytest.raises(StoreError, match="different suites"):
        execute(store, plan_for(other, [ItemsSource("s", items)], run_id="r"))
    assert sum(other.calls.values()) == 0
    with pytest.raises(StoreError, match="generation parameters"):
        execute(store, plan_for(other, [ItemsSource("s", items[:20])], run_id="r", params=GenParams(temperature=1.0)))
    # genuinely resuming: delete half the responses as if the process had died
    import sqlalchemy as sa

    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM responses WHERE run_id='r' AND CAST(substr(item_id, 2) AS INTEGER) >= 10"))
    again = ScriptedTarget()
    nocache = EngineConfig(concurrency=4, use_cache=False)
    summary = execute(store, plan_for(again, [ItemsSource("s", items[:20])], run_id="r", config=nocache))
    assert summary.resumed and summary.skipped == 10 and summary.sent == 10
    assert sorted(again.calls) == sorted(f"i{i}@0" for i in range(10, 20))
    assert store.response_counts("r")["responses"] == 20


def test_cache_answers_a_second_run_without_the_network(store: Store) -> None:
    items = make_items(30)
    first = ScriptedTarget()
    first.cache = True  # type: ignore[attr-defined]
    execute(store, plan_for(first, [ItemsSource("s", items)], epochs=2, run_id="a"))
    # issue 15: reuse across runs is opt-in (reuse_cache_max_age_s), never the default
    reuse = EngineConfig(concurrency=8, reuse_cache_max_age_s=3600, **FAST)
    second = ScriptedTarget()
    summary = execute(store, plan_for(second, [ItemsSource("s", items)], epochs=2, run_id="b", config=reuse))
    assert sum(second.calls.values()) == 0 and summary.cached == 60
    rows = list(store.iter_responses("b"))
    assert all(r.cached and r.attempts == 0 and r.output.startswith("echo:") for r in rows)  # type: ignore[union-attr]
    third = ScriptedTarget()
    cfg = EngineConfig(concurrency=4, use_cache=False, **FAST)
    execute(store, plan_for(third, [ItemsSource("s", items)], run_id="c", config=cfg))
    assert sum(third.calls.values()) == 30
    # errors are never cached
    failing = ScriptedTarget({"i0@0": [fatal()]})
    execute(store, plan_for(failing, [ItemsSource("s", items)], run_id="d", params=GenParams(max_tokens=7)))
    again = ScriptedTarget()
    execute(store, plan_for(again, [ItemsSource("s", items)], run_id="e", params=GenParams(max_tokens=7), config=reuse))
    assert list(again.calls) == ["i0@0"]


def test_rpm_limit_spaces_requests(store: Store) -> None:
    import time

    target = ScriptedTarget()
    cfg = EngineConfig(concurrency=8, rpm=1200)  # one per 50 ms
    started = time.perf_counter()
    execute(store, plan_for(target, [ItemsSource("s", make_items(6))], config=cfg))
    assert time.perf_counter() - started >= 0.25 - 0.02


def test_replay_target_missing_records_become_unassessed_errors(store: Store, tmp_path: Path) -> None:
    items = make_items(10)
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps({"item_id": f"i{i}", "output": f"o{i}"}) + "\n" for i in range(8)))
    summary = execute(store, plan_for(load_target(f"replay:{path}"), [ItemsSource("s", items)], run_id="r"))
    assert (summary.responses, summary.errors, summary.error_kinds) == (10, 2, {"missing_record": 2})
    run = store.get_run("r")
    assert run is not None and run.target_digest.startswith("replay:sha256:")


def test_interrupt_flushes_and_marks_the_run(store: Store) -> None:
    class InterruptedMidway(ScriptedTarget):
        """Sends Ctrl-C after its 100th request: mid-run however slow the machine is."""

        async def generate(self, messages, params, *, context=None):  # type: ignore[no-untyped-def]
            if sum(self.calls.values()) == 100:
                os.kill(os.getpid(), signal.SIGINT)
            return await super().generate(messages, params, context=context)

    target = InterruptedMidway(delay_s=0.01)
    summary = execute(store, plan_for(target, [ItemsSource("s", make_items(2000))], run_id="r", config=EngineConfig(concurrency=4)))
    assert summary.status == "interrupted"
    stored = store.response_counts("r")["responses"]
    assert 0 < stored < 2000 and stored == summary.sent
    run = store.get_run("r")
    assert run is not None and run.status == "interrupted"
    rest = execute(store, plan_for(ScriptedTarget(), [ItemsSource("s", make_items(2000))], run_id="r"))
    assert rest.status == "complete" and rest.skipped == stored and rest.responses == 2000


def test_duplicate_suite_ids_and_bad_numbers_are_refused(store: Store) -> None:
    with pytest.raises(AccordError, match="same suite id"):
        scan_suites([ItemsSource("s", make_items(2)), ItemsSource("s", make_items(2, prefix="j"))])
    with pytest.raises(AccordError, match="epochs"):
        execute(store, plan_for(ScriptedTarget(), [ItemsSource("s", make_items(2))], epochs=0))
    assert store.list_runs() == []


def test_two_suites_keep_their_own_ids(store: Store) -> None:
    sources = [ItemsSource("a", make_items(5, suite="a")), ItemsSource("b", make_items(5, suite="b"))]
    summary = execute(store, plan_for(ScriptedTarget(), sources, run_id="r"))
    assert summary.items == 10 and summary.responses == 10
    assert {r.suite_id for r in store.iter_responses("r")} == {"a", "b"}
    assert asyncio.iscoroutinefunction(ScriptedTarget().generate)


def test_run_and_resume_on_each_store(db_url: str) -> None:
    """The same engine over SQLite and PostgreSQL (the latter in CI, where .ci/run starts it)."""
    with Store.open(db_url) as st:
        items = make_items(450)
        target = ScriptedTarget({"i3@0": [fatal()]})
        summary = execute(st, plan_for(target, [ItemsSource("s", items)], run_id="pg", epochs=2))
        assert (summary.responses, summary.errors) == (900, 1)
        import sqlalchemy as sa

        with st.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM responses WHERE run_id = 'pg' AND epoch = 1"))
        again = execute(st, plan_for(ScriptedTarget(), [ItemsSource("s", items)], run_id="pg", epochs=2))
        assert again.resumed and again.skipped == 450 and again.responses == 900
        assert st.count_items("pg") == 450


def test_unreachable_target_stops_early_and_resume_retries_everything(store: Store) -> None:
    """A dead endpoint must not mark every item "done with an error": stop, store nothing, resume later."""
    items = make_items(200)
    dead = ScriptedTarget({f"i{i}@0": [fatal(ErrorKind.connection)] for i in range(200)})
    with pytest.raises(AccordError, match="could not be reached"):
        execute(store, plan_for(dead, [ItemsSource("s", items)], run_id="r", config=EngineConfig(concurrency=4)))
    assert sum(dead.calls.values()) < 50  # it stopped, it did not walk the whole suite
    assert store.response_counts("r")["responses"] == 0
    assert store.get_run("r").status == "failed"  # type: ignore[union-attr]
    again = execute(store, plan_for(ScriptedTarget(), [ItemsSource("s", items)], run_id="r"))
    assert (again.status, again.responses, again.errors) == ("complete", 200, 0)


def test_connection_failures_before_a_success_are_kept_as_errors(store: Store) -> None:
    plan = {f"i{i}@0": [fatal(ErrorKind.connection)] for i in range(3)}
    summary = execute(store, plan_for(ScriptedTarget(plan), [ItemsSource("s", make_items(30))], run_id="r", config=EngineConfig(concurrency=1)))
    assert (summary.responses, summary.errors) == (30, 3)
    assert store.error_counts("r") == {"connection": 3}


def test_two_runs_of_one_id_in_one_loop_take_disjoint_shards(store: Store) -> None:
    """Shard leases (issue 12, finding 5): two engines on one run id never send a key twice."""
    from accord.runner import execute_async

    items = make_items(500)
    a, b = ScriptedTarget(delay_s=0.002), ScriptedTarget(delay_s=0.002)
    cfg = EngineConfig(concurrency=4, shard_size=32, **FAST)

    async def both() -> None:
        first = asyncio.ensure_future(execute_async(store, plan_for(a, [ItemsSource("s", items)], run_id="r", config=cfg)))
        await asyncio.sleep(0.05)
        await execute_async(store, plan_for(b, [ItemsSource("s", items)], run_id="r", config=cfg))
        await first

    asyncio.run(both())
    assert sum(a.calls.values()) + sum(b.calls.values()) == 500
    assert sum(b.calls.values()) > 0 and not set(a.calls) & set(b.calls)
    assert store.response_counts("r")["responses"] == 500
    assert store.get_run("r").params["shard_size"] == 32  # type: ignore[union-attr]


def test_retry_errors_resends_only_stored_errors(store: Store) -> None:
    items = make_items(40)
    failing = ScriptedTarget({f"i{i}@0": [fatal(ErrorKind.server_error)] for i in (3, 17, 30)})
    execute(store, plan_for(failing, [ItemsSource("s", items)], run_id="r"))
    assert store.response_counts("r")["errors"] == 3
    plain = ScriptedTarget()
    execute(store, plan_for(plain, [ItemsSource("s", items)], run_id="r"))
    assert sum(plain.calls.values()) == 0  # without the option, errors count as done
    again = ScriptedTarget({"i30@0": [fatal(ErrorKind.server_error)]})
    cfg = EngineConfig(concurrency=8, retry_errors=True, **FAST)
    summary = execute(store, plan_for(again, [ItemsSource("s", items)], run_id="r", config=cfg))
    assert sorted(again.calls) == ["i17@0", "i30@0", "i3@0"]
    assert (summary.responses, summary.errors, summary.retried_errors, summary.skipped) == (40, 1, 3, 37)
    assert store.errored_keys("r") == {("s", "i30", "none", 0)}
    assert summary.error_messages == {"server_error: scripted server_error": 1}


def test_small_suite_dead_target_stores_nothing(store: Store) -> None:
    """Fewer items than ``unreachable_after``: all failing to connect stops the run, stores nothing."""
    dead = ScriptedTarget({f"i{i}@0": [fatal(ErrorKind.connection)] for i in range(3)})
    with pytest.raises(AccordError, match="could not be reached"):
        execute(store, plan_for(dead, [ItemsSource("s", make_items(3))], run_id="r"))
    assert store.response_counts("r")["responses"] == 0
    again = execute(store, plan_for(ScriptedTarget(), [ItemsSource("s", make_items(3))], run_id="r"))
    assert (again.responses, again.errors) == (3, 0)


def test_error_messages_are_distinct_with_counts_also_on_resume(store: Store) -> None:
    items = make_items(30)
    target = ScriptedTarget({f"i{i}@0": [fatal()] for i in range(0, 30, 2)})
    first = execute(store, plan_for(target, [ItemsSource("s", items)], run_id="r"))
    assert first.error_messages == {"client_error: scripted client_error": 15}
    again = execute(store, plan_for(ScriptedTarget(), [ItemsSource("s", items)], run_id="r"))
    assert again.error_messages == first.error_messages  # read back from the store
    assert again.sent == 0 and again.retries == 0 and again.skipped == 30
