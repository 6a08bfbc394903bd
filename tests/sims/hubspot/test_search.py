"""Search (reference 5): limits, operators, paging, the 10,000 cap and the indexing delay."""

from __future__ import annotations

import itertools
import time
from typing import Any

from sims.hubspot.events import WriteSource
from sims.hubspot.search import RESULT_CAP
from sims.hubspot.store import Portal

SEARCH = "/crm/v3/objects/companies/search"


def _f(prop: str, op: str, **more: Any) -> dict[str, Any]:
    return {"propertyName": prop, "operator": op, **more}


def _search(sim: Any, **body: Any) -> Any:
    return sim.http.post(SEARCH, json=body)


def _make(sim: Any, props: dict[str, Any]) -> str:
    answer = sim.http.post("/crm/v3/objects/companies", json={"properties": props})
    assert answer.status_code == 201, answer.text
    made: str = answer.json()["id"]
    return made


def test_filter_group_limits(sim: Any) -> None:
    group = {"filters": [_f("name", "HAS_PROPERTY")]}
    assert _search(sim, filterGroups=[group] * 5).status_code == 200
    assert _search(sim, filterGroups=[group] * 6).status_code == 400
    assert (
        _search(sim, filterGroups=[{"filters": [_f("name", "HAS_PROPERTY")] * 7}]).status_code
        == 400
    )
    three = {"filters": [_f("name", "HAS_PROPERTY")] * 4}
    assert _search(sim, filterGroups=[three] * 5).status_code == 400
    assert _search(sim, limit=201).status_code == 400


def test_operators(sim: Any) -> None:
    a = _make(sim, {"name": "Alpha Foods", "domain": "alpha.co.nz", "numberofemployees": 5,
                    "industry": "RETAIL"})  # fmt: skip
    b = _make(sim, {"name": "Beta Build", "domain": "beta.com", "numberofemployees": 50})
    c = _make(sim, {"name": "Gamma", "industry": "FARMING"})

    def ids(*filters: dict[str, Any]) -> set[str]:
        body = _search(sim, filterGroups=[{"filters": list(filters)}], limit=100).json()
        return {r["id"] for r in body["results"]}

    assert ids(_f("name", "EQ", value="alpha foods")) == {a}
    assert ids(_f("name", "NEQ", value="Gamma")) == {a, b}
    assert ids(_f("numberofemployees", "GT", value="5")) == {b}
    assert ids(_f("numberofemployees", "LTE", value="5")) == {a}
    assert ids(_f("numberofemployees", "BETWEEN", value="1", highValue="10")) == {a}
    assert ids(_f("industry", "IN", values=["RETAIL", "FARMING"])) == {a, c}
    assert ids(_f("industry", "EQ", value="retail")) == set()
    assert ids(_f("domain", "NOT_HAS_PROPERTY")) == {c}
    assert ids(_f("domain", "CONTAINS_TOKEN", value="*.co.nz")) == {a}
    assert ids(_f("name", "CONTAINS_TOKEN", value="build")) == {b}
    assert ids(_f("name", "NOT_CONTAINS_TOKEN", value="build")) == {a, c}
    either = _search(
        sim,
        filterGroups=[
            {"filters": [_f("name", "EQ", value="Gamma")]},
            {"filters": [_f("domain", "EQ", value="beta.com")]},
        ],
    ).json()
    assert {r["id"] for r in either["results"]} == {b, c}
    assert {r["id"] for r in _search(sim, query="beta").json()["results"]} == {b}


def test_default_order_paging_and_total(sim: Any) -> None:
    made = [_make(sim, {"name": f"n{i}"}) for i in range(5)]
    first = _search(sim, limit=2).json()
    assert first["total"] == 5
    assert [r["id"] for r in first["results"]] == made[:2]
    assert first["paging"]["next"]["after"] == "2"
    last = _search(sim, limit=2, after="4").json()
    assert [r["id"] for r in last["results"]] == made[4:]
    assert "paging" not in last


def test_paging_beyond_10000_is_400(sim: Any) -> None:
    portal = sim.state.portal
    otype = portal.resolve_type("companies")
    source = WriteSource.integration(1)
    for i in range(RESULT_CAP + 5):
        portal.create(otype, {"name": f"bulk {i}"}, source)
    near_end = _search(sim, limit=200, after=str(RESULT_CAP - 200)).json()
    assert near_end["total"] == RESULT_CAP + 5
    assert near_end["paging"]["next"]["after"] == str(RESULT_CAP)
    beyond = _search(sim, limit=200, after=str(RESULT_CAP))
    assert beyond.status_code == 400
    assert beyond.json()["category"] == "VALIDATION_ERROR"


