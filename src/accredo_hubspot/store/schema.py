"""The state store's tables, in one ``MetaData``.

The same definitions serve SQLite and PostgreSQL: only portable types are used, timestamps are
kept as naive UTC (``UTCDateTime`` turns them back into aware values) so both backends sort and
compare them the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData()

# Customer codes and HubSpot ids are short; properties and keys stay well under 255.
_KEY = 255


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC ``datetime`` in Python, a naive UTC timestamp in the database."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the state store: pass an aware UTC value")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


schema_version = Table(
    "schema_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1: a single row
    Column("version", Integer, nullable=False),
)

links = Table(
    "links",
    metadata,
    Column("customer_code", String(_KEY), primary_key=True),
    Column("company_id", String(_KEY), nullable=False),
    Column("via", String(_KEY), nullable=True),  # how the link was made: nzbn, code, email, created
    Column("linked_at", UTCDateTime(), nullable=False),
    UniqueConstraint("company_id", name="uq_links_company_id"),
)

shadows = Table(
    "shadows",
    metadata,
    Column("customer_code", String(_KEY), primary_key=True),
    Column("property", String(_KEY), primary_key=True),
    Column("value", Text, nullable=False),
    Column("synced_at", UTCDateTime(), nullable=False),
)

cursors = Table(
    "cursors",
    metadata,
    Column("name", String(_KEY), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# One row per record. ``id`` only grows, so it orders the queue oldest first; ``enqueue_count``
# grows on every coalesced enqueue and ``claimed_count`` remembers what ``pending`` handed out,
# so completing a record does not drop a change that arrived while it was being written.
work_queue = Table(
    "work_queue",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_code", String(_KEY), nullable=False),
    Column("reason", String(_KEY), nullable=False),
    Column("first_enqueued_at", UTCDateTime(), nullable=False),
    Column("last_enqueued_at", UTCDateTime(), nullable=False),
    Column("enqueue_count", Integer, nullable=False),
    Column("claimed_count", Integer, nullable=True),
    UniqueConstraint("customer_code", name="uq_work_queue_customer_code"),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(_KEY), primary_key=True),
    Column("value", Text, nullable=False),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_key", String(_KEY), nullable=False),
    Column("side", String(16), nullable=False),
    Column("field", String(_KEY), nullable=True),
    Column("reason", Text, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("resolved_at", UTCDateTime(), nullable=True),
    Index("ix_dead_letters_resolved_at", "resolved_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("side", String(16), nullable=False),
    Column("record_key", String(_KEY), nullable=False),
    Column("remote_id", String(_KEY), nullable=True),
    Column("field", String(_KEY), nullable=True),
    Column("old_value", Text, nullable=True),
    Column("new_value", Text, nullable=True),
    Column("reason", String(_KEY), nullable=False),
    Index("ix_audit_log_record_key", "record_key", "id"),
)
