"""Real accord servers on loopback for federation tests (issue 21).

Each ``Node`` is one server: its own store (a SQLite file, or a PostgreSQL database given by
URL), its own server key (signs its log's checkpoints and its pull requests) and log directory,
the organisations it hosts, and a uvicorn server on 127.0.0.1. The app is served behind a
``Switch``, an ASGI app whose target a test may replace, so another app (a forked log, a
hostile double) answers at the same URL.

    from tests.support.federation import federation, link, sync_round

    with federation(tmp_path, {"a": ["org-a"], "b": ["org-b"]}, db_urls={"b": pg_url}) as fed:
        a, b = fed["a"], fed["b"]
        link(a, b)                       # each adds the other as a peer: both pull, both serve
        made = a.report("org-a", tlp="GREEN", distribution=3)
        sync_round([a, b])               # each node syncs every peer it pulls from, in order
        assert made.incident_id in b.held()

Everything goes through the pipeline's public jobs (``report_incident``, ``add_peer``,
``sync_peer``, ...) as the CLI and the server call them; ``Node.http`` reaches the real HTTP API.
``fresh_postgres_database`` makes (and drops) an empty database on a PostgreSQL server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from accord.attest import SigningKey
from accord.pipeline import (
    LOCAL_ADMIN,
    Principal,
    add_peer,
    create_org,
    create_token,
    federation_info,
    list_peers,
    open_service_store,
    readable_incidents,
    remove_peer,
    report_incident,
    retract_incident,
    sync_peer,
)

__all__ = [
    "REPORT",
    "Node",
    "Switch",
    "federation",
    "fresh_postgres_database",
    "link",
    "start_node",
    "sync_round",
    "sync_until_quiet",
]

#: The fields of a valid report that tests do not care about (override any of them).
REPORT: dict[str, Any] = {
    "title": "Agent deleted a scheduling database",
    "description": "An autonomous agent ran a destructive command.",
    "system": {"name": "fed-agent"},
    "severity": "incident",
    "aware_at": "2026-11-20T08:00:00Z",
    "tlp": "CLEAR",
}


class Switch:
    """An ASGI app that forwards to ``self.app``; assign another app to serve it at the same URL."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@dataclass
