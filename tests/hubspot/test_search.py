"""Search request building: ``IN`` lists and rewriting for the 10,000-result cap."""

from __future__ import annotations

from accredo_hubspot.hubspot.models import (
    SearchFilter,
    SearchFilterGroup,
    SearchRequest,
    SearchSort,
)
from accredo_hubspot.hubspot.search import (
    MAX_IN_VALUES,
    can_slice_by_id,
    in_requests,
    keyset_request,
    next_page_crosses_cap,
    with_id_floor,
)


def test_floor_is_added_to_every_group() -> None:
    """Groups are OR-ed, so each gets ``hs_object_id > last``; the offset restarts."""
    request = SearchRequest(
        filter_groups=[
            SearchFilterGroup(filters=[SearchFilter(property_name="a", operator="EQ", value="1")]),
            SearchFilterGroup(filters=[SearchFilter(property_name="b", operator="EQ", value="2")]),
        ],
        after="9900",
    )
    bounded = with_id_floor(request, "555").to_wire()

    assert "after" not in bounded
    for group in bounded["filterGroups"]:
        assert group["filters"][-1] == {
            "propertyName": "hs_object_id",
            "operator": "GT",
            "value": "555",
        }
    assert len(request.filter_groups[0].filters) == 1  # the original is untouched


def test_floor_without_groups_makes_one() -> None:
    """A request with no filters gets a single group holding the floor."""
    bounded = with_id_floor(SearchRequest(), "7").to_wire()

    assert len(bounded["filterGroups"]) == 1


def test_keyset_needs_id_order() -> None:
    """Only unsorted or hs_object_id-ascending searches can be sliced."""
    assert can_slice_by_id(SearchRequest())
    assert can_slice_by_id(SearchRequest(sorts=[SearchSort(property_name="hs_object_id")]))
    assert not can_slice_by_id(
        SearchRequest(sorts=[SearchSort(property_name="createdate", direction="DESCENDING")])
    )
    assert keyset_request(SearchRequest()).to_wire()["sorts"] == [
        {"propertyName": "hs_object_id", "direction": "ASCENDING"}
    ]


def test_cap_arithmetic() -> None:
    """A page ending exactly at 10,000 is fetched; one past it is not."""
    assert not next_page_crosses_cap("9900", 100)
    assert next_page_crosses_cap("10000", 100)
    assert next_page_crosses_cap("9900", 200)


def test_in_requests_send_each_value_once_in_lower_case_100_at_a_time() -> None:
    """HubSpot needs ``IN`` values of string properties in lower case (reference §5 "Case")."""
    codes = [f"Cust{i:03d}" for i in range(150)]
    properties = ["name", "domain", "nzbn", "accredo_customer_code"]
    requests = list(in_requests("accredo_customer_code", [*codes, "CUST000"], properties))
    assert [len(r.filter_groups[0].filters[0].values or []) for r in requests] == [100, 50]
    sent = [v for r in requests for v in (r.filter_groups[0].filters[0].values or [])]
    assert sent == [c.lower() for c in codes]  # every value once, in order
    for request in requests:
        assert len(request.filter_groups[0].filters[0].values or []) <= MAX_IN_VALUES
        assert request.properties == properties
