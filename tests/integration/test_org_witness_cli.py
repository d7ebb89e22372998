"""``accord org witness add|list|revoke``: the operator enrols the witnesses whose cosignatures
the server accepts (POST /v1/log/cosign has no enrolment endpoint, on purpose)."""

from __future__ import annotations

import json
from pathlib import Path

from accord.attest import SigningKey, cosigner_vkey
from tests.integration._run_helpers import run_accord


def test_enrol_list_and_revoke_a_witness(tmp_path: Path, sqlite_url: str) -> None:
    vkey = cosigner_vkey(SigningKey.generate().public, "witness.example.org/w1")
    added = run_accord("org", "witness", "add", vkey, "--db", sqlite_url, "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["name"] == "witness.example.org/w1"
    listed = run_accord("org", "witness", "list", "--db", sqlite_url, "--json")
    assert [w["vkey"] for w in json.loads(listed.stdout)] == [vkey]
    assert run_accord("org", "witness", "revoke", vkey, "--db", sqlite_url).returncode == 0
    assert json.loads(run_accord("org", "witness", "list", "--db", sqlite_url, "--json").stdout) == []
    again = run_accord("org", "witness", "revoke", vkey, "--db", sqlite_url)
    assert again.returncode == 2 and "no enrolled witness" in again.stderr
    bad = run_accord("org", "witness", "add", "not-a-key", "--db", sqlite_url)
    assert bad.returncode == 2 and "cosignature/v1 verifier key" in bad.stderr
