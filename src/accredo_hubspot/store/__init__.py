"""State store: links, shadow values, cursors, queue, dead letters, audit (SQLAlchemy Core)."""

from accredo_hubspot.store.errors import LinkConflictError, SchemaTooNewError, StoreError
from accredo_hubspot.store.migrations import LATEST_VERSION
from accredo_hubspot.store.models import (
    AuditBatch,
    AuditEntry,
    DeadLetter,
    DeadLetterRow,
    Side,
    StoreStatus,
)
from accredo_hubspot.store.state import StateStore

__all__ = [
    "LATEST_VERSION",
    "AuditBatch",
    "AuditEntry",
    "DeadLetter",
    "DeadLetterRow",
    "LinkConflictError",
    "SchemaTooNewError",
    "Side",
    "StateStore",
    "StoreError",
    "StoreStatus",
]
