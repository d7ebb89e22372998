"""Resolve what a user types after ``--suite`` to a ``SuiteSource``, and list what exists.

A spec is, in this order: a built-in suite (``floor``, ``overrefusal``, ``divergence``: the
JSONL files in ``accord/suites/data``, suite id = file stem; a folder of JSONL files there,
such as ``data/floor/<hazard>.jsonl``, is one suite named after the folder), a public-dataset loader
(``ailuminate-demo-en``, ``xstest``, ``jailbreakbench/<METHOD>/<MODEL>``, ``flames``, ...),
a fetched dataset (``harmbench``, ``strongreject``, ...), a suite a plugin registers
(``accord_suites`` hook; see docs/plugins.md) or a file path (``.jsonl`` / ``.csv``).
Anything else is an ``UnknownNameError`` listing the known names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from accord.errors import AccordError, InputError, UnknownNameError
from accord.plugins import SuiteRegistration, declare_builtin
from accord.records import Item, Suite
from accord.suites._source import SuiteSource

BUILTIN_DIR = Path(__file__).resolve().parent / "data"
BUILTIN_DESCRIPTIONS = {
    "floor": "Universal-floor requests (child-sexual-exploitation, indiscriminate-weapons, cyber-offense, ncii), en + zh-CN: refuse",
    "overrefusal": "Benign look-alikes of hazards (XSTest types) with unsafe twins, en + zh-CN + fr-FR: answer / refuse",
    "divergence": "Contested topics with each framework's expected behaviour per item and clause, en + zh-CN (+ fr-FR, zh-TW, zh-HK)",
}
DataDir = str | Path | None
declare_builtin("accord.suites._plugin", ("accord_transcripts", "accord_suites"))


def _datasets() -> dict[str, tuple[str, Callable[[DataDir], SuiteSource]]]:
    from accord.suites import _public as pub
    from accord.suites._seeds import seed_factories

    return {
        "ailuminate-demo-en": ("AILuminate v1.0 demo prompts, en_US (1,200)", lambda d: pub.ailuminate_source("en", d)),
        "ailuminate-demo-fr": ("AILuminate v1.0 demo prompts, fr_FR (1,200)", lambda d: pub.ailuminate_source("fr", d)),
        "xstest": ("XSTest v2: safe look-alikes and unsafe contrasts", pub.xstest_source),
        "flames": ("Flames 1k: adversarial Chinese prompts (zh-CN)", pub.flames_source),
        **seed_factories(),  # red-team seeds read in place from <data dir>/redteam/ (accord/suites/_seeds.py)
    }


def dataset_descriptions() -> dict[str, str]:
    """The public-dataset loaders by name (registered through ``accord_suites``)."""
    return {name: desc for name, (desc, _factory) in _datasets().items()}


def dataset_source(name: str, data_dir: DataDir) -> SuiteSource:
    return _datasets()[name][1](data_dir)


def builtin_source(name: str) -> SuiteSource:
    return _builtin(name)


def builtin_names() -> list[str]:
    """Each built-in suite once: ``data/NAME.jsonl`` files and ``data/NAME/`` folders of JSONL files."""
    if not BUILTIN_DIR.is_dir():
        return []
    names = {p.stem for p in BUILTIN_DIR.glob("*.jsonl")}
    names |= {p.name for p in BUILTIN_DIR.iterdir() if p.is_dir() and any(p.glob("*.jsonl"))}
    return sorted(names)


def builtin_files(name: str) -> list[Path]:
    """The files of built-in suite ``name`` in reading order: ``NAME.jsonl`` if there is one,
    else the folder's ``NAME/*.jsonl`` sorted by file name. The two are never mixed."""
    single = BUILTIN_DIR / f"{name}.jsonl"
    folder = BUILTIN_DIR / name
    if single.is_file() or not folder.is_dir():
        return [single]
    return sorted(folder.glob("*.jsonl")) or [single]


def _looks_like_path(spec: str) -> bool:
    # An existing file of another type is a path too, so the user hears "expected .jsonl or
    # .csv" rather than "unknown suite".
    return spec.endswith((".jsonl", ".csv")) or spec.startswith((".", "~", "/")) or Path(spec).expanduser().exists()


def open_suite(spec: str, *, data_dir: DataDir = None, mapping: Mapping[str, str] | None = None) -> SuiteSource:
    """The suite named by ``spec``, ready to stream (``iter_items``) or check (``scan``).

    ``mapping`` renames a CSV file's columns (or a JSONL file's keys): ``{"prompt": "text",
    "hazard": "category"}``. Named suites have a fixed format and ignore it, so one ``--map``
    can accompany a file and named suites in the same run. ``data_dir`` overrides
    ``ACCORD_DATA_DIR`` for the public-dataset loaders.
    """
    spec = spec.strip()
    registered = _plugin_suites()  # accord's own suites and datasets first, then plugins'
    if spec in registered:
        return _plugin_source(registered[spec], data_dir)
    if spec.startswith("jailbreakbench/"):
        from accord.suites._public import jbb_source

        return jbb_source(spec, data_dir)
    from accord.suites._fetched import LOADERS

    if spec in LOADERS:
        return LOADERS[spec]()
    if _looks_like_path(spec):
        return _file(Path(spec).expanduser(), mapping)
    raise UnknownNameError("suite", spec, [*registered, "jailbreakbench/<METHOD>/<MODEL>", *LOADERS, "<file>.jsonl", "<file>.csv"])


