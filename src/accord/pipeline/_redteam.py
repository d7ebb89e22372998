"""Mutual red-teaming: ``accord run`` plus a commitment to the campaign made before the run.

Party A (the red team) holds a private attack campaign: its suites and its run spec (attacks
and their parameters, helper targets, attack judge, generation parameters, epochs, judge,
packs). It commits to the campaign *before* it runs against party B's endpoint, so that B
can later check that what A reveals is exactly what was run, and that it was fixed in
advance rather than tuned to B's answers.

- **Campaign digest**: ``sha256`` of the RFC 8785 canonical JSON of the campaign document
  (``campaign_of``): the suites' digests in order, the resolved attack plan
  (``AttackPlan.to_params``: every variant with its resolved parameters), and the rest of the
  spec *except* ``targets`` (B's endpoint, named at run time), ``run_id`` (a local name) and
  ``engine`` (concurrency and rate limits, which B may dictate and which change nothing sent).
- **Commitment**: ``SHA-256(salt || raw campaign digest)`` with a fresh 32-byte salt, signed
  as an in-toto Statement (predicate ``redteam-commitment/v1``) and appended to the
  transparency log. Salt, campaign and digest stay private until reveal.
- **Run**: refused unless the spec and suites hash to the committed digest; the run row's
  meta then names the commitment (``meta["commitment"]``) so the attestation can carry it.
- **Reveal / verify**: the reveal file carries the campaign document, salt, signed commitment,
  inclusion proof and checkpoint; ``verify_campaign_reveal`` recomputes and checks it, and,
  given B's copy of spec and suites, the evaluation attestation and its evidence bundle,
  that the attested run is the committed campaign and was logged after the commitment.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from accord.errors import AccordError, InputError, VerificationError
from accord.pipeline._spec import MAX_SPEC_BYTES, RunSpec, spec_from_data
from accord.store import ResultStore

CAMPAIGN_FORMAT = "https://accord.dev/redteam-campaign/v1"
COMMIT_PREDICATE_TYPE = "https://accord.dev/attestation/redteam-commitment/v1"
REVEAL_FORMAT = "https://accord.dev/redteam-reveal/v1"
SECRET_FORMAT = "https://accord.dev/redteam-secret/v1"
SCHEME = "sha256(salt || campaign-sha256)"
#: Spec fields the commitment leaves out: B's endpoint, a local name, B's rate limits.
NOT_COMMITTED = ("targets", "run_id", "engine")
#: Stands in for the target when a campaign spec names none (it is never committed or run).
_NO_TARGET = "replay:redteam-campaign-has-no-target"


# --- the campaign ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Campaign:
    """The committed view of a spec: ``doc`` (what is hashed) and ``digest`` (``sha256:<hex>``)."""

    doc: dict[str, Any]
    digest: str
    suite_ids: tuple[str, ...] = ()

    @property
    def variants(self) -> set[str]:
        return set((self.doc["attacks"].get("variants") or {}).keys())


def campaign_digest(doc: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of the RFC 8785 canonical JSON of a campaign document."""
    import rfc8785

    return "sha256:" + hashlib.sha256(rfc8785.dumps(dict(doc))).hexdigest()


def campaign_of(spec: RunSpec, *, data_dir: str | Path | None = None) -> Campaign:
    """The campaign a spec describes: suites read and digested exactly as ``accord run``
    reads them, attacks resolved through the registry (unknown ones are refused here)."""
    from accord.pipeline._run import check_attacks

    plan = check_attacks(spec, data_dir)  # also refuses a helper missing (or named but unused) at commit time
    refs = _suite_refs(spec.suites, spec.mapping, data_dir)
    rest = spec.model_dump(mode="json", exclude_none=True)
    for key in (*NOT_COMMITTED, "suites", "attacks"):
        rest.pop(key, None)
    for role in ("attacker", "translator"):
        # a helper's provider options are transport settings (headers, often references to
        # secrets): the reveal is handed to the other party, so only their names are committed
        if isinstance(rest.get(role), dict) and rest[role].get("options"):
            rest[role]["options"] = sorted(rest[role]["options"])
    attacks = plan.to_params() if plan else {"attacks": [], "variants": {}}
    if plan is not None and any(s.attack.name == "template" for v in plan.variants for s in v.steps):
        # a slug names a template; the file's digest pins its text
        from accord.attacks import templates_file
        from accord.readers import sha256_file

        attacks = {**attacks, "data": {"templates": sha256_file(templates_file(data_dir))}}
    doc = {
        "format": CAMPAIGN_FORMAT,
        "suites": [r.digest for r in refs],
        "attacks": attacks,
        "spec": rest,
    }
    return Campaign(doc, campaign_digest(doc), tuple(r.suite_id for r in refs))


