"""The canonical hazard ids as suites see them, and the built-in suites that use them."""

from __future__ import annotations

import pytest

from accord.suites import FLOOR_HAZARDS, HAZARD_IDS, open_suite
from accord.suites._registry import builtin_names


def test_the_fixed_list() -> None:
    assert len(HAZARD_IDS) == 13 + 12 + 1
    assert FLOOR_HAZARDS == {"child-sexual-exploitation", "indiscriminate-weapons", "cyber-offense", "ncii"} < HAZARD_IDS
    assert all(h == h.lower() and " " not in h and "_" not in h for h in HAZARD_IDS)


def test_suites_and_frameworks_read_one_taxonomy() -> None:
    import accord.frameworks as fw
    import accord.taxonomy as tax

    assert HAZARD_IDS is tax.HAZARD_IDS and FLOOR_HAZARDS is tax.FLOOR_HAZARDS
    assert fw.load_taxonomy is tax.load_taxonomy and fw.Taxonomy is tax.Taxonomy


def test_builtin_suites_load_through_the_registry() -> None:
    names = builtin_names()
    if not names:
        pytest.skip("no built-in suites yet")
    for name in names:
        source = open_suite(name)
        n, digest = source.scan()
        assert source.suite_id == name and source.kind == "builtin" and n > 0 and digest.startswith("sha256:")
