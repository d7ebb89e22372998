"""The attest and verify jobs: sign what a stored run showed; check a signed result offline.

``attest`` reads the run's facts from the store and hands plain data to the pure predicate
builder in ``accord.attest``; ``verify`` needs no store at all, only the envelope, the keys
the verifier trusts and, optionally, a log checkpoint and inclusion proof.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord.errors import AccordError
from accord.store import ResultStore


@dataclass(frozen=True)
class AttestResult:
    """A signed attestation of one run (and where it went)."""

    run_id: str
    envelope: bytes
    keyid: str
    subjects: int
    path: Path | None = None
    log_index: int | None = None
    log_origin: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "path": str(self.path) if self.path else None,
            "keyid": self.keyid,
            "subjects": self.subjects,
            "log_index": self.log_index,
            "log_origin": self.log_origin,
        }


@dataclass(frozen=True)
class VerifyResult:
    """What verified, and what the statement attests."""

    checks: dict[str, str]
    statement: Any
    summary: list[tuple[str, str]] = field(default_factory=list)

    def verdicts(self) -> dict[str, list[Any]]:
        """The attested pack verdicts, by target, as ``PackVerdict`` records (for ``--fail-on``)."""
        from accord.frameworks import PackVerdict

        predicate = self.statement.predicate
        run = predicate.get("run") or {}
        target = str((run.get("target") or {}).get("name") or run.get("id") or "target")
        try:
            vs = [PackVerdict.model_validate(v) for v in (predicate.get("verdicts") or {}).values()]
        except ValueError as exc:  # signed, but not verdicts this accord can read
            from accord.errors import VerificationError

            raise VerificationError("the attested verdicts do not parse", why=str(exc).splitlines()[0]) from None
        return {target: vs} if vs else {}

    def to_dict(self) -> dict[str, Any]:
        return {"verified": True, "checks": self.checks, "statement": self.statement.to_dict()}


def _store_facts(store: ResultStore, run_id: str) -> dict[str, Any]:
    """Everything the predicate carries, read from the store."""
    run = store.require_run(run_id)
    return {
        "run": run.model_dump(mode="json"),
        "counts": {**store.response_counts(run_id), "expected": run.expected_responses},
        "judges": [{"id": j, "version": v, "labels": n} for j, v, n in store.judges_for_run(run_id)],
        "verdicts": store.get_artifacts(run_id, "verdicts"),
        "judge_agreement": store.get_artifacts(run_id, "judge_agreement") or None,
    }


def attest(
    store: ResultStore,
    run_id: str,
    *,
    signing_key: str | None = None,
    report: Path | None = None,
    out: Path | None = None,
    log: bool = False,
    log_dir: Path | None = None,
) -> AttestResult:
    """Sign an in-toto statement of ``run_id`` (DSSE, Ed25519); write it to ``out``, append it
    to the transparency log with ``log``. ``signing_key``: a key file, else ``ACCORD_SIGNING_KEY``,
    else the key ``accord keys init`` made."""
    from accord import __version__
    from accord.attest import FileLog, default_log_dir, eval_statement, load_signing_key, sign_statement
    from accord.ids import validate_run_id

    validate_run_id(run_id, field="run_id")
    signing = load_signing_key(signing_key)
    facts = _store_facts(store, run_id)
    statement = eval_statement(
        run=facts["run"],
        counts=facts["counts"],
        accord_version=__version__,
        judges=facts["judges"],
        verdicts=facts["verdicts"],
        judge_agreement=facts["judge_agreement"],
        report=(report.name, report.read_bytes()) if report else None,
    )
    envelope = sign_statement(statement, signing)
    data = envelope.to_json()
    store.put_artifact(run_id, "attestation", signing.public.keyid[:16], envelope.to_dict())
    if out is not None:
        out.write_bytes(data)
    index = origin = None
    if log:
        with FileLog.open_or_create(default_log_dir(log_dir)) as tlog:
            index = tlog.append(data)
            origin = tlog.origin
    return AttestResult(run_id, data, signing.public.keyid[:16], len(statement.subjects), out, index, origin)


def verify(
    envelope: Path,
    *,
    trusted_keys: Sequence[str] = (),
    trust_file: Path | None = None,
    trusted_log_keys: Sequence[str] = (),
    checkpoint: Path | None = None,
    proof: Path | None = None,
) -> VerifyResult:
    """Check an envelope's signature against the trusted keys and, with ``proof``, its
    inclusion in the log under ``checkpoint``. Raises ``VerificationError`` on any failure."""
    from accord.attest import about_file, summarize, verify_attestation, verify_log_inclusion
    from accord.attest import trusted_keys as load_trusted

    signer_keys, log_keys = load_trusted(list(trusted_keys), trust_file, list(trusted_log_keys))
    data = envelope.read_bytes()
    with about_file(envelope):
        verified = verify_attestation(data, signer_keys)
    checks = {"signature": f"ok, key {verified.signer.keyid}"}
    if proof is not None or checkpoint is not None:
        if proof is None:
            raise AccordError("a log checkpoint needs an inclusion proof", fix="accord log prove INDEX -o proof.json")
        cp, index = verify_log_inclusion(data, proof.read_bytes(), log_keys, checkpoint.read_bytes() if checkpoint else None)
        checks["log"] = f"ok, entry {index} of {cp.size} in {cp.origin}"
    return VerifyResult(checks, verified.statement, summarize(verified.statement))
