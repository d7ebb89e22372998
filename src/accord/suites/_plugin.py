"""The suites package's built-in registrations, through the hooks a third-party plugin uses.

- ``accord_suites``: accord's own suites (``floor``, ``overrefusal``, ``divergence``) and the
  public-dataset loaders (``xstest``, ``ailuminate-demo-en``, ...). Built-ins register
  first, so a plugin cannot shadow one of them.
- ``accord_transcripts``: the published transcripts ``replay:`` reads, so that the
  ``replay`` target reads them without importing ``accord.suites``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from accord.plugins import SuiteRegistration, TranscriptSource, hookimpl
from accord.suites._source import SuiteSource

_READER = "accord.suites._public:recorded_responses"


@hookimpl
def accord_transcripts() -> list[TranscriptSource]:
    return [
        TranscriptSource("xstest", _READER, "XSTest v2 model completions: replay:xstest/<model>"),
        TranscriptSource("jailbreakbench", _READER, "JailbreakBench artifacts: replay:jailbreakbench/<METHOD|*>/<MODEL>"),
    ]


def builtin_suite(name: str) -> Callable[[str | Path | None], SuiteSource]:
    """A factory for one of accord's own suites (the JSONL files in ``accord/suites/data``)."""

    def factory(_data_dir: str | Path | None) -> SuiteSource:
        from accord.suites._registry import builtin_source

        return builtin_source(name)

    return factory


def dataset_suite(name: str) -> Callable[[str | Path | None], SuiteSource]:
    """A factory for a public dataset read in place from ``ACCORD_DATA_DIR``."""

    def factory(data_dir: str | Path | None) -> SuiteSource:
        from accord.suites._registry import dataset_source

        return dataset_source(name, data_dir)

    return factory


@hookimpl
def accord_suites() -> list[SuiteRegistration]:
    """accord's own suites and the public-dataset loaders, registered like a plugin's."""
    from accord.suites._registry import BUILTIN_DESCRIPTIONS, builtin_names, dataset_descriptions

    own = [SuiteRegistration(n, factory=builtin_suite(n), description=BUILTIN_DESCRIPTIONS.get(n, "built-in suite")) for n in builtin_names()]
    return own + [SuiteRegistration(n, factory=dataset_suite(n), description=d) for n, d in dataset_descriptions().items()]
