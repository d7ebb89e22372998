"""The built-in importers, registered through the same hook a third-party plugin uses."""

from __future__ import annotations

from accord.plugins import ImporterRegistration, hookimpl


@hookimpl
def accord_importers() -> list[ImporterRegistration]:
    return [
        ImporterRegistration("inspect", "accord.interop._inspect:import_inspect", "Inspect AI logs (.eval, .json; a log directory); needs the inspect extra"),
        ImporterRegistration("garak", "accord.interop._garak:import_garak", "garak report.jsonl files"),
        ImporterRegistration("promptfoo", "accord.interop._promptfoo:import_promptfoo", "promptfoo eval results (promptfoo eval -o results.json)"),
    ]
