"""The search API's request rules and filter evaluation (reference section 5). Pure."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sims.hubspot.errors import SEARCH_CAP_MESSAGE, bad_request
from sims.hubspot.portal import PropertyDef
from sims.hubspot.values import NUMBER_RE, comparable_day_ms

JsonDict = dict[str, Any]

MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS_TOTAL = 18
"""5/6/18, reference 5 ([assumed] over the spec's and changelog's other numbers)."""
MAX_LIMIT = 200
DEFAULT_LIMIT = 10
RESULT_CAP = 10_000
MAX_BODY_CHARS = 3000
OPERATORS = frozenset(
    {
        "EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
        "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN",
    }
)  # fmt: skip
TOKEN_SPLIT = re.compile(r"[\s,;:/()\[\]\"']+")


@dataclass(frozen=True)
class SearchRequest:
    groups: list[list[JsonDict]]
    sort_prop: str | None
    descending: bool
    query: str | None
    properties: list[str] | None
    limit: int
    after: int


def parse_request(body: JsonDict) -> SearchRequest:
    """Check a search body against HubSpot's limits."""
    groups_raw = body.get("filterGroups") or []
    if not isinstance(groups_raw, list):
        raise bad_request("filterGroups must be a list")
    if len(groups_raw) > MAX_GROUPS:
        raise bad_request(f"Too many filter groups: {len(groups_raw)}. Maximum is {MAX_GROUPS}.")
    groups: list[list[JsonDict]] = []
    total = 0
    for group in groups_raw:
        filters = (group or {}).get("filters") or []
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise bad_request(
                f"Too many filters in a group: {len(filters)}. Maximum is {MAX_FILTERS_PER_GROUP}."
            )
        total += len(filters)
        for f in filters:
            if f.get("operator") not in OPERATORS:
                raise bad_request(f"Unknown operator {f.get('operator')}")
            if not f.get("propertyName"):
                raise bad_request("Every filter needs a propertyName")
        groups.append(list(filters))
    if total > MAX_FILTERS_TOTAL:
        raise bad_request(f"Too many filters: {total}. Maximum is {MAX_FILTERS_TOTAL}.")
    limit = _int(body.get("limit"), DEFAULT_LIMIT, "limit")
    if limit < 0 or limit > MAX_LIMIT:
        raise bad_request(f"limit must be between 0 and {MAX_LIMIT}, but was {limit}")
    after = _int(body.get("after"), 0, "after")
    if after + limit > RESULT_CAP:
        raise bad_request(SEARCH_CAP_MESSAGE.format(after=after, limit=limit))
    sort_prop, descending = _sort(body.get("sorts") or [])
    props = body.get("properties")
    return SearchRequest(
        groups,
        sort_prop,
        descending,
        body.get("query") or None,
        [str(p) for p in props] if props else None,
        limit,
        after,
    )


def _int(raw: object, default: int, name: str) -> int:
    if raw is None or raw == "":
        return default
    try:
        return int(str(raw))
    except ValueError:
        raise bad_request(f"{name} must be an integer, but was {raw}") from None


def _sort(sorts: list[Any]) -> tuple[str | None, bool]:
    """Only one sort rule is applied (reference 5); strings like ``-createdate`` work too."""
    if not sorts:
        return None, False
    first = sorts[0]
    if isinstance(first, str):
        return first.lstrip("-"), first.startswith("-")
    return str(first.get("propertyName")), first.get("direction") == "DESCENDING"


def _tokens(value: str) -> list[str]:
    return [t for t in TOKEN_SPLIT.split(value.lower()) if t]


def _compare_key(pdef: PropertyDef | None, value: str) -> tuple[int, float | str]:
    if pdef is not None and pdef.type == "number" and NUMBER_RE.match(value):
        return (0, float(value))
    if pdef is not None and pdef.type in ("date", "datetime"):
        if value.lstrip("-").isdigit():
            return (0, float(value))
        day = comparable_day_ms(value)
        if day is not None:
            return (0, float(day))
    if pdef is None and value.isdigit():
        return (0, float(value))
    return (1, value.lower())


def _casefold(pdef: PropertyDef | None, value: str) -> str:
    return value if pdef is not None and pdef.type == "enumeration" else value.lower()


def matches_filter(
    f: JsonDict,
    props: dict[str, str],
    pdef: PropertyDef | None,
    associated: Callable[[str, str], bool],
) -> bool:
    name = str(f["propertyName"])
    op = str(f["operator"])
    if name.startswith("associations."):
        hit = associated(name.split(".", 1)[1], str(f.get("value", "")))
        return hit if op != "NEQ" else not hit
    value = props.get(name)
    if op == "HAS_PROPERTY":
        return bool(value)
    if op == "NOT_HAS_PROPERTY":
        return not value
    if op in ("IN", "NOT_IN"):
        wanted = {_casefold(pdef, str(v)) for v in f.get("values") or []}
        if pdef is not None and pdef.field_type == "checkbox" and value:
            hit = any(_casefold(pdef, v) in wanted for v in value.split(";"))
        else:
            hit = value is not None and _casefold(pdef, value) in wanted
        return hit if op == "IN" else not hit
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        hit = value is not None and _contains_token(value, str(f.get("value", "")))
        return hit if op == "CONTAINS_TOKEN" else not hit
    target = str(f.get("value", ""))
    if op in ("EQ", "NEQ"):
        if pdef is not None and pdef.type in ("number", "date", "datetime"):
            hit = value is not None and _compare_key(pdef, value) == _compare_key(pdef, target)
        else:
            hit = value is not None and _casefold(pdef, value) == _casefold(pdef, target)
        return hit if op == "EQ" else not hit
    if value is None:
        return False
    have = _compare_key(pdef, value)
    if op == "BETWEEN":
        high = _compare_key(pdef, str(f.get("highValue", "")))
        return _compare_key(pdef, target) <= have <= high
    want = _compare_key(pdef, target)
    return {
        "LT": have < want,
        "LTE": have <= want,
        "GT": have > want,
        "GTE": have >= want,
    }[op]


def _contains_token(value: str, pattern: str) -> bool:
    pattern = pattern.lower()
    if "*" in pattern:
        return fnmatch.fnmatchcase(value.lower(), pattern) or any(
            fnmatch.fnmatchcase(t, pattern) for t in _tokens(value)
        )
    return pattern in _tokens(value) or pattern == value.lower()


def matches_query(query: str, props: dict[str, str], searchable: tuple[str, ...]) -> bool:
    needle = query.lower().strip()
    return any(needle in (props.get(name) or "").lower() for name in searchable)


def sort_key(pdef: PropertyDef | None, value: str | None) -> tuple[int, tuple[int, float | str]]:
    if value is None:
        return (1, (1, ""))
    return (0, _compare_key(pdef, value))
