"""State store: links, shadow values, cursors, queue, dead letters, audit, inbox, leases
(SQLAlchemy Core, migrated with Alembic)."""

from accredo_hubspot.store.aio import AsyncStateStore
from accredo_hubspot.store.errors import LinkConflictError, SchemaTooNewError, StoreError
from accredo_hubspot.store.models import (
    DELETED_FIELD,
    MATCH_FIELD,
    TO_ACCREDO,
    TO_HUBSPOT,
    AmbiguousMatch,
    AuditBatch,
    AuditEntry,
    DeadLetter,
    DeadLetterRow,
    Direction,
    InboxEvent,
    LinkChange,
    QueueEntry,
    QueueState,
    Side,
    StoreOverview,
    StoreStatus,
)
from accredo_hubspot.store.state import SINGLE_WORKER, StateStore

__all__ = [
    "DELETED_FIELD",
    "MATCH_FIELD",
    "SINGLE_WORKER",
    "TO_ACCREDO",
    "TO_HUBSPOT",
    "AmbiguousMatch",
    "AsyncStateStore",
    "AuditBatch",
    "AuditEntry",
    "DeadLetter",
    "DeadLetterRow",
    "Direction",
    "InboxEvent",
    "LinkChange",
    "LinkConflictError",
    "QueueEntry",
    "QueueState",
    "SchemaTooNewError",
    "Side",
    "StateStore",
    "StoreError",
    "StoreOverview",
    "StoreStatus",
]
