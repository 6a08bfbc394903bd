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
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData()

# Customer codes and HubSpot ids are short; properties and keys stay well under 255.
_KEY = 255
_TYPE = 64  # record type names ("company") and inbox sources
_SIDE = 16  # "hubspot", "accredo", "to_hubspot", "to_accredo"


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


# Kept from the release before Alembic, at 2 or more: that release refuses this database
# (SchemaTooNewError) instead of writing tables of another shape.
schema_version = Table(
    "schema_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1: a single row
    Column("version", Integer, nullable=False),
)

# An Accredo record linked to a HubSpot record, unique both ways within a record type.
links = Table(
    "links",
    metadata,
    Column("record_type", String(_TYPE), nullable=False),
    Column("accredo_key", String(_KEY), nullable=False),
    Column("hubspot_id", String(_KEY), nullable=False),
    Column("via", String(_KEY), nullable=True),  # how the link was made: nzbn, code, email, new
    Column("linked_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("record_type", "accredo_key", name="pk_links"),
    UniqueConstraint("record_type", "hubspot_id", name="uq_links_hubspot_id"),
)

# The values last written to one side for one record: a JSON object, property -> value, packed
# like the audit's entries (store.packing: one row per record and side keeps the state small:
# a row per property was ~29 rows a debtor; a company's ~1.2 KB of JSON packs to ~0.26 KB).
# Not WITHOUT ROWID on SQLite: with ~600-byte rows that saved ~37 bytes a row written in key
# order but cost ~100 written in random order (new customers' codes), by dbstat.
shadows = Table(
    "shadows",
    metadata,
    Column("side", String(_SIDE), nullable=False),
    Column("record_type", String(_TYPE), nullable=False),
    Column("record_key", String(_KEY), nullable=False),
    Column("shadow", LargeBinary, nullable=False),
    Column("synced_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("side", "record_type", "record_key", name="pk_shadows"),
)

cursors = Table(
    "cursors",
    metadata,
    Column("name", String(_KEY), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# A change feed's own state beside its cursors (the late-row window, entity sets found
# missing), as JSON, so a restart loses nothing.
feed_states = Table(
    "feed_states",
    metadata,
    Column("name", String(_KEY), nullable=False),
    Column("state", Text, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("name", name="pk_feed_states"),
)

# One row per record and direction. ``id`` only grows, so it orders the queue oldest first;
# ``enqueue_count`` grows on every coalesced enqueue and ``claimed_count`` remembers what a
# claim handed out, so completing a record does not drop a change that arrived while it was
# being written. A claim has an owner and a lease: when the lease runs out, another worker
# may take the record.
work_queue = Table(
    "work_queue",
    metadata,
    Column("id", Integer, nullable=False, autoincrement=True),
    PrimaryKeyConstraint("id", name="pk_work_queue"),
    Column("direction", String(_SIDE), nullable=False),
    Column("record_type", String(_TYPE), nullable=False),
    Column("record_key", String(_KEY), nullable=False),
    Column("reason", String(_KEY), nullable=False),
    Column("first_enqueued_at", UTCDateTime(), nullable=False),
    Column("last_enqueued_at", UTCDateTime(), nullable=False),
    Column("enqueue_count", Integer, nullable=False),
    Column("claimed_count", Integer, nullable=True),
    Column("claimed_by", String(_KEY), nullable=True),
    Column("lease_expires_at", UTCDateTime(), nullable=True),
    Column("source", String(_KEY), nullable=True),  # the change that last queued it
    UniqueConstraint("direction", "record_type", "record_key", name="uq_work_queue_record"),
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
    Column("id", Integer, nullable=False, autoincrement=True),
    PrimaryKeyConstraint("id", name="pk_dead_letters"),
    Column("record_type", String(_TYPE), nullable=False),
    Column("record_key", String(_KEY), nullable=False),
    Column("side", String(_SIDE), nullable=False),
    Column("field", String(_KEY), nullable=True),
    Column("reason", Text, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("resolved_at", UTCDateTime(), nullable=True),
    Index("ix_dead_letters_open", "resolved_at", "record_key"),
)

# One entry per record write: the fields written, as a JSON object {field: [old, new]}, packed
# (store.packing; a backfill's entry names every mapped field: ~1.4 KB of JSON, ~0.26 KB
# packed; the audit is written often and read rarely).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, nullable=False, autoincrement=True),
    PrimaryKeyConstraint("id", name="pk_audit_log"),
    Column("at", UTCDateTime(), nullable=False),
    Column("side", String(_SIDE), nullable=False),
    Column("record_type", String(_TYPE), nullable=False),
    Column("record_key", String(_KEY), nullable=False),
    Column("remote_id", String(_KEY), nullable=True),
    Column("changes", LargeBinary, nullable=False),
    Column("reason", String(_KEY), nullable=False),
    # Provenance: the change carried (a DeltaID, a webhook event, reconcile, an operator), when
    # the record was read, and the call that wrote it.
    Column("source", String(_KEY), nullable=True),
    Column("read_at", UTCDateTime(), nullable=True),
    Column("call", String(_KEY), nullable=True),
    # No index on ``at``: ids grow with it, and the few searches by time bisect the ids
    # (``store.audit``), saving ~35 bytes an entry.
    Index("ix_audit_log_record", "record_type", "record_key", "id"),
)

# Inbound events (HubSpot webhooks), de-duplicated by the sender's event id.
inbox = Table(
    "inbox",
    metadata,
    Column("id", Integer, nullable=False, autoincrement=True),
    PrimaryKeyConstraint("id", name="pk_inbox"),
    Column("source", String(_TYPE), nullable=False),
    Column("event_id", String(_KEY), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("processed_at", UTCDateTime(), nullable=True),
    UniqueConstraint("source", "event_id", name="uq_inbox_event"),
    Index("ix_inbox_unprocessed", "source", "processed_at", "id"),
)

# Leader leases: which process polls a source now, until when.
leases = Table(
    "leases",
    metadata,
    Column("name", String(_KEY), nullable=False),
    Column("owner", String(_KEY), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("name", name="pk_leases"),
)
