"""The red-team campaign digest, commitment record and reveal checks (``accord.pipeline._redteam``).

Real suites (small JSONL files), the real attack registry, real keys and a real log directory;
no run against a target here (tests/integration/test_redteam_cli.py does that).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accord.errors import InputError, VerificationError
from accord.pipeline import (
    campaign_of,
    campaign_run_spec,
    commit_campaign,
    load_campaign_spec,
    read_secret,
    require_committed,
    reveal_campaign,
    verify_campaign_reveal,
)
from accord.pipeline._redteam import COMMIT_PREDICATE_TYPE, _check_run, campaign_digest, parse_reveal


def _suite(path: Path, n: int = 3, word: str = "question") -> Path:
    path.write_text(
        "".join(json.dumps({"id": f"q{i}", "prompt": f"{word} {i}", "hazard": "benign", "intent": "benign"}) + "\n" for i in range(n))
    )
    return path


def _spec(tmp_path: Path, body: str, name: str = "campaign.yaml") -> Path:
    suite = tmp_path / "private.jsonl"
    if not suite.exists():
        _suite(suite)
    path = tmp_path / name
    path.write_text(f"suites: [{suite}]\n" + body)
    return path


def _digest(tmp_path: Path, body: str, name: str = "c.yaml") -> str:
    return campaign_of(load_campaign_spec(_spec(tmp_path, body, name))).digest


def test_target_run_id_and_engine_are_not_committed(tmp_path: Path) -> None:
    base = _digest(tmp_path, "attacks: [base64]\n", "a.yaml")
    other = _digest(
        tmp_path,
        "attacks: [base64]\ntargets: [openai:http://127.0.0.1:9/v1#b]\nrun_id: mine\nengine: {concurrency: 3, rpm: 60}\n",
        "b.yaml",
    )
    assert base == other and base.startswith("sha256:") and len(base) == 7 + 64


@pytest.mark.parametrize(
    "change",
    [
        "attacks: [rot13]\n",
        "attacks: [base64, rot13]\n",
        "attacks: ['base64:layers=2']\n",
        "attacks: [base64]\ngeneration: {temperature: 0.7}\n",
        "attacks: [base64]\nepochs: 2\n",
        "attacks: [base64]\njudge: pattern\n",
        "attacks: [base64]\npacks: [eu-ai-act]\n",
    ],
)
def test_every_committed_field_changes_the_digest(tmp_path: Path, change: str) -> None:
    assert _digest(tmp_path, "attacks: [base64]\n", "a.yaml") != _digest(tmp_path, change, "b.yaml")


def test_suite_content_not_its_directory_is_committed(tmp_path: Path) -> None:
    """B holds the revealed file elsewhere: same digest. The suite id (the file's stem) is part
    of every item, so a renamed copy, like changed items, is another suite."""
    (tmp_path / "b").mkdir()
    a = _suite(tmp_path / "private.jsonl")
    b = _suite(tmp_path / "b" / "private.jsonl")
    renamed = _suite(tmp_path / "renamed.jsonl")
    (tmp_path / "c").mkdir()
    c = _suite(tmp_path / "c" / "private.jsonl", word="query")
    spec = _spec(tmp_path, "attacks: [base64]\n")
    digests = [campaign_of(load_campaign_spec(spec, suites=[str(p)])).digest for p in (a, b, renamed, c)]
    assert digests[0] == digests[1]
    assert len(set(digests[1:])) == 3


def test_attacks_are_resolved_with_their_parameters(tmp_path: Path) -> None:
    campaign = campaign_of(load_campaign_spec(_spec(tmp_path, "attacks: ['base64:layers=2', rot13]\n")))
    variants = campaign.doc["attacks"]["variants"]
    assert len(variants) == 2 and campaign.variants == set(variants)
    steps = {v["attack"]: v["steps"] for v in variants.values()}
    assert steps["base64:layers=2"][0][0] == "base64" and steps["base64:layers=2"][0][1]["layers"] == 2
    assert "instruction" in steps["rot13"][0][1]  # defaults are resolved into the digest too
    assert campaign_digest(campaign.doc) == campaign.digest
    assert "targets" not in campaign.doc["spec"] and "engine" not in campaign.doc["spec"]


def test_helper_targets_are_committed_and_checked(tmp_path: Path) -> None:
    x = _digest(tmp_path, "attacks: [past-tense]\nattacker: openai:http://127.0.0.1:9/v1#x\n", "x.yaml")
    y = _digest(tmp_path, "attacks: [past-tense]\nattacker: openai:http://127.0.0.1:9/v1#y\n", "y.yaml")
    assert x != y
    with pytest.raises(InputError, match="attacker"):
        _digest(tmp_path, "attacks: [past-tense]\n", "none.yaml")


def test_unknown_attack_or_bad_parameter_is_refused_at_commit(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="no-such-attack"):
        campaign_of(load_campaign_spec(_spec(tmp_path, "attacks: [no-such-attack]\n", "a.yaml")))
    with pytest.raises(InputError, match="layers"):
        campaign_of(load_campaign_spec(_spec(tmp_path, "attacks: ['base64:layers=zero']\n", "b.yaml")))


def test_run_spec_needs_a_target(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "attacks: []\n")
    with pytest.raises(InputError, match="no target"):
        campaign_run_spec(spec)
    made = campaign_run_spec(spec, targets=["replay:x.jsonl"], run_id="r1", engine={"concurrency": 2, "rpm": None})
    assert [t.spec for t in made.targets] == ["replay:x.jsonl"] and made.run_id == "r1" and made.engine.concurrency == 2
    assert campaign_of(made).digest == campaign_of(load_campaign_spec(spec)).digest


def _committed(tmp_path: Path, body: str = "attacks: [base64]\n") -> tuple[Any, Any, Path]:
    from accord.attest import init_key

    init_key(None)
    campaign = campaign_of(load_campaign_spec(_spec(tmp_path, body)))
    result = commit_campaign(campaign, log_dir=tmp_path / "log", label="spring-campaign")
    return campaign, result, tmp_path / "log"


def test_commit_keeps_a_private_record_that_reproduces_the_commitment(tmp_path: Path) -> None:
    campaign, result, _ = _committed(tmp_path)
    assert result.secret.stat().st_mode & 0o077 == 0
    record = read_secret(result.secret)
    assert record["commitment"] == result.commitment and record["campaign_digest"] == campaign.digest
    assert require_committed(campaign, None)["commitment"] == result.commitment  # found by digest
    meta = result.meta()
    assert meta["commitment"] == result.commitment and campaign.digest.removeprefix("sha256:") not in json.dumps(meta)
    # an edited record no longer reproduces its commitment
    doc = json.loads(result.secret.read_text())
    doc["campaign"]["spec"]["epochs"] = 5
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="does not reproduce"):
        read_secret(edited)


def test_a_changed_spec_is_not_the_committed_campaign(tmp_path: Path) -> None:
    _committed(tmp_path)
    changed = campaign_of(load_campaign_spec(_spec(tmp_path, "attacks: [base64]\ngeneration: {temperature: 1.0}\n", "changed.yaml")))
    with pytest.raises(VerificationError, match="no commitment found"):
        require_committed(changed, None)
    from accord.pipeline._redteam import secrets_dir

    secret = next(secrets_dir().glob("*.json"))
    with pytest.raises(VerificationError, match="differ from the committed campaign") as caught:
        require_committed(changed, secret)
    assert "spec.generation" in caught.value.diagnostics()


def _keys() -> tuple[list[Any], list[Any]]:
    from accord.attest import load_signing_key, trusted_keys

    pub = load_signing_key(None).public.pem()
    return trusted_keys([pub], None, None)


def test_reveal_verifies_and_every_tampering_fails(tmp_path: Path) -> None:
    campaign, result, log = _committed(tmp_path)
    data = reveal_campaign(read_secret(result.secret), log_dir=log)
    signer, logkeys = _keys()
    checked = verify_campaign_reveal(data, signer, logkeys, held=campaign)
    assert checked.commitment == result.commitment and checked.commit_index == 0 and checked.label == "spring-campaign"
    assert set(checked.checks) == {"commitment", "log", "campaign"}
    doc = json.loads(data)

    def tampered(edit: Any) -> bytes:
        d = json.loads(data)
        edit(d)
        return json.dumps(d).encode()

    cases = {
        "campaign edited": lambda d: d["campaign"]["spec"].update(epochs=9),
        "campaign and digest edited": lambda d: (
            d["campaign"]["spec"].update(epochs=9),
            d.update(campaign_digest=campaign_digest(d["campaign"])),
        ),
        "salt": lambda d: d.update(salt="A" * 43 + "="),
        "label": lambda d: d.update(label="other"),
        "extra field": lambda d: d.update(note="x"),
    }
    for edit in cases.values():
        with pytest.raises(VerificationError):
            verify_campaign_reveal(tampered(edit), signer, logkeys)
    from accord.attest import SigningKey, trusted_keys

    stranger = trusted_keys([SigningKey.generate().public.pem()], None, None)
    with pytest.raises(VerificationError):
        verify_campaign_reveal(data, *stranger)
    other = campaign_of(load_campaign_spec(_spec(tmp_path, "attacks: [rot13]\n", "other.yaml")))
    with pytest.raises(VerificationError, match="not the committed campaign"):
        verify_campaign_reveal(data, signer, logkeys, held=other)
    assert parse_reveal(data)["commitment"] == doc["commitment"]
    with pytest.raises(VerificationError, match="not in the committed campaign"):
        verify_campaign_reveal(data, signer, logkeys, held_suites=["sha256:" + "0" * 64])
    assert "suites" in verify_campaign_reveal(data, signer, logkeys, held_suites=campaign.doc["suites"]).checks
    st = json.loads(__import__("base64").b64decode(doc["envelope"]["payload"]))
    assert st["predicateType"] == COMMIT_PREDICATE_TYPE and campaign.digest not in json.dumps(st)


def _predicate(campaign: Any, **run: Any) -> dict[str, Any]:
    spec = campaign.doc["spec"]
    gen = {k: v for k, v in spec["generation"].items() if k != "timeout_s"}
    base = {"epochs": spec["epochs"], "params": {"generation": gen, "attacks": campaign.doc["attacks"]}}
    return {"run": {**base, **run}, "suites": [{"digest": d} for d in campaign.doc["suites"]]}


def test_the_attested_run_must_be_the_campaign(tmp_path: Path) -> None:
    campaign = campaign_of(load_campaign_spec(_spec(tmp_path, "attacks: [base64]\n")))
    _check_run(_predicate(campaign), campaign.doc)
    bad_epochs = _predicate(campaign, epochs=3)
    with pytest.raises(VerificationError, match="epoch"):
        _check_run(bad_epochs, campaign.doc)
    hot = _predicate(campaign)
    hot["run"]["params"]["generation"]["temperature"] = 0.9
    with pytest.raises(VerificationError, match="temperature"):
        _check_run(hot, campaign.doc)
    no_attacks = _predicate(campaign)
    del no_attacks["run"]["params"]["attacks"]
    with pytest.raises(VerificationError, match="no attacks"):
        _check_run(no_attacks, campaign.doc)
    fewer = _predicate(campaign)
    fewer["run"]["params"]["attacks"] = {"attacks": [], "variants": {}}
    with pytest.raises(VerificationError, match="variants"):
        _check_run(fewer, campaign.doc)
    other_suite = _predicate(campaign)
    other_suite["suites"] = [{"digest": "sha256:" + "1" * 64}]
    with pytest.raises(VerificationError, match="suites"):
        _check_run(other_suite, campaign.doc)


def test_an_evaluation_logged_before_the_commitment_fails_time_order(tmp_path: Path) -> None:
    """A party that ran first and committed after (knowing its salt in advance) is caught by the
    log order, even though its attestation names the commitment."""
    import os

    from accord.attest import FileLog, eval_statement, init_key, load_signing_key, sign_statement
    from accord.pipeline._redteam import commitment_value, run_meta

    init_key(None)
    campaign = campaign_of(load_campaign_spec(_spec(tmp_path, "attacks: [base64]\n")))
    salt = os.urandom(32)
    c = commitment_value(salt, campaign.digest)
    gen = {k: v for k, v in campaign.doc["spec"]["generation"].items() if k != "timeout_s"}
    run_doc = {
        "run_id": "early",
        "target": "t",
        "target_digest": "sha256:" + "00" * 32,
        "epochs": 1,
        "params": {"generation": gen, "attacks": campaign.doc["attacks"]},
        "suites": [{"suite_id": "private", "digest": d, "n_items": 3} for d in campaign.doc["suites"]],
    }
    statement = eval_statement(run=run_doc, counts={}, accord_version="0")
    statement = type(statement)(
        statement.subjects, statement.predicate_type, {**statement.predicate, "commitment": run_meta(c, "o", 1, None)}
    )
    env = sign_statement(statement, load_signing_key(None)).to_json()
    log_dir = tmp_path / "log"
    with FileLog.open_or_create(log_dir) as log:
        assert log.append(env) == 0
    result = commit_campaign(campaign, log_dir=log_dir, salt=salt)
    assert result.commitment == c and result.index == 1
    data = reveal_campaign(read_secret(result.secret), log_dir=log_dir)
    with FileLog.open(log_dir) as log:
        note = log.latest_checkpoint()
        assert note is not None
        proof = log.inclusion_proof(0, log.size).to_json()
    signer, logkeys = _keys()
    with pytest.raises(VerificationError, match="time order"):
        verify_campaign_reveal(data, signer, logkeys, attestation=(env, proof, note))


def test_evidence_must_hold_every_committed_variant_of_every_item(tmp_path: Path) -> None:
    from accord.attest import bind_evidence, build_evidence, encode_json, eval_statement
    from accord.pipeline._redteam import _check_evidence

    campaign = campaign_of(load_campaign_spec(_spec(tmp_path, "attacks: [base64, rot13]\n")))
    variants = sorted(campaign.variants)

    def leaf(item: str, variant: str) -> dict[str, Any]:
        key = {"suite": "private", "item": item, "variant": variant, "epoch": 0}
        return {
            "key": key,
            "output": "no",
            "status": "ok",
            "labels": [],
            "hazard": "benign",
            "intent": "benign",
            "locale": "en",
            "family": None,
        }

    def check(leaves: list[dict[str, Any]]) -> str:
        run_doc = {"run_id": "r", "target": "t", "target_digest": "sha256:" + "00" * 32, "suites": []}
        evidence = build_evidence("r", leaves, {"target": "t", "suites": [], "judges": {}, "packs": {}, "floor": "{}"})
        statement = bind_evidence(eval_statement(run=run_doc, counts={}, accord_version="0"), evidence)
        return _check_evidence(statement, encode_json(evidence.bundle), campaign.doc)

    full = [leaf(i, v) for i in ("q0", "q1") for v in ("none", *variants)]
    assert "each of 2 item(s)" in check(full)
    with pytest.raises(VerificationError, match="1 of 2 item"):
        check(full[:-1])
    with pytest.raises(VerificationError, match="did not commit"):
        check([*full, leaf("q0", "hex-000000000000")])
    with pytest.raises(VerificationError, match="missing"):
        check([x for x in full if x["key"]["variant"] != variants[0]])


def test_the_attested_run_must_steer_by_the_committed_attack_judge(tmp_path: Path) -> None:
    body = "attacks: [pair]\nattacker: python:tests.support.attacker_double:scripted\nattack_judge: pattern\n"
    campaign = campaign_of(load_campaign_spec(_spec(tmp_path, body)))
    helpers = {"attacker": "python:tests.support.attacker_double:scripted"}
    ok = _predicate(campaign)
    ok["run"]["params"]["attack_helpers"] = {**helpers, "judge": "pattern"}
    _check_run(ok, campaign.doc)
    other = _predicate(campaign)
    other["run"]["params"]["attack_helpers"] = {**helpers, "judge": "embedded"}
    with pytest.raises(VerificationError, match="attack judge"):
        _check_run(other, campaign.doc)
    none = _predicate(campaign)
    none["run"]["params"]["attack_helpers"] = helpers
    with pytest.raises(VerificationError, match="no attack judge"):
        _check_run(none, campaign.doc)


def test_helper_options_are_committed_by_name_only(tmp_path: Path) -> None:
    body = (
        "attacks: [past-tense]\n"
        "attacker: {spec: 'http:http://127.0.0.1:9/gen', options: {headers: {Authorization: 'Bearer not-a-real-key'}}}\n"
    )
    campaign = campaign_of(load_campaign_spec(_spec(tmp_path, body)))
    assert campaign.doc["spec"]["attacker"]["options"] == ["headers"]
    assert "not-a-real-key" not in json.dumps(campaign.doc)


def test_template_campaigns_pin_the_templates_file_and_read_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import DATASETS

    monkeypatch.delenv("ACCORD_DATA_DIR", raising=False)
    spec = load_campaign_spec(_spec(tmp_path, "attacks: ['template:n=2']\n"))
    campaign = campaign_of(spec, data_dir=DATASETS)  # --data-dir alone is enough
    digest = campaign.doc["attacks"]["data"]["templates"]
    assert len(digest) == 64 and len(campaign.variants) == 2
