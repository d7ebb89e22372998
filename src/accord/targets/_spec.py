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

from urllib.parse import SplitResult, urlsplit

from accord.errors import InputError, UnknownNameError
from accord.targets._target import TargetSpec

FIELD = "--target"
EXAMPLES = "openai:http://localhost:8000/v1#my-model, anthropic:claude-sonnet-4-5, hf:./model-dir, replay:responses.jsonl"


CREDENTIALS_FIX = "pass the key with --api-key-env (openai:, anthropic:) or header.<Name>=env:VAR (http:)"


def check_http_url(url: str, raw: str, *, expected: str, field: str = FIELD) -> SplitResult:
    """``urlsplit(url)`` for an http(s) URL with a host and a valid port; ``InputError`` otherwise.

    Refuses credentials in the URL (``http://user:pass@host``): the spec is stored with the
    run, printed in reports and signed into attestations, so a password there would end up in
    permanent records. ``urlsplit`` itself raises ``ValueError`` on ``http://[::1`` and
    ``.port`` on ``:99999``; both become errors on ``field``.
    """
    authority = url.strip().split("://", 1)[-1]
    for stop in "/?#":
        authority = authority.split(stop, 1)[0]
    if "@" in authority:  # checked first, so no other error repeats the password in "got"
        raise InputError(
            "credentials in the URL are refused; pass the key with --api-key-env / header.<Name>=env:VAR",
            field=field,
            expected=expected,
            fix=CREDENTIALS_FIX,
        )
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InputError(f"not a valid URL: {exc}", field=field, expected=expected, got=raw) from None
    if parts.scheme not in ("http", "https") or not parts.netloc or not parts.hostname:
        raise InputError("the URL must be an http(s) URL with a host", field=field, expected=expected, got=raw)
    if port == 0:
        raise InputError("port 0 is not a port a server listens on", field=field, expected=expected, got=raw)
    return parts


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
        raise InputError(
            "a target spec starts with its provider and a colon", field=FIELD, expected="provider:rest", got=raw, fix=f"e.g. {EXAMPLES}"
        )
    known = known_providers()
    if provider not in known:
        raise UnknownNameError("target provider", provider, known)
    if not rest.strip():
        raise InputError(
            f"the {provider} target names nothing after '{provider}:'",
            field=FIELD,
            expected=f"{provider}:<...>",
            got=raw,
            fix=f"e.g. {EXAMPLES}",
        )
    parse = getattr(provider_module(provider), "parse", None)
    parsed = parse(rest, raw) if callable(parse) else TargetSpec(provider=provider, model=rest.strip(), raw=raw)
    if not isinstance(parsed, TargetSpec):
        raise TypeError(f"target provider '{provider}' parse() returned {type(parsed).__name__}, not TargetSpec")
    if parsed.provider != provider:
        parsed = parsed.model_copy(update={"provider": provider})
    if name is not None:
        parsed = parsed.model_copy(update={"name": name.strip() or None})
    return parsed
