"""TLP 2.0 enforced: who may read one incident version, as a pure function.

FIRST's TLP 2.0 (../shared/reference/verification-incidents.md §5.5) says how far a recipient
may share; the service turns each label into a reader set and checks it on every read path
(get, list, search, history, STIX/TAXII exports, the dashboard), so a label is never just a tag:

| label | who may read |
|---|---|
| CLEAR | everyone, anonymous callers included |
| GREEN | the community: any caller authenticated as an organisation of this service |
| AMBER | the reporter organisation, each recipient organisation, and the clients each recipient declared it must inform |
| AMBER+STRICT | the reporter organisation and the recipient organisations only (no clients) |
| RED | the reporter organisation and the named individuals only (recipient org *and* member) |

The reporter organisation always reads its own incidents (it is the source). No role widens
this: an admin token or a regulator reads only what its organisation was sent, and an
unauthenticated caller (no token) is never a member of an organisation, whatever it claims.
The pipeline's SQL pre-filter mirrors this table for speed; this function is the final word.
"""

from __future__ import annotations

from typing import Protocol

from accord.incidents._model import Recipient

__all__ = ["Marked", "Reader", "can_read", "reader_keys"]


class Reader(Protocol):
    """The caller, as ``accord.pipeline.Principal`` provides it (this package may not import the pipeline)."""

    @property
    def org(self) -> str | None: ...

    @property
    def member(self) -> str | None: ...

    @property
    def community(self) -> bool: ...


class Marked(Protocol):
    """A record carrying a TLP marking: ``Incident`` or ``IncidentVersion``."""

    @property
    def reporter_org(self) -> str: ...

    @property
    def tlp(self) -> str: ...

    @property
    def recipients(self) -> tuple[Recipient, ...]: ...


def reader_keys(tlp: str, recipients: tuple[Recipient, ...]) -> list[tuple[str, str | None]]:
    """The (org, member) pairs a restricted marking admits besides the reporter; ``member`` None
    means the whole organisation. Empty for CLEAR and GREEN (they need no list). The store keeps
    these rows for its pre-filter, so both sides derive them from this one function."""
    keys: list[tuple[str, str | None]] = []
    for r in recipients:
        if tlp == "RED":
            if r.member is not None:  # the model refuses RED without a member; never widen if one slips through
                keys.append((r.org, r.member))
        elif tlp == "AMBER+STRICT":
            keys.append((r.org, None))
        elif tlp == "AMBER":
            keys.append((r.org, None))
            keys.extend((c, None) for c in r.clients)
    return list(dict.fromkeys(keys))


def can_read(record: Marked, reader: Reader) -> bool:
    """Whether ``reader`` may see ``record`` under its TLP 2.0 label. Unknown labels: nobody."""
    tlp = record.tlp
    if tlp == "CLEAR":
        return True
    if not reader.community or reader.org is None:
        return False
    if tlp == "GREEN":
        return True
    if tlp not in ("AMBER", "AMBER+STRICT", "RED"):
        return False  # fail closed
    if reader.org == record.reporter_org:
        return True
    for org, member in reader_keys(tlp, record.recipients):
        if org == reader.org and (member is None or (reader.member is not None and member == reader.member)):
            return True
    return False
