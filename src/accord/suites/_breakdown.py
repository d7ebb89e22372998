"""Counts of a suite's items and families per hazard × language × framing (and persona, sub-type).

The floor's statistical unit is the *family* (near-variants of one request), so every count is
given twice: items and distinct families. Generic: any suite whose items carry ``family``,
``framing``, ``persona`` or ``subtype`` gets the table; an item without a family is its own
family, and a missing field counts under ``"-"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from accord.records import Item

FACETS = ("framing", "persona", "subtype")
NONE = "-"


def has_breakdown(item: Item) -> bool:
    """True when the item carries any field the breakdown is about."""
    return any(getattr(item, name) is not None for name in ("family", *FACETS))


def breakdown(items: Iterable[Item]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{hazard: {locale: {"items", "families", "framing": {name: {"items", "families"}}, "persona": …, "subtype": …}}}``,
    every level sorted by key."""
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for item in items:
        family = item.family or item.item_id
        cell = cells.setdefault((item.hazard, item.locale), {"items": 0, "families": set(), **{f: {} for f in FACETS}})
        cell["items"] += 1
        cell["families"].add(family)
        for facet in FACETS:
            value = getattr(item, facet) or NONE
            slot = cell[facet].setdefault(value, {"items": 0, "families": set()})
            slot["items"] += 1
            slot["families"].add(family)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for (hazard, locale), cell in sorted(cells.items()):
        out.setdefault(hazard, {})[locale] = {
            "items": cell["items"],
            "families": len(cell["families"]),
            **{
                facet: {name: {"items": s["items"], "families": len(s["families"])} for name, s in sorted(cell[facet].items())}
                for facet in FACETS
            },
        }
    return out


def suite_breakdown(items: Iterable[Item]) -> dict[str, dict[str, dict[str, Any]]] | None:
    """``breakdown`` in one pass over a streamed suite, or ``None`` when no item carries the
    fields (a suite is read once, not once to ask and again to count)."""
    carried = False

    def watched() -> Iterator[Item]:
        nonlocal carried
        for item in items:
            carried = carried or has_breakdown(item)
            yield item

    counts = breakdown(watched())
    return counts if carried else None
