"""Properties, groups and a new portal's defaults (reference 6)."""

from __future__ import annotations

import json
from typing import Any


def _prop(name: str, **more: Any) -> dict[str, Any]:
    return {
        "name": name,
        "label": name.title(),
        "type": "string",
        "fieldType": "text",
        "groupName": "companyinformation",
        **more,
    }


def test_new_portal_defaults(sim: Any) -> None:
    groups = {
        g["name"] for g in sim.http.get("/crm/v3/properties/companies/groups").json()["results"]
    }
    assert "companyinformation" in groups
    props = {p["name"]: p for p in sim.http.get("/crm/v3/properties/companies").json()["results"]}
    for name in ("name", "domain", "phone", "city", "lifecyclestage", "hubspot_owner_id"):
        assert name in props
    assert props["lifecyclestage"]["type"] == "enumeration"
    assert props["hs_object_id"]["modificationMetadata"]["readOnlyValue"] is True
    assert props["createdate"]["type"] == "datetime"
    deals = {p["name"]: p for p in sim.http.get("/crm/v3/properties/deals").json()["results"]}
    assert deals["closedate"]["type"] == "datetime"
    assert deals["amount"]["type"] == "number"
    contacts = sim.http.get("/crm/v3/properties/contacts/lastmodifieddate")
    assert contacts.json()["modificationMetadata"]["readOnlyValue"] is True


def test_type_and_field_type_must_fit(sim: Any) -> None:
    bad = _prop("x", type="number", fieldType="text")
    assert sim.http.post("/crm/v3/properties/companies", json=bad).status_code == 400
    good = _prop("y", type="bool", fieldType="booleancheckbox")
    assert sim.http.post("/crm/v3/properties/companies", json=good).status_code == 201


def test_existing_name_is_409(sim: Any) -> None:
    assert sim.http.post("/crm/v3/properties/companies", json=_prop("z")).status_code == 201
    again = sim.http.post("/crm/v3/properties/companies", json=_prop("z"))
    assert again.status_code == 409
    assert again.json()["category"] == "OBJECT_ALREADY_EXISTS"
    assert sim.http.post("/crm/v3/properties/companies", json=_prop("name")).status_code == 409


def test_at_most_ten_unique_properties(sim: Any) -> None:
    for i in range(10):
        made = sim.http.post(
            "/crm/v3/properties/companies", json=_prop(f"u{i}", hasUniqueValue=True)
        )
        assert made.status_code == 201
    over = sim.http.post("/crm/v3/properties/companies", json=_prop("u10", hasUniqueValue=True))
    assert over.status_code == 400


def test_update_and_archive(sim: Any) -> None:
    sim.http.post("/crm/v3/properties/companies", json=_prop("tier", hasUniqueValue=False))
    patched = sim.http.patch("/crm/v3/properties/companies/tier", json={"label": "Price tier"})
    assert patched.json()["label"] == "Price tier"
    refused = sim.http.patch("/crm/v3/properties/companies/tier", json={"hasUniqueValue": True})
    assert refused.status_code == 400
    assert sim.http.delete("/crm/v3/properties/companies/tier").status_code == 204
    assert sim.http.get("/crm/v3/properties/companies/tier").status_code == 404
    assert sim.http.delete("/crm/v3/properties/companies/name").status_code == 400


def test_groups(sim: Any) -> None:
    made = sim.http.post(
        "/crm/v3/properties/companies/groups", json={"name": "accredo", "label": "Accredo"}
    )
    assert made.status_code == 201
    assert made.json() == {
        "name": "accredo",
        "label": "Accredo",
        "displayOrder": -1,
        "archived": False,
    }
    dup = sim.http.post(
        "/crm/v3/properties/companies/groups", json={"name": "accredo", "label": "Accredo"}
    )
    assert dup.status_code == 409
    assert (
        sim.http.post(
            "/crm/v3/properties/companies", json=_prop("code", groupName="accredo")
        ).status_code
        == 201
    )


def test_an_option_deleted_by_patch_is_refused_as_a_value(sim: Any) -> None:
    """PATCH replaces an enumeration's options with those sent, so leaving one out deletes
    it; a value that is no option then gets 400 INVALID_OPTION (reference 2.1 and 6)."""
    tiers = [
        {"label": "Retail", "value": "RETAIL", "displayOrder": 0, "hidden": False},
        {"label": "Trade", "value": "TRADE", "displayOrder": 1, "hidden": False},
    ]
    tier = _prop("tier", type="enumeration", fieldType="select", options=tiers)
    assert sim.http.post("/crm/v3/properties/companies", json=tier).status_code == 201
    company = sim.http.post("/crm/v3/objects/companies", json={"properties": {"tier": "TRADE"}})
    assert company.status_code == 201
    left = sim.http.patch("/crm/v3/properties/companies/tier", json={"options": tiers[:1]})
    assert [o["value"] for o in left.json()["options"]] == ["RETAIL"]
    fetched = sim.http.get("/crm/v3/properties/companies/tier").json()
    assert fetched["options"] == [
        {"label": "Retail", "value": "RETAIL", "displayOrder": 0, "hidden": False}
    ]

    refused = sim.http.patch(
        f"/crm/v3/objects/companies/{company.json()['id']}", json={"properties": {"tier": "TRADE"}}
    )
    assert refused.status_code == 400
    body = refused.json()
    assert body["category"] == "VALIDATION_ERROR"
    message = 'TRADE was not one of the allowed options: [label: "Retail"\nvalue: "RETAIL"\n]'
    prefix = "Property values were not valid: "
    assert body["message"].startswith(prefix)
    [item] = json.loads(body["message"][len(prefix) :])
    assert item == {
        "isValid": False,
        "message": message,
        "error": "INVALID_OPTION",
        "name": "tier",
        "localizedErrorMessage": message,
        "portalId": item["portalId"],
    }
    assert body["errors"] == [
        {"message": message, "code": "INVALID_OPTION", "context": {"propertyName": ["tier"]}}
    ]


def test_a_flag_sent_as_text_is_read_as_hubspot_reads_it(sim: Any) -> None:
    """Reference 6 [assumed]: a definition's flags are booleans; "false" as text is false (it
    was read as true, making a unique property), and what is no boolean is refused."""
    made = sim.http.post(
        "/crm/v3/properties/companies",
        json=_prop("t1", hasUniqueValue="false", hidden="TRUE", formField=0),
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["hasUniqueValue"], body["hidden"], body["formField"]) == (False, True, False)
    refused = sim.http.post("/crm/v3/properties/companies", json=_prop("t2", hasUniqueValue="yes"))
    assert refused.status_code == 400
    assert refused.json()["category"] == "VALIDATION_ERROR"
    assert 'from String "yes"' in refused.json()["message"]
    assert "hasUniqueValue" in refused.json()["message"]
    again = sim.http.patch("/crm/v3/properties/companies/t1", json={"hasUniqueValue": "false"})
    assert again.status_code == 200, again.text  # unchanged, so allowed
    listed = sim.http.post(
        "/crm/v3/properties/companies",
        json=_prop(
            "t3",
            type="enumeration",
            fieldType="select",
            options=[{"label": "A", "value": "a", "hidden": "false"}],
        ),
    )
    assert listed.status_code == 201, listed.text
    assert listed.json()["options"][0]["hidden"] is False
