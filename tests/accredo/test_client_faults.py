"""Retries under injected faults: 5xx, 429 and dropped connections are retried; validation
errors are not (reference §7, §8)."""

from __future__ import annotations

from accredo_hubspot.accredo import AccredoValidationError

from .conftest import RecordingTransport, Sim


async def test_reads_survive_5xx_429_and_dropped_connections(fresh_sim: Sim) -> None:
    fresh_sim.control(
        "PUT", "/_sim/faults", {"error_rate": 0.2, "rate_limit_429_rate": 0.2, "drop_rate": 0.1}
    )
    recorder = RecordingTransport()
    async with fresh_sim.client(transport=recorder) as client:
        codes = [c.CustomerCode async for c in client.iter_customers(page_size=5)]
        assert len(codes) == 60
        statuses = {e.status for e in recorder.data_requests()}
    assert statuses & {500, 503, 429}, "faults were injected and retried"


async def test_validation_errors_are_not_retried(fresh_sim: Sim) -> None:
    fresh_sim.control("PUT", "/_sim/faults", {"latency_ms": 1})
    recorder = RecordingTransport()
    async with fresh_sim.client(transport=recorder) as client:
        customer = await anext(client.iter_customers(page_size=1))
        assert customer.etag
        recorder.exchanges.clear()
        try:
            await client.patch_customer(customer.CustomerCode, customer.etag, {"PhoneNo": "9" * 21})
        except AccredoValidationError as exc:
            assert exc.field == "PhoneNo"
        else:
            raise AssertionError("a 21-character phone number must be refused")
    assert [e.method for e in recorder.data_requests()] == ["PATCH"]
