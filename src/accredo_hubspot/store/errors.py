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
    """A HubSpot company is already linked to another customer code."""

    def __init__(self, company_id: str, linked_code: str, new_code: str) -> None:
        super().__init__(
            f"HubSpot company {company_id} is already linked to customer {linked_code!r}; "
            f"refusing to link it to {new_code!r} as well"
        )
        self.company_id = company_id
        self.linked_code = linked_code
        self.new_code = new_code
