"""Judge names users type (``--judge NAME``) and lazy construction.

- ``embedded`` (default), ``pattern``: offline judges, built on first use;
- ``llm:<target spec>``: the LLM judge over any accord target, e.g.
  ``llm:openai:http://127.0.0.1:8000/v1#judge-model``;
- ``ensemble:<a>+<b>[+...][;min=N][;tie=unsafe|unassessed]``: majority vote;
- ``any-unsafe:<a>+<b>[+...][;min=N]``: harmful if any member says so;
- any name a plugin registers (``accord_judges`` hook; see docs/plugins.md). The built-ins
  above register through the same hook (``accord/judges/_plugin.py``); the ensembles are
  combinators over names and stay here.

Construction is lazy so that ``accord judge list`` does not load a model or open a target.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from accord.errors import InputError, UnknownNameError
from accord.judges._judge import Judge, Needs
from accord.plugins import JudgeFactory, declare_builtin

DEFAULT_JUDGE = "embedded"
declare_builtin("accord.judges._plugin", ("accord_judges",))


@dataclass(frozen=True)
class JudgeInfo:
    name: str
    needs: Needs
    description: str
    factory: Callable[[], Judge]


def _embedded() -> Judge:
    from accord.judges._embedded import EmbeddedJudge

    return EmbeddedJudge()


def _pattern() -> Judge:
    from accord.judges._pattern import PatternJudge

    return PatternJudge()


BUILTINS: dict[str, JudgeInfo] = {
    "embedded": JudgeInfo("embedded", "cpu", "linear model over text and hand features; trained on human labels", _embedded),
    "pattern": JudgeInfo("pattern", "cpu", "refusal-phrase baseline (substring anywhere)", _pattern),
}
#: Name forms that take an argument, shown in error messages and ``judge list``.
FORMS = ("llm:<target spec>", "ensemble:<a>+<b>[;min=N][;tie=unsafe|unassessed]", "any-unsafe:<a>+<b>[;min=N]")

_OPTIONS = re.compile(r"((?:;(?:min|tie)=[^;]*)+)$")


def _factories() -> dict[str, JudgeFactory]:
    from accord.plugins import judge_factories

    return judge_factories()


def known_names() -> list[str]:
    """Every judge name and name form, built-in and from plugins."""
    factories = _factories()
    plain = [n for n, f in factories.items() if not f.takes_argument]
    forms = [f"{n}:<argument>" for n, f in factories.items() if f.takes_argument and n != "llm"]
    return [*plain, *FORMS, *forms]


def _parse_combo(name: str, body: str) -> tuple[list[str], dict[str, str]]:
    options: dict[str, str] = {}
    match = _OPTIONS.search(body)
    if match:
        for part in match.group(1).strip(";").split(";"):
            key, _, value = part.partition("=")
            options[key] = value
        body = body[: match.start()]
    members = [m.strip() for m in body.split("+") if m.strip()]
    if len(members) < 2:
        raise InputError(
            "an ensemble needs at least two judges joined by '+'",
            field="--judge",
            expected="e.g. ensemble:embedded+pattern",
            got=name,
        )
    return members, options


def _min_valid(name: str, options: dict[str, str]) -> int | None:
    if "min" not in options:
        return None
    try:
        return int(options["min"])
    except ValueError:
        raise InputError("min must be an integer", field="--judge", expected="min=N", got=name) from None


def get_judge(name: str = DEFAULT_JUDGE) -> Judge:
    """Build the judge a name stands for; ``UnknownNameError`` lists the known names."""
    name = name.strip()
    factories = _factories()
    if name in factories and not factories[name].takes_argument:
        judge: Judge = factories[name].build()
        return judge
    prefix, sep, rest = name.partition(":")
    if sep and prefix in ("ensemble", "any-unsafe") and rest:
        from accord.judges._ensemble import AnyUnsafeEnsemble, MajorityEnsemble

        members_names, options = _parse_combo(name, rest)
        members = [get_judge(m) for m in members_names]
        try:
            if prefix == "ensemble":
                tie = options.get("tie", "unsafe")
                if tie not in ("unsafe", "unassessed"):
                    raise InputError("unknown tie rule", field="--judge", expected="tie=unsafe or tie=unassessed", got=tie)
                return MajorityEnsemble(name, members, _min_valid(name, options), tie)  # type: ignore[arg-type]
            return AnyUnsafeEnsemble(name, members, _min_valid(name, options))
        except ValueError as exc:
            raise InputError(str(exc), field="--judge", got=name) from None
    if sep and rest and prefix in factories and factories[prefix].takes_argument:
        built: Judge = factories[prefix].build(rest)
        return built
    raise UnknownNameError("judge", name, known_names())
