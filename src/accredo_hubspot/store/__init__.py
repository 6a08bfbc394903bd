"""State store: links, shadow values, cursors, queue, dead letters, audit, inbox, leases
(SQLAlchemy Core, migrated with Alembic)."""

from accredo_hubspot.store.aio import AsyncStateStore
from accredo_hubspot.store.errors import LinkConflictError, SchemaTooNewError, StoreError
from accredo_hubspot.store.models import (
    TO_ACCREDO,
    TO_HUBSPOT,
    AuditBatch,
    AuditEntry,
    DeadLetter,
    DeadLetterRow,
    Direction,
    InboxEvent,
    QueueEntry,
    Side,
    StoreStatus,
)
from accredo_hubspot.store.state import SINGLE_WORKER, StateStore

__all__ = [
    "SINGLE_WORKER",
    "TO_ACCREDO",
    "TO_HUBSPOT",
    "AsyncStateStore",
    "AuditBatch",
    "AuditEntry",
    "DeadLetter",
    "DeadLetterRow",
    "Direction",
    "InboxEvent",
    "LinkConflictError",
    "QueueEntry",
    "SchemaTooNewError",
    "Side",
    "StateStore",
    "StoreError",
    "StoreStatus",
]
