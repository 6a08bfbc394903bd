"""``StateStore``: everything the connector must remember between runs, behind one small class.

Every row names its record type (``company``, ...). Every public method is one transaction.
The methods that must move together (DESIGN invariants 3 and 4) take everything in one call:
``enqueue_and_advance`` queues work and moves the cursors (and the change feed's own state)
past it, ``record_sync`` commits links, shadow values, audit entries, dead letters and the
completion of queued records. A crash at any instant leaves either all of it or none of it.

The state holds ids, the values last written to each side (shadows) and the audit log; no
record is kept whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, cast

import orjson
from sqlalchemy import Connection, Engine, case, delete, func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from accredo_hubspot.store import audit, inbox, leases, lifecycle, overview, queue, schema
from accredo_hubspot.store.engine import (
    create_store_engine,
    read_transaction,
    safe_url,
    write_transaction,
)
from accredo_hubspot.store.errors import LinkConflictError, StoreError, describe, store_error
from accredo_hubspot.store.migrations import migrate
from accredo_hubspot.store.models import (
    MATCH_FIELD,
    AmbiguousMatch,
    AuditBatch,
    AuditEntry,
    DeadLetter,
    DeadLetterRow,
    Direction,
    InboxEvent,
    LinkChange,
    QueueEntry,
    Side,
    StoreOverview,
    StoreStatus,
    direction_to,
)
from accredo_hubspot.store.packing import pack, unpack
from accredo_hubspot.store.sql import chunked, insert_columns, stamp_unset, upsert

Clock = Callable[[], datetime]

# Keys the store keeps for itself in the ``meta`` table.
LAST_ERROR_KEY = "store.last_error"
LAST_SYNC_AT_KEY = "store.last_sync_at"

#: The owner ``record_sync`` completes queued records for when the caller names none.
SINGLE_WORKER = "single"


def utc_now() -> datetime:
    return datetime.now(UTC)


class StateStore:
    """Links, shadow values, cursors, the work queue, dead letters, the audit log, the inbox
    and leader leases."""

    def __init__(self, engine: Engine, *, clock: Clock = utc_now) -> None:
        """Wrap an engine whose schema is already migrated; most callers want ``open``."""
        self._engine = engine
        self._clock = clock
        self.revision: str | None = None

    @classmethod
    def open(cls, url: str, *, clock: Clock = utc_now) -> Self:
        """Connect to ``url`` (an SQLAlchemy URL), create or migrate the schema, and return it."""
        engine = create_store_engine(url)
        try:
            revision = migrate(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            where = safe_url(url)
            raise StoreError(f"cannot open the state store at {where}: {describe(exc)}") from exc
        except StoreError:
            engine.dispose()
            raise
        store = cls(engine, clock=clock)
        store.revision = revision
        return store

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def supports_several_workers(self) -> bool:
        """Whether several processes may claim from the queue at once (PostgreSQL: claims skip
        each other's locked rows). On SQLite one worker is the rule."""
        return self._engine.dialect.name == "postgresql"

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

    def _writing(self, what: str) -> AbstractContextManager[Connection]:
        return _failing_as_store(write_transaction(self._engine), what)

    def _reading(self, what: str) -> AbstractContextManager[Connection]:
        return _failing_as_store(read_transaction(self._engine), what)

    # -- links ------------------------------------------------------------------------------

    def get_links(self, record_type: str, keys: Sequence[str] | None = None) -> dict[str, str]:
        """Accredo key -> HubSpot id of ``record_type``, for ``keys`` (those linked) or all."""
        table = schema.links
        query = select(table.c.accredo_key, table.c.hubspot_id).where(
            table.c.record_type == record_type
        )
        with self._reading("read links") as conn:
            if keys is None:
                return {key: hubspot_id for key, hubspot_id in conn.execute(query)}
            found: dict[str, str] = {}
            for chunk in chunked(_unique(keys)):
                rows = conn.execute(query.where(table.c.accredo_key.in_(chunk)))
                found.update({key: hubspot_id for key, hubspot_id in rows})
            return found

    def get_links_by_hubspot_id(self, record_type: str, ids: Sequence[str]) -> dict[str, str]:
        """HubSpot id -> Accredo key of ``record_type``, for the ``ids`` that are linked."""
        table = schema.links
        query = select(table.c.hubspot_id, table.c.accredo_key).where(
            table.c.record_type == record_type
        )
        found: dict[str, str] = {}
        with self._reading("read links") as conn:
            for chunk in chunked(_unique(ids)):
                found.update(dict(conn.execute(query.where(table.c.hubspot_id.in_(chunk))).all()))
        return found

    def put_links(
        self, record_type: str, links: Mapping[str, str], via: Mapping[str, str] | None = None
    ) -> None:
        """Link Accredo keys to HubSpot ids (upsert). ``via`` says how each link was made.

        A HubSpot record can be linked to one key only: trying to link it to a second raises
        ``LinkConflictError`` naming both keys, and nothing is written.
        """
        with self._writing("write links") as conn:
            _check_link_conflicts(conn, record_type, links)
            self._write_links(conn, record_type, links, via or {})

    def apply_link_changes(self, changes: Sequence[LinkChange]) -> None:
        """Follow HubSpot records merged, deleted, restored or erased, in order (see
        ``store.lifecycle``): links moved, dropped or made again, audited, deletions reported
        as dead letters, an erased record's shadows and audited values dropped."""
        with self._writing("follow merges and deletions") as conn:
            self._apply_link_changes(conn, changes)

    def reported_deletions(self, record_type: str) -> list[str]:
        """The HubSpot ids of the type reported deleted (open ``deleted`` letters)."""
        with self._reading("read reported deletions") as conn:
            return sorted(lifecycle.reported(conn, record_type))

    def _apply_link_changes(self, conn: Connection, changes: Sequence[LinkChange]) -> None:
        if not changes:
            return
        applied = lifecycle.apply(conn, self._clock(), changes)
        for record_type, keys in applied.erase:
            _erase_personal_data(conn, record_type, keys)
        self._add_dead_letters(conn, applied.letters)
        _add_audit(conn, applied.audit)

    def link_count(self, record_type: str | None = None) -> int:
        """Links of ``record_type``, or of every type."""
        table = schema.links
        where = () if record_type is None else (table.c.record_type == record_type,)
        with self._reading("count links") as conn:
            return _count(conn, table, *where)

    def forget(self, record_type: str, keys: Sequence[str]) -> None:
        """Drop these records' links and HubSpot shadows, in one transaction: their HubSpot
        records were archived (a paid invoice past its days, an order out of the window)."""
        links, shadows = schema.links, schema.shadows
        with self._writing("forget records") as conn:
            for chunk in chunked(_unique(keys)):
                conn.execute(
                    delete(links).where(
                        links.c.record_type == record_type, links.c.accredo_key.in_(chunk)
                    )
                )
                conn.execute(
                    delete(shadows).where(
                        shadows.c.side == "hubspot",
                        shadows.c.record_type == record_type,
                        shadows.c.record_key.in_(chunk),
                    )
                )

    def _write_links(
        self, conn: Connection, record_type: str, links: Mapping[str, str], via: Mapping[str, str]
    ) -> None:
        if not links:
            return
        table = schema.links
        now = self._clock()
        rows = [
            {
                "record_type": record_type,
                "accredo_key": key,
                "hubspot_id": hubspot_id,
                "via": via.get(key),
                "linked_at": now,
            }
            for key, hubspot_id in links.items()
        ]
        try:
            upsert(
                conn,
                table,
                rows,
                keys=["record_type", "accredo_key"],
                update=["hubspot_id"],
                set_=lambda new: {
                    "via": func.coalesce(new.via, table.c.via),
                    # Re-putting an unchanged link keeps the time it was first made.
                    "linked_at": case(
                        (table.c.hubspot_id == new.hubspot_id, table.c.linked_at),
                        else_=new.linked_at,
                    ),
                },
            )
        except IntegrityError as exc:  # a concurrent writer linked one of these records
            raise StoreError(f"link conflict on a HubSpot id: {describe(exc)}") from exc

    # -- shadow values ----------------------------------------------------------------------

    def get_shadows(
        self, side: Side, record_type: str, keys: Sequence[str] | None = None
    ) -> dict[str, dict[str, str]]:
        """The values last written to ``side``, per record per property (records with none
        are left out)."""
        with self._reading("read shadow values") as conn:
            return _read_shadows(conn, side, record_type, keys)

    def put_shadows(
        self, side: Side, record_type: str, shadows: Mapping[str, Mapping[str, str]]
    ) -> None:
        """Record values as written to ``side`` (merged per property; others kept)."""
        with self._writing("write shadow values") as conn:
            self._put_shadows(conn, side, record_type, shadows)

    def _put_shadows(
        self,
        conn: Connection,
        side: Side,
        record_type: str,
        shadows: Mapping[str, Mapping[str, str]],
    ) -> None:
        if not shadows:
            return
        stored = _read_shadows(conn, side, record_type, list(shadows))
        now = self._clock()
        rows = [
            {
                "side": side,
                "record_type": record_type,
                "record_key": key,
                "shadow": pack({**stored.get(key, {}), **values}),
                "synced_at": now,
            }
            for key, values in shadows.items()
        ]
        upsert(
            conn,
            schema.shadows,
            rows,
            keys=["side", "record_type", "record_key"],
            update=["shadow", "synced_at"],
        )

    # -- cursors and the change feed's state ------------------------------------------------

    def get_cursors(self) -> dict[str, int]:
        """Change-table name -> last position whose work is queued."""
        table = schema.cursors
        with self._reading("read cursors") as conn:
            return {n: int(p) for n, p in conn.execute(select(table.c.name, table.c.position))}

    def set_cursors(
        self,
        cursors: Mapping[str, int],
        feed_states: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Move cursors with no work behind them (else use ``enqueue_and_advance``)."""
        with self._writing("write cursors") as conn:
            self._set_cursors(conn, cursors)
            self._set_feed_states(conn, feed_states or {})

    def get_feed_state(self, name: str) -> dict[str, Any] | None:
        """What the change feed ``name`` keeps beside its cursors (None if nothing yet)."""
        table = schema.feed_states
        with self._reading("read the change feed's state") as conn:
            text = conn.execute(
                select(table.c.state).where(table.c.name == name)
            ).scalar_one_or_none()
        return None if text is None else cast(dict[str, Any], orjson.loads(text))

    def _set_cursors(self, conn: Connection, cursors: Mapping[str, int]) -> None:
        now = self._clock()
        rows = [{"name": n, "position": int(p), "updated_at": now} for n, p in cursors.items()]
        upsert(conn, schema.cursors, rows, keys=["name"], update=["position", "updated_at"])

    def _set_feed_states(self, conn: Connection, states: Mapping[str, Mapping[str, Any]]) -> None:
        now = self._clock()
        rows = [
            {"name": name, "state": _dumps(state), "updated_at": now}
            for name, state in states.items()
        ]
        upsert(conn, schema.feed_states, rows, keys=["name"], update=["state", "updated_at"])

    # -- work queue -------------------------------------------------------------------------

    def enqueue(
        self,
        direction: Direction,
        record_type: str,
        keys: Sequence[str],
        reason: str,
        sources: Mapping[str, str] | None = None,
    ) -> None:
        """Queue records for sync; a record already queued keeps its place (coalesced).
        ``sources`` names the change behind each key, for its audit entry."""
        with self._writing("enqueue work") as conn:
            queue.enqueue(conn, self._clock(), direction, record_type, keys, reason, sources)

    def enqueue_and_advance(
        self,
        direction: Direction,
        record_type: str,
        keys: Sequence[str],
        reason: str,
        cursors: Mapping[str, int],
        feed_states: Mapping[str, Mapping[str, Any]] | None = None,
        sources: Mapping[str, str] | None = None,
        *,
        also: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Queue records and move the cursors past the changes that named them, atomically,
        with the change feed's own state (``sources``: the change behind each key). ``also``
        queues records of other types (record type -> keys) the same way, in the same
        transaction.

        DESIGN invariant 4: a cursor moves only after the work it covers is durably queued.
        """
        with self._writing("enqueue work and advance cursors") as conn:
            now = self._clock()
            queue.enqueue(conn, now, direction, record_type, keys, reason, sources)
            for other_type, other_keys in (also or {}).items():
                if other_keys:
                    queue.enqueue(conn, now, direction, other_type, other_keys, reason)
            self._set_cursors(conn, cursors)
            self._set_feed_states(conn, feed_states or {})

    def claim(
        self,
        owner: str,
        limit: int,
        lease_s: float,
        *,
        direction: Direction | None = None,
        record_type: str | None = None,
    ) -> list[QueueEntry]:
        """Claim up to ``limit`` queued records, oldest first, for ``owner`` for ``lease_s``.

        Entries another worker holds are skipped until its lease runs out. ``complete`` (or
        ``record_sync``) takes them off the queue, ``release`` gives them back.
        """
        with self._writing("claim queued work") as conn:
            return queue.claim(
                conn,
                self._clock(),
                owner,
                limit,
                lease_s,
                direction=direction,
                record_type=record_type,
            )

    def complete(self, owner: str, entries: Sequence[QueueEntry]) -> None:
        """Take records off the queue (those enqueued again since ``owner`` claimed them stay,
        released for the next claim)."""
        with self._writing("complete queued work") as conn:
            queue.complete(conn, owner, entries)

    def renew_claims(self, owner: str, entries: Sequence[QueueEntry], lease_s: float) -> int:
        """Extend ``owner``'s claims on ``entries`` by ``lease_s`` from now (a worker whose
        batch outlasts the lease); returns how many another worker has taken meanwhile."""
        with self._writing("renew claims") as conn:
            return queue.renew(conn, self._clock(), owner, entries, lease_s)

    def release(self, owner: str, entries: Sequence[QueueEntry]) -> None:
        """Give claimed records back, unfinished."""
        with self._writing("release queued work") as conn:
            queue.release(conn, owner, entries)

    def queue_depth(self) -> int:
        with self._reading("count the work queue") as conn:
            return queue.depth(conn)

    def oldest_pending_age_s(self, now: datetime | None = None) -> float | None:
        """Seconds the oldest queued record has waited (None when the queue is empty)."""
        with self._reading("read the work queue") as conn:
            return queue.oldest_age_s(conn, now or self._clock())

    # -- leader leases ----------------------------------------------------------------------

    def acquire_lease(self, name: str, owner: str, lease_s: float) -> bool:
        """Take the lease ``name`` (free or lapsed) or renew it (already ``owner``'s) for
        ``lease_s``; false when another owner holds it."""
        with self._writing("take a lease") as conn:
            return leases.acquire(conn, self._clock(), name, owner, lease_s)

    def release_lease(self, name: str, owner: str) -> None:
        with self._writing("release a lease") as conn:
            leases.release(conn, name, owner)

    def lease_holder(self, name: str) -> tuple[str, datetime] | None:
        """The owner of the lease ``name`` and when it runs out (perhaps already); None when
        nobody holds it."""
        with self._reading("read a lease") as conn:
            return leases.holder(conn, name)

    # -- inbox ------------------------------------------------------------------------------

    def add_inbox(self, source: str, events: Mapping[str, Any]) -> list[str]:
        """Add inbound events (event id -> payload); returns the ids not seen before."""
        with self._writing("add to the inbox") as conn:
            return inbox.add(conn, self._clock(), source, events)

    def take_inbox(self, source: str, limit: int = 500) -> list[InboxEvent]:
        """Unprocessed events of ``source``, oldest first."""
        with self._reading("read the inbox") as conn:
            return inbox.unprocessed(conn, source, limit)

    def mark_inbox_processed(self, ids: Sequence[int]) -> int:
        """Mark events processed; returns how many changed."""
        with self._writing("mark inbox events processed") as conn:
            return inbox.mark_processed(conn, self._clock(), ids)

    def queue_inbox(
        self,
        source: str,
        direction: Direction,
        plan: Callable[[Sequence[InboxEvent]], Mapping[str, Mapping[str, str]]],
        reason: str,
        limit: int = 500,
        link_plan: Callable[[Sequence[InboxEvent]], Sequence[LinkChange]] | None = None,
    ) -> tuple[int, int]:
        """Turn up to ``limit`` unprocessed events of ``source`` into queued records, in one
        transaction: ``link_plan`` (pure) gives the merges, deletions, restores and erasures
        the links follow first (``apply_link_changes``), ``plan`` (pure) gives record type ->
        key -> the change behind it (the audit entry's source) for the events, those are
        queued towards ``direction`` and the events marked
        processed. Returns (events taken, records queued); a crash leaves the events
        unprocessed and nothing queued."""
        with self._writing("queue inbox events") as conn:
            events = inbox.unprocessed(conn, source, limit)
            if not events:
                return 0, 0
            queued = 0
            now = self._clock()
            if link_plan is not None:
                self._apply_link_changes(conn, link_plan(events))
            for record_type, sources in plan(events).items():
                if sources:
                    queue.enqueue(conn, now, direction, record_type, list(sources), reason, sources)
                    queued += len(sources)
            inbox.mark_processed(conn, now, [event.id for event in events])
            return len(events), queued

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

    def list_dead_letters(
        self, limit: int = 100, *, record_key: str | None = None, matches: bool | None = None
    ) -> list[DeadLetterRow]:
        """Unresolved dead letters, oldest first: all, or one record's; only the ambiguous
        matches (``matches``, field ``MATCH_FIELD``), or all but them (``matches=False``)."""
        table = schema.dead_letters
        query = select(table).where(table.c.resolved_at.is_(None))
        if record_key is not None:
            query = query.where(table.c.record_key == record_key)
        if matches is True:
            query = query.where(table.c.field == MATCH_FIELD)
        elif matches is False:
            query = query.where(table.c.field.is_(None) | (table.c.field != MATCH_FIELD))
        query = query.order_by(table.c.id).limit(limit)
        with self._reading("read dead letters") as conn:
            return [overview.dead_letter_row(row) for row in conn.execute(query)]

    def get_dead_letter(self, letter_id: int) -> DeadLetterRow | None:
        """One dead letter, open or closed (None: no such letter)."""
        table = schema.dead_letters
        with self._reading("read a dead letter") as conn:
            row = conn.execute(select(table).where(table.c.id == letter_id)).one_or_none()
        return None if row is None else overview.dead_letter_row(row)

    def update_dead_letter(
        self, letter_id: int, reason: str, payload: Mapping[str, Any] | None = None
    ) -> None:
        """Give a letter a new reason (and payload), open: a replay that failed again."""
        table = schema.dead_letters
        values: dict[str, Any] = {"reason": reason, "resolved_at": None}
        if payload is not None:
            values["payload"] = dict(payload)
        with self._writing("update a dead letter") as conn:
            conn.execute(update(table).where(table.c.id == letter_id).values(**values))

    def list_ambiguous_matches(self, limit: int = 100) -> list[AmbiguousMatch]:
        """Records whose match is ambiguous and waits for an operator, oldest first (their
        open dead letters on the field ``match``)."""
        return [
            AmbiguousMatch(
                letter.id,
                letter.record_type,
                letter.record_key,
                tuple(str(c) for c in letter.payload.get("candidates") or ()),
                letter.reason,
                letter.created_at,
            )
            for letter in self.list_dead_letters(limit, matches=True)
        ]

    def dead_letter_count(self) -> int:
        table = schema.dead_letters
        with self._reading("count dead letters") as conn:
            return _count(conn, table, table.c.resolved_at.is_(None))

    def resolve_dead_letters(self, ids: Sequence[int]) -> int:
        """Mark dead letters resolved (replayed or dismissed); returns how many changed."""
        with self._writing("resolve dead letters") as conn:
            return stamp_unset(conn, schema.dead_letters, ids, "resolved_at", self._clock())

    def _heal(
        self, conn: Connection, record_type: str, record_keys: Sequence[str], side: Side
    ) -> None:
        """Resolve the open letters of records just written on ``side``: the problem healed."""
        table = schema.dead_letters
        now = self._clock()
        for chunk in chunked(list(dict.fromkeys(record_keys))):
            conn.execute(
                update(table)
                .where(
                    table.c.resolved_at.is_(None),
                    table.c.record_key.in_(chunk),
                    table.c.record_type == record_type,
                    table.c.side == side,
                )
                .values(resolved_at=now)
            )

    def _add_dead_letters(self, conn: Connection, items: Sequence[DeadLetter]) -> None:
        """Add letters, skipping any the list already holds unresolved (same record, side,
        field and reason): a rerun meeting the same problem must not grow the list."""
        if not items:
            return
        table = schema.dead_letters
        open_letters: set[tuple[str, str, str, str | None, str]] = set()
        keys = sorted({item.record_key for item in items})
        for chunk in chunked(keys):
            query = select(
                table.c.record_type, table.c.record_key, table.c.side, table.c.field, table.c.reason
            ).where(table.c.resolved_at.is_(None), table.c.record_key.in_(chunk))
            open_letters.update(tuple(r) for r in conn.execute(query))
        now = self._clock()
        rows = []
        for item in items:
            identity = (item.record_type, item.record_key, item.side, item.field, item.reason)
            if identity in open_letters:
                continue
            open_letters.add(identity)
            rows.append(
                {
                    "record_type": item.record_type,
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

    def list_audit(
        self, record_type: str | None = None, record_key: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """Audit entries (one per record write), newest first, of one record or of all."""
        table = schema.audit_log
        query = select(table).order_by(table.c.id.desc()).limit(limit)
        if record_type is not None:
            query = query.where(table.c.record_type == record_type)
        if record_key is not None:
            query = query.where(table.c.record_key == record_key)
        with self._reading("read the audit log") as conn:
            return [
                AuditEntry(
                    at=row.at,
                    side=cast(Side, row.side),
                    record_type=row.record_type,
                    record_key=row.record_key,
                    remote_id=row.remote_id,
                    changes=_unpack_changes(row.changes, row.record_type, row.record_key),
                    reason=row.reason,
                    source=row.source,
                    read_at=row.read_at,
                    call=row.call,
                )
                for row in conn.execute(query)
            ]

    def prune_audit(self, older_than: datetime) -> int:
        """Delete audit entries written before ``older_than`` (retention); returns how many."""
        table = schema.audit_log
        with self._writing("prune the audit log") as conn:
            cut = audit.first_id_since(conn, older_than)
            older = delete(table).where(table.c.id < cut, table.c.at < older_than)
            return int(conn.execute(older).rowcount)

    # -- the commit step --------------------------------------------------------------------

    def record_sync(
        self,
        record_type: str,
        side: Side,
        *,
        links: Mapping[str, str],
        shadows: Mapping[str, Mapping[str, str]],
        audit: Sequence[AuditEntry] | AuditBatch,
        completed: Sequence[str] = (),
        owner: str = SINGLE_WORKER,
        dead_letters: Sequence[DeadLetter] = (),
        cursors: Mapping[str, int] | None = None,
        via: Mapping[str, str] | None = None,
        healed: Sequence[str] = (),
    ) -> list[str]:
        """Commit what a write of ``record_type`` records to ``side`` achieved, in one
        transaction (the flow's commit step); returns the ``completed`` records left to
        another worker (see below), sorted.

        Links (``via`` says how each was made), the shadow values written, audit entries and
        dead letters are added, the ``completed`` records (claimed by ``owner``) leave the
        queue of that direction and, when given, cursors move. The open dead letters of the
        ``healed`` records on ``side`` are resolved. If any part fails (a HubSpot record
        already linked to another key, say) nothing is written.

        A ``completed`` record another worker took over (``owner``'s lease ran out while it
        wrote) is that worker's now: nothing of it is recorded here, so a late worker never
        writes its older shadow, link or audit entry over the new owner's, nor takes the
        record off the queue under it. The new owner writes the record again and records it.
        """
        direction = direction_to(side)
        with self._writing("record a sync") as conn:
            entries = [QueueEntry(direction, record_type, key) for key in completed]
            lost = queue.not_held(conn, owner, entries)
            if lost:
                entries = [entry for entry in entries if entry.key not in lost]
                links, via, shadows, audit, dead_letters, healed = _without(
                    lost, side, links, via or {}, shadows, audit, dead_letters, healed
                )
            _check_link_conflicts(conn, record_type, links)
            self._heal(conn, record_type, healed, side)
            self._put_shadows(conn, side, record_type, shadows)
            self._set_cursors(conn, cursors or {})
            _add_audit(conn, audit)
            self._add_dead_letters(conn, dead_letters)
            queue.complete(conn, owner, entries)
            synced_at = self._clock().isoformat()
            _set_meta(conn, LAST_SYNC_AT_KEY, synced_at)
            _set_meta(conn, overview.last_sync_key(direction), synced_at)
            self._write_links(conn, record_type, links, via or {})
        return sorted(lost)

    # -- status -----------------------------------------------------------------------------

    def status(self) -> StoreStatus:
        """Links, queue depth, cursors, dead letters, last error and last sync, in one read."""
        cursors = schema.cursors
        letters = schema.dead_letters
        with self._reading("read status") as conn:
            last_sync = _get_meta(conn, LAST_SYNC_AT_KEY)
            return StoreStatus(
                links=_count(conn, schema.links),
                queue_depth=queue.depth(conn),
                cursors={
                    n: int(p) for n, p in conn.execute(select(cursors.c.name, cursors.c.position))
                },
                dead_letters=_count(conn, letters, letters.c.resolved_at.is_(None)),
                last_error=_get_meta(conn, LAST_ERROR_KEY),
                last_sync_at=None if last_sync is None else datetime.fromisoformat(last_sync),
                oldest_pending_age_s=queue.oldest_age_s(conn, self._clock()),
            )

    def overview(self, writes_since: datetime, letters: int = 50) -> StoreOverview:
        """The status page's reading, in one transaction: the queue and last sync of each
        direction, records written to each side since ``writes_since``, cursors, up to
        ``letters`` open dead letters and ambiguous matches with their counts, the last
        error."""
        with self._reading("read the overview") as conn:
            dead_letters, dead_letter_count = overview.open_letters(
                conn, matches=False, limit=letters
            )
            matches, match_count = overview.open_letters(conn, matches=True, limit=letters)
            positions = select(schema.cursors.c.name, schema.cursors.c.position)
            return StoreOverview(
                queues=overview.queues(conn, self._clock()),
                last_sync=overview.last_syncs(conn),
                writes=overview.writes_since(conn, writes_since),
                cursors={n: int(p) for n, p in conn.execute(positions)},
                dead_letters=dead_letters,
                dead_letter_count=dead_letter_count,
                matches=matches,
                match_count=match_count,
                last_error=_get_meta(conn, LAST_ERROR_KEY),
            )

    def ping(self) -> None:
        """Ask the database a trivial question (``readyz``); a ``StoreError`` if it cannot
        answer."""
        with self._reading("answer") as conn:
            conn.execute(select(1)).scalar_one()


@contextmanager
def _failing_as_store(
    transaction: AbstractContextManager[Connection], what: str
) -> Iterator[Connection]:
    """``transaction``'s connection; a database error in it raised as the store's, naming
    ``what`` the store could not do."""
    try:
        with transaction as conn:
            yield conn
    except SQLAlchemyError as exc:
        raise store_error(f"state store could not {what}: {describe(exc)}", exc) from exc


def _unique(codes: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(codes))


def _dumps(value: Any) -> str:
    """Compact JSON, non-ASCII text kept as it is (macrons are one character, not six)."""
    return orjson.dumps(value).decode()


def _unpack_changes(
    packed: bytes, record_type: str, record_key: str
) -> dict[str, tuple[str | None, str | None]]:
    """An audit entry's fields: {field: (old, new)}."""
    changes = unpack(packed, "audit_log", record_type, record_key)
    return {f: (old, new) for f, (old, new) in changes.items()}


def _count(conn: Connection, table: Any, *where: Any) -> int:
    query = select(func.count()).select_from(table)
    if where:
        query = query.where(*where)
    return int(conn.execute(query).scalar_one())


def _read_shadows(
    conn: Connection, side: Side, record_type: str, keys: Sequence[str] | None
) -> dict[str, dict[str, str]]:
    table = schema.shadows
    query = select(table.c.record_key, table.c.shadow).where(
        table.c.side == side, table.c.record_type == record_type
    )
    batches = (
        [conn.execute(query)]
        if keys is None
        else (
            conn.execute(query.where(table.c.record_key.in_(chunk)))
            for chunk in chunked(_unique(keys))
        )
    )
    return {
        key: unpack(packed, "shadows", side, record_type, key)
        for rows in batches
        for key, packed in rows
    }


def _check_link_conflicts(conn: Connection, record_type: str, links: Mapping[str, str]) -> None:
    """Refuse a batch that would give one HubSpot record two keys, before anything is written."""
    claimed: dict[str, str] = {}
    for key, hubspot_id in links.items():
        other = claimed.setdefault(hubspot_id, key)
        if other != key:
            raise LinkConflictError(hubspot_id, other, key)
    table = schema.links
    for chunk in chunked(list(claimed)):
        rows = conn.execute(
            select(table.c.hubspot_id, table.c.accredo_key).where(
                table.c.record_type == record_type, table.c.hubspot_id.in_(chunk)
            )
        )
        for hubspot_id, linked_key in rows:
            if claimed[hubspot_id] != linked_key:
                raise LinkConflictError(hubspot_id, linked_key, claimed[hubspot_id])


def _add_audit(conn: Connection, entries: Sequence[AuditEntry] | AuditBatch) -> None:
    if not entries:
        return
    if isinstance(entries, AuditBatch):
        count = len(entries.rows)
        keys, remote_ids, changes = (list(c) for c in zip(*entries.rows, strict=True))
        columns: dict[str, list[Any]] = {
            "at": [entries.at] * count,
            "side": [entries.side] * count,
            "record_type": [entries.record_type] * count,
            "record_key": keys,
            "remote_id": remote_ids,
            "changes": [pack(c) for c in changes],
            "reason": [entries.reason] * count,
            "source": [entries.sources.get(key) for key in keys],
            "read_at": [entries.read_at] * count,
            "call": [entries.calls.get(key) for key in keys],
        }
    else:
        columns = {
            "at": [e.at for e in entries],
            "side": [e.side for e in entries],
            "record_type": [e.record_type for e in entries],
            "record_key": [e.record_key for e in entries],
            "remote_id": [e.remote_id for e in entries],
            "changes": [pack(e.changes) for e in entries],
            "reason": [e.reason for e in entries],
            "source": [e.source for e in entries],
            "read_at": [e.read_at for e in entries],
            "call": [e.call for e in entries],
        }
    insert_columns(conn, schema.audit_log, columns)


def _without(
    lost: set[str],
    side: Side,
    links: Mapping[str, str],
    via: Mapping[str, str],
    shadows: Mapping[str, Mapping[str, str]],
    audit: Sequence[AuditEntry] | AuditBatch,
    dead_letters: Sequence[DeadLetter],
    healed: Sequence[str],
) -> tuple[
    dict[str, str],
    dict[str, str],
    dict[str, Mapping[str, str]],
    Sequence[AuditEntry] | AuditBatch,
    list[DeadLetter],
    list[str],
]:
    """``record_sync``'s arguments less every trace of the ``lost`` records (keys of the side
    read: a link names it by its Accredo key when writing to HubSpot, else by its HubSpot id)."""

    def kept_link(accredo_key: str, hubspot_id: str) -> bool:
        return (accredo_key if side == "hubspot" else hubspot_id) not in lost

    kept_audit: Sequence[AuditEntry] | AuditBatch
    if isinstance(audit, AuditBatch):
        kept_audit = replace(audit, rows=[row for row in audit.rows if row[0] not in lost])
    else:
        kept_audit = [entry for entry in audit if entry.record_key not in lost]
    return (
        {key: hubspot_id for key, hubspot_id in links.items() if kept_link(key, hubspot_id)},
        {key: how for key, how in via.items() if key in links and kept_link(key, links[key])},
        {key: values for key, values in shadows.items() if key not in lost},
        kept_audit,
        [letter for letter in dead_letters if letter.record_key not in lost],
        [key for key in healed if key not in lost],
    )


#: What an erased record's dead letters say instead of their reason (which may quote values).
ERASED_LETTER = "personal data erased (HubSpot GDPR delete)"


def _erase_personal_data(conn: Connection, record_type: str, keys: Sequence[str]) -> None:
    """Drop a record's shadows (both sides), its audited values (the fields written and when
    stay: something was written, and erased) and its dead letters' reasons and payloads."""
    shadows, audit, letters = schema.shadows, schema.audit_log, schema.dead_letters
    keys = list(keys)
    conn.execute(
        delete(shadows).where(shadows.c.record_type == record_type, shadows.c.record_key.in_(keys))
    )
    rows = conn.execute(
        select(audit.c.id, audit.c.record_key, audit.c.changes).where(
            audit.c.record_type == record_type, audit.c.record_key.in_(keys)
        )
    ).all()
    for audit_id, key, packed in rows:
        blank = {name: (None, None) for name in _unpack_changes(packed, record_type, key)}
        conn.execute(update(audit).where(audit.c.id == audit_id).values(changes=pack(blank)))
    conn.execute(
        update(letters)
        .where(letters.c.record_type == record_type, letters.c.record_key.in_(keys))
        .values(reason=ERASED_LETTER, payload={})
    )


def _get_meta(conn: Connection, key: str) -> str | None:
    table = schema.meta
    value = conn.execute(select(table.c.value).where(table.c.key == key)).scalar_one_or_none()
    return None if value is None else str(value)


def _set_meta(conn: Connection, key: str, value: str) -> None:
    upsert(conn, schema.meta, [{"key": key, "value": value}], keys=["key"], update=["value"])
