"""Every HubSpot API path the client calls, in one place.

The numeric v3/v4 paths are "legacy" since March 2026 and lose support in September 2027;
HubSpot's date-based versions (``/crm/objects/2026-03/...``) replace them (reference §0). When
the client moves, this module is the only one that changes. Path segments that come from
callers are percent-quoted.
"""

from __future__ import annotations

from urllib.parse import quote

OBJECTS = "/crm/v3/objects"
PROPERTIES = "/crm/v3/properties"
SCHEMAS = "/crm-object-schemas/v3/schemas"
ASSOCIATIONS_V4_OBJECTS = "/crm/v4/objects"
ASSOCIATIONS_V4 = "/crm/v4/associations"
OWNERS = "/crm/v3/owners"
PIPELINES = "/crm/v3/pipelines"
#: OAuth 2 token endpoint (form-encoded; the SDK's ``oauth.tokens_api.create``).
OAUTH_TOKEN = "/oauth/v1/token"


def _seg(value: str) -> str:
    return quote(str(value), safe="")


def objects(object_type: str) -> str:
    return f"{OBJECTS}/{_seg(object_type)}"


def object_by_id(object_type: str, object_id: str) -> str:
    return f"{objects(object_type)}/{_seg(object_id)}"


def objects_batch(object_type: str, action: str) -> str:
    """``read``, ``create``, ``update``, ``upsert`` or ``archive``."""
    return f"{objects(object_type)}/batch/{_seg(action)}"


def objects_search(object_type: str) -> str:
    return f"{objects(object_type)}/search"


def objects_merge(object_type: str) -> str:
    return f"{objects(object_type)}/merge"


def properties(object_type: str) -> str:
    return f"{PROPERTIES}/{_seg(object_type)}"


def property_by_name(object_type: str, name: str) -> str:
    return f"{properties(object_type)}/{_seg(name)}"


def property_groups(object_type: str) -> str:
    return f"{properties(object_type)}/groups"


def property_group(object_type: str, name: str) -> str:
    return f"{property_groups(object_type)}/{_seg(name)}"


def schemas() -> str:
    return SCHEMAS


def schema(object_type: str) -> str:
    return f"{SCHEMAS}/{_seg(object_type)}"


def association_default(from_type: str, from_id: str, to_type: str, to_id: str) -> str:
    return (
        f"{ASSOCIATIONS_V4_OBJECTS}/{_seg(from_type)}/{_seg(from_id)}"
        f"/associations/default/{_seg(to_type)}/{_seg(to_id)}"
    )


def association_pair(from_type: str, from_id: str, to_type: str, to_id: str) -> str:
    return (
        f"{ASSOCIATIONS_V4_OBJECTS}/{_seg(from_type)}/{_seg(from_id)}"
        f"/associations/{_seg(to_type)}/{_seg(to_id)}"
    )


def associations_list(from_type: str, from_id: str, to_type: str) -> str:
    return (
        f"{ASSOCIATIONS_V4_OBJECTS}/{_seg(from_type)}/{_seg(from_id)}/associations/{_seg(to_type)}"
    )


def associations_batch(from_type: str, to_type: str, action: str) -> str:
    """``create``, ``associate/default``, ``read`` or ``archive``."""
    return f"{ASSOCIATIONS_V4}/{_seg(from_type)}/{_seg(to_type)}/batch/{action}"


def association_labels(from_type: str, to_type: str) -> str:
    return f"{ASSOCIATIONS_V4}/{_seg(from_type)}/{_seg(to_type)}/labels"


def owners() -> str:
    return OWNERS


def pipelines(object_type: str) -> str:
    return f"{PIPELINES}/{_seg(object_type)}"


def pipeline(object_type: str, pipeline_id: str) -> str:
    return f"{pipelines(object_type)}/{_seg(pipeline_id)}"


def is_associations_path(path: str) -> bool:
    """Calls that spend the associations budget (reference §3)."""
    return path.startswith((ASSOCIATIONS_V4, ASSOCIATIONS_V4_OBJECTS)) and "/associations" in path


def is_search_path(path: str) -> bool:
    """Calls that spend the search budget (5/s, no headers)."""
    return path.startswith(OBJECTS) and path.endswith("/search")