def _suite_refs(names: Sequence[str], mapping: Mapping[str, str] | None, data_dir: str | Path | None) -> list[Any]:
    from accord.runner import scan_suites
    from accord.suites import open_suite

    sources = [open_suite(n, data_dir=None if data_dir is None else str(data_dir), mapping=dict(mapping or {}) or None) for n in names]
    return list(scan_suites(sources, list(names)))


def suite_digests(names: Sequence[str], *, data_dir: str | Path | None = None, mapping: Mapping[str, str] | None = None) -> list[str]:
    """The digests ``accord run`` would record for these suites (for ``verify-reveal --suite``)."""
    return [r.digest for r in _suite_refs(names, mapping, data_dir)]


def load_campaign_spec(path: str | Path, *, suites: Sequence[str] | None = None) -> RunSpec:
    """A campaign's run spec from YAML; ``targets:`` may be absent (B's endpoint comes later).

    ``suites`` (``--suite``) replaces the file's suites. Same size limit and error locations
    as ``load_run_spec``.
    """
    import yaml  # type: ignore[import-untyped]

    from accord.yamlio import error_line, error_message, load_located

    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise InputError("run spec file too large", file=p, expected=f"at most {MAX_SPEC_BYTES:,} bytes", got=f"{size:,} bytes")
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read run spec: {exc.strerror}", file=p) from None
    except UnicodeDecodeError:
        raise InputError("run spec is not UTF-8 text", file=p) from None
    try:
        data, node = load_located(text)
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {error_message(exc)}", file=p, line=error_line(exc)) from None
    if isinstance(data, dict):
        data = dict(data)
        if not data.get("targets"):
            data["targets"] = [{"spec": _NO_TARGET}]
        if suites:
            data["suites"] = list(suites)
    return spec_from_data(data, file=p, node=node)


def campaign_run_spec(
    path: str | Path,
    *,
    targets: Sequence[str] | None = None,
    suites: Sequence[str] | None = None,
    name: str | None = None,
    api_key_env: str | None = None,
    run_id: str | None = None,
    engine: Mapping[str, Any] | None = None,
) -> RunSpec:
    """The spec ``accord redteam run`` executes: the campaign file, with B's target(s) and the
    fields the commitment leaves out (run id, engine limits) laid over it."""
    spec = load_campaign_spec(path, suites=suites)
    data = spec.model_dump(mode="json")
    if targets:
        data["targets"] = [{"spec": t} for t in targets]
    elif [t["spec"] for t in data["targets"]] == [_NO_TARGET]:
        raise InputError("no target", field="--target", expected="--target SPEC: party B's endpoint (or `targets:` in the spec)")
    if name is not None or api_key_env is not None:
        if len(data["targets"]) != 1:
            raise InputError("--name and --api-key-env apply to a single target", field="--target")
        if name is not None:
            data["targets"][0]["name"] = name
        if api_key_env is not None:
            data["targets"][0]["api_key_env"] = api_key_env
    if run_id is not None:
        data["run_id"] = run_id
    given = {k: v for k, v in (engine or {}).items() if v is not None}
    if given:
        data["engine"] = {**data["engine"], **given}
    return spec_from_data(data, file=path)


# --- commit ----------------------------------------------------------------------------------


def commitment_value(salt: bytes, digest: str) -> str:
    """Hex ``SHA-256(salt || raw campaign digest)``: the value signed and logged."""
    from accord.attest import commitment

    return commitment(salt, digest)


def commitment_statement(commit_hex: str, *, label: str | None, committed_at: datetime | None = None) -> Any:
    """The signed claim "I committed to this campaign at this time"; reveals nothing else."""
    from accord.attest import Statement, Subject

    predicate: dict[str, Any] = {"scheme": SCHEME, "committedAt": _rfc3339(committed_at or datetime.now(UTC))}
    if label:
        predicate["label"] = label
    return Statement((Subject("commitment", {"sha256": commit_hex}),), COMMIT_PREDICATE_TYPE, predicate)


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class CommitResult:
    """What ``commit_campaign`` did: the public commitment and where the private record is."""

    commitment: str
    label: str | None
    origin: str
    index: int
    secret: Path
    envelope: bytes = field(repr=False)

    def meta(self) -> dict[str, Any]:
        return run_meta(self.commitment, self.origin, self.index, self.label)

    def to_dict(self) -> dict[str, Any]:
        return {"commitment": self.commitment, "label": self.label, "origin": self.origin, "index": self.index, "secret": str(self.secret)}


