"""``SuiteSource``: a suite that is read, not held — the shape the runner consumes.

``iter_items()`` opens the file again on every call and yields validated items one by one;
``scan()`` makes one streaming pass that validates every row, rejects duplicate ids and
computes the digest incrementally. The digest equals ``digest_items(list(iter_items()))``:
an RFC 8785 array is ``[`` + the canonical items joined by ``,`` + ``]`` (no whitespace), so
hashing those bytes in order gives the same sha256 without building the list. Only the set
of ids is kept (duplicates must be caught), never the items.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from accord.errors import InputError
from accord.records import Item, Suite

# a loader yields (line number or None, item); the line is only used in error messages
Rows = Callable[[], Iterator[tuple[int | None, Item]]]


def _json_is_canonical() -> bool:
    """True while no Item field can hold a number: then RFC 8785 = sorted-key compact JSON.

    RFC 8785 differs from ``json.dumps(sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` only in number formatting and in sorting keys by UTF-16 units
    (our keys are fixed ASCII names). Both escape exactly ``"``, ``\\`` and U+0000-U+001F,
    with the same short forms and lowercase ``\\u00xx``. Items hold strings, lists and null
    only, so the C ``json`` encoder gives the same bytes about 6x faster than ``rfc8785``
    (tests/unit/suites/test_digest.py checks it on random text, astral and control chars
    included). If a numeric field is ever added to Item, this turns the fast path off.
    """
    return not any(
        t in str(f.annotation) for f in Item.model_fields.values() for t in ("float", "int", "Decimal", "Any")
    )


_FAST = _json_is_canonical()


def canonical_bytes(item: Item) -> bytes:
    """The RFC 8785 canonical JSON of one item (its digest form, ``source`` excluded)."""
    data = item.canonical()
    if _FAST:
        try:
            return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: let rfc8785 decide what it does with it
            pass
    import rfc8785

    return rfc8785.dumps(data)


class DigestWriter:
    """Incremental RFC 8785 digest of an item array; ``digest()`` equals ``digest_items``."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256(b"[")
        self.count = 0

    def add(self, item: Item) -> None:
        if self.count:
            self._sha.update(b",")
        self._sha.update(canonical_bytes(item))
        self.count += 1

    def digest(self) -> str:
        sha = self._sha.copy()
        sha.update(b"]")
        return "sha256:" + sha.hexdigest()


@dataclass
class SuiteSource:
    """A named suite read lazily from its source (a file, a dataset folder, a cache entry)."""

    suite_id: str
    source: str
    rows: Rows = field(repr=False)
    description: str = ""
    kind: str = "file"  # builtin | dataset | fetchable | file
    id_field: str = "id"  # how the file names the id, for duplicate errors

    def iter_items(self) -> Iterator[Item]:
        """A fresh iterator over the validated items, in file order (constant memory)."""
        return (item for _, item in self.rows())

    def _checked(self) -> Iterator[Item]:
        """Items in order, raising on the first duplicate id (keeps only the set of ids)."""
        seen: dict[str, int | None] = {}
        for line, item in self.rows():
            if item.item_id in seen:
                first = seen[item.item_id]
                raise InputError(
                    f"duplicate item id '{item.item_id}'" + (f" (first at line {first})" if first else ""),
                    file=self.source,
                    line=line,
                    field=self.id_field,
                    expected="ids unique within the suite",
                )
            seen[item.item_id] = line
            yield item

    def scan(self) -> tuple[int, str]:
        """Validate every row in one pass; return (number of items, digest).

        Raises ``InputError`` (file, line, field) on the first bad row or duplicate id, so a
        caller can refuse a suite before sending any request.
        """
        writer = DigestWriter()
        for item in self._checked():
            writer.add(item)
        if not writer.count:
            raise InputError("the suite has no items", file=self.source, expected="at least one item")
        return writer.count, writer.digest()

    def summary(self) -> dict[str, object]:
        """One validating pass: count, digest, and items per hazard, intent and locale."""
        writer = DigestWriter()
        hazards: dict[str, int] = {}
        intents: dict[str, int] = {}
        locales: dict[str, int] = {}
        for item in self._checked():
            writer.add(item)
            hazards[item.hazard] = hazards.get(item.hazard, 0) + 1
            intents[item.intent] = intents.get(item.intent, 0) + 1
            locales[item.locale] = locales.get(item.locale, 0) + 1
        if not writer.count:
            raise InputError("the suite has no items", file=self.source, expected="at least one item")
        return {
            "suite_id": self.suite_id,
            "kind": self.kind,
            "source": self.source,
            "description": self.description,
            "items": writer.count,
            "digest": writer.digest(),
            "hazards": dict(sorted(hazards.items())),
            "intents": dict(sorted(intents.items())),
            "locales": dict(sorted(locales.items())),
        }

    def load(self) -> Suite:
        """Materialise the suite (validated, duplicates rejected): for small uses."""
        items = tuple(self._checked())
        if not items:
            raise InputError("the suite has no items", file=self.source, expected="at least one item")
        return Suite(suite_id=self.suite_id, items=items, description=self.description, source=self.source)
