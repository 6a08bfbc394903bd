"""Every row names its record type; shadows per side as one JSON object per record; the audit
one entry per record write; a claimable queue; the inbox, feed states and leader leases.

The v1 rows become record type ``company`` (key: the customer code); v1 shadows and audit
entries were values written to HubSpot. Each reshaped table is built beside the old one under
a ``_new`` name, filled, and moved into place, so the same steps serve SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

KEY = 255
TYPE = 64
SIDE = 16
COMPANY = "company"
#: Rows read per step while folding shadows and audit entries.
PAGE = 20_000

_metadata = sa.MetaData()

links_new = sa.Table(
    "links_new",
    _metadata,
    sa.Column("record_type", sa.String(TYPE), nullable=False),
    sa.Column("accredo_key", sa.String(KEY), nullable=False),
    sa.Column("hubspot_id", sa.String(KEY), nullable=False),
    sa.Column("via", sa.String(KEY), nullable=True),
    sa.Column("linked_at", sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint("record_type", "accredo_key", name="pk_links"),
    sa.UniqueConstraint("record_type", "hubspot_id", name="uq_links_hubspot_id"),
)

shadows_new = sa.Table(
    "shadows_new",
    _metadata,
    sa.Column("side", sa.String(SIDE), nullable=False),
    sa.Column("record_type", sa.String(TYPE), nullable=False),
    sa.Column("record_key", sa.String(KEY), nullable=False),
    sa.Column("shadow", sa.Text, nullable=False),
    sa.Column("synced_at", sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint("side", "record_type", "record_key", name="pk_shadows"),
)

feed_states = sa.Table(
    "feed_states",
    _metadata,
    sa.Column("name", sa.String(KEY), nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint("name", name="pk_feed_states"),
)

work_queue_new = sa.Table(
    "work_queue_new",
    _metadata,
    sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
    sa.Column("direction", sa.String(SIDE), nullable=False),
    sa.Column("record_type", sa.String(TYPE), nullable=False),
    sa.Column("record_key", sa.String(KEY), nullable=False),
    sa.Column("reason", sa.String(KEY), nullable=False),
    sa.Column("first_enqueued_at", sa.DateTime(), nullable=False),
    sa.Column("last_enqueued_at", sa.DateTime(), nullable=False),
    sa.Column("enqueue_count", sa.Integer, nullable=False),
    sa.Column("claimed_count", sa.Integer, nullable=True),
    sa.Column("claimed_by", sa.String(KEY), nullable=True),
    sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint("id", name="pk_work_queue"),
    sa.UniqueConstraint("direction", "record_type", "record_key", name="uq_work_queue_record"),
)

dead_letters_new = sa.Table(
    "dead_letters_new",
    _metadata,
    sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
    sa.Column("record_type", sa.String(TYPE), nullable=False),
    sa.Column("record_key", sa.String(KEY), nullable=False),
    sa.Column("side", sa.String(SIDE), nullable=False),
    sa.Column("field", sa.String(KEY), nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("resolved_at", sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint("id", name="pk_dead_letters"),
    sa.Index("ix_dead_letters_open", "resolved_at", "record_key"),
)

audit_log_new = sa.Table(
    "audit_log_new",
    _metadata,
    sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
    sa.Column("at", sa.DateTime(), nullable=False),
    sa.Column("side", sa.String(SIDE), nullable=False),
    sa.Column("record_type", sa.String(TYPE), nullable=False),
    sa.Column("record_key", sa.String(KEY), nullable=False),
    sa.Column("remote_id", sa.String(KEY), nullable=True),
    sa.Column("changes", sa.LargeBinary, nullable=False),
    sa.Column("reason", sa.String(KEY), nullable=False),
    sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    sa.Index("ix_audit_log_record", "record_type", "record_key", "id"),
    sa.Index("ix_audit_log_at", "at"),
)

inbox = sa.Table(
    "inbox",
    _metadata,
    sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
    sa.Column("source", sa.String(TYPE), nullable=False),
    sa.Column("event_id", sa.String(KEY), nullable=False),
    sa.Column("received_at", sa.DateTime(), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("processed_at", sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint("id", name="pk_inbox"),
    sa.UniqueConstraint("source", "event_id", name="uq_inbox_event"),
    sa.Index("ix_inbox_unprocessed", "source", "processed_at", "id"),
)

leases = sa.Table(
    "leases",
    _metadata,
    sa.Column("name", sa.String(KEY), nullable=False),
    sa.Column("owner", sa.String(KEY), nullable=False),
    sa.Column("expires_at", sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint("name", name="pk_leases"),
)

# The v1 tables, as far as this step reads them.
_v1 = sa.MetaData()
links_v1 = sa.Table(
    "links",
    _v1,
    sa.Column("customer_code", sa.String(KEY)),
    sa.Column("company_id", sa.String(KEY)),
    sa.Column("via", sa.String(KEY)),
    sa.Column("linked_at", sa.DateTime()),
)
shadows_v1 = sa.Table(
    "shadows",
    _v1,
    sa.Column("customer_code", sa.String(KEY)),
    sa.Column("property", sa.String(KEY)),
    sa.Column("value", sa.Text),
    sa.Column("synced_at", sa.DateTime()),
)
work_queue_v1 = sa.Table(
    "work_queue",
    _v1,
    sa.Column("id", sa.Integer),
    sa.Column("customer_code", sa.String(KEY)),
    sa.Column("reason", sa.String(KEY)),
    sa.Column("first_enqueued_at", sa.DateTime()),
    sa.Column("last_enqueued_at", sa.DateTime()),
    sa.Column("enqueue_count", sa.Integer),
    sa.Column("claimed_count", sa.Integer),
)
dead_letters_v1 = sa.Table(
    "dead_letters",
    _v1,
    sa.Column("id", sa.Integer),
    sa.Column("record_key", sa.String(KEY)),
    sa.Column("side", sa.String(SIDE)),
    sa.Column("field", sa.String(KEY)),
    sa.Column("reason", sa.Text),
    sa.Column("payload", sa.JSON),
    sa.Column("created_at", sa.DateTime()),
    sa.Column("resolved_at", sa.DateTime()),
)
audit_log_v1 = sa.Table(
    "audit_log",
    _v1,
    sa.Column("id", sa.Integer),
    sa.Column("at", sa.DateTime()),
    sa.Column("side", sa.String(SIDE)),
    sa.Column("record_key", sa.String(KEY)),
    sa.Column("remote_id", sa.String(KEY)),
    sa.Column("field", sa.String(KEY)),
    sa.Column("old_value", sa.Text),
    sa.Column("new_value", sa.Text),
    sa.Column("reason", sa.String(KEY)),
)
schema_version = sa.Table(
    "schema_version", _v1, sa.Column("id", sa.Integer), sa.Column("version", sa.Integer)
)

_RESHAPED = ("links", "shadows", "work_queue", "dead_letters", "audit_log")


def upgrade() -> None:
    bind = op.get_bind()
    _metadata.create_all(bind)
    company = sa.literal(COMPANY)
    bind.execute(
        links_new.insert().from_select(
            ["record_type", "accredo_key", "hubspot_id", "via", "linked_at"],
            sa.select(company, *links_v1.c),
        )
    )
    q = work_queue_v1.c
    bind.execute(
        work_queue_new.insert().from_select(
            [
                "id",
                "direction",
                "record_type",
                "record_key",
                "reason",
                "first_enqueued_at",
                "last_enqueued_at",
                "enqueue_count",
                "claimed_count",
            ],
            sa.select(
                q.id,
                sa.literal("to_hubspot"),
                company,
                q.customer_code,
                q.reason,
                q.first_enqueued_at,
                q.last_enqueued_at,
                q.enqueue_count,
                q.claimed_count,
            ),
        )
    )
    d = dead_letters_v1.c
    bind.execute(
        dead_letters_new.insert().from_select(
            [
                "id",
                "record_type",
                "record_key",
                "side",
                "field",
                "reason",
                "payload",
                "created_at",
                "resolved_at",
            ],
            sa.select(
                d.id,
                company,
                d.record_key,
                d.side,
                d.field,
                d.reason,
                d.payload,
                d.created_at,
                d.resolved_at,
            ),
        )
    )
    _copy_in_pages(bind, shadows_new, _folded_shadows(bind))
    _copy_in_pages(bind, audit_log_new, _folded_audit(bind))
    for name in _RESHAPED:
        op.drop_table(name)
        op.rename_table(f"{name}_new", name)
    if bind.dialect.name == "postgresql":
        for name in ("work_queue", "dead_letters"):  # ids were copied: the sequences follow
            bind.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"COALESCE((SELECT max(id) FROM {name}), 0) + 1, false)"
                )
            )
    bind.execute(schema_version.update().values(version=2))


def downgrade() -> None:
    raise NotImplementedError("the state store migrates forward only")


def _copy_in_pages(bind: sa.Connection, table: sa.Table, rows: Iterator[dict[str, Any]]) -> None:
    page: list[dict[str, Any]] = []
    for row in rows:
        page.append(row)
        if len(page) >= PAGE // 10:
            bind.execute(table.insert(), page)
            page = []
    if page:
        bind.execute(table.insert(), page)


def _folded_shadows(bind: sa.Connection) -> Iterator[dict[str, Any]]:
    """One row per customer: its properties as one JSON object, the latest sync time."""
    c = shadows_v1.c
    query = sa.select(c.customer_code, c.property, c.value, c.synced_at).order_by(
        c.customer_code, c.property
    )
    code: str | None = None
    values: dict[str, str] = {}
    synced_at: Any = None
    for page in _pages(bind, query, (c.customer_code, c.property), (0, 1)):
        for row_code, prop, value, at in page:
            if row_code != code:
                if code is not None:
                    yield _shadow_row(code, values, synced_at)
                code, values, synced_at = row_code, {}, at
            values[prop] = value
            synced_at = max(synced_at, at)
    if code is not None:
        yield _shadow_row(code, values, synced_at)


def _shadow_row(code: str, values: dict[str, str], synced_at: Any) -> dict[str, Any]:
    return {
        "side": "hubspot",
        "record_type": COMPANY,
        "record_key": code,
        "shadow": json.dumps(values, ensure_ascii=False, separators=(",", ":")),
        "synced_at": synced_at,
    }


def _folded_audit(bind: sa.Connection) -> Iterator[dict[str, Any]]:
    """Consecutive entries of one record write (same time, side, record, reason) as one."""
    c = audit_log_v1.c
    query = sa.select(
        c.id, c.at, c.side, c.record_key, c.remote_id, c.field, c.old_value, c.new_value, c.reason
    ).order_by(c.id)
    current: dict[str, Any] | None = None
    changes: dict[str, list[str | None]] = {}
    for page in _pages(bind, query, (c.id,), (0,)):
        for _id, at, side, key, remote_id, field, old, new, reason in page:
            write = {
                "at": at,
                "side": side,
                "record_type": COMPANY,
                "record_key": key,
                "remote_id": remote_id,
                "reason": reason,
            }
            if write != current:
                if current is not None:
                    yield {**current, "changes": _json(changes)}
                current, changes = write, {}
            changes[field or ""] = [old, new]
    if current is not None:
        yield {**current, "changes": _json(changes)}


def _json(changes: dict[str, list[str | None]]) -> bytes:
    """The entry's fields as compact JSON, zlib-compressed."""
    return zlib.compress(json.dumps(changes, ensure_ascii=False, separators=(",", ":")).encode())


def _pages(
    bind: sa.Connection,
    query: sa.Select[Any],
    order: tuple[sa.ColumnElement[Any], ...],
    positions: tuple[int, ...],
) -> Iterator[list[tuple[Any, ...]]]:
    """``query`` (ordered by the unique ``order`` columns) read ``PAGE`` rows at a time."""
    after: tuple[Any, ...] | None = None
    while True:
        paged = query if after is None else query.where(sa.tuple_(*order) > sa.tuple_(*after))
        page = [tuple(row) for row in bind.execute(paged.limit(PAGE))]
        if not page:
            return
        yield page
        after = tuple(page[-1][i] for i in positions)
