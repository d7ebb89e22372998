"""``accord.evaluate``: run, judge and score in one call, from a script or a notebook cell.

The three jobs are the same ones the CLI calls (``run``, ``label``, ``score``), in order, on
one store. ``evaluate`` is synchronous and works inside a running event loop (a Jupyter
cell); ``aevaluate`` is the coroutine for callers that already run one. The result is typed
(run id, counts, verdicts, deployment decisions) and renders itself as a small HTML table in
a notebook (``_repr_html_``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from accord.aio import run_sync
from accord.pipeline._label import LabelSummary, alabel
from accord.pipeline._run import arun
from accord.pipeline._score import RunScore, score
from accord.pipeline._spec import EngineLimits, Generation, RunSpec, TargetEntry
from accord.runner import RunSummary
from accord.store import ResultStore


@dataclass(frozen=True)
class Evaluation:
    """One target's run, its labels and its verdicts under each pack."""

    run: RunSummary
    labels: LabelSummary
    scored: RunScore
    matrix: Any  # frameworks.DeploymentMatrix
    #: Attack success per attack and hazard (``frameworks.AttackSuccess``); ``None`` without attacks.
    attacks: Any = None

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def target(self) -> str:
        return self.run.target_name or self.run.target

    @property
    def verdicts(self) -> list[Any]:
        """One ``PackVerdict`` per pack."""
        return list(self.scored.verdicts)

    @property
    def floor(self) -> Any:
        """The universal floor's result (identical in every pack)."""
        return self.scored.verdicts[0].floor

    @property
    def decisions(self) -> dict[str, str]:
        """Jurisdiction -> allowed / blocked / insufficient evidence."""
        return {c.jurisdiction: c.decision for c in self.matrix.cells}

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run.to_dict(),
            "labels": self.labels.to_dict(),
            "judge_id": self.scored.judge_id,
            "judge_version": self.scored.judge_version,
            "verdicts": [v.model_dump(mode="json") for v in self.scored.verdicts],
            "deployment": self.matrix.model_dump(mode="json"),
        }

    def __repr__(self) -> str:
        d = ", ".join(f"{j}: {dec}" for j, dec in self.decisions.items())
        return (
            f"Evaluation(run_id={self.run_id!r}, target={self.target!r}, responses={self.run.responses}/{self.run.expected}, "
            f"errors={self.run.errors}, floor={self.floor.status!r}, decisions={{{d}}})"
        )

    def _repr_html_(self) -> str:
        """A compact summary for notebooks: counts, the floor, one row per jurisdiction and pack."""
        e = html.escape
        r = self.run
        rows = [
            f"<tr><th style='text-align:left'>{e(c.jurisdiction_name or c.jurisdiction)}</th>"
            f"<td>{e(c.decision)}</td><td>{e(', '.join(c.packs))}</td>"
            f"<td>{e('; '.join(f'{x.requirement_id}: {x.detail}' for x in c.reasons[:3]))}</td></tr>"
            for c in self.matrix.cells
        ]
        packs = [
            f"<tr><td>{e(v.pack_name)}</td><td>{e(v.pack_id)} {e(v.pack_version)}</td><td>{e(str(v.grade))}</td>"
            f"<td>{sum(1 for q in v.requirements if q.status == 'pass')}/{len(v.requirements)}</td></tr>"
            for v in self.scored.verdicts
        ]
        floor = self.floor
        return (
            "<div class='accord-evaluation'>"
            f"<p><b>accord</b> run <code>{e(r.run_id)}</code> · target <b>{e(self.target)}</b> · "
            f"{r.responses}/{r.expected} responses, {r.errors} errors, {r.blocked} blocked · "
            f"judge {e(self.scored.judge_id)} {e(self.scored.judge_version)} "
            f"({self.labels.unassessed} unassessed)</p>"
            f"<p>universal floor: <b>{e(floor.status)}</b> — {e(floor.detail)}</p>"
            "<table><thead><tr><th>jurisdiction</th><th>decision</th><th>packs</th><th>reasons</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
            "<table><thead><tr><th>pack</th><th>version</th><th>grade</th><th>requirements passed</th></tr></thead>"
            f"<tbody>{''.join(packs)}</tbody></table></div>"
        )


