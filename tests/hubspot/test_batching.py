"""Batch writes against an injected send function: splitting, 207 mapping, bisection."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from accredo_hubspot.hubspot.batching import (
    BatchCallResult,
    BatchWriter,
    group_inputs,
    trace_id_for,
)
from accredo_hubspot.hubspot.errors import HubSpotAuthError, error_from_response
from accredo_hubspot.hubspot.models import HubSpotObject, WriteInput

BAD_VALUE = "not-a-number"


def record(rid: str, properties: dict[str, str], trace: str | None = None) -> HubSpotObject:
    return HubSpotObject(id=rid, properties=dict(properties), objectWriteTraceId=trace)


def invalid_error(prop: str, trace: str | None = None) -> dict[str, Any]:
    item = {
        "isValid": False,
        "message": f"{BAD_VALUE} is not a valid number",
        "error": "INVALID_LONG",
        "name": prop,
    }
    error: dict[str, Any] = {
        "status": "error",
        "category": "VALIDATION_ERROR",
        "message": "Property values were not valid: " + json.dumps([item]),
    }
    if trace:
        error["context"] = {"objectWriteTraceId": [trace]}
    return error


class FakeHubSpot:
    """Answers like HubSpot's batch endpoints: 207 with trace ids, else a whole 400."""

    def __init__(self, *, per_input_errors: bool = True, echo_trace: bool = True) -> None:
        self.per_input_errors = per_input_errors
        self.echo_trace = echo_trace
        self.calls: list[list[dict[str, Any]]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.next_id = 100

    async def send(self, inputs: list[dict[str, Any]]) -> BatchCallResult:
        self.calls.append(inputs)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)
            return self._answer(inputs)
        finally:
            self.in_flight -= 1

    def _answer(self, inputs: list[dict[str, Any]]) -> BatchCallResult:
        assert len(inputs) <= 100
        ids = [i.get("id") for i in inputs if i.get("id")]
        assert len(ids) == len(set(ids)), "duplicate ids in one batch"
        bad = [i for i in inputs if BAD_VALUE in i["properties"].values()]
        if bad and not self.per_input_errors:
            raise error_from_response(400, invalid_error("amount"))
        results, errors = [], []
        for item in inputs:
            if item in bad:
                errors.append(invalid_error("amount", item["objectWriteTraceId"]))
                continue
            self.next_id += 1
            rid = item.get("id") if "idProperty" not in item else None
            trace = item["objectWriteTraceId"] if self.echo_trace else None
            results.append(record(rid or str(self.next_id), item["properties"], trace))
        return BatchCallResult(207 if errors else 200, results, errors)


def inputs(n: int, *, bad: set[int] = frozenset(), ids: bool = True) -> list[WriteInput]:  # type: ignore[assignment]
    return [
        WriteInput(
            key=f"C{i}",
            id=f"C{i}" if ids else None,
            properties={"code": f"C{i}", "amount": BAD_VALUE if i in bad else str(i)},
        )
        for i in range(n)
    ]


async def test_splits_into_calls_of_100_with_bounded_concurrency() -> None:
    """250 inputs make 3 calls, never more than max_concurrency at once."""
    hub = FakeHubSpot()
    writer = BatchWriter("upsert", hub.send, id_property="code", max_concurrency=2)
    outcome = await writer.run(inputs(250))

    assert [len(c) for c in hub.calls] == [100, 100, 50]
    assert hub.max_in_flight <= 2
    assert outcome.calls == 3
    assert len(outcome.written) == 250
    assert outcome.failed == []


async def test_207_maps_errors_back_by_trace_id() -> None:
    """Per-input errors in a 207 fail only their inputs, naming the property."""
    hub = FakeHubSpot()
    outcome = await BatchWriter("create", hub.send).run(inputs(10, bad={3, 7}, ids=False))

    assert sorted(f.key for f in outcome.failed) == ["C3", "C7"]
    assert {f.property_name for f in outcome.failed} == {"amount"}
    assert {f.category for f in outcome.failed} == {"VALIDATION_ERROR"}
    assert {f.status for f in outcome.failed} == {207}
    assert len(outcome.written) == 8
    assert outcome.written["C4"].properties["amount"] == "4"


async def test_plain_400_is_bisected_to_the_bad_input() -> None:
    """A whole-call 400 is split until the bad input stands alone; the rest are written."""
    hub = FakeHubSpot(per_input_errors=False)
    outcome = await BatchWriter("upsert", hub.send, id_property="code").run(inputs(100, bad={42}))

    assert [f.key for f in outcome.failed] == ["C42"]
    assert outcome.failed[0].property_name == "amount"
    assert outcome.failed[0].status == 400
    assert len(outcome.written) == 99
    assert outcome.calls == len(hub.calls)
    assert outcome.calls <= 1 + 2 * 7  # log2(100) levels, two calls each


