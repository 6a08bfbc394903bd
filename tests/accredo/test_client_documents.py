"""The client's reads for invoices: Accredo's business date, and AR invoices still owing or
recently paid, against the simulator over HTTP."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tests.accredo.conftest import Sim


async def test_system_date_follows_the_simulator_clock(fresh_sim: Sim) -> None:
    async with fresh_sim.client() as accredo:
        before = await accredo.system_date()
        fresh_sim.control("POST", "/_sim/clock/advance", {"days": 3})
        assert await accredo.system_date() == before + timedelta(days=3)


async def test_invoices_owing_and_paid_since_with_base_amounts(fresh_sim: Sim) -> None:
    async with fresh_sim.client() as accredo:
        today = await accredo.system_date()
        invoices = [i async for i in accredo.iter_invoices(paid_since=today)]
        assert invoices, "the seeded company has open invoices"
        assert all(i.TransactionType == "I" for i in invoices)
        assert all(i.UnallocatedAmount != 0 for i in invoices)
        ids = [i.TransactionID for i in invoices]
        assert ids == sorted(ids)
        nzd = [i for i in invoices if i.CurrencyCode == "NZD"]
        assert nzd and all(i.TransactionAmountBs == i.TransactionAmount for i in nzd)
        code = invoices[0].CustomerCode
        owed = sum((i.UnallocatedAmount or Decimal(0)) for i in invoices if i.CustomerCode == code)
        fresh_sim.control(
            "POST",
            "/_sim/post/receipts",
            {"items": [{"CustomerCode": code, "Amount": float(owed)}]},
        )
        theirs = [i async for i in accredo.iter_invoices_of([code], paid_since=today)]
        assert theirs and all(i.UnallocatedAmount == 0 for i in theirs)
        assert all(i.DateFullyPaid == today for i in theirs)
        later = today + timedelta(days=1)
        assert [i async for i in accredo.iter_invoices_of([code], paid_since=later)] == []
        again = await accredo.get_transactions([str(theirs[0].TransactionID), "999999"])
        assert [t.TransactionID for t in again] == [theirs[0].TransactionID]
