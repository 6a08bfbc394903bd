"""HubSpot's error bodies (reference section 2), built in one place.

The simulator raises ``SimError`` inside its handlers; the app turns it into the HTTP answer.
Texts HubSpot has never been seen to send are [assumed] and kept as constants here.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]

NOT_FOUND_MESSAGE = "Object not found.  objectId are usually numeric."
UNKNOWN_ROUTE_MESSAGE = "resource not found"
AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
    "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
TOO_MANY_INPUTS_MESSAGE = "Too many inputs: {count}. The maximum batch size is {limit}."
"""[assumed] reference 14: the >100 batch error text is an open question."""
LIMIT_TOO_HIGH_MESSAGE = "limit must be less than or equal to {limit}, but was {value}"
"""[assumed] reference 4.1: list limit > 100 -> 400 VALIDATION_ERROR."""
SEARCH_CAP_MESSAGE = (
    "Search results are limited to 10000 records; paging beyond 10000 is not allowed "
    "(after={after}, limit={limit})."
)
"""[assumed] reference 5: the 10k error text is an open question."""
UNIQUE_TAKEN_MESSAGE = "{value} already has that value."
"""[assumed] reference 2.3: the body of the unique-value duplicate error."""
PROPERTY_EXISTS_MESSAGE = "Property named '{name}' already exists."
"""[assumed] reference 2.3: property exists -> 409 OBJECT_ALREADY_EXISTS."""
NON_UNIQUE_ID_PROPERTY_MESSAGE = (
    "Unable to perform update/upsert by non-unique {type_id} property {name} in portal ID {portal}"
)
BATCH_EMAIL_CONFLICT_MESSAGE = "Contact already exists. Duplicate email in batch input: {email}"
"""[assumed] reference 2.3 gives the status and category; this text is not captured."""
TOO_MANY_IDENTITIES_MESSAGE = "Cannot have more than 250 identities on a profile"
"""Reference 2.5/4.5: the 414 of a merge past 250 merged records (its category [assumed])."""
INVALID_EMAIL_MESSAGE = "Email address {value} is invalid"
INVALID_NUMBER_MESSAGE = "{value} was not a valid long."
"""[assumed] reference 2.1 names the code INVALID_LONG, not its text."""
INVALID_DATE_MESSAGE = (
    "{value} is not a valid date: use YYYY-MM-DD or a midnight UTC epoch millisecond timestamp."
)
"""[assumed] reference 6: date properties take YYYY-MM-DD or midnight-UTC epoch ms."""
INVALID_DATETIME_MESSAGE = "{value} is not a valid datetime: use epoch milliseconds or ISO 8601."
INVALID_BOOL_MESSAGE = "{value} is not a valid boolean: use true or false."


def correlation_id() -> str:
    return str(uuid.uuid4())


@dataclass
class SimError(Exception):
    """An HTTP error answer, as HubSpot gives it."""

    status: int
    category: str | None
    message: str
    context: dict[str, list[str]] | None = None
    errors: list[JsonDict] | None = None
    extra: JsonDict = field(default_factory=dict)
    sub_category: str | None = None

    def body(self, corr_id: str) -> JsonDict:
        """The generic error envelope (reference 2)."""
        out: JsonDict = {"status": "error", "message": self.message, "correlationId": corr_id}
        if self.errors is not None:
            out["errors"] = self.errors
        if self.context is not None:
            out["context"] = self.context
        if self.category is not None:
            out["category"] = self.category
        if self.sub_category is not None:
            out["subCategory"] = self.sub_category
        out.update(self.extra)
        return out

    def standard_error(self) -> JsonDict:
        """The per-item form used inside 207 batch answers (``StandardError``)."""
        out: JsonDict = {
            "status": "error",
            "category": self.category or "VALIDATION_ERROR",
            "message": self.message,
            "context": dict(self.context or {}),
            "errors": list(self.errors or []),
            "links": {},
        }
        if self.sub_category is not None:
            out["subCategory"] = self.sub_category
        return out


@dataclass(frozen=True)
class PropertyProblem:
    """One invalid property value in a write."""

    name: str
    code: str
    message: str


def validation_error(problems: list[PropertyProblem], portal_id: int) -> SimError:
    """400 ``Property values were not valid: [...]`` listing every bad property (2.1)."""
    items = [
        {
            "isValid": False,
            "message": p.message,
            "error": p.code,
            "name": p.name,
            "localizedErrorMessage": p.message,
            "portalId": portal_id,
        }
        for p in problems
    ]
    return SimError(
        400,
        "VALIDATION_ERROR",
        "Property values were not valid: " + json.dumps(items, separators=(",", ":")),
        errors=[
            {"message": p.message, "code": p.code, "context": {"propertyName": [p.name]}}
            for p in problems
        ],
    )


def bad_request(message: str, context: dict[str, list[str]] | None = None) -> SimError:
    return SimError(400, "VALIDATION_ERROR", message, context=context)


NON_BOOLEAN_FLAG_MESSAGE = (
    "Invalid input JSON: Cannot deserialize value of type `boolean` from {what}: "
    'only "true" or "false" recognized (through reference chain: ["{name}"])'
)
"""[assumed] a definition's flag (``hasUniqueValue``, ``hidden``, ...) is a boolean in the SDK's
models; HubSpot's JSON reader also takes the strings "true"/"false" and numbers as booleans, as
a Jackson reader does by default, and refuses anything else."""


NON_TEXT_VALUE_MESSAGE = (
    "Invalid input JSON: Cannot deserialize value of type `java.lang.String` from {kind} value "
    '(through reference chain: properties["{name}"])'
)
"""[assumed] reference 4.2: values may be strings, numbers or booleans (read as text); an
object or array cannot be read as text, and HubSpot's JSON reader refuses the request."""


