"""``accord org``, ``accord token``, ``accord audit`` end to end on SQLite and PostgreSQL (issue 20):
a token printed once by the CLI works against the real server over loopback until the CLI
revokes it, and the audit log the CLI verifies catches a tampered record."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from accord.cli.org import audit_app, org_app, token_app

pytest.importorskip("fastapi")


def _cli() -> typer.Typer:
    """The three groups as `accord` mounts them (cli/main.py GROUPS), independent of that table."""
    app = typer.Typer()
    app.add_typer(org_app, name="org")
    app.add_typer(token_app, name="token")
    app.add_typer(audit_app, name="audit")
    return app


def _run(db: str, *args: str, code: int = 0) -> str:
    from accord.errors import AccordError

    r = CliRunner().invoke(_cli(), [*args, "--db", db], catch_exceptions=True)
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        if isinstance(r.exception, AccordError) and code == 2:
            return str(r.exception)
        raise r.exception
    assert r.exit_code == code, r.output
    return r.stdout


def test_the_cli_administers_tokens_the_server_honours(db_url: str, tmp_path: Path) -> None:
    from accord.server import ServerConfig, create_app
    from tests.support.loopback import serve_app

    assert "acme-labs" in _run(db_url, "org", "add", "Acme Labs")
    orgs = json.loads(_run(db_url, "org", "list", "--json"))
    assert [o["id"] for o in orgs] == ["acme-labs"]
    made = json.loads(
        _run(db_url, "token", "create", "--org", "acme-labs", "--role", "auditor", "--member", "ana", "--expires", "30d", "--json")
    )
    token = made["token"]
    plain = CliRunner().invoke(_cli(), ["token", "create", "--org", "acme-labs", "--role", "provider", "--scope", "read", "--db", db_url])
    assert plain.exit_code == 0 and plain.stdout.strip().startswith("acc_") and "shown once" in plain.stderr

    listed = _run(db_url, "token", "list", "--json")
    assert token not in listed and made["id"] in listed

    app = create_app(ServerConfig(db=db_url, log_dir=tmp_path / "log"))
    try:
        with serve_app(app) as base:
            auth = {"Authorization": f"Bearer {token}"}
            me = httpx.get(f"{base}/v1/whoami", headers=auth).json()
            assert (me["org"], me["role"], me["member"], me["token_id"]) == ("acme-labs", "auditor", "ana", made["id"])
            assert httpx.get(f"{base}/v1/whoami").json()["anonymous"] is True
            assert _run(db_url, "token", "revoke", made["id"]).startswith(f"token {made['id']} revoked")
            r = httpx.get(f"{base}/v1/whoami", headers=auth)
            assert r.status_code == 401 and r.json()["error"] == "invalid token" and token not in r.text
    finally:
        app.state.accord.close()

    audit = json.loads(_run(db_url, "audit", "list", "--json", "--limit", "1000"))
    actions = [(r["action"], r["allowed"]) for r in audit]
    assert ("orgs.create", True) in actions and ("tokens.revoke", True) in actions and ("auth", False) in actions
    assert token not in json.dumps(audit)
    assert "intact" in _run(db_url, "audit", "verify")

    eng = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with eng.begin() as conn:
        conn.execute(sa.text("UPDATE service_audit SET allowed = NOT allowed WHERE seq = 1"))
    eng.dispose()
    r = CliRunner().invoke(_cli(), ["audit", "verify", "--db", db_url])
    assert r.exit_code == 1 and "record 1" in r.stderr and "edited" in r.stderr
    report = json.loads(CliRunner().invoke(_cli(), ["audit", "verify", "--json", "--db", db_url]).stdout)
    assert report["ok"] is False


def test_cli_refusals_change_nothing(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    _run(db, "org", "add", "acme")
    assert "exists" in _run(db, "org", "add", "Acme", code=2)
    assert "unknown role" in _run(db, "token", "create", "--org", "acme", "--role", "root", code=2)
    assert "no organisation" in _run(db, "token", "create", "--org", "nope", "--role", "provider", code=2)
    assert "past" in _run(db, "token", "create", "--org", "acme", "--role", "provider", "--expires", "2001-01-01", code=2)
    assert "cannot hold" in _run(db, "token", "create", "--org", "acme", "--role", "public", "--scope", "publish", code=2)
    assert json.loads(_run(db, "token", "list", "--json")) == []
    missing = f"sqlite:///{tmp_path / 'missing.db'}"
    _run(missing, "org", "list", code=2)  # a read command does not create a store
    assert not (tmp_path / "missing.db").exists()


def test_org_keys_from_the_cli(tmp_path: Path) -> None:
    from accord.attest import SigningKey

    db = f"sqlite:///{tmp_path / 'a.db'}"
    _run(db, "org", "add", "acme")
    key = SigningKey.generate()
    pem = tmp_path / "k.pem"
    pem.write_text(key.public.pem())
    assert key.public.keyid in _run(db, "org", "key", "add", "acme", str(pem), "--name", "ci")
    rows = json.loads(_run(db, "org", "key", "list", "acme", "--json"))
    assert [r["id"] for r in rows] == [key.public.keyid] and rows[0]["public_key_pem"] == key.public.pem()
    _run(db, "org", "key", "revoke", key.public.keyid)
    assert json.loads(_run(db, "org", "key", "list", "acme", "--json")) == []


def test_hostile_audit_text_is_printed_inert(tmp_path: Path) -> None:
    from accord.pipeline import PUBLIC, audit, open_store

    db = f"sqlite:///{tmp_path / 'a.db'}"
    st = open_store(db, create=True)
    audit(st, PUBLIC, "auth", "GET /\x1b[2J[bold red]x[/]", False, "why")
    st.close()
    out = _run(db, "audit", "list")
    assert "\x1b" not in out  # the escape sequence is shown as '?', not sent to the terminal
    assert "[bold" in out  # markup in stored text is shown, not interpreted
