"""Where a pipeline job does its work: ``local`` (this process) or ``ray[:ADDRESS]``.

Parsing only: no Ray import here, so a spec with ``engine: {executor: ray}`` validates (and
``accord run --help`` starts) on a machine without Ray; ``accord.pipeline._ray`` imports it
when a job actually runs on a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.errors import InputError

RAY_INSTALL = "pip install 'accord[ray]'  (or: pip install 'ray>=2.9,<3')"


@dataclass(frozen=True)
class Executor:
    """``kind`` is ``local`` or ``ray``; ``address`` is what ``ray.init`` is given (``None``:
    ``RAY_ADDRESS`` or a running local cluster, else a new one on this machine; ``auto``:
    a running cluster only)."""

    kind: str = "local"
    address: str | None = None

    @property
    def is_ray(self) -> bool:
        return self.kind == "ray"


def parse_executor(text: str | None) -> Executor:
    """``local``, ``ray``, ``ray:auto``, ``ray:HOST:PORT`` or ``ray:ray://HOST:PORT``."""
    value = (text or "local").strip()
    if value == "local":
        return Executor()
    if value == "ray":
        return Executor("ray")
    if value.startswith("ray:") and len(value) > 4:
        return Executor("ray", value[4:])
    raise InputError(
        f"unknown executor {value!r}",
        field="executor",
        expected="local, ray, ray:auto, ray:HOST:PORT (a cluster's head started with `ray start --head`) or ray:ray://HOST:10001",
    )
