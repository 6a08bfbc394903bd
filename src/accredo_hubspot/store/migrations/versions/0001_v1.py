"""The schema of the release before Alembic (its ``schema_version`` 1), frozen.

A database that release made is recognised as this revision and upgraded from here; an empty
database is created through it. Never edit it: later revisions build on exactly these tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

KEY = 255
_metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # always 1: a single row
    sa.Column("version", sa.Integer, nullable=False),
)

links = sa.Table(
    "links",
    _metadata,
    sa.Column("customer_code", sa.String(KEY), primary_key=True),
    sa.Column("company_id", sa.String(KEY), nullable=False),
    sa.Column(
        "via", sa.String(KEY), nullable=True
    ),  # how the link was made: nzbn, code, email, created
    sa.Column("linked_at", sa.DateTime(), nullable=False),
    sa.UniqueConstraint("company_id", name="uq_links_company_id"),
)

shadows = sa.Table(
    "shadows",
    _metadata,
    sa.Column("customer_code", sa.String(KEY), primary_key=True),
    sa.Column("property", sa.String(KEY), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("synced_at", sa.DateTime(), nullable=False),
)

cursors = sa.Table(
    "cursors",
    _metadata,
    sa.Column("name", sa.String(KEY), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(), nullable=False),
)

# One row per record. ``id`` only grows, so it orders the queue oldest first; ``enqueue_count``
# grows on every coalesced enqueue and ``claimed_count`` remembers what ``pending`` handed out,
# so completing a record does not drop a change that arrived while it was being written.
work_queue = sa.Table(
    "work_queue",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("customer_code", sa.String(KEY), nullable=False),
    sa.Column("reason", sa.String(KEY), nullable=False),
    sa.Column("first_enqueued_at", sa.DateTime(), nullable=False),
    sa.Column("last_enqueued_at", sa.DateTime(), nullable=False),
    sa.Column("enqueue_count", sa.Integer, nullable=False),
    sa.Column("claimed_count", sa.Integer, nullable=True),
    sa.UniqueConstraint("customer_code", name="uq_work_queue_customer_code"),
)

meta = sa.Table(
    "meta",
    _metadata,
    sa.Column("key", sa.String(KEY), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

dead_letters = sa.Table(
    "dead_letters",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("record_key", sa.String(KEY), nullable=False),
    sa.Column("side", sa.String(16), nullable=False),
    sa.Column("field", sa.String(KEY), nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("resolved_at", sa.DateTime(), nullable=True),
    sa.Index("ix_dead_letters_resolved_at", "resolved_at"),
)

audit_log = sa.Table(
    "audit_log",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(), nullable=False),
    sa.Column("side", sa.String(16), nullable=False),
    sa.Column("record_key", sa.String(KEY), nullable=False),
    sa.Column("remote_id", sa.String(KEY), nullable=True),
    sa.Column("field", sa.String(KEY), nullable=True),
    sa.Column("old_value", sa.Text, nullable=True),
    sa.Column("new_value", sa.Text, nullable=True),
    sa.Column("reason", sa.String(KEY), nullable=False),
    sa.Index("ix_audit_log_record_key", "record_key", "id"),
)


def upgrade() -> None:
    bind = op.get_bind()
    _metadata.create_all(bind)
    bind.execute(schema_version.insert().values(id=1, version=1))


def downgrade() -> None:
    raise NotImplementedError("the state store migrates forward only")