class Node:
    """One running server. ``orgs``: the organisations it hosts (created in its store)."""

    name: str
    store: Any
    key: SigningKey
    key_file: Path
    log_dir: Path
    url: str
    origin: str
    orgs: tuple[str, ...]
    switch: Switch
    http: httpx.Client
    _tokens: dict[tuple[str, str, str | None], str] = field(default_factory=dict)

    # -- who -------------------------------------------------------------------------------

    def who(self, org: str | None, member: str | None = None, role: str = "provider") -> Principal:
        """A principal of ``org`` as a token would make it (``org`` None: anonymous)."""
        if org is None:
            return Principal(org=None, role="public")
        return Principal(org=org, role=role, token_id=f"t-{org}-{member or ''}", member=member)  # type: ignore[arg-type]

    def token(self, org: str, role: str = "provider", member: str | None = None) -> str:
        """A real bearer token of ``org`` on this server (made once, cached), for ``call``."""
        k = (org, role, member)
        if k not in self._tokens:
            self._tokens[k] = create_token(self.store, LOCAL_ADMIN, org, role, member=member)["token"]
        return self._tokens[k]

    def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        """An HTTP request to this server, with ``token`` as its bearer token if given."""
        headers = {**kw.pop("headers", {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        return self.http.request(method, path, headers=headers, **kw)

    # -- incidents -------------------------------------------------------------------------

    def report(self, org: str, member: str | None = None, **fields: Any) -> Any:
        """Report an incident as ``org`` (``fields`` override ``REPORT``); the ``IncidentVersion``."""
        return report_incident(self.store, self.who(org, member), {**REPORT, **fields}, log_dir=self.log_dir, log_key=str(self.key_file))

    def retract(self, org: str, incident_id: str, reason: str = "reported in error") -> Any:
        return retract_incident(self.store, self.who(org), incident_id, reason, log_dir=self.log_dir, log_key=str(self.key_file))

    def held(self, *, after_seq: int = 0) -> dict[str, dict[str, Any]]:
        """Every incident this server stores (updated after ``after_seq``): id -> header row."""
        from accord.store import Incidents

        out: dict[str, dict[str, Any]] = {}
        while True:
            rows = Incidents(self.store).feed(after_seq=after_seq, limit=500)
            for head, _versions in rows:
                out[head["id"]] = head
            if len(rows) < 500:
                return out
            after_seq = int(rows[-1][0]["update_seq"])

    def versions(self, incident_id: str) -> list[dict[str, Any]]:
        """The stored version rows of one incident (hidden ones too), oldest first."""
        from accord.store import Incidents

        return list(Incidents(self.store).versions(incident_id, limit=1000))

    def max_seq(self) -> int:
        from accord.store import Incidents

        return int(Incidents(self.store).max_seq())

    def readable(self, who: Principal, **filters: Any) -> list[Any]:
        """Every incident ``readable_incidents`` gives ``who`` (all pages)."""
        out: list[Any] = []
        cursor = None
        while True:
            page = readable_incidents(self.store, who, limit=500, cursor=cursor, **filters)
            out.extend(page.items)
            if page.next_cursor is None:
                return out
            cursor = page.next_cursor

    # -- peers -----------------------------------------------------------------------------

    def add_peer(
        self, other: Node, *, orgs: Iterable[str] | None = None, pull: bool = True, push: bool = True, relay: bool = False
    ) -> dict[str, Any]:
        """Add ``other`` as a peer, pinned by its real key; ``orgs``: default the ones it hosts."""
        return add_peer(
            self.store,
            LOCAL_ADMIN,
            other.url,
            trusted_key=other.key.public.vkey(other.origin),
            orgs=list(other.orgs if orgs is None else orgs),
            pull=pull,
            push=push,
            relay=relay,
            name=other.name,
            log_dir=self.log_dir,
            log_key=str(self.key_file),
        )

    def remove_peers(self) -> None:
        for row in list_peers(self.store):
            remove_peer(self.store, LOCAL_ADMIN, row["origin"])

    def peer(self, other: Node) -> dict[str, Any] | None:
        """This server's view of ``other`` (``list_peers`` row), or None."""
        return next((r for r in list_peers(self.store) if r["origin"] == other.origin), None)

    def set_cursor(self, other: Node, cursor: int) -> None:
        """Move the pull cursor for ``other`` (tests: skip what is already there, or re-pull)."""
        from accord.store import Federation

        Federation(self.store).update_peer(other.origin, cursor=cursor)

    def sync(self, other: Node) -> Any:
        """One sync round with ``other`` (``sync_peer``): the ``PeerSync``."""
        return sync_peer(self.store, self.log_dir, other.origin, log_key=str(self.key_file))


@contextmanager
def start_node(name: str, orgs: Sequence[str], root: Path, *, db_url: str | None = None) -> Iterator[Node]:
    """Start one server named ``name`` hosting ``orgs`` under ``root/name`` (store: ``db_url``, else SQLite there)."""
    from accord.server import ServerConfig, create_app
    from tests.support.loopback import serve_app

    home = Path(root) / name
    home.mkdir(parents=True, exist_ok=True)
    key = SigningKey.generate()
    key_file = home / "server-key.pem"
    key_file.write_bytes(key.to_pem())
    os.chmod(key_file, 0o600)
    store = open_service_store(db_url or f"sqlite:///{home / 'accord.db'}")
    try:
        for org in orgs:
            create_org(store, LOCAL_ADMIN, org, org_id=org)
        log_dir = home / "log"
        origin = federation_info(log_dir, log_key=str(key_file)).origin
        switch = Switch(create_app(ServerConfig(log_dir=log_dir, signing_key=str(key_file), name=name), store=store))
        with serve_app(switch) as url, httpx.Client(base_url=url, timeout=30) as http:
            yield Node(name, store, key, key_file, log_dir, url, origin, tuple(orgs), switch, http)
    finally:
        store.close()


@contextmanager
def federation(root: Path, hosts: Mapping[str, Sequence[str]], *, db_urls: Mapping[str, str] | None = None) -> Iterator[dict[str, Node]]:
    """Start one server per entry of ``hosts`` (name -> organisations it hosts); no peers yet."""
    with ExitStack() as stack:
        yield {name: stack.enter_context(start_node(name, orgs, root, db_url=(db_urls or {}).get(name))) for name, orgs in hosts.items()}


def link(
    x: Node, y: Node, *, x_pulls: bool = True, y_pulls: bool = True, x_serves: bool = True, y_serves: bool = True, relay: bool = False
) -> None:
    """Make ``x`` and ``y`` peers of each other. ``x_pulls``: x pulls from y; ``y_serves``: y
    lets x pull (its ``push`` policy for x); the same the other way; ``relay`` for both."""
    x.add_peer(y, pull=x_pulls, push=x_serves, relay=relay)
    y.add_peer(x, pull=y_pulls, push=y_serves, relay=relay)


def sync_round(nodes: Sequence[Node]) -> list[Any]:
    """Each node in order syncs each peer it pulls from (by peer name, as ``sync_all`` does)."""
    by_origin = {n.origin: n for n in nodes}
    results = []
    for n in nodes:
        for row in sorted(list_peers(n.store), key=lambda r: (r["name"], r["origin"])):
            if row["pull"] and row["state"] == "active" and row["origin"] in by_origin:
                results.append(n.sync(by_origin[row["origin"]]))
    return results


def sync_until_quiet(nodes: Sequence[Node], *, max_rounds: int = 8) -> int:
    """Sync rounds until one receives nothing (a fixed point); the number of rounds run."""
    for n in range(1, max_rounds + 1):
        if not any(r.received for r in sync_round(nodes)):
            return n
    raise AssertionError(f"no fixed point after {max_rounds} sync rounds")


@contextmanager
def fresh_postgres_database(base_url: str) -> Iterator[str]:
    """An empty database on the server of ``base_url`` (dropped afterwards): its URL."""
    import sqlalchemy as sa

    name = "accord_fed_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    try:
        yield base_url.rsplit("/", 1)[0] + "/" + name
    finally:
        admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
