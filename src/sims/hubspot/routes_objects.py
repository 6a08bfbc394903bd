"""CRM objects v3: single records, lists, search and merges (reference 4.1, 4.2, 4.5, 5)."""

from __future__ import annotations

import time
from typing import Any

from starlette.responses import Response

from sims.hubspot import search
from sims.hubspot.errors import LIMIT_TOO_HIGH_MESSAGE, SimError, bad_request, not_found
from sims.hubspot.http import Ctx, Router, missing_field, reply, require
from sims.hubspot.portal import ObjectType
from sims.hubspot.render import associations_json, record_json
from sims.hubspot.store import Portal, Record

JsonDict = dict[str, Any]
MAX_LIST_LIMIT = 100
MAX_HISTORY_LIMIT = 50
"""A page with ``propertiesWithHistory`` holds at most 50 records ([assumed] reference 4.1)."""
DEFAULT_LIST_LIMIT = 10


def _otype(ctx: Ctx) -> ObjectType:
    return ctx.sim.portal.resolve_type(ctx.params["type"])


def _base_url(ctx: Ctx) -> str:
    return str(ctx.request.base_url).rstrip("/")


def _link(ctx: Ctx, after: str) -> str:
    return str(ctx.request.url.include_query_params(after=after))


async def list_objects(ctx: Ctx) -> Response:
    portal, otype = ctx.sim.portal, _otype(ctx)
    limit = ctx.query_int("limit", DEFAULT_LIST_LIMIT)
    history = ctx.query_list("propertiesWithHistory")
    max_limit = MAX_HISTORY_LIMIT if history else MAX_LIST_LIMIT
    if limit > max_limit or limit < 1:
        raise bad_request(LIMIT_TOO_HIGH_MESSAGE.format(limit=max_limit, value=limit))
    after_raw = ctx.request.query_params.get("after") or "0"
    if not after_raw.isdigit():
        raise bad_request(f"Invalid after cursor: {after_raw}")
    records, next_id = portal.page(otype, int(after_raw), limit, ctx.query_bool("archived"))
    props = ctx.query_list("properties")
    assoc = ctx.query_list("associations")
    results = []
    for record in records:
        item = record_json(portal, otype, record, props, with_history=history)
        if assoc:
            links = associations_json(portal, otype, record, assoc, _base_url(ctx))
            if links:
                item["associations"] = links
        results.append(item)
    body: JsonDict = {"results": results}
    if next_id is not None:
        body["paging"] = {"next": {"after": str(next_id), "link": _link(ctx, str(next_id))}}
    return reply(200, body)


async def get_object(ctx: Ctx) -> Response:
    portal, otype = ctx.sim.portal, _otype(ctx)
    record = portal.get(
        otype,
        ctx.params["id"],
        ctx.request.query_params.get("idProperty"),
        ctx.query_bool("archived"),
    )
    item = record_json(
        portal,
        otype,
        record,
        ctx.query_list("properties"),
        with_history=ctx.query_list("propertiesWithHistory"),
    )
    assoc = ctx.query_list("associations")
    if assoc:
        links = associations_json(portal, otype, record, assoc, _base_url(ctx))
        if links:
            item["associations"] = links
    return reply(200, item)


async def create_object(ctx: Ctx) -> Response:
    portal, otype = ctx.sim.portal, _otype(ctx)
    body = await ctx.json_object()
    changes = portal.prepare(otype, require(body, "properties"), None)
    links = inline_associations(portal, otype, body.get("associations") or [])
    record = portal.create(otype, changes, ctx.sim.api_source)
    for to_tid, to_id, atype in links:
        portal.associations.add((otype.type_id, record.id), (to_tid, to_id), atype)
    location = f"{ctx.request.url}/{record.id}"
    return reply(201, record_json(portal, otype, record, all_props=True), {"Location": location})


def inline_associations(
    portal: Portal, otype: ObjectType, raw: list[Any]
) -> list[tuple[str, int, Any]]:
    """Check ``associations`` of a create body before anything is written."""
    if not isinstance(raw, list):
        raise bad_request("associations must be a list")
    links = []
    for item in raw:
        # PublicAssociationsForObject requires both ``to`` and ``types`` (reference 4.1): an
        # item without types is refused, never skipped with its target unchecked.
        if not isinstance(item, dict):
            raise bad_request("Each association must be an object")
        target_ref = require(item, "to")
        to_id = str(require(target_ref, "id")) if isinstance(target_ref, dict) else ""
        types = require(item, "types")
        if not isinstance(types, list) or not types or not all(isinstance(t, dict) for t in types):
            raise missing_field("types")
        for spec in types:
            category = str(spec.get("associationCategory"))
            raw_type_id = str(spec.get("associationTypeId", ""))
            type_id = int(raw_type_id) if raw_type_id.lstrip("-").isdigit() else -1
            found = None
            for to_tid in portal.types:
                atype = portal.associations.find_type(otype.type_id, to_tid, category, type_id)
                if atype is not None:
                    found = (to_tid, atype)
                    break
            if found is None:
                raise _wrong_association_type(portal, otype, category, type_id)
            target = portal.live(found[0], int(to_id)) if to_id.isdigit() else None
            if target is None or target.archived:
                raise SimError(
                    400,
                    "VALIDATION_ERROR",
                    "One or more associations are invalid",
                    context={"INVALID_OBJECT_IDS": [to_id]},
                )
            links.append((found[0], target.id, found[1]))
    return links


