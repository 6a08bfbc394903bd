"""Mapping failed responses to the exception tree (reference §6.2, §6.3, §7)."""

from __future__ import annotations

import pytest

from accredo_hubspot.accredo.errors import (
    DEFAULT_RETRY_AFTER_S,
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
    error_from_response,
    parse_retry_after_s,
)


def _err(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, **extra}}


def map_(status: int, body: object = None, method: str = "GET", **headers: str) -> AccredoError:
    return error_from_response(status, body, headers, method=method, path="/x")


def test_stale_etag_carries_current_etag() -> None:
    body = _err(
        "PreconditionFailed",
        "The etag supplied in If-Match does not match",
        details=[{"code": "CurrentETag", "message": "2/62"}],
    )
    exc = map_(412, body, "PATCH")
    assert isinstance(exc, PreconditionFailed)
    assert exc.current_etag == "2/62"
    assert exc.status_code == 412 and exc.code == "PreconditionFailed"


def test_etag_words_in_a_400_mean_precondition_failed() -> None:
    exc = map_(400, _err("BadRequest", "If-Match header does not match"), "PATCH")
    assert isinstance(exc, PreconditionFailed)
    assert exc.current_etag is None


def test_validation_names_the_field() -> None:
    exc = map_(400, _err("ValidationFailed", "too long", target="CustomerName"), "POST")
    assert isinstance(exc, AccredoValidationError) and exc.field == "CustomerName"
    details = _err("ValidationFailed", "bad", details=[{"code": "x", "target": "PhoneNo"}])
    exc2 = map_(400, details, "PATCH")
    assert isinstance(exc2, AccredoValidationError) and exc2.field == "PhoneNo"
    assert not isinstance(exc2, AccredoTransientError)


@pytest.mark.parametrize(
    ("status", "method", "body", "cls"),
    [
        (401, "GET", None, AccredoAuthError),
        (403, "GET", None, AccredoPermissionError),
        (404, "GET", _err("NotFound", "ARCustomer not found"), AccredoNotFound),
        (409, "POST", _err("Conflict", "key taken"), AlreadyExists),
        (409, "DELETE", _err("Conflict", "has transactions"), AccredoConflict),
        (400, "POST", _err("BadRequest", "Record already exists"), AlreadyExists),
        (428, "PATCH", None, PreconditionRequired),
        (500, "GET", "not json", AccredoTransientError),
        (503, "GET", None, AccredoTransientError),
        (418, "GET", None, AccredoError),
    ],
)
def test_status_mapping(status: int, method: str, body: object, cls: type[AccredoError]) -> None:
    exc = map_(status, body, method)
    assert type(exc) is cls
    assert str(status) in str(exc)


def test_conflict_is_not_already_exists_unless_a_post() -> None:
    assert not isinstance(map_(409, None, "DELETE"), AlreadyExists)


def test_rate_limit_reads_retry_after() -> None:
    exc = map_(429, _err("RateLimitExceeded", "slow down"), **{"retry-after": "7"})
    assert isinstance(exc, AccredoRateLimited) and exc.retry_after_s == 7.0
    assert isinstance(exc, AccredoTransientError)
    assert parse_retry_after_s(None) == DEFAULT_RETRY_AFTER_S
    assert parse_retry_after_s("soon") == DEFAULT_RETRY_AFTER_S
    assert parse_retry_after_s("-3") == 0.0
