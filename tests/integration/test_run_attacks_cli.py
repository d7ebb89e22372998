"""``accord run --attack`` as a user types it: variants stored beside the plain items, the spec
round-trips, and every kind of bad attack input is refused before a run row exists.

The model is the loopback OpenAI-compatible server (echo); which attack finds which weakness is
tests/integration/test_attacks_e2e.py's job.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.attacks import plan_attacks
from accord.store import Store
from tests.integration._run_helpers import last_json, run_accord, write_suite
from tests.support.loopback_openai import LoopbackServer


def test_attacks_are_sent_beside_the_plain_items_and_the_spec_round_trips(tmp_path: Path, sqlite_url: str) -> None:
    suite = write_suite(tmp_path / "mini.jsonl", 5)
    with LoopbackServer(latency_ms=1) as srv:
        res = run_accord(
            "run", "-t", f"openai:{srv.url}#tiny", "-s", str(suite), "--db", sqlite_url, "--run-id", "atk",
            "--attack", "base64", "--attack", "rot13+char-spacing:separator=_", "--json",
        )  # fmt: skip
        assert res.returncode == 0, res.stderr
        out = last_json(res.stdout)
        assert (out["responses"], out["expected"], out["variants"]) == (15, 15, 2) and out["complete"]
        assert srv.stats.requests == 15
    assert "attacks: 2 variant(s) per item" in res.stderr
    with Store.open(sqlite_url) as store:
        rows = list(store.iter_responses("atk"))
        (b64,) = [v.variant_id for v in plan_attacks(["base64"]).variants]  # the default parameters' id
        assert sum(r.variant_id == b64 for r in rows) == 5
        assert {r.variant_id.split("-")[0] for r in rows} == {"none", "base64", "rot13_char"}
        sent = next(r for r in rows if r.variant_id == b64 and r.item_id == "q0")
        assert sent.messages[-1].content != "prompt 0" and sent.output and sent.output.startswith("echo: ")
    spec = run_accord("runs", "show", "atk", "--spec", "--db", sqlite_url)
    assert spec.returncode == 0, spec.stderr
    assert "- base64" in spec.stdout and "rot13+char-spacing:separator=_" in spec.stdout
    (tmp_path / "again.yaml").write_text(spec.stdout)
    again = run_accord("run", "-c", str(tmp_path / "again.yaml"), "--db", sqlite_url, "--json")
    assert again.returncode == 0, again.stderr
    assert last_json(again.stdout)["responses"] == 15 and "resuming: atk" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--attack", "no-such-attack"], "unknown attack 'no-such-attack'"),
        (["--attack", "base64:layers=zero"], "parameter 'layers'"),
        (["--attack", "base64:colour=red"], "parameter 'colour'"),
        (["--attack", "BASE64"], "is not an attack name"),
        (["--attack", "past-tense"], "needs an attacker target"),
        (["--attack", "translate:zu"], "needs a translator target"),
        (["--attack", "base64", "--attacker", "openai:http://127.0.0.1:9/v1#a"], "no attack uses one"),
        (["--attack", "base64", "--attack-judge", "pattern"], "no attack consults a judge"),
        (["--attacker", "openai:http://127.0.0.1:9/v1#a"], "given without any attack"),
        (["--attack", "pair+base64"], "runs alone, not in a chain"),
        (["--attack", "base64+pair"], "runs alone, not in a chain"),
        (["--attack", "base64", "--attack", "base64"], "given twice"),
    ],
)
def test_bad_attack_input_is_refused_before_a_run_exists(tmp_path: Path, sqlite_url: str, args: list[str], message: str) -> None:
    suite = write_suite(tmp_path / "mini.jsonl", 2)
    res = run_accord("run", "-t", "openai:http://127.0.0.1:9/v1#m", "-s", str(suite), "--db", sqlite_url, "--run-id", "bad", *args)
    assert res.returncode == 2, res.stderr
    assert message in res.stderr.lower() or message in res.stderr
    with Store.open(sqlite_url) as store:
        assert store.get_run("bad") is None
