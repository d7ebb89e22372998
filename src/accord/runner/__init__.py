"""The async engine: concurrency and rate limits, retries with backoff, time-outs, resume."""

from accord.runner._backoff import backoff_delay
from accord.runner._cache import parse_age
from accord.runner._engine import Engine, EngineConfig, TargetUnreachableError
from accord.runner._ids import new_run_id
from accord.runner._progress import Counters, ProgressMode, line_interval_s, progress_display, progress_line, want_progress
from accord.runner._run import RunPlan, RunSummary, cpu_seconds, execute, execute_async, open_run, print_start, scan_suites
from accord.runner._sources import ItemsSource, StoredItems, SuiteSource

__all__ = [
    "parse_age",
    "Counters",
    "Engine",
    "EngineConfig",
    "ItemsSource",
    "ProgressMode",
    "RunPlan",
    "RunSummary",
    "StoredItems",
    "SuiteSource",
    "TargetUnreachableError",
    "backoff_delay",
    "cpu_seconds",
    "execute",
    "execute_async",
    "line_interval_s",
    "new_run_id",
    "open_run",
    "print_start",
    "progress_display",
    "progress_line",
    "scan_suites",
    "want_progress",
]
