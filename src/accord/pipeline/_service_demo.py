"""``accord serve --demo``: fill a service's store from the public data, and hand out tokens.

What a first-time user sees must be real, so nothing here is invented except the demo's own
organisations (named ``demo-*``, so no one mistakes them for the labs whose models were run):

1. organisations: ``demo-lab`` (a provider), ``demo-auditor``, ``demo-regulator`` and
   ``demo-public``, and one fresh token per role, returned once (the store keeps only their
   SHA-256 digests, so a second ``--demo`` prints new ones; each expires after
   ``TOKEN_DAYS``);
2. results: the main demo's runs (``run_demo``: published transcripts of real models, judged
   and scored), each attested with ``demo-lab``'s key (registered to the organisation) and
   published through ``publish_result``, the same verification an HTTP upload gets; the
   auditor is granted every response of the first result, so grants can be tried at once;
3. incidents: real AI Incident Database records (CC BY-SA 4.0, read in place) through the
   exchange importer, reported by ``demo-regulator``.

Every step is idempotent: existing organisations, keys, published runs and imported incidents
are kept, so a second ``--demo`` resumes or re-uses. A step whose job is not installed is
skipped with a note rather than failing the whole server.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["DEMO_ORGS", "ServiceDemo", "ensure_log_key", "fill_service_demo"]

#: org id -> (display name, role of the token printed for it).
DEMO_ORGS: dict[str, tuple[str, str]] = {
    "demo-lab": ("Demo Lab (provider)", "provider"),
    "demo-auditor": ("Demo Auditor", "auditor"),
    "demo-regulator": ("Demo Regulator", "regulator"),
    "demo-public": ("Demo Public Reader", "public"),
}
TOKEN_DAYS = 30
#: AIID incidents imported by default (of 1,367): enough to page through, quick to sign.
DEFAULT_INCIDENTS = 200


@dataclass
class ServiceDemo:
    """What the demo put in the store. ``tokens`` (role -> token) is the only copy."""

    orgs: list[str]
    tokens: dict[str, str] = field(repr=False)
    results: list[str] = field(default_factory=list)
    incidents: int = 0
    notes: list[str] = field(default_factory=list)


def _job(name: str) -> Any:
    """A service job by name, or None where the module providing it is not installed."""
    import accord.pipeline as pipeline

    try:
        return getattr(pipeline, name)
    except AttributeError:
        return None


def _orgs_and_tokens(store: Any, say: Callable[[str], None]) -> tuple[list[str], dict[str, str]]:
    from accord.pipeline._access import LOCAL_ADMIN
    from accord.pipeline._orgs import create_org, create_token, get_org

    tokens: dict[str, str] = {}
    for org_id, (name, role) in DEMO_ORGS.items():
        if get_org(store, org_id) is None:
            create_org(store, LOCAL_ADMIN, name, org_id=org_id)
            say(f"organisation {org_id} created")
        made = create_token(store, LOCAL_ADMIN, org_id, role, member="demo", expires=f"{TOKEN_DAYS}d")
        tokens[role] = made["token"]
    return list(DEMO_ORGS), tokens


def demo_key_path() -> Path:
    """Where ``demo-lab``'s attestation key lives (a private file, created once)."""
    from accord.paths import user_data_dir

    return user_data_dir() / "service-demo" / "demo-lab.key"


def ensure_log_key(signing_key: str | None, say: Callable[[str], None]) -> None:
    """The server signs its log's checkpoints; a demo on a fresh machine makes the log key
    (as ``accord keys init --log`` would) rather than failing at the first publication."""
    from accord.attest import default_log_key_path, init_key, load_log_signing_key
    from accord.errors import AccordError

    if signing_key is not None:
        return
    try:
        load_log_signing_key(None, warn=False)
    except AccordError:
        key = init_key(default_log_key_path())
        say(f"created the log's checkpoint key at {key.source} (as `accord keys init --log` would)")


def _demo_signing_key(store: Any, say: Callable[[str], None]) -> Path:
    from accord.attest import init_key, load_signing_key
    from accord.errors import InputError
    from accord.pipeline._access import LOCAL_ADMIN
    from accord.pipeline._orgs import add_org_key, org_keys

    path = demo_key_path()
    key = load_signing_key(path) if path.is_file() else init_key(path)
    if not any(k["id"] == key.public.keyid for k in org_keys(store, "demo-lab")):
        try:
            add_org_key(store, LOCAL_ADMIN, "demo-lab", key.public.pem(), name="demo attestation key")
        except InputError as exc:  # registered to another organisation: say so, publish nothing
            raise InputError(f"the demo key {path} is registered elsewhere", fix="delete the file to make a new one") from exc
        say(f"demo-lab signs with {path} (registered as an organisation key)")
    return path


