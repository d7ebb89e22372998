"""Table definitions (SQLAlchemy Core). Changes go through ``_migrations.py``, never here alone.

JSON columns are stored as text: the same bytes on SQLite and PostgreSQL, and no dialect
differences in how they compare.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()


def _response_key() -> list[sa.Column[Any]]:
    """The primary-key columns naming one response (``ResponseKey``); labels join on them.

    A function, not a list: a ``Column`` belongs to exactly one table.
    """
    return [
        sa.Column("run_id", sa.String(200), primary_key=True),
        sa.Column("suite_id", sa.String(200), primary_key=True),
        sa.Column("item_id", sa.String(400), primary_key=True),
        sa.Column("variant_id", sa.String(400), primary_key=True),
        sa.Column("epoch", sa.Integer, primary_key=True),
    ]


migrations = sa.Table(
    "_accord_migrations",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("applied_at", sa.String(40), nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("run_id", sa.String(200), primary_key=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("target_digest", sa.Text, nullable=False),
    sa.Column("suites_json", sa.Text, nullable=False),
    sa.Column("params_json", sa.Text, nullable=False),
    sa.Column("epochs", sa.Integer, nullable=False),
    sa.Column("n_items", sa.Integer, nullable=False),
    sa.Column("accord_version", sa.String(40), nullable=False),
    sa.Column("meta_json", sa.Text, nullable=False, server_default="{}"),
    # m003: items per shard lease (fixed per run), and the run's heartbeat: epoch seconds until
    # which its process counts as alive (a ``running`` run past it, with no live lease, is
    # read as ``interrupted``).
    sa.Column("shard_size", sa.Integer, nullable=False, server_default="256"),
    sa.Column("alive_until", sa.Float),
)

items = sa.Table(
    "items",
    metadata,
    sa.Column("run_id", sa.String(200), primary_key=True),
    sa.Column("suite_id", sa.String(200), primary_key=True),
    sa.Column("item_id", sa.String(400), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("hazard", sa.String(100), nullable=False),
    sa.Column("intent", sa.String(20), nullable=False),
    sa.Column("locale", sa.String(40), nullable=False),
    sa.Column("item_json", sa.Text, nullable=False),
    sa.Index("ix_items_seq", "run_id", "seq"),
)

responses = sa.Table(
    "responses",
    metadata,
    *_response_key(),
    sa.Column("messages_json", sa.Text, nullable=False),
    sa.Column("output", sa.Text),
    sa.Column("finish_reason", sa.String(40)),
    sa.Column("blocked", sa.Boolean, nullable=False),
    sa.Column("latency_s", sa.Float),
    sa.Column("input_tokens", sa.Integer),
    sa.Column("output_tokens", sa.Integer),
    sa.Column("model_version", sa.Text),
    sa.Column("error_kind", sa.String(40)),
    sa.Column("error", sa.Text),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("cached", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    # m006: where the answer came from: "produced" (sent to the target by this run) or "reused"
    # (taken from the response cache); NULL on responses stored before accord recorded it.
    sa.Column("provenance", sa.String(20)),
    sa.Column("source_run", sa.String(200)),  # m006: the run that produced a reused answer (NULL: unknown)
    sa.Column("source_created_at", sa.String(40)),  # m006: when that answer was first produced
    sa.Column("attack_json", sa.Text),  # m008: what an attack did (``Response.attack``); NULL for plain items
)

labels = sa.Table(
    "labels",
    metadata,
    *_response_key(),
    sa.Column("judge_id", sa.String(400), primary_key=True),
    sa.Column("judge_version", sa.String(100), nullable=False),
    sa.Column("refusal", sa.String(10)),
    sa.Column("harmful", sa.Boolean),
    sa.Column("score", sa.Float),
    sa.Column("rationale", sa.Text),
    sa.Column("unassessed", sa.Text),
    sa.Column("created_at", sa.String(40), nullable=False),
    # m004: the label's flags as a JSON list (``Label.flags``); NULL on labels written before.
    sa.Column("flags", sa.Text),
    sa.Index("ix_labels_judge", "run_id", "judge_id"),
)

cache = sa.Table(
    "response_cache",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("completion_json", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("run_id", sa.String(200)),  # m006: the run that produced the entry (NULL: written before)
)

artifacts = sa.Table(
    "artifacts",
    metadata,
    sa.Column("run_id", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(100), primary_key=True),
    sa.Column("name", sa.String(400), primary_key=True),
    sa.Column("payload_json", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
)

# m002: every replaced outcome of a response key (``add_responses(..., replace_errors=True)``):
# the responses table holds at most one successful response per key and the latest outcome;
# each error it replaced is kept here, numbered from 1 in the order it was replaced.
attempts_table = sa.Table(
    "response_attempts",
    metadata,
    *_response_key(),
    sa.Column("attempt", sa.Integer, primary_key=True),
    sa.Column("error_kind", sa.String(40)),
    sa.Column("error", sa.Text),
    sa.Column("latency_s", sa.Float),
    sa.Column("requests", sa.Integer, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("replaced_at", sa.String(40), nullable=False),
)

# m003: shard leases. Shard k of a run holds the items with seq in [k*shard_size, (k+1)*shard_size);
# a row exists once a shard was first claimed. ``expires_at`` is epoch seconds (the database's
# clock on PostgreSQL, the host's on SQLite).
leases = sa.Table(
    "leases",
    metadata,
    sa.Column("run_id", sa.String(200), primary_key=True),
    sa.Column("shard", sa.Integer, primary_key=True),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("finished", sa.Boolean, nullable=False),
)

# m005: people's decisions on responses (``accord judge review``). Append-only: a later
# decision on the same response (a higher ``decision`` number) supersedes an earlier one,
# which stays. ``overrides_json`` lists the judge labels the decision took the place of.
reviews = sa.Table(
    "reviews",
    metadata,
    *_response_key(),
    sa.Column("decision", sa.Integer, primary_key=True),
    sa.Column("harmful", sa.Boolean, nullable=False),
    sa.Column("refusal", sa.String(10)),
    sa.Column("reviewer", sa.String(200), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("decided_at", sa.String(40), nullable=False),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("overrides_json", sa.Text, nullable=False),
)

# m007: a judge scored against a labelled file (``accord judge validate --labels FILE --record``).
# Append-only: a row is never updated or deleted; a later validation of the same judge, task and
# language is the one scoring reads (``accord.pipeline.recorded_rates``), the earlier ones stay.
# ``result_json``: ``{"overall": {...}, "by_locale": {locale: {...}}}``, each entry
# ``{"classes", "confusion", "n", "n_assessed"}`` (``confusion[i][j]``: gold class i judged j).
judge_validations = sa.Table(
    "judge_validations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("judge_id", sa.String(400), nullable=False),
    sa.Column("judge_version", sa.String(100), nullable=False),
    sa.Column("task", sa.String(20), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("source_digest", sa.String(80), nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("recorded_by", sa.String(200)),
    sa.Column("recorded_at", sa.String(40), nullable=False),
    sa.Column("result_json", sa.Text, nullable=False),
    sa.Index("ix_judge_validations_judge", "judge_id"),
    sqlite_autoincrement=True,
)
