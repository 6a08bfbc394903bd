"""AccredoClient against the real simulator over loopback HTTP (reference §2, §5, §6, §9)."""

from __future__ import annotations

import asyncio
import logging
import ssl
from decimal import Decimal
from pathlib import Path

import certifi
import httpx
import pytest
import structlog

from accredo_hubspot.accredo import (
    AccredoAuthError,
    AccredoClient,
    AccredoNotFound,
    AccredoValidationError,
    AlreadyExists,
    F,
    PreconditionFailed,
)
from accredo_hubspot.accredo.models import ARCustomer

from .conftest import PASSWORD, RecordingTransport, Sim


async def test_reads_a_customer_with_its_etag(accredo: AccredoClient) -> None:
    first = await anext(accredo.iter_customers(page_size=5))
    again = await accredo.get_customer(first.CustomerCode.lower())
    assert again.CustomerCode == first.CustomerCode
    assert again.etag and again.etag == first.etag
    assert isinstance(again.BalanceTotal, Decimal)
    with pytest.raises(AccredoNotFound):
        await accredo.get_customer("NOSUCHCUSTOMER")


async def test_repr_and_logs_hide_credentials(
    sim: Sim, recorder: RecordingTransport, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs:
        async with sim.client(transport=recorder) as client:
            assert PASSWORD not in repr(client)
            await client.get_customers(["X"])
    tokens = {e.authorization.split()[-1] for e in recorder.exchanges if e.authorization}
    assert tokens
    everything = repr(logs) + caplog.text
    for secret in (PASSWORD, *tokens):
        assert secret not in everything


async def test_wrong_password_is_an_auth_error(sim: Sim) -> None:
    async with sim.client(password="wrong") as client:
        with pytest.raises(AccredoAuthError) as info:
            await client.get_customers(["X"])
    assert "wrong" not in str(info.value)


async def test_a_rejected_token_is_replaced_once_and_the_request_retried(
    sim: Sim, recorder: RecordingTransport
) -> None:
    async with sim.client(transport=recorder) as client:
        await client.latest_delta_ids()
        token = next(e.authorization for e in recorder.exchanges if e.authorization)
        assert token is not None
        # Someone deletes our token on the server (reference §2.3).
        revoke = f"{sim.base_url}/oauth2/v1/accesstokens/{token.split()[-1]}"
        assert httpx.delete(revoke, headers={"Authorization": token}).status_code == 204
        recorder.exchanges.clear()
        customers = await client.get_customers(["X"])
        assert customers == []
        statuses = [(e.method, e.status) for e in recorder.exchanges]
        assert statuses == [("GET", 401), ("POST", 200), ("GET", 200)]


async def test_tokens_are_refreshed_before_they_expire(fresh_sim_short_tokens: Sim) -> None:
    recorder = RecordingTransport()
    async with fresh_sim_short_tokens.client(transport=recorder) as client:
        await client.latest_delta_ids()
        await asyncio.sleep(0.9)  # past 80 % of the 1 s lifetime
        await client.latest_delta_ids()
        await asyncio.sleep(1.3)  # past the whole (absolute) lifetime
        await client.latest_delta_ids()
    token_posts = [e for e in recorder.exchanges if e.url.endswith("/oauth2/v1/token")]
    assert len(token_posts) == 3
    assert all(e.status != 401 for e in recorder.data_requests())


async def test_close_revokes_the_token(sim: Sim, recorder: RecordingTransport) -> None:
    async with sim.client(transport=recorder) as client:
        await client.latest_delta_ids()
    token = next(e.authorization for e in recorder.exchanges if e.authorization)
    assert token is not None
    url = f"{sim.base_url}/odata4/v1/Company('{sim.config.company}')/ARCustomer?$top=1"
    assert httpx.get(url, headers={"Authorization": token}).status_code == 401


async def test_batched_fetch_keeps_urls_short(
    accredo: AccredoClient, recorder: RecordingTransport
) -> None:
    codes = [c.CustomerCode async for c in accredo.iter_customers(page_size=100)]
    assert len(codes) == 200
    recorder.exchanges.clear()
    wanted = [*codes[::2], "NOSUCH1", "NOSUCH2"]
    found = await accredo.get_customers([c.lower() for c in wanted])
    assert sorted(c.CustomerCode for c in found) == sorted(codes[::2])
    requests = recorder.data_requests()
    assert len(requests) > 1
    assert all(len(e.url) <= 2000 for e in requests)


async def test_open_transactions_are_the_unallocated_ones(accredo: AccredoClient) -> None:
    codes = [c.CustomerCode async for c in accredo.iter_customers(page_size=100)][:40]
    open_items = await accredo.open_transactions(codes)
    assert open_items
    assert all(t.CustomerCode in codes for t in open_items)
    assert all(t.UnallocatedAmount != 0 for t in open_items)
    assert all(isinstance(t.UnallocatedAmount, Decimal) for t in open_items)


async def test_filter_literals_with_quotes_and_macrons(accredo: AccredoClient) -> None:
    names = [c.CustomerName async for c in accredo.iter_customers(page_size=200)]
    tricky = [n for n in names if n and ("'" in n or any(ord(ch) > 127 for ch in n))]
    assert tricky, "the seeded data should include apostrophes and macrons"
    for name in tricky[:5]:
        rows = [
            r async for r in accredo.iter_entities("ARCustomer", filter=F("CustomerName").eq(name))
        ]
        assert rows and all(r["CustomerName"] == name for r in rows)


async def test_stale_etag_patch_is_precondition_failed(accredo: AccredoClient) -> None:
    customer = await anext(accredo.iter_customers(page_size=1))
    assert customer.etag is not None
    updated = await accredo.patch_customer(
        customer.CustomerCode, customer.etag, {"CreditLimit": Decimal("12345.67")}
    )
    assert updated.CreditLimit == Decimal("12345.67")
    assert updated.etag != customer.etag
    with pytest.raises(PreconditionFailed) as info:
        await accredo.patch_customer(customer.CustomerCode, customer.etag, {"CreditLimit": 1})
    assert info.value.current_etag == updated.etag
    assert (await accredo.get_customer(customer.CustomerCode)).CreditLimit == Decimal("12345.67")


async def test_create_customer_then_duplicate_and_invalid(
    accredo: AccredoClient, recorder: RecordingTransport
) -> None:
    created = await accredo.create_customer({"CustomerCode": "newco1", "CustomerName": "Newco Ltd"})
    assert created.CustomerCode == "NEWCO1" and created.etag
    with pytest.raises(AlreadyExists):
        await accredo.create_customer({"CustomerCode": "NEWCO1", "CustomerName": "Again"})
    recorder.exchanges.clear()
    with pytest.raises(AccredoValidationError) as info:
        await accredo.create_customer({"CustomerCode": "NEWCO2", "CustomerName": "N" * 61})
    assert info.value.field == "CustomerName"
    assert len(recorder.data_requests()) == 1  # a validation error is never retried


async def test_customer_record_keeps_custom_fields(accredo: AccredoClient) -> None:
    customer = await anext(accredo.iter_customers(page_size=1))
    assert customer.etag
    updated = await accredo.patch_customer(
        customer.CustomerCode, customer.etag, {"Z_HubSpotID": "123456"}
    )
    assert updated.custom_fields().get("Z_HubSpotID") == "123456"
    again = ARCustomer.model_validate(updated.model_dump(by_alias=True))
    assert again.custom_fields()["Z_HubSpotID"] == "123456"


async def test_awkward_names_round_trip_through_filters(accredo: AccredoClient) -> None:
    name = "O'Brien & Sons + Co #1 % Ōtāhuhu"
    created = await accredo.create_customer({"CustomerCode": "AWKWARD1", "CustomerName": name})
    assert created.CustomerName == name
    same_name = F("CustomerName").eq(name)
    rows = [r async for r in accredo.iter_entities("ARCustomer", filter=same_name)]
    assert [r["CustomerCode"] for r in rows] == ["AWKWARD1"]
    starts = F("CustomerName").startswith("O'Brien & Sons +")
    rows = [r async for r in accredo.iter_entities("ARCustomer", filter=starts)]
    assert "AWKWARD1" in [r["CustomerCode"] for r in rows]


def test_a_custom_ca_bundle_is_loaded(tmp_path: Path) -> None:
    AccredoClient(
        "https://accredo.example:6570/saturn", "DEMO", "c", "u", "p", ca_bundle=certifi.where()
    )
    bogus = tmp_path / "not-a-bundle.pem"
    bogus.write_text("not a certificate")
    with pytest.raises(ssl.SSLError):
        AccredoClient(
            "https://accredo.example:6570/saturn", "DEMO", "c", "u", "p", ca_bundle=str(bogus)
        )


async def test_next_links_of_key_lists_stay_short(sim: Sim, recorder: RecordingTransport) -> None:
    async with sim.client(transport=recorder, page_size=5) as client:
        codes = [c.CustomerCode async for c in client.iter_customers(page_size=200)]
        recorder.exchanges.clear()
        open_items = await client.open_transactions(codes)
    assert len(open_items) > 5
    lookups = recorder.data_requests()
    assert any("skiptoken" in e.url.lower() for e in lookups)
    assert all(len(e.url) <= 2000 for e in lookups)
    assert len({t.TransactionID for t in open_items}) == len(open_items)
