"""The provider registry, backed by ``accord.plugins``: built-in and plugin providers alike.

A provider is a module (or object) with ``create(spec, **options) -> Target`` and optionally
``parse(rest, raw) -> TargetSpec`` and ``display_name(spec) -> str`` (see
``accord.plugins.TargetProvider``). Built-ins live in ``accord/targets/_providers/<name>.py``
and register in ``accord/targets/_plugin.py``. Importing a provider's heavy dependencies
(torch for ``hf``) happens in its ``create``, so nothing here loads one until a run builds it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from accord.errors import AccordError, UnknownNameError
from accord.plugins import TargetProvider, declare_builtin
from accord.targets._target import Target, TargetSpec

declare_builtin("accord.targets._plugin", ("accord_targets",))


class _Providers(Mapping[str, TargetProvider]):
    """``PROVIDERS``: a read-only view of the plugin registry's target providers."""

    def _all(self) -> dict[str, TargetProvider]:
        from accord.plugins import target_providers

        return target_providers()

    def __getitem__(self, name: str) -> TargetProvider:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


PROVIDERS: Mapping[str, TargetProvider] = _Providers()


def get_provider(name: str) -> TargetProvider:
    """The registration for provider ``name``; ``UnknownNameError`` lists the known ones."""
    from accord.plugins import target_providers

    providers = target_providers()
    if name not in providers:
        raise UnknownNameError("target provider", name, providers)
    return providers[name]


def provider_module(name: str) -> Any:
    """The provider's module/object (imports it; its heavy dependencies wait for ``create``)."""
    provider = get_provider(name)
    try:
        return provider.load()
    except ImportError as exc:
        raise AccordError(f"target provider '{name}' cannot be imported", why=f"{type(exc).__name__}: {exc}") from exc


def display_name(spec: str | TargetSpec) -> str:
    """The readable name of a target: the spec's ``name`` override, else the provider's.

    Never fails: a spec that no longer parses (a run made with a plugin since uninstalled)
    is shown as written.
    """
    if isinstance(spec, str):
        from accord.targets._spec import parse_target

        raw = spec
        try:
            spec = parse_target(raw)
        except AccordError:
            return raw
    if spec.name:
        return spec.name
    try:
        module = provider_module(spec.provider)
        fn = getattr(module, "display_name", None)
        name = fn(spec) if callable(fn) else None
    except Exception:  # a provider's display name is cosmetic: never fail a report over it
        name = None
    return str(name) if name else (spec.model or spec.raw)


def load_target(
    spec: str | TargetSpec,
    *,
    name: str | None = None,
    api_key_env: str | None = None,
    data_dir: str | Path | None = None,
    max_response_bytes: int | None = None,
    ca_bundle: str | Path | None = None,
    **options: Any,
) -> Target:
    """Parse ``spec`` (if a string) and build its target; provider-specific ``options`` pass through.

    ``name`` overrides the display name (kept in ``target.spec.name``). Only options the
    caller actually set are passed on. ``data_dir`` is a general setting (``ACCORD_DATA_DIR``
    also locates suites) and goes only to providers that read datasets; an API key variable
    given to a provider that takes none is an error, not ignored. ``max_response_bytes``
    (default 8 MiB) and ``ca_bundle`` (a PEM file of extra CAs) go to the HTTP providers
    (``openai``, ``anthropic``, ``http``); set for a provider that does no HTTP, they are an
    error too (``--max-response-bytes``/``--ca-bundle`` would do nothing).
    """
    from accord.targets._spec import parse_target

    parsed = parse_target(spec) if isinstance(spec, str) else spec
    if name is not None:
        parsed = parsed.model_copy(update={"name": name.strip() or None})
    provider = get_provider(parsed.provider)
    shared: dict[str, Any] = {
        "api_key_env": api_key_env,
        "data_dir": data_dir,
        "max_response_bytes": max_response_bytes,
        "ca_bundle": ca_bundle,
    }
    kwargs: dict[str, Any] = {}
    for key, value in shared.items():
        if value is None:
            continue
        if key not in provider.accepts:
            if key == "data_dir":
                continue
            flag = "--" + key.replace("_", "-")
            raise AccordError(f"the {parsed.provider} target does not use {flag}", fix=f"drop {flag}")
        kwargs[key] = value if key == "max_response_bytes" else str(value)
    kwargs.update({k: v for k, v in options.items() if v is not None})
    module = provider_module(parsed.provider)
    target: Target = module.create(parsed, **kwargs)
    if name is not None and getattr(target, "spec", None) is not None and target.spec.name != parsed.name:
        target.spec = target.spec.model_copy(update={"name": parsed.name})
    return target
