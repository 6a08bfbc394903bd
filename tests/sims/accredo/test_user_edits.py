"""What an Accredo user does at the screens, through ``/_sim/``: contacts (orders and price lists
below).

Each change is validated like the API entity and logged in change tracking under the acting
user, which is not the connector's (reference 9.4: ``SIM`` for ``/_sim/`` actions).
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.sims.accredo.conftest import Sim
from tests.sims.accredo.test_contract import check
from tests.sims.accredo.test_writes import first_customer as first_record


def first_customer(api: httpx.Client) -> str:
    code: str = first_record(api)["CustomerCode"]
    return code


def deltas(api: httpx.Client, table: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = api.get(f"/TABLE_{table}DELTA").json()["value"]
    return rows


def test_a_user_adds_a_contact(sim: Sim, api: httpx.Client) -> None:
    code = first_customer(api)
    r = sim.http.post(
        "/_sim/contacts",
        json={
            "CustomerCode": code.lower(),
            "FirstName": "Mōhi",
            "LastName": "Te Whata",
            "EmailAddress": "mohi@tewhata.co.nz",
            "Role": "Buyer",
            "ContactID": 1,
        },
    )
    assert r.status_code == 200, r.text
    made = r.json()
    check("ARContact", made)
    assert made["ContactID"] != 1 and made["CustomerCode"] == code
    assert made["FullName"] == "Mōhi Te Whata" and made["LastNameFirstName"] == "Te Whata, Mōhi"
    read = api.get(f"/ARContact({made['ContactID']})").json()
    assert read["EmailAddress"] == "mohi@tewhata.co.nz"
    assert read["@odata.etag"] == made["@odata.etag"]
    me = api.get("/User").json()["LoginUserCode"]
    [row] = [d for d in deltas(api, "AR") if d["AccountFile"] == "ARCONTCT"]
    assert (row["AccountCode"], row["ChangeType"]) == (str(made["ContactID"]), "A")
    assert row["CreatedUserCode"] == "SIM" != me


def test_a_user_edits_a_contact(sim: Sim, api: httpx.Client) -> None:
    contact = api.get("/ARContact(1)").json()
    r = sim.http.patch("/_sim/contacts/1", json={"Role": "Site Foreman", "LastName": "Parata"})
    assert r.status_code == 200, r.text
    body = r.json()
    check("ARContact", body)
    assert body["Role"] == "Site Foreman" and body["FullName"] == "Noah Parata"
    assert body["@odata.etag"] != contact["@odata.etag"]
    stale = api.patch(
        "/ARContact(1)", json={"Role": "Owner"}, headers={"If-Match": contact["@odata.etag"]}
    )
    assert stale.status_code == 412
    [row] = deltas(api, "AR")
    assert (row["AccountFile"], row["AccountCode"], row["ChangeType"]) == ("ARCONTCT", "1", "U")
    assert row["CreatedUserCode"] == "SIM"


def test_contact_edits_are_validated_like_the_entity(sim: Sim, api: httpx.Client) -> None:
    code = first_customer(api)
    bad: list[tuple[dict[str, Any], str]] = [
        ({"FirstName": "A" * 21}, "FirstName"),
        ({"Role": "x" * 36}, "Role"),
        ({"EmailAddress": "mōhi@tewhata.co.nz"}, "EmailAddress"),
        ({"Comment": "Kōwhai"}, "Comment"),
        ({"PhoneNo": 21234567}, "PhoneNo"),
        ({"Nickname": "Mo"}, "Nickname"),
    ]
    for fields, target in bad:
        r = sim.http.post("/_sim/contacts", json={"CustomerCode": code, **fields})
        assert r.status_code == 400, fields
        assert r.json()["error"]["target"] == target
        r = sim.http.patch("/_sim/contacts/1", json=fields)
        assert r.status_code == 400 and r.json()["error"]["target"] == target
    r = sim.http.post("/_sim/contacts", json={"CustomerCode": "NOSUCH", "FirstName": "X"})
    assert r.status_code == 400 and r.json()["error"]["target"] == "CustomerCode"
    assert sim.http.post("/_sim/contacts", json={"FirstName": "X"}).status_code == 400
    assert sim.http.patch("/_sim/contacts/999999", json={"Role": "X"}).status_code == 404
    assert deltas(api, "AR") == []


def test_a_user_enters_an_order(sim: Sim, api: httpx.Client) -> None:
    code = first_customer(api)
    r = sim.http.post(
        "/_sim/orders",
        json={
            "CustomerCode": code,
            "Lines": [
                {"ProductCode": "paint-wb-4l", "Quantity": 3, "UnitPrice": 89},
                {"ProductCode": "SPECIAL-1", "Quantity": 1.5, "UnitPrice": 10},
            ],
        },
    )
    assert r.status_code == 200, r.text
    order = r.json()
    doc_id = order["DocumentID"]
    assert isinstance(doc_id, int) and order["CustomerCode"] == code
    assert order["ExclusiveAmountOrdered"] == 282.0 and len(order["Line"]) == 2
    stored = api.get(f"/OEOrder({doc_id})", params={"$expand": "Line"}).json()
    check("OEOrder", stored)
    assert stored["@odata.etag"] == order["@odata.etag"]
    assert stored["CreatedUserCode"] == "SIM" and stored["PostStatus"] == "O"
    first, second = stored["Line"]
    assert (first["ProductCode"], first["QuantityOrdered"], first["SellingPrice"]) == (
        "PAINT-WB-4L",
        3,
        89,
    )
    assert first["Description"] and second["ExclusiveAmountOrdered"] == 15.0
    listed = api.get("/OEOrderList", params={"$filter": f"DocumentID eq {doc_id}"}).json()
    assert listed["value"][0]["GrossAmountOrdered"] == stored["GrossAmountOrdered"]
    line_ids = {str(ln["LineID"]) for ln in stored["Line"]}
    changes = deltas(api, "OE")
    assert [(d["AccountFile"], d["AccountCode"], d["ChangeType"]) for d in changes] == [
        ("OEHEAD", str(doc_id), "A"),
        *[("OELINE", lid, "A") for lid in sorted(line_ids, key=int)],
    ]
    assert {d["CreatedUserCode"] for d in changes} == {"SIM"}
    raw = api.get("/TABLE_OELINE", params={"$filter": f"DocumentID eq {doc_id}"}).json()
    assert {str(ln["LineID"]) for ln in raw["value"]} == line_ids


def test_order_entry_is_validated(sim: Sim, api: httpx.Client) -> None:
    code = first_customer(api)
    line = {"ProductCode": "PAINT-WB-4L", "Quantity": 1, "UnitPrice": 89}
    bad: list[tuple[dict[str, Any], str]] = [
        ({"CustomerCode": code, "Lines": []}, "Lines"),
        ({"CustomerCode": code}, "Lines"),
        ({"CustomerCode": "NOSUCH", "Lines": [line]}, "CustomerCode"),
        ({"Lines": [line]}, "CustomerCode"),
        ({"CustomerCode": code, "Lines": [{**line, "Quantity": 0}]}, "Lines[0]/Quantity"),
        ({"CustomerCode": code, "Lines": [{**line, "UnitPrice": "89"}]}, "Lines[0]/UnitPrice"),
        ({"CustomerCode": code, "Lines": [{**line, "Colour": "red"}]}, "Lines[0]"),
        ({"CustomerCode": code, "Lines": [{**line, "ProductCode": "P" * 29}]}, "ProductCode"),
        ({"CustomerCode": code, "Lines": [{"Quantity": 1, "UnitPrice": 1}]}, "ProductCode"),
    ]
    for body, target in bad:
        r = sim.http.post("/_sim/orders", json=body)
        assert r.status_code == 400, body
        assert r.json()["error"]["target"].endswith(target), (body, r.json())
    sim.http.patch(f"/_sim/customers/{code}", json={"StopCredit": True})
    r = sim.http.post("/_sim/orders", json={"CustomerCode": code, "Lines": [line]})
    assert r.status_code == 400 and r.json()["error"]["target"] == "CustomerCode"
    assert [d for d in deltas(api, "OE")] == []


def test_a_user_adds_a_price_list_the_api_only_reads(sim: Sim, api: httpx.Client) -> None:
    body = {"PriceCode": "vip", "PriceListName": "VIP customers", "PriceListGstBasis": "E"}
    r = sim.http.post("/_sim/price-lists", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["PriceCode"] == "VIP"
    stored = api.get("/TABLE_COPRICE('VIP')").json()
    check("TABLE_COPRICE", stored)
    assert stored["PriceListName"] == "VIP customers"
    code = first_customer(api)
    assert sim.http.patch(f"/_sim/customers/{code}", json={"PriceCode": "VIP"}).status_code == 200
    assert sim.http.post("/_sim/price-lists", json=body).status_code == 409
    bad = [
        ({"PriceCode": "WHOLE", "PriceListGstBasis": "E"}, "PriceListName"),
        ({**body, "PriceCode": "TOOLONGCODE"}, "PriceCode"),
        ({**body, "PriceCode": "NEW", "PriceListGstBasis": "Exclusive"}, "PriceListGstBasis"),
    ]
    for wrong, target in bad:
        r = sim.http.post("/_sim/price-lists", json=wrong)
        assert r.status_code == 400, wrong
        assert r.json()["error"]["target"] == target, (wrong, r.json())
    refused = api.post("/TABLE_COPRICE", json={**body, "PriceCode": "API"})
    assert refused.status_code == 405
