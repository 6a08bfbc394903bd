"""Associations v4 (reference section 8): default and labelled links, batch calls, listing a
record's associations 500 per page, and the labels API."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sims.hubspot.associations import AssocType, cursor_offset, page_cursor
from sims.hubspot.errors import (
    LIMIT_TOO_HIGH_MESSAGE,
    SimError,
    bad_request,
    not_found,
    too_many_inputs,
)
from sims.hubspot.http import Ctx, Router, batch_reply, reply, require
from sims.hubspot.portal import ObjectType
from sims.hubspot.store import Portal, Record
from sims.hubspot.timeutil import now_ms

JsonDict = dict[str, Any]
MAX_PAGE = 500
MAX_BATCH_READ = 1000
MAX_BATCH_WRITE = 100
"""[assumed] v4 batch create/archive take 100 inputs like the object batch APIs."""
NO_ASSOCIATIONS_FOUND = "crm.associations.NO_ASSOCIATIONS_FOUND"


def _record(portal: Portal, otype: ObjectType, raw_id: str) -> Record | None:
    record = portal.live(otype.type_id, int(raw_id)) if raw_id.isdigit() else None
    return None if record is None or record.archived else record


def _existing(portal: Portal, otype: ObjectType, raw_id: str) -> Record:
    record = _record(portal, otype, raw_id)
    if record is None:
        raise not_found(raw_id)
    return record


def _spec_json(atype: AssocType | None, category: str, type_id: int) -> JsonDict:
    return {"category": category, "typeId": type_id, "label": atype.label if atype else None}


def _types_json(portal: Portal, a: str, b: str, specs: set[tuple[str, int]]) -> list[JsonDict]:
    return [_spec_json(portal.associations.find_type(a, b, c, t), c, t) for c, t in sorted(specs)]


def _wanted_types(portal: Portal, a: str, b: str, raw: Any) -> list[AssocType]:
    if not isinstance(raw, list) or not raw or not all(isinstance(s, dict) for s in raw):
        raise bad_request("At least one association type is required")
    wanted = []
    for spec in raw:
        type_id = spec.get("associationTypeId")
        if isinstance(type_id, bool) or not isinstance(type_id, int | str):
            raise bad_request(f"associationTypeId must be an integer, but was {type_id}")
        if not str(type_id).lstrip("-").isdigit():
            raise bad_request(f"associationTypeId must be an integer, but was {type_id}")
        category = str(spec.get("associationCategory"))
        wanted.append(portal.associations.validate_spec(a, b, category, int(type_id)))
    return wanted


def _labels_pair(portal: Portal, a: Record, b: Record) -> JsonDict:
    specs = portal.associations.specs((a.type_id, a.id), (b.type_id, b.id))
    labels = [t["label"] for t in _types_json(portal, a.type_id, b.type_id, specs) if t["label"]]
    return {
        "fromObjectTypeId": a.type_id,
        "fromObjectId": a.id,
        "toObjectTypeId": b.type_id,
        "toObjectId": b.id,
        "labels": labels,
    }


def _default_result(atype: AssocType, a: Record, b: Record) -> JsonDict:
    return {
        "from": {"id": str(a.id)},
        "to": {"id": str(b.id)},
        "associationSpec": {
            "associationCategory": atype.category,
            "associationTypeId": atype.type_id,
        },
    }


def _types(ctx: Ctx, a: str = "type", b: str = "toType") -> tuple[ObjectType, ObjectType]:
    portal = ctx.sim.portal
    return portal.resolve_type(ctx.params[a]), portal.resolve_type(ctx.params[b])


async def put_default(ctx: Ctx) -> Response:
    started = now_ms()
    portal = ctx.sim.portal
    ftype, ttype = _types(ctx)
    a = _existing(portal, ftype, ctx.params["id"])
    b = _existing(portal, ttype, ctx.params["toId"])
    atype = portal.associations.default_type(ftype.type_id, ttype.type_id)
    portal.associations.add((a.type_id, a.id), (b.type_id, b.id), atype)
    return batch_reply(200, started, [_default_result(atype, a, b)], [])


async def put_labels(ctx: Ctx) -> Response:
    portal = ctx.sim.portal
    ftype, ttype = _types(ctx)
    a = _existing(portal, ftype, ctx.params["id"])
    b = _existing(portal, ttype, ctx.params["toId"])
    wanted = _wanted_types(portal, ftype.type_id, ttype.type_id, await ctx.json())
    portal.associations.replace_labels((a.type_id, a.id), (b.type_id, b.id), wanted)
    return reply(201, _labels_pair(portal, a, b))


async def delete_pair(ctx: Ctx) -> Response:
    portal = ctx.sim.portal
    ftype, ttype = _types(ctx)
    a = _existing(portal, ftype, ctx.params["id"])
    b = _existing(portal, ttype, ctx.params["toId"])
    portal.associations.remove_all((a.type_id, a.id), (b.type_id, b.id))
    return reply(204)


def _page(
    portal: Portal, a: Record, ttype: ObjectType, after: int, limit: int
) -> tuple[list[JsonDict], int | None]:
    targets = [
        (to_id, specs)
        for to_id, specs in portal.associations.targets((a.type_id, a.id), ttype.type_id)
        if _record(portal, ttype, str(to_id)) is not None
    ]
    chunk = targets[after : after + limit]
    results = [
        {"toObjectId": to_id, "associationTypes": _types_json(portal, a.type_id, ttype.type_id, s)}
        for to_id, s in chunk
    ]
    return results, (after + limit if after + limit < len(targets) else None)


async def list_record_associations(ctx: Ctx) -> Response:
    portal = ctx.sim.portal
    ftype, ttype = _types(ctx)
    a = _existing(portal, ftype, ctx.params["id"])
    limit = ctx.query_int("limit", MAX_PAGE)
    if limit > MAX_PAGE or limit < 1:  # refused, not cut to 500 (reference 8: max 500)
        raise bad_request(LIMIT_TOO_HIGH_MESSAGE.format(limit=MAX_PAGE, value=limit))
    results, next_after = _page(
        portal, a, ttype, cursor_offset(ctx.request.query_params.get("after")), limit
    )
    body: JsonDict = {"results": results}
    if next_after is not None:
        body["paging"] = {"next": {"after": page_cursor(next_after)}}
    return reply(200, body)


def _inputs(body: JsonDict, limit: int) -> list[JsonDict]:
    inputs = require(body, "inputs")
    if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
        raise bad_request("inputs must be a list of objects")
    if len(inputs) > limit:
        raise too_many_inputs(len(inputs), limit)
    return inputs


def _missing_error(ids: list[str]) -> JsonDict:
    return SimError(
        404,
        "OBJECT_NOT_FOUND",
        "One or more associations are invalid: some objects do not exist.",
        context={"ids": ids},
    ).standard_error()


def _ref_id(item: JsonDict, key: str) -> str:
    """The id of an input's ``from`` or ``to``, each ``{"id": …}`` (reference 8); any other
    shape is a 400, checked before anything is written."""
    ref = require(item, key)
    if not isinstance(ref, dict):
        raise bad_request(f"{key} must be an object with an id")
    return str(require(ref, "id"))


def _pairs(
    portal: Portal, ftype: ObjectType, ttype: ObjectType, inputs: list[JsonDict]
) -> tuple[list[tuple[Record, Record, int]], list[str]]:
    """Each input's two live records with the input's index, and the from-ids of inputs
    missing one."""
    refs = [(_ref_id(item, "from"), _ref_id(item, "to")) for item in inputs]
    pairs, missing = [], []
    for index, (from_id, to_id) in enumerate(refs):
        a, b = _record(portal, ftype, from_id), _record(portal, ttype, to_id)
        if a is None or b is None:
            missing.append(from_id)
        else:
            pairs.append((a, b, index))
    return pairs, missing


async def batch_default(ctx: Ctx) -> Response:
    started = now_ms()
    portal = ctx.sim.portal
    ftype, ttype = _types(ctx, "from", "to")
    atype = portal.associations.default_type(ftype.type_id, ttype.type_id)
    pairs, missing = _pairs(portal, ftype, ttype, _inputs(await ctx.json_object(), MAX_BATCH_WRITE))
    results = []
    for a, b, _index in pairs:
        portal.associations.add((a.type_id, a.id), (b.type_id, b.id), atype)
        results.append(_default_result(atype, a, b))
    return batch_reply(200, started, results, [_missing_error(missing)] if missing else [])


async def batch_create(ctx: Ctx) -> Response:
    started = now_ms()
    portal = ctx.sim.portal
    ftype, ttype = _types(ctx, "from", "to")
    inputs = _inputs(await ctx.json_object(), MAX_BATCH_WRITE)
    wanted = [_wanted_types(portal, ftype.type_id, ttype.type_id, i.get("types")) for i in inputs]
    pairs, missing = _pairs(portal, ftype, ttype, inputs)
    results = []
    for a, b, index in pairs:
        portal.associations.replace_labels((a.type_id, a.id), (b.type_id, b.id), wanted[index])
        results.append(_labels_pair(portal, a, b))
    return batch_reply(201, started, results, [_missing_error(missing)] if missing else [])


def _no_associations(ftype: ObjectType, ttype: ObjectType, raw_id: str) -> JsonDict:
    """The 207 entry for an input with nothing to read (reference 8): the body integrators
    capture, one per input; a missing record reads the same way."""
    return SimError(
        404,
        "OBJECT_NOT_FOUND",
        f"No {ttype.name} is associated with {ftype.name} {raw_id}.",
        context={
            "fromObjectId": [raw_id],
            "fromObjectType": [ftype.name],
            "toObjectType": [ttype.name],
        },
        sub_category=NO_ASSOCIATIONS_FOUND,
    ).standard_error()


async def batch_read(ctx: Ctx) -> Response:
    started = now_ms()
    portal = ctx.sim.portal
    ftype, ttype = _types(ctx, "from", "to")
    results, errors = [], []
    for item in _inputs(await ctx.json_object(), MAX_BATCH_READ):
        raw_id = str(item.get("id", ""))
        a = _record(portal, ftype, raw_id)
        to, next_after = (
            ([], None)
            if a is None
            else _page(portal, a, ttype, cursor_offset(item.get("after")), MAX_PAGE)
        )
        if not to:
            errors.append(_no_associations(ftype, ttype, raw_id))
            continue
        entry: JsonDict = {"from": {"id": raw_id}, "to": to}
        if next_after is not None:
            entry["paging"] = {"next": {"after": page_cursor(next_after)}}
        results.append(entry)
    return batch_reply(200, started, results, errors)


async def batch_archive(ctx: Ctx) -> Response:
    portal = ctx.sim.portal
    ftype, ttype = _types(ctx, "from", "to")
    plans = []
    for item in _inputs(await ctx.json_object(), MAX_BATCH_WRITE):
        targets = require(item, "to")  # a list of {id} here, unlike batch create's one {id}
        if not isinstance(targets, list):
            raise bad_request("to must be a list of objects with an id")
        plans.append((_ref_id(item, "from"), [_ref_id({"to": t}, "to") for t in targets]))
    for from_id, to_ids in plans:
        a = _record(portal, ftype, from_id)
        for to_id in to_ids if a is not None else []:
            b = _record(portal, ttype, to_id)
            if a is not None and b is not None:
                portal.associations.remove_all((a.type_id, a.id), (b.type_id, b.id))
    return reply(204)


async def batch_archive_labels(ctx: Ctx) -> Response:
    portal = ctx.sim.portal
    ftype, ttype = _types(ctx, "from", "to")
    inputs = _inputs(await ctx.json_object(), MAX_BATCH_WRITE)
    wanted = [_wanted_types(portal, ftype.type_id, ttype.type_id, i.get("types")) for i in inputs]
    pairs, _missing = _pairs(portal, ftype, ttype, inputs)
    for a, b, index in pairs:
        for atype in wanted[index]:
            if atype.label is None:
                portal.associations.remove_all((a.type_id, a.id), (b.type_id, b.id))
            else:
                portal.associations.remove_spec((a.type_id, a.id), (b.type_id, b.id), atype)
    return reply(204)


async def list_labels(ctx: Ctx) -> Response:
    portal = ctx.sim.portal
    ftype, ttype = _types(ctx, "from", "to")
    types = portal.associations.types(ftype.type_id, ttype.type_id)
    return reply(200, {"results": [_spec_json(t, t.category, t.type_id) for t in types]})


async def create_label(ctx: Ctx) -> Response:
    portal = ctx.sim.portal
    ftype, ttype = _types(ctx, "from", "to")
    body = await ctx.json_object()
    made = portal.associations.create_label(
        ftype.type_id,
        ttype.type_id,
        str(require(body, "label")),
        str(require(body, "name")),
        body.get("inverseLabel"),
    )
    portal.version += 1
    return reply(200, {"results": [_spec_json(t, t.category, t.type_id) for t in made]})


def register(router: Router) -> None:
    rec = "/crm/v4/objects/{type}/{id}/associations"
    router.add("PUT", rec + "/default/{toType}/{toId}", put_default)
    router.add("PUT", rec + "/{toType}/{toId}", put_labels)
    router.add("DELETE", rec + "/{toType}/{toId}", delete_pair)
    router.add("GET", rec + "/{toType}", list_record_associations)
    pair = "/crm/v4/associations/{from}/{to}"
    router.add("POST", pair + "/batch/associate/default", batch_default)
    router.add("POST", pair + "/batch/create", batch_create)
    router.add("POST", pair + "/batch/read", batch_read)
    router.add("POST", pair + "/batch/archive", batch_archive)
    router.add("POST", pair + "/batch/labels/archive", batch_archive_labels)
    router.add("GET", pair + "/labels", list_labels)
    router.add("POST", pair + "/labels", create_label)
