"""``StateStore``: everything the connector must remember between runs, behind one small class.

Every public method is one transaction. The methods that must move together (DESIGN invariants
3 and 4) take everything in one call: ``enqueue_and_advance`` queues work and moves the cursors
past it, ``record_sync`` commits links, shadow values, audit entries, dead letters and the
completion of queued records. A crash at any instant leaves either all of it or none of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, cast

from sqlalchemy import Connection, Engine, and_, case, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from accredo_hubspot.store import schema
from accredo_hubspot.store.engine import (
    create_store_engine,
    read_transaction,
    safe_url,
    write_transaction,
)
from accredo_hubspot.store.errors import LinkConflictError, StoreError, describe
from accredo_hubspot.store.migrations import migrate
from accredo_hubspot.store.models import (
    AuditBatch,
    AuditEntry,
    DeadLetter,
    DeadLetterRow,
    Side,
    StoreStatus,
)
from accredo_hubspot.store.sql import chunked, insert_columns, upsert

Clock = Callable[[], datetime]

# Keys the store keeps for itself in the ``meta`` table.
LAST_ERROR_KEY = "store.last_error"
LAST_SYNC_AT_KEY = "store.last_sync_at"


def utc_now() -> datetime:
    return datetime.now(UTC)


class StateStore:
    """Links, shadow values, cursors, the work queue, dead letters and the audit log."""

    def __init__(self, engine: Engine, *, clock: Clock = utc_now) -> None:
        """Wrap an engine whose schema is already migrated; most callers want ``open``."""
        self._engine = engine
        self._clock = clock

    @classmethod
    def open(cls, url: str, *, clock: Clock = utc_now) -> Self:
        """Connect to ``url`` (an SQLAlchemy URL), create or migrate the schema, and return it."""
        engine = create_store_engine(url)
        try:
            migrate(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            where = safe_url(url)
            raise StoreError(f"cannot open the state store at {where}: {describe(exc)}") from exc
        except StoreError:
            engine.dispose()
            raise
        return cls(engine, clock=clock)

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        """Release every connection."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- transactions -----------------------------------------------------------------------

    @contextmanager
    def _writing(self, what: str) -> Iterator[Connection]:
        try:
            with write_transaction(self._engine) as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"state store could not {what}: {describe(exc)}") from exc

    @contextmanager
    def _reading(self, what: str) -> Iterator[Connection]:
        try:
            with read_transaction(self._engine) as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"state store could not {what}: {describe(exc)}") from exc

    # -- links ------------------------------------------------------------------------------

    def get_links(self, codes: Sequence[str] | None = None) -> dict[str, str]:
        """Customer code -> HubSpot company id, for ``codes`` (those linked) or for all."""
        table = schema.links
        query = select(table.c.customer_code, table.c.company_id)
        with self._reading("read links") as conn:
            if codes is None:
                return {code: company for code, company in conn.execute(query)}
            found: dict[str, str] = {}
            for chunk in chunked(_unique(codes)):
                rows = conn.execute(query.where(table.c.customer_code.in_(chunk)))
                found.update({code: company for code, company in rows})
            return found

    def put_links(self, links: Mapping[str, str], via: Mapping[str, str] | None = None) -> None:
        """Link customer codes to companies (upsert). ``via`` says how each link was made.

        A company can be linked to one code only: trying to link it to a second raises
        ``LinkConflictError`` naming both codes, and nothing is written.
        """
        with self._writing("write links") as conn:
            self._put_links(conn, links, via or {})

    def link_count(self) -> int:
        with self._reading("count links") as conn:
            return _count(conn, schema.links)

    def _put_links(
        self, conn: Connection, links: Mapping[str, str], via: Mapping[str, str]
    ) -> None:
        _check_link_conflicts(conn, links)
        self._write_links(conn, links, via)

    def _write_links(
        self, conn: Connection, links: Mapping[str, str], via: Mapping[str, str]
    ) -> None:
        if not links:
            return
        table = schema.links
        now = self._clock()
        rows = [
            {"customer_code": code, "company_id": company, "via": via.get(code), "linked_at": now}
            for code, company in links.items()
        ]
        try:
            upsert(
                conn,
                table,
                rows,
                keys=["customer_code"],
                update=["company_id"],
                set_=lambda new: {
                    "via": func.coalesce(new.via, table.c.via),
                    # Re-putting an unchanged link keeps the time it was first made.
                    "linked_at": case(
                        (table.c.company_id == new.company_id, table.c.linked_at),
                        else_=new.linked_at,
                    ),
                },
            )
        except IntegrityError as exc:  # a concurrent writer linked one of these companies
            raise StoreError(f"link conflict on a HubSpot company id: {describe(exc)}") from exc

    # -- shadow values ----------------------------------------------------------------------

    def get_shadows(self, codes: Sequence[str] | None = None) -> dict[str, dict[str, str]]:
        """The last value synced, per record per property (records with none are left out)."""
        table = schema.shadows
        query = select(table.c.customer_code, table.c.property, table.c.value)
        found: dict[str, dict[str, str]] = {}
        with self._reading("read shadow values") as conn:
            batches = (
                [conn.execute(query)]
                if codes is None
                else (
                    conn.execute(query.where(table.c.customer_code.in_(chunk)))
                    for chunk in chunked(_unique(codes))
                )
            )
            for rows in batches:
                for code, prop, value in rows:
                    found.setdefault(code, {})[prop] = value
        return found

    def put_shadows(self, shadows: Mapping[str, Mapping[str, str]]) -> None:
        """Record values as synced (upsert per record and property; other properties kept)."""
        with self._writing("write shadow values") as conn:
            self._put_shadows(conn, shadows)

    def _put_shadows(self, conn: Connection, shadows: Mapping[str, Mapping[str, str]]) -> None:
        now = self._clock()
        rows = [
            {"customer_code": code, "property": prop, "value": value, "synced_at": now}
            for code, values in shadows.items()
            for prop, value in values.items()
        ]
        upsert(
            conn,
            schema.shadows,
            rows,
            keys=["customer_code", "property"],
            update=["value", "synced_at"],
        )

    # -- cursors ----------------------------------------------------------------------------

    def get_cursors(self) -> dict[str, int]:
        """Change-table name -> last position whose work is queued."""
        table = schema.cursors
        with self._reading("read cursors") as conn:
            return {n: int(p) for n, p in conn.execute(select(table.c.name, table.c.position))}

    def set_cursors(self, cursors: Mapping[str, int]) -> None:
        """Move cursors with no work behind them (else use ``enqueue_and_advance``)."""
        with self._writing("write cursors") as conn:
            self._set_cursors(conn, cursors)

    def _set_cursors(self, conn: Connection, cursors: Mapping[str, int]) -> None:
        now = self._clock()
        rows = [{"name": n, "position": int(p), "updated_at": now} for n, p in cursors.items()]
        upsert(conn, schema.cursors, rows, keys=["name"], update=["position", "updated_at"])

    # -- work queue -------------------------------------------------------------------------

    def enqueue(self, codes: Sequence[str], reason: str) -> None:
        """Queue records for sync; a record already queued keeps its place (coalesced)."""
        with self._writing("enqueue work") as conn:
            self._enqueue(conn, codes, reason)

    def enqueue_and_advance(
        self, codes: Sequence[str], reason: str, cursors: Mapping[str, int]
    ) -> None:
        """Queue records and move the cursors past the changes that named them, atomically.

        DESIGN invariant 4: a cursor moves only after the work it covers is durably queued.
        """
        with self._writing("enqueue work and advance cursors") as conn:
            self._enqueue(conn, codes, reason)
            self._set_cursors(conn, cursors)

    def pending(self, limit: int) -> list[str]:
        """Up to ``limit`` queued records, oldest first, claimed for this sync pass.

        ``complete`` removes a claimed record only if it was not enqueued again since this call,
        so a change that lands while the record is being written is not lost.
        """
        if limit <= 0:
            return []
        table = schema.work_queue
        with self._writing("read the work queue") as conn:
            rows = conn.execute(
                select(table.c.customer_code).order_by(table.c.id).limit(limit).with_for_update()
            ).all()
            codes = [code for (code,) in rows]
            for chunk in chunked(codes):
                conn.execute(
                    update(table)
                    .where(table.c.customer_code.in_(chunk))
                    .values(claimed_count=table.c.enqueue_count)
                )
        return codes

    def complete(self, codes: Sequence[str]) -> None:
        """Take synced records off the queue (those re-enqueued since ``pending`` stay)."""
        with self._writing("complete queued work") as conn:
            self._complete(conn, codes)

    def queue_depth(self) -> int:
        with self._reading("count the work queue") as conn:
            return _count(conn, schema.work_queue)

    def oldest_pending_age_s(self, now: datetime | None = None) -> float | None:
        """Seconds the oldest queued record has waited (None when the queue is empty)."""
        with self._reading("read the work queue") as conn:
            return self._oldest_pending_age_s(conn, now or self._clock())

    def _enqueue(self, conn: Connection, codes: Sequence[str], reason: str) -> None:
        now = self._clock()
        table = schema.work_queue
        rows = [
            {
                "customer_code": code,
                "reason": reason,
                "first_enqueued_at": now,
                "last_enqueued_at": now,
                "enqueue_count": 1,
            }
            for code in _unique(codes)
        ]
        upsert(
            conn,
            table,
            rows,
            keys=["customer_code"],
            update=["reason", "last_enqueued_at"],
            set_=lambda _new: {"enqueue_count": table.c.enqueue_count + 1},
        )

    def _complete(self, conn: Connection, codes: Sequence[str]) -> None:
        table = schema.work_queue
        not_requeued = or_(
            table.c.claimed_count.is_(None), table.c.claimed_count == table.c.enqueue_count
        )
        for chunk in chunked(_unique(codes)):
            conn.execute(delete(table).where(and_(table.c.customer_code.in_(chunk), not_requeued)))

    def _oldest_pending_age_s(self, conn: Connection, now: datetime) -> float | None:
        table = schema.work_queue
        oldest = conn.execute(select(func.min(table.c.first_enqueued_at))).scalar_one_or_none()
        if oldest is None:
            return None
        if isinstance(oldest, str):  # SQLite returns min() of a column as its stored text
            oldest = datetime.fromisoformat(oldest)
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return max(0.0, (now - oldest).total_seconds())

    # -- meta (backfill progress and the like) -------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self._reading("read meta") as conn:
            return _get_meta(conn, key)

    def set_meta(self, key: str, value: str) -> None:
        with self._writing("write meta") as conn:
            _set_meta(conn, key, value)

    def set_last_error(self, msg: str | None) -> None:
        """Remember the last error for ``status`` (None clears it)."""
        with self._writing("write the last error") as conn:
            if msg is None:
                conn.execute(delete(schema.meta).where(schema.meta.c.key == LAST_ERROR_KEY))
            else:
                _set_meta(conn, LAST_ERROR_KEY, msg)

    def get_last_error(self) -> str | None:
        return self.get_meta(LAST_ERROR_KEY)

    # -- dead letters -----------------------------------------------------------------------

    def add_dead_letters(self, items: Sequence[DeadLetter]) -> None:
        with self._writing("write dead letters") as conn:
            self._add_dead_letters(conn, items)

    def list_dead_letters(self, limit: int = 100) -> list[DeadLetterRow]:
        """Unresolved dead letters, oldest first."""
        table = schema.dead_letters
        query = select(table).where(table.c.resolved_at.is_(None)).order_by(table.c.id).limit(limit)
        with self._reading("read dead letters") as conn:
            return [
                DeadLetterRow(
                    id=row.id,
                    created_at=row.created_at,
                    record_key=row.record_key,
                    side=cast(Side, row.side),
                    field=row.field,
                    reason=row.reason,
                    payload=row.payload,
                )
                for row in conn.execute(query)
            ]

    def dead_letter_count(self) -> int:
        table = schema.dead_letters
        with self._reading("count dead letters") as conn:
            return _count(conn, table, table.c.resolved_at.is_(None))

    def resolve_dead_letters(self, ids: Sequence[int]) -> int:
        """Mark dead letters resolved (replayed or dismissed); returns how many changed."""
        table = schema.dead_letters
        now = self._clock()
        changed = 0
        with self._writing("resolve dead letters") as conn:
            for chunk in chunked(list(dict.fromkeys(ids))):
                result = conn.execute(
                    update(table)
                    .where(table.c.id.in_(chunk), table.c.resolved_at.is_(None))
                    .values(resolved_at=now)
                )
                changed += result.rowcount
        return changed

    def _heal(self, conn: Connection, record_keys: Sequence[str], side: Side) -> None:
        """Resolve the open letters of records just written on ``side``: the problem healed."""
        table = schema.dead_letters
        now = self._clock()
        for chunk in chunked(list(dict.fromkeys(record_keys))):
            conn.execute(
                update(table)
                .where(
                    table.c.record_key.in_(chunk),
                    table.c.side == side,
                    table.c.resolved_at.is_(None),
                )
                .values(resolved_at=now)
            )

    def _add_dead_letters(self, conn: Connection, items: Sequence[DeadLetter]) -> None:
        """Add letters, skipping any the list already holds unresolved (same record, side,
        field and reason): a rerun meeting the same problem must not grow the list."""
        if not items:
            return
        table = schema.dead_letters
        open_letters: set[tuple[str, str, str | None, str]] = set()
        keys = sorted({item.record_key for item in items})
        for chunk in chunked(keys):
            query = select(table.c.record_key, table.c.side, table.c.field, table.c.reason).where(
                table.c.record_key.in_(chunk), table.c.resolved_at.is_(None)
            )
            open_letters.update(
                (r.record_key, r.side, r.field, r.reason) for r in conn.execute(query)
            )
        now = self._clock()
        rows = []
        for item in items:
            identity = (item.record_key, item.side, item.field, item.reason)
            if identity in open_letters:
                continue
            open_letters.add(identity)
            rows.append(
                {
                    "record_key": item.record_key,
                    "side": item.side,
                    "field": item.field,
                    "reason": item.reason,
                    "payload": item.payload,
                    "created_at": now,
                }
            )
        if rows:
            conn.execute(table.insert(), rows)

    # -- audit log --------------------------------------------------------------------------

    def add_audit(self, entries: Sequence[AuditEntry] | AuditBatch) -> None:
        with self._writing("write the audit log") as conn:
            _add_audit(conn, entries)

    def list_audit(self, record_key: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """Audit entries, newest first, of one record or of all."""
        table = schema.audit_log
        query = select(table).order_by(table.c.id.desc()).limit(limit)
        if record_key is not None:
            query = query.where(table.c.record_key == record_key)
        with self._reading("read the audit log") as conn:
            return [
                AuditEntry(
                    at=row.at,
                    side=cast(Side, row.side),
                    record_key=row.record_key,
                    remote_id=row.remote_id,
                    field=row.field,
                    old_value=row.old_value,
                    new_value=row.new_value,
                    reason=row.reason,
                )
                for row in conn.execute(query)
            ]

    # -- the commit step --------------------------------------------------------------------

    def record_sync(
        self,
        *,
        links: Mapping[str, str],
        shadows: Mapping[str, Mapping[str, str]],
        audit: Sequence[AuditEntry] | AuditBatch,
        completed: Sequence[str],
        dead_letters: Sequence[DeadLetter] = (),
        cursors: Mapping[str, int] | None = None,
        via: Mapping[str, str] | None = None,
        healed: Sequence[str] = (),
        healed_side: Side = "hubspot",
    ) -> None:
        """Commit what a write achieved, in one transaction (the flow's commit step).

        Links (``via`` says how each was made), shadow values, audit entries and dead letters
        are added, the ``completed`` records leave the queue and, when given, cursors move. The
        open dead letters of the ``healed`` records (written on ``healed_side`` this time) are
        resolved. If any part fails (a company already linked to another code, say) nothing is
        written.
        """
        with self._writing("record a sync") as conn:
            _check_link_conflicts(conn, links)
            self._heal(conn, healed, healed_side)
            self._put_shadows(conn, shadows)
            self._set_cursors(conn, cursors or {})
            _add_audit(conn, audit)
            self._add_dead_letters(conn, dead_letters)
            self._complete(conn, completed)
            _set_meta(conn, LAST_SYNC_AT_KEY, self._clock().isoformat())
            self._write_links(conn, links, via or {})

    # -- status -----------------------------------------------------------------------------

    def status(self) -> StoreStatus:
        """Links, queue depth, cursors, dead letters, last error and last sync, in one read."""
        cursors = schema.cursors
        letters = schema.dead_letters
        with self._reading("read status") as conn:
            last_sync = _get_meta(conn, LAST_SYNC_AT_KEY)
            return StoreStatus(
                links=_count(conn, schema.links),
                queue_depth=_count(conn, schema.work_queue),
                cursors={
                    n: int(p) for n, p in conn.execute(select(cursors.c.name, cursors.c.position))
                },
                dead_letters=_count(conn, letters, letters.c.resolved_at.is_(None)),
                last_error=_get_meta(conn, LAST_ERROR_KEY),
                last_sync_at=None if last_sync is None else datetime.fromisoformat(last_sync),
                oldest_pending_age_s=self._oldest_pending_age_s(conn, self._clock()),
            )


def _unique(codes: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(codes))


def _count(conn: Connection, table: Any, *where: Any) -> int:
    query = select(func.count()).select_from(table)
    if where:
        query = query.where(*where)
    return int(conn.execute(query).scalar_one())


def _check_link_conflicts(conn: Connection, links: Mapping[str, str]) -> None:
    """Refuse a batch that would give one company two codes, before anything is written."""
    claimed: dict[str, str] = {}
    for code, company in links.items():
        other = claimed.setdefault(company, code)
        if other != code:
            raise LinkConflictError(company, other, code)
    table = schema.links
    for chunk in chunked(list(claimed)):
        rows = conn.execute(
            select(table.c.company_id, table.c.customer_code).where(table.c.company_id.in_(chunk))
        )
        for company, linked_code in rows:
            if claimed[company] != linked_code:
                raise LinkConflictError(company, linked_code, claimed[company])


def _add_audit(conn: Connection, entries: Sequence[AuditEntry] | AuditBatch) -> None:
    if not entries:
        return
    if isinstance(entries, AuditBatch):
        count = len(entries.rows)
        keys, remote_ids, fields, old_values, new_values = (
            list(c) for c in zip(*entries.rows, strict=True)
        )
        columns: dict[str, list[Any]] = {
            "at": [entries.at] * count,
            "side": [entries.side] * count,
            "record_key": keys,
            "remote_id": remote_ids,
            "field": fields,
            "old_value": old_values,
            "new_value": new_values,
            "reason": [entries.reason] * count,
        }
    else:
        columns = {
            "at": [e.at for e in entries],
            "side": [e.side for e in entries],
            "record_key": [e.record_key for e in entries],
            "remote_id": [e.remote_id for e in entries],
            "field": [e.field for e in entries],
            "old_value": [e.old_value for e in entries],
            "new_value": [e.new_value for e in entries],
            "reason": [e.reason for e in entries],
        }
    insert_columns(conn, schema.audit_log, columns)


def _get_meta(conn: Connection, key: str) -> str | None:
    table = schema.meta
    value = conn.execute(select(table.c.value).where(table.c.key == key)).scalar_one_or_none()
    return None if value is None else str(value)


def _set_meta(conn: Connection, key: str, value: str) -> None:
    upsert(conn, schema.meta, [{"key": key, "value": value}], keys=["key"], update=["value"])
