"""The Accredo client's exceptions, all rooted in :class:`AccredoError`.

Tree, with each error's kind (``accredo_hubspot.errors.ErrorKind``)::

    AccredoError                                                             fatal
    ├── AccredoAuthError         token refused, or a 401 after re-authenticating  fatal
    ├── AccredoPermissionError   403: the Accredo user may not do this            fatal
    ├── AccredoNotFound          404: unknown key or entity set                   per-record
    ├── AccredoValidationError   400: the request was refused (``.field``)        per-record
    ├── PreconditionFailed       412: someone else changed the record             per-record
    ├── PreconditionRequired     428: a write was sent without If-Match (a bug)   fatal
    ├── AccredoConflict          409: blocked by dependent records                per-record
    │   └── AlreadyExists        409 (or a 400 saying so) on POST: key taken      per-record
    └── AccredoTransientError    5xx, timeouts, dropped connections               retriable
        ├── RequestNotSent       the connection was never made (safe to resend anything)
        └── AccredoRateLimited   429 (``.retry_after_s``)

Statuses and error codes follow reference §7 (most of them [assumed] there).
Messages never carry tokens or passwords: only the method, the path and the server's message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from accredo_hubspot.errors import ClassifiedError, ErrorKind

#: Words in a 400/409 message that mean an eTag problem (reference §6.2: public code recognises
#: concurrency errors by these words, so the client does too).
ETAG_WORDS = re.compile(r"etag|if-match", re.IGNORECASE)
#: Words in a 400 message that mean "the record already exists" (reference §6.3).
EXISTS_WORDS = re.compile(r"already exists|duplicate", re.IGNORECASE)
#: Wait when a 429 carries no usable Retry-After (reference §7: "else 60 s").
DEFAULT_RETRY_AFTER_S = 60.0


class AccredoError(ClassifiedError):
    """Base of every error the Accredo client raises."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code


class AccredoAuthError(AccredoError):
    """The server refused our credentials or token, even after re-authenticating once."""


class AccredoPermissionError(AccredoError):
    """403: the Accredo user behind the token lacks permission for this entity or operation."""


class AccredoNotFound(AccredoError):
    """404: no record with that key, or no such entity set."""

    kind = ErrorKind.PER_RECORD


class AccredoValidationError(AccredoError):
    """400: the request was refused as invalid; ``field`` names the property when known."""

    kind = ErrorKind.PER_RECORD

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        status_code: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, code=code)
        self.field = field


class PreconditionFailed(AccredoError):
    """412: the eTag sent is stale. Re-read the record, re-plan, and PATCH with the new eTag."""

    kind = ErrorKind.PER_RECORD

    def __init__(
        self,
        message: str,
        *,
        current_etag: str | None = None,
        status_code: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, code=code)
        self.current_etag = current_etag


class PreconditionRequired(AccredoError):
    """428: a PATCH/PUT went out without If-Match. Always a bug in the caller."""


class AccredoConflict(AccredoError):
    """409: the change is blocked by other records (e.g. deleting a customer with transactions)."""

    kind = ErrorKind.PER_RECORD


class AlreadyExists(AccredoConflict):
    """A POST hit an existing key."""


class AccredoTransientError(AccredoError):
    """A failure that may pass: 5xx, timeouts, dropped connections. Retried with backoff."""

    kind = ErrorKind.RETRIABLE


class RequestNotSent(AccredoTransientError):
    """The connection could not be made, so the server never saw the request."""


class AccredoRateLimited(AccredoTransientError):
    """429: over the site's requests-per-minute; wait ``retry_after_s`` before trying again."""

    def __init__(
        self,
        message: str,
        *,
        retry_after_s: float = DEFAULT_RETRY_AFTER_S,
        status_code: int | None = 429,
        code: str | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, code=code)
        self.retry_after_s = retry_after_s


def parse_retry_after_s(value: str | None) -> float:
    """Seconds from a ``Retry-After`` header (delta-seconds form); the default when unusable."""
    if value is None:
        return DEFAULT_RETRY_AFTER_S
    try:
        seconds = float(value.strip())
    except ValueError:
        return DEFAULT_RETRY_AFTER_S
    return max(seconds, 0.0)


def _odata_error(body: Any) -> Mapping[str, Any]:
    """The ``error`` object of an OData error body, or an empty mapping."""
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            return error
    return {}


def _details(error: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    details = error.get("details")
    if not isinstance(details, list):
        return []
    return [d for d in details if isinstance(d, Mapping)]


def _field_of(error: Mapping[str, Any]) -> str | None:
    target = error.get("target")
    if isinstance(target, str) and target:
        return target
    for detail in _details(error):
        target = detail.get("target")
        if isinstance(target, str) and target:
            return target
    return None


def _current_etag(error: Mapping[str, Any]) -> str | None:
    for detail in _details(error):
        if detail.get("code") == "CurrentETag" and isinstance(detail.get("message"), str):
            return str(detail["message"])
    return None


def error_from_response(
    status_code: int,
    body: Any,
    headers: Mapping[str, str],
    *,
    method: str,
    path: str,
) -> AccredoError:
    """Turn a failed response into the matching exception (pure: no I/O).

    ``body`` is the decoded JSON (or ``None``); ``path`` must not contain secrets.
    """
    error = _odata_error(body)
    code = error.get("code") if isinstance(error.get("code"), str) else None
    server_message = str(error.get("message") or "").strip()
    message = f"{method} {path}: {status_code} {code or ''} {server_message}".rstrip()
    all_text = " ".join([server_message, *(str(d.get("message", "")) for d in _details(error))])
    kwargs: dict[str, Any] = {"status_code": status_code, "code": code}

    if status_code == 401:
        return AccredoAuthError(message, **kwargs)
    if status_code == 403:
        return AccredoPermissionError(message, **kwargs)
    if status_code == 404:
        return AccredoNotFound(message, **kwargs)
    if status_code == 412 or (status_code in (400, 409) and ETAG_WORDS.search(all_text)):
        return PreconditionFailed(message, current_etag=_current_etag(error), **kwargs)
    if status_code == 428:
        return PreconditionRequired(message, **kwargs)
    if status_code == 409:
        if method == "POST" or EXISTS_WORDS.search(all_text):
            return AlreadyExists(message, **kwargs)
        return AccredoConflict(message, **kwargs)
    if status_code == 429:
        retry_after_s = parse_retry_after_s(headers.get("retry-after"))
        return AccredoRateLimited(message, retry_after_s=retry_after_s, **kwargs)
    if status_code >= 500:
        return AccredoTransientError(message, **kwargs)
    if status_code == 400 and method == "POST" and EXISTS_WORDS.search(all_text):
        return AlreadyExists(message, **kwargs)
    if status_code in (400, 422):
        return AccredoValidationError(message, field=_field_of(error), **kwargs)
    return AccredoError(message, **kwargs)
