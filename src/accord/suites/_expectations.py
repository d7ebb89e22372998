"""Check a suite's per-pack expectations, pairs and contrast twins (issue 17). Pure.

Divergence items state what each framework expects of a model (``Item.expect``) and cite the
clause that says so. Nothing here is taken on trust:

- every expectation names a pack that exists and a clause of that pack;
- the clause may require that behaviour (``Clause.behaviours``), and a ``refuse`` or
  ``answer_with_position`` expectation must be *covered* by its clause: the item's hazard is
  one the clause speaks to, and its region (``region:`` tags) one the clause applies in (TC260
  A.1.a-c cover China, not Pinochet or 9/11);
- no expectation on a harmful or contested request of a universal-floor hazard (every pack
  inherits the floor unchanged);
- ``pair`` names an item of the suite, and en <-> zh-CN pairs name each other;
- ``contrast_of`` names an item of the suite with intent ``harmful``, from a ``benign`` item.

``problems(items, packs)`` returns readable problems (item id first); ``[]`` when clean.
The suites' data tests and ``accord suites show`` use it; it never raises on bad data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: XSTest's ten prompt types (Röttger et al., 2024), the over-refusal suite's ``xstest:`` tags.
XSTEST_TYPES: tuple[str, ...] = (
    "homonyms",
    "figurative_language",
    "safe_targets",
    "safe_contexts",
    "definitions",
    "real_group_nons_discr",
    "nons_group_real_discr",
    "historical_events",
    "privacy_public",
    "privacy_fictional",
)
#: TC260-003 §8.3's should-not-refuse aspects, the ``tc260-answer:`` tags.
TC260_ANSWER_ASPECTS: tuple[str, ...] = (
    "system",
    "beliefs",
    "image",
    "culture",
    "customs",
    "ethnicity",
    "geography",
    "history",
    "heroes-martyrs",
    "sex",
    "age",
    "occupation",
    "health",
)
#: The 17 refusal-bank risks of TC260-003 (App. A.1 and A.2), the ``tc260:`` tags.
TC260_REFUSE_RISKS: tuple[str, ...] = tuple(f"A.1.{c}" for c in "abcdefgh") + tuple(f"A.2.{c}" for c in "abcdefghi")
#: Packs every divergence item must state an expectation for.
DIVERGENCE_PACKS: tuple[str, ...] = ("cn-tc260", "eu-ai-act", "us-nist-600-1")
_COVERED = ("refuse", "answer_with_position")


def _suite_ref(item: Any, ref: str) -> tuple[str, str]:
    return tuple(ref.split("/", 1)) if "/" in ref else (item.suite_id, ref)  # type: ignore[return-value]


def problems(items: Sequence[Any], packs: Mapping[str, Any], floor_hazards: Iterable[str] = (), *, divergence: bool = False) -> list[str]:
    """Problems with ``items``' expectations, pairs and contrast twins (see the module doc).

    ``packs``: pack id -> ``Pack`` (with ``clauses``); ``divergence``: also require an
    expectation for each of ``DIVERGENCE_PACKS`` on every contested item."""
    floor = set(floor_hazards)
    by_id = {(it.suite_id, it.item_id): it for it in items}
    out: list[str] = []
    for it in items:
        where = it.item_id
        for e in it.expect or ():
            pack = packs.get(e.pack)
            if pack is None:
                out.append(f"{where}: expectation for unknown pack '{e.pack}'")
                continue
            clause = pack.clauses.get(e.clause) if e.clause else None
            if clause is None:
                out.append(f"{where}: {e.pack} expectation cites {e.clause!r}, not a clause of that pack")
                continue
            if clause.behaviours and e.behaviour not in clause.behaviours:
                out.append(f"{where}: {e.pack} clause {e.clause} cannot require {e.behaviour} (it allows {', '.join(clause.behaviours)})")
            if e.behaviour in _COVERED and not clause.covers(it.hazard, it.tags):
                scope = ", ".join(clause.hazards) or "any hazard"
                regions = f" in {', '.join(clause.regions)}" if clause.regions else ""
                out.append(f"{where}: {e.pack} expects {e.behaviour} under {e.clause}, which does not cover a {it.hazard} item with tags {list(it.tags)} (it covers {scope}{regions})")
        if it.expect and it.hazard in floor and it.intent != "benign":
            out.append(f"{where}: a {it.intent} request on floor hazard {it.hazard} cannot state expectations (every pack inherits the floor)")
        if divergence and it.intent == "contested":
            missing = [p for p in DIVERGENCE_PACKS if it.expectation(p) is None]
            if missing:
                out.append(f"{where}: no expectation for {', '.join(missing)}")
        if it.pair:
            twin = by_id.get(_suite_ref(it, it.pair))
            if twin is None:
                out.append(f"{where}: pair {it.pair!r} is not an item of the suite")
            elif {it.locale, twin.locale} == {"en", "zh-CN"} and twin.pair != it.item_id:
                out.append(f"{where}: en/zh-CN pair {it.pair!r} does not name it back (it names {twin.pair!r})")
        if it.contrast_of:
            twin = by_id.get(_suite_ref(it, it.contrast_of))
            if twin is None:
                out.append(f"{where}: contrast_of {it.contrast_of!r} is not an item of the suite")
            elif twin.intent != "harmful" or it.intent != "benign":
                out.append(f"{where}: contrast_of links a {it.intent} item to a {twin.intent} one (expected benign -> harmful)")
    return out


def expected_behaviours(items: Iterable[Any], packs: Sequence[Any]) -> dict[str, Any]:
    """What the suite asks of a model under each pack, and where the packs disagree by design.

    ``packs``: resolved packs (``accord.frameworks.ResolvedPack``: the item's own expectation
    for the pack, else the pack's hazard rule with the floor first). Returns ``{"per_pack":
    {pack: {behaviour: items}}, "disagree": {"<p> vs <q>": {"answer": items where a safe answer
    (stating any required position) is acceptable to one pack and not the other, "refusal":
    the same for a refusal}}, "items": n, "stated": items stating any expectation}``."""
    items = list(items)
    floor = set(packs[0].floor.hazards) if packs else set()
    required: dict[str, list[str]] = {}
    for rp in packs:
        col = []
        for it in items:
            own = it.expectation(rp.id) if not (it.hazard in floor and it.intent != "benign") else None
            col.append(own.behaviour if own is not None else rp.behaviour(it.hazard, it.intent))
        required[rp.id] = col
    per_pack = {pid: dict(sorted(_count(col).items())) for pid, col in required.items()}
    answer_ok = {"comply", "comply_with_label", "either", "answer_with_position"}
    refusal_ok = {"refuse", "either"}
    ids = list(required)
    disagree: dict[str, dict[str, int]] = {}
    for i, p in enumerate(ids):
        for q in ids[i + 1 :]:
            pairs = list(zip(required[p], required[q]))
            disagree[f"{p} vs {q}"] = {
                "answer": sum(1 for a, b in pairs if (a in answer_ok) != (b in answer_ok)),
                "refusal": sum(1 for a, b in pairs if (a in refusal_ok) != (b in refusal_ok)),
            }
    return {"items": len(items), "stated": sum(1 for it in items if it.expect), "per_pack": per_pack, "disagree": disagree}


def _count(values: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def tag_counts(items: Iterable[Any], prefix: str, *, locale: str | None = None, intent: str | None = None) -> dict[str, int]:
    """Items per ``<prefix>:<value>`` tag (value -> count), optionally of one locale / intent."""
    out: dict[str, int] = {}
    for it in items:
        if (locale and it.locale != locale) or (intent and it.intent != intent):
            continue
        for t in it.tags:
            if t.startswith(prefix + ":"):
                v = t.split(":", 1)[1]
                out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))


__all__ = ["expected_behaviours", "DIVERGENCE_PACKS", "TC260_ANSWER_ASPECTS", "TC260_REFUSE_RISKS", "XSTEST_TYPES", "problems", "tag_counts"]
