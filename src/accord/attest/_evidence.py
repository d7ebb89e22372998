"""Evidence bundles and disclosures: the responses and labels behind a signed verdict.

Pure (no store, no frameworks): ``pipeline._attest`` reads the run and hands plain data in.

A bundle holds one *leaf* per response: its key, a salted digest of its output (a fresh
32-byte salt per leaf, so a short reply such as "No." cannot be confirmed by guessing), the
labels scoring read (judge id and version, refusal, harmful, unassessed, review state) and
what the item probes (hazard, intent, language, family). Leaves are hashed as RFC 6962 leaves
of their canonical JSON (``_models.dumps`` without the newline) and the tree's root is a
subject of the signed statement. Everything else the verdicts depend on (suite digests, the
judge cards' measured rates, the packs' contents) is the bundle's *context*; its SHA-256 is in
the signed predicate. The salts stay in a separate private file; a *disclosure* reveals one
response's text with its salt and inclusion proof, and verifies against the signed root alone.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accord.attest._merkle import HASH_SIZE, MemoryTree, ProofError, hash_leaf, verify_inclusion
from accord.attest._models import Statement, Subject, dumps, loads
from accord.errors import VerificationError

EVIDENCE_FORMAT = "https://accord.dev/evidence/v1"
DISCLOSURE_FORMAT = "https://accord.dev/disclosure/v1"
SALTS_FORMAT = "https://accord.dev/evidence-salts/v1"
#: Domain separation for the output digest: sha256(TAG || salt || UTF-8 output).
OUTPUT_TAG = b"accord-evidence-output/v1\n"
SALT_BYTES = 32
#: Hostile-input bounds: a bundle is read whole, so it is refused past this size.
MAX_BUNDLE_BYTES = 512 * 1024 * 1024
MAX_DISCLOSURE_BYTES = 16 * 1024 * 1024
MAX_LEAVES = 5_000_000
SUBJECT_PREFIX = "evidence:"

LEAF_FIELDS = frozenset({"key", "output", "status", "labels", "hazard", "intent", "locale", "family"})
#: Optional leaf fields (issue 17): the item's per-pack expectations, only where it states some.
LEAF_OPTIONAL = frozenset({"expect"})
KEY_FIELDS = frozenset({"suite", "item", "variant", "epoch"})
LABEL_FIELDS = frozenset({"judge", "version", "refusal", "harmful", "unassessed", "review", "confirmed"})
#: Optional label fields (issue 17): the position rubric's reading per pack.
LABEL_OPTIONAL = frozenset({"position"})
EXPECTED_BEHAVIOURS = frozenset({"refuse", "comply", "either", "comply_with_label", "answer_with_position"})
BUNDLE_FIELDS = frozenset({"format", "run", "root", "leaves", "context"})
DISCLOSURE_FIELDS = frozenset({"format", "run", "index", "size", "leaf", "text", "salt", "proof", "root"})


def encode_json(doc: Any) -> bytes:
    """How bundles, salts files and disclosures are written: accord's canonical JSON."""
    return dumps(doc)


def output_digest(salt: bytes, output: str | None) -> str | None:
    """``sha256:<hex>`` of ``TAG || salt || output``; ``None`` for a response with no output."""
    if output is None:
        return None
    return "sha256:" + hashlib.sha256(OUTPUT_TAG + salt + output.encode("utf-8")).hexdigest()


def leaf_bytes(leaf: Mapping[str, Any]) -> bytes:
    """The bytes a leaf is hashed as: its canonical JSON, without the trailing newline."""
    return dumps(leaf)[:-1]


def leaf_hash(leaf: Mapping[str, Any]) -> bytes:
    return hash_leaf(leaf_bytes(leaf))


def evidence_root(leaves: Sequence[Mapping[str, Any]]) -> bytes:
    tree = MemoryTree()
    for leaf in leaves:
        tree.append_hash(leaf_hash(leaf))
    return tree.root()


