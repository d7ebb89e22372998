"""Target-spec strings: the spellings users type and scripts depend on.

``provider:rest``; each provider parses its own ``rest`` (its module's ``parse(rest, raw)``,
see ``accord.targets._registry``), so a plugin adds a spelling without touching this file:

- ``openai:<base-url>#<model>`` or ``openai:<model>`` (OpenAI's own API)
- ``anthropic:<model>``
- ``hf:<path-or-name>`` (a local directory, or a hub name already in the local cache)
- ``replay:<file.jsonl>`` or ``replay:<dataset>/<transcript>`` (recorded responses)
- ``http:<url>[#model=…&header.<Name>=env:<VAR>&response=<path>&body=<file.json>]``
- ``python:<package.module>:<function>``

Parsing is pure (no I/O, no network, no heavy import): it runs before anything is sent, so
a typo fails at once with the part that is wrong.
"""

from __future__ import annotations

from accord.errors import InputError, UnknownNameError
from accord.targets._target import TargetSpec

FIELD = "--target"
EXAMPLES = "openai:http://localhost:8000/v1#my-model, anthropic:claude-sonnet-4-5, hf:./model-dir, replay:responses.jsonl"


def known_providers() -> list[str]:
    from accord.plugins import target_providers

    return sorted(target_providers())


def parse_target(spec: str, *, name: str | None = None) -> TargetSpec:
    """``TargetSpec`` for a target string; ``InputError``/``UnknownNameError`` say what is wrong.

    ``name`` sets the display-name override (``TargetSpec.name``).
    """
    from accord.targets._registry import provider_module

    raw = spec
    spec = spec.strip()
    if not spec:
        raise InputError("empty target spec", field=FIELD, expected="provider:rest", fix=f"e.g. {EXAMPLES}")
    provider, sep, rest = spec.partition(":")
    provider = provider.strip().lower()
    if not sep or not provider:
        raise InputError("a target spec starts with its provider and a colon", field=FIELD, expected="provider:rest", got=raw, fix=f"e.g. {EXAMPLES}")
    known = known_providers()
    if provider not in known:
        raise UnknownNameError("target provider", provider, known)
    if not rest.strip():
        raise InputError(f"the {provider} target names nothing after '{provider}:'", field=FIELD, expected=f"{provider}:<...>", got=raw, fix=f"e.g. {EXAMPLES}")
    parse = getattr(provider_module(provider), "parse", None)
    parsed = parse(rest, raw) if callable(parse) else TargetSpec(provider=provider, model=rest.strip(), raw=raw)
    if not isinstance(parsed, TargetSpec):
        raise TypeError(f"target provider '{provider}' parse() returned {type(parsed).__name__}, not TargetSpec")
    if parsed.provider != provider:
        parsed = parsed.model_copy(update={"provider": provider})
    if name is not None:
        parsed = parsed.model_copy(update={"name": name.strip() or None})
    return parsed
