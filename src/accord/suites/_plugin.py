"""The suites package's built-in registrations: the published transcripts ``replay:`` reads.

Built-in suites themselves are package data (``accord/suites/data``) and dataset loaders,
resolved in ``_registry``; only the transcripts go through the plugin registry, so that the
``replay`` target reads them without importing ``accord.suites``.
"""

from __future__ import annotations

from accord.plugins import TranscriptSource, hookimpl

_READER = "accord.suites._public:recorded_responses"


@hookimpl
def accord_transcripts() -> list[TranscriptSource]:
    return [
        TranscriptSource("xstest", _READER, "XSTest v2 model completions: replay:xstest/<model>"),
        TranscriptSource("jailbreakbench", _READER, "JailbreakBench artifacts: replay:jailbreakbench/<METHOD|*>/<MODEL>"),
    ]
