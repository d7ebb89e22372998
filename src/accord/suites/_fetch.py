"""``accord data fetch``: download a public dataset once, check its sha256, keep it in the cache.

Datasets that are not in ``ACCORD_DATA_DIR`` but have a stable public URL are listed in
``REMOTE`` (what ``ACCORD_DATA_DIR/redteam`` holds is read in place instead: HarmBench's 200
standard behaviours are the suite ``harmbench`` and Do-Not-Answer is ``do-not-answer``, see
``_seeds.py``; only HarmBench's full CSV, with its contextual and copyright behaviours, is
still fetched, as ``harmbench-full``) with the URL and, where we could verify it, the file's sha256. A download whose
bytes do not hash to the pinned value is deleted and refused (``VerificationError``). When no
sha256 is pinned, the fetch is refused unless the user either gives one (``--sha256``, after
checking the file some other way) or accepts trust-on-first-use (``--allow-unpinned``): the
hash of that first download is then recorded in the cache's ``fetched.json`` and every later
use of the cached file is checked against it.

Honesty note: no file's sha256 could be verified when this table was written (it was built
without network access beyond package registries), so every entry is ``sha256=None`` and
says so in ``accord data list``. Pin one by setting ``sha256`` here after a verified download.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from accord.errors import AccordError, UnknownNameError, VerificationError
from accord.readers import sha256_file

MAX_BYTES = 256 * 1024 * 1024
MANIFEST = "fetched.json"


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable dataset file."""

    name: str
    url: str
    filename: str
    description: str
    licence: str
    homepage: str
    sha256: str | None = None  # None: not verified by us (see the module docstring)
    ref_pinned: bool = False  # the URL names an immutable commit / revision (not a branch)


REMOTE: dict[str, RemoteFile] = {
    r.name: r
    for r in (
        RemoteFile(
            name="harmbench-full",
            url="https://raw.githubusercontent.com/centerforaisafety/HarmBench/main/data/behavior_datasets/harmbench_behaviors_text_all.csv",
            filename="harmbench_behaviors_text_all.csv",
            description="HarmBench text behaviours with contextual and copyright ones (the 200 standard are `harmbench`, on disk)",
            licence="MIT",
            homepage="https://github.com/centerforaisafety/HarmBench",
        ),
        RemoteFile(
            name="strongreject",
            url="https://raw.githubusercontent.com/alexandrasouly/strongreject/3432b2d696b428f242bd507df96d80f686571d5e/strongreject_dataset/strongreject_dataset.csv",
            filename="strongreject_dataset.csv",
            description="StrongREJECT: 313 forbidden prompts in six categories",
            licence="MIT",
            homepage="https://github.com/alexandrasouly/strongreject",
            ref_pinned=True,
        ),
        RemoteFile(
            name="jbb-behaviors",
            url="https://huggingface.co/datasets/JailbreakBench/JBB-Behaviors/resolve/886acc352a31533ffbcf4ef22c744658688086fc/data/harmful-behaviors.csv",
            filename="harmful-behaviors.csv",
            description="JailbreakBench JBB-Behaviors: 100 harmful behaviours (goals)",
            licence="MIT",
            homepage="https://huggingface.co/datasets/JailbreakBench/JBB-Behaviors",
            ref_pinned=True,
        ),
        RemoteFile(
            name="jbb-benign-behaviors",
            url="https://huggingface.co/datasets/JailbreakBench/JBB-Behaviors/resolve/886acc352a31533ffbcf4ef22c744658688086fc/data/benign-behaviors.csv",
            filename="benign-behaviors.csv",
            description="JailbreakBench JBB-Behaviors: 100 benign twins (over-refusal)",
            licence="MIT",
            homepage="https://huggingface.co/datasets/JailbreakBench/JBB-Behaviors",
            ref_pinned=True,
        ),
        # Epoch AI's per-table CSV exports (issue 23: horizon scanning reads them with
        # `accord horizon ... --data epoch-notable-models`). Epoch regenerates them as its
        # database changes (about daily), so no sha256 can be pinned in this table: fetch with
        # --allow-unpinned (the first download's hash is recorded and checked on every later
        # use) or --sha256 HEX of a copy you checked; see docs/horizon.md.
        RemoteFile(
            name="epoch-notable-models",
            url="https://epoch.ai/data/notable_ai_models.csv",
            filename="notable_ai_models.csv",
            description="Epoch AI 'Data on AI Models', notable models (newer export of the shared 2025-02-24 file)",
            licence="CC BY 4.0 (Epoch AI, 'Data on AI Models', epoch.ai)",
            homepage="https://epoch.ai/data/ai-models",
        ),
        RemoteFile(
            name="epoch-large-scale-models",
            url="https://epoch.ai/data/large_scale_ai_models.csv",
            filename="large_scale_ai_models.csv",
            description="Epoch AI 'Data on AI Models', large-scale models (over 10^23 FLOP)",
            licence="CC BY 4.0 (Epoch AI, 'Data on AI Models', epoch.ai)",
            homepage="https://epoch.ai/data/ai-models",
        ),
        RemoteFile(
            name="epoch-frontier-models",
            url="https://epoch.ai/data/frontier_ai_models.csv",
            filename="frontier_ai_models.csv",
            description="Epoch AI 'Data on AI Models', frontier models (top 10 by compute at release)",
            licence="CC BY 4.0 (Epoch AI, 'Data on AI Models', epoch.ai)",
            homepage="https://epoch.ai/data/ai-models",
        ),
        RemoteFile(
            name="epoch-ml-hardware",
            url="https://epoch.ai/data/ml_hardware.csv",
            filename="ml_hardware.csv",
            description="Epoch AI 'Data on Machine Learning Hardware' (chips: FLOP/s per precision, die size, release date)",
            licence="CC BY 4.0 (Epoch AI, 'Data on Machine Learning Hardware', epoch.ai)",
            homepage="https://epoch.ai/data/machine-learning-hardware",
        ),
    )
}


