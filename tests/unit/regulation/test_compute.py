"""Compute estimates, threshold crossings and ECCN 3A090 TPP (figures from frameworks.md §2.5)."""

from __future__ import annotations

import pytest

from accord.errors import UnknownNameError
from accord.regulation import (
    ComputeEstimate,
    chip_tpp,
    classify_3a090,
    crossings,
    estimate_from_hardware,
    estimate_from_params,
    find_chip,
    load_compute_spec,
    load_hardware,
)


def test_6nd() -> None:
    est = estimate_from_params(7e10, 1.5e13)
    assert est.central == pytest.approx(6.3e24)
    assert est.low == est.central and est.high == pytest.approx(8.4e24)


def test_hardware_estimate_with_and_without_utilisation() -> None:
    h100 = find_chip("H100")
    point = estimate_from_hardware(1000, h100, 10, (0.4, 0.4), "bf16")
    assert point.central == pytest.approx(1000 * 989.5e12 * 10 * 86400 * 0.4)
    assert point.low == point.high == point.central
    rng = estimate_from_hardware(1000, h100, 10)
    assert rng.low == pytest.approx(point.central * 0.75) and rng.high == pytest.approx(point.central * 1.25)
    assert any("UNVERIFIED" in a for a in rng.assumptions)
    with pytest.raises(ValueError, match="no fp4"):
        estimate_from_hardware(1, h100, 1, None, "fp4")


def test_threshold_verdicts_are_strictly_greater_than() -> None:
    spec = load_compute_spec()["training_thresholds"]
    verdicts = {c.flop: c.verdict for c in crossings(ComputeEstimate(5e24, 2e25, 3e25, "t"), spec)}
    assert verdicts == {1e23: "crossed", 1e25: "uncertain", 1e26: "not crossed"}
    exactly = {c.flop: c.verdict for c in crossings(ComputeEstimate(1e25, 1e25, 1e25, "t"), spec)}
    assert exactly[1e25] == "not crossed"  # Art 51(2): "greater than 10^25"
    ids = {t["id"] for c in crossings(ComputeEstimate(2e26, 2e26, 2e26, "t"), spec) for t in c.triggers}
    assert {"eu-art51-2", "eo14110-model", "us-ca-sb53", "us-ny-raise"} <= ids


@pytest.mark.parametrize(
    ("chip", "tpp", "pd", "paragraphs"),
    [
        ("h100-sxm", 15832, 19.45, ["3A090.a.1", "3A090.a.2"]),
        ("h100-pcie", 12104, 14.87, ["3A090.a.1", "3A090.a.2"]),
        ("a100", 4992, 6.04, ["3A090.a.1", "3A090.a.2"]),
        ("h20", 2368, 2.91, []),
    ],
)
def test_tpp_matches_the_facts_file(chip: str, tpp: float, pd: float, paragraphs: list[str]) -> None:
    bits, _ = load_hardware()
    c = find_chip(chip)
    value, _ = chip_tpp(c, bits)
    assert value == pytest.approx(tpp, abs=1)
    res = classify_3a090(c.name, value, "", c.die_area_mm2, c.memory_bandwidth_gbs, True, load_compute_spec()["eccn_3a090"])
    assert res.pd == pytest.approx(pd, abs=0.01)
    assert [p.split(":")[0] for p in res.paragraphs] == paragraphs


def test_h200_falls_in_the_2026_case_by_case_band() -> None:
    c = find_chip("H200")
    value, _ = chip_tpp(c, load_hardware()[0])
    res = classify_3a090(c.name, value, "", c.die_area_mm2, c.memory_bandwidth_gbs, True, load_compute_spec()["eccn_3a090"])
    assert res.review_policies and "2026-01-13" in res.review_policies[0]


@pytest.mark.parametrize(
    ("tpp", "pd", "datacenter", "paragraphs"),
    [
        (2500, 4.0, True, ["3A090.b.1", "3A090.b.2"]),
        (1700, 6.0, True, ["3A090.a.2"]),
        (1700, 6.0, False, []),  # .a.2 is for datacenter ICs only
        (1700, 3.5, True, ["3A090.b.2"]),
        (4800, 1.0, False, ["3A090.a.1"]),
        (1599, 10.0, True, []),
    ],
)
def test_3a090_paragraph_boundaries(tpp: float, pd: float, datacenter: bool, paragraphs: list[str]) -> None:
    res = classify_3a090("x", tpp, "", tpp / pd, None, datacenter, load_compute_spec()["eccn_3a090"])
    assert [p.split(":")[0] for p in res.paragraphs] == paragraphs


def test_unknown_die_area_is_reported_not_guessed() -> None:
    res = classify_3a090("x", 2000, "", None, None, True, load_compute_spec()["eccn_3a090"])
    assert res.pd is None and res.paragraphs == ()
    assert any("die area" in s for s in res.not_evaluated)


def test_unknown_chip_lists_known_names() -> None:
    with pytest.raises(UnknownNameError) as exc:
        find_chip("Z9000")
    assert "h100-sxm" in exc.value.known


def test_every_chip_has_a_source_and_tag() -> None:
    _, chips = load_hardware()
    assert len(chips) >= 10
    for c in chips:
        assert c.source and c.conf and c.tflops


def test_system_training_run_estimate_and_straddle() -> None:
    from datetime import date

    from accord.regulation import SystemDescription, assess, load_rulebook

    system = SystemDescription(
        name="m", roles=["provider"], deployment={"jurisdictions": ["eu"]},
        model={"general_purpose": True, "developer": True,
               "training_run": {"gpus": 4000, "gpu_type": "H100", "days": 60}},
    )  # fmt: skip
    _, chips = load_hardware()
    res = assess(system, load_rulebook(), date(2026, 1, 1), ["eu"], chips=chips)
    # 4000 x 989.5e12 x 60 x 86400 = 2.05e25 raw; x 0.3-0.5 -> 6.2e24 .. 1.03e25 (central 8.2e24)
    assert res.compute.low == pytest.approx(4000 * 989.5e12 * 60 * 86400 * 0.3)
    assert res.compute.straddles == [1e25]
    assert res.find("eu-gpai-55-1a") is None  # central value is below 10^25
    without_table = assess(system, load_rulebook(), date(2026, 1, 1), ["eu"])
    assert without_table.compute.flop is None and "not in the hardware table" in without_table.compute.basis


def test_validate_checks_the_accelerator_name() -> None:
    from accord.regulation import check_system_text

    text = "name: m\nroles: [provider]\nmodel:\n  training_run: {gpus: 8, gpu_type: Z9000, days: 1}\n"
    _, problems = check_system_text(text, "s.yaml")
    assert problems[0].field == "model.training_run.gpu_type" and problems[0].line == 4 and problems[0].got == "Z9000"