def run_meta(commit_hex: str, origin: str, index: int, label: str | None) -> dict[str, Any]:
    """What a run's ``meta["commitment"]`` holds (and the attestation names): public only —
    never the campaign digest, which would let anyone confirm a guessed campaign."""
    return {"predicateType": COMMIT_PREDICATE_TYPE, "commitment": commit_hex, "origin": origin, "index": index, "label": label}


def secrets_dir() -> Path:
    """``<user data dir>/commitments/redteam`` (mode 0700): the private records until reveal."""
    from accord.paths import user_data_dir

    path = user_data_dir() / "commitments" / "redteam"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def commit_campaign(
    campaign: Campaign,
    *,
    signing_key: str | None = None,
    log_dir: Path | None = None,
    label: str | None = None,
    salt: bytes | None = None,
) -> CommitResult:
    """Sign and log a commitment to ``campaign``; keep salt and campaign in a private record."""
    from accord.attest import FileLog, default_log_dir, load_signing_key, new_salt, sign_statement, write_private_file

    signing = load_signing_key(signing_key)
    salt = salt if salt is not None else new_salt()
    c = commitment_value(salt, campaign.digest)
    envelope = sign_statement(commitment_statement(c, label=label), signing).to_json()
    with FileLog.open_or_create(default_log_dir(log_dir)) as log:
        index = log.append(envelope)
        origin = log.origin
    record = {
        "format": SECRET_FORMAT,
        "label": label,
        "campaign": campaign.doc,
        "campaign_digest": campaign.digest,
        "salt": base64.b64encode(salt).decode(),
        "commitment": c,
        "envelope": json.loads(envelope),
        "origin": origin,
        "index": index,
    }
    path = secrets_dir() / f"{c}.json"
    write_private_file(path, json.dumps(record, sort_keys=True, indent=1).encode() + b"\n", force=False)
    return CommitResult(c, label, origin, index, path, envelope)


_SECRET_FIELDS = ("format", "campaign", "campaign_digest", "salt", "commitment", "envelope", "origin", "index")


def read_secret(path: Path) -> dict[str, Any]:
    """The private record ``commit_campaign`` wrote, checked: it must reproduce its commitment."""
    if not path.is_file():
        raise InputError("commitment record not found", file=path, fix="pass the file `accord redteam commit` wrote (see its output)")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"not a commitment record: {exc}", file=path, expected="JSON written by `accord redteam commit`") from None
    missing = [f for f in _SECRET_FIELDS if not isinstance(record, dict) or f not in record]
    if missing:
        raise InputError(
            "missing: not a red-team commitment record", file=path, field=missing[0], expected="JSON written by `accord redteam commit`"
        )
    if record["format"] != SECRET_FORMAT:
        raise InputError("not a red-team commitment record", file=path, field="format", got=record["format"])
    try:
        salt = base64.b64decode(record["salt"], validate=True)
        ok = (
            campaign_digest(record["campaign"]) == record["campaign_digest"]
            and commitment_value(salt, record["campaign_digest"]) == record["commitment"]
        )
    except (ValueError, TypeError, VerificationError):
        ok = False
    if not ok:
        raise InputError("the record does not reproduce its commitment (damaged or edited)", file=path)
    return dict(record)


def find_secret(digest: str) -> Path | None:
    """The private record of the campaign with this digest, if this user committed to it."""
    for path in sorted(secrets_dir().glob("*.json")):
        try:
            if json.loads(path.read_text(encoding="utf-8")).get("campaign_digest") == digest:
                return path
        except (ValueError, UnicodeDecodeError, AttributeError):
            continue
    return None


