"""The hooks a plugin may implement. Each takes no argument and returns a list of registrations.

A plugin module defines functions with these names, decorated with
``accord.plugins.hookimpl``; it implements only the hooks it needs.
"""

from __future__ import annotations

import pluggy

from accord.plugins._registrations import (
    AttackRegistration,
    CommandRegistration,
    ImporterRegistration,
    JudgeFactory,
    PackRegistration,
    SuiteRegistration,
    TargetProvider,
    TranscriptSource,
)

PROJECT = "accord"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class AccordSpecs:
    """Hook specifications (the class is only a namespace for pluggy)."""

    @hookspec
    def accord_targets(self) -> list[TargetProvider]:
        """Target providers: ``<name>:<rest>`` specs that ``accord run --target`` accepts."""
        raise NotImplementedError

    @hookspec
    def accord_judges(self) -> list[JudgeFactory]:
        """Judges by name, for ``--judge``."""
        raise NotImplementedError

    @hookspec
    def accord_suites(self) -> list[SuiteRegistration]:
        """Named suites, for ``--suite``."""
        raise NotImplementedError

    @hookspec
    def accord_transcripts(self) -> list[TranscriptSource]:
        """Recorded-response datasets for ``replay:<name>/...`` (by dataset prefix)."""
        raise NotImplementedError

    @hookspec
    def accord_packs(self) -> list[PackRegistration]:
        """Framework packs (YAML files), for ``--pack``."""
        raise NotImplementedError

    @hookspec
    def accord_attacks(self) -> list[AttackRegistration]:
        """Attacks (item transforms and multi-turn strategies)."""
        raise NotImplementedError

    @hookspec
    def accord_commands(self) -> list[CommandRegistration]:
        """CLI command groups mounted under ``accord``."""
        raise NotImplementedError

    @hookspec
    def accord_importers(self) -> list[ImporterRegistration]:
        """Readers of other tools' logs, for ``accord runs import <name> PATH...`` (issue 18)."""
        raise NotImplementedError


#: Hook name -> what its registrations are called in messages and ``list_plugins``.
KINDS: dict[str, str] = {
    "accord_targets": "targets",
    "accord_judges": "judges",
    "accord_suites": "suites",
    "accord_transcripts": "transcripts",
    "accord_packs": "packs",
    "accord_attacks": "attacks",
    "accord_commands": "commands",
    "accord_importers": "importers",
}
