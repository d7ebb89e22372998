"""One CLI grammar for the non-pipeline commands: ``--json``, key flags, verbatim text.

Every command that prints a result takes ``--json`` and then prints exactly one JSON document
on stdout (notes go to stderr). The schemas are documented in docs/cli.md; this test keeps
the two honest by parsing each command's output and checking the documented top-level keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from accord.errors import ExitCode

EXAMPLES = Path(__file__).parents[2] / "examples" / "systems"
runner = CliRunner()


def invoke(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    if result.exit_code != 0:
        raise AssertionError(f"accord {' '.join(args)} failed ({result.exit_code}): {result.output}\n{result.exception!r}")
    return result


@pytest.fixture
def ws(tmp_path: Path) -> dict[str, str]:
    """A signing key, a log with two checkpoints, and a committed and revealed private suite."""
    invoke("keys", "init")
    log = tmp_path / "log"
    suite = tmp_path / "private.jsonl"
    suite.write_text("".join(json.dumps({"id": str(i), "prompt": f"question {i}"}) + "\n" for i in range(3)))
    suite2 = tmp_path / "second.jsonl"
    suite2.write_text(json.dumps({"id": "0", "prompt": "another question"}) + "\n")
    entry = tmp_path / "entry.txt"
    entry.write_text("an entry\n")
    invoke("log", "append", str(entry), "--log-dir", str(log), "--origin", "test.example/log")
    old = tmp_path / "old.ckpt"
    invoke("log", "checkpoint", "--log-dir", str(log), "-o", str(old))
    invoke("suites", "commit", str(suite), "--log-dir", str(log))
    new = tmp_path / "new.ckpt"
    invoke("log", "checkpoint", "--log-dir", str(log), "-o", str(new))
    reveal = tmp_path / "private.reveal.json"
    invoke("suites", "reveal", str(suite), "--log-dir", str(log), "-o", str(reveal))
    pub = tmp_path / "signer.pub"
    pub.write_text(invoke("keys", "show", "--pem").stdout)
    pack = tmp_path / "pack.yaml"
    from tests.unit.frameworks.test_packs import GOOD

    pack.write_text(GOOD)
    return {k: str(v) for k, v in {"log": log, "suite": suite, "suite2": suite2, "entry": entry, "old": old, "new": new, "reveal": reveal, "pub": pub, "pack": pack, "tmp": tmp_path}.items()}


W = dict[str, str]
# (command words, args given the workspace, top-level keys of the document, or the type of a list)
CASES: list[tuple[str, Callable[[W], list[str]], set[str] | type]] = [
    ("assess check", lambda w: ["assess", "check", str(EXAMPLES / "cv-screening.yaml"), "--as-of", "2026-09-01"], {"disclaimer", "obligations", "jurisdictions"}),
    ("assess validate", lambda w: ["assess", "validate", str(EXAMPLES / "cv-screening.yaml")], list),
    ("assess rules", lambda w: ["assess", "rules"], list),
    ("compute estimate", lambda w: ["compute", "estimate", "--params", "7e10", "--tokens", "1.5e13"], {"method", "flop", "assumptions", "thresholds"}),
    ("compute tpp", lambda w: ["compute", "tpp", "--chip", "H100"], {"name", "tpp", "basis", "pd", "paragraphs", "source"}),
    ("compute chips", lambda w: ["compute", "chips"], list),
    ("keys init", lambda w: ["keys", "init", "-o", w["tmp"] + "/second.pem"], {"path", "keyid", "vkey", "public_key_pem"}),
    ("keys show", lambda w: ["keys", "show", "--log-dir", w["log"]], {"keyid", "vkey", "log_vkey", "public_key_pem", "source"}),
    ("log append", lambda w: ["log", "append", w["entry"], "--log-dir", w["log"]], {"origin", "size", "entries"}),
    ("log checkpoint", lambda w: ["log", "checkpoint", "--log-dir", w["log"]], {"origin", "size", "root", "checkpoint", "out"}),
    ("log info", lambda w: ["log", "info", "--log-dir", w["log"]], {"path", "origin", "size", "root", "log_vkey"}),
    ("log audit", lambda w: ["log", "audit", "--log-dir", w["log"]], {"ok", "origin", "size"}),
    ("log prove", lambda w: ["log", "prove", "0", "--log-dir", w["log"]], {"index", "origin", "tree_size", "format", "proof", "out"}),
    ("log consistency", lambda w: ["log", "consistency", w["old"], w["new"], "--log-dir", w["log"]], {"consistent", "origin", "old_size", "new_size", "out"}),
    ("suites list", lambda w: ["suites", "list"], list),
    ("suites show", lambda w: ["suites", "show", w["suite"]], {"suite_id", "items", "digest", "hazards", "first_items"}),
    ("suites commit", lambda w: ["suites", "commit", w["suite2"], "--log-dir", w["log"]], {"commitment", "suite", "origin", "index", "secret", "out"}),
    ("suites reveal", lambda w: ["suites", "reveal", w["suite"], "--log-dir", w["log"], "-o", w["tmp"] + "/r.json"], {"out", "suite", "suite_digest", "commit_index", "checkpoint_size"}),
    ("suites verify-reveal", lambda w: ["suites", "verify-reveal", w["reveal"], "--trusted-key", w["pub"], "--suite", w["suite"]], {"ok", "commitment", "signer_keyid", "suite_digest", "commit_index", "origin"}),
    ("packs list", lambda w: ["packs", "list"], list),
    ("packs show", lambda w: ["packs", "show", "floor"], {"id", "resolved_behaviour"}),
    ("packs crosswalk", lambda w: ["packs", "crosswalk", "--hazard", "ncii"], list),
    ("packs validate", lambda w: ["packs", "validate", w["pack"]], list),
    ("packs taxonomy", lambda w: ["packs", "taxonomy"], {"version", "hazards"}),
    ("data list", lambda w: ["data", "list"], list),
]


@pytest.mark.parametrize(("name", "args", "shape"), CASES, ids=[c[0] for c in CASES])
def test_json_is_one_document_on_stdout(ws: W, name: str, args: Callable[[W], list[str]], shape: set[str] | type) -> None:
    result = invoke(*args(ws), "--json")
    doc = json.loads(result.stdout)  # the whole of stdout: one document, nothing else
    if isinstance(shape, set):
        assert isinstance(doc, dict) and shape <= set(doc), f"{name}: missing {shape - set(doc)}"
    else:
        assert isinstance(doc, shape)


def test_failed_checks_exit_1_with_a_json_verdict(ws: W, tmp_path: Path) -> None:
    """A check that fails prints its result and exits CHECK_FAILED, not BAD_INPUT."""
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"id": "x", "prompt": "another suite"}) + "\n")
    res = runner.invoke(app, ["suites", "verify-reveal", ws["reveal"], "--trusted-key", ws["pub"], "--suite", str(other), "--json"])
    assert res.exit_code == ExitCode.CHECK_FAILED and json.loads(res.stdout)["ok"] is False
    stranger = tmp_path / "stranger.pem"
    invoke("keys", "init", "-o", str(stranger))
    stranger_pub = tmp_path / "stranger.pub"
    stranger_pub.write_text(invoke("keys", "show", "--signing-key", str(stranger), "--pem").stdout)
    res = runner.invoke(app, ["log", "consistency", ws["old"], ws["new"], "--log-dir", ws["log"], "--trusted-key", str(stranger_pub), "--json"])
    assert res.exit_code == ExitCode.CHECK_FAILED
    assert json.loads(res.stdout)["consistent"] is False
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nroles: [provider]\ncapabilities:\n  generates: [smell]\n")
    res = runner.invoke(app, ["assess", "validate", str(bad), "--json"])
    assert res.exit_code == ExitCode.CHECK_FAILED and json.loads(res.stdout)[0]["ok"] is False


def test_key_flags_cannot_be_confused(ws: W) -> None:
    """``--signing-key`` is private, ``--trusted-key`` public; the old ``--key``/``--log-key`` are gone."""
    for args in (
        ["keys", "show", "--key", "k.pem"],
        ["log", "checkpoint", "--key", "k.pem"],
        ["log", "consistency", ws["old"], ws["new"], "--log-key", ws["pub"]],
        ["suites", "commit", ws["suite"], "--key", "k.pem"],
        ["suites", "reveal", ws["suite"], "--key", "k.pem"],
        ["suites", "verify-reveal", ws["reveal"], "--key", ws["pub"]],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == ExitCode.BAD_INPUT and "No such option" in res.output, args
    # A trust file (public keys, one per line) is --trust, as in `accord verify`.
    trust = Path(ws["tmp"]) / "trust.txt"
    trust.write_text(Path(ws["pub"]).read_text())
    assert json.loads(invoke("suites", "verify-reveal", ws["reveal"], "--trust", str(trust), "--json").stdout)["ok"] is True
    shown = invoke("log", "consistency", ws["old"], ws["new"], "--log-dir", ws["log"], "--trust", str(trust), "--json")
    assert json.loads(shown.stdout)["consistent"] is True


def test_data_text_prints_verbatim(tmp_path: Path) -> None:
    """Prompts are data: ``[/data]`` and ``[a-z0-9-]`` print as written, not as rich markup."""
    suite = tmp_path / "brackets.jsonl"
    suite.write_text(json.dumps({"id": "a", "prompt": "close [/data] and match [a-z0-9-]"}) + "\n")
    res = runner.invoke(app, ["suites", "show", str(suite)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "close [/data] and match [a-z0-9-]" in res.stdout
    res = runner.invoke(app, ["packs", "show", "floor"], env={"COLUMNS": "200"})
    assert res.exit_code == 0 and "[floor]" in res.stdout  # the floor marker, once swallowed as a style tag
