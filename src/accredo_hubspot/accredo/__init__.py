"""Client for Accredo's Web Service API (OData 4 over HTTPS, OAuth 2.0 password grant)."""

from __future__ import annotations

from accredo_hubspot.accredo.client import AccredoClient
from accredo_hubspot.accredo.errors import (
    AccredoAuthError,
    AccredoConflict,
    AccredoError,
    AccredoNotFound,
    AccredoPermissionError,
    AccredoRateLimited,
    AccredoTransientError,
    AccredoValidationError,
    AlreadyExists,
    PreconditionFailed,
    PreconditionRequired,
    RequestNotSent,
)
from accredo_hubspot.accredo.query import F, Filter, Query
from accredo_hubspot.accredo.retry import RetryPolicy

__all__ = [
    "AccredoAuthError",
    "AccredoClient",
    "AccredoConflict",
    "AccredoError",
    "AccredoNotFound",
    "AccredoPermissionError",
    "AccredoRateLimited",
    "AccredoTransientError",
    "AccredoValidationError",
    "AlreadyExists",
    "F",
    "Filter",
    "PreconditionFailed",
    "PreconditionRequired",
    "Query",
    "RequestNotSent",
    "RetryPolicy",
]
