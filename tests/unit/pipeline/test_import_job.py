"""The import job (issue 18): one transaction per run, idempotent, streamed, digests as a suite's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from accord.errors import AccordError
from accord.interop import ImportedRun, ImportedSample
from accord.pipeline import import_logs
from accord.records import Item, Label, Message, Response, digest_items
from accord.store import Store


def _samples(n: int, epochs: int = 2, bad_at: int | None = None) -> Iterator[ImportedSample]:
    for i in range(n):
        for e in range(epochs):
            if bad_at is not None and i == bad_at and e == 1:
                raise ValueError(f"sample {i}: the log is truncated here")
            item = Item(suite_id="tool:task", item_id=f"s{i}", messages=(Message(role="user", content=f"question {i}"),))
            resp = Response(run_id="", suite_id="tool:task", item_id=f"s{i}", epoch=e, messages=list(item.messages), output=f"answer {i}.{e}")
            lab = Label(run_id="", suite_id="tool:task", item_id=f"s{i}", epoch=e, judge_id="tool:match", judge_version="tool 1", harmful=False, refusal="none")
            yield ImportedSample(item=item, response=resp, labels=(lab,))


def _run(n: int = 7, *, digest: str = "ab" * 32, bad_at: int | None = None) -> ImportedRun:
    return ImportedRun(
        kind="tool", source_path="/logs/x.eval", source_digest="sha256:" + digest, run_id="tool-task-model-abababababab",
        target="tool:model", suite_id="tool:task", created_at=datetime(2026, 12, 1, tzinfo=UTC),
        samples=lambda: _samples(n, bad_at=bad_at), model="model", epochs=2,
    )  # fmt: skip


def test_an_import_writes_the_run_once_and_digests_its_items_as_a_suite(db_url: str) -> None:
    with Store.open(db_url) as store:
        [first] = import_logs(store, [_run()], batch_size=3)
        assert first.written and (first.items, first.responses, first.labels, first.judges) == (7, 14, 14, ("tool:match",))
        run = store.require_run(first.run_id)
        assert run.status == "complete" and run.n_items == 7 and run.epochs == 2
        items = list(store.iter_items(first.run_id))
        assert run.suites[0].digest == digest_items(items)  # the streamed digest is the suite digest
        assert run.meta["import"]["source_digest"] == "sha256:" + "ab" * 32
        # each response says it came from that log, and the run's provenance counts it so
        assert {(r.provenance, r.source_run) for r in store.iter_responses(first.run_id)} == {("imported", "tool:sha256:" + "ab" * 32)}
        prov = store.provenance_counts(first.run_id)
        assert (prov["imported"], prov["produced"], prov["sources"]) == (14, 0, {"tool:sha256:" + "ab" * 32: 14})
        [again] = import_logs(store, [_run()])
        assert not again.written and again.responses == 14
        assert store.response_counts(first.run_id)["responses"] == 14


def test_a_failure_half_way_imports_nothing(db_url: str) -> None:
    with Store.open(db_url) as store:
        with pytest.raises(ValueError, match="truncated"):
            import_logs(store, [_run(bad_at=5)], batch_size=2)  # four batches were written before it broke
        assert store.get_run("tool-task-model-abababababab") is None
        assert store.list_runs() == []


def test_the_same_run_id_from_other_bytes_is_refused(db_url: str) -> None:
    with Store.open(db_url) as store:
        import_logs(store, [_run()])
        with pytest.raises(AccordError, match="not imported from this file"):
            import_logs(store, [_run(digest="cd" * 32)])


def test_credentials_in_a_logs_metadata_are_masked_before_storing(db_url: str) -> None:
    """Another tool's log is someone else's file: a key left in a task argument or a base URL
    with a password must not reach the store (and from there a report or a signature)."""
    from dataclasses import replace

    leaky = replace(
        _run(),
        meta={"task_args": {"api_key": "sk-live-abcdefghijklmnop", "url": "https://user:hunter22@example.org/v1"}},
        generation={"headers": "Authorization: Bearer abcdefghijkl"},
    )
    with Store.open(db_url) as store:
        [summary] = import_logs(store, [leaky])
        run = store.require_run(summary.run_id)
    stored = repr(run.meta) + repr(run.params)
    for secret in ("abcdefghijklmnop", "hunter22", "abcdefghijkl"):
        assert secret not in stored
    assert run.meta["import"]["source_digest"] == "sha256:" + "ab" * 32
