"""Properties, property groups, custom-object schemas and owners (reference sections 6, 7
and 9)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sims.hubspot.errors import (
    CUSTOM_OBJECT_LIMIT_MESSAGE,
    SimError,
    bad_request,
    custom_objects_unavailable,
)
from sims.hubspot.http import Ctx, Router, reply, require
from sims.hubspot.schema_rules import (
    create_schema,
    group_from_body,
    schema_json,
    update_property,
)
from sims.hubspot.timeutil import iso_ms, now_ms

JsonDict = dict[str, Any]
DEFAULT_OWNER_LIMIT = 100


def _tid(ctx: Ctx) -> str:
    return ctx.sim.portal.resolve_type(ctx.params["type"]).type_id


def _property_missing(name: str) -> SimError:
    return SimError(
        404, "OBJECT_NOT_FOUND", f"Unable to find property {name}", context={"propertyName": [name]}
    )


async def list_properties(ctx: Ctx) -> Response:
    tid = _tid(ctx)
    archived = ctx.query_bool("archived")
    wanted = ctx.query_list("properties")
    results = [
        p.to_json()
        for p in ctx.sim.portal.properties[tid].values()
        if p.archived == archived and (not wanted or p.name in wanted)
    ]
    return reply(200, {"results": results})


async def create_property(ctx: Ctx) -> Response:
    tid = _tid(ctx)
    pdef = ctx.sim.portal.create_property(tid, await ctx.json_object())
    return reply(201, pdef.to_json())


async def get_property(ctx: Ctx) -> Response:
    tid, name = _tid(ctx), ctx.params["name"]
    pdef = ctx.sim.portal.properties[tid].get(name)
    if pdef is None or pdef.archived != ctx.query_bool("archived"):
        raise _property_missing(name)
    return reply(200, pdef.to_json())


async def patch_property(ctx: Ctx) -> Response:
    tid, name = _tid(ctx), ctx.params["name"]
    pdef = ctx.sim.portal.prop(tid, name)
    if pdef is None:
        raise _property_missing(name)
    update_property(ctx.sim.portal, tid, pdef, await ctx.json_object())
    ctx.sim.portal.version += 1
    return reply(200, pdef.to_json())


async def archive_property(ctx: Ctx) -> Response:
    tid, name = _tid(ctx), ctx.params["name"]
    pdef = ctx.sim.portal.prop(tid, name)
    if pdef is None:
        raise _property_missing(name)
    if pdef.hubspot_defined:
        raise bad_request(f"Property {name} is HubSpot-defined and cannot be archived.")
    pdef.archived = True
    ctx.sim.portal.version += 1
    return reply(204)


async def batch_read_properties(ctx: Ctx) -> Response:
    tid = _tid(ctx)
    body = await ctx.json_object()
    names = [str(i.get("name")) for i in require(body, "inputs")]
    found = [ctx.sim.portal.prop(tid, n) for n in names]
    stamp = now_ms()
    return reply(
        200,
        {
            "status": "COMPLETE",
            "results": [p.to_json() for p in found if p is not None],
            "startedAt": iso_ms(stamp),
            "completedAt": iso_ms(now_ms()),
        },
    )


async def list_groups(ctx: Ctx) -> Response:
    tid = _tid(ctx)
    groups = [g.to_json() for g in ctx.sim.portal.groups[tid].values() if not g.archived]
    return reply(200, {"results": groups})


async def create_group(ctx: Ctx) -> Response:
    tid = _tid(ctx)
    group = group_from_body(ctx.sim.portal, tid, await ctx.json_object())
    ctx.sim.portal.groups[tid][group.name] = group
    ctx.sim.portal.version += 1
    return reply(201, group.to_json())


def _group(ctx: Ctx) -> Any:
    tid, name = _tid(ctx), ctx.params["name"]
    group = ctx.sim.portal.groups[tid].get(name)
    if group is None or group.archived:
        raise SimError(404, "OBJECT_NOT_FOUND", f"Unable to find property group {name}")
    return group


async def get_group(ctx: Ctx) -> Response:
    return reply(200, _group(ctx).to_json())


async def patch_group(ctx: Ctx) -> Response:
    group = _group(ctx)
    body = await ctx.json_object()
    group.label = str(body.get("label", group.label))
    group.display_order = int(body.get("displayOrder", group.display_order))
    ctx.sim.portal.version += 1
    return reply(200, group.to_json())


async def archive_group(ctx: Ctx) -> Response:
    _group(ctx).archived = True
    ctx.sim.portal.version += 1
    return reply(204)


async def list_schemas(ctx: Ctx) -> Response:
    portal = ctx.sim.portal
    results = [schema_json(portal, t) for t in portal.types.values() if t.schema is not None]
    return reply(200, {"results": results})


async def post_schema(ctx: Ctx) -> Response:
    if not ctx.sim.config.custom_objects:
        raise custom_objects_unavailable()
    limit = ctx.sim.config.max_custom_objects
    defined = sum(1 for t in ctx.sim.portal.types.values() if t.schema is not None)
    if 0 < limit <= defined:
        raise bad_request(CUSTOM_OBJECT_LIMIT_MESSAGE.format(limit=limit))
    otype = create_schema(ctx.sim.portal, await ctx.json_object())
    return reply(201, schema_json(ctx.sim.portal, otype))


async def get_schema(ctx: Ctx) -> Response:
    portal = ctx.sim.portal
    tid = portal.aliases.get(ctx.params["type"].lower())
    otype = portal.types.get(tid or "")
    if otype is None or otype.schema is None:
        raise SimError(404, "OBJECT_NOT_FOUND", f"Unable to find object type {ctx.params['type']}")
    return reply(200, schema_json(portal, otype))


async def list_owners(ctx: Ctx) -> Response:
    owners = ctx.sim.portal.owners
    email = ctx.request.query_params.get("email")
    if email:
        owners = [o for o in owners if str(o.get("email", "")).lower() == email.lower()]
    if ctx.query_bool("archived"):
        owners = []
    limit = ctx.query_int("limit", DEFAULT_OWNER_LIMIT)
    after = ctx.query_int("after", 0)
    if limit < 1 or after < 0:  # limit 0 paged on to itself for ever
        raise bad_request(f"limit must be at least 1 and after not negative ({limit}, {after})")
    page = owners[after : after + limit]
    body: JsonDict = {"results": page}
    if after + limit < len(owners):
        body["paging"] = {"next": {"after": str(after + limit)}}
    return reply(200, body)


async def get_owner(ctx: Ctx) -> Response:
    key = ctx.params["id"]
    by_user = ctx.request.query_params.get("idProperty") == "userId"
    for owner in ctx.sim.portal.owners:
        if (str(owner["userId"]) if by_user else owner["id"]) == key:
            return reply(200, owner)
    raise SimError(404, "OBJECT_NOT_FOUND", f"Unable to find owner {key}")


def register(router: Router) -> None:
    props = "/crm/v3/properties/{type}"
    router.add("GET", props, list_properties)
    router.add("POST", props, create_property)
    router.add("POST", props + "/batch/read", batch_read_properties)
    router.add("GET", props + "/groups", list_groups)
    router.add("POST", props + "/groups", create_group)
    router.add("GET", props + "/groups/{name}", get_group)
    router.add("PATCH", props + "/groups/{name}", patch_group)
    router.add("DELETE", props + "/groups/{name}", archive_group)
    router.add("GET", props + "/{name}", get_property)
    router.add("PATCH", props + "/{name}", patch_property)
    router.add("DELETE", props + "/{name}", archive_property)
    for base in ("/crm-object-schemas/v3/schemas", "/crm/v3/schemas"):
        router.add("GET", base, list_schemas)
        router.add("POST", base, post_schema)
        router.add("GET", base + "/{type}", get_schema)
    router.add("GET", "/crm/v3/owners", list_owners)
    router.add("GET", "/crm/v3/owners/", list_owners)
    router.add("GET", "/crm/v3/owners/{id}", get_owner)
