"""Label every stored response of a run with one judge (``accord judge run RUN``).

Idempotent: responses this judge (by ``judge_id``) already labelled are skipped, and the
store ignores a duplicate (response, judge) pair, so an interrupted labelling resumes.
A label keeps the judge version that wrote it. After a judge changes version (a retrained
embedded judge, an edited rubric) its older labels are *stale*: they are counted and left
alone unless the caller asks to ``relabel``, which replaces each one atomically.

The request a judge reads is the *item's* conversation as the suite states it, not the
messages actually sent: under an attack (an encoded or templated variant) the harmful
objective is the item's, and a judge should not have to decode the attack to know it. A
response whose item is missing from the store falls back to the messages it was sent with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from accord.aio import run_sync
from accord.errors import AccordError
from accord.judges import Judge, JudgeInput, get_judge, position_flags
from accord.pipeline._executor import Executor
from accord.records import Item, Label, Message, Response
from accord.store import ResultStore

KeyTuple = tuple[str, str, str, int]

BATCH = 256


@dataclass(frozen=True)
class LabelSummary:
    """What one labelling pass did (``accord judge run --json`` prints it)."""

    run_id: str
    judge_id: str
    judge_version: str
    total: int
    skipped: int
    new: int
    unassessed: int
    #: Labels by another version of this judge: left in place (``relabel=False``) or replaced.
    stale: int = 0
    replaced: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _input(response: Response, items: dict[tuple[str, str], tuple[Message, ...]]) -> JudgeInput:
    base = JudgeInput.from_response(response)
    messages = items.get((response.suite_id, response.item_id))
    if messages:
        return replace(base, messages=messages)
    return base


Progress = Callable[[int, int], None]


def _with_position(lb: Label, response: Response, positioned: dict[tuple[str, str], Any]) -> Label:
    """``lb`` with the position rubric's flags for the item's ``answer_with_position``
    expectations (assessed labels only: an unread answer has no position)."""
    expect = positioned.get((lb.suite_id, lb.item_id))
    if not expect or lb.unassessed is not None:
        return lb
    flags = position_flags(expect, response.output)
    return lb.model_copy(update={"flags": sorted(set(lb.flags) | set(flags))}) if flags else lb


async def label_batch(
    store: ResultStore,
    judge: Judge,
    batch: Sequence[Response],
    items: dict[tuple[str, str], tuple[Message, ...]],
    positioned: dict[tuple[str, str], Any],
    stale_keys: set[KeyTuple],
) -> tuple[int, int, int]:
    """Judge ``batch`` and write its labels: (new, replaced, unassessed). A label of a key in
    ``stale_keys`` replaces the old version's; any other is inserted once (the store ignores
    a (response, judge) pair it holds, so a retried batch writes nothing twice)."""
    verdicts = await judge.judge_batch([_input(r, items) for r in batch])
    labels = [v.to_label(r, judge.judge_id, judge.version) for r, v in zip(batch, verdicts, strict=True)]
    if positioned:
        labels = [_with_position(lb, r, positioned) for lb, r in zip(labels, batch, strict=True)]
    is_stale = [(lb.suite_id, lb.item_id, lb.variant_id, lb.epoch) in stale_keys for lb in labels]
    replaced = store.replace_labels([lb for lb, st in zip(labels, is_stale, strict=True) if st])
    new = store.add_labels([lb for lb, st in zip(labels, is_stale, strict=True) if not st])
    return new, replaced, sum(1 for lb in labels if lb.unassessed is not None)


def split_items(stored: Iterable[Item]) -> tuple[dict[tuple[str, str], tuple[Message, ...]], dict[tuple[str, str], Any]]:
    """The request each item states and, for items a pack expects answered with a stated
    position, those expectations (what ``label_batch`` reads)."""
    stored = list(stored)
    items = {(it.suite_id, it.item_id): tuple(it.messages) for it in stored}
    positioned = {(it.suite_id, it.item_id): it.expect for it in stored if any(e.behaviour == "answer_with_position" for e in it.expect or ())}
    return items, positioned


def _batch_items(batch: Sequence[Response], stored: dict[tuple[str, str], Item]) -> list[dict[str, Any]]:
    """The stored items a batch's responses answer (shipped with the batch to a worker)."""
    keys = {(r.suite_id, r.item_id) for r in batch}
    return [stored[k].model_dump(mode="json") for k in sorted(keys) if k in stored]


