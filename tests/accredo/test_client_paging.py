"""Paging through a large customer list (reference §5.2)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import RecordingTransport, Sim, serve_sim


@pytest.fixture(scope="module")
def big_sim() -> Iterator[Sim]:
    yield from serve_sim(seed=11, customers=5000)


async def test_iterates_all_5000_customers_in_pages(big_sim: Sim) -> None:
    recorder = RecordingTransport()
    async with big_sim.client(transport=recorder) as client:
        codes = [c.CustomerCode async for c in client.iter_customers(page_size=1000)]
    assert len(codes) == 5000
    assert len(set(codes)) == 5000
    assert codes == sorted(codes)
    pages = [e for e in recorder.data_requests() if "/ARCustomer" in e.url]
    assert len(pages) == 5
    assert "$skiptoken" in pages[1].url  # the nextLink is followed as the server wrote it


async def test_page_size_above_server_default_is_honoured(big_sim: Sim) -> None:
    recorder = RecordingTransport()
    async with big_sim.client(transport=recorder) as client:
        rows = [
            r
            async for r in client.iter_entities(
                "ARCustomer", select=["CustomerCode"], top=4500, page_size=2000
            )
        ]
    assert len(rows) == 4500
    assert len(recorder.data_requests()) == 3
