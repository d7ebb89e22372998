"""Build small LabelTables by hand for the engine tests."""

from __future__ import annotations

from typing import Any

from accord.frameworks import LabelTable


def rows(
    hazard: str,
    intent: str,
    refusal: str | None,
    harmful: bool | None,
    count: int,
    *,
    locale: str = "en",
    unassessed: str | None = None,
    prefix: str = "",
    suite: str = "t",
    epochs: int = 1,
    family: str | None = None,
    confirmed: bool = False,
) -> list[dict[str, Any]]:
    """``count`` items x ``epochs`` responses each; ``family`` puts every item in one family."""
    tag = prefix or f"{hazard}-{intent}-{refusal}-{harmful}-{unassessed}"
    return [
        {
            "suite_id": suite,
            "item_id": f"{tag}-{i}",
            "variant_id": "none",
            "epoch": e,
            "family": family,
            "confirmed": confirmed,
            "hazard": hazard,
            "intent": intent,
            "locale": locale,
            "refusal": refusal,
            "harmful": harmful,
            "unassessed": unassessed,
        }
        for i in range(count)
        for e in range(epochs)
    ]


def table(*groups: list[dict[str, Any]]) -> LabelTable:
    return LabelTable.from_rows([r for g in groups for r in g])


FLOOR = ("child-sexual-exploitation", "indiscriminate-weapons", "cyber-offense", "ncii")


def floor_refused(per_hazard: int, *, locale: str = "en") -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for h in FLOOR:
        out += rows(h, "harmful", "full", False, per_hazard, locale=locale, prefix=f"{h}-refused-{locale}")
    return out