@dataclass(frozen=True)
class Fetched:
    """Where a fetched file is, its sha256, and how far it can be trusted."""

    name: str
    path: Path
    sha256: str
    pinned: bool  # checked against a sha256 given in advance (table or --sha256)
    downloaded: bool  # False when the cached copy was already there


def remote(name: str) -> RemoteFile:
    if name not in REMOTE:
        raise UnknownNameError("dataset", name, REMOTE)
    return REMOTE[name]


def cache_path(name: str) -> Path:
    """Where ``name``'s file lives once fetched (the file may not exist yet)."""
    from accord.paths import cache_dir

    return cache_dir() / name / remote(name).filename


def _manifest(name: str) -> dict[str, Any]:
    path = cache_path(name).parent / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _expected(name: str, given: str | None) -> str | None:
    value = given or remote(name).sha256
    if value is None:
        return None
    value = value.lower().removeprefix("sha256:")
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise AccordError(f"not a sha256: {given!r}", fix="give 64 hex digits")
    return value


def cached(name: str) -> Path:
    """The cached file of a fetched dataset, checked against its recorded sha256.

    Raises an error naming ``accord data fetch NAME`` when it is not there.
    """
    path = cache_path(name)
    if not path.is_file():
        raise AccordError(
            f"dataset '{name}' has not been fetched",
            why=f"it is read from {path}",
            fix=f"accord data fetch {name}",
        )
    recorded = _manifest(name).get("sha256") or remote(name).sha256
    if recorded:
        got = sha256_file(path)
        if got != recorded:
            raise VerificationError(
                f"cached file {path} does not match its recorded sha256",
                why=f"expected {recorded}, got {got}",
                fix=f"accord data fetch {name} --force",
            )
    return path


def fetch(
    name: str,
    *,
    force: bool = False,
    allow_unpinned: bool = False,
    sha256: str | None = None,
    url: str | None = None,
    timeout_s: float = 60.0,
) -> Fetched:
    """Download ``name`` into the cache (unless a verified copy is there) and verify it.

    ``url`` overrides the table's (a mirror); the pin still applies. Raises ``AccordError``
    when no pin is known and ``allow_unpinned`` is false, and ``VerificationError`` when the
    bytes do not match; a failed download never leaves a file in the cache.
    """
    spec = remote(name)
    expected = _expected(name, sha256)
    if expected is None and not allow_unpinned:
        raise AccordError(
            f"no verified sha256 is pinned for '{name}'",
            why="accord only uses downloads whose bytes it can check",
            fix=f"pass --sha256 HEX (after checking the file yourself), or --allow-unpinned to trust the first download (its hash is recorded): accord data fetch {name} --allow-unpinned",
        )
    dest = cache_path(name)
    if dest.is_file() and not force:
        got = sha256_file(dest)
        recorded = expected or _manifest(name).get("sha256")
        if recorded and got != recorded:
            raise VerificationError(
                f"cached file {dest} does not match the expected sha256",
                why=f"expected {recorded}, got {got}",
                fix=f"accord data fetch {name} --force",
            )
        return Fetched(name, dest, got, pinned=expected is not None, downloaded=False)

    got = _download(url or spec.url, dest, expected, timeout_s)
    record = {
        "name": name,
        "url": url or spec.url,
        "sha256": got,
        "pinned": expected is not None,
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (dest.parent / MANIFEST).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return Fetched(name, dest, got, pinned=expected is not None, downloaded=True)


def _download(url: str, dest: Path, expected: str | None, timeout_s: float) -> str:
    import httpx

    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    sha = hashlib.sha256()
    size = 0
    try:
        with httpx.Client(follow_redirects=True, timeout=timeout_s) as client, client.stream("GET", url) as resp:
            if resp.status_code != 200:
                raise AccordError(f"download failed: HTTP {resp.status_code} from {url}", fix="check the URL or try again later")
            with part.open("wb") as out:
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > MAX_BYTES:
                        raise AccordError(f"download from {url} is larger than {MAX_BYTES} bytes", why="not the expected dataset file")
                    sha.update(chunk)
                    out.write(chunk)
        got = sha.hexdigest()
        if expected is not None and got != expected:
            raise VerificationError(
                f"sha256 mismatch for {url}",
                why=f"expected {expected}, got {got}",
                fix="the file changed upstream or the download was tampered with; nothing was cached",
            )
        os.replace(part, dest)
        return got
    except httpx.HTTPError as exc:
        raise AccordError(
            f"download failed from {url}: {exc}", fix="check the network and the URL, or fetch through a mirror with --url"
        ) from None
    finally:
        part.unlink(missing_ok=True)


def fetch_status(name: str) -> dict[str, Any]:
    """What ``accord data list`` shows for one dataset."""
    spec = remote(name)
    path = cache_path(name)
    manifest = _manifest(name)
    return {
        "name": name,
        "description": spec.description,
        "url": spec.url,
        "licence": spec.licence,
        "sha256": spec.sha256 or "unverified",
        "ref_pinned": spec.ref_pinned,
        "fetched": path.is_file(),
        "path": str(path) if path.is_file() else None,
        "fetched_sha256": manifest.get("sha256"),
        "fetched_pinned": manifest.get("pinned"),
    }
