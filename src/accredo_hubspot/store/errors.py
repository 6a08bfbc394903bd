"""Errors of the state store, rooted in ``StoreError``."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from accredo_hubspot.errors import ConnectorError, ErrorKind

#: SQLite's primary result codes for "another connection holds the lock" (extended codes keep
#: them in the low byte).
_SQLITE_BUSY_CODES = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED


def describe(exc: BaseException) -> str:
    """The first line of the driver's message: what went wrong, without SQLAlchemy's footer."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


def is_unavailable(exc: BaseException) -> bool:
    """Locked by another writer (SQLite) or not answering (PostgreSQL's OperationalError: the
    connection refused or lost): a database that may answer when asked again."""
    if not isinstance(exc, OperationalError):
        return False
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is None or code & 0xFF in _SQLITE_BUSY_CODES


def store_error(message: str, exc: BaseException) -> StoreError:
    """The store's error for a database failure: retriable when the database may come back."""
    return StoreUnavailable(message) if is_unavailable(exc) else StoreError(message)


class StoreError(ConnectorError):
    """The state store cannot be opened, migrated, read or written."""


class StoreUnavailable(StoreError):
    """The database is locked or not answering; ``run`` waits and tries again."""

    kind = ErrorKind.RETRIABLE


class SchemaTooNewError(StoreError):
    """The database was migrated by a newer release than this one."""


class LinkConflictError(StoreError):
    """A HubSpot record is already linked to another Accredo key of its record type."""

    kind = ErrorKind.PER_RECORD

    def __init__(self, hubspot_id: str, linked_key: str, new_key: str) -> None:
        super().__init__(
            f"HubSpot record {hubspot_id} is already linked to {linked_key!r}; "
            f"refusing to link it to {new_key!r} as well"
        )
        self.hubspot_id = hubspot_id
        self.linked_key = linked_key
        self.new_key = new_key
