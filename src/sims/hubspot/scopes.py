"""The scope each API call needs (reference 1: a token without it is a 403 ``MISSING_SCOPES``).

Which scope guards which call is [assumed] where reference 1 only lists the scopes: reads
(GET, search, batch read) need ``crm.objects.<type>.read`` and writes ``.write``, custom
objects sharing ``crm.objects.custom.*``; associations need those of their from-type; changing
a property needs ``crm.schemas.<type>.write``; schemas ``crm.schemas.custom.*``; owners
``crm.objects.owners.read``. Pipelines and other object types are not checked. Pure.
"""

from __future__ import annotations

from sims.hubspot.errors import SimError

OBJECT_SCOPE_NAMES = {"0-1": "contacts", "0-2": "companies", "0-3": "deals"}
READ_SUFFIXES = ("/search", "/batch/read")
MISSING_SCOPES_MESSAGE = "This app hasn't been granted all required scopes to make this call."


def _object_kind(type_id: str) -> str | None:
    if type_id.startswith("2-"):
        return "custom"
    return OBJECT_SCOPE_NAMES.get(type_id)


def required_scope(method: str, template: str, type_id: str | None) -> str | None:
    """The scope a call to ``template`` needs; ``type_id`` is its (from-)object type."""
    if template.startswith("/crm/v3/owners"):
        return "crm.objects.owners.read"
    if template.startswith(("/crm-object-schemas/", "/crm/v3/schemas")):
        return "crm.schemas.custom." + ("read" if method == "GET" else "write")
    kind = _object_kind(type_id) if type_id else None
    if kind is None:
        return None
    reading = method == "GET" or (method == "POST" and template.endswith(READ_SUFFIXES))
    if template.startswith("/crm/v3/properties/") and not reading:
        return f"crm.schemas.{kind}.write"
    if template.startswith(("/crm/v3/objects/", "/crm/v3/properties/", "/crm/v4/")):
        return f"crm.objects.{kind}." + ("read" if reading else "write")
    return None


def missing_scopes(scope: str) -> SimError:
    """Reference 1's 403 body, naming the scope the call needed."""
    return SimError(
        403,
        "MISSING_SCOPES",
        MISSING_SCOPES_MESSAGE,
        errors=[
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": [scope]},
            }
        ],
    )
