"""Regulatory assessment: what each jurisdiction asks of an AI system, and by when.

Pure rules over data files. ``SystemDescription`` is what a compliance officer fills in;
``assess`` applies a ``Rulebook`` (``data/*.yaml``: instruments, derived facts, rules with
citations, confidence tags and amended dates) at an as-of date. The compute calculators
estimate training FLOP (6ND or hardware) and ECCN 3A090 TPP. Only ``_load`` reads files.
"""

from accord.regulation._assess import (
    Assessment,
    Obligation,
    ObligationStatus,
    advisories,
    assess,
    effective_compute,
    system_view,
)
from accord.regulation._compute import (
    Chip,
    ComputeEstimate,
    Crossing,
    TppResult,
    chip_tpp,
    classify_3a090,
    crossings,
    estimate_from_hardware,
    estimate_from_params,
    match_chip,
)
from accord.regulation._load import (
    SystemProblem,
    check_system_text,
    find_chip,
    load_compute_spec,
    load_hardware,
    load_rulebook,
    load_system,
    read_system,
)
from accord.regulation._render import (
    assessment_json,
    assessment_markdown,
    estimate_dict,
    estimate_markdown,
    tpp_dict,
    tpp_markdown,
)
from accord.regulation._rulebook import JURISDICTIONS, Rulebook
from accord.regulation._system import SystemDescription

__all__ = [
    "JURISDICTIONS",
    "Assessment",
    "Chip",
    "ComputeEstimate",
    "Crossing",
    "Obligation",
    "ObligationStatus",
    "Rulebook",
    "SystemDescription",
    "SystemProblem",
    "TppResult",
    "advisories",
    "assess",
    "assessment_json",
    "assessment_markdown",
    "check_system_text",
    "chip_tpp",
    "classify_3a090",
    "crossings",
    "effective_compute",
    "estimate_dict",
    "estimate_from_hardware",
    "estimate_from_params",
    "estimate_markdown",
    "find_chip",
    "load_compute_spec",
    "load_hardware",
    "load_rulebook",
    "load_system",
    "match_chip",
    "read_system",
    "system_view",
    "tpp_dict",
    "tpp_markdown",
]
