"""Each record written names the call that wrote it (its audit entry's ``call``)."""

from __future__ import annotations

from typing import Any

from accredo_hubspot.hubspot.batching import BatchCallResult, BatchWriter
from accredo_hubspot.hubspot.models import HubSpotObject, WriteInput


async def test_each_written_input_names_its_call() -> None:
    calls = 0

    async def send(items: list[dict[str, Any]]) -> BatchCallResult:
        nonlocal calls
        calls += 1
        results = [
            HubSpotObject(
                id=item["id"], properties={}, objectWriteTraceId=item["objectWriteTraceId"]
            )
            for item in items
        ]
        return BatchCallResult(200, results, call=f"batch/update c-{calls}")

    items = [WriteInput(f"k{i}", str(i), {"x": "1"}) for i in range(3)]
    outcome = await BatchWriter("update", send, batch_size=2, max_concurrency=1).run(items)

    assert outcome.call_of == {
        "k0": "batch/update c-1",
        "k1": "batch/update c-1",
        "k2": "batch/update c-2",
    }
