"""What ``accord judge list`` shows: each judge, its version, what it needs, its agreement.

Agreement comes from the embedded judge's card (measured by ``accord judge train`` on the
held-out test split, for both offline judges); nothing is recomputed here, so listing is
instant and loads no model.
"""

from __future__ import annotations

from typing import Any

from accord.judges._embedded import MODEL_PATH, RECIPE_VERSION, file_digest, load_card
from accord.judges._pattern import PATTERN_VERSION
from accord.judges._registry import BUILTINS, FORMS


def _fmt(entry: dict[str, Any]) -> str:
    acc = entry["accuracy"]
    kap = entry["kappa"]
    if acc["value"] is None:
        return "n/a"
    text = f"acc {acc['value']:.3f} [{acc['lo']:.3f}, {acc['hi']:.3f}]"
    if kap["value"] is not None:
        text += f", kappa {kap['value']:.3f}"
    return text + f" (n={entry['n']}, unassessed {entry['n_unassessed']})"


def catalog() -> list[dict[str, Any]]:
    card = load_card()
    measured = card.get("agreement", {})
    versions = {
        "embedded": f"{RECIPE_VERSION}+{file_digest(MODEL_PATH)[7:19]}" if MODEL_PATH.is_file() else "(no artefact)",
        "pattern": PATTERN_VERSION,
    }
    rows: list[dict[str, Any]] = []
    for name, info in BUILTINS.items():
        agreement = {ds: _fmt(e[name]) for ds, e in measured.items() if name in e}
        rows.append({"judge": name, "version": versions[name], "needs": info.needs, "description": info.description, "agreement": agreement})
    from accord.plugins import judge_factories

    for name, reg in judge_factories().items():  # judges that plugins add
        if name in BUILTINS or name == "llm":
            continue
        label = f"{name}:<argument>" if reg.takes_argument else name
        rows.append({"judge": label, "version": "(plugin)", "needs": reg.needs, "description": reg.description, "agreement": {}})
    for form in FORMS:
        needs = "target" if form.startswith("llm") else "members"
        rows.append(
            {
                "judge": form,
                "version": "per target / members",
                "needs": needs,
                "description": "measure with `accord judge validate --judge NAME --dataset ...`",
                "agreement": {},
            }
        )
    return rows
