"""Errors of the state store, rooted in ``StoreError``."""

from __future__ import annotations

from accredo_hubspot.errors import ConnectorError


def describe(exc: BaseException) -> str:
    """The first line of the driver's message: what went wrong, without SQLAlchemy's footer."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


class StoreError(ConnectorError):
    """The state store cannot be opened, migrated, read or written."""


class SchemaTooNewError(StoreError):
    """The database was migrated by a newer release than this one."""


class LinkConflictError(StoreError):
    """A HubSpot record is already linked to another Accredo key of its record type."""

    def __init__(self, hubspot_id: str, linked_key: str, new_key: str) -> None:
        super().__init__(
            f"HubSpot record {hubspot_id} is already linked to {linked_key!r}; "
            f"refusing to link it to {new_key!r} as well"
        )
        self.hubspot_id = hubspot_id
        self.linked_key = linked_key
        self.new_key = new_key
