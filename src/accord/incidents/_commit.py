"""The salted commitment the transparency log holds for each incident version, never its content.

A version's *document* is ``{"incident_id", "version", "reporter_org", "created_at", "report"}``
serialised canonically (UTF-8 JSON, keys sorted, no spaces, non-ASCII kept, no trailing
newline). Its commitment is ``hex(sha256(salt || document))`` with a fresh random 32-byte salt.
The server signs an in-toto Statement whose only subject is that commitment (the attest
module's suite-commitment predicate type, no label) and appends the DSSE envelope to its log.

Why a salt: an unsalted hash of a short, guessable report could be confirmed by anyone who
guesses it; with 256 random bits it reveals nothing, so a TLP:RED incident cannot be read or
confirmed through the public log. A reader of the version receives the salt with it and can
check, offline, that what it was shown is what the server committed to at that log index.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from datetime import datetime
from typing import Any

from accord.attest import Envelope, PublicKey, SigningKey, commitment_statement, sign_statement, verify_attestation
from accord.errors import VerificationError
from accord.incidents._model import IncidentReport, IncidentVersion

__all__ = ["canonical_document", "commit_document", "new_incident_salt", "sign_commitment", "verify_version"]

SALT_BYTES = 32


def new_incident_salt() -> bytes:
    return os.urandom(SALT_BYTES)


def _unset_federation_fields(report: IncidentReport) -> set[str]:
    """The federation fields (issue 21) are left out while unset, so versions committed before
    they existed keep their commitments."""
    return {name for name in ("distribution", "sharing_group") if getattr(report, name) is None}


def canonical_document(incident_id: str, version: int, reporter_org: str, created_at: datetime, report: IncidentReport) -> bytes:
    """The exact bytes committed to for one version (documented above; verifiers rebuild them)."""
    doc: dict[str, Any] = {
        "incident_id": incident_id,
        "version": version,
        "reporter_org": reporter_org,
        "created_at": created_at.isoformat().replace("+00:00", "Z"),
        "report": report.model_dump(mode="json", exclude=_unset_federation_fields(report)),
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def commit_document(salt: bytes, document: bytes) -> str:
    """Hex SHA-256(salt || document)."""
    if len(salt) != SALT_BYTES:
        raise VerificationError(f"the salt must be {SALT_BYTES} bytes")
    return hashlib.sha256(salt + document).hexdigest()


def sign_commitment(commitment: str, key: SigningKey, *, committed_at: datetime) -> Envelope:
    """The log entry: a signed statement naming only the commitment (no id, no label, no content)."""
    return sign_statement(commitment_statement(commitment, committed_at=committed_at), key)


def verify_version(version: IncidentVersion, keys: list[PublicKey]) -> None:
    """Check a served version: its salt and content reproduce its commitment, and the envelope,
    signed by one of ``keys``, commits to exactly that value. Raises ``VerificationError``."""
    document = canonical_document(version.incident_id, version.version, version.reporter_org, version.created_at, version.report)
    recomputed = commit_document(bytes.fromhex(version.salt), document)
    if not hmac.compare_digest(recomputed, version.commitment):
        raise VerificationError(
            "the version's content and salt do not reproduce its commitment", why="the content was altered after it was committed"
        )
    verified = verify_attestation(json.dumps(version.envelope).encode(), keys)
    subjects = [s.digest.get("sha256") for s in verified.statement.subjects]
    if subjects != [version.commitment]:
        raise VerificationError("the signed statement does not commit to this version", why=f"it names {subjects!r}")
