"""``accord assess`` and ``accord compute`` end to end, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from accord.errors import AccordError, ExitCode

EXAMPLES = Path(__file__).parents[2] / "examples" / "systems"
runner = CliRunner()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "accord.cli.main", *args], capture_output=True, text=True, timeout=60)


def test_check_is_an_explicit_subcommand_with_json(tmp_path: Path) -> None:
    f = str(EXAMPLES / "cv-screening.yaml")
    res = runner.invoke(app, ["assess", "check", f, "--as-of", "2026-09-01", "--json"])
    assert res.exit_code == 0, res.output
    options_first = runner.invoke(app, ["assess", "check", "--as-of", "2026-09-01", "--json", f])
    assert options_first.stdout == res.stdout
    # No default-command shim: a bare file is not a subcommand (usage error, exit 2).
    bare = runner.invoke(app, ["assess", f, "--as-of", "2026-09-01"])
    assert bare.exit_code == ExitCode.BAD_INPUT and "No such command" in bare.output
    # -o writes the document in --format; the same JSON as --json prints.
    out = tmp_path / "a.json"
    written = runner.invoke(app, ["assess", "check", f, "--as-of", "2026-09-01", "-o", str(out), "--format", "json"])
    assert written.exit_code == 0 and written.stdout == "" and json.loads(out.read_text()) == json.loads(res.stdout)
    doc = json.loads(res.stdout)
    art9 = next(o for o in doc["obligations"] if o["rule_id"] == "eu-hr-art9")
    assert art9["status"] == {"kind": "applies_from", "date": "2027-12-02", "text": "applies from 2027-12-02"}
    assert art9["citation"] == "Art 9" and art9["conf"] == "M" and art9["why"]


def test_markdown_per_jurisdiction_with_status_conf_and_why() -> None:
    res = runner.invoke(app, ["assess", "check", str(EXAMPLES / "frontier-model.yaml"), "--as-of", "2026-11-23"])
    assert res.exit_code == 0, res.output
    out = res.output
    for heading in ("## European Union: AI Act", "## China", "## United States", "## Frontier-lab frameworks"):
        assert heading in out
    assert "**Art 55(1)(a)**" in out and "confidence: `P`" in out
    assert "no longer in force: revoked 2025-01-20 by EO 14148 (s.2(ggg))" in out
    assert "why: " in out and "model.training_compute_flop_effective = 1.8e26 > 1e26" in out


def test_jurisdiction_filter() -> None:
    res = runner.invoke(app, ["assess", "check", str(EXAMPLES / "china-public-chatbot.yaml"), "--jurisdiction", "cn", "--json"])
    doc = json.loads(res.stdout)
    assert doc["jurisdictions"] == ["cn"]
    assert {o["jurisdiction"] for o in doc["obligations"]} == {"cn"}
    assert any("GB/T 45654-2025" in o["citation"] for o in doc["obligations"])


def test_validate_ok_and_bad(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["assess", "validate", *map(str, sorted(EXAMPLES.iterdir()))])
    assert ok.exit_code == 0 and ok.output.count(": ok (") >= 6
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nroles: [provider]\ncapabilities:\n  generates: [smell]\n")
    res = runner.invoke(app, ["assess", "validate", str(bad)])
    assert res.exit_code == ExitCode.CHECK_FAILED
    assert f"{bad}:4: field 'capabilities.generates.0'" in res.output and "got 'smell'" in res.output
    res = runner.invoke(app, ["assess", "validate", str(bad), str(EXAMPLES / "cv-screening.yaml"), "--json"])
    assert res.exit_code == ExitCode.CHECK_FAILED
    doc = json.loads(res.stdout)
    assert [d["ok"] for d in doc] == [False, True]
    assert doc[0]["problems"][0]["line"] == 4 and doc[0]["problems"][0]["field"] == "capabilities.generates.0"


def test_validate_reports_every_file_even_unreadable_ones(tmp_path: Path) -> None:
    binary, empty, wrong = tmp_path / "bin.yaml", tmp_path / "empty.yaml", tmp_path / "wrong.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    empty.write_text("")
    wrong.write_text("name: x\nroles: [provider]\norganisation: {sme: maybe}\n")
    res = runner.invoke(app, ["assess", "validate", str(binary), str(tmp_path / "absent.yaml"), str(empty), str(wrong)])
    assert res.exit_code == ExitCode.CHECK_FAILED
    assert f"{binary}:1: not UTF-8: byte 0xff" in res.output and "absent.yaml: system description not found" in res.output
    assert "the file is empty" in res.output
    assert f"{wrong}:3: field 'organisation.sme'" in res.output and "expected true or false, got 'maybe'" in res.output


def test_user_errors_print_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nroles: [provider]\nmodel: {paramters: 7e9}\n")
    res = _run("assess", "check", str(bad))
    assert res.returncode != 0
    assert "Traceback" not in res.stderr and "did you mean 'parameters'" in res.stderr
    res = _run("assess", "check", str(EXAMPLES / "cv-screening.yaml"), "--as-of", "next week")
    assert res.returncode != 0 and "YYYY-MM-DD" in res.stderr
    res = _run("assess", "check", str(EXAMPLES / "cv-screening.yaml"), "--jurisdiction", "mars")
    assert res.returncode != 0 and "known: cn, eu, labs, us" in res.stderr
    # Bad input is BAD_INPUT (2), whatever main() prints.
    caught = runner.invoke(app, ["assess", "check", str(bad)])
    assert isinstance(caught.exception, AccordError) and caught.exception.exit_code == ExitCode.BAD_INPUT


def test_old_format_json_to_stdout_is_rejected() -> None:
    """``--format`` only chooses the -o document's format; printing JSON is ``--json``."""
    f = str(EXAMPLES / "cv-screening.yaml")
    res = runner.invoke(app, ["assess", "check", f, "--format", "json"])
    assert isinstance(res.exception, AccordError) and "--json" in res.exception.diagnostics()
    for cmd in (["compute", "estimate", "--params", "7e10", "--tokens", "1.5e13"], ["compute", "tpp", "--chip", "H100"]):
        res = runner.invoke(app, [*cmd, "--format", "json"])
        assert res.exit_code == ExitCode.BAD_INPUT and "No such option" in res.output
    res = runner.invoke(app, ["assess", "check", f, "-j", "eu"])  # -j is --judge elsewhere
    assert res.exit_code == ExitCode.BAD_INPUT


