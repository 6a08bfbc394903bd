"""HubSpot's search rules, as pure request building and rewriting.

``in_requests`` builds ``IN`` searches as HubSpot needs them (lower case, bounded lists).
Paging a search beyond 10,000 results answers 400 (reference §5, pitfall §13.2). The way
round is keyset paging: sort by ``hs_object_id`` ascending and, when the next offset would
cross the cap, start again at offset 0 with ``hs_object_id > last id seen`` added to every
filter group (groups are OR-ed, so each needs the floor).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from accredo_hubspot.hubspot.models import (
    SearchFilter,
    SearchFilterGroup,
    SearchRequest,
    SearchSort,
)

#: Results reachable by offset paging (reference §5: "Attempting to page beyond 10,000...").
SEARCH_RESULT_CAP = 10_000
#: Largest search page (reference §5).
MAX_SEARCH_LIMIT = 200
ID_PROPERTY = "hs_object_id"
#: Values in one ``IN`` filter [assumed: kept well under HubSpot's limits].
MAX_IN_VALUES = 100


def can_slice_by_id(request: SearchRequest) -> bool:
    """Keyset paging needs no sort, or only ``hs_object_id`` ascending."""
    return not request.sorts or (
        len(request.sorts) == 1
        and request.sorts[0].property_name == ID_PROPERTY
        and request.sorts[0].direction == "ASCENDING"
    )


def keyset_request(request: SearchRequest) -> SearchRequest:
    """The caller's request, ordered by ``hs_object_id`` ascending, from the start."""
    return request.model_copy(
        update={"sorts": [SearchSort(property_name=ID_PROPERTY)], "after": None}, deep=True
    )


def with_id_floor(request: SearchRequest, last_id: str) -> SearchRequest:
    """The same request restricted to ``hs_object_id > last_id``, from offset 0."""
    floor = SearchFilter(property_name=ID_PROPERTY, operator="GT", value=last_id)
    groups = request.filter_groups or [SearchFilterGroup()]
    bounded = [SearchFilterGroup(filters=[*g.filters, floor]) for g in groups]
    return request.model_copy(update={"filter_groups": bounded, "after": None}, deep=True)


def next_page_crosses_cap(next_after: str, limit: int) -> bool:
    """True if fetching from ``next_after`` would reach past the cap."""
    try:
        offset = int(next_after)
    except ValueError:
        return False
    return offset + limit > SEARCH_RESULT_CAP


def in_requests(
    property_name: str, values: Sequence[str], properties: Sequence[str], *, limit: int = 100
) -> Iterator[SearchRequest]:
    """Searches for records whose string property ``property_name`` is one of ``values``, each
    request with at most ``MAX_IN_VALUES`` values.

    HubSpot compares ``IN`` values of string properties in lower case, so an upper-case value
    (an Accredo customer code) would match nothing (reference §5 "Case"): the values are sent
    in lower case. Not for enumerations, which are case-sensitive.
    """
    wanted = list(dict.fromkeys(v.lower() for v in values))
    for start in range(0, len(wanted), MAX_IN_VALUES):
        condition = SearchFilter(
            property_name=property_name,
            operator="IN",
            values=wanted[start : start + MAX_IN_VALUES],
        )
        yield SearchRequest(
            filter_groups=[SearchFilterGroup(filters=[condition])],
            properties=list(properties),
            limit=limit,
        )
