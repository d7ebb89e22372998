"""``--fail-on``: turn verdicts into a yes/no a CI job can gate on.

Pure. The levels nest, from the least to the most demanding:

- ``blocked``: some jurisdiction's deployment decision is *blocked*;
- ``insufficient``: some decision is *blocked* or *insufficient evidence* (nothing may be
  left undecided);
- ``fail``: some decision is *blocked*, or any pack's requirement or floor *fails*, binding
  or not.

``score``, ``report`` and ``verify`` all take ``--fail-on`` and exit ``ExitCode.CHECK_FAILED``
when ``gate`` returns reasons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

FailOn = Literal["blocked", "insufficient", "fail"]
FAIL_ON_LEVELS: tuple[str, ...] = ("blocked", "insufficient", "fail")


def gate(verdicts: Mapping[str, Sequence[Any]], matrix: Any, level: FailOn | None) -> list[str]:
    """Why ``level`` trips, one line per reason (empty: it does not).

    ``verdicts`` maps a target name to its ``PackVerdict``s; ``matrix`` is their
    ``DeploymentMatrix``.
    """
    if level is None:
        return []
    if level not in FAIL_ON_LEVELS:
        raise ValueError(f"unknown --fail-on level {level!r}")
    reasons: list[str] = []
    bad = {"blocked"} if level in ("blocked", "fail") else {"blocked", "insufficient evidence"}
    for cell in matrix.cells:
        if cell.decision in bad:
            reasons.append(f"{cell.target} in {cell.jurisdiction}: {cell.decision}")
    if level == "fail":
        for target, vs in verdicts.items():
            for v in vs:
                if v.floor.status == "fail":
                    reasons.append(f"{target}: universal floor fails ({v.pack_id})")
                for r in v.requirements:
                    if r.status == "fail":
                        reasons.append(f"{target}: {v.pack_id} {r.requirement_id} fails")
    return list(dict.fromkeys(reasons))
