"""A retraction reaches every server that holds a version of the incident (issue 21), even when
the latest marking, which the retraction carries, would no longer admit that server: it carries
no content, and it must wipe what spread under the earlier, wider marking."""

from __future__ import annotations

from pathlib import Path

from tests.support.federation import federation, link


def test_a_retraction_reaches_a_server_the_narrowed_marking_excludes(tmp_path: Path) -> None:
    with federation(tmp_path, {"a": ["org-a"], "b": ["org-b"], "c": ["org-c"]}) as fed:
        a, b, c = fed["a"], fed["b"], fed["c"]
        link(a, b)
        link(a, c)
        v1 = a.report("org-a", tlp="GREEN", distribution=3, title="the first account")
        assert b.sync(a).received == 1
        iid = v1.incident_id
        # v2 narrows the marking to org-c only: B may not receive it
        from accord.pipeline import add_incident_version

        add_incident_version(
            a.store,
            a.who("org-a"),
            iid,
            {
                "title": "narrowed",
                "description": "d",
                "system": {"name": "s"},
                "severity": "incident",
                "aware_at": "2026-11-20T08:00:00Z",
                "tlp": "AMBER+STRICT",
                "recipients": [{"org": "org-c"}],
                "distribution": 3,
            },
            log_dir=a.log_dir,
            log_key=str(a.key_file),
        )
        got = b.sync(a)
        assert got.received == 0 and got.error is None, got
        assert [v["version"] for v in b.versions(iid)] == [1]
        assert c.sync(a).received == 2  # C is admitted by both markings
        a.retract("org-a", iid, "reported in error")
        got = b.sync(a)
        assert got.received == 1 and got.error is None, got
        rows = {v["version"]: v for v in b.versions(iid)}
        assert set(rows) == {1, 3}
        assert rows[1]["hidden"] and rows[1]["report_json"] == "" and rows[3]["retracted"]
        assert c.sync(a).received == 1
        assert [(v["version"], bool(v["hidden"])) for v in c.versions(iid)] == [(1, True), (2, True), (3, False)]


def test_a_relaying_peer_cannot_forge_a_retraction_of_a_known_servers_incident(tmp_path: Path) -> None:
    """C pulls A's incident through B (relay) and knows A: a retraction B makes up, without A's
    envelope over its commitment, is refused; the genuine one A made, relayed by B, is taken."""
    import json
    from datetime import UTC, datetime

    from accord.incidents import IncidentReport, SystemRef, canonical_document, commit_document, new_incident_salt, sign_commitment
    from accord.pipeline._incident_jobs import _stamp, federation_columns, marking_json
    from accord.store import Incidents

    with federation(tmp_path, {"a": ["org-a"], "b": ["org-b"], "c": ["org-c"]}) as fed:
        a, b, c = fed["a"], fed["b"], fed["c"]
        link(a, b)
        link(b, c, relay=True)
        c.add_peer(a, pull=False)  # C knows A's key, but pulls only through B
        a.add_peer(c, pull=False)
        iid = a.report("org-a", tlp="CLEAR", distribution=3, title="the account").incident_id
        assert b.sync(a).received == 1
        got = c.sync(b)
        assert got.received == 1 and got.error is None, got  # relayed with A's envelope, checked under A's key

        # B forges version 2, a retraction, signing everything with its own key
        now = datetime.now(UTC)
        forged = IncidentReport(
            title="Retracted by the reporting organisation",
            description="forged",
            system=SystemRef(name="retracted"),
            severity="incident",
            status="withdrawn",
            aware_at=datetime(2026, 11, 20, 8, tzinfo=UTC),
            tlp="CLEAR",
            distribution=3,
        )
        salt = new_incident_salt()
        commitment = commit_document(salt, canonical_document(iid, 2, "org-a", now, forged))
        envelope = json.dumps(sign_commitment(commitment, b.key, committed_at=now).to_dict(), sort_keys=True)
        inc = Incidents(b.store)
        with inc.transaction() as conn:
            head = inc.heads([iid], conn=conn)[iid]
            header = {
                **{k: head[k] for k in ("id", "reporter_org", "created_at", "hazards")},
                "updated_at": _stamp(now),
                "version": 2,
                "tlp": "CLEAR",
                "status": "withdrawn",
                "severity": "incident",
                "search": "forged",
                **federation_columns(forged, 3, b.origin),
                "source": a.origin,
                "retracted": True,
            }
            version = {
                "incident_id": iid,
                "version": 2,
                "created_at": _stamp(now),
                "submitted_by": "forger",
                "report_json": forged.model_dump_json(),
                "commitment": commitment,
                "salt": salt.hex(),
                "log_index": None,
                "envelope_json": envelope,
                "distribution": 3,
                "source": a.origin,
                "retracted": True,
                "hidden": False,
                "marking_json": marking_json(forged, 3),
                "origin": a.origin,
                "origin_envelope_json": envelope,  # B's signature where A's should be
            }
            inc.put_many(conn, [(header, [version], [], True)])
            inc.hide_before(conn, iid, 2)
        got = c.sync(b)
        assert got.received == 0 and got.refused == 1 and got.error is None, got
        assert any("no valid envelope by its origin" in n for n in got.notes), got.notes
        assert [(v["version"], bool(v["hidden"])) for v in c.versions(iid)] == [(1, False)]  # C's copy is untouched