async def test_duplicate_ids_are_merged_into_one_input() -> None:
    """Two inputs with one id become one input (later values win), reported for both keys."""
    hub = FakeHubSpot()
    items = [
        WriteInput("a", "X1", {"code": "X1", "name": "old"}),
        WriteInput("b", "X1", {"name": "new"}),
        WriteInput("c", "X2", {"code": "X2"}),
    ]
    outcome = await BatchWriter("upsert", hub.send, id_property="code").run(items)

    assert len(hub.calls[0]) == 2
    assert outcome.written["a"] is outcome.written["b"]
    assert outcome.written["a"].properties["name"] == "new"


async def test_upsert_results_map_by_id_property_without_trace_ids() -> None:
    """When results carry no trace id, upserts map back by the id property's value."""
    hub = FakeHubSpot(echo_trace=False)
    outcome = await BatchWriter("upsert", hub.send, id_property="code").run(inputs(5))

    assert {k: v.properties["code"] for k, v in outcome.written.items()} == {
        f"C{i}": f"C{i}" for i in range(5)
    }


async def test_update_maps_missing_ids_from_context() -> None:
    """A 207 naming missing ids in ``context.ids`` fails exactly those inputs."""

    async def send(items: list[dict[str, Any]]) -> BatchCallResult:
        found = [record(i["id"], i["properties"]) for i in items if i["id"] != "999"]
        error = {
            "status": "error",
            "category": "OBJECT_NOT_FOUND",
            "message": "Could not get some CONTACT objects",
            "context": {"ids": ["999"]},
        }
        return BatchCallResult(207, found, [error])

    items = [WriteInput("k1", "1", {"a": "1"}), WriteInput("k9", "999", {"a": "9"})]
    outcome = await BatchWriter("update", send).run(items)

    assert list(outcome.written) == ["k1"]
    assert [(f.key, f.category) for f in outcome.failed] == [("k9", "OBJECT_NOT_FOUND")]


async def test_inputs_without_id_fail_without_a_call() -> None:
    """An update input without an id is a failure, not a call."""
    hub = FakeHubSpot()
    outcome = await BatchWriter("update", hub.send).run([WriteInput("k", None, {})])

    assert [f.category for f in outcome.failed] == ["MISSING_ID"]
    assert hub.calls == []


async def test_results_missing_entirely_are_reported() -> None:
    """An input HubSpot answers neither way is a NO_RESULT failure, never silently lost."""

    async def send(items: list[dict[str, Any]]) -> BatchCallResult:
        return BatchCallResult(200, [record("1", {}, items[0]["objectWriteTraceId"])])

    items = [WriteInput("a", "1", {}), WriteInput("b", "2", {})]
    outcome = await BatchWriter("update", send).run(items)

    assert list(outcome.written) == ["a"]
    assert [(f.key, f.category) for f in outcome.failed] == [("b", "NO_RESULT")]


async def test_auth_errors_propagate() -> None:
    """A 401 is not a per-input problem: it is raised."""

    async def send(items: list[dict[str, Any]]) -> BatchCallResult:
        raise error_from_response(401, {"category": "INVALID_AUTHENTICATION"})

    with pytest.raises(HubSpotAuthError):
        await BatchWriter("create", send).run(inputs(3))


def test_trace_ids_derive_from_keys() -> None:
    """Plain keys are their own trace id; odd keys are hashed, deterministically."""
    assert trace_id_for("ACME01") == "ACME01"
    assert trace_id_for("a key/with spaces") == trace_id_for("a key/with spaces")
    assert trace_id_for("a key/with spaces").startswith("k-")


def test_email_upserts_dedupe_case_insensitively() -> None:
    """HubSpot matches emails case-insensitively, so A@x and a@x are one input."""
    groups, _ = group_inputs(
        "upsert", [WriteInput("1", "A@x.nz", {}), WriteInput("2", "a@x.nz", {})], "email"
    )

    assert len(groups) == 1
    assert groups[0].keys == ["1", "2"]


async def test_one_key_for_two_ids_still_gets_two_trace_ids() -> None:
    """A key reused for different ids never shares a trace id, so no input is lost."""
    hub = FakeHubSpot()
    items = [WriteInput("same", "1", {"a": "1"}), WriteInput("same", "2", {"a": BAD_VALUE})]
    outcome = await BatchWriter("update", hub.send).run(items)
    traces = [i["objectWriteTraceId"] for i in hub.calls[0]]

    assert len(set(traces)) == 2
    assert len(outcome.written) + len(outcome.failed) == 2


async def test_without_trace_ids_creates_map_by_order() -> None:
    """With trace ids off, created records map to inputs in order."""
    hub = FakeHubSpot(echo_trace=False)
    outcome = await BatchWriter("create", hub.send, trace_ids=False).run(inputs(5, ids=False))

    assert all("objectWriteTraceId" not in i for i in hub.calls[0])
    assert {k: r.properties["code"] for k, r in outcome.written.items()} == {
        f"C{i}": f"C{i}" for i in range(5)
    }