def _published_runs(store: Any, who: Any) -> set[str]:
    from accord.pipeline._publish import published_results

    runs: set[str] = set()
    offset = 0
    while True:
        page = published_results(store, who, org="demo-lab", limit=200, offset=offset)
        runs.update(r["run_id"] for r in page["results"])
        offset += len(page["results"])
        if not page["results"] or offset >= page["total"]:
            return runs


def _results(
    store: Any, tokens: dict[str, str], *, data_dir: str | None, log_dir: Path, signing_key: str | None, say: Callable[[str], None]
) -> list[str]:
    from accord.pipeline._attest import attest
    from accord.pipeline._demo import run_demo
    from accord.pipeline._orgs import authenticate
    from accord.pipeline._publish import create_grant, publish_result

    provider = authenticate(store, tokens["provider"], action="demo")
    key_path = _demo_signing_key(store, say)
    done = _published_runs(store, provider)
    published: list[str] = []
    with tempfile.TemporaryDirectory(prefix="accord-demo-") as tmp:
        demo = run_demo(db=store.url, out_dir=Path(tmp) / "out", data_dir=data_dir, say=say)
        for dr in demo.runs:
            if dr.run_id in done:
                continue
            made = attest(store, dr.run_id, signing_key=str(key_path), out=Path(tmp) / f"{dr.run_id}.intoto.json")
            assert made.evidence_path is not None and made.salts_path is not None
            bundle = json.loads(made.evidence_path.read_bytes())
            texts = _texts(store, dr.run_id, bundle)
            body = {
                "envelope": made.envelope.decode(),
                "evidence": made.evidence_path.read_text(encoding="utf-8"),
                "private": {"salts": made.salts_path.read_text(encoding="utf-8"), "texts": texts},
            }
            out = publish_result(store, provider, json.dumps(body).encode(), log_dir=log_dir, log_key=signing_key)
            published.append(out["id"])
            say(f"published {dr.run_id} as result {out['id']} (log entry {out['log']['index']})")
    if published:
        create_grant(store, provider, published[0], "demo-auditor", days=TOKEN_DAYS, note="demo: every response of the first result")
        say(f"demo-auditor may read the responses of result {published[0]} for {TOKEN_DAYS} days")
    return published


def _texts(store: Any, run_id: str, bundle: dict[str, Any]) -> list[str | None]:
    """The response texts in the bundle's leaf order (the private half of a publication)."""
    by_key = {(r.suite_id, r.item_id, r.variant_id, r.epoch): r.output for r in store.iter_responses(run_id)}
    out: list[str | None] = []
    for leaf in bundle["leaves"]:
        k = leaf["key"]
        out.append(by_key.get((k["suite"], k["item"], k["variant"], k["epoch"])) if leaf["output"] is not None else None)
    return out


def _incidents(store: Any, tokens: dict[str, str], *, data_dir: str | None, log_dir: Path, signing_key: str | None, limit: int, notes: list[str]) -> int:
    """AIID incidents (TLP:CLEAR, real records), reported by ``demo-regulator``; returns how many are held."""
    importer = _job("import_aiid")
    if importer is None:
        notes.append("incidents skipped: the AIID importer (accord.pipeline.import_aiid) is not installed")
        return 0
    from accord.paths import datasets_dir
    from accord.pipeline._orgs import authenticate

    root = datasets_dir(data_dir)
    if root is None or not (root / "incidents" / "aiid").is_dir():
        notes.append("incidents skipped: no AIID snapshot under the datasets directory (set ACCORD_DATA_DIR)")
        return 0
    reporter = authenticate(store, tokens["regulator"], action="demo")
    result = importer(store, reporter, root / "incidents" / "aiid", log_dir=log_dir, log_key=signing_key, limit=limit)
    return int(result.added) + int(result.skipped)


def fill_service_demo(
    store: Any,
    *,
    data_dir: str | None = None,
    log_dir: Path | None = None,
    signing_key: str | None = None,
    runs: bool = True,
    incidents: int = DEFAULT_INCIDENTS,
    say: Callable[[str], None] = print,
) -> ServiceDemo:
    """Fill ``store`` (see the module doc). ``runs=False`` skips the model runs and results
    (the slow part: about 15 s); ``incidents`` caps the AIID records imported (0: none)."""
    from accord.pipeline._service import service_log_dir

    log_dir = service_log_dir(log_dir)
    orgs, tokens = _orgs_and_tokens(store, say)
    demo = ServiceDemo(orgs=orgs, tokens=tokens)
    if runs or incidents:
        ensure_log_key(signing_key, say)
    if runs:
        demo.results = _results(store, tokens, data_dir=data_dir, log_dir=log_dir, signing_key=signing_key, say=say)
    if incidents:
        demo.incidents = _incidents(store, tokens, data_dir=data_dir, log_dir=log_dir, signing_key=signing_key, limit=incidents, notes=demo.notes)
        say(f"{demo.incidents} AIID incidents held (TLP:CLEAR, CC BY-SA 4.0, AI Incident Database)")
    for note in demo.notes:
        say(note)
    return demo