def test_schema_and_rules() -> None:
    schema = json.loads(runner.invoke(app, ["assess", "schema"]).stdout)
    assert "high_risk" in schema["properties"]
    rules = runner.invoke(app, ["assess", "rules", "--jurisdiction", "us"]).output
    assert "us-eo14110-model" in rules and "eu-art50-1" not in rules
    doc = json.loads(runner.invoke(app, ["assess", "rules", "--jurisdiction", "us", "--json"]).stdout)
    assert "us-eo14110-model" in {r["id"] for r in doc} and {r["jurisdiction"] for r in doc} == {"us"}


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--params", "7e10", "--tokens", "1.5e13"], ["6.3e24 FLOP", "**1e23**: CROSSED", "**1e25**: NOT CROSSED"]),
        (["--gpus", "16000", "--gpu-type", "H100", "--days", "54", "--utilization", "0.4"], ["2.95e25 FLOP", "**1e25**: CROSSED"]),
        (["--gpus", "16000", "--gpu-type", "H100", "--days", "54"], ["range 2.22e25", "0.3-0.5 assumed"]),
    ],
)
def test_compute_estimate(args: list[str], expect: list[str]) -> None:
    res = runner.invoke(app, ["compute", "estimate", *args])
    assert res.exit_code == 0, res.output
    for e in expect:
        assert e in res.output


def test_compute_estimate_json_and_misuse() -> None:
    doc = json.loads(runner.invoke(app, ["compute", "estimate", "--params", "1e12", "--tokens", "3e13", "--json"]).stdout)
    assert doc["flop"]["central"] == pytest.approx(1.8e26)
    assert [t["verdict"] for t in doc["thresholds"]] == ["crossed", "crossed", "crossed"]
    res = _run("compute", "estimate", "--params", "7e10")
    assert res.returncode != 0 and "--tokens" in res.stderr


def test_compute_tpp() -> None:
    res = runner.invoke(app, ["compute", "tpp", "--chip", "H100"])
    assert res.exit_code == 0 and "TPP **15,832**" in res.output and "3A090.a.1" in res.output
    res = runner.invoke(app, ["compute", "tpp", "--tops", "296", "--bits", "8", "--die-area", "814"])
    assert "TPP **2,368**" in res.output and "below the 3A090.a and .b thresholds" in res.output
    doc = json.loads(runner.invoke(app, ["compute", "tpp", "--chip", "a100", "--json"]).stdout)
    assert doc["tpp"] == pytest.approx(4992) and doc["paragraphs"][0].startswith("3A090.a.1")
    res = _run("compute", "tpp", "--chip", "Z9000")
    assert res.returncode != 0 and "h100-sxm" in res.stderr
    assert "h100-sxm" in runner.invoke(app, ["compute", "chips"]).output
    chips = json.loads(runner.invoke(app, ["compute", "chips", "--json"]).stdout)
    assert "h100-sxm" in {c["id"] for c in chips}
