"""The built-in target providers, registered through the same hook a third-party plugin uses.

Each provider is named by its module path, so registering them imports none: ``hf`` (torch)
is imported only when a spec names it.
"""

from __future__ import annotations

from accord.plugins import TargetProvider, hookimpl

_P = "accord.targets._providers."
#: The shared ``load_target`` options every HTTP provider takes.
_HTTP = frozenset({"max_response_bytes", "ca_bundle"})


@hookimpl
def accord_targets() -> list[TargetProvider]:
    return [
        TargetProvider("openai", _P + "openai", "any OpenAI-compatible chat-completions server", _HTTP | {"api_key_env"}),
        TargetProvider("anthropic", _P + "anthropic", "Anthropic's Messages API", _HTTP | {"api_key_env"}),
        TargetProvider("hf", _P + "hf", "a local Hugging Face transformers model (accord[hf])"),
        TargetProvider("replay", _P + "replay", "recorded responses (a JSONL file or a dataset transcript)", frozenset({"data_dir"})),
        TargetProvider("http", _P + "http", "any JSON-over-HTTP API: custom headers, body template, response path", _HTTP),
        TargetProvider("python", _P + "python", "a Python function: python:package.module:function"),
    ]
