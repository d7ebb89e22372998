"""The one hazard taxonomy: its data file and the id constants agree."""

from __future__ import annotations

from accord.taxonomy import (
    AILUMINATE_HAZARDS,
    BENIGN,
    EXTENSION_HAZARDS,
    FLOOR_HAZARDS,
    HAZARD_IDS,
    TAXONOMY_FILE,
    is_hazard,
    load_taxonomy,
)


def test_the_file_and_the_constants_agree() -> None:
    assert TAXONOMY_FILE.is_file()
    tax = load_taxonomy()
    assert set(tax.ids) == HAZARD_IDS
    assert set(tax.floor_ids) == FLOOR_HAZARDS
    groups = {g: {h.id for h in tax.hazards if h.group == g} for g in ("ailuminate", "extension", "none")}
    assert groups == {"ailuminate": set(AILUMINATE_HAZARDS), "extension": set(EXTENSION_HAZARDS), "none": {BENIGN}}


def test_order_is_the_engine_code_and_stable() -> None:
    """Position in the file is the verdict engine's integer code: AILuminate first, then extensions."""
    ids = load_taxonomy().ids
    assert ids[: len(AILUMINATE_HAZARDS)] == AILUMINATE_HAZARDS
    assert load_taxonomy() is load_taxonomy()


def test_is_hazard() -> None:
    assert is_hazard("hate") and is_hazard(BENIGN) and not is_hazard("Hate") and not is_hazard("made-up")
