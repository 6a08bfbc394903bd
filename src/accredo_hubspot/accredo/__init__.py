"""Client for Accredo's Web Service API (OData 4 over HTTPS, OAuth 2.0 password grant).

Names are loaded on first use (PEP 562), so importing ``accredo_hubspot.accredo.models`` (as
``sync.ports`` does) does not pull in the client, which itself imports ``sync.ports``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    "AccredoClient": "client",
    "AccredoAuthError": "errors",
    "AccredoConflict": "errors",
    "AccredoError": "errors",
    "AccredoNotFound": "errors",
    "AccredoPermissionError": "errors",
    "AccredoRateLimited": "errors",
    "AccredoTransientError": "errors",
    "AccredoValidationError": "errors",
    "AlreadyExists": "errors",
    "PreconditionFailed": "errors",
    "PreconditionRequired": "errors",
    "RequestNotSent": "errors",
    "F": "query",
    "Filter": "query",
    "Query": "query",
    "RetryPolicy": "retry",
}

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