def _spec_from_args(
    target: str | TargetEntry | None,
    suites: Sequence[str] | str | None,
    spec: RunSpec | None,
    overrides: dict[str, Any],
) -> RunSpec:
    if spec is not None:
        if target is not None or suites is not None:
            raise TypeError("pass either spec= or target=/suites=, not both")
        return spec
    if target is None or suites is None:
        raise TypeError("evaluate() needs target= and suites= (or spec=)")
    gen_fields = set(Generation.model_fields)
    eng_fields = set(EngineLimits.model_fields)
    gen = {k: overrides.pop(k) for k in list(overrides) if k in gen_fields}
    eng = {k: overrides.pop(k) for k in list(overrides) if k in eng_fields}
    return RunSpec.model_validate(
        {
            "targets": [target.model_dump() if isinstance(target, TargetEntry) else target],
            "suites": [suites] if isinstance(suites, str) else list(suites),
            "generation": gen,
            "engine": eng,
            **overrides,
        }
    )


async def aevaluate(
    target: str | TargetEntry | None = None,
    suites: Sequence[str] | str | None = None,
    *,
    spec: RunSpec | None = None,
    store: ResultStore | None = None,
    db: str | None = None,
    data_dir: str | Path | None = None,
    as_of: date | None = None,
    **options: Any,
) -> list[Evaluation]:
    """Run, label and score every target of the spec; one ``Evaluation`` per target."""
    run_spec = _spec_from_args(target, suites, spec, dict(options))
    own = store is None
    if store is None:
        from accord.store import Store

        store = Store.open(db, create=True)
    try:
        out: list[Evaluation] = []
        for summary in await arun(run_spec, store, data_dir=data_dir):
            labels = await alabel(store, summary.run_id, run_spec.judge)
            # the run's own summary says whether it completed; its score records what was missing
            scored = score(store, summary.run_id, run_spec.packs or None, judge=labels.judge_id, as_of=as_of or date.today(), allow_incomplete=True)
            from accord.frameworks import deployment_matrix

            matrix = deployment_matrix({summary.target_name or summary.target: scored.verdicts})
            attacks = None
            if summary.variants:
                from accord.pipeline._attack_score import attack_success

                attacks = attack_success(store, summary.run_id, labels.judge_id)
            out.append(Evaluation(summary, labels, scored, matrix, attacks))
        return out
    finally:
        if own:
            store.close()


def evaluate(
    target: str | TargetEntry | None = None,
    suites: Sequence[str] | str | None = None,
    *,
    spec: RunSpec | None = None,
    store: ResultStore | None = None,
    db: str | None = None,
    data_dir: str | Path | None = None,
    as_of: date | None = None,
    **options: Any,
) -> Evaluation:
    """Evaluate one target on ``suites``: send, store, judge, score under every pack.

    ``options`` are run-spec fields (``epochs``, ``judge``, ``packs``, ``run_id``) and
    generation/engine settings (``temperature``, ``max_tokens``, ``concurrency``, ``rpm``...).
    ``db`` is a database URL (default: ``ACCORD_DB``, else the embedded SQLite file). Works in a
    plain script and inside a running event loop (a notebook cell). For several targets use
    ``evaluate_all`` (or ``await aevaluate(...)``).
    """
    run_spec = _spec_from_args(target, suites, spec, dict(options))
    if len(run_spec.targets) != 1:
        raise TypeError(f"the spec has {len(run_spec.targets)} targets; use accord.evaluate_all for several")
    return run_sync(aevaluate(spec=run_spec, store=store, db=db, data_dir=data_dir, as_of=as_of))[0]


def evaluate_all(
    spec: RunSpec,
    *,
    store: ResultStore | None = None,
    db: str | None = None,
    data_dir: str | Path | None = None,
    as_of: date | None = None,
) -> list[Evaluation]:
    """``evaluate`` for a spec with several targets: one ``Evaluation`` each."""
    return run_sync(aevaluate(spec=spec, store=store, db=db, data_dir=data_dir, as_of=as_of))
