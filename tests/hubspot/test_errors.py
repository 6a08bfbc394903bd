"""Error bodies (reference §2) become the right exception with the right details."""

from __future__ import annotations

import json

import pytest

from accredo_hubspot.hubspot.errors import (
    HubSpotAuthError,
    HubSpotConflict,
    HubSpotNotFound,
    HubSpotRateLimited,
    HubSpotTransientError,
    HubSpotValidationError,
    error_from_response,
    parse_error_body,
)

UNKNOWN_PROPERTY = {
    "status": "error",
    "category": "VALIDATION_ERROR",
    "correlationId": "c-1",
    "message": 'Property values were not valid: [{"isValid":false,"message":"Property \\"missing\\"'
    ' does not exist","error":"PROPERTY_DOESNT_EXIST","name":"missing"}]',
}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, {"category": "INVALID_AUTHENTICATION", "message": "no"}, HubSpotAuthError),
        (403, {"category": "MISSING_SCOPES", "message": "scopes"}, HubSpotAuthError),
        (404, {"category": "OBJECT_NOT_FOUND", "message": "Object not found."}, HubSpotNotFound),
        (400, UNKNOWN_PROPERTY, HubSpotValidationError),
        (409, {"category": "CONFLICT", "message": "x"}, HubSpotConflict),
        (400, {"category": "OBJECT_ALREADY_EXISTS", "message": "x"}, HubSpotConflict),
        (429, {"policyName": "TEN_SECONDLY_ROLLING", "message": "x"}, HubSpotRateLimited),
        (502, {}, HubSpotTransientError),
        (423, {}, HubSpotTransientError),
        (477, {}, HubSpotTransientError),
        (414, {"message": "URI too long"}, HubSpotValidationError),
    ],
)
def test_status_maps_to_exception(status: int, body: dict[str, object], expected: type) -> None:
    """Each status class maps to exactly the documented exception type."""
    error = error_from_response(status, json.dumps(body))

    assert type(error) is expected
    assert error.status == status


def test_property_name_and_code_from_embedded_message() -> None:
    """The property and code come out of the JSON array inside the message text."""
    error = error_from_response(400, json.dumps(UNKNOWN_PROPERTY))

    assert isinstance(error, HubSpotValidationError)
    assert error.property_name == "missing"
    assert error.code == "PROPERTY_DOESNT_EXIST"
    assert error.category == "VALIDATION_ERROR"
    assert error.correlation_id == "c-1"


def test_property_name_prefers_errors_context() -> None:
    """``errors[].context.propertyName`` names the property when present."""
    body = {
        "message": "Property values were not valid",
        "errors": [
            {"message": "bad", "code": "INVALID_OPTION", "context": {"propertyName": ["tier"]}}
        ],
    }
    error = error_from_response(400, body)

    assert isinstance(error, HubSpotValidationError)
    assert (error.property_name, error.code) == ("tier", "INVALID_OPTION")


def test_conflict_existing_id_parsed_from_message() -> None:
    """The contact-email 409 gives the existing id only in prose."""
    body = {
        "status": "error",
        "message": "Contact already exists. Existing ID: 37765128953",
        "category": "CONFLICT",
    }
    error = error_from_response(409, body)

    assert isinstance(error, HubSpotConflict)
    assert error.existing_id == "37765128953"


def test_unique_value_duplicate_is_a_conflict() -> None:
    """A 400 saying the value is already held counts as "exists" (reference §2.3)."""
    body = {
        "category": "VALIDATION_ERROR",
        "message": "Property values were not valid: []",
        "errors": [
            {
                "message": "X1 already has that value.",
                "code": "OBJECT_ALREADY_EXISTS",
                "context": {"propertyName": ["code"]},
            }
        ],
    }
    error = error_from_response(400, body)

    assert isinstance(error, HubSpotConflict)
    assert error.property_name == "code"


@pytest.mark.parametrize(
    ("body", "policy"),
    [
        ({"policyName": "DAILY", "message": "You have reached your daily limit."}, "DAILY"),
        ({"message": "You have reached your secondly limit."}, "SECONDLY"),
        ({"message": "You have reached your ten_secondly_rolling limit."}, "TEN_SECONDLY_ROLLING"),
    ],
)
def test_rate_limit_policy(body: dict[str, str], policy: str) -> None:
    """The 429 policy comes from ``policyName``, else from the message text."""
    error = error_from_response(429, body, headers={"retry-after": "3"})

    assert isinstance(error, HubSpotRateLimited)
    assert error.policy == policy
    assert error.retry_after_s == 3.0


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1,2]", None, b'{"message": 5}'])
def test_parse_is_lenient(raw: bytes | None) -> None:
    """Odd bodies never raise while being parsed; every field is optional."""
    body = parse_error_body(raw)

    assert body.category is None
    assert body.property_name is None


def test_str_never_contains_headers() -> None:
    """The rendered error names status, category, message and URL only."""
    error = error_from_response(
        404, {"message": "nope", "category": "OBJECT_NOT_FOUND"}, method="GET", url="/x"
    )

    assert str(error) == "404 OBJECT_NOT_FOUND: nope (GET /x)"
