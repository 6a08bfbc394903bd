"""Contract tests: every simulator body for the entities in scope validates against the spec.

The schemas come from ``tests/fixtures/accredo-openapi-subset.json`` (Accredo's published
OpenAPI description, v7.0.13.109). Per reference 13 the checks allow ``@odata.*`` annotations,
``{Nav}@odata.context`` and ``Z_`` fields, dates/times that are null, and require every coded
field (``maxLength`` 1 with an ``enum`` of labels) to hold a single code from that list.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from tests.sims.accredo.conftest import Sim

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "accredo-openapi-subset.json"
CODE_EXCEPTIONS = {("PrintStatus", "Packing Slip"): "K"}  # reference 3.3


@cache
def spec() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text("utf-8"))
    return data


def is_date(name: str) -> bool:
    return "Date" in name or name.endswith("Time")


def schema_for(def_name: str) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for name, p in spec()["definitions"][def_name]["properties"].items():
        if "$ref" in p:
            props[name] = schema_for(p["$ref"].rsplit("/", 1)[-1])
            continue
        q = {k: v for k, v in p.items() if k in ("type", "maxLength", "items")}
        if "items" in q and "$ref" in q["items"]:
            q["items"] = schema_for(q["items"]["$ref"].rsplit("/", 1)[-1])
        if q.get("type") == "object":  # DTFLD Old/NewValue: a simple value (reference 9.2)
            q = {"type": ["string", "number", "boolean", "null"], "maxLength": 120}
        elif q.get("type") == "string" and is_date(name):
            q["type"] = ["string", "null"]
        props[name] = q
    return {
        "type": "object",
        "properties": props,
        "patternProperties": {r"^@odata\.": {}, r"^[A-Za-z]+@odata\.context$": {}, r"^Z_": {}},
        "additionalProperties": False,
    }


@cache
def codes_of(def_name: str) -> dict[str, list[str]]:
    out = {}
    for name, p in spec()["definitions"][def_name]["properties"].items():
        if "enum" in p and p.get("maxLength") == 1:
            out[name] = [CODE_EXCEPTIONS.get((name, lab), lab[0]) for lab in p["enum"]]
    return out


@cache
def validator(def_name: str) -> Any:
    schema = schema_for(def_name)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def check(def_name: str, body: dict[str, Any]) -> None:
    validator(def_name).validate(body)
    for name, codes in codes_of(def_name).items():
        if name in body and len(set(codes)) == len(codes):
            assert body[name] in codes, f"{def_name}.{name} = {body[name]!r} is not a code"
    for nav, p in spec()["definitions"][def_name]["properties"].items():
        if p.get("type") == "array" and "$ref" in p["items"] and isinstance(body.get(nav), list):
            item_def = p["items"]["$ref"].rsplit("/", 1)[-1]
            for item in body[nav]:
                check(item_def, item)


EXPANDS = {
    "ARMemo": "Memo",
    "ARCustomer": "Contact,DeliveryAddress,Link",
    "ARTransaction": "Dissection,Banking,Link",
    "INInvoice": "Line,Charge,Link,Ship,Banking",
    "OEOrder": "Line,Charge,Link,Ship,Banking",
}
ENTITIES = [
    "ARCustomer",
    "ARCustomerList",
    "ARContact",
    "ARCustomerGroup",
    "ARSalesPerson",
    "ARTransaction",
    "ARTransactionList",
    "INInvoice",
    "INInvoiceList",
    "OEOrder",
    "OEOrderList",
    "TABLE_COPRICE",
    "ARAllocation",
    "ARMemo",
    "TABLE_ARDELTA",
    "TABLE_ARDTFLD",
    "TABLE_INDELTA",
    "TABLE_INDTFLD",
    "TABLE_OEDELTA",
    "TABLE_OEDTFLD",
]


def make_changes(sim: Sim, api: httpx.Client) -> None:
    """Fill the delta tables of all three modules."""
    code = api.get("/ARCustomer", params={"$top": "1"}).json()["value"][0]["CustomerCode"]
    sim.http.patch(f"/_sim/customers/{code}", json={"CreditLimit": 1234, "StopCredit": True})
    sim.http.patch(f"/_sim/customers/{code}", json={"StopCredit": False})
    r = sim.http.post(
        "/_sim/post/invoices", json={"items": [{"CustomerCode": code, "Amount": 230}]}
    )
    assert r.status_code == 200
    sim.state.set_tracking({"tables": {"INHEAD": {"heat_limit": 9, "fields": ["PrintStatus"]}}})
    sim.state.set_tracking({"tables": {"OEHEAD": {"heat_limit": 9, "fields": ["OrderNo"]}}})
    order = api.post(
        "/OEOrder",
        json={
            "CustomerCode": code,
            "OrderNo": "PO-1",
            "Line": [{"ProductCode": "PAINT-WB-4L", "QuantityOrdered": 2, "SellingPrice": 89}],
        },
    ).json()
    api.patch(
        f"/OEOrder({order['DocumentID']})",
        json={"OrderNo": "PO-2"},
        headers={"If-Match": order["@odata.etag"]},
    )
    with sim.state.writing():  # an IN header update with a tracked field
        doc_id = sim.state.tables["INInvoice"].keys[0]
        doc = sim.state.tables["INInvoice"].rows[doc_id]
        changes = sim.state._apply(
            doc, {"PrintStatus": "P" if doc["PrintStatus"] != "P" else "U"}, {}
        )
        sim.state.log("INHEAD", doc_id, "U", changes, "SIM")


@pytest.mark.parametrize("entity", ENTITIES)
def test_collection_and_single_bodies_match_the_spec(
    sim: Sim, api: httpx.Client, entity: str
) -> None:
    make_changes(sim, api)
    params = {"$top": "25"}
    if entity in EXPANDS:
        params["$expand"] = EXPANDS[entity]
    r = api.get(f"/{entity}", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["@odata.context"].endswith(f"$metadata#{entity}")
    rows = body["value"]
    assert rows, f"{entity} returned no rows"
    for row in rows:
        check(entity, row)
    if not entity.endswith("DTFLD"):
        key = sim.state.entities[entity].key
        k = rows[0][key]
        path = f"/{entity}({k})" if isinstance(k, int) else f"/{entity}('{k}')"
        single = api.get(path, params={"$expand": EXPANDS[entity]} if entity in EXPANDS else {})
        assert single.status_code == 200, single.text
        sbody = single.json()
        assert sbody["@odata.context"].endswith(f"$metadata#{entity}/$entity")
        check(entity, sbody)


def test_write_responses_match_the_spec(sim: Sim, api: httpx.Client) -> None:
    created = api.post(
        "/ARCustomer",
        json={
            "CustomerCode": "NEWCO1",
            "CustomerName": "Ōtāhuhu Kōwhai Trust",
            "EmailAddress": "accounts@kowhai.org.nz",
            "Z_HubSpotID": "123456",
            "Contact": [{"FirstName": "Mere", "LastName": "O'Brien", "Role": "Trustee"}],
            "DeliveryAddress": [{"DeliveryCode": "MAIN", "DeliveryAddress1": "1 Tūī Street"}],
        },
    )
    assert created.status_code == 200, created.text
    check("ARCustomer", created.json())
    assert created.json()["Z_HubSpotID"] == "123456"
    patched = api.patch(
        "/ARCustomer('NEWCO1')",
        json={"CreditLimit": 5000},
        headers={"If-Match": created.json()["@odata.etag"]},
    )
    check("ARCustomer", patched.json())
    contact = api.post("/ARContact", json={"CustomerCode": "NEWCO1", "FirstName": "Tama"})
    check("ARContact", contact.json())
    txn = api.post(
        "/ARTransaction",
        json={"CustomerCode": "NEWCO1", "TransactionType": "I", "NetAmount": 100},
    )
    check("ARTransaction", txn.json())
    full = api.get("/ARCustomer('NEWCO1')", headers={"format": "odata.metadata=full"}).json()
    check("ARCustomer", full)
    assert full["@odata.editLink"].endswith("/ARCustomer('NEWCO1')")
    r = api.get("/TABLE_ARADDR(1)")
    assert r.status_code == 200 and r.json()["CustomerCode"]
