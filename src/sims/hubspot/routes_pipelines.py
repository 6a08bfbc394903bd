"""Pipelines API (reference 10): list, read, create, change and delete pipelines, and their
stages."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sims.hubspot import pipelines
from sims.hubspot.errors import SimError
from sims.hubspot.http import Ctx, Router, reply

JsonDict = dict[str, Any]


def _tid(ctx: Ctx) -> str:
    return ctx.sim.portal.resolve_type(ctx.params["type"]).type_id


def _pipeline(ctx: Ctx) -> JsonDict:
    for pipeline in pipelines.live(ctx.sim.portal, _tid(ctx)):
        if pipeline["id"] == ctx.params["pipeline"]:
            return pipeline
    raise SimError(404, "OBJECT_NOT_FOUND", f"Unable to find pipeline {ctx.params['pipeline']}")


async def list_pipelines(ctx: Ctx) -> Response:
    return reply(200, {"results": pipelines.live(ctx.sim.portal, _tid(ctx))})


async def create_pipeline(ctx: Ctx) -> Response:
    body = await ctx.json_object()
    return reply(201, pipelines.create_pipeline(ctx.sim.portal, _tid(ctx), body))


async def get_pipeline(ctx: Ctx) -> Response:
    return reply(200, _pipeline(ctx))


async def patch_pipeline(ctx: Ctx) -> Response:
    pipeline = _pipeline(ctx)
    body = await ctx.json_object()
    return reply(200, pipelines.update_pipeline(ctx.sim.portal, _tid(ctx), pipeline, body))


async def delete_pipeline(ctx: Ctx) -> Response:
    pipeline = _pipeline(ctx)
    validate = ctx.query_bool("validateReferencesBeforeDelete")
    pipelines.archive_pipeline(ctx.sim.portal, _tid(ctx), pipeline, validate)
    return reply(204)


async def list_stages(ctx: Ctx) -> Response:
    return reply(200, {"results": [s for s in _pipeline(ctx)["stages"] if not s["archived"]]})


async def create_stage(ctx: Ctx) -> Response:
    pipeline = _pipeline(ctx)
    body = await ctx.json_object()
    return reply(201, pipelines.add_stage(ctx.sim.portal, _tid(ctx), pipeline, body))


async def get_stage(ctx: Ctx) -> Response:
    for stage in _pipeline(ctx)["stages"]:
        if stage["id"] == ctx.params["stage"] and not stage["archived"]:
            return reply(200, stage)
    raise SimError(404, "OBJECT_NOT_FOUND", f"Unable to find stage {ctx.params['stage']}")


def register(router: Router) -> None:
    pipes = "/crm/v3/pipelines/{type}"
    router.add("GET", pipes, list_pipelines)
    router.add("POST", pipes, create_pipeline)
    router.add("GET", pipes + "/{pipeline}", get_pipeline)
    router.add("PATCH", pipes + "/{pipeline}", patch_pipeline)
    router.add("DELETE", pipes + "/{pipeline}", delete_pipeline)
    router.add("GET", pipes + "/{pipeline}/stages", list_stages)
    router.add("POST", pipes + "/{pipeline}/stages", create_stage)
    router.add("GET", pipes + "/{pipeline}/stages/{stage}", get_stage)
