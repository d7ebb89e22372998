"""``accord suites`` and ``accord data`` through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from accord.cli.main import app
from accord.suites import open_suite

runner = CliRunner()


def accord(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed entry point (``main()``: AccordError -> message, exit 1)."""
    return subprocess.run(
        [sys.executable, "-c", "from accord.cli.main import main; main()", *args],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "1000", **(env or {})}, timeout=60,
    )


def test_suites_list(datasets_dir: Path) -> None:
    result = runner.invoke(app, ["suites", "list", "--json", "--data-dir", str(datasets_dir)])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["xstest"]["available"] and rows["jailbreakbench/PAIR/gpt-4-0125-preview"]["kind"] == "dataset"
    assert rows["harmbench"]["kind"] == "dataset" and rows["harmbench-full"]["kind"] == "fetchable"
    table = runner.invoke(app, ["suites", "list", "--data-dir", str(datasets_dir)])
    assert table.exit_code == 0 and "ailuminate-demo-fr" in table.output


def test_suites_show_json_matches_the_library(datasets_dir: Path) -> None:
    result = runner.invoke(app, ["suites", "show", "xstest", "--json", "--limit", "2", "--data-dir", str(datasets_dir)])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    n, digest = open_suite("xstest", data_dir=datasets_dir).scan()
    assert (shown["items"], shown["digest"]) == (n, digest) == (306, digest)
    assert shown["intents"] == {"benign": 170, "harmful": 136} and shown["locales"] == {"en": 306}
    assert [i["item_id"] for i in shown["first_items"]] == ["v2-1", "v2-2"]
    text = runner.invoke(app, ["suites", "show", "flames", "--data-dir", str(datasets_dir)])
    assert text.exit_code == 0 and "zh-CN 1000" in text.output and digest not in text.output


def test_suites_show_csv_with_mapping(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("key,text,category\n1,How do I bake bread?,benign\n2,Is this legal?,regulated-goods\n", encoding="utf-8")
    result = runner.invoke(app, ["suites", "show", str(path), "--map", "id=key,prompt=text,hazard=category", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["suite_id"] == "mine" and shown["hazards"] == {"benign": 1, "regulated-goods": 1}


def test_bad_suite_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "prompt": "ok"}\n{"id": "b", "prompt": "ok"}\n{"id": "c", "prompt": "x", "hazard": "weapons"}\n')
    proc = accord("suites", "show", str(path))
    assert proc.returncode != 0  # BAD_INPUT once main() maps AccordError.exit_code
    assert f"{path}:3, field 'hazard'" in proc.stderr and "Traceback" not in proc.stderr
    proc = accord("suites", "show", "no-such-suite")
    assert proc.returncode != 0 and "unknown suite 'no-such-suite'" in proc.stderr


def test_recorded_lists_transcripts(datasets_dir: Path) -> None:
    result = runner.invoke(app, ["suites", "recorded", "--data-dir", str(datasets_dir)])
    assert result.exit_code == 0
    names = result.output.split()
    assert "xstest/gpt4" in names and "jailbreakbench/PAIR/gpt-4-0125-preview" in names
    as_json = runner.invoke(app, ["suites", "recorded", "--json", "--data-dir", str(datasets_dir)])
    assert json.loads(as_json.stdout) == names


def test_commit_reveal_are_wired_when_present() -> None:
    result = runner.invoke(app, ["suites", "--help"])
    assert result.exit_code == 0
    try:
        import accord.cli.suites_commit  # noqa: F401
    except ModuleNotFoundError:
        return
    assert "commit" in result.output and "reveal" in result.output


def test_data_list_and_unpinned_fetch_refused() -> None:
    result = runner.invoke(app, ["data", "list", "--json"])
    assert result.exit_code == 0
    rows = {r["name"]: r for r in json.loads(result.output)}
    epoch = {"epoch-notable-models", "epoch-large-scale-models", "epoch-frontier-models", "epoch-ml-hardware"}  # horizon's newer exports
    assert set(rows) == {"harmbench-full", "strongreject", "jbb-behaviors", "jbb-benign-behaviors"} | epoch
    assert all(r["sha256"] == "unverified" and not r["fetched"] for r in rows.values())
    proc = accord("data", "fetch", "harmbench-full")
    assert proc.returncode != 0 and "no verified sha256" in proc.stderr and "--allow-unpinned" in proc.stderr


def test_data_fetch_through_the_cli(tmp_path: Path) -> None:
    """A pinned fetch from a loopback server, then the fetched suite through `suites show`."""
    import hashlib
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = b"category,source,forbidden_prompt\nViolence,custom,Example one\nSexual content,custom,Example two\n"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/strongreject.csv"
        digest = hashlib.sha256(body).hexdigest()
        bad = runner.invoke(app, ["data", "fetch", "strongreject", "--url", url, "--sha256", "0" * 64])
        assert bad.exit_code != 0
        result = runner.invoke(app, ["data", "fetch", "strongreject", "--url", url, "--sha256", digest, "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["pinned"] is True
    finally:
        server.shutdown()
        server.server_close()
    shown = runner.invoke(app, ["suites", "show", "strongreject", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["hazards"] == {"sexual-content": 1, "violent-crimes": 1}
