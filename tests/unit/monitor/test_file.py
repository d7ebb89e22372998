"""Monitor files: validated like run specs, errors at file:line with the field (issue 23)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from accord.errors import InputError
from accord.pipeline._monitor import load_monitor, monitor_from_data, monitor_run_spec

GOOD = """\
version: 1
name: nightly-floor
cadence: 24h
anchor: "2026-01-01T06:00:00Z"
targets:
  - name: prod
    spec: openai:http://127.0.0.1:8000/v1#model
    api_key_env: PROD_KEY
    version: served
    released: 2026-11-20
  - name: staging
    spec: openai:http://127.0.0.1:8001/v1#model
    version: "2027-01-rc1"
run:
  suites: [xstest]
  epochs: 2
  judge: embedded
compare:
  correction: bh
  alpha: 0.01
alerts:
  on: change
  webhooks:
    - url: https://hooks.example.org/accord
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "monitor.yaml"
    p.write_text(text)
    return p


def _error(tmp_path: Path, text: str) -> InputError:
    with pytest.raises(InputError) as exc:
        load_monitor(_write(tmp_path, text))
    return exc.value


def test_a_good_file_loads_and_makes_each_targets_run_spec(tmp_path: Path) -> None:
    mon = load_monitor(_write(tmp_path, GOOD))
    assert mon.name == "nightly-floor" and mon.cadence_s == 86400 and mon.anchor == datetime(2026, 1, 1, 6, tzinfo=UTC)
    prod = mon.target("prod")
    assert prod.served and prod.released == date(2026, 11, 20)
    assert mon.compare.correction == "bh" and mon.alerts.on == "change" and len(mon.alerts.webhooks) == 1
    spec = monitor_run_spec(mon, prod, "mon-nightly-floor-prod-20260102T0600Z")
    assert spec.run_id == "mon-nightly-floor-prod-20260102T0600Z" and spec.epochs == 2
    assert [t.model_dump(exclude_defaults=True) for t in spec.targets] == [
        {"spec": "openai:http://127.0.0.1:8000/v1#model", "name": "prod", "api_key_env": "PROD_KEY"}
    ]


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "words"),
    [
        ("    version: served\n", "    verison: served\n", 9, "targets.0.verison", "Extra inputs"),  # a target's unknown field
        ("  epochs: 2\n", "  epochs: 2\n  temprature: 1\n", 17, "run.temprature", "Extra inputs"),  # run:'s unknown field
        ("compare:\n", "comapre:\n", 18, "comapre", "Extra inputs"),
        ("cadence: 24h\n", "cadence: fortnightly\n", 3, "cadence", "not a cadence"),
        ("cadence: 24h\n", "cadence: 0.5s\n", 3, "cadence", "whole number"),
        ("name: nightly-floor\n", "name: Nightly Floor\n", 2, "name", "slug"),
        ("  - name: staging\n", "  - name: prod\n", 5, "targets", "listed twice"),
        ('anchor: "2026-01-01T06:00:00Z"\n', "anchor: 2026-01-01 06:00:00\n", 4, "anchor", "time zone"),
        ("    released: 2026-11-20\n", "    released: 2026-13-45\n", 10, "targets.0.released", "date"),
        ("  epochs: 2\n", "  epochs: 2\n  run_id: mine\n", 14, "run", "set by the monitor"),
        ("  epochs: 2\n", "  epochs: 0\n", 16, "run.epochs", "greater than or equal"),
        ("  on: change\n", "  on: sometimes\n", 22, "alerts.on", "Input should be"),
    ],
)
def test_errors_name_the_line_and_field(tmp_path: Path, old: str, new: str, line: int, field: str | None, words: str) -> None:
    assert old in GOOD
    err = _error(tmp_path, GOOD.replace(old, new))
    assert err.line == line, str(err)
    assert err.field == field, str(err)
    assert words in str(err)
    assert str(err).startswith(f"{tmp_path / 'monitor.yaml'}:{line}")


def test_secrets_are_refused_in_target_entries_as_run_specs_refuse_them(tmp_path: Path) -> None:
    err = _error(tmp_path, GOOD.replace("api_key_env: PROD_KEY", "api_key_env: sk-live-0123456789abcdef"))
    assert (err.line, err.field) == (8, "targets.0.api_key_env") and "NAME of an environment variable" in str(err)
    err = _error(tmp_path, GOOD.replace("api_key_env: PROD_KEY", "api_key: sk-live-0123456789abcdef"))
    assert err.field == "targets.0.api_key" and "Extra inputs" in str(err)
    assert "sk-live" not in (err.why or "")  # an extra field's value is not echoed back


def test_a_webhook_with_credentials_in_its_url_is_refused(tmp_path: Path) -> None:
    err = _error(tmp_path, GOOD.replace("https://hooks.example.org/accord", "https://user:pw@hooks.example.org/accord"))
    assert err.field == "alerts.webhooks.0.url" and err.line == 24 and "credentials" in str(err)


def test_not_a_mapping_and_bad_yaml_and_limits(tmp_path: Path) -> None:
    assert "mapping" in str(_error(tmp_path, "- a\n- b\n"))
    err = _error(tmp_path, "name: [unclosed\n")
    assert "not valid YAML" in str(err) and err.line is not None
    assert "deeper" in str(_error(tmp_path, "a: " + "[" * 80 + "]" * 80 + "\n"))
    with pytest.raises(InputError, match="cannot read"):
        load_monitor(tmp_path / "missing.yaml")


def test_missing_required_fields(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        monitor_from_data({"name": "m", "cadence": "1h", "run": {"suites": ["xstest"]}})
    assert exc.value.field == "targets" and "required" in str(exc.value)
    with pytest.raises(InputError) as exc:
        monitor_from_data({"name": "m", "cadence": "1h", "targets": [{"name": "t", "spec": "replay:xstest/gpt4"}], "run": {}})
    assert exc.value.field == "run.suites"
