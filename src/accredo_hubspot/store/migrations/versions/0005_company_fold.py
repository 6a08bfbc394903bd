"""The order rollups and the price tier folded into the company record; the audit's time index
dropped.

The order rollups (``company_orders``) and the price tier (``price_tier``) are now written with
the company record: their shadows, queued records and open dead letters become the company's
(same side or direction, same key), so a state database of an earlier release loses nothing and
its next sync writes nothing new. The audit keeps its entries as written (history). The
retention and the status page find a time in the audit by its ids, which grow with it, so the
index on the time (~35 bytes an entry) goes.

The record type names are string literals here, not the sync code's constants: a revision is
history, and must do the same thing whatever those names become. Rows are read a page at a
time (large databases), in plain statements that serve SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COMPANY = "company"
FOLDED = ("company_orders", "price_tier")
#: Rows read and rewritten per step.
PAGE = 1_000

# The tables as far as this step reads and writes them.
_shadows = sa.table(
    "shadows",
    sa.column("side", sa.String()),
    sa.column("record_type", sa.String()),
    sa.column("record_key", sa.String()),
    sa.column("shadow", sa.LargeBinary()),
    sa.column("synced_at", sa.DateTime()),
)
_queue = sa.table(
    "work_queue",
    sa.column("id", sa.Integer()),
    sa.column("direction", sa.String()),
    sa.column("record_type", sa.String()),
    sa.column("record_key", sa.String()),
    sa.column("reason", sa.String()),
    sa.column("first_enqueued_at", sa.DateTime()),
    sa.column("last_enqueued_at", sa.DateTime()),
    sa.column("enqueue_count", sa.Integer()),
    sa.column("claimed_count", sa.Integer()),
    sa.column("claimed_by", sa.String()),
    sa.column("lease_expires_at", sa.DateTime()),
    sa.column("source", sa.String()),
)
_letters = sa.table(
    "dead_letters",
    sa.column("id", sa.Integer()),
    sa.column("record_type", sa.String()),
    sa.column("record_key", sa.String()),
    sa.column("side", sa.String()),
    sa.column("field", sa.String()),
    sa.column("reason", sa.Text()),
    sa.column("created_at", sa.DateTime()),
    sa.column("resolved_at", sa.DateTime()),
)
_links = sa.table("links", sa.column("record_type", sa.String()))


def upgrade() -> None:
    bind = op.get_bind()
    _fold_shadows(bind)
    _fold_queue(bind)
    _fold_letters(bind)
    # None were ever made (the rollups and the tier used the company's link); any found would
    # name the company's HubSpot record again, under a type nothing reads now.
    bind.execute(sa.delete(_links).where(_links.c.record_type.in_(FOLDED)))
    op.drop_index("ix_audit_log_at", table_name="audit_log")


def downgrade() -> None:
    raise NotImplementedError("the state store migrates forward only")


def _fold_shadows(bind: sa.Connection) -> None:
    """Each folded shadow merged into the company's of its side and key (a new company row
    when there is none), then deleted. The properties are disjoint; were one in both, the
    value synced last wins."""
    c = _shadows.c
    sides = bind.execute(sa.select(c.side).where(c.record_type.in_(FOLDED)).distinct()).scalars()
    for side in sorted(sides):
        for folded in FOLDED:
            query = (
                sa.select(c.record_key, c.shadow, c.synced_at)
                .where(c.side == side, c.record_type == folded)
                .order_by(c.record_key)
                .limit(PAGE)
            )
            while page := [tuple(row) for row in bind.execute(query)]:  # deleted once merged
                _merge_shadows(bind, side, folded, page)


def _merge_shadows(
    bind: sa.Connection, side: str, folded: str, page: Sequence[tuple[Any, ...]]
) -> None:
    c = _shadows.c
    keys = [key for key, _, _ in page]
    company = {
        key: (synced_at, packed)
        for key, packed, synced_at in bind.execute(
            sa.select(c.record_key, c.shadow, c.synced_at).where(
                c.side == side, c.record_type == COMPANY, c.record_key.in_(keys)
            )
        )
    }
    updates: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    for key, packed, synced_at in page:
        parts = sorted([(synced_at, packed), *([company[key]] if key in company else [])])
        merged: dict[str, Any] = {}
        for _, part in parts:
            merged.update(json.loads(zlib.decompress(part)))
        row = {"k_key": key, "k_shadow": _pack(merged), "k_synced_at": parts[-1][0]}
        (updates if key in company else inserts).append(row)
    where = (c.side == side, c.record_key == sa.bindparam("k_key"))
    values: dict[str, Any] = {
        "shadow": sa.bindparam("k_shadow"),
        "synced_at": sa.bindparam("k_synced_at"),
    }
    if updates:
        bind.execute(
            sa.update(_shadows).where(c.record_type == COMPANY, *where).values(values), updates
        )
    if inserts:
        bind.execute(
            sa.insert(_shadows).values(
                side=side, record_type=COMPANY, record_key=sa.bindparam("k_key"), **values
            ),
            inserts,
        )
    bind.execute(
        sa.delete(_shadows).where(c.record_type == folded, *where), [{"k_key": k} for k in keys]
    )


def _pack(values: dict[str, Any]) -> bytes:
    return zlib.compress(json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode())


def _fold_queue(bind: sa.Connection) -> None:
    """Each folded queued record becomes the company's of its direction and key, merged with
    one already queued: the oldest place (smallest id) is kept, the first and last enqueue
    times span them all, the reason and source are the last change's, the changes are
    counted together. A claim stays with its holder, its ``claimed_count`` as it was: a
    completion by that claim then releases the record (changes it did not write arrived)
    instead of taking it off the queue."""
    q = _queue.c
    query = sa.select(_queue).where(q.record_type.in_(FOLDED)).order_by(q.id).limit(PAGE)
    while page := bind.execute(query).all():  # each page is re-typed or deleted
        groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
        for row in page:
            groups[(row.direction, row.record_key)].append(row)
        for direction in {d for d, _ in groups}:
            keys = [key for d, key in groups if d == direction]
            queued = bind.execute(
                sa.select(_queue).where(
                    q.direction == direction, q.record_type == COMPANY, q.record_key.in_(keys)
                )
            )
            for row in queued:
                groups[(direction, row.record_key)].append(row)
        for rows in groups.values():
            _merge_queued(bind, rows)


def _merge_queued(bind: sa.Connection, rows: list[Any]) -> None:
    q = _queue.c
    kept = min(rows, key=lambda row: row.id)
    last = max(rows, key=lambda row: (row.last_enqueued_at, row.id))
    claims = [row for row in rows if row.claimed_by is not None]
    claim = max(claims, key=lambda row: (row.lease_expires_at, row.id)) if claims else None
    others = [row.id for row in rows if row.id != kept.id]
    if others:
        bind.execute(sa.delete(_queue).where(q.id.in_(others)))
    bind.execute(
        sa.update(_queue)
        .where(q.id == kept.id)
        .values(
            record_type=COMPANY,
            reason=last.reason,
            source=last.source,
            first_enqueued_at=min(row.first_enqueued_at for row in rows),
            last_enqueued_at=last.last_enqueued_at,
            enqueue_count=sum(row.enqueue_count for row in rows),
            claimed_by=None if claim is None else claim.claimed_by,
            lease_expires_at=None if claim is None else claim.lease_expires_at,
            claimed_count=None if claim is None else claim.claimed_count,
        )
    )


def _fold_letters(bind: sa.Connection) -> None:
    """Open folded dead letters become the company's. The store keeps one open letter per
    record, side, field and reason: where re-typing one would make a second, the newest stays
    open and the others are resolved (closed letters keep their type, as the audit does)."""
    d = _letters.c
    now = datetime.now(UTC).replace(tzinfo=None)
    after = 0
    while True:
        page = bind.execute(
            sa.select(_letters)
            .where(d.record_type.in_(FOLDED), d.resolved_at.is_(None), d.id > after)
            .order_by(d.id)
            .limit(PAGE)
        ).all()
        if not page:
            return
        after = page[-1].id
        company = bind.execute(
            sa.select(_letters).where(
                d.record_type == COMPANY,
                d.resolved_at.is_(None),
                d.record_key.in_(sorted({row.record_key for row in page})),
            )
        ).all()
        same: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
        for row in [*page, *company]:
            same[(row.record_key, row.side, row.field, row.reason)].append(row)
        retype, resolve = [], []
        for rows in same.values():
            newest = max(rows, key=lambda row: (row.created_at, row.id))
            resolve += [row.id for row in rows if row.id != newest.id]
            if newest.record_type != COMPANY:
                retype.append(newest.id)
        if retype:
            bind.execute(sa.update(_letters).where(d.id.in_(retype)).values(record_type=COMPANY))
        if resolve:
            bind.execute(sa.update(_letters).where(d.id.in_(resolve)).values(resolved_at=now))
