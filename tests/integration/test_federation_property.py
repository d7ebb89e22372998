"""Property (hypothesis), issue 21: three real accord servers on loopback (separate stores, one
on PostgreSQL, separate keys and logs, each hosting its own organisations, one organisation
hosted on two of them) federated over random topologies: after sync rounds reach a fixed point,
every server holds exactly the incidents the sharing rules allow, at the level they allow, and
every reader there reads exactly what TLP and the distribution level let it read.

The expected state comes from an oracle written here, independent of ``accord.federation``:
the pull rounds are replayed in the order the test runs them over plain dictionaries, with
MISP's pull table ("Pulling from instance A to instance B - usual scenario": 0 only to a sync
user of the owner organisation, 1 -> 0, 2 -> 1, 3 -> 3; a sharing group, unchanged, only to the
servers it lists), TLP 2.0's audiences (CLEAR and GREEN anywhere in the federation; AMBER,
AMBER+STRICT and RED only to a server hosting the reporter or an organisation the label admits)
and the peer policy (a server takes from a peer only incidents reported on that peer by
organisations it speaks for, unless it relays; a peer that does not serve the puller answers 403). A server
keeps the first copy of a version it receives, at the level of that hop.

Readers (``readable_incidents``): TLP (CLEAR: anyone; GREEN: any organisation; AMBER: reporter,
recipients and their named clients; AMBER+STRICT: reporter and recipients; RED: the reporter
organisation and the named recipient individuals) and the MISP level on that server (the owner
organisation always; 1-3 everyone TLP admits; 0 nobody else; 4 the group's organisations, or
every organisation of a server the group lists with ``all_orgs``).

The servers start once for the module; each example uses fresh incidents, re-configures the
peers and starts every pull cursor after what the peer already had. PostgreSQL comes from
ACCORD_TEST_POSTGRES_URL (a fresh database for the module); without it the test runs on SQLite
alone, except in CI where a missing server is a failure.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.federation import Node, federation, fresh_postgres_database

pytest.importorskip("fastapi")

HOSTS: dict[str, tuple[str, ...]] = {"a": ("alpha", "alpha-two", "shared"), "b": ("bravo", "shared"), "c": ("charlie",)}
ALL_ORGS = sorted({o for orgs in HOSTS.values() for o in orgs})
MEMBERS = ("m1", "m2")
TLPS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
RESTRICTED = ("AMBER", "AMBER+STRICT", "RED")
#: MISP's pull table, usual scenario: the level on the puller (level 0 is handled apart).
PULL = {1: 0, 2: 1, 3: 3}
ROUNDS = 3  # a path between three servers has at most two hops; the third round changes nothing


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Node]]:
    base = os.environ.get("ACCORD_TEST_POSTGRES_URL")
    if not base and os.environ.get("CI"):
        pytest.fail("ACCORD_TEST_POSTGRES_URL is not set in CI: .ci/run must start PostgreSQL")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACCORD_HOME", str(tmp_path_factory.mktemp("fed-home")))
        mp.delenv("ACCORD_DB", raising=False)
        root = tmp_path_factory.mktemp("fed")
        if base:
            with fresh_postgres_database(base) as pg, federation(root, HOSTS, db_urls={"b": pg}) as nodes:
                yield nodes
        else:
            with federation(root, HOSTS) as nodes:
                yield nodes


# -- the oracle -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Made:
    """One incident as the test reported it."""

    id: str
    server: str
    reporter: str
    tlp: str
    recipients: tuple[tuple[str, str | None, tuple[str, ...]], ...]  # (org, member, clients)
    level: int
    sg_orgs: frozenset[str] = frozenset()
    sg_servers: tuple[tuple[str, bool], ...] = ()  # (server name, all_orgs)

    def audience(self) -> set[str]:
        """The organisations a restricted label admits besides the reporter (TLP 2.0)."""
        if self.tlp == "AMBER":
            return {o for o, _m, _c in self.recipients} | {c for _o, _m, cs in self.recipients for c in cs}
        return {o for o, _m, _c in self.recipients}


def hop(made: Made, level: int, puller: str) -> int | None:
    """The level ``puller`` holds ``made`` at after pulling it at ``level``; None: it may not."""
    hosted = set(HOSTS[puller])
    if made.tlp in RESTRICTED and not hosted & ({made.reporter} | made.audience()):
        return None
    if level == 4:
        return 4 if puller in dict(made.sg_servers) else None
    if level == 0:
        return 0 if made.reporter in hosted else None
    return PULL[level]


def tlp_reads(made: Made, org: str | None, member: str | None) -> bool:
    if made.tlp == "CLEAR":
        return True
    if org is None:
        return False
    if made.tlp == "GREEN" or org == made.reporter:
        return True
    if made.tlp == "RED":
        return member is not None and (org, member) in {(o, m) for o, m, _c in made.recipients}
    return org in made.audience()


def level_reads(made: Made, level: int, server: str, org: str | None) -> bool:
    if org is not None and org == made.reporter:
        return True
    if level in (1, 2, 3):
        return True
    if level == 4 and org is not None:
        return org in made.sg_orgs or dict(made.sg_servers).get(server, False)
    return False


@dataclass(frozen=True)
class Topology:
    shape: str
    #: (x, y) -> (x pulls from y, y serves x, x relays what y sends)
    pulls: dict[tuple[str, str], tuple[bool, bool, bool]]
    order: tuple[str, ...]  # the order the servers sync in each round

    def links(self) -> set[frozenset[str]]:
        return {frozenset(k) for k in self.pulls}


@st.composite
def topologies(draw: st.DrawFn) -> Topology:
    names = draw(st.permutations(sorted(HOSTS)))
    shape = draw(st.sampled_from(("chain", "star", "triangle")))
    if shape == "triangle":
        pairs = [(names[0], names[1]), (names[1], names[2]), (names[0], names[2])]
    else:  # a chain through names[1]; a star is the same graph with every link pulled the same way
        pairs = [(names[1], names[0]), (names[1], names[2])]
    pulls: dict[tuple[str, str], tuple[bool, bool, bool]] = {}
    star_way = draw(st.sampled_from(("hub pulls", "leaves pull", "both")))
    for x, y in pairs:
        if shape == "star":
            x_pulls, y_pulls = star_way != "leaves pull", star_way != "hub pulls"
        else:
            x_pulls, y_pulls = draw(st.sampled_from(((True, False), (False, True), (True, True))))
        # a server may refuse to serve a peer that pulls (its push policy for it): mostly it serves
        x_serves, y_serves = draw(st.booleans()) or draw(st.booleans()), draw(st.booleans()) or draw(st.booleans())
        pulls[(x, y)] = (x_pulls, y_serves, draw(st.booleans()))
        pulls[(y, x)] = (y_pulls, x_serves, draw(st.booleans()))
    return Topology(shape, pulls, tuple(draw(st.permutations(sorted(HOSTS)))))


def plan_markings(rng: random.Random, topo: Topology) -> list[tuple[str, str, dict, Made]]:
    """Every TLP x every level on every server, by a random hosted organisation, with random
    recipients among the organisations that server knows (its own and its peers')."""
    out = []
    for server in sorted(HOSTS):
        known = set(HOSTS[server]) | {o for (x, y) in topo.pulls if x == server for o in HOSTS[y]}
        for tlp in TLPS:
            for level in range(5):
                reporter = rng.choice(HOSTS[server])
                recipients: list[tuple[str, str | None, tuple[str, ...]]] = []
                if tlp in RESTRICTED:
                    for org in rng.sample(sorted(known), rng.randint(1, 2)):
                        member = rng.choice(MEMBERS) if tlp == "RED" else None
                        clients = tuple(rng.sample(sorted(known - {org}), rng.randint(0, 1))) if tlp == "AMBER" else ()
                        recipients.append((org, member, clients))
                sg_orgs: frozenset[str] = frozenset()
                sg_servers: tuple[tuple[str, bool], ...] = ()
                if level == 4:
                    sg_orgs = frozenset(rng.sample(ALL_ORGS, rng.randint(0, 2)))
                    sg_servers = tuple((s, rng.random() < 0.5) for s in sorted(HOSTS) if rng.random() < 0.6)
                made = Made("", server, reporter, tlp, tuple(recipients), level, sg_orgs, sg_servers)
                out.append((server, reporter, {"tlp": tlp, "distribution": level}, made))
    return out


def report_json(made: Made, nodes: dict[str, Node], tag: str) -> dict:
    body: dict = {"title": f"{tag} {made.tlp} level {made.level}", "tlp": made.tlp, "distribution": made.level}
    body["recipients"] = [{"org": o, **({"member": m} if m else {}), **({"clients": list(c)} if c else {})} for o, m, c in made.recipients]
    if made.level == 4:
        body["sharing_group"] = {
            "uuid": "6a3c1f0e-2b5d-4c7e-9f10-0123456789ab",
            "name": "fed-test group",
            "orgs": sorted(made.sg_orgs),
            "servers": [{"server": nodes[s].origin, "all_orgs": all_orgs} for s, all_orgs in made.sg_servers],
        }
    return body


# -- the property -----------------------------------------------------------------------------


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(topo=topologies(), seed=st.integers(0, 2**32 - 1))
def test_every_server_holds_exactly_what_the_rules_allow(fed: dict[str, Node], topo: Topology, seed: int) -> None:
    rng = random.Random(seed)
    tag = f"ex{seed:x}"
    # the topology: only this example's peers, every cursor after what the peer already had
    for n in fed.values():
        n.remove_peers()
    for (x, y), (x_pulls, _y_serves, relay) in sorted(topo.pulls.items()):
        x_serves = topo.pulls[(y, x)][1]  # x's push policy for y: y pulls from x only if x serves it
        fed[x].add_peer(fed[y], pull=x_pulls, push=x_serves, relay=relay)
    for x, y in topo.pulls:
        fed[x].set_cursor(fed[y], fed[y].max_seq())
    start = {name: n.max_seq() for name, n in fed.items()}

    made: dict[str, Made] = {}
    for server, reporter, _marking, plan in plan_markings(rng, topo):
        v = fed[server].report(reporter, **report_json(plan, fed, tag))
        made[v.incident_id] = Made(
            v.incident_id, *[getattr(plan, f) for f in ("server", "reporter", "tlp", "recipients", "level", "sg_orgs", "sg_servers")]
        )

    # the oracle: replay the same rounds over dictionaries
    held: dict[str, dict[str, int]] = {s: {} for s in HOSTS}
    for m in made.values():
        held[m.server][m.id] = m.level
    for round_no in range(ROUNDS + 1):
        results = []
        expected_errors = []
        for x in topo.order:
            for y in sorted(y for (xx, y) in topo.pulls if xx == x):
                x_pulls, y_serves, relay = topo.pulls[(x, y)]
                if not x_pulls:
                    continue
                results.append((x, y, fed[x].sync(fed[y])))
                if not y_serves:
                    expected_errors.append((x, y))
                    continue
                for iid, level in list(held[y].items()):
                    m = made[iid]
                    if iid in held[x] or ((m.reporter not in HOSTS[y] or m.server != y) and not relay):
                        continue
                    new = hop(m, level, x)
                    if new is not None:
                        held[x][iid] = new
        errors = [(x, y) for x, y, r in results if r.error]
        assert errors == expected_errors, [(x, y, r.error) for x, y, r in results if r.error]
        for x, y, r in results:
            if r.error:
                assert "403" in r.error and fed[x].peer(fed[y])["last_error"] == r.error
        if round_no == ROUNDS:  # a fixed point: one more round brings nothing
            assert sum(r.received for _x, _y, r in results) == 0

    for name, node in fed.items():
        stored = node.held(after_seq=start[name])
        assert set(stored) == set(held[name]), (
            name,
            topo,
            sorted((made[i].tlp, made[i].level, made[i].server) for i in set(stored) ^ set(held[name])),
        )
        assert {i: int(h["distribution"]) for i, h in stored.items()} == held[name], name
        for iid in stored:
            assert stored[iid]["reporter_org"] == made[iid].reporter

        readers = [(org, member) for org in HOSTS[name] for member in (None, "m1")] + [(None, None)]
        for org, member in readers:
            got = {i.id for i in node.readable(node.who(org, member)) if i.id in made}
            want = {
                iid for iid, level in held[name].items() if tlp_reads(made[iid], org, member) and level_reads(made[iid], level, name, org)
            }
            assert got == want, (name, org, member, sorted((made[i].tlp, made[i].level) for i in got ^ want))
