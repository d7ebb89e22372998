"""Results, grants and the log over real HTTP (uvicorn on 127.0.0.1), checked by ``accord verify``.

A provider publishes an attested run with its token; a third party downloads the envelope,
the evidence bundle, the server's checkpoint and an inclusion proof over HTTP and checks them
with the ``accord verify`` command, trusting only the signer's and the log's public keys. A
granted auditor downloads a disclosure and checks it the same way; a witness cosigns through
the endpoint and ``accord verify --witness`` then accepts the served checkpoint.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from accord.cli.main import app as cli_app
from tests.support.loopback import serve_app
from tests.unit.pipeline.test_publish import OUTPUTS, RUN, Attested, attested_run

runner = CliRunner()


def cli(*args: str) -> Result:
    return runner.invoke(cli_app, list(args), catch_exceptions=True)


@dataclass
class Live:
    base: str
    store: Any
    run: Attested
    tokens: dict[str, str]
    tmp: Path

    def client(self, who: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30)

    def body(self) -> bytes:
        from accord.pipeline import publication_body

        return bytes(publication_body(self.store, RUN, self.run.envelope))


@pytest.fixture
def live(db_url: str, tmp_path: Path) -> Iterator[Live]:
    from accord.attest import SigningKey
    from accord.pipeline import LOCAL_ADMIN, add_org_key, create_org, create_token
    from accord.server import ServerConfig, create_app
    from accord.store import Store

    with Store.open(db_url, create=True) as store:
        for org in ("lab", "audit"):
            create_org(store, LOCAL_ADMIN, org.title(), org_id=org)
        run = attested_run(store, tmp_path)
        add_org_key(store, LOCAL_ADMIN, "lab", run.signer_pem)
        tokens = {
            "lab": create_token(store, LOCAL_ADMIN, "lab", "provider")["token"],
            "auditor": create_token(store, LOCAL_ADMIN, "audit", "auditor")["token"],
        }
        log_key = tmp_path / "log-key.pem"
        log_key.write_bytes(SigningKey.generate().to_pem())
        log_key.chmod(0o600)
        app = create_app(ServerConfig(log_dir=tmp_path / "server-log", signing_key=str(log_key)), store=store)
        with serve_app(app) as base:
            yield Live(base, store, run, tokens, tmp_path)


def _download(client: httpx.Client, url: str, path: Path, *, status: int = 200) -> Path:
    response = client.get(url)
    assert response.status_code == status, response.text
    path.write_bytes(response.content)
    return path


def _no_traceback(response: httpx.Response) -> dict[str, Any]:
    doc: dict[str, Any] = response.json()
    assert "Traceback" not in response.text and "error" in doc
    return doc


def test_accord_verify_checks_a_published_result_with_the_servers_checkpoint_and_proof(live: Live) -> None:
    with live.client("lab") as lab:
        posted = lab.post("/v1/results", content=live.body(), headers={"Content-Type": "application/json"})
    assert posted.status_code == 201, posted.text
    rid = posted.json()["id"]
    d = live.tmp / "download"
    d.mkdir()
    signer = d / "signer.pub"
    signer.write_text(live.run.signer_pem)
    with live.client() as anyone:
        info = anyone.get("/v1/log").json()
        listed = anyone.get("/v1/results").json()
        assert listed["total"] == 1 and listed["results"][0]["id"] == rid
        result = anyone.get(f"/v1/results/{rid}").json()
        env = _download(anyone, f"/v1/results/{rid}/envelope", d / "run.intoto.json")
        bundle = _download(anyone, f"/v1/results/{rid}/evidence", d / "run.evidence.json")
        ckpt = _download(anyone, "/v1/log/checkpoint", d / "checkpoint.txt")
        proof = _download(anyone, f"/v1/log/proof/inclusion?index={result['log_index']}", d / "proof.json")
        tlog = _download(anyone, f"/v1/log/proof/inclusion?index={result['log_index']}&format=tlog", d / "proof.tlog")
    # nothing public carries a response's text
    assert not any(text in bundle.read_text() + json.dumps(result) for text in OUTPUTS)
    log_key = info["log_vkey"]
    common = ["--trusted-key", str(signer), "--trusted-log-key", log_key]
    ok = cli("verify", str(env), *common, "--log-checkpoint", str(ckpt), "--proof", str(proof), "--evidence", str(bundle), "--recompute")
    assert ok.exit_code == 0, ok.output
    assert "ok, entry 0 of 1 in " + info["origin"] in ok.output and "recomputed from the evidence and identical" in ok.output
    assert cli("verify", str(env), *common, "--proof", str(tlog)).exit_code == 0
    # a checkpoint altered in transit, or another log's key, fails the check
    forged = d / "forged.txt"
    forged.write_text(ckpt.read_text().replace("\n1\n", "\n2\n", 1))
    bad = cli("verify", str(env), *common, "--log-checkpoint", str(forged), "--proof", str(proof))
    assert bad.exit_code == 1, bad.output
    from accord.attest import SigningKey

    other = SigningKey.generate().public.vkey(info["origin"])
    wrong = cli(
        "verify", str(env), "--trusted-key", str(signer), "--trusted-log-key", other, "--log-checkpoint", str(ckpt), "--proof", str(proof)
    )
    assert wrong.exit_code == 1, wrong.output


def test_bad_publications_are_4xx_and_store_nothing(live: Live) -> None:
    body = json.loads(live.body())
    tampered = json.loads(body["evidence"])
    tampered["leaves"][0]["labels"][0]["refusal"] = "none"
    body["evidence"] = tampered
    with live.client() as anyone:
        assert _no_traceback(anyone.post("/v1/results", content=live.body())).get("error")
        assert anyone.post("/v1/results", content=live.body()).status_code == 401
        bad_token = anyone.post("/v1/results", content=live.body(), headers={"Authorization": "Bearer acc_" + "x" * 43})
        assert bad_token.status_code == 401
    with live.client("lab") as lab:
        assert _no_traceback(r := lab.post("/v1/results", content=json.dumps(body))) and r.status_code == 422
        assert lab.post("/v1/results", content=b"[1, 2").status_code == 400
        assert lab.post("/v1/results", content=json.dumps({"envelope": "x", "evidence": {}, "what": 1})).status_code == 400
    with live.client("auditor") as auditor:
        assert auditor.post("/v1/results", content=live.body()).status_code == 403
    with live.client() as anyone:
        assert anyone.get("/v1/results").json()["total"] == 0
        assert anyone.get("/v1/results/nope").status_code == 404
        assert anyone.get("/v1/log/checkpoint").status_code == 404
        assert anyone.get("/v1/results/..%2F..").status_code in (404, 422)


def test_a_granted_auditor_downloads_a_disclosure_accord_verify_accepts(live: Live) -> None:
    with live.client("lab") as lab:
        rid = lab.post("/v1/results", content=live.body()).json()["id"]
    key = "demo/2/none/0"
    with live.client("auditor") as auditor:
        denied = auditor.get(f"/v1/results/{rid}/disclosures", params={"keys": key})
        assert denied.status_code == 403 and _no_traceback(denied)
        assert auditor.post(f"/v1/results/{rid}/grants", json={"grantee": "audit", "days": 1}).status_code == 403
    with live.client("lab") as lab:
        assert lab.post(f"/v1/results/{rid}/grants", json={"grantee": "audit", "days": 1, "bogus": 1}).status_code == 422
        granted = lab.post(f"/v1/results/{rid}/grants", json={"grantee": "audit", "days": 30, "keys": [key]})
        assert granted.status_code == 201, granted.text
        grant = granted.json()
    with live.client("auditor") as auditor:
        got = auditor.get(f"/v1/results/{rid}/disclosures", params={"keys": key})
        assert got.status_code == 200, got.text
        assert auditor.get(f"/v1/results/{rid}/disclosures", params={"keys": "demo/0/none/0"}).status_code == 403
        assert [g["id"] for g in auditor.get("/v1/grants").json()["grants"]] == [grant["id"]]
    with live.client() as anyone:
        assert anyone.get(f"/v1/results/{rid}/disclosures", params={"keys": key}).status_code == 401
        env = _download(anyone, f"/v1/results/{rid}/envelope", live.tmp / "env.json")
    (disclosure,) = got.json()["disclosures"]
    assert disclosure["text"] == OUTPUTS[2]
    path = live.tmp / "disclosure.json"
    path.write_text(json.dumps(disclosure))
    signer = live.tmp / "signer.pub"
    signer.write_text(live.run.signer_pem)
    ok = cli("verify", str(env), "--trusted-key", str(signer), "--disclosure", str(path))
    assert ok.exit_code == 0 and "is in the signed evidence" in ok.output, ok.output
    path.write_text(json.dumps({**disclosure, "text": "something else"}))
    assert cli("verify", str(env), "--trusted-key", str(signer), "--disclosure", str(path)).exit_code == 1
    with live.client("lab") as lab:
        assert lab.post(f"/v1/grants/{grant['id']}/revoke").json()["revoked_at"]
    with live.client("auditor") as auditor:
        assert auditor.get(f"/v1/results/{rid}/disclosures", params={"keys": key}).status_code == 403


def test_a_witness_cosigns_over_http_and_verify_requires_it(live: Live) -> None:
    from accord.attest import CosignatureV1Signer, SigningKey, cosign, parse_vkey
    from accord.pipeline import LOCAL_ADMIN, enrol_witness

    with live.client("lab") as lab:
        rid = lab.post("/v1/results", content=live.body()).json()["id"]
    with live.client() as anyone:
        info = anyone.get("/v1/log").json()
        note = anyone.get("/v1/log/checkpoint").content
        garbage = anyone.post("/v1/log/cosign", content=b"not a note")
        assert garbage.status_code == 422 and _no_traceback(garbage)
    key = SigningKey.generate()
    vkey = CosignatureV1Signer("witness.example/w1", key).vkey
    enrol_witness(live.store, LOCAL_ADMIN, vkey)
    log_public = parse_vkey(info["log_vkey"]).public  # type: ignore[attr-defined]
    cosigned = cosign(note, log_keys=[log_public], witness_name="witness.example/w1", witness_key=key, state_path=live.tmp / "w.json").note
    with live.client() as anyone:
        posted = anyone.post("/v1/log/cosign", content=cosigned.encode(), headers={"Content-Type": "text/plain"})
        assert posted.status_code == 200, posted.text
        assert [w["vkey"] for w in anyone.get("/v1/log/witnesses").json()["witnesses"]] == [vkey]
        env = _download(anyone, f"/v1/results/{rid}/envelope", live.tmp / "env.json")
        tlog = _download(anyone, "/v1/log/proof/inclusion?index=0&format=tlog", live.tmp / "proof.tlog")
    signer = live.tmp / "signer.pub"
    signer.write_text(live.run.signer_pem)
    ok = cli(
        "verify", str(env), "--trusted-key", str(signer), "--trusted-log-key", info["log_vkey"], "--proof", str(tlog), "--witness", vkey
    )
    assert ok.exit_code == 0 and "1 of 1 trusted witnesses cosigned" in ok.output, ok.output
    other = CosignatureV1Signer("witness.example/w2", SigningKey.generate()).vkey
    refused = cli(
        "verify", str(env), "--trusted-key", str(signer), "--trusted-log-key", info["log_vkey"], "--proof", str(tlog), "--witness", other
    )
    assert refused.exit_code == 1, refused.output
