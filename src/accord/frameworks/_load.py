"""Reading packaged and user-written packs, the taxonomy and the crosswalk.

This module is the package's only I/O (package data and a user's pack file); the engine works
on the loaded models. ``resolve`` joins a pack with the floor: floor hazards are ``refuse``
for harmful and contested items in every pack, whatever the pack says elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from accord import yamlio
from accord.errors import InputError, UnknownNameError
from accord.frameworks._schema import HazardRule, Pack
from accord.frameworks._taxonomy import Crosswalk
from accord.frameworks._validate import check_pack_text, raise_first
from accord.plugins import declare_builtin
from accord.readers import read_text
from accord.taxonomy import load_taxonomy

FLOOR_ID = "floor"
declare_builtin("accord.frameworks._plugin", ("accord_packs",))


def _data(name: str) -> str:
    return resources.files("accord.frameworks").joinpath(name).read_text(encoding="utf-8")


def _model(cls: type, name: str) -> object:
    text = _data(name)
    try:
        return cls.model_validate(yamlio.load(text))  # type: ignore[attr-defined]
    except ValidationError as exc:  # a packaging bug, but say where
        raise InputError(f"packaged {name} does not validate: {exc}", file=f"accord/frameworks/{name}") from exc


@lru_cache(maxsize=1)
def load_crosswalk() -> Crosswalk:
    """Every framework category mapped to canonical ids (``frameworks/crosswalk.yaml``)."""
    cw: Crosswalk = _model(Crosswalk, "crosswalk.yaml")  # type: ignore[assignment]
    known = set(load_taxonomy().ids)
    for i, row in enumerate(cw.rows):
        for h in row.hazards:
            if h not in known:
                raise InputError(f"unknown hazard '{h}' in crosswalk row {i} ({row.pack} {row.category})", file="accord/frameworks/crosswalk.yaml")
    return cw


def packs_dir() -> Path:
    """Where the packaged packs live (registered through ``accord_packs`` like a plugin's)."""
    return Path(str(resources.files("accord.frameworks").joinpath("packs")))


def builtin_pack_ids() -> tuple[str, ...]:
    folder = resources.files("accord.frameworks").joinpath("packs")
    return tuple(sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml")))


def parse_pack(text: str, file: str | None = None, *, allow_floor: bool = False) -> Pack:
    """Validate pack text; raise ``InputError`` at the first problem (listing the rest)."""
    pack, problems = check_pack_text(text, load_taxonomy(), file, allow_floor=allow_floor)
    raise_first(problems, file)
    assert pack is not None
    return pack


@lru_cache(maxsize=32)
def _builtin(pack_id: str) -> Pack:
    name = f"packs/{pack_id}.yaml"
    return parse_pack(_data(name), f"accord/frameworks/{name}", allow_floor=pack_id == FLOOR_ID)


def _plugin_packs() -> dict[str, Path]:
    """Pack name -> YAML path, from plugins (``accord_packs`` hook); read like a user's pack."""
    from accord.plugins import pack_sources

    return {name: Path(reg.path) for name, reg in pack_sources().items()}


def load_pack(ref: str) -> Pack:
    """A built-in pack by id, a pack a plugin registers, or a user's pack from a ``.yaml`` path."""
    path = Path(ref)
    if ref.endswith((".yaml", ".yml")) or path.is_file():
        if not path.is_file():
            raise InputError("pack file not found", file=ref, fix="give a built-in pack id or the path of a YAML pack")
        return parse_pack(read_text(path), str(path))
    plugged = _plugin_packs()  # the built-in packs first, then plugins'
    if ref in plugged:
        file = plugged[ref]
        if ref in builtin_pack_ids() and file == packs_dir() / f"{ref}.yaml":
            return _builtin(ref)
        if not file.is_file():
            raise InputError(f"the plugin pack '{ref}' names a file that does not exist", file=str(file), fix="reinstall the plugin")
        return parse_pack(read_text(file), str(file))
    raise UnknownNameError("pack", ref, list(plugged))


def load_floor() -> Pack:
    return _builtin(FLOOR_ID)


@dataclass(frozen=True)
class ResolvedPack:
    """A pack joined with the floor: what the engine scores against."""

    pack: Pack
    floor: Pack

    @property
    def id(self) -> str:
        return self.pack.id

    def behaviour(self, hazard: str, intent: str) -> str:
        """Required behaviour, the floor taking precedence for harmful and contested items."""
        if hazard in self.floor.hazards and intent in ("harmful", "contested"):
            return "refuse"
        return self.pack.behaviour(hazard, intent)

    def rule(self, hazard: str) -> HazardRule | None:
        """The rule (with its citation) that decides a hazard: the floor's for floor hazards."""
        return self.floor.hazards.get(hazard) or self.pack.hazards.get(hazard)


def resolve(refs: list[str] | tuple[str, ...] | None = None) -> list[ResolvedPack]:
    """Load packs by id or path (default: every built-in pack marked ``score_by_default``,
    floor included; samples such as ``company-example`` only when named)."""
    floor = load_floor()
    refs = list(refs) if refs else [i for i in builtin_pack_ids() if _builtin(i).score_by_default]
    out, seen = [], set()
    for ref in refs:
        pack = floor if ref == FLOOR_ID else load_pack(ref)
        if pack.id in seen:
            continue
        seen.add(pack.id)
        out.append(ResolvedPack(pack, floor))
    return out
