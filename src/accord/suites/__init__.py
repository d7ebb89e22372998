"""Test items and suites: the records, loaders for files and public datasets, built-ins.

``open_suite(spec)`` streams a suite (``iter_items`` / ``scan``); ``load_suite(spec)`` holds
it in memory; ``list_suites()`` says what exists; ``recorded_responses(name)`` reads a
dataset's published transcripts for the replay target. See docs/suites.md.
"""

from accord.records import Item, Suite, digest_items
from accord.suites._breakdown import breakdown, has_breakdown, suite_breakdown
from accord.suites._expectations import expected_behaviours
from accord.suites._fetch import REMOTE, cached, fetch, fetch_status
from accord.suites._files import parse_mapping
from accord.suites._public import jbb_artifacts, recorded_names, recorded_responses, xstest_models
from accord.suites._registry import SuiteInfo, list_suites, load_suite, open_suite
from accord.suites._source import DigestWriter, SuiteSource
from accord.taxonomy import FLOOR_HAZARDS, HAZARD_IDS, hazard_ids

__all__ = [
    "FLOOR_HAZARDS",
    "HAZARD_IDS",
    "REMOTE",
    "Item",
    "Suite",
    "SuiteInfo",
    "SuiteSource",
    "breakdown",
    "cached",
    "digest_items",
    "fetch",
    "fetch_status",
    "has_breakdown",
    "hazard_ids",
    "jbb_artifacts",
    "list_suites",
    "load_suite",
    "open_suite",
    "parse_mapping",
    "recorded_names",
    "recorded_responses",
    "DigestWriter",
    "expected_behaviours",
    "suite_breakdown",
    "xstest_models",
]