def test_new_and_changed_records_show_after_the_indexing_delay(make_sim: Any) -> None:
    with make_sim(indexing_delay_ms=300, indexing_jitter_ms=0) as sim:
        made = _make(sim, {"name": "Fresh"})
        by_name = {"filterGroups": [{"filters": [_f("name", "EQ", value="Fresh")]}]}
        assert sim.http.post(SEARCH, json=by_name).json()["total"] == 0
        assert sim.http.get(f"/crm/v3/objects/companies/{made}").status_code == 200
        time.sleep(0.35)
        assert sim.http.post(SEARCH, json=by_name).json()["total"] == 1
        sim.http.patch(f"/crm/v3/objects/companies/{made}", json={"properties": {"name": "Old"}})
        stale = sim.http.post(SEARCH, json=by_name).json()
        assert stale["total"] == 1
        assert stale["results"][0]["properties"]["name"] == "Fresh"
        sim.http.post("/_sim/search/index")
        assert sim.http.post(SEARCH, json=by_name).json()["total"] == 0


def test_archived_records_never_appear(sim: Any) -> None:
    made = _make(sim, {"name": "Gone"})
    sim.http.delete(f"/crm/v3/objects/companies/{made}")
    assert _search(sim).json()["total"] == 0


def test_in_and_not_in_need_lower_case_values_for_string_properties(sim: Any) -> None:
    """Reference 5 "Case": values ignore case, but string properties with ``IN``/``NOT_IN``
    need lower-case values (an upper-case one matches nothing), and enumerations are
    case-sensitive for every operator."""
    a = _make(sim, {"name": "Alpha Foods", "domain": "alpha.co.nz", "industry": "RETAIL"})
    b = _make(sim, {"name": "Beta Build"})

    def ids(*filters: dict[str, Any]) -> set[str]:
        body = _search(sim, filterGroups=[{"filters": list(filters)}], limit=100).json()
        return {r["id"] for r in body["results"]}

    assert ids(_f("name", "IN", values=["alpha foods"])) == {a}
    assert ids(_f("name", "IN", values=["Alpha Foods", "BETA BUILD"])) == set()
    assert ids(_f("name", "NOT_IN", values=["alpha foods"])) == {b}
    assert ids(_f("name", "NOT_IN", values=["Alpha Foods"])) == {a, b}
    assert ids(_f("name", "EQ", value="ALPHA FOODS")) == {a}
    assert ids(_f("name", "NEQ", value="ALPHA FOODS")) == {b}
    assert ids(_f("name", "CONTAINS_TOKEN", value="FOODS")) == {a}
    assert ids(_f("industry", "IN", values=["retail"])) == set()
    assert ids(_f("industry", "NOT_IN", values=["retail"])) == {a, b}
    assert ids(_f("industry", "CONTAINS_TOKEN", value="retail")) == set()
    assert ids(_f("industry", "CONTAINS_TOKEN", value="RETAIL")) == {a}


def test_top_level_filters_are_one_and_group(sim: Any) -> None:
    a = _make(sim, {"name": "Alpha", "domain": "alpha.co.nz"})
    _make(sim, {"name": "Alpha", "domain": "other.co.nz"})
    filters = [_f("name", "EQ", value="alpha"), _f("domain", "EQ", value="alpha.co.nz")]
    answer = _search(sim, filters=filters)
    assert answer.status_code == 200, answer.text
    assert [r["id"] for r in answer.json()["results"]] == [a]
    both = _search(sim, filters=filters, filterGroups=[{"filters": filters}])
    assert both.status_code == 400


def test_keys_it_does_not_read_are_refused(sim: Any) -> None:
    """Reference 5: a server never ignores a key it does not read."""
    assert _search(sim, filtergroups=[]).status_code == 400
    typo = _search(sim, filterGroups=[{"filters": [_f("name", "IN", valuez=["a"])]}])
    assert typo.status_code == 400
    assert _search(sim, filterGroups=[{"filters": [_f("name", "IN", values=["a"])]}]).is_success


def test_the_3000_character_limit_is_on_query_not_on_the_body(sim: Any) -> None:
    made = _make(sim, {"name": "Alpha"})
    many = [f"property_number_{i}" for i in range(200)]
    long_body = _search(sim, properties=["name", *many])
    assert long_body.status_code == 200, long_body.text
    assert [r["id"] for r in long_body.json()["results"]] == [made]
    assert _search(sim, query="a" * 3000).status_code == 200
    too_long = _search(sim, query="a" * 3001)
    assert too_long.status_code == 400
    assert too_long.json()["category"] == "VALIDATION_ERROR"


