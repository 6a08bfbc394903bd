"""Document lists and base-currency amounts (reference 3.3, 4 "List endpoints", 10.6, 10.7)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sims.accredo.conftest import Sim
from tests.sims.accredo.test_contract import check
from tests.sims.accredo.test_postings import customer


def rows(api: httpx.Client, path: str, **params: str) -> list[dict[str, Any]]:
    r = api.get(path, params=params)
    assert r.status_code == 200, r.text
    out: list[dict[str, Any]] = r.json()["value"]
    return out


def test_order_list_joins_the_customer(sim: Sim, api: httpx.Client) -> None:
    orders = rows(api, "/OEOrderList", **{"$top": "40"})
    assert orders
    for order in orders:
        cust = customer(api, order["CustomerCode"])
        for name in ("CustomerName", "CreditLimit", "StopCredit", "BalanceTotal", "Balance1"):
            assert order[name] == cust[name], name
        assert order["PeriodNo"] == int(order["DocumentDate"][5:7])
    code, name = orders[0]["CustomerCode"], orders[0]["CustomerName"]
    before = orders[0]["BalanceTotal"]
    sim.http.post("/_sim/post/invoices", json={"items": [{"CustomerCode": code, "Amount": 115}]})
    again = rows(
        api, "/OEOrderList", **{"$filter": f"CustomerCode eq '{code}'", "$select": "BalanceTotal"}
    )
    assert again and all(o["BalanceTotal"] == pytest.approx(before + 115) for o in again)
    quoted = name.replace("'", "''")
    by_name = rows(api, "/OEOrderList", **{"$filter": f"CustomerName eq '{quoted}'"})
    assert code in {o["CustomerCode"] for o in by_name}
    assert all(o["CustomerName"] == name for o in by_name)


def test_invoice_list_carries_the_open_amount_of_its_transaction(
    sim: Sim, api: httpx.Client
) -> None:
    open_rows = rows(
        api,
        "/INInvoiceList",
        **{"$filter": "UnallocatedAmount ne 0 and DocumentClass eq 'I'", "$top": "20"},
    )
    assert open_rows
    for inv in open_rows:
        check("INInvoiceList", inv)
        txn = api.get(f"/ARTransaction({inv['ARTransactionID']})").json()
        assert inv["UnallocatedAmount"] == txn["UnallocatedAmount"] != 0
        assert inv["DueDate"] == txn["DueDate"] and inv["FullyAllocated"] is False
        assert inv["DocumentNo"] == txn["Reference"] and inv["CustomerName"]
    inv = open_rows[0]
    code = inv["CustomerCode"]
    owed = customer(api, code)["BalanceTotal"]
    sim.http.post(
        "/_sim/post/receipts", json={"items": [{"CustomerCode": code, "Amount": owed + 1000}]}
    )
    paid = api.get(f"/INInvoiceList({inv['DocumentID']})").json()
    assert paid["UnallocatedAmount"] == 0 and paid["FullyAllocated"] is True
    assert paid["UnallocatedAmountBs"] == 0


def foreign_customer(api: httpx.Client) -> dict[str, Any]:
    found = rows(
        api,
        "/ARCustomer",
        **{"$filter": "CurrencyCode eq 'AUD' and BalanceTotal gt 0", "$top": "1"},
    )
    assert found, "the seed has foreign-currency debtors with a balance"
    return found[0]


def test_base_currency_amounts_on_foreign_and_nzd_rows(sim: Sim, api: httpx.Client) -> None:
    aud = foreign_customer(api)
    code = aud["CustomerCode"]
    flt = {"$filter": f"CustomerCode eq '{code}'"}
    txns = rows(api, "/ARTransaction", **flt)
    assert txns
    rate = txns[0]["ExchangeRate"]
    assert rate not in (0, 1) and all(t["ExchangeRate"] == rate for t in txns)
    for t in txns:
        for name in ("TransactionAmount", "NetAmount", "UnallocatedAmount"):
            assert t[f"{name}Bs"] == pytest.approx(round(t[name] / rate, 2)), name
    listed = rows(api, "/ARTransactionList", **flt)
    assert [t["TransactionAmountBs"] for t in listed] == [t["TransactionAmountBs"] for t in txns]
    for inv in rows(api, "/INInvoice", **flt, **{"$expand": "Line"}):
        assert inv["GrossAmountBs"] == pytest.approx(round(inv["GrossAmount"] / rate, 2))
        for line in inv["Line"]:
            assert line["ExclusiveAmountBs"] == pytest.approx(
                round(line["ExclusiveAmount"] / rate, 2)
            )
    assert aud["BalanceTotalBs"] == pytest.approx(aud["BalanceTotal"] / rate, abs=0.02)
    nzd = rows(api, "/ARTransaction", **{"$filter": "CurrencyCode eq 'NZD'", "$top": "20"})
    assert all(
        t["ExchangeRate"] == 1 and t["TransactionAmountBs"] == t["TransactionAmount"] for t in nzd
    )


def test_new_foreign_documents_get_base_amounts(sim: Sim, api: httpx.Client) -> None:
    code = foreign_customer(api)["CustomerCode"]
    r = sim.http.post(
        "/_sim/post/invoices", json={"items": [{"CustomerCode": code, "Amount": 460}]}
    )
    txn = r.json()["transactions"][0]
    rate = txn["ExchangeRate"]
    assert rate != 1 and txn["TransactionAmountBs"] == round(460 / rate, 2)
    doc = api.get(f"/INInvoice({txn['SourceID']})").json()
    assert doc["GrossAmountBs"] == round(460 / rate, 2) and doc["CurrencyCode"] == "AUD"
    order = api.post(
        "/OEOrder",
        json={
            "CustomerCode": code,
            "Line": [{"ProductCode": "PAINT-WB-4L", "QuantityOrdered": 2, "SellingPrice": 92}],
        },
    ).json()
    assert order["ExclusiveAmountOrderedBs"] == round(184 / rate, 2)
    assert order["GrossAmountOrderedBs"] == round(order["GrossAmountOrdered"] / rate, 2)
    owed = customer(api, code)["BalanceTotal"]
    sim.http.post("/_sim/post/receipts", json={"items": [{"CustomerCode": code, "Amount": owed}]})
    assert api.get(f"/ARTransaction({txn['TransactionID']})").json()["UnallocatedAmountBs"] == 0
    allocs = rows(
        api, "/ARAllocation", **{"$filter": f"DebitTransactionID eq {txn['TransactionID']}"}
    )
    assert allocs and allocs[0]["DebitAmountBs"] == round(allocs[0]["Amount"] / rate, 2)
    assert customer(api, code)["BalanceTotalBs"] == 0
