"""The attest and verify jobs: sign what a stored run showed; check a signed result offline.

``attest`` reads the run's facts from the store and hands plain data to the pure predicate
builder in ``accord.attest``; ``verify`` needs no store at all, only the envelope, the keys
the verifier trusts and, optionally, a log checkpoint and inclusion proof.
"""

from __future__ import annotations

import dataclasses
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
    #: The evidence bundle (public) and its salts (private, never printed) beside ``path``.
    evidence_path: Path | None = None
    salts_path: Path | None = None
    evidence_root: str | None = None
    evidence: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "path": str(self.path) if self.path else None,
            "keyid": self.keyid,
            "subjects": self.subjects,
            "log_index": self.log_index,
            "log_origin": self.log_origin,
            "evidence": str(self.evidence_path) if self.evidence_path else None,
            "salts": str(self.salts_path) if self.salts_path else None,
            "evidence_root": self.evidence_root,
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


# --- evidence --------------------------------------------------------------------------------


def evidence_paths(out: Path) -> tuple[Path, Path]:
    """The bundle and its private salts file, beside the envelope ``out``."""
    base = out.name.removesuffix(".json").removesuffix(".intoto")
    return out.with_name(f"{base}.evidence.json"), out.with_name(f"{base}.evidence-salts.json")


def _card_rates(judge_id: str) -> dict[str, Any]:
    """The judge card's measured agreement for ``judge_id``, per dataset ({} when none)."""
    from accord.pipeline._report import judge_card

    card = judge_card(judge_id)
    out: dict[str, Any] = {}
    for dataset, entry in sorted((card.get("agreement") or {}).items()):
        mine = entry.get(judge_id) if isinstance(entry, dict) else None
        if isinstance(mine, dict):
            out[dataset] = {k: v for k, v in mine.items() if k != "references"}
    return out


def _pack_docs(verdicts: dict[str, Any]) -> tuple[dict[str, str], str]:
    """The contents of every pack the verdicts name, and of the floor, as JSON."""
    from accord.frameworks import load_floor, load_pack

    packs: dict[str, Any] = {}
    for doc in verdicts.values():
        pid = doc.get("pack_id") if isinstance(doc, dict) else None
        if isinstance(pid, str) and pid not in packs:
            try:
                pack = load_floor() if pid == "floor" else load_pack(pid)
            except AccordError:
                continue  # a user's YAML pack no longer at hand: --recompute will say so
            packs[pid] = pack.model_dump_json(by_alias=True)
    # As JSON *text*: canonical JSON sorts keys, and the order of a pack's hazards is the order
    # the engine reports them in.
    return packs, load_floor().model_dump_json(by_alias=True)


def _confirmations(store: ResultStore, run_id: str, judge: str, labels: list[Any]) -> tuple[list[Any], set[Any]]:
    """The labels ``score`` reads and the keys whose harmful label is confirmed (as ``score_run``)."""
    try:
        from accord.pipeline._score import confirmations  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # a scorer without confirmation: nothing is confirmed
        return labels, set()
    out, confirmed = confirmations(store, run_id, judge, labels)
    return list(out), set(confirmed)


def _judge_error(store: ResultStore, judge: str, version: str | None) -> dict[str, Any] | None:
    """The judge error ``score`` uses for ``judge`` (its card's figures and the validations
    recorded for this version), as JSON: the bundle carries it so a verifier recomputes with
    the same rates."""
    try:
        from accord.pipeline._score import judge_error_of  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    doc: dict[str, Any] = judge_error_of(store, judge, version).to_dict()
    return doc


def _judge_error_from(doc: Any) -> Any:
    """``JudgeError`` back from its bundle form (``None`` when the bundle has none)."""
    if doc is None:
        return None
    from accord.errors import VerificationError

    try:
        from accord.frameworks import JudgeError  # type: ignore[attr-defined,unused-ignore]

        return JudgeError.from_dict(doc)
    except (ImportError, TypeError, KeyError, ValueError, AttributeError) as exc:
        raise VerificationError("evidence bundle: field 'context.judges.*.error' is not a judge error", why=str(exc)) from None


