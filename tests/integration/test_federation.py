"""Federation end to end (issue 21), real servers on loopback (``tests.support.federation``), one
of them on each store (``db_url``): a forked or rolled-back peer log is caught within one sync
round and sync from it stops until the operator resumes; a retraction wipes the content on every
server it reached while the logs only ever held commitments; applying a page again stores
nothing twice; a hostile peer's bad pages store nothing and say why; ``accord peer`` end to
end; the federation routes' authentication and the retract route's authorisation."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi import FastAPI, Request
from fastapi.responses import Response
from typer.testing import CliRunner

from accord.attest import Envelope, FileLog, SigningKey, cosigner_vkey
from accord.errors import VerificationError
from accord.federation import FeedItem, FeedPage, FeedVersion, ServerInfo, request_headers, sign_feed
from accord.incidents import IncidentReport, canonical_document, commit_document, new_incident_salt, sign_commitment
from accord.pipeline import LOCAL_ADMIN, add_incident_version, add_peer, list_cosignatures, list_peers, resume_peer
from accord.server import ServerConfig, create_app
from tests.support.federation import REPORT, Node, federation, link, start_node

pytest.importorskip("fastapi")

HOSTS = {"a": ("alpha", "alpha-two", "shared"), "b": ("bravo", "shared"), "c": ("charlie",)}


@pytest.fixture
def trio(db_url: str, tmp_path: Path) -> Iterator[dict[str, Node]]:
    """Servers a, b, c (b on the store under test, a and c on SQLite); no peers yet."""
    with federation(tmp_path / "fed", HOSTS, db_urls={"b": db_url}) as nodes:
        yield nodes


def log_size(node: Node) -> int:
    with FileLog.open(node.log_dir) as tlog:
        return int(tlog.size)


def version_rows(node: Node) -> int:
    return sum(len(node.versions(i)) for i in node.held())


# -- witnessing: forks and rollbacks ------------------------------------------------------------


def impostor(real: Node, puller: Node, root: Path, entries: int) -> tuple[Any, Any]:
    """Another history of ``real``'s log: the same origin and key, ``entries`` other incidents;
    its app and store (it serves ``puller`` as ``real`` does)."""
    from accord.pipeline import create_org, open_service_store, report_incident

    home = root / f"impostor-{uuid.uuid4().hex[:6]}"
    FileLog.create(home / "log", real.origin).close()
    store = open_service_store(f"sqlite:///{home / 'accord.db'}")
    create_org(store, LOCAL_ADMIN, "alpha", org_id="alpha")
    add_peer(
        store,
        LOCAL_ADMIN,
        puller.url,
        trusted_key=puller.key.public.vkey(puller.origin),
        orgs=list(puller.orgs),
        log_dir=home / "log",
        log_key=str(real.key_file),
    )
    for n in range(entries):
        report_incident(
            store, real.who("alpha"), {**REPORT, "title": f"another history {n}"}, log_dir=home / "log", log_key=str(real.key_file)
        )
    app = create_app(ServerConfig(log_dir=home / "log", signing_key=str(real.key_file), name=real.name), store=store)
    return app, store


@pytest.mark.parametrize("history", ["same size, other root", "rollback", "larger, not extending"])
def test_a_forked_peer_log_is_detected_within_one_round(trio: dict[str, Node], tmp_path: Path, history: str) -> None:
    a, b = trio["a"], trio["b"]
    link(a, b)
    for n in range(3):
        a.report("alpha", title=f"real history {n}")
    first = b.sync(a)
    assert first.error is None and first.received == 3 and first.witnessed_size == 3 and first.cosigned
    witnessed = b.peer(a)
    assert (witnessed["witnessed_size"], witnessed["state"]) == (3, "active")
    held_before, cursor_before = set(b.held()), witnessed["cursor"]

    real = a.switch.app
    shown_size = {"same size, other root": 3, "rollback": 1, "larger, not extending": 5}[history]
    app, store = impostor(a, b, tmp_path, shown_size)
    try:
        a.switch.app = app  # the same URL, key and origin now show another history
        r = b.sync(a)
        assert r.state == "forked" and r.error and r.received == 0, r
        row = b.peer(a)
        assert row["state"] == "forked" and row["fork_detected_at"] and row["last_error"] == r.error
        evidence = row["fork_evidence"]
        assert evidence["witnessed"] == {"size": 3, "root": witnessed["witnessed_root"]}
        assert evidence["shown"].startswith(a.origin + "\n" + f"{shown_size}\n")  # the signed checkpoint it showed
        assert evidence["why"]
        # the witnessed checkpoint is the one b cosigned and publishes
        (cosigned,) = list_cosignatures(b.store, a.origin)
        assert (cosigned["size"], cosigned["root"]) == (3, witnessed["witnessed_root"])
        public = b.call("GET", "/v1/federation/peers").json()["peers"]
        (shown,) = [p for p in public if p["origin"] == a.origin]
        assert shown["state"] == "forked" and shown["fork_evidence"] == evidence and "orgs" not in shown

        # sync from it has stopped: nothing pulled, nothing stored, the cursor kept
        again = b.sync(a)
        assert again.error and "forked" in again.error and again.received == 0 and again.pages == 0
        assert set(b.held()) == held_before and b.peer(a)["cursor"] == cursor_before

        # the operator resumes: still contradicting the witnessed log, it is flagged at once
        assert resume_peer(b.store, LOCAL_ADMIN, a.origin)["state"] == "active"
        assert b.peer(a)["last_error"] is None
        assert b.sync(a).state == "forked"
        # accepting the new history: witnessed afresh, and it syncs again
        row = resume_peer(b.store, LOCAL_ADMIN, a.origin, forget_witnessed=True)
        assert row["state"] == "active" and row["witnessed_size"] is None
        after = b.sync(a)
        assert after.state == "active" and after.error is None and after.witnessed_size == shown_size
    finally:
        a.switch.app = real
        store.close()


def test_a_peer_that_shows_no_checkpoint_after_one_was_witnessed_is_a_rollback(trio: dict[str, Node], tmp_path: Path) -> None:
    """Rolled back to an empty log, the peer answers 404 for its checkpoint: that is the smallest tree."""
    a, b = trio["a"], trio["b"]
    link(a, b)
    a.report("alpha")
    assert b.sync(a).witnessed_size == 1
    real = a.switch.app
    app, store = impostor(a, b, tmp_path, 0)
    try:
        a.switch.app = app
        assert a.call("GET", "/v1/log/checkpoint").status_code == 404
        r = b.sync(a)
        assert r.state == "forked" and b.peer(a)["state"] == "forked", r
    finally:
        a.switch.app = real
        store.close()


def test_an_honest_peer_that_grows_is_witnessed_and_cosigned(trio: dict[str, Node]) -> None:
    a, b = trio["a"], trio["b"]
    link(a, b)
    a.report("alpha")
    assert b.sync(a).witnessed_size == 1
    a.report("alpha")
    a.report("alpha")
    r = b.sync(a)
    assert (r.state, r.witnessed_size, r.cosigned, r.error) == ("active", 3, True, None)
    assert [c["size"] for c in list_cosignatures(b.store, a.origin)] == [3, 1]
    # a publishes b's cosignature on its own checkpoint: a witness line under b's origin
    note = a.call("GET", "/v1/log/checkpoint").text
    assert f"— {b.origin} " in note
    served = b.call("GET", "/v1/federation/cosignatures", params={"origin": a.origin}).json()["cosignatures"]
    assert [c["size"] for c in served] == [3, 1]


# -- retraction ---------------------------------------------------------------------------------


def test_a_retraction_hides_the_content_everywhere_and_the_logs_hold_only_commitments(trio: dict[str, Node]) -> None:
    a, b, c = trio["a"], trio["b"], trio["c"]
    link(a, b)
    link(b, c, relay=True)
    marker, update = f"needle-{uuid.uuid4().hex}", f"update-{uuid.uuid4().hex}"
    made = a.report("alpha", title=f"Incident {marker}", description=f"What happened: {marker}", distribution=3)
    iid = made.incident_id
    add_incident_version(
        a.store,
        a.who("alpha"),
        iid,
        {**REPORT, "title": f"Incident {update}", "description": update, "distribution": 3},
        log_dir=a.log_dir,
        log_key=str(a.key_file),
    )
    for x, y in ((b, a), (c, b)):
        assert x.sync(y).received == 2
    for n in (b, c):
        assert [v["version"] for v in n.call("GET", f"/v1/incidents/{iid}/versions").json()["versions"]] == [1, 2]
        assert marker in n.call("GET", f"/v1/incidents/{iid}/versions").text

    a.retract("alpha", iid, "reported against the wrong system")
    for x, y in ((b, a), (c, b)):
        r = x.sync(y)
        assert r.received == 1 and r.error is None
    for n in (a, b, c):
        got = n.call("GET", f"/v1/incidents/{iid}")
        assert got.status_code == 200 and got.json()["retracted"] is True and got.json()["version"] == 3
        assert got.json()["report"]["title"] == "Retracted by the reporting organisation"
        assert got.json()["report"]["description"] == "reported against the wrong system"
        history = n.call("GET", f"/v1/incidents/{iid}/versions")
        assert [v["version"] for v in history.json()["versions"]] == [3]
        listed = n.call("GET", "/v1/incidents", params={"q": marker})
        assert listed.json()["incidents"] == []
        for text in (got.text, history.text, n.call("GET", "/v1/incidents").text):
            assert marker not in text and update not in text
        rows = n.versions(iid)
        assert [(v["version"], bool(v["hidden"]), bool(v["retracted"])) for v in rows] == [
            (1, True, False),
            (2, True, False),
            (3, False, True),
        ]
        assert not any(v["report_json"] for v in rows[:2])  # wiped, not just hidden
        stored = json.dumps([*rows, n.held()[iid]], default=str)
        assert marker not in stored and update not in stored
        # the log holds each version's signed commitment statement, and never content
        for v in rows:
            with FileLog.open(n.log_dir) as tlog:
                entry = tlog.verified_entry(int(v["log_index"]))
            assert json.loads(v["envelope_json"]) == Envelope.from_json(entry).to_dict()
            assert [s["digest"]["sha256"] for s in _statement(entry)["subject"]] == [v["commitment"]]
        for f in n.log_dir.rglob("*"):
            if f.is_file():
                data = f.read_bytes()
                assert marker.encode() not in data and update.encode() not in data, f


def _statement(entry: bytes) -> dict[str, Any]:
    env = json.loads(entry)
    return dict(json.loads(base64.b64decode(env["payload"])))


@pytest.mark.parametrize(
    "change",
    [
        {"tlp": "RED", "recipients": [{"org": "alpha-two", "member": "m1"}], "distribution": 3},  # b hosts no recipient
        {"tlp": "GREEN", "distribution": 0},  # this organisation only: b does not host alpha
    ],
    ids=["now RED for others", "now level 0"],
)
def test_a_retraction_reaches_a_server_that_holds_an_earlier_version_the_last_marking_excludes(
    trio: dict[str, Node], change: dict[str, Any]
) -> None:
    a, b = trio["a"], trio["b"]
    link(a, b)
    marker = f"needle-{uuid.uuid4().hex}"
    iid = a.report("alpha", title=f"Incident {marker}", tlp="GREEN", distribution=3).incident_id
    assert b.sync(a).received == 1
    add_incident_version(a.store, a.who("alpha"), iid, {**REPORT, **change}, log_dir=a.log_dir, log_key=str(a.key_file))
    a.retract("alpha", iid)
    r = b.sync(a)
    assert r.error is None
    (first, *_rest) = b.versions(iid)
    assert first["hidden"] and not first["report_json"], "b still serves the content of a retracted incident"
    for path in (f"/v1/incidents/{iid}", f"/v1/incidents/{iid}/versions", "/v1/incidents"):
        assert marker not in b.call("GET", path, b.token("bravo")).text


# -- idempotency --------------------------------------------------------------------------------


def test_syncing_again_or_replaying_a_page_stores_nothing_twice(trio: dict[str, Node]) -> None:
    a, b = trio["a"], trio["b"]
    link(a, b)
    ids = [a.report("alpha", title=f"incident {n}", tlp="GREEN", distribution=3).incident_id for n in range(6)]
    add_incident_version(
        a.store, a.who("alpha"), ids[0], {**REPORT, "tlp": "GREEN", "distribution": 3}, log_dir=a.log_dir, log_key=str(a.key_file)
    )
    a.retract("alpha", ids[1])
    first = b.sync(a)
    assert (first.received, first.skipped, first.error) == (7, 0, None)  # a wiped version is not sent
    rows, size, seq = version_rows(b), log_size(b), b.max_seq()
    second = b.sync(a)
    assert (second.received, second.skipped, second.pages) == (0, 0, 1)
    b.set_cursor(a, 0)  # a crash after the apply, before the cursor was seen: the page comes again
    replay = b.sync(a)
    assert (replay.received, replay.skipped, replay.error) == (0, 7, None)
    assert version_rows(b) == rows and log_size(b) == size and b.max_seq() == seq  # no row, no log entry, no update
    assert b.peer(a)["cursor"] == first.cursor
    assert sorted(b.held()) == sorted(ids)


# -- a hostile peer -----------------------------------------------------------------------------

HOSTILE_ORIGIN = "hostile.example/log"


def hostile_version(
    key: SigningKey, reporter: str, *, level: int = 3, tlp: str = "CLEAR", iid: str | None = None
) -> tuple[str, FeedVersion]:
    """A version correctly committed to and signed by ``key``."""
    iid = iid or str(uuid.uuid4())
    created = datetime.now(UTC)
    report = IncidentReport.model_validate({**REPORT, "tlp": tlp, "distribution": level})
    salt = new_incident_salt()
    commitment = commit_document(salt, canonical_document(iid, 1, reporter, created, report))
    env = sign_commitment(commitment, key, committed_at=created)
    return iid, FeedVersion(
        version=1, created_at=created, report=report, salt=salt.hex(), commitment=commitment, envelope=env.to_dict(), distribution=level
    )


class Hostile:
    """A loopback double of a peer: the right key at /v1/federation/info, pages as ``mode`` says."""

    def __init__(self) -> None:
        self.key, self.other = SigningKey.generate(), SigningKey.generate()
        self.mode = "honest"
        self.requests: list[str] = []
        self.app = FastAPI()
        info = ServerInfo(
            origin=HOSTILE_ORIGIN,
            log_vkey=self.key.public.vkey(HOSTILE_ORIGIN),
            witness_vkey=cosigner_vkey(self.key.public, HOSTILE_ORIGIN),
            name="hostile",
        )

        @self.app.get("/v1/federation/info")
        def _info() -> dict[str, Any]:
            return info.model_dump()

        @self.app.get("/v1/log/checkpoint")
        def _checkpoint() -> Response:
            return Response(status_code=404)

        @self.app.get("/v1/federation/feed")
        def _feed(request: Request, after: int = 0) -> Response:
            self.requests.append(request.headers.get("accord-peer", ""))
            body, sig = self.page(request.headers.get("accord-peer", ""), after)
            return Response(body, media_type="application/json", headers={"Accord-Signature": sig})

    def page(self, peer: str, after: int) -> tuple[bytes, str]:
        mode, key = self.mode, self.key
        reporter = {"not our org": "elsewhere", "level 0 for an org not hosted": "hostile-org"}.get(mode, "hostile-org")
        level = 0 if mode == "level 0 for an org not hosted" else 3
        iid, v = hostile_version(self.other if mode == "envelope by another key" else key, reporter, level=level)
        if mode == "content does not reproduce its commitment":
            v = v.model_copy(update={"report": v.report.model_copy(update={"title": "something else"})})
        page = FeedPage(
            origin=HOSTILE_ORIGIN,
            peer="another.example/log" if mode == "made for another peer" else peer,
            generated_at=datetime.now(UTC),
            after=after,
            next=after + 1,
            more=False,
            items=(FeedItem(incident_id=iid, reporter_org=reporter, origin=HOSTILE_ORIGIN, versions=(v,)),),
        )
        body = page.model_dump_json().encode()
        return body, sign_feed(body, self.other if mode == "bad page signature" else key)


@pytest.fixture
def hostile(trio: dict[str, Node]) -> Iterator[tuple[Hostile, str]]:
    from tests.support.loopback import serve_app

    double = Hostile()
    with serve_app(double.app) as url:
        yield double, url


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("bad page signature", "signature does not verify"),
        ("made for another peer", "made for 'another.example/log'"),
        ("content does not reproduce its commitment", "does not reproduce its commitment"),
        ("envelope by another key", ""),
    ],
)
def test_a_hostile_peers_bad_pages_store_nothing(trio: dict[str, Node], hostile: tuple[Hostile, str], mode: str, says: str) -> None:
    b = trio["b"]
    double, url = hostile
    add_peer(
        b.store,
        LOCAL_ADMIN,
        url,
        trusted_key=double.key.public.vkey(HOSTILE_ORIGIN),
        orgs=["hostile-org"],
        log_dir=b.log_dir,
        log_key=str(b.key_file),
    )
    double.mode = "honest"
    b.report("bravo")  # b's log is not empty, so nothing logged shows as an unchanged size
    size = log_size(b)
    double.mode = mode
    r = b.sync(HostilePeer(url))
    assert r.error and says in r.error and r.received == 0, r.error
    assert double.requests == [b.origin]  # it was asked, as b, for its feed
    row = next(p for p in list_peers(b.store) if p["origin"] == HOSTILE_ORIGIN)
    assert row["last_error"] == r.error and row["cursor"] == 0 and row["received"] == 0
    assert [h["reporter_org"] for h in b.held().values()] == ["bravo"] and log_size(b) == size
    double.mode = "honest"  # the same peer behaving: its incident is taken
    ok = b.sync(HostilePeer(url))
    assert (ok.received, ok.error) == (1, None)
    assert next(p for p in list_peers(b.store) if p["origin"] == HOSTILE_ORIGIN)["last_error"] is None


class HostilePeer:
    """What ``Node.sync`` needs of a peer: its origin."""

    def __init__(self, url: str) -> None:
        self.url, self.origin = url, HOSTILE_ORIGIN


@pytest.mark.parametrize("mode", ["not our org", "level 0 for an org not hosted"])
def test_a_peer_may_not_send_what_its_policy_or_the_rules_forbid(trio: dict[str, Node], hostile: tuple[Hostile, str], mode: str) -> None:
    b = trio["b"]
    double, url = hostile
    add_peer(
        b.store,
        LOCAL_ADMIN,
        url,
        trusted_key=double.key.public.vkey(HOSTILE_ORIGIN),
        orgs=["hostile-org"],
        log_dir=b.log_dir,
        log_key=str(b.key_file),
    )
    double.mode = mode
    r = b.sync(HostilePeer(url))
    assert (r.received, r.refused, r.error) == (0, 1, None)
    if mode == "not our org":
        assert any("does not speak for elsewhere" in n for n in r.notes)
    assert b.held() == {}
    # relaying: incidents of organisations the peer does not speak for are taken; level 0 still is not
    add_peer(
        b.store,
        LOCAL_ADMIN,
        url,
        trusted_key=double.key.public.vkey(HOSTILE_ORIGIN),
        orgs=["hostile-org"],
        relay=True,
        log_dir=b.log_dir,
        log_key=str(b.key_file),
    )
    r = b.sync(HostilePeer(url))
    assert r.error is None and (r.received, r.refused) == ((1, 0) if mode == "not our org" else (0, 1))


# -- the CLI ------------------------------------------------------------------------------------


def _cli() -> typer.Typer:
    from accord.cli.peer import app as peer_app

    app = typer.Typer()
    app.add_typer(peer_app, name="peer")
    return app


def _peer(node: Node, db: str, *args: str) -> Any:
    extra = ["--db", db]
    if args[0] in ("add", "sync"):
        extra += ["--log-dir", str(node.log_dir), "--signing-key", str(node.key_file)]
    return CliRunner().invoke(_cli(), ["peer", *args, *extra], catch_exceptions=True, env={"COLUMNS": "300"})


def test_accord_peer_add_list_sync_remove(trio: dict[str, Node], db_url: str) -> None:
    a, b = trio["a"], trio["b"]
    a.add_peer(b)  # a serves b
    a.report("alpha", title="over the CLI", tlp="GREEN", distribution=3)
    wrong = SigningKey.generate().public.vkey(a.origin)
    r = _peer(b, db_url, "add", a.url, "--trusted-key", wrong, "--org", "alpha,shared")
    assert isinstance(r.exception, VerificationError) and "signs with another key" in r.exception.what
    assert json.loads(_peer(b, db_url, "list", "--json").stdout) == []

    r = _peer(
        b, db_url, "add", a.url, "--trusted-key", a.key.public.vkey(a.origin), "--org", "alpha", "--org", "shared", "--name", "alpha-server"
    )
    assert r.exit_code == 0, r.output
    assert f"peer alpha-server ({a.origin}) at {a.url}: orgs alpha, shared" in r.stdout
    (row,) = json.loads(_peer(b, db_url, "list", "--json").stdout)
    assert (row["origin"], row["orgs"], row["state"], row["cursor"]) == (a.origin, ["alpha", "shared"], "active", 0)
    assert "alpha-server" in _peer(b, db_url, "list").stdout

    r = _peer(b, db_url, "sync", "--json")
    assert r.exit_code == 0, r.output
    (done,) = json.loads(r.stdout)
    assert (done["peer"], done["received"], done["error"]) == (a.origin, 1, None)
    assert [h["reporter_org"] for h in b.held().values()] == ["alpha"]
    r = _peer(b, db_url, "sync", "alpha-server")
    assert r.exit_code == 0 and "0 received" in r.stdout

    assert "removed" in _peer(b, db_url, "remove", "alpha-server").stdout
    assert "no peers" in _peer(b, db_url, "list").stdout
    assert "no peer to pull from" in _peer(b, db_url, "sync").stdout


def test_accord_peer_add_with_a_wrong_key_refuses_as_a_command(trio: dict[str, Node], tmp_path: Path) -> None:
    a = trio["a"]
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    wrong = SigningKey.generate().public.vkey(a.origin)
    key_file = tmp_path / "k.pem"
    key_file.write_bytes(SigningKey.generate().to_pem())
    key_file.chmod(0o600)
    cmd = [
        sys.executable,
        "-m",
        "accord.cli.main",
        "peer",
        "add",
        a.url,
        "--trusted-key",
        wrong,
        "--org",
        "alpha",
        "--db",
        db,
        "--log-dir",
        str(tmp_path / "log"),
        "--signing-key",
        str(key_file),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "signs with another key" in proc.stderr, proc.stderr
    assert "--trusted-key" in proc.stderr  # the fix names the flag


# -- HTTP ---------------------------------------------------------------------------------------


def _feed(node: Node, headers: dict[str, str]) -> Any:
    return node.call("GET", "/v1/federation/feed?after=0&limit=10", headers=headers)


def test_the_feed_needs_a_signed_request_from_a_peer_it_serves(trio: dict[str, Node]) -> None:
    a, b, c = trio["a"], trio["b"], trio["c"]
    link(a, b)
    a.add_peer(c, push=False)
    path = "/v1/federation/feed?after=0&limit=10"
    assert _feed(a, {}).status_code == 401
    good = request_headers("GET", path, b.origin, b.key)
    assert _feed(a, good).status_code == 200
    forged = request_headers("GET", path, b.origin, SigningKey.generate())
    r = _feed(a, forged)
    assert r.status_code == 401 and "signature" in r.json()["error"]
    stale = request_headers("GET", path, b.origin, b.key, now=datetime.fromtimestamp(time.time() - 3600, UTC))
    assert _feed(a, stale).status_code == 401
    other_path = request_headers("GET", "/v1/federation/feed?after=5&limit=10", b.origin, b.key)
    assert _feed(a, other_path).status_code == 401  # a signature covers the exact query
    assert _feed(a, {**good, "Accord-Peer-Signature": "not base64!"}).status_code == 401
    stranger = request_headers("GET", path, "stranger.example/log", SigningKey.generate())
    assert _feed(a, stranger).status_code == 401
    refused = _feed(a, request_headers("GET", path, c.origin, c.key))
    assert refused.status_code == 403 and "does not serve its feed" in refused.json()["error"]
    assert "Accord-Signature" not in refused.headers


def test_only_the_reporter_retracts(trio: dict[str, Node]) -> None:
    a, b = trio["a"], trio["b"]
    link(a, b)
    clear = a.report("alpha").incident_id
    amber = a.report("alpha", tlp="AMBER", recipients=[{"org": "bravo"}]).incident_id
    shared = a.report("shared", tlp="GREEN", distribution=3).incident_id
    b.sync(a)
    body = {"reason": "not mine to retract"}
    assert a.call("POST", f"/v1/incidents/{clear}/retract", json=body).status_code == 401
    other = a.token("alpha-two")
    r = a.call("POST", f"/v1/incidents/{clear}/retract", other, json=body)
    assert r.status_code == 403 and "only the reporting organisation" in r.json()["error"]
    assert a.call("POST", f"/v1/incidents/{amber}/retract", other, json=body).status_code == 404  # it cannot read it
    reader = a.token("alpha", role="public")
    assert a.call("POST", f"/v1/incidents/{clear}/retract", reader, json=body).status_code == 403  # no write scope
    # on a server that received it, even the reporter organisation retracts at the source
    r = b.call("POST", f"/v1/incidents/{shared}/retract", b.token("shared"), json=body)
    assert r.status_code == 400 and "received from" in r.json()["error"]
    for node in (a, b):
        assert not any(h["retracted"] for h in node.held().values())
    ok = a.call("POST", f"/v1/incidents/{clear}/retract", a.token("alpha"), json=body)
    assert ok.status_code == 201 and ok.json()["retracted"] is True
    assert a.call("POST", f"/v1/incidents/{clear}/retract", a.token("alpha"), json=body).status_code == 400  # once


def test_start_node_serves_its_info(tmp_path: Path) -> None:
    with start_node("solo", ["solo-org"], tmp_path) as n:
        info = n.call("GET", "/v1/federation/info").json()
        assert info["origin"] == n.origin and info["name"] == "solo"
        assert info["log_vkey"] == n.key.public.vkey(n.origin)
