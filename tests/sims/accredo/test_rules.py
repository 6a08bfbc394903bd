"""Business rules of the reference where the simulator was more forgiving than Accredo.

Reference 10.1 (prospects take quotes only; a Bill-To customer's stop credit applies to its
Bill-From customers; codes set only on creation), 10.3 (contacts on active documents, the
primary flag), 10.5 (a due date never before the invoice date; due date and hold amount
editable only while not fully allocated), 3.3 (dates are real dates).
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.sims.accredo.conftest import Sim
from tests.sims.accredo.test_postings import customer
from tests.sims.accredo.test_writes import first_customer

LINE = {"ProductCode": "PAINT-WB-4L", "QuantityOrdered": 1, "SellingPrice": 89}


def target(r: httpx.Response) -> str:
    assert r.status_code == 400, r.text
    name: str = r.json()["error"]["target"]
    return name


def invoice(api: httpx.Client, open_: bool) -> dict[str, Any]:
    op = "ne" if open_ else "eq"
    flt = f"TransactionType eq 'I' and UnallocatedAmount {op} 0"
    body: dict[str, Any] = api.get("/ARTransaction", params={"$filter": flt, "$top": "1"}).json()[
        "value"
    ][0]
    return body


def test_dates_must_be_real(api: httpx.Client) -> None:
    cust = first_customer(api)
    etag = {"If-Match": cust["@odata.etag"]}
    path = f"/ARCustomer('{cust['CustomerCode']}')"
    for bad in ("2025-02-30", "2025-13-01", "2025-00-10"):
        assert target(api.patch(path, json={"Z_LastActivity": bad}, headers=etag)) == (
            "Z_LastActivity"
        )
    memo = {"CustomerCode": cust["CustomerCode"], "Subject": "x"}
    assert target(api.post("/ARMemo", json={**memo, "MemoTime": "25:00:00"})) == "MemoTime"
    assert api.post("/ARMemo", json={**memo, "MemoTime": "23:59:00"}).status_code == 200


def test_a_prospect_gets_no_invoices_or_orders(sim: Sim, api: httpx.Client) -> None:
    code = first_customer(api)["CustomerCode"]
    sim.http.patch(f"/_sim/customers/{code}", json={"CustomerType": "P"})
    r = sim.http.post("/_sim/post/invoices", json={"items": [{"CustomerCode": code, "Amount": 5}]})
    assert target(r) == "CustomerCode"
    line = {"ProductCode": "PAINT-WB-4L", "Quantity": 1, "UnitPrice": 89}
    r = sim.http.post("/_sim/orders", json={"CustomerCode": code, "Lines": [line]})
    assert target(r) == "CustomerCode"
    assert target(api.post("/OEOrder", json={"CustomerCode": code, "Line": [LINE]})) == (
        "CustomerCode"
    )
    r = api.post(
        "/ARTransaction", json={"CustomerCode": code, "TransactionType": "I", "NetAmount": 10}
    )
    assert target(r) == "CustomerCode"
    sim.http.patch(f"/_sim/customers/{code}", json={"CustomerType": "N"})
    assert api.post("/OEOrder", json={"CustomerCode": code, "Line": [LINE]}).status_code == 200


def test_bill_to_stop_credit_stops_the_bill_from_customer(sim: Sim, api: httpx.Client) -> None:
    codes = [
        c["CustomerCode"]
        for c in api.get(
            "/ARCustomer", params={"$filter": "StopCredit eq false", "$top": "2"}
        ).json()["value"]
    ]
    child, payer = codes
    sim.http.patch(f"/_sim/customers/{child}", json={"BillToAccountCode": payer})
    sim.http.patch(f"/_sim/customers/{payer}", json={"StopCredit": True})
    assert target(api.post("/OEOrder", json={"CustomerCode": child, "Line": [LINE]})) == (
        "CustomerCode"
    )
    r = api.post(
        "/ARTransaction", json={"CustomerCode": child, "TransactionType": "I", "NetAmount": 10}
    )
    assert target(r) == "CustomerCode" and payer in r.json()["error"]["message"]
    sim.http.patch(f"/_sim/customers/{payer}", json={"StopCredit": False})
    assert api.post("/OEOrder", json={"CustomerCode": child, "Line": [LINE]}).status_code == 200


def test_due_date_and_hold_rules(api: httpx.Client) -> None:
    txn = invoice(api, open_=True)
    path = f"/ARTransaction({txn['TransactionID']})"
    etag = {"If-Match": txn["@odata.etag"]}
    assert target(api.patch(path, json={"DueDate": "2000-01-01"}, headers=etag)) == "DueDate"
    later = api.patch(path, json={"DueDate": "2025-12-20"}, headers=etag)
    assert later.status_code == 200 and later.json()["DueDate"] == "2025-12-20"
    paid = invoice(api, open_=False)
    path = f"/ARTransaction({paid['TransactionID']})"
    etag = {"If-Match": paid["@odata.etag"]}
    assert target(api.patch(path, json={"DueDate": "2025-12-20"}, headers=etag)) == "DueDate"
    assert target(api.patch(path, json={"HoldAmount": 0}, headers=etag)) == "HoldAmount"
    assert api.patch(path, json={"Comment": "paid"}, headers=etag).status_code == 200
    new_invoice = {"CustomerCode": txn["CustomerCode"], "TransactionType": "I", "NetAmount": 10}
    r = api.post("/ARTransaction", json={**new_invoice, "DueDate": "2025-06-01"})
    assert target(r) == "DueDate"
    # reference 10.5 HoldAmount: never more than the unallocated amount, on POST as on PATCH
    r = api.post("/ARTransaction", json={**new_invoice, "HoldAmount": 50})
    assert target(r) == "HoldAmount"


def test_a_customer_name_cannot_be_blanked(api: httpx.Client) -> None:
    """Reference 6.3: CustomerName (1-60) is required on POST, so neither a PATCH to "" nor a
    PUT that leaves it out may leave a debtor without a name."""
    cust = first_customer(api)
    path = f"/ARCustomer('{cust['CustomerCode']}')"
    etag = {"If-Match": cust["@odata.etag"]}
    assert target(api.patch(path, json={"CustomerName": "  "}, headers=etag)) == "CustomerName"
    assert target(api.put(path, json={"Comment": "no name"}, headers=etag)) == "CustomerName"
    assert api.get(path).json()["CustomerName"] == cust["CustomerName"]


def test_keys_are_set_on_creation_only(api: httpx.Client) -> None:
    cust = first_customer(api)
    code = cust["CustomerCode"]
    etag = {"If-Match": cust["@odata.etag"]}
    r = api.patch(f"/ARCustomer('{code}')", json={"CustomerCode": "RENAMED"}, headers=etag)
    assert target(r) == "CustomerCode"
    same = api.patch(
        f"/ARCustomer('{code}')", json={"CustomerCode": code.lower(), "Comment": "x"}, headers=etag
    )
    assert same.status_code == 200 and same.json()["CustomerCode"] == code
    contact = api.get("/ARContact(1)").json()
    r = api.patch(
        "/ARContact(1)", json={"ContactID": 2}, headers={"If-Match": contact["@odata.etag"]}
    )
    assert target(r) == "ContactID"


def test_contacts_on_active_documents_stay_and_primary_can_be_cleared(
    sim: Sim, api: httpx.Client
) -> None:
    cust = first_customer(api)
    code, primary = cust["CustomerCode"], cust["PrimaryContactID"]
    assert primary
    order = api.post("/OEOrder", json={"CustomerCode": code, "Line": [LINE]}).json()
    assert order["ContactID"] == primary
    refused = api.delete(f"/ARContact({primary})")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "Conflict"
    contact = api.get(f"/ARContact({primary})").json()
    r = api.patch(
        f"/ARContact({primary})",
        json={"IsPrimary": False},
        headers={"If-Match": contact["@odata.etag"]},
    )
    assert r.status_code == 200 and r.json()["PrimaryContact"] is False
    assert customer(api, code)["PrimaryContactID"] == 0
    extra = sim.http.post("/_sim/contacts", json={"CustomerCode": code, "FirstName": "Tama"})
    assert api.delete(f"/ARContact({extra.json()['ContactID']})").status_code == 200


def test_primary_contact_id_names_one_of_the_customers_contacts(
    sim: Sim, api: httpx.Client
) -> None:
    cust = first_customer(api)
    code = cust["CustomerCode"]
    other = api.get("/ARContact", params={"$filter": f"CustomerCode ne '{code}'", "$top": "1"})
    etag = {"If-Match": cust["@odata.etag"]}
    path = f"/ARCustomer('{code}')"
    stranger = other.json()["value"][0]["ContactID"]
    assert target(api.patch(path, json={"PrimaryContactID": stranger}, headers=etag)) == (
        "PrimaryContactID"
    )
    extra = sim.http.post("/_sim/contacts", json={"CustomerCode": code, "FirstName": "Tama"})
    new_id = extra.json()["ContactID"]
    etag = {"If-Match": customer(api, code)["@odata.etag"]}
    r = api.patch(path, json={"PrimaryContactID": new_id}, headers=etag)
    assert r.status_code == 200, r.text
    flags = {
        c["ContactID"]: c["IsPrimary"]
        for c in api.get("/ARContact", params={"$filter": f"CustomerCode eq '{code}'"}).json()[
            "value"
        ]
    }
    assert flags[new_id] is True and sum(flags.values()) == 1
    r = api.post(
        "/ARCustomer",
        json={"CustomerCode": "NEWCO9", "CustomerName": "New", "PrimaryContactID": new_id},
    )
    assert target(r) == "PrimaryContactID"


def test_a_one_time_customer_gets_one_invoice(sim: Sim, api: httpx.Client) -> None:
    made = sim.http.post(
        "/_sim/customers",
        json={"CustomerCode": "ONCE1", "CustomerName": "Hui catering", "CustomerType": "O"},
    )
    assert made.status_code == 200, made.text
    item = {"items": [{"CustomerCode": "ONCE1", "Amount": 50}]}
    assert sim.http.post("/_sim/post/invoices", json=item).status_code == 200
    assert target(sim.http.post("/_sim/post/invoices", json=item)) == "CustomerCode"
    assert sim.http.post("/_sim/post/receipts", json=item).status_code == 200


def test_an_orders_contact_belongs_to_its_customer(api: httpx.Client) -> None:
    cust = first_customer(api)
    code = cust["CustomerCode"]
    other = api.get("/ARContact", params={"$filter": f"CustomerCode ne '{code}'", "$top": "1"})
    stranger = other.json()["value"][0]["ContactID"]
    body = {"CustomerCode": code, "ContactID": stranger, "Line": [LINE]}
    assert target(api.post("/OEOrder", json=body)) == "ContactID"
    order = api.post("/OEOrder", json={**body, "ContactID": cust["PrimaryContactID"]}).json()
    r = api.patch(
        f"/OEOrder({order['DocumentID']})",
        json={"ContactID": stranger},
        headers={"If-Match": order["@odata.etag"]},
    )
    assert target(r) == "ContactID"


def test_filter_dates_must_be_real_and_script_events_are_empty(api: httpx.Client) -> None:
    r = api.get("/ARCustomer", params={"$filter": "DateOfLastSale ge 2025-02-30"})
    assert r.status_code == 400 and "2025-02-30" in r.json()["error"]["message"]
    assert api.get("/ARCustomer", params={"$filter": "DateOfLastSale ge 2025-02-28"}).is_success
    events = api.get("/TABLE_COEVENT")
    assert events.status_code == 200 and events.json()["value"] == []


def test_a_new_sales_person_is_its_own_code(api: httpx.Client) -> None:
    r = api.post(
        "/ARSalesPerson",
        json={
            "SalesPersonCode": "new1",
            "SalesPersonName": "Ngaio Walker",
            "EmailAddress": "n@x.nz",
        },
    )
    assert r.status_code == 200, r.text
    made = r.json()
    assert made["SalesPersonCode"] == "NEW1" and made["EmailAddress"] == "n@x.nz"
    bad = api.patch(
        "/ARSalesPerson('NEW1')",
        json={"EmailAddress": "ngāio@x.nz"},
        headers={"If-Match": made["@odata.etag"]},
    )
    assert target(bad) == "EmailAddress"


def test_a_currency_must_be_set_up(api: httpx.Client) -> None:
    r = api.post(
        "/ARCustomer",
        json={"CustomerCode": "YEN1", "CustomerName": "Tokyo Traders", "CurrencyCode": "JPY"},
    )
    assert target(r) == "CurrencyCode"
    r = api.post(
        "/ARCustomer",
        json={"CustomerCode": "USD1", "CustomerName": "Seattle Supply", "CurrencyCode": "usd"},
    )
    assert r.status_code == 200 and r.json()["CurrencyCode"] == "USD"
