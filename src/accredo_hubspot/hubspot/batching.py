"""Batch writes with per-input results, independent of HTTP (the send function is injected).

What HubSpot does (reference §2.4, §4.3, §13.9):

* at most 100 inputs per call, and duplicate ids in one call reject the whole call;
* trace ids can be turned off (``trace_ids=False``) for an endpoint that refuses them; then
  results map back by id / id-property value / order and bisection does all the isolating;
* with an ``objectWriteTraceId`` on each input, a write answers 207 with per-input errors
  carrying ``context.objectWriteTraceId``; without, one bad input fails the call with a 400;
* missing ids in an update answer 207 with ``context.ids``.

So: inputs are merged by id (or key), split into calls of at most ``batch_size``, run
``max_concurrency`` at a time, each carries a trace id derived from its key, and a call that
still fails whole with a 4xx is bisected until the bad input stands alone. Every input ends in
exactly one of ``BatchOutcome.written`` and ``BatchOutcome.failed``.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from accredo_hubspot.errors import ErrorKind
from accredo_hubspot.hubspot.errors import (
    HubSpotError,
    HubSpotValidationError,
    parse_error_body,
)
from accredo_hubspot.hubspot.models import (
    BatchOutcome,
    HubSpotObject,
    InlineAssociation,
    WriteFailure,
    WriteInput,
)
from accredo_hubspot.tasks import task_group

WriteAction = Literal["create", "update", "upsert"]
#: HubSpot's batch size limit (reference §4.1: "Batch inputs <= 100").
MAX_BATCH_SIZE = 100
_SAFE_TRACE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True)
class BatchCallResult:
    """What one batch call answered (200/201 or 207): records and per-input errors."""

    status: int
    results: list[HubSpotObject]
    errors: list[dict[str, Any]] = field(default_factory=list)
    call: str = ""  # which call this was: its endpoint and HubSpot's correlation id

    @classmethod
    def from_json(cls, status: int, data: Mapping[str, Any], call: str = "") -> BatchCallResult:
        results = [HubSpotObject.model_validate(r) for r in data.get("results") or []]
        errors = [e for e in data.get("errors") or [] if isinstance(e, dict)]
        return cls(status=status, results=results, errors=errors, call=call)


#: Sends one call's ``inputs`` (already in wire form); raises ``HubSpotError`` on a non-2xx.
SendBatch = Callable[[list[dict[str, Any]]], Awaitable[BatchCallResult]]


def trace_id_for(key: str) -> str:
    """The ``objectWriteTraceId`` of an input: its key when short and plain, else a hash."""
    if _SAFE_TRACE_ID.match(key):
        return key
    return "k-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


@dataclass
class _Group:
    """Inputs that are one write (same id, or same key): sent once, reported per key."""

    keys: list[str]
    id: str | None
    properties: dict[str, str]
    trace_id: str
    associations: tuple[InlineAssociation, ...] = ()

    def wire(
        self, action: WriteAction, id_property: str | None, *, trace_ids: bool = True
    ) -> dict[str, Any]:
        item: dict[str, Any] = {"properties": dict(self.properties)}
        if action != "create":
            item["id"] = self.id
        if action == "upsert":
            item["idProperty"] = id_property
        if trace_ids:
            item["objectWriteTraceId"] = self.trace_id
        if action == "create" and self.associations:
            item["associations"] = [a.to_wire() for a in self.associations]
        return item


def _dedupe_key(action: WriteAction, item: WriteInput, id_property: str | None) -> str:
    if action == "create" or item.id is None:
        return "key:" + item.key
    # HubSpot matches emails case-insensitively (reference §2.3).
    value = item.id.lower() if id_property == "email" else item.id
    return "id:" + value


def group_inputs(
    action: WriteAction, inputs: Sequence[WriteInput], id_property: str | None = None
) -> tuple[list[_Group], list[WriteFailure]]:
    """Merge inputs that would be duplicate ids in one call (later properties win)."""
    groups: dict[str, _Group] = {}
    failures: list[WriteFailure] = []
    trace_ids: set[str] = set()
    for item in inputs:
        if action != "create" and not item.id:
            failures.append(
                WriteFailure(item.key, "MISSING_ID", f"no id to {action} by", id_property)
            )
            continue
        dedupe = _dedupe_key(action, item, id_property)
        group = groups.get(dedupe)
        if group is None:
            properties = dict(item.properties)
            if action == "upsert" and id_property and item.id is not None:
                # The created record must carry its key [assumed: HubSpot sets it from id too].
                properties.setdefault(id_property, item.id)
            trace_id = trace_id_for(item.key)
            while trace_id in trace_ids:  # one key reused for different ids: keep traces unique
                trace_id = trace_id_for(f"{trace_id}+")
            trace_ids.add(trace_id)
            groups[dedupe] = _Group([item.key], item.id, properties, trace_id, item.associations)
        else:
            if item.key not in group.keys:
                group.keys.append(item.key)
            group.properties.update(item.properties)
    return list(groups.values()), failures


def chunked(groups: Sequence[_Group], size: int) -> list[list[_Group]]:
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch size must be 1..{MAX_BATCH_SIZE}")
    return [list(groups[i : i + size]) for i in range(0, len(groups), size)]


def _failures_for(group: _Group, failure: WriteFailure) -> list[WriteFailure]:
    return [replace(failure, key=key) for key in group.keys]


def failure_from_error_dict(key: str, error: Mapping[str, Any], status: int | None) -> WriteFailure:
    body = parse_error_body(error)
    return WriteFailure(
        key=key,
        category=body.category or "UNKNOWN",
        message=body.message,
        property_name=body.property_name,
        status=status,
        existing_id=body.existing_id,
        code=body.code,
    )


class BatchWriter:
    """Runs one batch helper call: chunking, concurrency, 207 mapping and bisection."""

    def __init__(
        self,
        action: WriteAction,
        send: SendBatch,
        *,
        id_property: str | None = None,
        batch_size: int = MAX_BATCH_SIZE,
        max_concurrency: int = 4,
        trace_ids: bool = True,
    ) -> None:
        self.action = action
        self.trace_ids = trace_ids
        self.id_property = id_property
        self._send = send
        self._batch_size = batch_size
        self._semaphore = asyncio.Semaphore(max(1, max_concurrency))
        self.outcome = BatchOutcome()

    async def run(self, inputs: Sequence[WriteInput]) -> BatchOutcome:
        groups, failures = group_inputs(self.action, inputs, self.id_property)
        self.outcome.failed.extend(failures)
        async with task_group() as tasks:  # a systemic error (auth, daily limit) stops them all
            for chunk in chunked(groups, self._batch_size):
                tasks.create_task(self._run_chunk(chunk))
        return self.outcome

    async def _run_chunk(self, chunk: list[_Group]) -> None:
        async with self._semaphore:
            await self._write(chunk)

    async def _write(self, chunk: list[_Group]) -> None:
        """One call; a per-record error of the whole call is bisected (sequentially, inside this
        slot) down to the input it belongs to; retriable and fatal errors are raised."""
        self.outcome.calls += 1
        try:
            answer = await self._send(
                [g.wire(self.action, self.id_property, trace_ids=self.trace_ids) for g in chunk]
            )
        except HubSpotError as exc:
            if exc.kind is not ErrorKind.PER_RECORD:
                raise
            # A 404 (e.g. an unknown object type) fails every half alike: no bisection.
            if isinstance(exc, HubSpotValidationError) and len(chunk) > 1:
                middle = len(chunk) // 2
                await self._write(chunk[:middle])
                await self._write(chunk[middle:])
            else:
                self._fail_all(chunk, exc)
            return
        self._apply(chunk, answer)

    def _fail_all(self, chunk: list[_Group], exc: HubSpotError) -> None:
        property_name = exc.property_name if isinstance(exc, HubSpotValidationError) else None
        for group in chunk:
            failure = WriteFailure(
                "",
                exc.category or "UNKNOWN",
                exc.message,
                property_name,
                exc.status,
                existing_id=exc.body.existing_id,
                code=exc.body.code,
            )
            self.outcome.failed.extend(_failures_for(group, failure))

    def _apply(self, chunk: list[_Group], answer: BatchCallResult) -> None:
        """Map a 200/201/207 answer back to the groups of this call."""
        pending = {g.trace_id: g for g in chunk}
        for error in answer.errors:
            for group in self._groups_named_by(error, pending):
                if group.trace_id not in pending:
                    continue
                failure = failure_from_error_dict("", error, answer.status)
                self.outcome.failed.extend(_failures_for(group, failure))
                del pending[group.trace_id]
        unmatched: list[HubSpotObject] = []
        for record in answer.results:
            owner = self._group_of(record, pending)
            if owner is None:
                unmatched.append(record)
                continue
            self._written(owner, record, answer.call)
            del pending[owner.trace_id]
        # Results without a trace id or key, in input order [assumed: HubSpot keeps the order].
        if self.action == "create" and len(unmatched) == len(pending):
            for group, record in zip(list(pending.values()), unmatched, strict=True):
                self._written(group, record, answer.call)
                del pending[group.trace_id]
        for group in pending.values():
            failure = WriteFailure(
                "", "NO_RESULT", "HubSpot returned neither a result nor an error for this input"
            )
            self.outcome.failed.extend(_failures_for(group, failure))

    def _written(self, group: _Group, record: HubSpotObject, call: str) -> None:
        for key in group.keys:
            self.outcome.written[key] = record
            if call:
                self.outcome.call_of[key] = call

    def _groups_named_by(
        self, error: Mapping[str, Any], pending: Mapping[str, _Group]
    ) -> list[_Group]:
        context = error.get("context")
        if not isinstance(context, Mapping):
            return []
        traces = context.get("objectWriteTraceId") or []
        named = [pending[t] for t in traces if isinstance(t, str) and t in pending]
        ids = {str(i) for i in context.get("ids") or []}
        if ids and self.action != "create":
            named += [g for g in pending.values() if g.id in ids and g not in named]
        return named

    def _group_of(self, record: HubSpotObject, pending: Mapping[str, _Group]) -> _Group | None:
        if record.objectWriteTraceId and record.objectWriteTraceId in pending:
            return pending[record.objectWriteTraceId]
        if self.action == "update":
            return next((g for g in pending.values() if g.id == record.id), None)
        if self.action == "upsert" and self.id_property:
            value = record.properties.get(self.id_property)
            if value is None:
                return None
            fold = self.id_property == "email"
            wanted = value.lower() if fold else value
            return next(
                (
                    g
                    for g in pending.values()
                    if g.id is not None and (g.id.lower() if fold else g.id) == wanted
                ),
                None,
            )
        return None
