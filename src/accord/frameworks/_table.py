"""``LabelTable``: one run's labelled responses as columns, the engine's only input.

Each row is one response (item x variant x epoch) with what the item probes (hazard, intent,
locale) and what one judge read in the answer (refusal, harmful, unassessed). Strings are
stored once in a vocabulary and referenced by integer codes, so a million rows are a few
megabytes and every pack's rules become array look-ups. Building the table from records is a
single pass; scoring never loops over rows.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from accord.frameworks._schema import BEHAVIOURS

INTENT_CODES = {"harmful": 0, "contested": 1, "benign": 2}
#: Expected behaviour -> engine code (``_schema.BEHAVIOURS``' order).
BEHAVIOUR_CODES = {b: i for i, b in enumerate(BEHAVIOURS)}
#: A label's flag recording the position rubric's reading for one pack: ``position:<pack>:held``
#: or ``position:<pack>:missing`` (``accord.judges.position``).
POSITION_FLAG = "position:"


def position_readings(flags: Iterable[str]) -> dict[str, bool]:
    """{pack: held} from a label's flags (``position:<pack>:held|missing``)."""
    out: dict[str, bool] = {}
    for f in flags:
        if f.startswith(POSITION_FLAG):
            _, pack, what = (f.split(":", 2) + ["", ""])[:3]
            if pack and what in ("held", "missing"):
                out[pack] = what == "held"
    return out
REFUSAL_CODES = {"none": 0, "partial": 1, "full": 2}
UNKNOWN = -1


