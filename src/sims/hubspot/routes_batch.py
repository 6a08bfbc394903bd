"""Batch read, create, update, upsert and archive (reference 2.4 and 4.3).

At most 100 inputs; duplicate ids fail the whole call; missing ids on read and update give a
207 with one ``OBJECT_NOT_FOUND`` error; a bad input fails the whole call with a 400 unless
every input carries its own ``objectWriteTraceId``, in which case the others are applied and the
answer is 207.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from sims.hubspot.errors import SimError, bad_request, duplicate_ids, too_many_inputs
from sims.hubspot.http import Ctx, Router, batch_reply, reply, require
from sims.hubspot.portal import ObjectType
from sims.hubspot.render import record_json
from sims.hubspot.routes_objects import inline_associations
from sims.hubspot.store import CASE_INSENSITIVE_UNIQUE, Portal, Record
from sims.hubspot.timeutil import now_ms

JsonDict = dict[str, Any]
MAX_INPUTS = 100


@dataclass
class Plan:
    trace_id: str | None
    record: Record | None
    changes: dict[str, str | None]
    links: list[tuple[str, int, Any]] = field(default_factory=list)
    """A create's inline ``associations`` (reference 4.1), checked before anything is written."""


def _inputs(body: JsonDict) -> list[JsonDict]:
    inputs = require(body, "inputs")
    if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
        raise bad_request("inputs must be a list of objects")
    if len(inputs) > MAX_INPUTS:
        raise too_many_inputs(len(inputs), MAX_INPUTS)
    return inputs


def _check_duplicates(values: list[str]) -> None:
    seen: set[str] = set()
    dups: list[str] = []
    for value in values:
        if value in seen and value not in dups:
            dups.append(value)
        seen.add(value)
    if dups:
        raise duplicate_ids(dups)


def _not_found_error(otype: ObjectType, ids: list[str]) -> JsonDict:
    return SimError(
        404,
        "OBJECT_NOT_FOUND",
        f"Could not get some {otype.name.upper()} objects, they may be deleted or not exist. "
        "Check that ids are valid.",
        context={"ids": ids},
    ).standard_error()


def _trace_error(err: SimError, trace_id: str) -> JsonDict:
    item = err.standard_error()
    item["context"] = {**item["context"], "objectWriteTraceId": [trace_id]}
    return item


async def batch_read(ctx: Ctx) -> Response:
    started = now_ms()
    portal = ctx.sim.portal
    otype = portal.resolve_type(ctx.params["type"])
    body = await ctx.json_object()
    inputs = _inputs(body)
    id_property = body.get("idProperty") or None
    if id_property is not None and not isinstance(id_property, str):
        raise bad_request("idProperty must be a property name")
    if id_property and id_property != "hs_object_id":
        portal.check_id_property(otype, id_property)
    ids = [str(require(i, "id")) for i in inputs]
    _check_duplicates(ids)
    archived = ctx.query_bool("archived")
    props, history = _names(body, "properties"), _names(body, "propertiesWithHistory")
    results, missing = [], []
    for raw_id in ids:
        record = portal.find(otype, raw_id, id_property)
        if record is None or record.archived != archived:
            missing.append(raw_id)
            continue
        results.append(record_json(portal, otype, record, props, with_history=history))
    errors = [_not_found_error(otype, missing)] if missing else []
    return batch_reply(200, started, results, errors)


def _names(body: JsonDict, key: str) -> list[str] | None:
    """A batch read's property list: JSON strings in a list (reference 4.1, the body's
    ``properties``); a comma-joined string is refused, not read letter by letter."""
    raw = body.get(key)
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(n, str) for n in raw):
        raise bad_request(f"{key} must be a list of property names")
    return raw or None


async def batch_create(ctx: Ctx) -> Response:
    return await _batch_write(ctx, "create")


async def batch_update(ctx: Ctx) -> Response:
    return await _batch_write(ctx, "update")


async def batch_upsert(ctx: Ctx) -> Response:
    return await _batch_write(ctx, "upsert")


def _dup_key(mode: str, item: JsonDict) -> str:
    value = str(item.get("id", ""))
    prop = item.get("idProperty")
    if mode == "upsert" and prop in CASE_INSENSITIVE_UNIQUE:
        return value.lower()
    return value


