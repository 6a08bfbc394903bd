"""Postings, allocation, period buckets and heat rules through real HTTP (reference 9.3, 10)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.sims.accredo.conftest import Sim


def new_customer(api: httpx.Client, code: str = "FRESH", **extra: Any) -> dict[str, Any]:
    r = api.post("/ARCustomer", json={"CustomerCode": code, "CustomerName": "Fresh Ltd", **extra})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def post(sim: Sim, kind: str, code: str, amount: float, **extra: Any) -> list[dict[str, Any]]:
    r = sim.http.post(
        f"/_sim/post/{kind}", json={"items": [{"CustomerCode": code, "Amount": amount, **extra}]}
    )
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["transactions"]
    return rows


def customer(api: httpx.Client, code: str) -> dict[str, Any]:
    body: dict[str, Any] = api.get(f"/ARCustomer('{code}')").json()
    return body


def all_deltas(api: httpx.Client) -> list[tuple[str, str, str]]:
    rows = api.get("/TABLE_ARDELTA", params={"$orderby": "DeltaID"}).json()["value"]
    return [(d["AccountFile"], d["AccountCode"], d["ChangeType"]) for d in rows]


def test_invoice_receipt_allocation_and_statistics(sim: Sim, api: httpx.Client) -> None:
    new_customer(api)  # 20th of the month following (group TRADE)
    inv1 = post(sim, "invoices", "FRESH", 115, TransactionDate="2025-05-10")[0]
    inv2 = post(sim, "invoices", "FRESH", 230, TransactionDate="2025-06-02")[0]
    assert inv1["DueDate"] == "2025-06-20" and inv2["DueDate"] == "2025-07-20"
    assert inv1["TransactionType"] == "I" and inv1["NetAmount"] == 100 and inv1["GstIncluded"] == 15
    c = customer(api, "FRESH")
    assert c["BalanceTotal"] == 345 and c["Balance1"] == 115 and c["BalanceCurrent"] == 230
    assert c["DateOfLastSale"] == "2025-06-02" and c["SalesPeriodToDate"] == 200
    rcpt = post(sim, "receipts", "FRESH", 150)[0]
    assert rcpt["TransactionType"] == "R" and rcpt["UnallocatedAmount"] == 0
    t1 = api.get(f"/ARTransaction({inv1['TransactionID']})").json()
    t2 = api.get(f"/ARTransaction({inv2['TransactionID']})").json()
    assert t1["UnallocatedAmount"] == 0 and t1["DateFullyPaid"] == "2025-06-30"  # oldest first
    assert t2["UnallocatedAmount"] == 195 and t2["DateFullyPaid"] is None
    c = customer(api, "FRESH")
    assert c["BalanceTotal"] == 195 and c["Balance1"] == 0 and c["BalanceCurrent"] == 195
    assert c["DateOfLastReceipt"] == "2025-06-30" and c["AmountOfLastReceipt"] == 150
    assert c["NumberOfInvoicesPaid"] == 1 and c["TotalDaysToPay"] == 51
    assert c["AverageDaysToPay"] == 51
    allocs = api.get("/ARAllocation", params={"$filter": "CustomerCode eq 'FRESH'"}).json()["value"]
    assert [(a["DebitTransactionID"], a["CreditTransactionID"], a["Amount"]) for a in allocs] == [
        (inv1["TransactionID"], rcpt["TransactionID"], 115),
        (inv2["TransactionID"], rcpt["TransactionID"], 35),
    ]
    credit = post(sim, "credits", "FRESH", 23)[0]
    assert credit["TransactionType"] == "C"
    assert customer(api, "FRESH")["BalanceTotal"] == 172
    open_items = api.get(
        "/ARTransactionList",
        params={"$filter": "CustomerCode eq 'FRESH' and UnallocatedAmount ne 0"},
    ).json()["value"]
    assert [(t["TransactionID"], t["DebitAmount"]) for t in open_items] == [
        (inv2["TransactionID"], 230)
    ]


def test_month_end_rolls_the_buckets(sim: Sim, api: httpx.Client) -> None:
    new_customer(api)
    post(sim, "invoices", "FRESH", 100)
    assert customer(api, "FRESH")["BalanceCurrent"] == 100
    r = sim.http.post("/_sim/clock/advance", json={"days": 1})
    assert r.json() == {"date": "2025-07-01"}
    assert sim.http.get("/_sim/clock").json() == {"date": "2025-07-01"}
    c = customer(api, "FRESH")
    assert c["BalanceCurrent"] == 0 and c["Balance1"] == 100 and c["BalanceTotal"] == 100
    sim.http.post("/_sim/clock/advance", json={"days": 92})
    c = customer(api, "FRESH")
    assert c["Balance3"] == 100 and c["Balance1"] == 0
    # overdue is not a bucket: it comes from the open transaction's due date
    txn = api.get("/ARTransaction", params={"$filter": "CustomerCode eq 'FRESH'"}).json()["value"][
        0
    ]
    assert txn["DueDate"] == "2025-07-20"


def test_seeded_open_invoices_span_the_buckets(api: httpx.Client) -> None:
    for bucket in ("BalanceCurrent", "Balance1", "Balance2", "Balance3"):
        r = api.get(
            "/ARCustomer", params={"$filter": f"{bucket} gt 0", "$count": "true", "$top": "0"}
        )
        assert r.json()["@odata.count"] > 0, bucket
    r = api.get(
        "/ARTransaction",
        params={"$filter": "TransactionType eq 'I' and UnallocatedAmount eq 0", "$top": "1"},
    )
    assert r.json()["value"][0]["DateFullyPaid"]
    due = {
        t["DueDate"][8:]
        for t in api.get(
            "/ARTransaction",
            params={"$filter": "TransactionType eq 'I'", "$top": "300", "$select": "DueDate"},
        ).json()["value"]
    }
    assert "20" in due and len(due) > 5  # 20th-of-the-month terms and day-count terms


def test_heat_limit_2_posting_is_not_an_arcust_update(sim: Sim, api: httpx.Client) -> None:
    new_customer(api)
    before = customer(api, "FRESH")
    start = len(all_deltas(api))
    inv = post(sim, "invoices", "FRESH", 100)[0]
    rc = post(sim, "receipts", "FRESH", 100)[0]
    after = customer(api, "FRESH")
    assert after["RecordRevision"] > before["RecordRevision"]
    assert after["EditRevision"] == before["EditRevision"]
    new = all_deltas(api)[start:]
    assert ("ARCUST", "FRESH", "U") not in new
    assert ("ARTRAN", str(inv["TransactionID"]), "A") in new
    assert ("ARTRAN", str(rc["TransactionID"]), "A") in new
    assert ("ARALLOC", next(a for f, a, t in new if f == "ARALLOC"), "A") in new
    assert not [d for d in new if d[0] == "ARTRAN" and d[2] == "U"]  # allocation updates too hot
    ins = api.get("/TABLE_INDELTA").json()["value"]
    assert any(d["AccountFile"] == "INHEAD" and d["ChangeType"] == "A" for d in ins)
    ids = [d["DeltaID"] for d in api.get("/TABLE_ARDELTA").json()["value"]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_heat_limit_9_logs_balance_updates(sim: Sim, api: httpx.Client) -> None:
    r = sim.http.put(
        "/_sim/tracking",
        json={
            "tables": {
                "ARCUST": {"heat_limit": 9, "fields": ["BalanceTotal"]},
                "ARTRAN": {"heat_limit": 9},
            }
        },
    )
    assert r.status_code == 200 and r.json()["tables"]["ARCUST"]["heat_limit"] == 9
    new_customer(api)
    start = len(all_deltas(api))
    post(sim, "invoices", "FRESH", 100)
    new = all_deltas(api)[start:]
    assert ("ARCUST", "FRESH", "U") in new
    row = [d for d in api.get("/TABLE_ARDELTA").json()["value"] if d["AccountFile"] == "ARCUST"][-1]
    assert row["ChangeHeat"] == 6 and row["CreatedUserCode"] == "SIM"
    lines = api.get("/TABLE_ARDTFLD", params={"$filter": f"DeltaID eq {row['DeltaID']}"}).json()[
        "value"
    ]
    assert [(x["Name"], x["OldValue"], x["NewValue"]) for x in lines] == [("BalanceTotal", 0, 100)]
    # untracking a table stops its rows; a limit below a tracked field's heat is refused
    bad = sim.http.put(
        "/_sim/tracking", json={"tables": {"ARCUST": {"heat_limit": 2, "fields": ["BalanceTotal"]}}}
    )
    assert bad.status_code == 400
    sim.http.put("/_sim/tracking", json={"tables": {"ARTRAN": None}})
    start = len(all_deltas(api))
    post(sim, "invoices", "FRESH", 5)
    assert not [d for d in all_deltas(api)[start:] if d[0] == "ARTRAN"]


def test_sim_customer_edit_is_a_user_edit(sim: Sim, api: httpx.Client) -> None:
    new_customer(api)
    r = sim.http.patch("/_sim/customers/FRESH", json={"StopCredit": True, "CreditLimit": 900})
    assert r.status_code == 200 and r.json()["StopCredit"] is True
    assert r.json()["@odata.etag"] == "2/2" and r.json()["ModifiedUserCode"] == "SIM"
    row = api.get(
        "/TABLE_ARDELTA", params={"$filter": "AccountCode eq 'FRESH' and ChangeType eq 'U'"}
    )
    d = row.json()["value"][-1]
    assert d["CreatedUserCode"] == "SIM" and d["ChangeHeat"] == 2
    names = {
        x["Name"]
        for x in api.get("/TABLE_ARDTFLD", params={"$filter": f"DeltaID eq {d['DeltaID']}"}).json()[
            "value"
        ]
    }
    assert names == {"StopCredit", "CreditLimit"}
    bad = sim.http.patch("/_sim/customers/FRESH", json={"Comment": "Ōpōtiki"})
    assert bad.status_code == 400 and bad.json()["error"]["target"] == "Comment"
    created = sim.http.post(
        "/_sim/customers", json={"CustomerCode": "WALKIN", "CustomerName": "Walk-in"}
    )
    assert created.status_code == 200 and created.json()["CreatedUserCode"] == "SIM"
    # stop credit blocks a new order through the API
    r = api.post("/OEOrder", json={"CustomerCode": "FRESH", "Line": []})
    assert r.status_code == 400 and r.json()["error"]["target"] == "CustomerCode"


def test_receipt_posted_through_the_api_is_allocated(sim: Sim, api: httpx.Client) -> None:
    new_customer(api)
    post(sim, "invoices", "FRESH", 115)
    r = api.post(
        "/ARTransaction",
        json={
            "CustomerCode": "FRESH",
            "TransactionType": "R",
            "NetAmount": 115,
            "Reference": "DC FRESH",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["UnallocatedAmount"] == 0 and r.json()["TransactionAmount"] == 115
    assert customer(api, "FRESH")["BalanceTotal"] == 0
    new = all_deltas(api)
    assert new[-1][0] == "ARALLOC" and new[-2] == ("ARTRAN", str(r.json()["TransactionID"]), "A")
    assert (
        api.post(
            "/ARTransaction", json={"CustomerCode": "FRESH", "TransactionType": "X", "NetAmount": 1}
        ).status_code
        == 400
    )


def test_receipt_can_clear_stop_credit_when_the_setting_is_on(sim: Sim, api: httpx.Client) -> None:
    new_customer(api)
    post(sim, "invoices", "FRESH", 50)
    sim.http.patch("/_sim/customers/fresh", json={"StopCredit": True})
    post(sim, "receipts", "FRESH", 50)
    assert customer(api, "FRESH")["StopCredit"] is True  # off by default
    sim.state.config.auto_clear_stop_credit = True
    try:
        post(sim, "invoices", "FRESH", 80)
        post(sim, "receipts", "FRESH", 30)
        assert customer(api, "FRESH")["StopCredit"] is True  # balance not yet paid
        post(sim, "receipts", "FRESH", 50)
        assert customer(api, "FRESH")["StopCredit"] is False
    finally:
        sim.state.config.auto_clear_stop_credit = False


def test_metadata_levels(api: httpx.Client) -> None:
    none = api.get("/ARSalesPerson", headers={"format": "odata.metadata=none"}).json()
    assert "@odata.context" not in none and "@odata.etag" not in none["value"][0]
    full = api.get(
        "/ARSalesPerson", params={"$format": "application/json;odata.metadata=full", "$top": "1"}
    ).json()
    row = full["value"][0]
    assert row["@odata.id"].endswith(f"/ARSalesPerson('{row['SalesPersonCode']}')")
    assert row["@odata.etag"] == f"{row['EditRevision']}/{row['RecordRevision']}"
