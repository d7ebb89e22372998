"""Readable target names: each provider names its own targets; a spec's ``name`` overrides."""

from __future__ import annotations

import pytest

from accord.targets import display_name, load_target, parse_target


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        ("openai:http://127.0.0.1:8000/v1#my-model", "my-model"),
        ("openai:gpt-4o", "gpt-4o"),
        ("anthropic:claude-x", "claude-x"),
        ("hf:/path/to/SmolLM2", "SmolLM2"),
        ("hf:/path/to/SmolLM2/", "SmolLM2"),
        ("hf:HuggingFaceTB/SmolLM2-135M-Instruct", "SmolLM2-135M-Instruct"),
        ("replay:xstest/gpt4", "gpt4 (XSTest transcript)"),
        ("replay:jailbreakbench/*/vicuna-13b-v1.5", "vicuna-13b-v1.5 (JailbreakBench transcripts)"),
        ("replay:jailbreakbench/PAIR/vicuna-13b-v1.5", "vicuna-13b-v1.5 (JailbreakBench transcript)"),
        ("replay:runs/out.jsonl", "out.jsonl (replay)"),
        ("http:https://acme.example/v1/chat#model=gpt-4o", "gpt-4o"),
        ("python:my_pkg.bots:echo", "echo"),
    ],
)
def test_each_provider_names_its_targets(spec: str, name: str) -> None:
    assert display_name(spec) == name
    assert parse_target(spec).display_name == name


def test_the_name_overrides_and_the_raw_spec_is_kept() -> None:
    spec = parse_target("openai:http://127.0.0.1:8000/v1#m", name="Our model (prod)")
    assert spec.display_name == "Our model (prod)" and spec.raw == "openai:http://127.0.0.1:8000/v1#m"
    target = load_target("openai:http://127.0.0.1:9/v1#local", name="Local")
    assert target.spec.display_name == "Local" and target.spec.name == "Local"


def test_a_spec_that_no_longer_parses_is_shown_as_written() -> None:
    assert display_name("uninstalled-plugin:whatever") == "uninstalled-plugin:whatever"
