"""Validation as HubSpot does it (reference 2.1-2.3 and 6)."""

from __future__ import annotations

import json
from typing import Any


def _create(sim: Any, kind: str, props: dict[str, Any]) -> Any:
    return sim.http.post(f"/crm/v3/objects/{kind}", json={"properties": props})


def _items(answer: Any) -> list[dict[str, Any]]:
    body = answer.json()
    prefix = "Property values were not valid: "
    assert body["message"].startswith(prefix)
    items: list[dict[str, Any]] = json.loads(body["message"][len(prefix) :])
    return items


def test_every_bad_property_is_listed(sim: Any) -> None:
    answer = _create(
        sim,
        "companies",
        {
            "missing": "x",
            "numberofemployees": "5,000",
            "industry": "Retail",
            "hs_object_id": "1",
            "name": "fine",
        },
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["category"] == "VALIDATION_ERROR"
    assert answer.headers["x-hubspot-correlation-id"] == body["correlationId"]
    assert answer.headers["content-type"] == "application/json;charset=utf-8"
    codes = {i["name"]: i["error"] for i in _items(answer)}
    assert codes == {
        "missing": "PROPERTY_DOESNT_EXIST",
        "numberofemployees": "INVALID_LONG",
        "industry": "INVALID_OPTION",
        "hs_object_id": "READ_ONLY_VALUE",
    }
    assert {e["context"]["propertyName"][0] for e in body["errors"]} == set(codes)
    assert _items(answer)[0]["message"] == 'Property "missing" does not exist'


def test_dates_take_day_strings_or_midnight_utc_ms(sim: Any) -> None:
    prop = {
        "name": "last_invoice_date",
        "label": "Last invoice date",
        "type": "date",
        "fieldType": "date",
        "groupName": "companyinformation",
    }
    assert sim.http.post("/crm/v3/properties/companies", json=prop).status_code == 201
    ok = _create(sim, "companies", {"last_invoice_date": "2015-05-01"})
    assert ok.json()["properties"]["last_invoice_date"] == "2015-05-01"
    midnight = _create(sim, "companies", {"last_invoice_date": 1430438400000})
    assert midnight.json()["properties"]["last_invoice_date"] == "2015-05-01"
    nz_midnight = _create(sim, "companies", {"last_invoice_date": "1430395200000"})
    assert nz_midnight.status_code == 400
    assert _items(nz_midnight)[0]["error"] == "INVALID_DATE"


def test_datetime_accepts_ms_and_iso(sim: Any) -> None:
    answer = _create(
        sim, "deals", {"dealname": "d", "dealstage": "qualifiedtobuy", "closedate": "1430438400000"}
    )
    assert answer.json()["properties"]["closedate"] == "2015-05-01T00:00:00.000Z"
    iso = _create(
        sim,
        "deals",
        {"dealname": "d", "dealstage": "qualifiedtobuy", "closedate": "2020-02-29T03:30:17Z"},
    )
    assert iso.json()["properties"]["closedate"] == "2020-02-29T03:30:17.000Z"
    bad = _create(
        sim, "deals", {"dealname": "d", "dealstage": "qualifiedtobuy", "closedate": "next week"}
    )
    assert bad.status_code == 400


def test_values_are_strings_and_inputs_may_be_json_scalars(sim: Any) -> None:
    answer = _create(
        sim, "companies", {"name": "n", "annualrevenue": 1500.5, "numberofemployees": 7}
    )
    props = answer.json()["properties"]
    assert props["annualrevenue"] == "1500.5"
    assert props["numberofemployees"] == "7"
    assert all(isinstance(v, str) for v in props.values())


def test_owner_must_exist(sim: Any) -> None:
    owner = sim.http.get("/crm/v3/owners").json()["results"][0]["id"]
    assert _create(sim, "companies", {"hubspot_owner_id": owner}).status_code == 201
    assert _create(sim, "companies", {"hubspot_owner_id": "9586504"}).status_code == 400


def test_deal_stage_must_be_an_option(sim: Any) -> None:
    answer = _create(sim, "deals", {"dealname": "d", "dealstage": "won"})
    assert answer.status_code == 400
    assert _items(answer)[0]["error"] == "INVALID_OPTION"
    won = _create(sim, "deals", {"dealname": "d", "dealstage": "closedwon"}).json()
    assert won["properties"]["hs_is_closed_won"] == "true"


def test_contact_email_conflict_on_update(sim: Any) -> None:
    first = _create(sim, "contacts", {"email": "one@x.nz"}).json()
    second = _create(sim, "contacts", {"email": "two@x.nz"}).json()
    answer = sim.http.patch(
        f"/crm/v3/objects/contacts/{second['id']}", json={"properties": {"email": "ONE@x.nz"}}
    )
    assert answer.status_code == 409
    assert answer.json() == {
        "status": "error",
        "message": f"Contact already exists. Existing ID: {first['id']}",
        "correlationId": answer.json()["correlationId"],
        "category": "CONFLICT",
    }
    assert _create(sim, "contacts", {"email": "not-an-email"}).status_code == 400


def test_unique_value_already_held(sim: Any) -> None:
    prop = {
        "name": "accredo_customer_code",
        "label": "Code",
        "type": "string",
        "fieldType": "text",
        "groupName": "companyinformation",
        "hasUniqueValue": True,
    }
    sim.http.post("/crm/v3/properties/companies", json=prop)
    _create(sim, "companies", {"accredo_customer_code": "C1"})
    answer = _create(sim, "companies", {"accredo_customer_code": "C1"})
    assert answer.status_code == 400
    assert _items(answer)[0]["error"] == "OBJECT_ALREADY_EXISTS"
    assert "already has that value" in answer.json()["message"]


def test_invalid_json_body(sim: Any) -> None:
    answer = sim.http.post(
        "/crm/v3/objects/companies",
        content=b'{"properties": ',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("Invalid input JSON on line 1, column")


def test_unknown_id_is_object_not_found(sim: Any) -> None:
    answer = sim.http.get("/crm/v3/objects/companies/abc")
    assert answer.status_code == 404
    assert answer.json()["message"] == "Object not found.  objectId are usually numeric."
    assert answer.json()["context"] == {"id": ["abc"]}


def test_list_limit_and_paging(sim: Any) -> None:
    assert sim.http.get("/crm/v3/objects/companies", params={"limit": 101}).status_code == 400
    ids = [_create(sim, "companies", {"name": str(i)}).json()["id"] for i in range(25)]
    seen: list[str] = []
    after = None
    while True:
        params: dict[str, Any] = {"limit": 10, "properties": ["name", "domain"]}
        if after:
            params["after"] = after
        page = sim.http.get("/crm/v3/objects/companies", params=params).json()
        seen += [r["id"] for r in page["results"]]
        after = page.get("paging", {}).get("next", {}).get("after")
        if after is None:
            break
    assert seen == ids
    default = sim.http.get("/crm/v3/objects/companies").json()
    assert len(default["results"]) == 10
    assert set(default["results"][0]["properties"]) == {
        "name",
        "domain",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    }
    commas = sim.http.get("/crm/v3/objects/companies", params={"properties": "name,phone"})
    assert "phone" in commas.json()["results"][0]["properties"]


def test_calculated_properties_refuse_writes(sim: Any) -> None:
    made = sim.http.post(
        "/crm/v3/properties/companies",
        json={
            "name": "margin_pct",
            "label": "Margin %",
            "type": "number",
            "fieldType": "calculation_equation",
            "groupName": "companyinformation",
        },
    )
    assert made.status_code == 201
    assert made.json()["calculated"] is True
    assert made.json()["modificationMetadata"]["readOnlyValue"] is True
    company = _create(sim, "companies", {"name": "c"}).json()["id"]
    for answer in (
        _create(sim, "companies", {"margin_pct": "12"}),
        sim.http.patch(
            f"/crm/v3/objects/companies/{company}", json={"properties": {"margin_pct": "1"}}
        ),
        sim.http.post(
            "/crm/v3/objects/companies/batch/update",
            json={"inputs": [{"id": company, "properties": {"num_associated_contacts": "3"}}]},
        ),
    ):
        assert answer.status_code == 400
        (item,) = _items(answer)
        assert item["error"] == "READ_ONLY_VALUE"
        assert (
            item["message"]
            == f'"{item["name"]}" is a calculated property; its value cannot be set.'
        )


def test_new_deals_and_contacts_carry_what_hubspot_requires(sim: Any) -> None:
    deal = _create(sim, "deals", {"amount": "5"})
    assert deal.status_code == 400
    assert {(i["name"], i["error"]) for i in _items(deal)} == {
        ("dealname", "REQUIRED_PROPERTY"),
        ("dealstage", "REQUIRED_PROPERTY"),
    }
    contact = _create(sim, "contacts", {"phone": "+64 9 555 0101"})
    assert contact.status_code == 400
    assert [i["error"] for i in _items(contact)] == ["REQUIRED_PROPERTY"]
    assert _create(sim, "contacts", {"lastname": "Rewi"}).status_code == 201
    stages = [{"label": "Open", "displayOrder": 0, "metadata": {"probability": "0.5"}}]
    sim.http.post(
        "/crm/v3/pipelines/deals", json={"label": "Second", "displayOrder": 1, "stages": stages}
    )
    unpiped = _create(sim, "deals", {"dealname": "d", "dealstage": "qualifiedtobuy"})
    assert [i["name"] for i in _items(unpiped)] == ["pipeline"]


def test_original_source_is_hubspots_to_set(sim: Any) -> None:
    refused = _create(sim, "companies", {"name": "c", "hs_analytics_source": "ORGANIC_SEARCH"})
    assert [i["error"] for i in _items(refused)] == ["READ_ONLY_VALUE"]
    intake = sim.http.post(
        "/_sim/objects/companies",
        json={"properties": {"name": "Form intake"}, "analyticsSource": "ORGANIC_SEARCH"},
    )
    assert intake.status_code == 201
    read = sim.http.get(
        f"/crm/v3/objects/companies/{intake.json()['id']}",
        params={"properties": "hs_analytics_source"},
    )
    assert read.json()["properties"]["hs_analytics_source"] == "ORGANIC_SEARCH"
    bad = sim.http.post(
        "/_sim/objects/companies",
        json={"properties": {"name": "x"}, "analyticsSource": "NEWSPAPER"},
    )
    assert bad.status_code == 400


def test_object_and_array_values_are_refused(sim: Any) -> None:
    """Reference 4.2: input values may be JSON strings, numbers or booleans, read as text; an
    object or array is no text, and the write is a 400 rather than its Python repr stored."""
    for value, kind in (({"amount": 1}, "Object"), (["a", "b"], "Array")):
        answer = _create(sim, "companies", {"name": "n", "description": value})
        assert answer.status_code == 400
        body = answer.json()
        assert body["category"] == "VALIDATION_ERROR"
        assert body["message"].startswith("Invalid input JSON: ")
        assert f"from {kind} value" in body["message"]
        assert 'properties["description"]' in body["message"]
    assert sim.http.get("/crm/v3/objects/companies").json()["results"] == []


def test_a_page_with_property_history_holds_at_most_50(sim: Any) -> None:
    """Reference 4.1 Limits ([assumed]): 50 is the largest page with ``propertiesWithHistory``
    (the SDK's ``PROPERTY_HISTORY_MAX_SIZE``); 100 stays the limit without it."""
    history = {"propertiesWithHistory": "name"}
    answer = sim.http.get("/crm/v3/objects/companies", params={"limit": 51, **history})
    assert answer.status_code == 400
    assert answer.json()["category"] == "VALIDATION_ERROR"
    assert answer.json()["message"] == "limit must be less than or equal to 50, but was 51"
    assert sim.http.get("/crm/v3/objects/companies", params={"limit": 50, **history}).is_success
    assert sim.http.get("/crm/v3/objects/companies", params={"limit": 100}).is_success


def test_an_api_write_moves_the_lifecycle_stage_only_forward(sim: Any) -> None:
    """Reference 4.2 (pitfall 13.18): over the API ``lifecyclestage`` only moves forward; a
    stage before the record's own is not applied, in PATCH and batch update alike, until the
    stage is cleared. A user in HubSpot may move it back."""
    made = _create(sim, "contacts", {"email": "a@b.co.nz", "lifecyclestage": "customer"}).json()
    path = f"/crm/v3/objects/contacts/{made['id']}"

    def stage() -> str:
        got = sim.http.get(path, params={"properties": "lifecyclestage"}).json()
        value: str = got["properties"]["lifecyclestage"]
        return value

    assert sim.http.patch(path, json={"properties": {"lifecyclestage": "lead"}}).is_success
    assert stage() == "customer"
    batch = {"inputs": [{"id": made["id"], "properties": {"lifecyclestage": "opportunity"}}]}
    assert sim.http.post("/crm/v3/objects/contacts/batch/update", json=batch).is_success
    assert stage() == "customer"
    assert sim.http.patch(path, json={"properties": {"lifecyclestage": "evangelist"}}).is_success
    assert stage() == "evangelist"
    sim.http.patch(path, json={"properties": {"lifecyclestage": ""}}).raise_for_status()
    sim.http.patch(path, json={"properties": {"lifecyclestage": "lead"}}).raise_for_status()
    assert stage() == "lead"
    user = {"properties": {"lifecyclestage": "subscriber"}}
    sim.http.patch(f"/_sim/objects/contacts/{made['id']}", json=user).raise_for_status()
    assert stage() == "subscriber"


def test_a_write_without_properties_is_refused(sim: Any) -> None:
    """Reference 4.1 (the SDK's models, which carry the shapes, require it): a create, a PATCH
    and each batch input carry ``properties``; a body without it (a misspelt key) is a 400,
    not a no-op answered 200."""
    made = _create(sim, "companies", {"name": "a"}).json()
    base = "/crm/v3/objects/companies"
    calls = [
        ("POST", base, {"propertes": {"name": "b"}}),
        ("PATCH", f"{base}/{made['id']}", {"propertes": {"name": "b"}}),
        ("POST", f"{base}/batch/create", {"inputs": [{"propertes": {"name": "b"}}]}),
        ("POST", f"{base}/batch/update", {"inputs": [{"id": made["id"]}]}),
        ("POST", f"{base}/batch/update", {"inputs": [{"id": made["id"], "properties": ["x"]}]}),
    ]
    for method, path, body in calls:
        answer = sim.http.request(method, path, json=body)
        assert answer.status_code == 400, (method, path, body)
        assert answer.json()["category"] == "VALIDATION_ERROR"
    listed = sim.http.get(base).json()["results"]
    assert [r["properties"]["name"] for r in listed] == ["a"]