def require_committed(campaign: Campaign, secret: Path | None) -> dict[str, Any]:
    """The record committing to ``campaign``; refuses a spec or suite changed since commit."""
    path = secret or find_secret(campaign.digest)
    if path is None:
        raise VerificationError(
            f"no commitment found for this campaign ({campaign.digest})",
            why="either it was never committed, or the spec or a suite changed since (the digest differs)",
            fix="run `accord redteam commit -c SPEC` first, or pass --commitment FILE (the record it wrote)",
        )
    record = read_secret(path)
    if record["campaign_digest"] != campaign.digest:
        changed = _diff_campaigns(record["campaign"], campaign.doc)
        raise VerificationError(
            "the spec or suites differ from the committed campaign",
            why=f"committed {record['campaign_digest']}, now {campaign.digest}; differs in: {', '.join(changed) or 'unknown'}",
            fix="run exactly the committed spec and suites (only targets, run_id and engine limits may change)",
        )
    return record


def _diff_campaigns(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """Top-level (and spec-level) fields whose values differ, for error messages."""
    out = [k for k in sorted(set(a) | set(b)) if k != "spec" and a.get(k) != b.get(k)]
    sa, sb = a.get("spec") or {}, b.get("spec") or {}
    out += [f"spec.{k}" for k in sorted(set(sa) | set(sb)) if sa.get(k) != sb.get(k)]
    return out


# --- run -------------------------------------------------------------------------------------


def redteam_run(
    spec: RunSpec,
    store: ResultStore,
    *,
    secret: Path | None = None,
    data_dir: str | Path | None = None,
    progress: Any = None,
    on_start: Any = None,
    **options: Any,
) -> list[Any]:
    """``accord run`` for a committed campaign: refuse unless ``spec`` and its suites hash to
    the committed digest, then run every target with ``meta["commitment"]`` on its run row.

    A resumed run must carry the same commitment (a run started without one, or under another
    campaign, is refused rather than relabelled).
    """
    from accord.aio import run_sync

    campaign = campaign_of(spec, data_dir=data_dir)
    record = require_committed(campaign, secret)
    meta = run_meta(record["commitment"], record["origin"], int(record["index"]), record.get("label"))
    return run_sync(_arun(spec, store, meta, data_dir=data_dir, progress=progress, on_start=on_start, **options))


async def _arun(spec: RunSpec, store: ResultStore, meta: dict[str, Any], **kwargs: Any) -> list[Any]:
    from accord.pipeline._executor import parse_executor
    from accord.pipeline._run import _storing_spec, plan_runs
    from accord.runner import execute_async

    on_start = kwargs.pop("on_start", None)
    planned = plan_runs(spec, on_start=on_start, **kwargs)
    for p in planned:
        existing = store.get_run(p.run_id)
        if existing is not None and existing.meta.get("commitment") != meta:
            raise AccordError(
                f"run '{p.run_id}' exists {'under another commitment' if existing.meta.get('commitment') else 'without a commitment'}",
                fix="use a new --run-id for the committed campaign",
            )
        p.plan.meta = {**p.plan.meta, "commitment": meta}
    executor = parse_executor(spec.engine.executor)
    if executor.is_ray:  # the committed campaign's shards from a Ray cluster's workers
        from accord.pipeline._ray import run_ray

        for p in planned:
            p.plan.on_start = _storing_spec(store, p, on_start)
        options = {k: v for k, v in kwargs.items() if k not in ("data_dir", "progress")}
        return list(await run_ray(planned, store, executor, data_dir=kwargs.get("data_dir"), progress=kwargs.get("progress"), options=options))
    results: list[Any] = []
    for p in planned:
        p.plan.on_start = _storing_spec(store, p, on_start)
        results.append(await execute_async(store, p.plan))
        if results[-1].status == "interrupted":
            break
    return results


# --- reveal ----------------------------------------------------------------------------------


def reveal_campaign(record: Mapping[str, Any], *, log_dir: Path | None = None, log_signing_key: str | None = None) -> bytes:
    """The reveal file (JSON): campaign, salt, signed commitment, inclusion proof, checkpoint.

    Signs a fresh checkpoint when the latest one predates the commitment.
    """
    from accord.attest import Checkpoint, Ed25519Signer, Envelope, FileLog, default_log_dir, load_log_signing_key, parse_note

    envelope = Envelope.from_dict(record["envelope"]).to_json()
    with FileLog.open(default_log_dir(log_dir), writable=True) as log:
        if log.origin != record["origin"]:
            raise AccordError(
                f"the commitment was logged in '{record['origin']}', this log is '{log.origin}'", fix="pass --log-dir of that log"
            )
        index = int(record["index"])
        if index >= log.size or log.entry(index) != envelope:
            raise AccordError("the log entry does not hold this commitment", why="wrong log directory?")
        note = log.latest_checkpoint()
        if note is None or Checkpoint.from_text(parse_note(note).text).size <= index:
            note = log.checkpoint([Ed25519Signer(log.origin, load_log_signing_key(log_signing_key)[0])]).encode()
        size = Checkpoint.from_text(parse_note(note).text).size
        proof = log.inclusion_proof(index, size)
    doc = {
        "format": REVEAL_FORMAT,
        "label": record.get("label"),
        "campaign": record["campaign"],
        "campaign_digest": record["campaign_digest"],
        "salt": record["salt"],
        "commitment": record["commitment"],
        "envelope": record["envelope"],
        "proof": proof.to_dict(),
        "checkpoint": note.decode(),
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


# --- verify ----------------------------------------------------------------------------------


@dataclass
class RevealCheck:
    """What ``verify_campaign_reveal`` proved, one line per check (in order)."""

    commitment: str
    campaign_digest: str
    label: str | None
    commit_index: int
    origin: str
    committed_at: str
    signer: str
    checks: dict[str, str] = field(default_factory=dict)
    attestation_index: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": True,
            "commitment": self.commitment,
            "campaign_digest": self.campaign_digest,
            "label": self.label,
            "commit_index": self.commit_index,
            "origin": self.origin,
            "committed_at": self.committed_at,
            "signer_keyid": self.signer,
            "attestation_index": self.attestation_index,
            "checks": dict(self.checks),
        }


MAX_REVEAL_BYTES = 64 * 1024 * 1024


def parse_reveal(data: bytes) -> dict[str, Any]:
    """Parse a reveal file and check that it is self-consistent (digest, commitment)."""
    if len(data) > MAX_REVEAL_BYTES:
        raise VerificationError(f"reveal file larger than {MAX_REVEAL_BYTES:,} bytes")
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise VerificationError(f"not a red-team reveal: {exc}") from None
    need = ("format", "label", "campaign", "campaign_digest", "salt", "commitment", "envelope", "proof", "checkpoint")
    if not isinstance(doc, dict) or any(k not in doc for k in need):
        raise VerificationError("not a red-team reveal", why=f"fields needed: {', '.join(need)}")
    extra = sorted(set(doc) - set(need))
    if extra:
        raise VerificationError(f"reveal: unknown field {extra[0]!r}")
    if doc["format"] != REVEAL_FORMAT:
        raise VerificationError(f"unknown reveal format {str(doc['format'])[:80]!r}", fix=f"expected {REVEAL_FORMAT}")
    if not isinstance(doc["campaign"], dict) or doc["campaign"].get("format") != CAMPAIGN_FORMAT:
        raise VerificationError("reveal: field 'campaign' is not a red-team campaign")
    if campaign_digest(doc["campaign"]) != doc["campaign_digest"]:
        raise VerificationError(
            "the revealed campaign does not hash to the revealed digest", why="the campaign was edited after the reveal was made"
        )
    try:
        salt = base64.b64decode(str(doc["salt"]), validate=True)
    except ValueError:
        raise VerificationError("reveal: field 'salt' is not base64") from None
    if commitment_value(salt, str(doc["campaign_digest"])) != doc["commitment"]:
        raise VerificationError(
            "the salt and campaign digest do not reproduce the commitment", why="the revealed campaign is not the one committed"
        )
    return dict(doc)


def verify_campaign_reveal(
    data: bytes,
    signer_keys: Sequence[Any],
    log_keys: Sequence[Any],
    *,
    held: Campaign | None = None,
    held_suites: Sequence[str] = (),
    attestation: tuple[bytes, bytes, bytes | None] | None = None,
    consistency: bytes | None = None,
    evidence: bytes | None = None,
) -> RevealCheck:
    """Check a reveal end to end; raises ``VerificationError`` naming the failed step.

    ``held``: the campaign recomputed from the spec and suites the verifier holds (must be the
    revealed one). ``held_suites``: digests of suites held without a spec (each must be in the
    campaign). ``attestation``: (envelope, proof, checkpoint or None) of the evaluation, in
    the same log: it must name this commitment, come after it, and attest a run of this
    campaign. ``evidence``: that attestation's evidence bundle: every committed variant (and
    the plain item) was run, and nothing else.
    """
    from accord.attest import Envelope, InclusionProof, verify_attestation, verify_log_inclusion

    doc = parse_reveal(data)
    c = str(doc["commitment"])
    try:
        envelope = Envelope.from_dict(doc["envelope"]).to_json()
        proof = InclusionProof.from_json(json.dumps(doc["proof"]).encode()).to_json()
    except (TypeError, KeyError, AttributeError) as exc:
        raise VerificationError(f"reveal: envelope or proof does not parse: {exc}") from None
    verified = verify_attestation(envelope, signer_keys)
    st = verified.statement
    if st.predicate_type != COMMIT_PREDICATE_TYPE:
        raise VerificationError(f"not a red-team commitment (predicate {st.predicate_type})")
    if not any(s.digest.get("sha256") == c for s in st.subjects):
        raise VerificationError("the signed commitment is for a different value than salt and campaign produce")
    if st.predicate.get("label") != doc["label"]:
        raise VerificationError(f"the reveal names campaign {doc['label']!r}, the signed commitment {st.predicate.get('label')!r}")
    cp, index = verify_log_inclusion(envelope, proof, log_keys, str(doc["checkpoint"]).encode())
    out = RevealCheck(
        c, str(doc["campaign_digest"]), doc["label"], index, cp.origin, str(st.predicate.get("committedAt")), verified.signer.keyid
    )
    out.checks["commitment"] = f"ok, salt and campaign reproduce {c[:16]}…, signed by {verified.signer.keyid[:16]}"
    out.checks["log"] = f"ok, commitment is entry {index} in {cp.origin}"
    campaign = doc["campaign"]
    if held is not None:
        if held.digest != doc["campaign_digest"]:
            raise VerificationError(
                "the spec and suites you hold are not the committed campaign",
                why=f"differs in: {', '.join(_diff_campaigns(campaign, held.doc)) or 'unknown'}",
            )
        out.checks["campaign"] = "ok, the spec and suites you hold hash to the committed campaign"
    for d in held_suites:
        if d not in campaign["suites"]:
            raise VerificationError(f"the suite you hold ({d}) is not in the committed campaign")
    if held_suites:
        out.checks["suites"] = f"ok, {len(held_suites)} suite(s) you hold are in the committed campaign"
    if attestation is not None:
        stmt, att_index = _check_attestation(attestation, signer_keys, log_keys, cp, index, c, campaign, consistency)
        out.attestation_index = att_index
        out.checks["attestation"] = f"ok, log entry {att_index} names this commitment, after it (entry {index})"
        out.checks["run"] = "ok, the attested run has the committed suites, epochs, generation and attacks"
        if evidence is not None:
            out.checks["evidence"] = _check_evidence(stmt, evidence, campaign)
    elif evidence is not None:
        raise InputError("--evidence checks the attested run: it needs --attestation")
    return out


def _check_attestation(
    attestation: tuple[bytes, bytes, bytes | None],
    signer_keys: Sequence[Any],
    log_keys: Sequence[Any],
    commit_cp: Any,
    commit_index: int,
    c: str,
    campaign: Mapping[str, Any],
    consistency: bytes | None,
) -> tuple[Any, int]:
    from accord.attest import PREDICATE_TYPE, verify_attestation, verify_log_inclusion

    env, proof, ckpt = attestation
    att = verify_attestation(env, signer_keys)
    st = att.statement
    if st.predicate_type != PREDICATE_TYPE:
        raise VerificationError(f"not an evaluation attestation (predicate {st.predicate_type})")
    named = st.predicate.get("commitment")
    if not isinstance(named, Mapping) or named.get("commitment") != c:
        raise VerificationError(
            "the evaluation attestation does not name this commitment",
            why="its predicate's 'commitment' is " + (repr(named.get("commitment")) if isinstance(named, Mapping) else "absent"),
            fix="attest the run made by `accord redteam run` (it records the commitment)",
        )
    att_cp, att_index = verify_log_inclusion(env, proof, log_keys, ckpt, origin=commit_cp.origin)
    _same_history(commit_cp, att_cp, consistency)
    if att_index <= commit_index:
        raise VerificationError(
            f"time order violated: the evaluation (log entry {att_index}) was logged before the commitment (entry {commit_index})",
            why="the campaign was not fixed in advance of this evaluation",
        )
    _check_run(st.predicate, campaign)
    return st, att_index


def _same_history(a: Any, b: Any, consistency: bytes | None) -> None:
    """Log indexes from two checkpoints compare only if one tree extends the other."""
    from accord.attest import ConsistencyProof, check_consistency

    if (a.origin, a.size, a.root) == (b.origin, b.size, b.root):
        return
    old, new = (a, b) if a.size <= b.size else (b, a)
    if old.size == new.size:
        raise VerificationError("two checkpoints of the same size with different roots: the log forked")
    if consistency is None:
        raise VerificationError(
            f"the commitment and the evaluation are proven against different checkpoints (tree sizes {a.size} and {b.size})",
            why="a log that rewrote its history could otherwise fake the time order",
            fix=f"pass --consistency with a proof from size {old.size} to {new.size} (`accord log consistency OLD NEW -o FILE`), "
            "or prove both against one checkpoint",
        )
    check_consistency(old, new, ConsistencyProof.from_json(consistency))


def _check_run(predicate: Mapping[str, Any], campaign: Mapping[str, Any]) -> None:
    """The attested run is the committed campaign: suites, epochs, generation, helper targets
    (attacker, translator) and the resolved attack variants."""
    run = predicate.get("run") or {}
    attested = [s.get("digest") for s in predicate.get("suites") or [] if isinstance(s, Mapping)]
    if attested != list(campaign["suites"]):
        raise VerificationError(
            "the attested run's suites are not the committed ones", why=f"committed {campaign['suites']}, attested {attested}"
        )
    spec = campaign.get("spec") or {}
    if run.get("epochs", 1) != spec.get("epochs", 1):
        raise VerificationError(f"the attested run has {run.get('epochs')} epoch(s), the campaign {spec.get('epochs', 1)}")
    params = run.get("params") or {}
    generation = params.get("generation") or {}
    committed = spec.get("generation") or {}
    for key, value in generation.items():
        if committed.get(key) != value:
            raise VerificationError(f"the attested run's generation parameter {key!r} is {value!r}, the campaign's {committed.get(key)!r}")
    helpers = params.get("attack_helpers") or {}
    for role in ("attacker", "translator"):
        entry = spec.get(role)
        want = entry.get("spec") if isinstance(entry, Mapping) else None
        if helpers.get(role) != want:
            raise VerificationError(f"the attested run's {role} is {helpers.get(role)!r}, the campaign's {want!r}")
    committed_judge = spec.get("attack_judge")
    if helpers.get("judge") is not None and helpers["judge"] != (committed_judge or spec.get("judge") or "embedded"):
        raise VerificationError(
            f"the attested run's attack judge is {helpers['judge']!r}, the campaign's {committed_judge or spec.get('judge') or 'embedded'!r}"
        )
    if helpers.get("judge") is None and committed_judge is not None:
        raise VerificationError(f"the attested run records no attack judge, the campaign commits {committed_judge!r}")
    variants = campaign["attacks"].get("variants") or {}
    ran = params.get("attacks")
    if ran is None:
        if variants:
            raise VerificationError("the attested run records no attacks, the campaign has some")
    elif (ran.get("variants") or {}) != variants:
        raise VerificationError("the attested run's attack variants are not the committed ones")


def _check_evidence(statement: Any, data: bytes, campaign: Mapping[str, Any]) -> str:
    """Every committed variant, and the plain item, is in the signed evidence; nothing else."""
    from accord.attest import check_bundle, parse_bundle

    bundle = parse_bundle(data)
    n, _ = check_bundle(statement, bundle)
    ran = {leaf["key"]["variant"] for leaf in bundle["leaves"]}
    want = {"none", *(campaign["attacks"].get("variants") or {})}
    if ran - want:
        raise VerificationError(f"the evidence holds variants the campaign did not commit: {', '.join(sorted(ran - want)[:5])}")
    if want - ran:
        raise VerificationError(f"committed variants missing from the evidence: {', '.join(sorted(want - ran)[:5])}")
    per_unit: dict[tuple[Any, Any, Any], set[str]] = {}
    for leaf in bundle["leaves"]:
        k = leaf["key"]
        per_unit.setdefault((k["suite"], k["item"], k["epoch"]), set()).add(k["variant"])
    short = sum(1 for got in per_unit.values() if got != want)
    if short:
        raise VerificationError(
            f"{short} of {len(per_unit)} item(s) were not sent as every committed variant",
            why="the evidence lacks some (item, variant) responses: the run is incomplete",
        )
    return f"ok, {n} responses: each of {len(per_unit)} item(s) plain and as each of the {len(want) - 1} committed variant(s), nothing else"
