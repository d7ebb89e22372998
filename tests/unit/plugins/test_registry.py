"""The plugin registry: built-ins through the hooks, lazy loading, and failures that only warn."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

import accord.plugins as plugins
from accord.plugins import JudgeFactory, PackRegistration, SuiteRegistration, TargetProvider


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ACCORD_NO_PLUGINS", "1")  # only what a test registers, not the machine's
    plugins.reset()
    yield
    plugins.reset()


class Toy:
    """A plugin object: a target, a judge, a suite and a pack."""

    def __init__(self, suite: Path, pack: Path) -> None:
        self.suite, self.pack = suite, pack

    @plugins.hookimpl
    def accord_targets(self) -> list[TargetProvider]:
        return [TargetProvider("toy", "accord.targets._providers.python", "python under another name")]

    @plugins.hookimpl
    def accord_judges(self) -> list[JudgeFactory]:
        from accord.judges._pattern import PatternJudge

        return [JudgeFactory("toy-judge", PatternJudge)]

    @plugins.hookimpl
    def accord_suites(self) -> list[SuiteRegistration]:
        return [SuiteRegistration("toy-suite", path=self.suite, description="two items")]

    @plugins.hookimpl
    def accord_packs(self) -> list[PackRegistration]:
        return [PackRegistration("toy-pack", self.pack)]


def _toy(tmp_path: Path) -> Toy:
    suite = tmp_path / "toy.jsonl"
    suite.write_text('{"id": "a", "prompt": "hello", "hazard": "benign", "intent": "benign"}\n')
    from accord.frameworks import builtin_pack_ids

    pack_id = builtin_pack_ids()[0]
    pack = Path(str(resources.files("accord.frameworks").joinpath("packs", f"{pack_id}.yaml")))
    return Toy(suite, pack)


def test_builtins_register_through_the_hooks() -> None:
    import accord.judges
    import accord.suites
    import accord.targets  # noqa: F401 - each package declares its built-in plugin when imported

    assert {"openai", "anthropic", "hf", "replay", "http", "python"} <= set(plugins.target_providers())
    judges = plugins.judge_factories()
    assert {"embedded", "pattern", "llm"} <= set(judges) and judges["llm"].takes_argument
    rows = {p.name: p for p in plugins.list_plugins()}
    assert rows["accord.targets._plugin"].builtin and "openai" in rows["accord.targets._plugin"].registers["targets"]
    assert rows["accord.judges._plugin"].error is None
    assert set(plugins.transcript_sources()) == {"xstest", "jailbreakbench"}


def test_a_plugin_adds_a_target_judge_suite_and_pack(tmp_path: Path) -> None:
    plugins.register(_toy(tmp_path), "toy")
    from accord.frameworks import load_pack
    from accord.judges import get_judge, known_names
    from accord.suites import open_suite
    from accord.targets import parse_target

    assert parse_target("toy:os.path:join").provider == "toy"
    assert get_judge("toy-judge").judge_id == "pattern" and "toy-judge" in known_names()
    assert open_suite("toy-suite").load().suite_id == "toy-suite"
    assert load_pack("toy-pack").id
    info = next(p for p in plugins.list_plugins() if p.name == "toy")
    assert info.registers == {"targets": ["toy"], "judges": ["toy-judge"], "suites": ["toy-suite"], "packs": ["toy-pack"]}
    assert info.to_json()["builtin"] is False


def test_a_hook_that_raises_warns_and_the_rest_load() -> None:
    class Broken:
        @plugins.hookimpl
        def accord_targets(self) -> list[Any]:
            raise RuntimeError("no luck")

    plugins.register(Broken(), "broken")
    with pytest.warns(UserWarning, match=r"'broken' failed in accord_targets\(\): RuntimeError: no luck"):
        providers = plugins.target_providers()
    assert "openai" in providers
    assert next(p for p in plugins.list_plugins() if p.name == "broken").error


def test_built_ins_win_a_name_clash() -> None:
    class Impostor:
        @plugins.hookimpl
        def accord_targets(self) -> list[TargetProvider]:
            return [TargetProvider("openai", "os")]

    plugins.register(Impostor(), "impostor")
    with pytest.warns(UserWarning, match="registers target 'openai', already registered"):
        providers = plugins.target_providers()
    assert providers["openai"].module == "accord.targets._providers.openai"


def test_unknown_names_list_plugin_ones(tmp_path: Path) -> None:
    from accord.errors import UnknownNameError
    from accord.judges import get_judge

    plugins.register(_toy(tmp_path), "toy")
    with pytest.raises(UnknownNameError) as info:
        get_judge("nope")
    assert "toy-judge" in info.value.known


def test_loading_is_lazy() -> None:
    """Importing accord (or its CLI) loads neither pluggy nor any plugin module."""
    code = (
        "import sys, accord.plugins, accord.targets, accord.cli.main; "
        "print(sorted(m for m in sys.modules if m == 'pluggy' or m.startswith('accord.plugins._manager') or m.endswith('._plugin')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_asking_for_targets_does_not_load_the_judges() -> None:
    code = "import sys; from accord.targets import parse_target; parse_target('openai:http://h:1#m'); print('accord.judges' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"
