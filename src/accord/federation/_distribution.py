"""MISP distribution levels and TLP 2.0 together: what a peer server may receive, and who on a
server may read what arrived (issue 21). Pure functions over given values.

MISP's rules (misp-book "Sharing and distribution"; restated in
``../shared/datasets/incidents/misp_sharing/SOURCE.md``):

- Levels: 0 your organisation only, 1 this community only, 2 connected communities, 3 all
  communities, 4 a sharing group.
- Visibility on one server: the owner organisation always; levels 1-3 anyone the TLP label
  admits; level 4 the group's organisations, or every organisation of a server the group lists
  with ``all_orgs``.
- Each sync hop lowers the level. Push: 0 and 1 are not pushed, 2 arrives as 1, 3 stays 3.
  Pull: 0 is pulled only by a sync user of the owner organisation (and stays 0), 1 arrives as
  0, 2 as 1, 3 stays 3. With the "internal instance" flag a push keeps 1-3 unchanged. A
  sharing group is never lowered: it goes only to the servers it lists.

accord's sync is pull-based (``accord peer sync``), so the pull table decides what a peer gets;
the push table is kept for the same reason MISP keeps it, a server that notifies its peers.
TLP is applied at every hop too: a TLP:AMBER, AMBER+STRICT or RED incident goes only to a peer
that speaks for an organisation the label admits (its reporter, a recipient, or for AMBER a
named client), so RED never leaves the servers of its named recipients and AMBER+STRICT never
the recipient organisations'. On arrival ``can_read`` still judges every reader.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from accord.incidents import Recipient, SharingGroup, reader_keys

__all__ = [
    "LEVEL_NAMES",
    "DEFAULT_LEVEL",
    "Marking",
    "PeerView",
    "SyncMode",
    "after_hop",
    "level_admits",
    "offer_level",
    "sharing_group_admits_server",
    "tlp_admits_peer",
]

SyncMode = Literal["pull", "push"]

LEVEL_NAMES: dict[int, str] = {
    0: "your organisation only",
    1: "this community only",
    2: "connected communities",
    3: "all communities",
    4: "sharing group",
}
#: A report that states no level gets MISP's default for events: this community only.
DEFAULT_LEVEL = 1

#: The MISP tables (without the internal flag): the level on the receiving server, None = not synced.
_PUSH = {0: None, 1: None, 2: 1, 3: 3}
_PULL = {1: 0, 2: 1, 3: 3}


def after_hop(level: int, *, mode: SyncMode, sync_org_owns: bool = False, internal: bool = False) -> int | None:
    """The level an incident holds on the next server after one sync, or None if it does not go.

    ``sync_org_owns``: the sync user belongs to the incident's owner organisation (pull of
    level 0). ``internal``: MISP's "internal instance" flag (push keeps 1-3; pull is unchanged).
    MISP's internal push of level 0 happens only at the event's publication, never on a later
    push; accord has no publication step apart from the report itself, so it takes the
    conservative reading: level 0 is not pushed.
    Sharing groups (4) are never lowered; whether one goes at all is ``sharing_group_admits_server``.
    """
    if level not in LEVEL_NAMES:
        raise ValueError(f"unknown distribution level {level!r} (0-4)")
    if level == 4:
        return 4
    if mode == "push":
        if internal:
            return None if level == 0 else level
        return _PUSH[level]
    if mode != "pull":
        raise ValueError(f"unknown sync mode {mode!r}")
    if level == 0:
        return 0 if sync_org_owns else None
    return _PULL[level]


def sharing_group_admits_server(group: SharingGroup | None, server: str) -> bool:
    """Whether a level-4 incident may be synced to ``server`` (a log origin): the group lists it."""
    return group is not None and any(s.server == server for s in group.servers)


def level_admits(
    level: int,
    *,
    reporter_org: str,
    reader_org: str | None,
    sharing_group: SharingGroup | None,
    server: str | None,
) -> bool:
    """MISP's "visibility of data" on ``server`` for a reader of ``reader_org`` (None: anonymous).

    This is the distribution half only; ``accord.incidents.can_read`` (TLP) must admit the
    reader as well. There is no all-seeing site admin: an operator reads what its organisation may.
    """
    if reader_org is not None and reader_org == reporter_org:
        return True
    if level in (1, 2, 3):
        return True
    if level == 4 and reader_org is not None and sharing_group is not None:
        if reader_org in sharing_group.orgs:
            return True
        return server is not None and any(s.server == server and s.all_orgs for s in sharing_group.servers)
    return False


@dataclass(frozen=True)
class Marking:
    """What decides where one incident version may go: its TLP label and recipients, its owner,
    its sharing group (and the level it holds on the server that is deciding)."""

    reporter_org: str
    tlp: str
    recipients: tuple[Recipient, ...] = ()
    level: int = DEFAULT_LEVEL
    sharing_group: SharingGroup | None = None


@dataclass(frozen=True)
class PeerView:
    """A peer server as the deciding server's operator configured it: its log origin and the
    organisations it speaks for (hosts), from ``accord peer add --org``."""

    server: str
    orgs: frozenset[str]


def tlp_admits_peer(marking: Marking, peer_orgs: Collection[str]) -> bool:
    """Whether the TLP label lets the incident reach a server hosting ``peer_orgs``.

    CLEAR and GREEN: yes (the federation is the community). AMBER, AMBER+STRICT, RED: only if
    the peer speaks for the reporter or an organisation the label admits (for RED, the named
    individuals' organisations). Unknown labels: no (fail closed).
    """
    if marking.tlp in ("CLEAR", "GREEN"):
        return True
    if marking.tlp not in ("AMBER", "AMBER+STRICT", "RED"):
        return False
    if marking.reporter_org in peer_orgs:
        return True
    return any(org in peer_orgs for org, _member in reader_keys(marking.tlp, marking.recipients))


def offer_level(marking: Marking, peer: PeerView) -> int | None:
    """The level ``peer`` would hold this version at after pulling it, or None if it may not get it.

    Both rules must agree: TLP (``tlp_admits_peer``) and MISP's pull table (the sync user
    belongs to the owner organisation when the peer speaks for the reporter); a sharing
    group goes only to the servers it lists, unchanged.
    """
    if not tlp_admits_peer(marking, peer.orgs):
        return None
    if marking.level == 4:
        return 4 if sharing_group_admits_server(marking.sharing_group, peer.server) else None
    return after_hop(marking.level, mode="pull", sync_org_owns=marking.reporter_org in peer.orgs)
