"""Search (reference 5): limits, operators, paging, the 10,000 cap and the indexing delay."""

from __future__ import annotations

import time
from typing import Any

from sims.hubspot.events import WriteSource
from sims.hubspot.search import RESULT_CAP

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
    with make_sim(indexing_delay_ms=300) as sim:
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
