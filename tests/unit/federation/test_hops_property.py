"""Property (hypothesis): incidents of every TLP label and every MISP distribution level, synced
across random federations (servers hosting random organisations, random pull edges), never reach
a server that their label or level forbids.

Propagation is simulated with ``offer_level`` alone: a version held at level L on server S goes
to a server P that pulls from S at ``offer_level(Marking(level=L, ...), view of P)``. The reporter
organisation travels with the incident (accord keeps ``reporter_org``; it is the only owner).
Every server's view of a peer is the truth (its operator configured ``--org`` correctly). The
oracles are written here from FIRST's TLP 2.0 and MISP's tables, not from the code.

What MISP implies for "connected communities" (2) under accord's pull: the first hop lowers it
to 1, the second to 0, and level 0 is pulled only by a server hosting the owner organisation.
So along every path of k hops the level is exactly max(0, 2 - k), a level a non-owner may read
(1-3) is held only within one hop of the origin, and every server 3 or more hops out along a path
hosts the owner organisation (and reads it as the owner).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.federation import Marking, PeerView, level_admits, offer_level, tlp_admits_peer
from accord.incidents import Recipient, SharingGroup, SharingGroupServer

ORGS = ("a", "b", "c", "d", "e", "f")
MEMBERS = ("m0", "m1")
LEVELS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
ANY_TLP = st.sampled_from(LEVELS)
ANY_LEVEL = st.integers(0, 4)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class World:
    servers: tuple[PeerView, ...]
    #: (i, j): server j pulls from server i (i decides what j gets).
    edges: frozenset[tuple[int, int]]
    origin: int
    marking: Marking

    def name(self, i: int) -> str:
        return self.servers[i].server


@dataclass(frozen=True)
class Hop:
    src: int
    dst: int
    level_before: int
    level_after: int
    hops: int  # the length of the path that ended with this hop


def recipients_for(draw: st.DrawFn, tlp: str) -> tuple[Recipient, ...]:
    """Recipients that fit the label, and sometimes ones the report model would refuse (clients
    under AMBER+STRICT or RED, a RED recipient without a member): a ``Marking`` does not
    re-validate, so these must never widen the reach ("never widen if one slips through")."""
    if tlp in ("CLEAR", "GREEN"):
        return ()
    slipped = draw(st.booleans())
    out = []
    for org in draw(st.lists(st.sampled_from(ORGS), min_size=1, max_size=3, unique=True)):
        member = draw(st.sampled_from((*MEMBERS, None) if slipped else MEMBERS)) if tlp == "RED" else None
        clients = tuple(draw(st.lists(st.sampled_from(ORGS), max_size=2, unique=True))) if tlp == "AMBER" or slipped else ()
        out.append(Recipient(org=org, member=member, clients=clients))
    return tuple(out)


@st.composite
def worlds(
    draw: st.DrawFn,
    *,
    tlp: st.SearchStrategy[str] = ANY_TLP,
    level: st.SearchStrategy[int] = ANY_LEVEL,
    chain: bool | None = None,
) -> World:
    n = draw(st.integers(2, 7))
    hosted = [frozenset(draw(st.sets(st.sampled_from(ORGS), max_size=3))) for _ in range(n)]
    origin = draw(st.integers(0, n - 1))
    reporter = draw(st.sampled_from(sorted(hosted[origin]) or ORGS))
    hosted[origin] |= {reporter}  # an incident is reported on a server that hosts its reporter
    servers = tuple(PeerView(server=f"s{i}.example/log", orgs=hosted[i]) for i in range(n))
    if chain if chain is not None else draw(st.booleans()):
        order = draw(st.permutations(range(n)))
        edges = {(order[k], order[k + 1]) for k in range(n - 1)}
        if draw(st.booleans()):
            edges |= {(b, a) for a, b in edges}
    else:
        pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
        edges = set(draw(st.lists(st.sampled_from(pairs), max_size=3 * n, unique=True)))
    label = draw(tlp)
    lvl = draw(level)
    group = None
    if lvl == 4:
        listed = draw(st.lists(st.integers(0, n + 1), max_size=n, unique=True))  # n, n+1: servers outside the federation
        group = SharingGroup(
            uuid="00000000-0000-4000-8000-000000000004",
            name="sg",
            orgs=tuple(draw(st.lists(st.sampled_from(ORGS), max_size=3, unique=True))),
            servers=tuple(SharingGroupServer(server=f"s{i}.example/log", all_orgs=draw(st.booleans())) for i in listed),
        )
    marking = Marking(reporter_org=reporter, tlp=label, recipients=recipients_for(draw, label), level=lvl, sharing_group=group)
    return World(servers=servers, edges=frozenset(edges), origin=origin, marking=marking)


def propagate(world: World, max_hops: int | None = None) -> tuple[dict[int, set[int]], list[Hop]]:
    """Every (server, level) a version can be held at, and every hop taken, over all paths (a
    breadth-first search over (server, level, path length), path lengths bounded)."""
    limit = max_hops if max_hops is not None else len(world.servers) + 3
    held: dict[int, set[int]] = {world.origin: {world.marking.level}}
    hops: list[Hop] = []
    seen = {(world.origin, world.marking.level, 0)}
    queue = deque(seen)
    while queue:
        src, level, k = queue.popleft()
        if k >= limit:
            continue
        here = Marking(world.marking.reporter_org, world.marking.tlp, world.marking.recipients, level, world.marking.sharing_group)
        for i, j in world.edges:
            if i != src:
                continue
            got = offer_level(here, world.servers[j])
            if got is None:
                continue
            hops.append(Hop(src, j, level, got, k + 1))
            held.setdefault(j, set()).add(got)
            if (j, got, k + 1) not in seen:
                seen.add((j, got, k + 1))
                queue.append((j, got, k + 1))
    return held, hops


def reachable(world: World) -> set[int]:
    out, todo = {world.origin}, [world.origin]
    while todo:
        s = todo.pop()
        for i, j in world.edges:
            if i == s and j not in out:
                out.add(j)
                todo.append(j)
    return out


def tlp_orgs(m: Marking) -> set[str]:
    """FIRST TLP 2.0, written here: the organisations a restricted label lets the incident reach."""
    orgs = {m.reporter_org} | {r.org for r in m.recipients if m.tlp != "RED" or r.member is not None}
    if m.tlp == "AMBER":
        orgs |= {c for r in m.recipients for c in r.clients}
    return orgs


def hosts_any(world: World, i: int, orgs: set[str]) -> bool:
    return bool(world.servers[i].orgs & orgs)


@SETTINGS
@given(worlds(tlp=st.sampled_from(("AMBER", "AMBER+STRICT", "RED"))))
def test_restricted_labels_reach_only_servers_hosting_an_organisation_they_admit(world: World) -> None:
    # (a) RED: reporter or a named individual's organisation; (b) AMBER+STRICT: reporter or a
    # recipient organisation; AMBER: those or a declared client.
    held, _ = propagate(world)
    allowed = tlp_orgs(world.marking)
    for i in held:
        assert i == world.origin or hosts_any(world, i, allowed), (world.marking.tlp, world.servers[i], allowed)


@SETTINGS
@given(worlds(tlp=st.just("AMBER")))
def test_amber_reaches_a_declared_client_but_strict_and_red_never_do(world: World) -> None:
    m = world.marking
    clients_only = {c for r in m.recipients for c in r.clients} - {m.reporter_org} - {r.org for r in m.recipients}
    peer_of_client = PeerView(server="client.example/log", orgs=frozenset(clients_only))
    if clients_only:
        assert tlp_admits_peer(m, peer_of_client.orgs)
    strict = Marking(m.reporter_org, "AMBER+STRICT", tuple(Recipient(org=r.org) for r in m.recipients), m.level, m.sharing_group)
    red = Marking(m.reporter_org, "RED", tuple(Recipient(org=r.org, member="m0") for r in m.recipients), m.level, m.sharing_group)
    assert not tlp_admits_peer(strict, peer_of_client.orgs)
    assert not tlp_admits_peer(red, peer_of_client.orgs)


@SETTINGS
@given(worlds())
def test_no_hop_raises_the_level_and_level_0_goes_only_to_servers_of_the_owner(world: World) -> None:
    # (c)
    _, hops = propagate(world)
    owner = world.marking.reporter_org
    for h in hops:
        if h.level_before == 4:
            assert h.level_after == 4
        else:
            assert h.level_after <= h.level_before and h.level_after != 4
        if h.level_before == 0:
            assert owner in world.servers[h.dst].orgs, h
            assert h.level_after == 0


@SETTINGS
@given(worlds(tlp=st.just("CLEAR"), level=st.just(3)))
def test_all_communities_and_clear_reach_every_connected_server_at_level_3(world: World) -> None:
    # (d)
    held, _ = propagate(world)
    assert set(held) == reachable(world)
    assert all(levels == {3} for levels in held.values())


@SETTINGS
@given(worlds(tlp=st.sampled_from(("CLEAR", "GREEN")), level=st.just(2)))
def test_connected_communities_is_readable_one_hop_out_and_owner_only_beyond_two(world: World) -> None:
    # (e) 2 -> 1 -> 0 -> (only servers hosting the owner) 0 ...
    owner = world.marking.reporter_org
    _, hops = propagate(world)
    for h in hops:
        assert h.level_after == max(0, 2 - h.hops), h
        if h.hops >= 3:
            assert owner in world.servers[h.dst].orgs, h
        readable_by_others = level_admits(h.level_after, reporter_org=owner, reader_org="zz", sharing_group=None, server=world.name(h.dst))
        assert readable_by_others == (h.hops <= 1), h
    # Without the TLP in the way, every server one or two hops out holds it.
    one = {j for i, j in world.edges if i == world.origin}
    two = {j for i, j in world.edges if i in one}
    held, _ = propagate(world, max_hops=2)
    assert (one | two) - {world.origin} <= set(held)
    assert all(1 in held[j] for j in one)


@SETTINGS
@given(worlds(chain=True, tlp=st.just("GREEN"), level=st.just(2)))
def test_connected_communities_on_a_chain_without_the_owner_stops_after_two_hops(world: World) -> None:
    owner = world.marking.reporter_org
    stripped = tuple(s if i == world.origin else PeerView(s.server, s.orgs - {owner}) for i, s in enumerate(world.servers))
    world = World(stripped, world.edges, world.origin, world.marking)
    _, hops = propagate(world)
    assert all(h.hops <= 2 for h in hops)


@SETTINGS
@given(worlds(level=st.just(4)))
def test_a_sharing_group_reaches_only_the_servers_it_lists_and_stays_4(world: World) -> None:
    # (f)
    assert world.marking.sharing_group is not None
    listed = {s.server for s in world.marking.sharing_group.servers}
    held, _ = propagate(world)
    for i, levels in held.items():
        assert levels == {4}
        assert i == world.origin or world.name(i) in listed


@SETTINGS
@given(worlds(tlp=st.just("CLEAR"), level=st.just(4)))
def test_a_clear_sharing_group_reaches_every_listed_server_connected_through_listed_servers(world: World) -> None:
    assert world.marking.sharing_group is not None
    listed = {s.server for s in world.marking.sharing_group.servers}
    inside = World(world.servers, frozenset((i, j) for i, j in world.edges if world.name(j) in listed), world.origin, world.marking)
    held, _ = propagate(world)
    assert set(held) == reachable(inside)


@SETTINGS
@given(worlds(), st.text(min_size=1, max_size=12).filter(lambda t: t not in LEVELS))
def test_an_unknown_label_goes_nowhere(world: World, label: str) -> None:
    m = world.marking
    odd = Marking(m.reporter_org, label, m.recipients, m.level, m.sharing_group)
    for peer in world.servers:
        assert offer_level(odd, peer) is None
