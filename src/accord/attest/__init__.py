"""Verifiable results: keys, DSSE-signed in-toto statements, a Merkle transparency log.

Shaped like sigstore-python: ``sign_statement`` (signing), ``verify_attestation`` /
``verify_log_inclusion`` / ``verify_checkpoints_consistent`` (verification, which returns or
raises ``VerificationError``), and the wire models (``Envelope``, ``Statement``,
``InclusionProof``, ``Checkpoint``). ``_merkle`` is the RFC 9162 maths and imports only
hashlib. Formats are documented in docs/attestation.md.
"""

from accord.attest._commit import (
    COMMIT_PREDICATE_TYPE,
    Reveal,
    commit_secret,
    commitment,
    commitment_statement,
    new_salt,
    verify_reveal,
)
from accord.attest._evidence import (
    MAX_BUNDLE_BYTES,
    MAX_DISCLOSURE_BYTES,
    bind_evidence,
    build_evidence,
    check_bundle,
    encode_json,
    key_text,
    make_disclosure,
    parse_bundle,
    parse_salts,
    verify_disclosure,
)
from accord.attest._keys import (
    PublicKey,
    SigningKey,
    init_key,
    load_public_keys,
    load_signing_key,
    parse_public_key,
    trusted_keys,
    write_private_file,
)
from accord.attest._log import FileLog, default_log_dir, default_log_key_path, load_log_signing_key
from accord.attest._models import ConsistencyProof, Envelope, InclusionProof, Statement, Subject, about_file, pae
from accord.attest._note import (
    Checkpoint,
    CosignatureV1Signer,
    Ed25519Signer,
    Ed25519Verifier,
    cosigner_vkey,
    parse_note,
    parse_vkey,
    sign_note,
    verify_checkpoint,
    verify_note,
)
from accord.attest._predicate import PREDICATE_TYPE, eval_statement, summarize
from accord.attest._sign import sign_payload, sign_statement
from accord.attest._verify import (
    VerifiedStatement,
    check_consistency,
    verify_attestation,
    verify_checkpoints_consistent,
    verify_envelope,
    verify_log_inclusion,
)
from accord.attest._witness import WitnessState, cosign, enforce_witness_policy, read_bounded

__all__ = [
    "parse_public_key",
    "MAX_BUNDLE_BYTES",
    "MAX_DISCLOSURE_BYTES",
    "bind_evidence",
    "build_evidence",
    "check_bundle",
    "encode_json",
    "key_text",
    "make_disclosure",
    "parse_bundle",
    "parse_salts",
    "verify_disclosure",
    "COMMIT_PREDICATE_TYPE",
    "PREDICATE_TYPE",
    "Checkpoint",
    "CosignatureV1Signer",
    "Ed25519Verifier",
    "WitnessState",
    "cosign",
    "cosigner_vkey",
    "default_log_key_path",
    "enforce_witness_policy",
    "load_log_signing_key",
    "read_bounded",
    "ConsistencyProof",
    "Ed25519Signer",
    "Envelope",
    "FileLog",
    "InclusionProof",
    "PublicKey",
    "Reveal",
    "SigningKey",
    "Statement",
    "Subject",
    "VerifiedStatement",
    "about_file",
    "check_consistency",
    "commit_secret",
    "commitment",
    "commitment_statement",
    "default_log_dir",
    "eval_statement",
    "init_key",
    "load_public_keys",
    "load_signing_key",
    "new_salt",
    "pae",
    "parse_note",
    "parse_vkey",
    "sign_note",
    "sign_payload",
    "sign_statement",
    "summarize",
    "trusted_keys",
    "verify_attestation",
    "verify_checkpoint",
    "verify_checkpoints_consistent",
    "verify_envelope",
    "verify_log_inclusion",
    "verify_note",
    "verify_reveal",
    "write_private_file",
]