def _no_progress(_done: int, _total: int) -> None:
    return None


def label(
    store: ResultStore,
    run_id: str,
    judge: Judge | str = "embedded",
    *,
    batch_size: int = BATCH,
    relabel: bool = False,
    progress: Progress = _no_progress,
    executor: Executor | None = None,
    workers: int | None = None,
    name: str | None = None,
) -> LabelSummary:
    """Label the run's unlabelled responses with ``judge`` (a name or a ``Judge``). Blocking;
    works inside a running event loop too (``accord.aio.run_sync``)."""
    return run_sync(
        alabel(store, run_id, judge, batch_size=batch_size, relabel=relabel, progress=progress, executor=executor, workers=workers, name=name)
    )


async def alabel(
    store: ResultStore,
    run_id: str,
    judge: Judge | str = "embedded",
    *,
    batch_size: int = BATCH,
    relabel: bool = False,
    progress: Progress = _no_progress,
    executor: Executor | None = None,
    workers: int | None = None,
    name: str | None = None,
) -> LabelSummary:
    """Label the run's unlabelled responses; ``progress(done, total)`` after each batch.

    With ``relabel``, responses labelled by another version of this judge are labelled again
    and their old labels replaced; without it they are skipped and counted as ``stale``.
    ``executor`` ``ray[:ADDRESS]`` sends the batches to a Ray cluster's workers (``judge``
    loads the judge by name: ``judge`` as a string, else ``name``; ``workers`` tasks, default
    the cluster's CPUs).
    """
    judge_name = judge if isinstance(judge, str) else name
    if executor is not None and executor.is_ray and judge_name is None:
        raise AccordError("the Ray executor needs the judge's name", fix="pass judge='embedded' (or name=... with a Judge object)")
    if isinstance(judge, str):
        judge = get_judge(judge)
    store.require_run(run_id)
    any_version = store.labelled_keys(run_id, judge.judge_id)
    current = store.labelled_keys(run_id, judge.judge_id, version=judge.version)
    stale_keys = any_version - current
    done_keys = current if relabel else any_version
    stored_items = {(it.suite_id, it.item_id): it for it in store.iter_items(run_id)}
    # Items a pack expects answered *with a stated position* (issue 17): the position rubric
    # reads each assessed answer and records what it found as a label flag.
    items, positioned = split_items(stored_items.values())
    todo: list[Response] = []
    total = 0
    for response in store.iter_responses(run_id):
        total += 1
        if (response.suite_id, response.item_id, response.variant_id, response.epoch) not in done_keys:
            todo.append(response)
    skipped = total - len(todo)
    progress(skipped, total)

    new = unassessed = replaced = 0
    try:
        if executor is not None and executor.is_ray:
            from accord.pipeline._ray import label_ray

            new, replaced, unassessed, _ = label_ray(
                store,
                run_id,
                str(judge_name),
                executor,
                todo=todo,
                inputs=lambda batch: _batch_items(batch, stored_items),
                stale=stale_keys,
                batch_size=batch_size,
                workers=workers,
                progress=progress,
                done_before=skipped,
                total=total,
            )
        else:
            for start in range(0, len(todo), batch_size):
                batch = todo[start : start + batch_size]
                counts = await label_batch(store, judge, batch, items, positioned, stale_keys)
                new, replaced, unassessed = new + counts[0], replaced + counts[1], unassessed + counts[2]
                progress(skipped + start + len(batch), total)
    finally:
        close = getattr(judge, "aclose", None)
        if close is not None:
            await close()
    stale = 0 if relabel else len(stale_keys)
    return LabelSummary(
        run_id=run_id,
        judge_id=judge.judge_id,
        judge_version=judge.version,
        total=total,
        skipped=skipped,
        new=new,
        unassessed=unassessed,
        stale=stale,
        replaced=replaced,
    )