def _wrong_association_type(
    portal: Portal, otype: ObjectType, category: str, type_id: int
) -> SimError:
    """An inline association whose type belongs to another object type is HubSpot's
    ``invalid from object type X … expected: Y`` (reference 8); an unknown type id is the
    simulator's own text."""
    for from_tid in portal.types:
        if any(portal.associations.find_type(from_tid, t, category, type_id) for t in portal.types):
            return bad_request(
                f"invalid from object type {from_tid} for associations to be created. "
                f"expected: {otype.type_id}"
            )
    return bad_request(
        f"invalid association type {category} {type_id} from object type {otype.type_id}"
    )


async def update_object(ctx: Ctx) -> Response:
    portal, otype = ctx.sim.portal, _otype(ctx)
    record = portal.get(otype, ctx.params["id"], ctx.request.query_params.get("idProperty"))
    body = await ctx.json_object()
    changes = portal.prepare(otype, require(body, "properties"), record)
    portal.update(otype, record, changes, ctx.sim.api_source)
    return reply(200, record_json(portal, otype, record, all_props=True))


async def archive_object(ctx: Ctx) -> Response:
    portal, otype = ctx.sim.portal, _otype(ctx)
    record = portal.get(otype, ctx.params["id"])
    portal.archive(otype, record, ctx.sim.api_source)
    return reply(204)


async def gdpr_delete(ctx: Ctx) -> Response:
    """``POST /crm/v3/objects/contacts/gdpr-delete`` (reference 4.1): 204 also when an
    email finds no contact; that address is then blocklisted, so no contact may use it
    (refused as ``INVALID_EMAIL``, [assumed])."""
    portal, otype = ctx.sim.portal, _otype(ctx)
    if otype.type_id != "0-1":
        raise bad_request("GDPR delete is only available for contacts")
    body = await ctx.json_object()
    raw_id = str(require(body, "objectId"))
    id_property = body.get("idProperty") or None
    record = portal.find(otype, raw_id, id_property)
    if record is None and id_property == "email":
        portal.blocked.add(raw_id.lower())
        return reply(204)
    if record is None:
        raise not_found(raw_id)
    portal.gdpr_delete(otype, record, ctx.sim.api_source)
    return reply(204)


async def merge_objects(ctx: Ctx) -> Response:
    portal, otype = ctx.sim.portal, _otype(ctx)
    body = await ctx.json_object()
    primary_id = str(require(body, "primaryObjectId"))
    other_id = str(require(body, "objectIdToMerge"))
    primary = portal.get(otype, primary_id)
    other = portal.get(otype, other_id)
    survivor = portal.merge(otype, primary, other, ctx.sim.api_source)
    return reply(200, record_json(portal, otype, survivor, all_props=True))


async def search_objects(ctx: Ctx) -> Response:
    portal, otype = ctx.sim.portal, _otype(ctx)
    body = await ctx.json_object()
    req = search.parse_request(body)
    if otype.is_custom and any(
        str(f["propertyName"]).startswith("associations.") for g in req.groups for f in g
    ):
        raise bad_request("Association filters are not supported for custom objects")
    hits = _search_hits(portal, otype, req)
    page = hits[req.after : req.after + req.limit]
    out: JsonDict = {
        "total": len(hits),
        "results": [
            record_json(portal, otype, rec, req.properties, props_view=view) for rec, view in page
        ],
    }
    if req.after + req.limit < len(hits):
        out["paging"] = {"next": {"after": str(req.after + req.limit)}}
    return reply(200, out)


def _search_hits(
    portal: Portal, otype: ObjectType, req: search.SearchRequest
) -> list[tuple[Record, dict[str, str]]]:
    tid = otype.type_id
    now = time.monotonic()
    pdefs = portal.properties[tid]

    def associated_with(record: Record) -> Any:
        def check(alias: str, raw_id: str) -> bool:
            to_tid = portal.aliases.get(alias.lower()) or portal.aliases.get(alias.lower() + "s")
            if to_tid is None or not raw_id.isdigit():
                return False
            return bool(portal.associations.specs((tid, record.id), (to_tid, int(raw_id))))

        return check

    hits = []
    for record in portal.iter_records(tid):
        view = portal.searchable(record, now)
        if view is None:
            continue
        if req.query and not search.matches_query(req.query, view, otype.searchable_props):
            continue
        if req.groups and not any(
            all(
                search.matches_filter(
                    f, view, pdefs.get(str(f["propertyName"])), associated_with(record)
                )
                for f in group
            )
            for group in req.groups
        ):
            continue
        hits.append((record, view))
    if req.sort_prop:
        pdef = pdefs.get(req.sort_prop)
        name = req.sort_prop
        present = [h for h in hits if h[1].get(name) is not None]
        absent = [h for h in hits if h[1].get(name) is None]
        present.sort(key=lambda h: search.sort_key(pdef, h[1].get(name)), reverse=req.descending)
        hits = present + absent
    return hits


def register(router: Router) -> None:
    base = "/crm/v3/objects/{type}"
    router.add("GET", base, list_objects)
    router.add("POST", base, create_object)
    router.add("POST", base + "/search", search_objects)
    router.add("POST", base + "/merge", merge_objects)
    router.add("POST", base + "/gdpr-delete", gdpr_delete)
    router.add("GET", base + "/{id}", get_object)
    router.add("PATCH", base + "/{id}", update_object)
    router.add("DELETE", base + "/{id}", archive_object)
