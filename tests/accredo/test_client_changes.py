"""The change feed across postings and edits (reference §9.3, §9.4)."""

from __future__ import annotations

from decimal import Decimal

from accredo_hubspot.accredo import AccredoClient, F

from .conftest import RecordingTransport, Sim


async def _two_customers_with_open_invoices(client: AccredoClient) -> list[str]:
    codes = [c.CustomerCode async for c in client.iter_customers(page_size=100)]
    with_invoices = {t.CustomerCode for t in await client.open_transactions(codes)}
    return [c for c in codes if c in with_invoices][:2]


async def test_a_receipt_is_followed_to_its_customer(fresh_sim: Sim) -> None:
    recorder = RecordingTransport()
    async with fresh_sim.client(transport=recorder) as client:
        first, second = await _two_customers_with_open_invoices(client)
        cursors = await client.latest_delta_ids()
        assert set(cursors) == {"ARDELTA", "INDELTA", "OEDELTA"}
        assert (await client.poll_changes(cursors)).rows_seen == 0

        fresh_sim.control(
            "POST",
            "/_sim/post/receipts",
            {
                "items": [
                    {"CustomerCode": second, "Amount": 10},
                    {"CustomerCode": first, "Amount": 5},
                ]
            },
        )
        recorder.exchanges.clear()
        batch = await client.poll_changes(cursors)

        assert batch.customer_codes == [second, first]
        assert batch.rows_seen >= 2
        assert batch.cursors["ARDELTA"] > cursors["ARDELTA"]
        assert batch.unresolved == []
        # the ARTRAN/ARALLOC rows were looked up by key lists, not one GET per row
        lookups = [e for e in recorder.data_requests() if "/ARTransaction" in e.url]
        assert len(lookups) == 1

        again = await client.poll_changes(batch.cursors)
        assert again.rows_seen == 0 and again.customer_codes == []
        assert again.cursors == batch.cursors


async def test_api_writes_show_in_the_feed(fresh_sim: Sim) -> None:
    async with fresh_sim.client() as client:
        customer = await anext(client.iter_customers(page_size=1))
        cursors = await client.latest_delta_ids()
        assert customer.etag
        await client.patch_customer(
            customer.CustomerCode, customer.etag, {"CreditLimit": Decimal(777)}
        )
        receipt = await client.post(
            "ARTransaction",
            {"CustomerCode": customer.CustomerCode, "TransactionType": "R", "NetAmount": 1},
        )
        assert receipt["TransactionID"]
        batch = await client.poll_changes(cursors)
    assert batch.customer_codes == [customer.CustomerCode]
    assert batch.rows_seen >= 2


async def test_deleted_records_are_unresolved(fresh_sim: Sim) -> None:
    async with fresh_sim.client() as client:
        customer = await anext(client.iter_customers(page_size=1))
        contact = await client.post(
            "ARContact",
            {"CustomerCode": customer.CustomerCode, "FirstName": "Mere", "LastName": "Tūhoe"},
        )
        cursors = await client.latest_delta_ids()
        delete = await client._http.delete(  # no client API for DELETE: the connector never deletes
            client.entity_url("ARContact", contact["ContactID"]),
            headers={"Authorization": f"Bearer {await client._tokens.access_token()}"},
        )
        assert delete.is_success
        batch = await client.poll_changes(cursors)
    assert batch.unresolved == [f"ARCONTCT:{contact['ContactID']}"]
    assert batch.customer_codes == []


async def test_with_heat_limit_9_balance_updates_are_logged_and_deduplicated(
    fresh_sim: Sim,
) -> None:
    fresh_sim.control("PUT", "/_sim/tracking", {"tables": {"ARCUST": {"heat_limit": 9}}})
    async with fresh_sim.client() as client:
        code = (await _two_customers_with_open_invoices(client))[0]
        cursors = await client.latest_delta_ids()
        fresh_sim.control(
            "POST", "/_sim/post/invoices", {"items": [{"CustomerCode": code, "Amount": 115}]}
        )
        batch = await client.poll_changes(cursors)
        rows = [
            r
            async for r in client.iter_entities(
                "TABLE_ARDELTA", filter=F("DeltaID").gt(cursors["ARDELTA"])
            )
        ]
    assert {r["AccountFile"] for r in rows} >= {"ARCUST", "ARTRAN"}
    assert batch.customer_codes == [code]


async def test_polls_are_bounded_and_resume_from_the_cursor(fresh_sim: Sim) -> None:
    async with fresh_sim.client() as client:
        codes = [c.CustomerCode async for c in client.iter_customers(page_size=100)][:3]
        cursors = await client.latest_delta_ids()
        for code in codes:
            fresh_sim.control(
                "POST", "/_sim/post/invoices", {"items": [{"CustomerCode": code, "Amount": 10}]}
            )
        first = await client.poll_changes(cursors)
        assert first.customer_codes == codes
        assert (await client.poll_changes(first.cursors)).rows_seen == 0
        from_start = await client.poll_changes({"ARDELTA": 0, "INDELTA": 0, "OEDELTA": 0})
    assert from_start.rows_seen <= 3 * 1000


async def test_field_lines_give_old_and_new_values(fresh_sim: Sim) -> None:
    async with fresh_sim.client() as client:
        customer = await anext(client.iter_customers(page_size=1))
        assert customer.etag
        cursors = await client.latest_delta_ids()
        await client.patch_customer(
            customer.CustomerCode, customer.etag, {"CreditLimit": Decimal("4321.5")}
        )
        latest = await client.latest_delta_ids()
        lines = await client.delta_fields("ARDELTA", cursors["ARDELTA"] + 1, latest["ARDELTA"])
    credit = [line for line in lines if line.Name == "CreditLimit"]
    assert len(credit) == 1
    assert Decimal(str(credit[0].NewValue)) == Decimal("4321.5")
    assert Decimal(str(credit[0].OldValue)) == customer.CreditLimit