def non_text_value(name: str, value: object) -> SimError:
    kind = "Object" if isinstance(value, dict) else "Array"
    return bad_request(NON_TEXT_VALUE_MESSAGE.format(kind=kind, name=name))


def not_found(object_id: str) -> SimError:
    return SimError(404, "OBJECT_NOT_FOUND", NOT_FOUND_MESSAGE, context={"id": [object_id]})


def unknown_route() -> SimError:
    return SimError(404, None, UNKNOWN_ROUTE_MESSAGE)


CUSTOM_OBJECTS_UNAVAILABLE_MESSAGE = (
    "This portal's subscription does not include custom objects: "
    "creating object schemas needs an Enterprise subscription."
)


CUSTOM_OBJECT_LIMIT_MESSAGE = (
    "This portal already has the maximum number of custom object types ({limit})."
)
"""[assumed] reference 7 gives the limit as unverified and no answer: a 400 VALIDATION_ERROR."""


def custom_objects_unavailable() -> SimError:
    """A schema create on a portal below Enterprise. [assumed] reference 7: a 403 in the
    generic envelope with category ``MISSING_SCOPES``; the message text is the simulator's own.
    Kept here, in one place, until a real answer is captured."""
    return SimError(403, "MISSING_SCOPES", CUSTOM_OBJECTS_UNAVAILABLE_MESSAGE)


URI_TOO_LONG_MESSAGE = "URI Too Long"
"""[assumed] reference 2.5 gives the status (414) for a long ``properties=`` list, not a body."""


def uri_too_long() -> SimError:
    return SimError(414, None, URI_TOO_LONG_MESSAGE)


def unauthorized() -> SimError:
    return SimError(401, "INVALID_AUTHENTICATION", AUTH_MESSAGE)


def email_conflict(existing_id: int) -> SimError:
    return SimError(409, "CONFLICT", f"Contact already exists. Existing ID: {existing_id}")


def batch_email_conflict(email: str) -> SimError:
    """Two new inputs of one batch share an email: 409 like an existing contact
    (reference 2.3); no record holds it yet, so the message names the email, not an id."""
    return SimError(409, "CONFLICT", BATCH_EMAIL_CONFLICT_MESSAGE.format(email=email))


def too_many_inputs(count: int, limit: int = 100) -> SimError:
    return bad_request(TOO_MANY_INPUTS_MESSAGE.format(count=count, limit=limit))


def duplicate_ids(ids: list[str]) -> SimError:
    return bad_request(
        f"Duplicate IDs found in batch input: [{', '.join(ids)}]. IDs must be unique",
        context={"ids": ids},
    )


def rate_limited_body(policy: str, portal_id: int, app_id: int) -> JsonDict:
    """429 bodies (reference 3): without ``correlationId``; the app adds it."""
    if policy == "DAILY":
        return {
            "status": "error",
            "message": "You have reached your daily limit.",
            "errorType": "RATE_LIMIT",
            "policyName": "DAILY",
            "requestId": str(uuid.uuid4()),
        }
    if policy == "SECONDLY":
        return {
            "status": "error",
            "message": "You have reached your secondly limit.",
            "errorType": "RATE_LIMIT",
            "policyName": "SECONDLY",
        }
    return {
        "status": "error",
        "message": "You have reached your ten_secondly_rolling limit.",
        "errorType": "RATE_LIMIT",
        "policyName": "TEN_SECONDLY_ROLLING",
        "groupName": f"publicapi:private_app-api-calls-ten-secondly:{app_id}:{portal_id}",
    }