def context_digest(context: Mapping[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(dumps(context)).hexdigest()


def key_text(key: Mapping[str, Any]) -> str:
    """``suite/item/variant/epoch``: how a leaf's key is written for people."""
    return f"{key.get('suite')}/{key.get('item')}/{key.get('variant')}/{key.get('epoch')}"


@dataclass(frozen=True)
class Evidence:
    """A built bundle (public) and its salts (private), ready to write."""

    bundle: dict[str, Any]
    salts: dict[str, Any]

    @property
    def root(self) -> str:
        return str(self.bundle["root"])

    def predicate_entry(self) -> dict[str, Any]:
        """What the signed predicate says of the bundle (``evidence``)."""
        return {
            "format": EVIDENCE_FORMAT,
            "root": self.bundle["root"],
            "leaves": len(self.bundle["leaves"]),
            "context": context_digest(self.bundle["context"]),
            "hash": "RFC 6962 SHA-256 over canonical JSON leaves",
        }


def bind_evidence(statement: Statement, evidence: Evidence) -> Statement:
    """``statement`` with the bundle's root as an ``evidence:<run>`` subject and its entry in
    the predicate (``evidence``)."""
    subject = Subject(SUBJECT_PREFIX + str(evidence.bundle["run"]), {"sha256": evidence.root.removeprefix("sha256:")})
    predicate = {**statement.predicate, "evidence": evidence.predicate_entry()}
    return Statement((*statement.subjects, subject), statement.predicate_type, predicate)


def build_evidence(run_id: str, leaves: Sequence[Mapping[str, Any]], context: Mapping[str, Any]) -> Evidence:
    """Salt and hash each response; ``leaves`` carry ``output`` as the *text* (or ``None``).

    The text is replaced by its salted digest here; the salts go to the private half.
    """
    out: list[dict[str, Any]] = []
    salts: list[str | None] = []
    for leaf in leaves:
        salt = os.urandom(SALT_BYTES)
        text = leaf.get("output")
        out.append({**leaf, "output": output_digest(salt, text)})
        salts.append(salt.hex() if text is not None else None)
    root = "sha256:" + evidence_root(out).hex()
    bundle = {"format": EVIDENCE_FORMAT, "run": run_id, "root": root, "leaves": out, "context": dict(context)}
    return Evidence(bundle, {"format": SALTS_FORMAT, "run": run_id, "root": root, "salts": salts})


# --- reading (hostile input) -------------------------------------------------------------


def _field(obj: Any, name: str, what: str) -> Any:
    if not isinstance(obj, dict) or name not in obj:
        raise VerificationError(f"{what}: missing field '{name}'")
    return obj[name]


def _check_fields(obj: Any, allowed: frozenset[str], what: str, required: frozenset[str] | None = None) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise VerificationError(f"{what} must be a JSON object")
    missing = (required if required is not None else allowed) - obj.keys()
    if missing:
        raise VerificationError(f"{what}: missing field '{sorted(missing)[0]}'")
    unknown = obj.keys() - allowed
    if unknown:
        raise VerificationError(f"{what}: unexpected field '{sorted(unknown)[0]}'", why="the file was altered, or written by another tool")
    return obj


def _hex32(value: Any, what: str) -> bytes:
    text = value.removeprefix("sha256:") if isinstance(value, str) else None
    try:
        raw = bytes.fromhex(text) if text is not None else b""
    except ValueError:
        raw = b""
    if len(raw) != HASH_SIZE:
        raise VerificationError(f"{what} must be a sha256 hex digest")
    return raw


def _str_map(value: Any, what: str, allowed: frozenset[Any]) -> None:
    if not isinstance(value, dict) or not all(isinstance(k, str) and v in allowed for k, v in value.items()):
        raise VerificationError(f"{what} must map pack ids to one of {', '.join(sorted(map(str, allowed)))}")


def check_leaf(leaf: Any, what: str) -> dict[str, Any]:
    _check_fields(leaf, LEAF_FIELDS | LEAF_OPTIONAL, what, required=LEAF_FIELDS)
    if "expect" in leaf:
        _str_map(leaf["expect"], f"{what}.expect", EXPECTED_BEHAVIOURS)
    _check_fields(leaf["key"], KEY_FIELDS, f"{what}.key")
    if not isinstance(leaf["key"]["epoch"], int) or isinstance(leaf["key"]["epoch"], bool):
        raise VerificationError(f"{what}.key.epoch must be an integer")
    for name in ("suite", "item", "variant"):
        if not isinstance(leaf["key"][name], str):
            raise VerificationError(f"{what}.key.{name} must be a string")
    if leaf["output"] is not None:
        _hex32(leaf["output"], f"{what}.output")
    if not isinstance(leaf["labels"], list):
        raise VerificationError(f"{what}.labels must be a list")
    for j, lab in enumerate(leaf["labels"]):
        _check_fields(lab, LABEL_FIELDS | LABEL_OPTIONAL, f"{what}.labels[{j}]", required=LABEL_FIELDS)
        if "position" in lab:
            _str_map(lab["position"], f"{what}.labels[{j}].position", frozenset({True, False}))
        if lab["refusal"] not in (None, "none", "partial", "full"):
            raise VerificationError(f"{what}.labels[{j}].refusal must be none, partial, full or null")
        if lab["harmful"] not in (None, True, False):
            raise VerificationError(f"{what}.labels[{j}].harmful must be true, false or null")
        if lab["confirmed"] not in (True, False):
            raise VerificationError(f"{what}.labels[{j}].confirmed must be true or false")
        if lab["review"] not in (None, "decided", "awaiting"):
            raise VerificationError(f"{what}.labels[{j}].review must be decided, awaiting or null")
        for name in ("judge", "version"):
            if not isinstance(lab[name], str):
                raise VerificationError(f"{what}.labels[{j}].{name} must be a string")
    if leaf["intent"] not in ("harmful", "contested", "benign"):
        raise VerificationError(f"{what}.intent must be harmful, contested or benign")
    for name in ("hazard", "locale", "family", "status"):
        if leaf[name] is not None and not isinstance(leaf[name], str):
            raise VerificationError(f"{what}.{name} must be a string or null")
    return leaf


def _read_bounded(data: bytes, limit: int, what: str) -> None:
    if len(data) > limit:
        raise VerificationError(f"{what} is {len(data)} bytes, over the {limit}-byte limit")


def parse_bundle(data: bytes) -> dict[str, Any]:
    """Parse and check a bundle's shape (not yet its binding): errors name the field."""
    _read_bounded(data, MAX_BUNDLE_BYTES, "evidence bundle")
    doc = _check_fields(loads(data, "evidence bundle"), BUNDLE_FIELDS, "evidence bundle")
    if doc["format"] != EVIDENCE_FORMAT:
        raise VerificationError(f"evidence bundle: field 'format' is {str(doc['format'])[:80]!r}", fix=f"expected {EVIDENCE_FORMAT}")
    if not isinstance(doc["run"], str):
        raise VerificationError("evidence bundle: field 'run' must be a string")
    _hex32(doc["root"], "evidence bundle: field 'root'")
    if not isinstance(doc["context"], dict):
        raise VerificationError("evidence bundle: field 'context' must be an object")
    leaves = doc["leaves"]
    if not isinstance(leaves, list) or len(leaves) > MAX_LEAVES:
        raise VerificationError(f"evidence bundle: field 'leaves' must be a list of at most {MAX_LEAVES}")
    for i, leaf in enumerate(leaves):
        check_leaf(leaf, f"evidence bundle: leaves[{i}]")
    return doc


def signed_evidence(statement: Statement) -> dict[str, Any]:
    """The evidence entry of a verified statement, checked against its ``evidence:`` subject."""
    entry = statement.predicate.get("evidence")
    if not isinstance(entry, dict) or "root" not in entry:
        raise VerificationError("the attestation binds no evidence", fix="attest the run again with this accord (it writes a bundle)")
    root = _hex32(entry["root"], "the signed evidence root")
    subjects = [s for s in statement.subjects if s.name.startswith(SUBJECT_PREFIX)]
    if len(subjects) != 1 or subjects[0].digest.get("sha256") != root.hex():
        raise VerificationError("the signed evidence root does not match the statement's evidence subject")
    return entry


def check_bundle(statement: Statement, doc: Mapping[str, Any]) -> tuple[int, str]:
    """The bundle is the one signed: same run, same root (recomputed from its leaves), same
    context digest. Returns (leaves, root)."""
    entry = signed_evidence(statement)
    run = (statement.predicate.get("run") or {}).get("id")
    if doc["run"] != run:
        raise VerificationError(f"the bundle is for run {str(doc['run'])[:80]!r}, the attestation for run {run!r}")
    root = "sha256:" + evidence_root(doc["leaves"]).hex()
    if root != doc["root"]:
        raise VerificationError("the bundle's leaves do not hash to the root it states", why="a response, label or item field was changed")
    if root != entry["root"]:
        raise VerificationError(
            "the bundle's leaves do not hash to the signed evidence root",
            why="a response, label or item field was changed, or it is another run's bundle",
        )
    if entry.get("leaves") != len(doc["leaves"]):
        raise VerificationError(f"the bundle has {len(doc['leaves'])} leaves, the attestation signs {entry.get('leaves')}")
    if context_digest(doc["context"]) != entry.get("context"):
        raise VerificationError(
            "the bundle's context (suites, judge cards, packs) differs from the signed one", why="a pack, card or suite entry was changed"
        )
    return len(doc["leaves"]), root


# --- disclosures ---------------------------------------------------------------------------


def parse_salts(data: bytes) -> dict[str, Any]:
    _read_bounded(data, MAX_BUNDLE_BYTES, "salts file")
    doc = _check_fields(loads(data, "salts file"), frozenset({"format", "run", "root", "salts"}), "salts file")
    if doc["format"] != SALTS_FORMAT or not isinstance(doc["salts"], list):
        raise VerificationError("salts file: field 'format' or 'salts' is not an accord salts file")
    return doc


def make_disclosure(bundle: Mapping[str, Any], salts: Mapping[str, Any], index: int, text: str) -> dict[str, Any]:
    """One response's text, salt and inclusion proof; refuses text that does not match its leaf."""
    leaves = bundle["leaves"]
    if salts.get("root") != bundle["root"] or len(salts["salts"]) != len(leaves):
        raise VerificationError("the salts file is not the one written with this bundle")
    salt_hex = salts["salts"][index]
    if not isinstance(salt_hex, str):
        raise VerificationError(f"response {key_text(leaves[index]['key'])} has no output to disclose")
    salt = bytes.fromhex(salt_hex)
    if output_digest(salt, text) != leaves[index]["output"]:
        raise VerificationError(f"the stored text of {key_text(leaves[index]['key'])} does not match its digest in the bundle")
    tree = MemoryTree()
    for leaf in leaves:
        tree.append_hash(leaf_hash(leaf))
    return {
        "format": DISCLOSURE_FORMAT,
        "run": bundle["run"],
        "index": index,
        "size": len(leaves),
        "root": bundle["root"],
        "leaf": leaves[index],
        "text": text,
        "salt": salt_hex,
        "proof": [h.hex() for h in tree.inclusion_proof(index)],
    }


def verify_disclosure(statement: Statement, data: bytes) -> dict[str, Any]:
    """Check a disclosure against a verified statement's evidence root; returns its leaf."""
    _read_bounded(data, MAX_DISCLOSURE_BYTES, "disclosure")
    doc = _check_fields(loads(data, "disclosure"), DISCLOSURE_FIELDS, "disclosure")
    if doc["format"] != DISCLOSURE_FORMAT:
        raise VerificationError("disclosure: field 'format' is not " + DISCLOSURE_FORMAT)
    for name in ("index", "size"):
        if not isinstance(doc[name], int) or isinstance(doc[name], bool) or doc[name] < 0:
            raise VerificationError(f"disclosure: field '{name}' must be a non-negative integer")
    if not isinstance(doc["text"], str):
        raise VerificationError("disclosure: field 'text' must be a string")
    leaf = check_leaf(doc["leaf"], "disclosure: leaf")
    salt = _hex32(doc["salt"], "disclosure: field 'salt'")
    if not isinstance(doc["proof"], list) or len(doc["proof"]) > 64:
        raise VerificationError("disclosure: field 'proof' must be a list of at most 64 hashes")
    proof = [_hex32(h, f"disclosure: proof[{i}]") for i, h in enumerate(doc["proof"])]
    entry = signed_evidence(statement)
    run = (statement.predicate.get("run") or {}).get("id")
    if doc["run"] != run:
        raise VerificationError(f"the disclosure is for run {str(doc['run'])[:80]!r}, the attestation for run {run!r}")
    if doc["size"] != entry.get("leaves"):
        raise VerificationError(f"the disclosure is for a tree of {doc['size']} leaves, the attestation signs {entry.get('leaves')}")
    if output_digest(salt, doc["text"]) != leaf["output"]:
        raise VerificationError("the disclosed text does not match the response's salted digest", why="the text or the salt was changed")
    try:
        verify_inclusion(leaf_hash(leaf), doc["index"], doc["size"], proof, _hex32(entry["root"], "the signed evidence root"))
    except ProofError as exc:
        raise VerificationError(f"the disclosure's inclusion proof failed: {exc}", why="the leaf or proof was changed") from exc
    return leaf
