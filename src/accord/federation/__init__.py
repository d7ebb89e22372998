"""Federation (issue 21): accord servers of different organisations sync incidents and witness
each other's transparency logs. Pure rules and wire formats here; the jobs that pull, verify,
apply and witness live in ``accord.pipeline._federation``, the HTTP side in
``accord.server._federation``, the operator's commands in ``accord peer``.

- ``_distribution``: MISP distribution levels across hops and TLP together (``offer_level``:
  what a peer may receive and at what level; ``level_admits``: who on a server may read it).
- ``_wire``: the signed feed page a peer pulls and the signed pull request.
"""

from __future__ import annotations

from accord.federation._distribution import (
    DEFAULT_LEVEL,
    LEVEL_NAMES,
    Marking,
    PeerView,
    SyncMode,
    after_hop,
    level_admits,
    offer_level,
    sharing_group_admits_server,
    tlp_admits_peer,
)
from accord.federation._wire import (
    FEED_DOMAIN,
    MAX_FEED_BYTES,
    MAX_PAGE_ITEMS,
    REQUEST_DOMAIN,
    REQUEST_SKEW_S,
    FeedItem,
    FeedPage,
    FeedVersion,
    ServerInfo,
    request_headers,
    request_message,
    sign_feed,
    verify_feed,
    verify_request,
)

__all__ = [
    "DEFAULT_LEVEL",
    "FEED_DOMAIN",
    "LEVEL_NAMES",
    "MAX_FEED_BYTES",
    "MAX_PAGE_ITEMS",
    "REQUEST_DOMAIN",
    "REQUEST_SKEW_S",
    "FeedItem",
    "FeedPage",
    "FeedVersion",
    "Marking",
    "PeerView",
    "ServerInfo",
    "SyncMode",
    "after_hop",
    "level_admits",
    "offer_level",
    "request_headers",
    "request_message",
    "sharing_group_admits_server",
    "sign_feed",
    "tlp_admits_peer",
    "verify_feed",
    "verify_request",
]
