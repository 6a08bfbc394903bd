"""The control surface under ``/_sim/``: no token, and no part of HubSpot. Tests, the demo
and benchmarks use it to reset, seed, act as a HubSpot user, read call counts and set faults."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sims.hubspot.errors import INVALID_EMAIL_MESSAGE, SimError, bad_request
from sims.hubspot.http import Ctx, Router, reply
from sims.hubspot.portal import owner_json
from sims.hubspot.render import record_json
from sims.hubspot.routes_objects import inline_associations
from sims.hubspot.seed import SeedCounts, seed_portal
from sims.hubspot.state import Faults, Stats
from sims.hubspot.timeutil import iso_ms, now_ms
from sims.hubspot.values import valid_email

JsonDict = dict[str, Any]
FIRST_OWNER_ID = 41629779
FIRST_USER_ID = 9586504


async def reset(ctx: Ctx) -> Response:
    ctx.sim.reset()
    return reply(200, {"status": "reset"})


async def seed(ctx: Ctx) -> Response:
    body = await ctx.json_object()
    counts = SeedCounts()
    for name in ("owners", "companies", "contacts", "deals"):
        if name in body:
            setattr(counts, name, int(body[name]))
    value = body.get("seed", ctx.sim.config.seed or 0)
    if not isinstance(value, int):
        raise bad_request("seed must be an integer")
    ctx.sim.webhooks.enabled = False
    try:
        summary = seed_portal(ctx.sim.portal, value, counts)
    finally:
        ctx.sim.webhooks.enabled = True
    return reply(200, summary)


async def user_create(ctx: Ctx) -> Response:
    portal = ctx.sim.portal
    otype = portal.resolve_type(ctx.params["type"])
    body = await ctx.json_object()
    portal.current_source = ctx.sim.ui_source
    properties = body.get("properties") or {}
    changes = portal.prepare(otype, properties, None)
    source = body.get("analyticsSource")
    if source is not None:  # a form intake: HubSpot's tracking sets the original source
        tracked = {**properties, "hs_analytics_source": source}
        changes = portal.prepare(otype, tracked, None, allow_read_only=True)
    links = inline_associations(portal, otype, body.get("associations") or [])
    record = portal.create(otype, changes, ctx.sim.ui_source)
    for to_tid, to_id, atype in links:  # a user creating a contact on a company's page
        portal.associations.add((otype.type_id, record.id), (to_tid, to_id), atype)
    return reply(201, record_json(portal, otype, record, all_props=True))


async def user_update(ctx: Ctx) -> Response:
    portal = ctx.sim.portal
    otype = portal.resolve_type(ctx.params["type"])
    record = portal.get(otype, ctx.params["id"])
    body = await ctx.json_object()
    portal.current_source = ctx.sim.ui_source
    changes = portal.prepare(otype, body.get("properties") or {}, record, by_user=True)
    portal.update(otype, record, changes, ctx.sim.ui_source)
    return reply(200, record_json(portal, otype, record, all_props=True))


async def user_archive(ctx: Ctx) -> Response:
    portal = ctx.sim.portal
    otype = portal.resolve_type(ctx.params["type"])
    record = portal.get(otype, ctx.params["id"])
    portal.current_source = ctx.sim.ui_source
    portal.archive(otype, record, ctx.sim.ui_source)
    return reply(204)


async def user_restore(ctx: Ctx) -> Response:
    """A user restores a record from the recycle bin (HubSpot has no API for it)."""
    portal = ctx.sim.portal
    otype = portal.resolve_type(ctx.params["type"])
    record = portal.get(otype, ctx.params["id"], archived=True)
    portal.current_source = ctx.sim.ui_source
    portal.restore(otype, record, ctx.sim.ui_source)
    return reply(200, record_json(portal, otype, record, all_props=True))


async def add_owner(ctx: Ctx) -> Response:
    """A new HubSpot user becomes an owner; answered as the owners API shows it."""
    portal = ctx.sim.portal
    body = await ctx.json_object()
    email = body.get("email")
    if not isinstance(email, str) or not valid_email(email):
        raise bad_request(INVALID_EMAIL_MESSAGE.format(value=email))
    if any(str(o.get("email", "")).lower() == email.lower() for o in portal.owners):
        raise SimError(409, "CONFLICT", f"An owner with email {email} already exists.")
    names = [body.get(k) or "" for k in ("firstName", "lastName")]
    if not all(isinstance(n, str) for n in names):
        raise bad_request("firstName and lastName must be strings")
    owner_id = max(int(o["id"]) for o in portal.owners) + 1 if portal.owners else FIRST_OWNER_ID
    user_id = (
        max(int(o["userIdIncludingInactive"]) for o in portal.owners) + 1
        if portal.owners
        else FIRST_USER_ID
    )
    stamp = iso_ms(now_ms())
    owner = owner_json(
        str(owner_id), email, names[0], names[1], user_id, created=stamp, updated=stamp, teams=()
    )
    portal.owners.append(owner)
    portal.version += 1
    return reply(201, owner)


async def get_stats(ctx: Ctx) -> Response:
    return reply(200, ctx.sim.stats.to_json())


async def reset_stats(ctx: Ctx) -> Response:
    ctx.sim.stats = Stats()
    return reply(200, ctx.sim.stats.to_json())


async def get_faults(ctx: Ctx) -> Response:
    return reply(200, ctx.sim.faults.to_json())


async def put_faults(ctx: Ctx) -> Response:
    body = await ctx.json_object()
    faults = Faults()
    for name, default in faults.to_json().items():
        value = body.get(name, default)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise bad_request(f"{name} must be a non-negative number")
        setattr(faults, name, type(default)(value))
    ctx.sim.faults = faults
    return reply(200, faults.to_json())


async def index_now(ctx: Ctx) -> Response:
    """Make every pending write searchable at once (skips the indexing delay)."""
    portal = ctx.sim.portal
    for records in portal.records.values():
        for record in records.values():
            if record.pending:
                record.indexed = record.pending[-1][1]
                record.pending.clear()
    return reply(200, {"status": "indexed"})


async def webhook_log(ctx: Ctx) -> Response:
    hooks = ctx.sim.webhooks
    return reply(
        200,
        {
            "pending": len(hooks.pending),
            "deliveries": [d.__dict__ for d in hooks.deliveries],
            "subscriptions": [
                {
                    "id": s.id,
                    "subscriptionType": s.subscription_type,
                    "propertyName": s.property_name,
                    "objectType": s.object_type,
                }
                for s in hooks.subscriptions
            ],
        },
    )


async def reset_limits(ctx: Ctx) -> Response:
    ctx.sim.reset_limits()
    return reply(200, {"status": "reset"})


def register(router: Router) -> None:
    router.add("POST", "/_sim/reset", reset)
    router.add("POST", "/_sim/seed", seed)
    router.add("POST", "/_sim/objects/{type}", user_create)
    router.add("PATCH", "/_sim/objects/{type}/{id}", user_update)
    router.add("DELETE", "/_sim/objects/{type}/{id}", user_archive)
    router.add("POST", "/_sim/objects/{type}/{id}/restore", user_restore)
    router.add("POST", "/_sim/owners", add_owner)
    router.add("GET", "/_sim/stats", get_stats)
    router.add("POST", "/_sim/stats/reset", reset_stats)
    router.add("GET", "/_sim/faults", get_faults)
    router.add("PUT", "/_sim/faults", put_faults)
    router.add("POST", "/_sim/search/index", index_now)
    router.add("GET", "/_sim/webhooks", webhook_log)
    router.add("POST", "/_sim/limits/reset", reset_limits)
