"""Retries under injected faults: 5xx, 429 and dropped connections are retried; validation
errors are not; POSTs are not blindly resent (reference §2.3, §7, §8)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from accredo_hubspot.accredo import (
    AccredoAuthError,
    AccredoTransientError,
    AccredoValidationError,
)

from .conftest import RecordingTransport, Sim, serve_sim

PAGES_OF_FIVE = 12  # 60 customers


async def _read_all(sim: Sim, recorder: RecordingTransport) -> list[str]:
    async with sim.client(transport=recorder) as client:
        return [c.CustomerCode async for c in client.iter_customers(page_size=5)]


@pytest.mark.parametrize(
    ("fault", "statuses"),
    [
        ({"error_rate": 0.3}, {500, 503}),
        ({"rate_limit_429_rate": 0.3}, {429}),
    ],
)
async def test_reads_survive_server_errors_and_rate_limits(
    fresh_sim: Sim, fault: dict[str, float], statuses: set[int]
) -> None:
    fresh_sim.control("PUT", "/_sim/faults", fault)
    recorder = RecordingTransport()
    codes = await _read_all(fresh_sim, recorder)
    assert len(codes) == 60 and len(set(codes)) == 60
    seen = [e.status for e in recorder.exchanges]
    assert statuses & set(seen), "faults were injected"
    assert seen.count(200) >= PAGES_OF_FIVE


async def test_reads_survive_dropped_connections(fresh_sim: Sim) -> None:
    fresh_sim.control("PUT", "/_sim/faults", {"drop_rate": 0.3})
    recorder = RecordingTransport()
    codes = await _read_all(fresh_sim, recorder)
    assert len(codes) == 60 and len(set(codes)) == 60
    pages = [e for e in recorder.data_requests() if "/ARCustomer" in e.url]
    assert len(pages) > PAGES_OF_FIVE  # some pages were cut off mid-body and fetched again


async def test_tokens_expiring_early_are_replaced() -> None:
    # The simulator's fault dice are seeded: with seed 4 no request meets two expiries in a row
    # (which is an auth error by design, see the next test), while several meet one.
    with contextmanager(serve_sim)(seed=4, customers=60) as sim:
        sim.control("PUT", "/_sim/faults", {"early_token_expiry": 0.15})
        recorder = RecordingTransport()
        codes = await _read_all(sim, recorder)
    assert len(codes) == 60
    assert 401 in {e.status for e in recorder.data_requests()}


async def test_a_second_401_is_an_auth_error(fresh_sim: Sim) -> None:
    fresh_sim.control("PUT", "/_sim/faults", {"early_token_expiry": 1.0})
    recorder = RecordingTransport()
    async with fresh_sim.client(transport=recorder) as client:
        with pytest.raises(AccredoAuthError):
            await client.get_customers(["X"])
    assert [e.status for e in recorder.data_requests()] == [401, 401]


async def test_validation_errors_are_not_retried(fresh_sim: Sim) -> None:
    recorder = RecordingTransport()
    async with fresh_sim.client(transport=recorder) as client:
        customer = await anext(client.iter_customers(page_size=1))
        assert customer.etag
        recorder.exchanges.clear()
        with pytest.raises(AccredoValidationError) as info:
            await client.patch_customer(customer.CustomerCode, customer.etag, {"PhoneNo": "9" * 21})
    assert info.value.field == "PhoneNo"
    assert [e.method for e in recorder.data_requests()] == ["PATCH"]


async def test_a_failed_post_is_not_resent_blindly(fresh_sim: Sim) -> None:
    recorder = RecordingTransport()
    async with fresh_sim.client(transport=recorder) as client:
        customer = await anext(client.iter_customers(page_size=1))
        fresh_sim.control("PUT", "/_sim/faults", {"error_rate": 1.0})
        recorder.exchanges.clear()
        with pytest.raises(AccredoTransientError):
            await client.post("ARContact", {"CustomerCode": customer.CustomerCode, "LastName": "X"})
        fresh_sim.control("PUT", "/_sim/faults", {"error_rate": 0.0})
    assert [e.method for e in recorder.data_requests()] == ["POST"]


async def test_create_customer_checks_before_trying_again(fresh_sim: Sim) -> None:
    fresh_sim.control("PUT", "/_sim/faults", {"error_rate": 0.3, "drop_rate": 0.1})
    recorder = RecordingTransport()
    codes = [f"RETRY{n}" for n in range(8)]
    async with fresh_sim.client(transport=recorder) as client:
        for code in codes:
            created = await client.create_customer({"CustomerCode": code, "CustomerName": code})
            assert created.CustomerCode == code
        fresh_sim.control("PUT", "/_sim/faults", {"error_rate": 0.0, "drop_rate": 0.0})
        found = await client.get_customers(codes)
    assert sorted(c.CustomerCode for c in found) == codes
    posts = [e for e in recorder.data_requests() if e.method == "POST"]
    assert len(posts) >= len(codes)


async def test_token_failures_are_retried_even_for_a_post(fresh_sim: Sim) -> None:
    fresh_sim.control("PUT", "/_sim/faults", {"error_rate": 1.0})
    recorder = RecordingTransport()
    async with fresh_sim.client(transport=recorder) as client:
        with pytest.raises(AccredoTransientError):
            await client.post("ARContact", {"CustomerCode": "X", "LastName": "X"})
    assert recorder.data_requests() == []
    token_posts = [e for e in recorder.exchanges if e.url.endswith("/oauth2/v1/token")]
    assert len(token_posts) == 8  # FAST_RETRY.attempts