def test_a_filter_on_email_finds_a_contact_by_its_secondary_address(sim: Any) -> None:
    """Reference 5 "Secondary emails": a merge leaves the merged-away address there."""

    def contact(props: dict[str, str]) -> str:
        answer = sim.http.post("/crm/v3/objects/contacts", json={"properties": props})
        made: str = answer.json()["id"]
        return made

    a, b = contact({"email": "a@x.nz"}), contact({"email": "b@x.nz"})
    other = contact({"email": "c@x.nz"})
    survivor = sim.http.post(
        "/crm/v3/objects/contacts/merge", json={"primaryObjectId": a, "objectIdToMerge": b}
    ).json()["id"]

    def ids(f: dict[str, Any]) -> set[str]:
        body = {"filterGroups": [{"filters": [f]}]}
        found = sim.http.post("/crm/v3/objects/contacts/search", json=body).json()
        return {r["id"] for r in found["results"]}

    assert ids(_f("email", "EQ", value="B@x.nz")) == {survivor}
    assert ids(_f("email", "IN", values=["b@x.nz", "c@x.nz"])) == {survivor, other}
    assert ids(_f("email", "NEQ", value="b@x.nz")) == {other}


def test_each_write_has_its_own_lag_so_search_may_show_them_out_of_order() -> None:
    """Reference 5 "Consistency": 2 to 5 s by default, each write its own (a poller keyed on
    the last change it saw must read again behind its cursor); one record's versions still
    show in the order written."""
    portal = Portal(1, 2, indexing_delay_ms=2000, max_unique=10, indexing_jitter_ms=3000)
    companies = portal.types["0-2"]
    user = WriteSource("CRM_UI", "userId:1")
    before = time.monotonic()
    records = [portal.create(companies, {"name": f"Company {n}"}, user) for n in range(20)]
    after = time.monotonic()
    due = [record.pending[-1][0] for record in records]
    assert all(before + 2.0 <= at <= after + 5.0 for at in due)
    assert any(b < a for a, b in itertools.pairwise(due))  # a later write shows first
    first = records[0]
    portal.update(companies, first, {"name": "Renamed"}, user)
    versions = [at for at, _props in first.pending]
    assert versions == sorted(versions)


def test_a_filter_without_its_operands_is_refused(sim: Any) -> None:
    """Reference 5 "Operators": BETWEEN takes value and highValue, IN/NOT_IN a values list,
    the comparisons a value; a filter without them is a 400, not compared with nothing (which
    matched no record, or every record for a negation)."""
    _make(sim, {"name": "Acme", "numberofemployees": "5"})
    refused = [
        _f("name", "EQ"),
        _f("name", "NEQ"),
        _f("numberofemployees", "GT"),
        _f("name", "CONTAINS_TOKEN"),
        _f("numberofemployees", "BETWEEN", value="1"),
        _f("name", "IN"),
        _f("name", "NOT_IN", values=[]),
        _f("name", "IN", value="acme"),
        _f("name", "EQ", value=["acme"]),
    ]
    for bad in refused:
        answer = _search(sim, filterGroups=[{"filters": [bad]}])
        assert answer.status_code == 400, bad
        assert answer.json()["category"] == "VALIDATION_ERROR"
    accepted = [
        _f("name", "HAS_PROPERTY"),
        _f("name", "EQ", value="acme"),
        _f("numberofemployees", "BETWEEN", value="1", highValue="9"),
        _f("name", "IN", values=["acme"]),
    ]
    for good in accepted:
        assert _search(sim, filterGroups=[{"filters": [good]}]).json()["total"] == 1, good


def test_sorts_and_shapes_it_cannot_read_are_refused(sim: Any) -> None:
    """Reference 5: a sort is a name or ``{propertyName, direction: ASCENDING|DESCENDING}``;
    a lower-case or unknown direction was read as ascending. A server never ignores what it
    cannot read: a filter group that is no object, a negative ``after`` and ``properties``
    that are no list of names are refused too."""
    for body in (
        {"sorts": [{"propertyName": "name", "direction": "descending"}]},
        {"sorts": [{"direction": "DESCENDING"}]},
        {"sorts": {"propertyName": "name"}},
        {"filterGroups": ["name"]},
        {"filterGroups": [{"filters": {"propertyName": "name"}}]},
        {"after": "-10"},
        {"properties": "name,domain"},
    ):
        answer = _search(sim, **body)
        assert answer.status_code == 400, body
        assert answer.json()["category"] == "VALIDATION_ERROR"
    for sorts in (["-name"], [{"propertyName": "name", "direction": "DESCENDING"}]):
        assert _search(sim, sorts=sorts).status_code == 200
