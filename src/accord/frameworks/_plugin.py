"""The built-in framework packs, registered through the hook a third-party plugin uses.

Built-ins register first, so a plugin cannot shadow ``eu-ai-act`` with its own file; the
floor is registered like the others but is only ever read as the floor (``load_floor``).
"""

from __future__ import annotations

from pathlib import Path

from accord.plugins import PackRegistration, hookimpl


@hookimpl
def accord_packs() -> list[PackRegistration]:
    from accord.frameworks._load import builtin_pack_ids, packs_dir

    folder = packs_dir()
    return [PackRegistration(pack_id, Path(folder) / f"{pack_id}.yaml", "built-in pack") for pack_id in builtin_pack_ids()]
