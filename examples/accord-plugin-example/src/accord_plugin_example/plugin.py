"""The entry point: accord calls these hooks when it first consults a registry.

Implementations are named by import path, so loading the plugin stays cheap: the judge
module (which imports ``accord.judges``) is imported only when ``--judge keyword-judge`` is used.
"""

from accord.plugins import CommandRegistration, JudgeFactory, TargetProvider, hookimpl


@hookimpl
def accord_targets() -> list[TargetProvider]:
    return [TargetProvider("echo", "accord_plugin_example.echo", "echoes prompts; refuses ones that mention a word")]


@hookimpl
def accord_judges() -> list[JudgeFactory]:
    return [JudgeFactory("keyword-judge", "accord_plugin_example.judge:KeywordJudge", "refusal keywords, anywhere in the output")]


@hookimpl
def accord_commands() -> list[CommandRegistration]:
    return [CommandRegistration("example", "accord_plugin_example.command:app", "Commands the example plugin adds.")]