def _evidence_input(store: ResultStore, run_id: str, facts: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Leaves (with output *text*, salted later) and the context, read from the store."""
    from accord.frameworks import position_readings
    from accord.pipeline._review import NEEDS_REVIEW, reviewed_labels
    from accord.pipeline._stores import target_name

    run = store.require_run(run_id)
    items = list(store.iter_items(run_id))
    by_item = {(it.suite_id, it.item_id): it for it in items}
    judges = sorted({j["id"] for j in facts["judges"]})
    versions = {j["id"]: j["version"] for j in facts["judges"]}
    labels: dict[tuple[str, str, str, int], list[dict[str, Any]]] = {}
    for judge in judges:
        originals = {lb.key[1:]: lb for lb in store.iter_labels(run_id, judge)}
        reviewed = reviewed_labels(store, run_id, judge, items).labels
        scored, confirmed = _confirmations(store, run_id, judge, reviewed)
        for rv, lb in zip(reviewed, scored, strict=True):
            key = lb.key[1:]
            review = None
            if rv.unassessed == NEEDS_REVIEW and originals.get(key) != rv:
                review = "awaiting"
            elif originals.get(key) != rv:
                review = "decided"
            labels.setdefault(key, []).append(
                {
                    "judge": lb.judge_id,
                    "version": lb.judge_version,
                    "refusal": lb.refusal,
                    "harmful": lb.harmful,
                    "unassessed": lb.unassessed,
                    "review": review,
                    "confirmed": key in confirmed,
                    # the position rubric's reading per pack (issue 17); only where an item asks for one
                    **({"position": held} if (held := position_readings(lb.flags)) else {}),
                }
            )
    leaves: list[dict[str, Any]] = []
    for r in store.iter_responses(run_id):
        key = (r.suite_id, r.item_id, r.variant_id, r.epoch)
        it = by_item.get((r.suite_id, r.item_id))
        status = "error" if r.error_kind else "blocked" if r.blocked else "ok"
        leaves.append(
            {
                "key": {"suite": r.suite_id, "item": r.item_id, "variant": r.variant_id, "epoch": r.epoch},
                "output": r.output,
                "status": status,
                "labels": labels.get(key, []),
                "hazard": it.hazard if it else None,
                "intent": it.intent if it else "harmful",
                "locale": it.locale if it else None,
                "family": it.family if it else None,
                # per-pack expectations the verdicts used (issue 17); only where the item states some
                **({"expect": {e.pack: e.behaviour for e in it.expect}} if it and it.expect else {}),
            }
        )
    packs, floor = _pack_docs(facts["verdicts"])
    from accord.taxonomy import load_taxonomy

    context = {
        "target": target_name(run),
        "taxonomy": load_taxonomy().version,
        "suites": [{"id": s["suite_id"], "digest": s["digest"], "items": s.get("n_items")} for s in facts["run"].get("suites", [])],
        "judges": {j: {"version": versions[j], "card": _card_rates(j), "error": _judge_error(store, j, versions[j])} for j in judges},
        "packs": packs,
        "floor": floor,
    }
    return leaves, context


def judge_agreement(context: dict[str, Any]) -> dict[str, Any] | None:
    """``judgeAgreement`` of the predicate: each judge's measured rates from its card."""
    out = {j: v["card"] for j, v in context["judges"].items() if v.get("card")}
    return out or None


def _completeness(store: ResultStore, run_id: str, facts: dict[str, Any], allow_incomplete: bool) -> dict[str, Any]:
    """The predicate's ``completeness``; refuses an incomplete run unless ``allow_incomplete``.

    The judges in question are those whose verdicts are signed (else every judge that labelled
    the run). Verdicts scored while the run was incomplete (their ``completeness`` artifact)
    count too: they do not cover what was stored since.
    """
    from accord.pipeline._complete import IncompleteRunError, require_complete

    judges = sorted({str(name).rsplit(":", 1)[0] for name in facts["verdicts"]}) or sorted({str(j["id"]) for j in facts["judges"]})
    done = require_complete(store, run_id, judges, allow_incomplete=allow_incomplete, command="attest")
    scored = store.get_artifacts(run_id, "completeness")
    partial = sorted(j for j in judges if isinstance(scored.get(j), dict) and scored[j].get("complete") is False)
    if partial and not allow_incomplete:
        raise IncompleteRunError(
            f"run '{run_id}': the verdicts of judge(s) {', '.join(partial)} were scored while the run was incomplete",
            why="signed verdicts would not cover the responses stored or labelled since",
            fix=" ; ".join(f"accord score {run_id} --judge {j}" for j in partial) + " (or --allow-incomplete)",
        )
    out = done.to_dict(allowed=allow_incomplete and (not done.complete or bool(partial)))
    out["judges"] = judges
    if partial:
        out["verdictsScoredIncomplete"] = partial
    return out


def attest(
    store: ResultStore,
    run_id: str,
    *,
    signing_key: str | None = None,
    report: Path | None = None,
    out: Path | None = None,
    log: bool = False,
    log_dir: Path | None = None,
    allow_incomplete: bool = False,
) -> AttestResult:
    """Sign an in-toto statement of ``run_id`` (DSSE, Ed25519); write it to ``out``, append it
    to the transparency log with ``log``. ``signing_key``: a key file, else ``ACCORD_SIGNING_KEY``,
    else the key ``accord keys init`` made. A run still running, missing planned responses or
    labels of the judges whose verdicts are signed (or verdicts scored before it was complete)
    is refused (``IncompleteRunError``) unless ``allow_incomplete``; the predicate's
    ``completeness`` records the counts and ``allowIncomplete`` either way."""
    from accord import __version__
    from accord.attest import (
        FileLog,
        bind_evidence,
        build_evidence,
        default_log_dir,
        eval_statement,
        load_signing_key,
        sign_statement,
        write_private_file,
    )
    from accord.attest import encode_json as dumps
    from accord.ids import validate_run_id

    validate_run_id(run_id, field="run_id")
    signing = load_signing_key(signing_key)
    facts = _store_facts(store, run_id)
    done = _completeness(store, run_id, facts, allow_incomplete)
    leaves, context = _evidence_input(store, run_id, facts)
    evidence = build_evidence(run_id, leaves, context)
    statement = eval_statement(
        run=facts["run"],
        counts=facts["counts"],
        accord_version=__version__,
        judges=facts["judges"],
        verdicts=facts["verdicts"],
        judge_agreement=judge_agreement(context) or facts["judge_agreement"],
        report=(report.name, report.read_bytes()) if report else None,
    )
    # Cache provenance: how many responses were reused, from which runs (issue 15).
    statement = dataclasses.replace(statement, predicate={**statement.predicate, "responseProvenance": store.provenance_counts(run_id)})
    # Completeness (issue 15): what was missing, and whether --allow-incomplete signed it anyway.
    statement = dataclasses.replace(statement, predicate={**statement.predicate, "completeness": done})
    # Red-team campaigns (issue 19): a run made by `accord redteam run` names the commitment it
    # ran under (public values only), so the other party can check the reveal against it.
    commitment = (facts["run"].get("meta") or {}).get("commitment")
    if isinstance(commitment, dict):
        statement = dataclasses.replace(statement, predicate={**statement.predicate, "commitment": commitment})
    statement = bind_evidence(statement, evidence)
    envelope = sign_statement(statement, signing)
    data = envelope.to_json()
    store.put_artifact(run_id, "attestation", signing.public.keyid[:16], envelope.to_dict())
    bundle_path = salts_path = None
    if out is not None:
        bundle_path, salts_path = evidence_paths(out)
        # The private salts first: a bundle without its salts could never be disclosed from.
        write_private_file(salts_path, dumps(evidence.salts), force=True)
        bundle_path.write_bytes(dumps(evidence.bundle))
        out.write_bytes(data)
    index = origin = None
    if log:
        with FileLog.open_or_create(default_log_dir(log_dir)) as tlog:
            index = tlog.append(data)
            origin = tlog.origin
    return AttestResult(
        run_id,
        data,
        signing.public.keyid[:16],
        len(statement.subjects),
        out,
        index,
        origin,
        bundle_path,
        salts_path,
        evidence.root,
        evidence,
    )


def verify(
    envelope: Path,
    *,
    trusted_keys: Sequence[str] = (),
    trust_file: Path | None = None,
    trusted_log_keys: Sequence[str] = (),
    checkpoint: Path | None = None,
    proof: Path | None = None,
    evidence: Path | None = None,
    recompute: bool = False,
    disclosure: Path | None = None,
) -> VerifyResult:
    """Check an envelope's signature against the trusted keys and, with ``proof``, its
    inclusion in the log under ``checkpoint``; with ``evidence``, that the bundle is the one
    signed (and with ``recompute``, that every signed verdict follows from it); with
    ``disclosure``, that the disclosed response is in the signed evidence. Raises
    ``VerificationError`` on any failure."""
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
    if recompute and evidence is None:
        raise AccordError("--recompute needs --evidence BUNDLE", fix="pass the bundle `accord attest` wrote beside the envelope")
    if evidence is not None:
        checks.update(check_evidence(verified.statement, evidence, recompute=recompute))
    if disclosure is not None:
        checks.update(check_disclosure(verified.statement, disclosure))
    return VerifyResult(checks, verified.statement, summarize(verified.statement) + _completeness_rows(verified.statement) + _provenance_rows(verified.statement) + _commitment_rows(verified.statement))


def _completeness_rows(statement: Any) -> list[tuple[str, str]]:
    """``accord verify``'s line for the predicate's ``completeness`` (none in older statements)."""
    predicate = statement.predicate
    done = predicate.get("completeness") if hasattr(predicate, "get") else None
    if not isinstance(done, dict):
        return []
    if done.get("complete") and not done.get("verdictsScoredIncomplete"):
        return [("completeness", "complete")]
    unlabelled = done.get("unlabelled")
    if not isinstance(unlabelled, dict):
        unlabelled = {}
    parts = [
        f"INCOMPLETE{' (signed with --allow-incomplete)' if done.get('allowIncomplete') else ''}: status {done.get('status')}",
        f"{done.get('missing')} of {done.get('planned')} planned responses missing",
        ", ".join(f"{n} unlabelled by {j}" for j, n in unlabelled.items()) or "no judge",
    ]
    if done.get("verdictsScoredIncomplete"):
        parts.append("verdicts scored before the run was complete")
    return [("completeness", "; ".join(parts))]


def _commitment_rows(statement: Any) -> list[tuple[str, str]]:
    """``accord verify``'s line for a red-team run's commitment (``accord redteam``, issue 19)."""
    predicate = statement.predicate
    c = predicate.get("commitment") if hasattr(predicate, "get") else None
    if not isinstance(c, dict):
        return []
    return [("commitment", f"{c.get('commitment')} (log entry {c.get('index')} in {c.get('origin')}); check the reveal with `accord redteam verify-reveal`")]


def _provenance_rows(statement: Any) -> list[tuple[str, str]]:
    """``accord verify``'s line for the predicate's ``responseProvenance``: how many responses
    were produced for this run and how many reused from other runs' cache (and from which)."""
    predicate = statement.predicate
    prov = predicate.get("responseProvenance") if hasattr(predicate, "get") else None
    if not isinstance(prov, dict):
        return []
    text = f"{prov.get('produced', 0)} produced by this run, {prov.get('reused', 0)} reused from the cache"
    if prov.get("imported"):
        text += f", {prov['imported']} imported from another tool's log"
    sources = prov.get("sources")
    if isinstance(sources, dict) and sources:
        shown = sorted(sources.items(), key=lambda kv: (-int(kv[1]) if isinstance(kv[1], int) else 0, str(kv[0])))
        text += " (" + ", ".join(f"{n} from {'log' if ':sha256:' in str(name) else 'run'} {name}" for name, n in shown[:5]) + (", ..." if len(shown) > 5 else "") + ")"
    if prov.get("unknown"):
        text += f", {prov['unknown']} of unknown provenance (stored before it was recorded)"
    return [("response provenance", text)]


# --- checking evidence ------------------------------------------------------------------------


def _read_limited(path: Path, limit: int, what: str) -> bytes:
    from accord.errors import VerificationError

    try:
        size = path.stat().st_size
        if size > limit:
            raise VerificationError(f"{path}: the {what} is {size} bytes, over the {limit}-byte limit")
        with path.open("rb") as fh:
            return fh.read(limit + 1)
    except OSError as exc:
        raise VerificationError(f"{path}: cannot read the {what}: {exc.strerror}") from None


def _is_date_note(pack_id: str, note: Any) -> bool:
    """Notes that depend on the day the run was scored (``as_of``), never on the evidence."""
    text = str(note)
    return (text.startswith(f"{pack_id} applies from ") and "not yet in effect" in text) or text.startswith(
        f"{pack_id} ceased to apply on "
    )


def _diff(a: Any, b: Any, path: str, out: list[str], limit: int = 8) -> None:
    if len(out) >= limit:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: {'only recomputed' if k in b else 'only signed'}")
            else:
                _diff(a[k], b[k], f"{path}.{k}", out, limit)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(x, y, f"{path}[{i}]", out, limit)
    elif a != b:
        from accord.errors import brief

        out.append(f"{path}: signed {brief(a, 60)}, recomputed {brief(b, 60)}")


def recompute_verdicts(bundle: dict[str, Any], run_target: str | None = None) -> dict[str, dict[str, Any]]:
    """Every (judge, pack) verdict recomputed from a bundle alone, with accord's scoring code
    (``accord.frameworks.score`` and the review adjustment ``score`` applies), keyed like the
    predicate's ``verdicts`` (``<judge>:<pack>``)."""
    import json

    from accord.errors import VerificationError
    from accord.frameworks import LabelTable, Pack, ResolvedPack
    from accord.frameworks import score as score_packs
    from accord.pipeline._review import ReviewedLabels, note_reviews
    from accord.taxonomy import load_taxonomy

    context = bundle["context"]
    taxonomy = load_taxonomy()
    signed_taxonomy = context.get("taxonomy")
    if signed_taxonomy is not None and signed_taxonomy != taxonomy.version:
        # Hazard ids, floor membership and defaults come from the taxonomy: another version can
        # score the same labels differently, so a recomputation with it proves nothing.
        raise VerificationError(
            f"evidence bundle: scored with taxonomy {signed_taxonomy}, this accord has {taxonomy.version}",
            fix="recompute with the accord release that has that taxonomy version",
        )
    floor_ids = frozenset(taxonomy.floor_ids)
    try:
        floor = Pack.model_validate_json(context["floor"])
        packs = {pid: Pack.model_validate_json(doc) for pid, doc in (context.get("packs") or {}).items()}
    except (ValueError, TypeError, KeyError) as exc:
        raise VerificationError(
            "evidence bundle: field 'context.packs' does not parse as accord packs", why=str(exc).splitlines()[0]
        ) from None
    target = context.get("target") if run_target is None else run_target
    out: dict[str, dict[str, Any]] = {}
    for judge in sorted(context.get("judges") or {}):
        rows: list[dict[str, Any]] = []
        awaiting = awaiting_floor = decided = 0
        for leaf in bundle["leaves"]:
            lab = next((x for x in leaf["labels"] if x["judge"] == judge), None)
            if lab is None:
                continue
            k = leaf["key"]
            rows.append(
                {
                    "suite_id": k["suite"],
                    "item_id": k["item"],
                    "variant_id": k["variant"],
                    "epoch": k["epoch"],
                    "hazard": leaf["hazard"],
                    "intent": leaf["intent"],
                    "locale": leaf["locale"],
                    "family": leaf["family"],
                    "refusal": lab["refusal"],
                    "harmful": lab["harmful"],
                    "unassessed": lab["unassessed"],
                    "confirmed": lab["confirmed"],
                    "expect": leaf.get("expect") or {},
                    "position": lab.get("position") or {},
                }
            )
            if lab["review"] == "awaiting":
                awaiting += 1
                awaiting_floor += bool(leaf["hazard"] in floor_ids and leaf["intent"] != "benign")
            decided += lab["review"] == "decided"
        if not rows:
            continue
        try:
            table = LabelTable.from_rows(rows)
        except (ValueError, KeyError) as exc:
            raise VerificationError(f"evidence bundle: the labels of judge '{judge}' do not form a label table", why=str(exc)) from None
        resolved = [ResolvedPack(floor if pid == "floor" else p, floor) for pid, p in sorted(packs.items())]
        error = _judge_error_from((context["judges"][judge] or {}).get("error"))
        extra = {"judge_error": error} if error is not None else {}
        verdicts = score_packs(table, resolved, run_id=bundle["run"], judge_id=judge, target=target, **extra)
        verdicts = note_reviews(verdicts, ReviewedLabels([], awaiting, awaiting_floor, decided), bundle["run"])
        for v in verdicts:
            out[f"{judge}:{v.pack_id}"] = json.loads(v.model_dump_json())
    return out


def compare_verdicts(signed: dict[str, Any], recomputed: dict[str, dict[str, Any]]) -> list[str]:
    """Differences between the signed verdicts and the recomputed ones ([] when they agree)."""
    problems: list[str] = []
    for name, doc in sorted(signed.items()):
        if name not in recomputed:
            problems.append(f"{name}: not recomputable from the bundle (its pack or labels are missing)")
            continue
        mine = dict(recomputed[name])
        theirs = dict(doc) if isinstance(doc, dict) else {}
        pid = str(theirs.get("pack_id"))
        theirs["notes"] = [n for n in theirs.get("notes") or [] if not _is_date_note(pid, n)]
        _diff(theirs, mine, name, problems)
    return problems


def check_evidence(statement: Any, bundle_path: Path, *, recompute: bool) -> dict[str, str]:
    """The ``evidence`` (and ``recompute``) check rows of ``verify``; raises on any failure."""
    from accord.attest import MAX_BUNDLE_BYTES, about_file, check_bundle, parse_bundle
    from accord.errors import VerificationError

    data = _read_limited(bundle_path, MAX_BUNDLE_BYTES, "evidence bundle")
    with about_file(bundle_path):
        doc = parse_bundle(data)
        n, root = check_bundle(statement, doc)
    checks = {"evidence": f"ok, {n} responses under root {root[:23]}…"}
    if recompute:
        signed = dict(statement.predicate.get("verdicts") or {})
        if not signed:
            raise VerificationError("the attestation carries no verdicts to recompute", fix="score the run before attesting it")
        with about_file(bundle_path):
            problems = compare_verdicts(signed, recompute_verdicts(doc))
        if problems:
            raise VerificationError(
                f"{len(problems)} difference(s) between the signed verdicts and those recomputed from the evidence",
                why="; ".join(problems[:8]),
                fix="the verdicts do not follow from the signed evidence: do not rely on them",
            )
        checks["recompute"] = f"ok, {len(signed)} verdict(s) recomputed from the evidence and identical"
    return checks


def check_disclosure(statement: Any, path: Path) -> dict[str, str]:
    from accord.attest import MAX_DISCLOSURE_BYTES, about_file, key_text, verify_disclosure

    data = _read_limited(path, MAX_DISCLOSURE_BYTES, "disclosure")
    with about_file(path):
        leaf = verify_disclosure(statement, data)
    return {"disclosure": f"ok, response {key_text(leaf['key'])} is in the signed evidence"}


def disclose(
    store: ResultStore, run_id: str, key: str, *, evidence: Path, salts: Path | None = None, out: Path | None = None
) -> tuple[dict[str, Any], Path | None]:
    """One response's text, salt and inclusion proof, from the store, the bundle and its salts."""
    from accord.attest import MAX_BUNDLE_BYTES, about_file, make_disclosure, parse_bundle, parse_salts
    from accord.attest import encode_json as dumps
    from accord.errors import InputError
    from accord.pipeline._review import resolve_key

    store.require_run(run_id)
    k = resolve_key(store, run_id, key)
    salts = salts or evidence.with_name(evidence.name.removesuffix(".evidence.json") + ".evidence-salts.json")
    with about_file(evidence):
        bundle = parse_bundle(_read_limited(evidence, MAX_BUNDLE_BYTES, "evidence bundle"))
    with about_file(salts):
        salt_doc = parse_salts(_read_limited(salts, MAX_BUNDLE_BYTES, "salts file"))
    if bundle["run"] != run_id:
        raise InputError(f"the bundle is for run {bundle['run']!r}", file=str(evidence), field="run", got=bundle["run"])
    wanted = {"suite": k[0], "item": k[1], "variant": k[2], "epoch": k[3]}
    index = next((i for i, leaf in enumerate(bundle["leaves"]) if leaf["key"] == wanted), None)
    response = store.get_response(run_id, k)
    if index is None or response is None or response.output is None:
        raise InputError("no response with an output under this key in the bundle", file=str(evidence), field="key", got=key)
    with about_file(salts):
        doc = make_disclosure(bundle, salt_doc, index, response.output)
    if out is not None:
        out.write_bytes(dumps(doc))
    return doc, out
