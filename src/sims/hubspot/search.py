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
MAX_QUERY_CHARS = 3000
"""The limit applies to ``query``, not to the body (reference 5 "Limits")."""
BODY_KEYS = frozenset({"filterGroups", "filters", "sorts", "query", "properties", "limit", "after"})
FILTER_KEYS = frozenset({"propertyName", "operator", "value", "highValue", "values"})
SECONDARY_EMAILS = "hs_additional_emails"
"""A contact's secondary addresses, also found by a filter on ``email`` (reference 5)."""
OPERATORS = frozenset(
    {
        "EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
        "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN",
    }
)  # fmt: skip
SORT_DIRECTIONS = ("ASCENDING", "DESCENDING")
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
    """Check a search body against HubSpot's limits.

    A key the simulator does not read is refused, never ignored (reference 5). A top-level
    ``filters`` list (with no ``filterGroups``) is applied as one AND group.
    """
    unknown = sorted(set(body) - BODY_KEYS)
    if unknown:
        raise bad_request(f"Unknown search request fields: {', '.join(unknown)}")
    groups_raw = body.get("filterGroups") or []
    if not isinstance(groups_raw, list):
        raise bad_request("filterGroups must be a list")
    top_filters = body.get("filters") or []
    if not isinstance(top_filters, list):
        raise bad_request("filters must be a list")
    if top_filters and groups_raw:
        # HubSpot's handling of both at once is not documented: refuse rather than guess.
        raise bad_request("Send either filterGroups or filters, not both")
    if top_filters:
        groups_raw = [{"filters": top_filters}]
    if len(groups_raw) > MAX_GROUPS:
        raise bad_request(f"Too many filter groups: {len(groups_raw)}. Maximum is {MAX_GROUPS}.")
    groups: list[list[JsonDict]] = []
    total = 0
    for group in groups_raw:
        if not isinstance(group, dict):
            raise bad_request("Every filter group must be an object")
        filters = group.get("filters") or []
        if not isinstance(filters, list):
            raise bad_request("filters must be a list")
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise bad_request(
                f"Too many filters in a group: {len(filters)}. Maximum is {MAX_FILTERS_PER_GROUP}."
            )
        total += len(filters)
        for f in filters:
            if not isinstance(f, dict):
                raise bad_request("Every filter must be an object")
            if extra := sorted(set(f) - FILTER_KEYS):
                raise bad_request(f"Unknown filter fields: {', '.join(extra)}")
            if f.get("operator") not in OPERATORS:
                raise bad_request(f"Unknown operator {f.get('operator')}")
            if not f.get("propertyName"):
                raise bad_request("Every filter needs a propertyName")
            _check_operands(f)
        groups.append(list(filters))
    if total > MAX_FILTERS_TOTAL:
        raise bad_request(f"Too many filters: {total}. Maximum is {MAX_FILTERS_TOTAL}.")
    limit = _int(body.get("limit"), DEFAULT_LIMIT, "limit")
    if limit < 0 or limit > MAX_LIMIT:
        raise bad_request(f"limit must be between 0 and {MAX_LIMIT}, but was {limit}")
    after = _int(body.get("after"), 0, "after")
    if after < 0:
        raise bad_request(f"after must be a non-negative integer, but was {after}")
    if after + limit > RESULT_CAP:
        raise bad_request(SEARCH_CAP_MESSAGE.format(after=after, limit=limit))
    sort_prop, descending = _sort(body.get("sorts") or [])
    query = body.get("query") or None
    if query is not None and len(str(query)) > MAX_QUERY_CHARS:
        raise bad_request(
            f"query is {len(str(query))} characters; the maximum is {MAX_QUERY_CHARS}."
        )
    props = body.get("properties")
    if props is not None and (
        not isinstance(props, list) or not all(isinstance(p, str) for p in props)
    ):
        raise bad_request("properties must be a list of property names")
    return SearchRequest(
        groups,
        sort_prop,
        descending,
        str(query) if query is not None else None,
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


def _check_operands(f: JsonDict) -> None:
    """Each operator's operands (reference 5 "Operators"): ``BETWEEN`` needs ``value`` and
    ``highValue``, ``IN``/``NOT_IN`` a non-empty ``values`` list, the property tests none and
    every other operator a ``value``. A filter missing them is refused, not compared with
    nothing (texts [assumed])."""
    op = str(f["operator"])
    if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        return
    if op in ("IN", "NOT_IN"):
        values = f.get("values")
        if not isinstance(values, list) or not values or any(v is None for v in values):
            raise bad_request(
                f"Operator {op} on {f['propertyName']} needs a non-empty list of values"
            )
        return
    needed = ("value", "highValue") if op == "BETWEEN" else ("value",)
    missing = [name for name in needed if f.get(name) is None or isinstance(f[name], list | dict)]
    if missing:
        raise bad_request(
            f"Operator {op} on {f['propertyName']} needs {' and '.join(missing)}",
            context={"missingFields": missing},
        )


def _sort(sorts: object) -> tuple[str | None, bool]:
    """Only one sort rule is applied (reference 5); strings like ``-createdate`` work too.
    A rule is a name or ``{propertyName, direction: ASCENDING|DESCENDING}``; any other
    direction is refused, not read as ascending."""
    if not isinstance(sorts, list):
        raise bad_request("sorts must be a list")
    if not sorts:
        return None, False
    first = sorts[0]
    if isinstance(first, str) and first.lstrip("-"):
        return first.lstrip("-"), first.startswith("-")
    if not isinstance(first, dict) or not first.get("propertyName"):
        raise bad_request("Every sort needs a propertyName")
    direction = first.get("direction", "ASCENDING")
    if direction not in SORT_DIRECTIONS:
        raise bad_request(f"Sort direction must be ASCENDING or DESCENDING, but was {direction}")
    return str(first["propertyName"]), direction == "DESCENDING"


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
    return (1, _casefold(pdef, value))


def _casefold(pdef: PropertyDef | None, value: str) -> str:
    """Filter values ignore case, except for enumerations (reference 5 "Case")."""
    return value if _is_enumeration(pdef) else value.lower()


def _is_enumeration(pdef: PropertyDef | None) -> bool:
    return pdef is not None and pdef.type == "enumeration"


def _in_values(pdef: PropertyDef | None, values: list[Any]) -> set[str]:
    """The values an ``IN``/``NOT_IN`` filter compares with.

    String properties are compared in lower case, and the filter's values are taken as sent:
    HubSpot needs them in lower case, so an upper-case value matches nothing (reference 5
    "Case"). Enumerations compare exactly; other types ignore case.
    """
    if pdef is not None and pdef.type == "string":
        return {str(v) for v in values}
    return {_casefold(pdef, str(v)) for v in values}


NEGATIONS = {"NEQ": "EQ", "NOT_IN": "IN", "NOT_CONTAINS_TOKEN": "CONTAINS_TOKEN"}


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
    candidates = [value] if value is not None else []
    if name == "email":
        candidates += [e for e in (props.get(SECONDARY_EMAILS) or "").split(";") if e]
    positive = NEGATIONS.get(op, op)
    hit = any(_matches(positive, f, have, pdef) for have in candidates)
    return not hit if op in NEGATIONS else hit


def _matches(op: str, f: JsonDict, value: str, pdef: PropertyDef | None) -> bool:
    """One stored value against a filter with a positive operator."""
    if op == "IN":
        wanted = _in_values(pdef, f.get("values") or [])
        if pdef is not None and pdef.field_type == "checkbox":
            return any(_casefold(pdef, v) in wanted for v in value.split(";"))
        return _casefold(pdef, value) in wanted
    target = str(f.get("value", ""))
    if op == "CONTAINS_TOKEN":
        return _contains_token(value, target, case_sensitive=_is_enumeration(pdef))
    if op == "EQ":
        if pdef is not None and pdef.type in ("number", "date", "datetime"):
            return _compare_key(pdef, value) == _compare_key(pdef, target)
        return _casefold(pdef, value) == _casefold(pdef, target)
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


def _contains_token(value: str, pattern: str, *, case_sensitive: bool) -> bool:
    if not case_sensitive:
        value, pattern = value.lower(), pattern.lower()
    tokens = [t for t in TOKEN_SPLIT.split(value) if t]
    if "*" in pattern:
        return fnmatch.fnmatchcase(value, pattern) or any(
            fnmatch.fnmatchcase(t, pattern) for t in tokens
        )
    return pattern in tokens or pattern == value


def matches_query(query: str, props: dict[str, str], searchable: tuple[str, ...]) -> bool:
    needle = query.lower().strip()
    return any(needle in (props.get(name) or "").lower() for name in searchable)


def sort_key(pdef: PropertyDef | None, value: str | None) -> tuple[int, tuple[int, float | str]]:
    if value is None:
        return (1, (1, ""))
    return (0, _compare_key(pdef, value))