@dataclass(frozen=True)
class LabelTable:
    """Columnar labelled responses. ``hazard`` codes index ``hazard_vocab``.

    ``refusal`` is 0 none / 1 partial / 2 full / -1 unknown; ``harmful`` is 0 / 1 / -1;
    ``unassessed`` marks responses no judge could read (errors, provider blocks, unparseable
    verdicts): they are counted and shown, never folded into "safe" or "refused".
    """

    hazard: NDArray[np.int32]
    intent: NDArray[np.int8]
    locale: NDArray[np.int32]
    refusal: NDArray[np.int8]
    harmful: NDArray[np.int8]
    unassessed: NDArray[np.bool_]
    suite: NDArray[np.int32]
    item: NDArray[np.int32]
    variant: NDArray[np.int32]
    epoch: NDArray[np.int32]
    hazard_vocab: tuple[str, ...]
    locale_vocab: tuple[str, ...]
    suite_vocab: tuple[str, ...]
    item_vocab: Sequence[str]
    variant_vocab: tuple[str, ...]
    #: The statistical unit of each row (family within a language; see ``unit_key``): codes
    #: ``0..U-1``. ``None``: each (suite, item) is its own unit.
    unit: NDArray[np.int32] | None = None
    #: Rows whose harmful label is *confirmed* (a person's review decision, or two judges of
    #: different kinds agreeing). ``None``: none is.
    confirmed: NDArray[np.bool_] | None = None
    #: Per-item expectations (issue 17): ``expect[row, j]`` is the behaviour code
    #: (``_schema.BEHAVIOURS``) the item expects under pack ``expect_packs[j]``, -1 where it
    #: states none (the pack's hazard rule applies). ``None``: no item states any.
    expect: NDArray[np.int8] | None = None
    expect_packs: tuple[str, ...] = ()
    #: Whether the answer states the position an ``answer_with_position`` expectation requires,
    #: per row and pack (columns as ``expect``): 1 held, 0 not, -1 unknown or not asked.
    position: NDArray[np.int8] | None = None

    def __post_init__(self) -> None:
        n = len(self.hazard)
        for name in ("intent", "locale", "refusal", "harmful", "unassessed", "suite", "item", "variant", "epoch", "unit", "confirmed"):
            if getattr(self, name) is not None and len(getattr(self, name)) != n:
                raise ValueError(f"column '{name}' has {len(getattr(self, name))} rows, expected {n}")
        if n:
            for name, vocab in (("hazard", self.hazard_vocab), ("locale", self.locale_vocab)):
                col = getattr(self, name)
                if col.min() < 0 or col.max() >= len(vocab):
                    raise ValueError(f"column '{name}' has codes outside its vocabulary of {len(vocab)}")
            for name, lo, hi in (("intent", 0, 2), ("refusal", -1, 2), ("harmful", -1, 1)):
                col = getattr(self, name)
                if col.min() < lo or col.max() > hi:
                    raise ValueError(f"column '{name}' has codes outside {lo}..{hi}")
        # A row without a judgement must say so: refusal/harmful unknown implies unassessed.
        missing = ((self.refusal < 0) | (self.harmful < 0)) & ~self.unassessed
        if np.any(missing):
            raise ValueError(f"{int(missing.sum())} rows have no refusal/harmful value but are not marked unassessed")
        if self.unit is not None and n and int(self.unit.min()) < 0:
            raise ValueError("column 'unit' has negative codes")
        for name in ("expect", "position"):
            col = getattr(self, name)
            if col is not None and col.shape != (n, len(self.expect_packs)):
                raise ValueError(f"column '{name}' is {col.shape}, expected ({n}, {len(self.expect_packs)})")

    def __len__(self) -> int:
        return int(len(self.hazard))

    def key(self, row: int) -> tuple[str, str, str, int]:
        """(suite_id, item_id, variant_id, epoch) of one row."""
        return (
            self.suite_vocab[self.suite[row]],
            self.item_vocab[self.item[row]],
            self.variant_vocab[self.variant[row]],
            int(self.epoch[row]),
        )

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, Any]]) -> LabelTable:
        """Build from dicts with keys suite_id, item_id, variant_id, epoch, hazard, intent,
        locale, refusal, harmful, unassessed (a reason string, bool or None), and optionally
        family (the statistical unit is the family within a language) and confirmed."""
        vocabs: dict[str, dict[str, int]] = {k: {} for k in ("hazard", "locale", "suite", "item", "variant", "unit")}

        def code(kind: str, value: str) -> int:
            table = vocabs[kind]
            got = table.get(value)
            if got is None:
                got = table[value] = len(table)
            return got

        cols: dict[str, list[int]] = {k: [] for k in ("hazard", "intent", "locale", "refusal", "harmful", "unassessed", "suite", "item", "variant", "epoch", "unit", "confirmed")}
        expects: list[tuple[int, str, int, int]] = []  # (row, pack, behaviour code, position)
        for r in rows:
            for pack, behaviour in (r.get("expect") or {}).items():
                if behaviour not in BEHAVIOUR_CODES:
                    raise ValueError(f"unknown expected behaviour {behaviour!r} for pack {pack!r}")
                held = (r.get("position") or {}).get(pack)
                expects.append((len(cols["hazard"]), str(pack), BEHAVIOUR_CODES[behaviour], UNKNOWN if held is None else int(bool(held))))
            cols["unit"].append(code("unit", unit_key(r["suite_id"], r["item_id"], r.get("family"), r.get("locale") or "en")))
            cols["confirmed"].append(int(bool(r.get("confirmed"))))
            cols["suite"].append(code("suite", r["suite_id"]))
            cols["item"].append(code("item", r["item_id"]))
            cols["variant"].append(code("variant", r.get("variant_id", "none")))
            cols["epoch"].append(int(r.get("epoch", 0)))
            cols["hazard"].append(code("hazard", r.get("hazard") or "benign"))
            intent = r.get("intent", "harmful")
            if intent not in INTENT_CODES:
                raise ValueError(f"unknown intent {intent!r} (expected harmful, contested or benign)")
            cols["intent"].append(INTENT_CODES[intent])
            cols["locale"].append(code("locale", r.get("locale") or "en"))
            unassessed = bool(r.get("unassessed"))
            refusal = r.get("refusal")
            harmful = r.get("harmful")
            if refusal is None or harmful is None:
                unassessed = True
            cols["unassessed"].append(int(unassessed))
            cols["refusal"].append(UNKNOWN if unassessed or refusal is None else REFUSAL_CODES[refusal])
            cols["harmful"].append(UNKNOWN if unassessed or harmful is None else int(bool(harmful)))

        def vocab(kind: str) -> tuple[str, ...]:
            return tuple(vocabs[kind])

        n_rows = len(cols["hazard"])
        packs = tuple(sorted({p for _r, p, _b, _h in expects}))
        expect = position = None
        if packs:
            expect = np.full((n_rows, len(packs)), UNKNOWN, dtype=np.int8)
            position = np.full((n_rows, len(packs)), UNKNOWN, dtype=np.int8)
            for row, pack, code_, held in expects:
                expect[row, packs.index(pack)] = code_
                position[row, packs.index(pack)] = held
        return cls(
            hazard=np.asarray(cols["hazard"], dtype=np.int32),
            intent=np.asarray(cols["intent"], dtype=np.int8),
            locale=np.asarray(cols["locale"], dtype=np.int32),
            refusal=np.asarray(cols["refusal"], dtype=np.int8),
            harmful=np.asarray(cols["harmful"], dtype=np.int8),
            unassessed=np.asarray(cols["unassessed"], dtype=bool),
            suite=np.asarray(cols["suite"], dtype=np.int32),
            item=np.asarray(cols["item"], dtype=np.int32),
            variant=np.asarray(cols["variant"], dtype=np.int32),
            epoch=np.asarray(cols["epoch"], dtype=np.int32),
            hazard_vocab=vocab("hazard"),
            locale_vocab=vocab("locale"),
            suite_vocab=vocab("suite"),
            item_vocab=vocab("item"),
            variant_vocab=vocab("variant"),
            unit=np.asarray(cols["unit"], dtype=np.int32),
            confirmed=np.asarray(cols["confirmed"], dtype=bool),
            expect=expect,
            expect_packs=packs,
            position=position,
        )

    @classmethod
    def from_records(cls, items: Iterable[Any], labels: Iterable[Any], confirmed: Container[tuple[str, str, str, int]] = ()) -> LabelTable:
        """Join ``accord.suites.Item`` and ``accord.records.Label`` rows on (suite, item).

        Labels whose item is unknown raise: a response scored without knowing what it probes
        would silently land in the wrong bucket. ``confirmed`` holds the keys (suite, item,
        variant, epoch) whose harmful label is confirmed (see ``LabelTable.confirmed``).
        """
        by_key = {(it.suite_id, it.item_id): it for it in items}

        def rows() -> Iterable[dict[str, Any]]:
            for lab in labels:
                it = by_key.get((lab.suite_id, lab.item_id))
                if it is None:
                    raise ValueError(f"label for unknown item {lab.suite_id}/{lab.item_id}")
                yield {
                    "suite_id": lab.suite_id,
                    "item_id": lab.item_id,
                    "variant_id": lab.variant_id,
                    "epoch": lab.epoch,
                    "hazard": it.hazard,
                    "intent": it.intent,
                    "locale": it.locale,
                    "refusal": lab.refusal,
                    "harmful": lab.harmful,
                    "unassessed": lab.unassessed,
                    "family": getattr(it, "family", None),
                    "confirmed": (lab.suite_id, lab.item_id, lab.variant_id, lab.epoch) in confirmed,
                    "expect": {e.pack: e.behaviour for e in getattr(it, "expect", None) or ()},
                    "position": position_readings(getattr(lab, "flags", None) or ()),
                }

        return cls.from_rows(rows())

    @classmethod
    def from_codes(
        cls,
        *,
        hazard: Sequence[int] | NDArray[Any],
        intent: Sequence[int] | NDArray[Any],
        refusal: Sequence[int] | NDArray[Any],
        harmful: Sequence[int] | NDArray[Any],
        hazard_vocab: Sequence[str],
        locale: Sequence[int] | NDArray[Any] | None = None,
        locale_vocab: Sequence[str] = ("en",),
        unassessed: Sequence[bool] | NDArray[Any] | None = None,
        unit: Sequence[int] | NDArray[Any] | None = None,
        confirmed: Sequence[bool] | NDArray[Any] | None = None,
    ) -> LabelTable:
        """Build directly from code arrays (synthetic data, benchmarks); keys are row numbers,
        and each row is its own unit unless ``unit`` says otherwise."""
        n = len(hazard)
        ua = np.zeros(n, dtype=bool) if unassessed is None else np.asarray(unassessed, dtype=bool)
        ref = np.asarray(refusal, dtype=np.int8).copy()
        harm = np.asarray(harmful, dtype=np.int8).copy()
        ref[ua] = UNKNOWN
        harm[ua] = UNKNOWN
        rows = np.arange(n, dtype=np.int32)
        return cls(
            hazard=np.asarray(hazard, dtype=np.int32),
            intent=np.asarray(intent, dtype=np.int8),
            locale=np.zeros(n, dtype=np.int32) if locale is None else np.asarray(locale, dtype=np.int32),
            refusal=ref,
            harmful=harm,
            unassessed=ua,
            suite=np.zeros(n, dtype=np.int32),
            item=rows,
            variant=np.zeros(n, dtype=np.int32),
            epoch=np.zeros(n, dtype=np.int32),
            hazard_vocab=tuple(hazard_vocab),
            locale_vocab=tuple(locale_vocab),
            suite_vocab=("synthetic",),
            item_vocab=_RowIds(n),
            variant_vocab=("none",),
            unit=rows if unit is None else np.asarray(unit, dtype=np.int32),
            confirmed=None if confirmed is None else np.asarray(confirmed, dtype=bool),
        )


def unit_key(suite_id: str, item_id: str, family: str | None, locale: str) -> str:
    """The statistical unit of a response: its item's family within the item's language
    (BCP 47 primary subtag), or the item itself when it has no family. Epochs, attack
    variants and near-variants of one request in one language are one unit."""
    lang = language(locale)
    return f"f\x00{suite_id}\x00{family}\x00{lang}" if family else f"i\x00{suite_id}\x00{item_id}"


def language(locale: str) -> str:
    """A locale's language: ``zh-CN`` -> ``zh``."""
    return (locale or "en").split("-")[0].split("_")[0].lower()


class _RowIds(Sequence[str]):
    """Item ids ``"0" ... "n-1"`` without building a million strings up front."""

    def __init__(self, n: int) -> None:
        self._n = n

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [str(j) for j in range(*i.indices(self._n))]
        j = int(i)
        if not 0 <= j < self._n:
            raise IndexError(i)
        return str(j)
