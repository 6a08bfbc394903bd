"""Errors raised by the HubSpot client, and the one function that turns a response into one.

Tree (grouped by what the caller should do), with each error's kind
(``accredo_hubspot.errors.ErrorKind``)::

    HubSpotError                      root of every error of this package          fatal
    ├── HubSpotAuthError              401/403: fix the token or the app's scopes   fatal
    ├── HubSpotNotFound               404: the object (or route) does not exist    per-record
    ├── HubSpotValidationError        other 4xx: this input is wrong               per-record
    │   └── HubSpotConflict           409 / "already exists": ``existing_id``      per-record
    ├── HubSpotRateLimited            429 not (or no longer) retried: ``policy``   retriable
    └── HubSpotTransientError         5xx, 423, 477, network trouble               retriable
        └── HubSpotRequestNotSent     the connection was never made (safe to resend anything)

Error bodies follow reference §2: every field is treated as optional.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from accredo_hubspot.errors import ClassifiedError, ErrorKind

#: Statuses that are worth retrying besides 429 (reference §2.5: 423 lock, 477 migration, 5xx).
TRANSIENT_STATUSES = frozenset({423, 477, 500, 502, 503, 504, 521, 523, 524})
#: Categories that mean "it exists already" (reference §2.3; 400 with these is a conflict too).
CONFLICT_CATEGORIES = frozenset({"CONFLICT", "OBJECT_ALREADY_EXISTS"})
#: The code of a value that is not one of an enumeration's options (reference §2.1 and 6).
INVALID_OPTION = "INVALID_OPTION"
#: Text of the unique-value duplicate error (reference §2.3, body [assumed]).
UNIQUE_VALUE_TAKEN_TEXT = "already has that value"
_EXISTING_ID = re.compile(r"Existing ID:\s*(\d+)")
_PROPERTY_NAME = re.compile(r'Property \\?"([^"\\]+)\\?"')


@dataclass(frozen=True)
class ErrorBody:
    """A HubSpot error envelope (``Error`` / ``StandardError``), every field optional."""

    message: str = ""
    category: str | None = None
    sub_category: str | None = None
    correlation_id: str | None = None
    context: dict[str, list[str]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    policy_name: str | None = None
    error_type: str | None = None

    @property
    def code(self) -> str | None:
        """The first ``errors[].code`` (``PROPERTY_DOESNT_EXIST``...), else one in the message."""
        for item in self.errors:
            code = item.get("code")
            if isinstance(code, str):
                return code
        for item in _embedded_property_errors(self.message):
            code = item.get("error")
            if isinstance(code, str):
                return code
        return None

    @property
    def property_name(self) -> str | None:
        """The first property named by the error (``errors[].context.propertyName``, else text)."""
        for item in self.errors:
            ctx = item.get("context")
            if isinstance(ctx, Mapping):
                names = ctx.get("propertyName")
                if isinstance(names, list) and names and isinstance(names[0], str):
                    return names[0]
        for item in _embedded_property_errors(self.message):
            name = item.get("name")
            if isinstance(name, str):
                return name
        match = _PROPERTY_NAME.search(self.message)
        return match.group(1) if match else None

    @property
    def existing_id(self) -> str | None:
        """The id in "Existing ID: N" (contact email conflicts put it only in the message)."""
        match = _EXISTING_ID.search(self.message)
        return match.group(1) if match else None


def _embedded_property_errors(message: str) -> list[dict[str, Any]]:
    """The JSON array after "Property values were not valid: " (reference §2.1)."""
    start = message.find("[")
    if "not valid" not in message or start < 0:
        return []
    try:
        items = json.loads(message[start:])
    except ValueError:
        return []
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def parse_error_body(raw: bytes | str | Mapping[str, Any] | None) -> ErrorBody:
    """Parse an error body leniently: text that is not JSON becomes the message."""
    data: Any = raw
    if isinstance(raw, bytes | str):
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        try:
            data = json.loads(text) if text else {}
        except ValueError:
            return ErrorBody(message=text[:500])
    if not isinstance(data, Mapping):
        return ErrorBody()

    def text_of(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) else None

    context: dict[str, list[str]] = {}
    raw_context = data.get("context")
    if isinstance(raw_context, Mapping):
        for key, values in raw_context.items():
            if isinstance(values, list):
                context[str(key)] = [str(v) for v in values]
            elif values is not None:
                context[str(key)] = [str(values)]
    raw_errors = data.get("errors")
    errors = [e for e in raw_errors if isinstance(e, dict)] if isinstance(raw_errors, list) else []
    return ErrorBody(
        message=text_of("message") or "",
        category=text_of("category"),
        sub_category=text_of("subCategory"),
        correlation_id=text_of("correlationId"),
        context=context,
        errors=errors,
        policy_name=text_of("policyName"),
        error_type=text_of("errorType"),
    )


class HubSpotError(ClassifiedError):
    """Base of every error of the HubSpot client. Carries the status and the parsed body."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: ErrorBody | None = None,
        method: str | None = None,
        url: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_s = retry_after_s
        self.status = status
        self.body = body or ErrorBody(message=message)
        self.method = method
        self.url = url

    @property
    def category(self) -> str | None:
        return self.body.category

    @property
    def correlation_id(self) -> str | None:
        return self.body.correlation_id

    def __str__(self) -> str:
        where = f" ({self.method} {self.url})" if self.method and self.url else ""
        status = f"{self.status} " if self.status is not None else ""
        category = f"{self.body.category}: " if self.body.category else ""
        return f"{status}{category}{self.message}{where}"