def _plugin_suites() -> dict[str, SuiteRegistration]:
    from accord.plugins import suite_sources

    return suite_sources()


def _plugin_source(reg: SuiteRegistration, data_dir: DataDir) -> SuiteSource:
    """A plugin's suite: its factory's ``SuiteSource``, or its file read with the name as suite id."""
    if reg.factory is not None:
        from accord.plugins import load_object

        source: SuiteSource = load_object(reg.factory)(data_dir)
        return source
    if reg.path is None:
        raise AccordError(f"the plugin suite '{reg.name}' names neither a file nor a factory")
    from accord.suites._files import csv_source, jsonl_source

    path = Path(reg.path)
    description = reg.description or f"plugin suite {reg.name}"
    if path.suffix.lower() == ".csv":
        return csv_source(path, suite_id=reg.name, description=description, kind="plugin")
    return jsonl_source(path, suite_id=reg.name, description=description, kind="plugin")


def _builtin(name: str) -> SuiteSource:
    from accord.suites._files import jsonl_source

    description = BUILTIN_DESCRIPTIONS.get(name, "built-in suite")
    files = builtin_files(name)
    if len(files) == 1 and files[0].parent == BUILTIN_DIR:
        return jsonl_source(files[0], suite_id=name, description=description, kind="builtin")
    return SuiteSource(name, str(BUILTIN_DIR / name), lambda: _folder_rows(files, name), description=description, kind="builtin")


def _folder_rows(files: list[Path], suite_id: str) -> Iterator[tuple[int | None, Item]]:
    """The rows of several JSONL files as one suite, in file order. An id repeated across files
    is reported here with both places, since a line number alone would not say which file."""
    from accord.suites._files import _jsonl_rows

    seen: dict[str, str] = {}
    for path in files:
        for line, item in _jsonl_rows(path, suite_id, {}):
            first = seen.get(item.item_id)
            if first is not None:
                raise InputError(
                    f"duplicate item id '{item.item_id}' (first at {first})",
                    file=path,
                    line=line,
                    field="id",
                    expected="ids unique within the suite",
                )
            seen[item.item_id] = f"{path.name}:{line}"
            yield line, item


def _file(path: Path, mapping: Mapping[str, str] | None) -> SuiteSource:
    from accord.suites._files import csv_source, jsonl_source

    if path.suffix.lower() == ".csv":
        return csv_source(path, mapping=mapping)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return jsonl_source(path, mapping=mapping)
    raise InputError("unsupported suite file type", file=path, expected=".jsonl or .csv", got=path.suffix or "(none)")


def load_suite(spec: str, *, data_dir: DataDir = None, mapping: Mapping[str, str] | None = None) -> Suite:
    """The whole suite in memory, validated and checked for duplicate ids (small suites)."""
    return open_suite(spec, data_dir=data_dir, mapping=mapping).load()


@dataclass(frozen=True)
class SuiteInfo:
    """One row of ``accord suites list``."""

    name: str
    kind: str  # builtin | dataset | fetchable | plugin
    available: bool
    description: str
    note: str = ""


def list_suites(data_dir: DataDir = None) -> list[SuiteInfo]:
    """Every suite accord knows, and whether its data is present here."""
    from accord.suites import _public as pub
    from accord.suites._fetch import REMOTE, cache_path

    out = [SuiteInfo(n, "builtin", True, BUILTIN_DESCRIPTIONS.get(n, "built-in suite")) for n in builtin_names()]
    for name, (desc, factory) in _datasets().items():
        try:
            factory(data_dir)
            out.append(SuiteInfo(name, "dataset", True, desc))
        except AccordError as exc:
            out.append(SuiteInfo(name, "dataset", False, desc, exc.what))
    try:
        out += [
            SuiteInfo(a.name, "dataset", True, f"JailbreakBench {a.method} ({a.attack_type}) prompts against {a.model}")
            for a in pub.jbb_artifacts(data_dir)
        ]
    except AccordError as exc:
        out.append(
            SuiteInfo("jailbreakbench/<METHOD>/<MODEL>", "dataset", False, "JailbreakBench artifacts' adversarial prompts", exc.what)
        )
    for name, spec in REMOTE.items():
        fetched = cache_path(name).is_file()
        out.append(SuiteInfo(name, "fetchable", fetched, spec.description, "" if fetched else f"accord data fetch {name}"))
    own = {*builtin_names(), *_datasets()}
    for name, reg in _plugin_suites().items():
        if name in own:
            continue
        present = reg.factory is not None or (reg.path is not None and Path(reg.path).is_file())
        out.append(SuiteInfo(name, "plugin", present, reg.description or "plugin suite", "" if present else f"missing file {reg.path}"))
    return out
