"""The pipeline layer: every stored-run job, as library functions over a ``ResultStore``.

The CLI, the Python API (``accord.evaluate``), and later the server and the scheduler all
call these and nothing below them, so a run started from a notebook, a terminal or an HTTP
request is the same run. Each job has a synchronous form that also works inside a running
event loop, and an ``a``-prefixed coroutine where the job does async work.

- ``run`` / ``arun``: a ``RunSpec`` -> one stored run per target (resumable);
- ``label`` / ``alabel``: judge a run's responses;
- ``score``: verdicts under each pack, the floor, divergence (stored as artifacts);
- ``attack_success`` / ``format_attack_success``: attack success per attack x hazard with
  intervals clustered by behaviour, any attack, the cross-language gap (an artifact);
- ``report_for_runs``: the data a report renders, for several runs;
- ``review_list`` / ``decide`` / ``import_decisions`` / ``show_response``: human review of
  judged responses (``accord judge review``); ``reviewed_labels`` is what scoring reads;
- ``attest`` / ``verify``: sign a run's result; check a signed result offline;
- ``record_validation`` / ``list_validations`` / ``recorded_rates``: a judge's validations
  against users' labelled files, stored, listed, and read back per label and language;
- ``evaluate`` / ``aevaluate`` / ``evaluate_all``: run, label and score in one call;
- ``run_demo``: the main job on embedded defaults;
- ``import_logs`` / ``importers`` / ``export_inspect``: other tools' logs in (Inspect AI, garak,
  promptfoo) as stored runs, one transaction each; a run out as an Inspect log.

Names are imported on first use, so ``from accord.pipeline import run`` does not load the
report's templates or the frameworks' numpy (start-up time counts on every command).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "CHART_CSS": "accord.report",
    "BarRow": "accord.report",
    "GridCell": "accord.report",
    "TimePoint": "accord.report",
    "breakdown_chart": "accord.report",
    "grid_chart": "accord.report",
    "no_data_chart": "accord.report",
    "ramp_colour": "accord.report",
    "timeline_chart": "accord.report",
    "installed_plugins": "accord.pipeline._plugins",
    "export_run": "accord.pipeline._stores",
    "line_interval_s": "accord.runner",
    "open_store": "accord.pipeline._stores",
    "print_start": "accord.runner",
    "progress_line": "accord.runner",
    "want_progress": "accord.runner",
    "attack_success": "accord.pipeline._attack_score",
    "format_attack_success": "accord.pipeline._attack_score",
    "stored_attack_success": "accord.pipeline._attack_score",
    "AttestResult": "accord.pipeline._attest",
    "VerifyResult": "accord.pipeline._attest",
    "attest": "accord.pipeline._attest",
    "disclose": "accord.pipeline._attest",
    "verify": "accord.pipeline._attest",
    "DemoResult": "accord.pipeline._demo",
    "plan_demo": "accord.pipeline._demo",
    "run_demo": "accord.pipeline._demo",
    "Evaluation": "accord.pipeline._evaluate",
    "aevaluate": "accord.pipeline._evaluate",
    "evaluate": "accord.pipeline._evaluate",
    "evaluate_all": "accord.pipeline._evaluate",
    "FAIL_ON_LEVELS": "accord.pipeline._gate",
    "FailOn": "accord.pipeline._gate",
    "gate": "accord.pipeline._gate",
    "Executor": "accord.pipeline._executor",
    "parse_executor": "accord.pipeline._executor",
    "PermitBank": "accord.pipeline._permits",
    "LabelSummary": "accord.pipeline._label",
    "alabel": "accord.pipeline._label",
    "label": "accord.pipeline._label",
    "choose_judge": "accord.pipeline._report",
    "judge_card": "accord.pipeline._report",
    "read_run": "accord.pipeline._report",
    "report_for_runs": "accord.pipeline._report",
    "NEEDS_REVIEW": "accord.pipeline._review",
    "ReviewEntry": "accord.pipeline._review",
    "ReviewList": "accord.pipeline._review",
    "ReviewedLabels": "accord.pipeline._review",
    "decide": "accord.pipeline._review",
    "format_key": "accord.pipeline._review",
    "import_decisions": "accord.pipeline._review",
    "resolve_key": "accord.pipeline._review",
    "review_list": "accord.pipeline._review",
    "reviewed_labels": "accord.pipeline._review",
    "show_response": "accord.pipeline._review",
    "Campaign": "accord.pipeline._redteam",
    "CommitResult": "accord.pipeline._redteam",
    "RevealCheck": "accord.pipeline._redteam",
    "campaign_of": "accord.pipeline._redteam",
    "campaign_run_spec": "accord.pipeline._redteam",
    "commit_campaign": "accord.pipeline._redteam",
    "load_campaign_spec": "accord.pipeline._redteam",
    "read_secret": "accord.pipeline._redteam",
    "redteam_run": "accord.pipeline._redteam",
    "require_committed": "accord.pipeline._redteam",
    "reveal_campaign": "accord.pipeline._redteam",
    "suite_digests": "accord.pipeline._redteam",
    "verify_campaign_reveal": "accord.pipeline._redteam",
    "PlannedRun": "accord.pipeline._run",
    "arun": "accord.pipeline._run",
    "plan_runs": "accord.pipeline._run",
    "run": "accord.pipeline._run",
    "stored_spec": "accord.pipeline._run",
    "RunScore": "accord.pipeline._score",
    "judge_version": "accord.pipeline._score",
    "persist": "accord.pipeline._score",
    "pick_judge": "accord.pipeline._score",
    "score": "accord.pipeline._score",
    "score_run": "accord.pipeline._score",
    "target_name": "accord.pipeline._stores",
    "EngineLimits": "accord.pipeline._spec",
    "Generation": "accord.pipeline._spec",
    "RunSpec": "accord.pipeline._spec",
    "TargetEntry": "accord.pipeline._spec",
    "load_run_spec": "accord.pipeline._spec",
    "spec_from_data": "accord.pipeline._spec",
    "THIN_ROWS": "accord.pipeline._validations",
    "describe_validation": "accord.pipeline._validations",
    "file_digest": "accord.pipeline._validations",
    "list_validations": "accord.pipeline._validations",
    "record_validation": "accord.pipeline._validations",
    "recorded_rates": "accord.pipeline._validations",
    "ImportSummary": "accord.pipeline._import",
    "import_logs": "accord.pipeline._import",
    "importers": "accord.pipeline._import",
    "export_inspect": "accord.pipeline._import",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from accord.pipeline._attack_score import attack_success, format_attack_success, stored_attack_success
    from accord.pipeline._attest import AttestResult, VerifyResult, attest, disclose, verify
    from accord.pipeline._demo import DemoResult, plan_demo, run_demo
    from accord.pipeline._evaluate import Evaluation, aevaluate, evaluate, evaluate_all
    from accord.pipeline._executor import Executor, parse_executor
    from accord.pipeline._gate import FAIL_ON_LEVELS, FailOn, gate
    from accord.pipeline._import import ImportSummary, export_inspect, import_logs, importers
    from accord.pipeline._label import LabelSummary, alabel, label
    from accord.pipeline._permits import PermitBank
    from accord.pipeline._plugins import installed_plugins
    from accord.pipeline._redteam import (
        Campaign,
        CommitResult,
        RevealCheck,
        campaign_of,
        campaign_run_spec,
        commit_campaign,
        load_campaign_spec,
        read_secret,
        redteam_run,
        require_committed,
        reveal_campaign,
        suite_digests,
        verify_campaign_reveal,
    )
    from accord.pipeline._report import choose_judge, judge_card, read_run, report_for_runs
    from accord.pipeline._review import (
        NEEDS_REVIEW,
        ReviewedLabels,
        ReviewEntry,
        ReviewList,
        decide,
        format_key,
        import_decisions,
        resolve_key,
        review_list,
        reviewed_labels,
        show_response,
    )
    from accord.pipeline._run import PlannedRun, arun, plan_runs, run, stored_spec
    from accord.pipeline._score import RunScore, judge_version, persist, pick_judge, score, score_run
    from accord.pipeline._spec import EngineLimits, Generation, RunSpec, TargetEntry, load_run_spec, spec_from_data
    from accord.pipeline._stores import export_run, open_store, target_name
    from accord.pipeline._validations import (
        THIN_ROWS,
        describe_validation,
        file_digest,
        list_validations,
        record_validation,
        recorded_rates,
    )
    from accord.runner import line_interval_s, print_start, progress_line, want_progress


#: The service's jobs (issue 20), one module each; their public names are their ``__all__``,
#: looked up only for a name the table above does not hold.
_SERVICE_MODULES = (
    "accord.pipeline._access",
    "accord.pipeline._service",
    "accord.pipeline._orgs",
    "accord.pipeline._publish",
    "accord.pipeline._incident_jobs",
    "accord.pipeline._exchange",
    "accord.pipeline._service_demo",
    "accord.pipeline._federation",  # issue 21
    "accord.pipeline._horizon",  # issue 23: horizon scanning
    "accord.pipeline._compare",  # issue 23
    "accord.pipeline._monitor",  # issue 23: accord monitor
    "accord.pipeline._alerts",  # issue 23: monitor alerts (webhooks, incidents)
    "accord.pipeline._history",  # issue 23: a target's history (report --history, dashboard)
)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        for candidate in _SERVICE_MODULES:
            try:
                loaded = importlib.import_module(candidate)
            except ModuleNotFoundError as exc:
                if exc.name == candidate:
                    continue  # not built (yet)
                raise
            if name in getattr(loaded, "__all__", ()):
                module = candidate
                break
        else:
            raise AttributeError(f"module 'accord.pipeline' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