class HubSpotAuthError(HubSpotError):
    """401 (missing, unknown, expired token) or 403 (missing scopes, forbidden)."""


class HubSpotNotFound(HubSpotError):
    """404: the object does not exist (or the route is unknown)."""

    kind = ErrorKind.PER_RECORD


class HubSpotValidationError(HubSpotError):
    """A 4xx that retrying cannot fix: bad value, unknown or read-only property, batch too big."""

    kind = ErrorKind.PER_RECORD

    @property
    def property_name(self) -> str | None:
        return self.body.property_name

    @property
    def code(self) -> str | None:
        return self.body.code


class HubSpotConflict(HubSpotValidationError):
    """409, or a 400 saying the value/name already exists; ``existing_id`` when given."""

    @property
    def existing_id(self) -> str | None:
        return self.body.existing_id


class HubSpotRateLimited(HubSpotError):
    """A 429 that is not retried (DAILY) or still failing after the retries."""

    kind = ErrorKind.RETRIABLE

    def __init__(self, message: str, *, policy: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.policy = policy


class HubSpotTransientError(HubSpotError):
    """5xx, 423, 477 or a network failure that outlasted the retries."""

    kind = ErrorKind.RETRIABLE


class HubSpotRequestNotSent(HubSpotTransientError):
    """The connection could not be made, so HubSpot never saw the request."""


def is_conflict(status: int, body: ErrorBody) -> bool:
    """409, a conflict category, or the unique-value text (reference §2.3)."""
    return (
        status == 409
        or body.category in CONFLICT_CATEGORIES
        or body.code == "OBJECT_ALREADY_EXISTS"
        or UNIQUE_VALUE_TAKEN_TEXT in body.message
        or (status == 400 and "already exists" in body.message.lower())
    )


def rate_limit_policy(body: ErrorBody) -> str:
    """``policyName`` of a 429 body; the search limit has none, only "secondly" in the text."""
    if body.policy_name:
        return body.policy_name.upper()
    lowered = body.message.lower()
    if "daily" in lowered:
        return "DAILY"
    if "ten_secondly" in lowered:
        return "TEN_SECONDLY_ROLLING"
    if "secondly" in lowered:
        return "SECONDLY"
    return "UNKNOWN"


def error_from_response(
    status: int,
    raw_body: bytes | str | Mapping[str, Any] | None,
    *,
    headers: Mapping[str, str] | None = None,
    method: str | None = None,
    url: str | None = None,
) -> HubSpotError:
    """The one mapping from a non-2xx HubSpot answer to an exception of this package."""
    body = parse_error_body(raw_body)
    message = body.message or f"HTTP {status}"
    kwargs: dict[str, Any] = {
        "status": status,
        "body": body,
        "method": method,
        "url": url,
        "retry_after_s": parse_retry_after_s((headers or {}).get("retry-after")),
    }
    if status in (401, 403):
        return HubSpotAuthError(message, **kwargs)
    if status == 404:
        return HubSpotNotFound(message, **kwargs)
    if status == 429:
        return HubSpotRateLimited(message, policy=rate_limit_policy(body), **kwargs)
    if status in TRANSIENT_STATUSES or status >= 500:
        return HubSpotTransientError(message, **kwargs)
    if is_conflict(status, body):
        return HubSpotConflict(message, **kwargs)
    return HubSpotValidationError(message, **kwargs)


def parse_retry_after_s(value: str | None) -> float | None:
    """``Retry-After`` in seconds (HubSpot sends seconds on 477; dates are not used)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