async def _batch_write(ctx: Ctx, mode: str) -> Response:
    started = now_ms()
    portal = ctx.sim.portal
    otype = portal.resolve_type(ctx.params["type"])
    inputs = _inputs(await ctx.json_object())
    if mode != "create":
        for item in inputs:
            require(item, "id")
        _check_duplicates([_dup_key(mode, i) for i in inputs])
    claims: dict[tuple[str, str], int] = {}
    plans: list[Plan] = []
    errors: list[JsonDict] = []
    missing: list[str] = []
    traced = _each_traced(inputs)
    for item in inputs:
        trace_id = item.get("objectWriteTraceId")
        try:
            plan = _plan(portal, otype, mode, item, claims)
        except SimError as err:
            if not traced:
                raise
            errors.append(_trace_error(err, str(trace_id)))
            continue
        if plan is None:
            missing.append(str(item["id"]))
        else:
            plans.append(plan)
    if missing:
        errors.insert(0, _not_found_error(otype, missing))
    results = [_apply(ctx, otype, mode, plan) for plan in plans]
    return batch_reply(201 if mode == "create" else 200, started, results, errors)


def _each_traced(inputs: list[JsonDict]) -> bool:
    """Partial success (207) needs a unique ``objectWriteTraceId`` on *each* input (reference
    2.4); otherwise one bad input fails the whole call, traced or not."""
    traces = [i.get("objectWriteTraceId") for i in inputs]
    if any(t is None for t in traces):
        return False
    return len({str(t) for t in traces}) == len(traces)


def _plan(
    portal: Portal,
    otype: ObjectType,
    mode: str,
    item: JsonDict,
    claims: dict[tuple[str, str], int],
) -> Plan | None:
    trace_id = item.get("objectWriteTraceId")
    props = require(item, "properties")  # required in every batch input (reference 4.1)
    if not isinstance(props, dict):
        raise bad_request("properties must be an object")
    props = dict(props)
    if mode == "create":
        links = inline_associations(portal, otype, item.get("associations") or [])
        return Plan(trace_id, None, portal.prepare(otype, props, None, claims), links)
    raw_id = str(item["id"])
    id_property = item.get("idProperty") or None
    if mode == "upsert" or id_property:
        # By record id, leave idProperty out: hs_object_id is not unique (reference 4.3).
        portal.check_id_property(otype, id_property or "hs_object_id")
    record = portal.find(otype, raw_id, id_property)
    if record is not None and record.archived:
        record = None
    if record is None and mode == "update":
        return None
    if record is None and id_property:
        props[id_property] = raw_id
    return Plan(trace_id, record, portal.prepare(otype, props, record, claims))


def _apply(ctx: Ctx, otype: ObjectType, mode: str, plan: Plan) -> JsonDict:
    portal = ctx.sim.portal
    if plan.record is None:
        record = portal.create(otype, plan.changes, ctx.sim.api_source)
        for to_tid, to_id, atype in plan.links:
            portal.associations.add((otype.type_id, record.id), (to_tid, to_id), atype)
        created = True
    else:
        record = portal.update(otype, plan.record, plan.changes, ctx.sim.api_source)
        created = False
    out = record_json(portal, otype, record, all_props=True)
    if mode == "upsert":
        out["new"] = created
    if plan.trace_id is not None:
        out["objectWriteTraceId"] = str(plan.trace_id)
    return out


async def batch_archive(ctx: Ctx) -> Response:
    portal = ctx.sim.portal
    otype = portal.resolve_type(ctx.params["type"])
    inputs = _inputs(await ctx.json_object())
    ids = [str(require(i, "id")) for i in inputs]
    _check_duplicates(ids)
    for raw_id in ids:
        record = portal.find(otype, raw_id)
        if record is not None:
            portal.archive(otype, record, ctx.sim.api_source)
    return reply(204)


def register(router: Router) -> None:
    base = "/crm/v3/objects/{type}/batch"
    router.add("POST", base + "/read", batch_read)
    router.add("POST", base + "/create", batch_create)
    router.add("POST", base + "/update", batch_update)
    router.add("POST", base + "/upsert", batch_upsert)
    router.add("POST", base + "/archive", batch_archive)
