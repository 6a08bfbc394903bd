"""The HubSpot simulator as an ASGI app: auth, faults, rate limits, stats, then the router.

``create_app(config)`` answers a Starlette app; its state is ``app.state.sim`` (a SimState).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from sims.hubspot import (
    routes_assoc,
    routes_batch,
    routes_meta,
    routes_objects,
    routes_pipelines,
    routes_sim,
)
from sims.hubspot.config import HubSpotSimConfig
from sims.hubspot.errors import (
    SimError,
    correlation_id,
    rate_limited_body,
    unauthorized,
    unknown_route,
    uri_too_long,
)
from sims.hubspot.http import Ctx, Router, reply
from sims.hubspot.scopes import missing_scopes, required_scope
from sims.hubspot.seed import SeedCounts, seed_portal
from sims.hubspot.state import SimState

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
SERVER_ERROR_STATUSES = (500, 502, 503, 504)


class DroppedConnection(Exception):
    """Raised after a response has started so the server closes the connection mid-answer."""


class DroppedResponse(Response):
    """Fault injection: start an answer, then drop the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]}
        )
        raise DroppedConnection("connection dropped by fault injection")


def build_api_router() -> Router:
    router = Router()
    routes_batch.register(router)
    routes_objects.register(router)
    routes_meta.register(router)
    routes_assoc.register(router)
    routes_pipelines.register(router)
    return router


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class ApiGate:
    """Everything that happens to an API request before and after its handler."""

    def __init__(self, sim: SimState, router: Router) -> None:
        self.sim = sim
        self.router = router

    async def __call__(self, request: Request) -> Response:
        sim = self.sim
        sim.stats.requests += 1
        corr = correlation_id()
        matched = self.router.match(request.method, request.url.path)
        label = f"{request.method} {matched[0].template if matched else '(unknown route)'}"
        sim.stats.by_route[label] = sim.stats.by_route.get(label, 0) + 1
        headers: dict[str, str] = {}
        try:
            if len(request.url.path) + len(request.url.query) + 1 > sim.config.max_uri_chars:
                raise uri_too_long()
            token = _bearer(request)
            if token is None or token not in sim.config.tokens:
                raise unauthorized()
            if matched is None:
                raise unknown_route()
            route, params = matched
            self._check_scope(token, request.method, route.template, params)
            kind = self._kind(route.template)
            faulted = await self._faults(corr)
            if faulted is not None:
                response = faulted
            else:
                response = self._limits(token, kind, headers, corr) or await self._run(
                    route.handler, Ctx(request, params, sim)
                )
        except SimError as err:
            response = reply(err.status, err.body(corr))
        response.headers["x-hubspot-correlation-id"] = corr
        response.headers.update(headers)
        return response

    def _check_scope(self, token: str, method: str, template: str, params: dict[str, str]) -> None:
        """A 403 ``MISSING_SCOPES`` when the token lacks the call's scope (reference 1)."""
        alias = params.get("type") or params.get("from")
        type_id = self.sim.portal.aliases.get(alias.lower()) if alias else None
        scope = required_scope(method, template, type_id)
        if scope is not None and not self.sim.config.grants(token, scope):
            raise missing_scopes(scope)

    @staticmethod
    def _kind(template: str) -> str:
        if template.endswith("/search"):
            return "search"
        if template.startswith("/crm/v4/"):
            return "associations"
        return "standard"

    async def _run(self, handler: Any, ctx: Ctx) -> Response:
        portal = self.sim.portal
        before = portal.version
        portal.current_source = self.sim.api_source
        response: Response = await handler(ctx)
        if portal.version != before:
            self.sim.stats.writes += 1
        return response

    async def _faults(self, corr: str) -> Response | None:
        faults, rng = self.sim.faults, self.sim.rng
        if faults.latency_ms > 0:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.drop_rate > 0 and rng.random() < faults.drop_rate:
            return DroppedResponse()
        if faults.error_rate > 0 and rng.random() < faults.error_rate:
            status = rng.choice(SERVER_ERROR_STATUSES)
            return reply(
                status,
                {
                    "status": "error",
                    "message": "internal error",
                    "correlationId": corr,
                    "category": "INTERNAL_ERROR",
                },
            )
        if faults.storm_429_rate > 0 and rng.random() < faults.storm_429_rate:
            return self._too_many("TEN_SECONDLY_ROLLING", corr)
        return None

    def _too_many(self, policy: str, corr: str) -> Response:
        self.sim.stats.rate_limited += 1
        body = rate_limited_body(policy, self.sim.config.portal_id, self.sim.config.app_id)
        body["correlationId"] = corr
        return reply(429, body)

    def _limits(self, token: str, kind: str, headers: dict[str, str], corr: str) -> Response | None:
        """Spend one unit of the right budget; answer the 429 when it is spent (reference 3).

        Associations v4 calls spend their own per-token budget (150 per window) and their
        rate-limit headers describe it; that they do not also spend the general budget is
        [assumed]. Search spends only the per-portal search budget and sends no headers.
        """
        sim = self.sim
        if kind == "search":
            if not sim.search_window.try_acquire():
                return self._too_many("SECONDLY", corr)
            return None
        window = sim.association_window(token) if kind == "associations" else sim.window(token)
        if window.limit <= 0 and sim.daily.limit <= 0:
            return None
        allowed = window.try_acquire()
        daily_ok = allowed and sim.daily.try_acquire()
        if window.limit > 0:
            headers.update(
                {
                    "X-HubSpot-RateLimit-Daily": str(sim.daily.limit),
                    "X-HubSpot-RateLimit-Daily-Remaining": str(sim.daily.remaining),
                    "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(window.window_s * 1000)),
                    "X-HubSpot-RateLimit-Max": str(window.limit),
                    "X-HubSpot-RateLimit-Remaining": str(window.remaining()),
                    "X-HubSpot-RateLimit-Secondly": str(max(window.limit // 10, 1)),
                    "X-HubSpot-RateLimit-Secondly-Remaining": str(max(window.remaining() // 10, 0)),
                }
            )
        if not allowed:
            return self._too_many("TEN_SECONDLY_ROLLING", corr)
        if not daily_ok:
            return self._too_many("DAILY", corr)
        return None


def create_app(config: HubSpotSimConfig | None = None) -> Starlette:
    """A HubSpot portal behind HubSpot's CRM API; ``app.state.sim`` holds its state."""
    sim = SimState(config or HubSpotSimConfig())
    if sim.config.seed is not None:
        sim.webhooks.enabled = False
        seed_portal(sim.portal, sim.config.seed, SeedCounts())
        sim.webhooks.enabled = True
    gate = ApiGate(sim, build_api_router())
    control = Router()
    routes_sim.register(control)

    async def endpoint(request: Request) -> Response:
        path = request.url.path
        if not path.startswith("/_sim/"):
            return await gate(request)
        matched = control.match(request.method, path)
        if matched is None:
            return reply(404, {"status": "error", "message": "unknown control route"})
        route, params = matched
        try:
            return await route.handler(Ctx(request, params, sim))
        except SimError as err:
            return reply(err.status, err.body(correlation_id()))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(sim.webhooks.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=METHODS)], lifespan=lifespan)
    app.state.sim = sim
    return app
