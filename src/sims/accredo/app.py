"""The simulator's ASGI app: the Accredo Web Service API plus the ``/_sim/`` controls.

``create_app(config)`` builds one simulated company; its state is ``app.state.sim``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sims.accredo import ledger
from sims.accredo.auth import GrantError
from sims.accredo.company import BASE_CURRENCY, about, company_details, user_details
from sims.accredo.config import SimConfig
from sims.accredo.control import control_routes
from sims.accredo.events import AfterSave, EventHook
from sims.accredo.odata import ExpandItem, QueryError
from sims.accredo.query import Options, parse_options, run
from sims.accredo.schema import EntityDef, load_spec
from sims.accredo.state import SimError, SimState, key_literal
from sims.accredo.tables import Row

EDITIONS = ("saturn", "mercury")
_COMPANY_RE = re.compile(r"^company\('((?:[^']|'')*)'\)(?:/(.*))?$", re.IGNORECASE)
_SEGMENT_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$", re.S)
#: The unbound functions the simulator answers: all GET in the spec (reference 4, 10.9).
FUNCTIONS = frozenset(
    {
        "systemdate",
        "systemperiod",
        "currentperiod",
        "periodfordate",
        "appname",
        "basecurrencycode",
        "moduleavailable",
        "user",
        "company",
        "about",
    }
)
#: Parameters the spec marks required (a function asked without one is a 400).
REQUIRED_PARAMS = {
    "currentperiod": "ModuleCode",
    "moduleavailable": "ModuleCode",
    "periodfordate": "Date",
}
_ROUTE_RE = re.compile(r"/odata4/v1/company\('[^']*'\)/([A-Za-z_][A-Za-z0-9_]*)(\()?", re.I)


def odata_error(
    status: int,
    code: str,
    message: str,
    target: str | None = None,
    details: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    err: dict[str, Any] = {"code": code, "message": message}
    if target:
        err["target"] = target
    if details:
        err["details"] = details
    return JSONResponse({"error": err}, status_code=status, headers=headers)


def sim_error_response(exc: SimError) -> JSONResponse:
    return odata_error(exc.status, exc.code, exc.message, exc.target, exc.details)


def _not_json(word: str) -> Any:
    """``NaN``/``Infinity`` are not JSON (RFC 8259): Python's parser takes them, Accredo's
    need not, so a body carrying one is refused as not JSON."""
    raise json.JSONDecodeError(f"{word} is not a JSON value", word, 0)


# ----- serialisation ----------------------------------------------------------------------


def metadata_level(request: Request, opts: Options | None) -> str:
    texts = [request.headers.get("format", ""), request.headers.get("accept", "")]
    if opts is not None and opts.format:
        texts.append(opts.format)
    for text in texts:
        m = re.search(r"odata\.metadata=(minimal|full|none)", text, re.I)
        if m:
            return m.group(1).lower()
    return "minimal"


def entity_json(
    sim: SimState,
    ent: EntityDef,
    row: Row,
    select: list[str] | None,
    expand: list[ExpandItem],
    meta: str,
    service: str,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if meta != "none" and "RecordRevision" in ent.fields:
        out["@odata.etag"] = sim.etag(ent.name, row)
    if meta == "full" and ent.key:
        link = f"{service}/{ent.name}({key_literal(row.get(ent.key))})"
        out["@odata.id"] = link
        out["@odata.editLink"] = link
    defaults = sim.defaults[ent.name]
    names = [n for n in (select or ent.scalar_names) if n not in ent.navs]
    for n in names:
        out[n] = row.get(n, defaults.get(n))
    for item in expand:
        items = sim.nav_items(ent.name, row, item.nav)
        sub = sim.nav_fields(ent.name, item.nav)
        sub_names = item.select or [n for n, f in sub.items() if f.type not in ("array", "ref")]
        sub_defaults = sim.nav_defaults[(ent.name, item.nav)]
        if meta != "none":
            out[f"{item.nav}@odata.context"] = (
                f"{service}/$metadata#{ent.name}({key_literal(row.get(ent.key or ''))})/{item.nav}"
            )
        if isinstance(items, dict):
            out[item.nav] = {n: items.get(n, sub_defaults[n]) for n in sub_names if n in items}
        else:
            out[item.nav] = [{n: it.get(n, sub_defaults[n]) for n in sub_names} for it in items]
    return out


# ----- request handling -------------------------------------------------------------------


class Api:
    """Handlers of the Accredo API routes, bound to one :class:`SimState`."""

    def __init__(self, sim: SimState) -> None:
        self.sim = sim
        self.entity_names = {n.lower(): n for n in sim.entities}

    def service_url(self, request: Request, edition: str) -> str:
        base = str(request.base_url).rstrip("/")
        return f"{base}/{edition}/odata4/v1/Company('{self.sim.config.company}')"

    def authenticate(self, request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        token = None
        if header.lower().startswith("bearer "):
            token = header[7:].strip()
        elif request.method == "GET":
            token = request.query_params.get("access_token")
        rate = self.sim.config.early_token_expiry
        if token and rate > 0 and self.sim.fault_rng.random() < rate:
            self.sim.auth.expire(token)
        return self.sim.auth.validate(token)

    async def token(self, request: Request) -> Response:
        if request.path_params["edition"].lower() not in EDITIONS:
            return odata_error(404, "NotFound", "Unknown service root")
        raw = await request.body()
        form: dict[str, Any] = {}
        text = raw.decode("utf-8", errors="replace").strip()
        # JSON with any or no Content-Type (public clients omit it), else a form body.
        if text and not text.startswith("{"):
            form = dict(parse_qsl(text))
        elif text:
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                parsed = None
            if not isinstance(parsed, dict):
                return JSONResponse(
                    {"error": "invalid_request", "error_description": "Body is not JSON."},
                    status_code=400,
                )
            form = parsed
        try:
            with self.sim.lock:
                body = self.sim.auth.grant(form)
        except GrantError as exc:
            return JSONResponse(
                {"error": exc.error, "error_description": exc.description}, status_code=exc.status
            )
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def revoke(self, request: Request) -> Response:
        kind = "access" if "/accesstokens/" in request.url.path else "refresh"
        if self.sim.auth.revoke(kind, request.path_params["token"]):
            return Response(status_code=204)
        return odata_error(401, "InvalidToken", "invalid token")

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(load_spec())

    async def odata(self, request: Request) -> Response:
        try:
            return await self._odata(request)
        except SimError as exc:
            return sim_error_response(exc)
        except QueryError as exc:
            return odata_error(400, "BadRequest", str(exc))

    async def _odata(self, request: Request) -> Response:
        edition = request.path_params["edition"]
        rest = request.path_params["rest"]
        if edition.lower() not in EDITIONS:
            raise SimError(404, "NotFound", "Unknown service root")
        if rest in ("openapi.json", "$metadata"):
            return JSONResponse(load_spec())
        m = _COMPANY_RE.match(rest)
        if not m:
            raise SimError(404, "NotFound", f"Resource not found: {rest}")
        company, tail = m.group(1).replace("''", "'"), (m.group(2) or "").strip("/")
        if company.upper() != self.sim.config.company.upper():
            raise SimError(404, "NotFound", f"Company '{company}' not found")
        if tail in ("openapi.json", "$metadata"):
            return JSONResponse(load_spec())
        user = self.authenticate(request)
        if user is None:
            return odata_error(
                401, "InvalidToken", "invalid access token", headers={"WWW-Authenticate": "Bearer"}
            )
        service = self.service_url(request, edition)
        if tail == "":
            return JSONResponse(
                {
                    "@odata.context": f"{service}/$metadata",
                    "value": [
                        {"name": n, "kind": "EntitySet", "url": n} for n in self.sim.entities
                    ],
                }
            )
        segments = tail.split("/")
        sm = _SEGMENT_RE.match(segments[0])
        if not sm:
            raise SimError(404, "NotFound", f"Resource not found: {tail}")
        name, key_text = sm.group(1), sm.group(2)
        canonical = self.entity_names.get(name.lower())
        if canonical is None:
            return self.function(request, name, key_text, service, user)
        if len(segments) > 1:
            raise SimError(
                501, "NotImplemented", f"Bound operation '{segments[1]}' is not simulated."
            )
        ent = self.sim.entities[canonical]
        if key_text is None:
            return await self.collection(request, ent, service, user)
        key = self.parse_key(ent, key_text)
        return await self.single(request, ent, key, service, user)

    def parse_key(self, ent: EntityDef, text: str) -> Any:
        text = text.strip()
        if "=" in text:
            text = text.split("=", 1)[1].strip()
        if len(text) >= 2 and text[0] == text[-1] == "'":
            value: Any = text[1:-1].replace("''", "'")
            if ent.key_is_int:
                if not value.lstrip("-").isdigit():
                    raise QueryError(f"Key of {ent.name} must be an integer")
                value = int(value)
            return value
        if ent.key_is_int and text.lstrip("-").isdigit():
            return int(text)
        raise QueryError(f"Invalid key '{text}' for {ent.name}")

    def function(
        self, request: Request, name: str, args: str | None, service: str, user: str
    ) -> Response:
        sim = self.sim
        low = name.lower()
        if low not in FUNCTIONS:
            raise SimError(404, "NotFound", f"{name} not found")
        if request.method != "GET":
            raise SimError(405, "MethodNotAllowed", f"{name} is a function: GET only.")
        params = dict(request.query_params)
        if args:
            for part in args.split(","):
                if "=" in part:
                    k, v = part.split("=", 1)
                    params[k.strip()] = v.strip().strip("'")
        needed = REQUIRED_PARAMS.get(low)
        if needed and not params.get(needed):
            raise QueryError(f"{name} needs its {needed} parameter")
        ctx = f"{service}/$metadata#{name}"
        if low == "systemdate":
            return JSONResponse({"@odata.context": ctx, "SystemDate": sim.clock.isoformat()})
        if low in ("systemperiod", "currentperiod"):
            pid = ledger.period_id(sim.clock)
            return JSONResponse({"@odata.context": ctx, "value": pid, name: pid})
        if low == "periodfordate":
            try:
                from datetime import date

                pid = ledger.period_id(date.fromisoformat(params.get("Date", "")))
            except ValueError:
                raise QueryError("PeriodForDate needs Date=YYYY-MM-DD") from None
            return JSONResponse({"@odata.context": ctx, "value": pid})
        if low == "appname":
            edition = "Mercury" if "/mercury/" in request.url.path.lower() else "Saturn"
            return JSONResponse({"@odata.context": ctx, "value": edition})
        if low == "basecurrencycode":
            return JSONResponse({"@odata.context": ctx, "value": BASE_CURRENCY})
        if low == "moduleavailable":
            mod = params.get("ModuleCode", "").upper()
            return JSONResponse({"@odata.context": ctx, "value": mod in ("AR", "IN", "OE", "CO")})
        if low == "user":
            details = user_details(user, sim.config.username.upper())
            return JSONResponse({"@odata.context": ctx, **details})
        if low == "company":
            return JSONResponse({"@odata.context": ctx, **company_details(sim.config.company)})
        # "about", the last of FUNCTIONS
        edition = "Mercury" if "/mercury/" in request.url.path.lower() else "Saturn"
        return JSONResponse({"@odata.context": ctx, **about(edition, sim.started)})

    async def collection(
        self, request: Request, ent: EntityDef, service: str, user: str
    ) -> Response:
        sim = self.sim
        if request.method == "POST":
            body = await self.json_body(request)
            row = sim.create(ent.name, body, user)
            return self.entity_response(request, ent, row, None, [], service, None)
        if request.method != "GET":
            raise SimError(405, "MethodNotAllowed", f"{request.method} is not allowed here.")
        params = parse_qsl(request.url.query, keep_blank_values=True)
        opts = parse_options(params, sim, ent, collection=True)
        page_size = self.page_size(request, params)
        with sim.lock:
            page = run(sim, ent, opts, page_size)
            meta = metadata_level(request, opts)
            values = [
                entity_json(sim, ent, r, opts.select, opts.expand, meta, service) for r in page.rows
            ]
        out: dict[str, Any] = {}
        if meta != "none":
            out["@odata.context"] = f"{service}/$metadata#{ent.name}"
        if page.count is not None:
            out["@odata.count"] = page.count
        out["value"] = values
        if page.next_token:
            out["@odata.nextLink"] = self.next_link(request, params, page.next_token, page.next_top)
        headers = {"OData-Version": "4.0"}
        if self.requested_page_size(request, params) is not None:
            headers["Preference-Applied"] = f"odata.maxpagesize={page_size}"
        return JSONResponse(out, headers=headers)

    def requested_page_size(self, request: Request, params: list[tuple[str, str]]) -> int | None:
        prefer = request.headers.get("prefer", "")
        m = re.search(r"odata\.maxpagesize\s*=\s*(\d+)", prefer)
        if m:
            return int(m.group(1))
        for source in (request.headers.get("pagesize"), dict(params).get("pagesize")):
            if source:
                if not source.strip().isdigit():
                    raise QueryError("pagesize must be a positive integer")
                return int(source)
        return None

    def page_size(self, request: Request, params: list[tuple[str, str]]) -> int:
        cfg = self.sim.config
        asked = self.requested_page_size(request, params)
        size = cfg.default_page_size if asked is None else asked
        return max(1, min(size, cfg.max_page_size))

    def next_link(
        self, request: Request, params: list[tuple[str, str]], token: str, top: int | None
    ) -> str:
        keep = [
            (k, v)
            for k, v in params
            if k.lower() not in ("$skip", "$skiptoken", "$top", "access_token")
        ]
        if top is not None:
            keep.append(("$top", str(top)))
        keep.append(("$skiptoken", token))
        query = urlencode(keep, quote_via=quote, safe="$',()")
        base = str(request.url.replace(query=""))
        return f"{base}?{query}"

    async def json_body(self, request: Request) -> Any:
        # Bodies of POST/PATCH/PUT are sent as application/json (reference 3.1); only the
        # token endpoint takes any or none [assumed 2.1].
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media != "application/json":
            raise SimError(
                415,
                "UnsupportedMediaType",
                f"The request body must be sent as application/json, not {media or 'untyped'}.",
            )
        raw = await request.body()
        try:
            return json.loads(raw or b"null", parse_constant=_not_json)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise SimError(400, "BadRequest", "The request body is not valid JSON.") from None

    def entity_response(
        self,
        request: Request,
        ent: EntityDef,
        row: Row,
        select: list[str] | None,
        expand: list[ExpandItem],
        service: str,
        opts: Options | None,
    ) -> Response:
        meta = metadata_level(request, opts)
        with self.sim.lock:
            body = entity_json(self.sim, ent, row, select, expand, meta, service)
        if meta != "none":
            body = {"@odata.context": f"{service}/$metadata#{ent.name}/$entity", **body}
        return JSONResponse(body, headers={"OData-Version": "4.0"})

    async def single(
        self, request: Request, ent: EntityDef, key: Any, service: str, user: str
    ) -> Response:
        sim = self.sim
        method = request.method
        if method == "GET":
            params = parse_qsl(request.url.query, keep_blank_values=True)
            opts = parse_options(params, sim, ent, collection=False)
            with sim.lock:
                row = sim.get_row(ent.name, key)
            return self.entity_response(request, ent, row, opts.select, opts.expand, service, opts)
        if method in ("PATCH", "PUT"):
            if method not in ent.methods_key:
                raise SimError(405, "MethodNotAllowed", f"{method} is not allowed on {ent.name}.")
            body = await self.json_body(request)
            if ent.name == "ARCustomer" and isinstance(body, dict):
                for nav in ("Contact", "DeliveryAddress"):
                    if nav in body:
                        raise SimError(
                            400,
                            "ValidationFailed",
                            f"{nav} cannot be written through a PATCH of ARCustomer; "
                            f"use ARContact / the address endpoints.",
                            target=nav,
                        )
            row = sim.update(
                ent.name,
                key,
                body,
                user,
                request.headers.get("if-match"),
                replace=method == "PUT",
            )
            return self.entity_response(request, ent, row, None, [], service, None)
        if method == "DELETE":
            sim.delete(ent.name, key, user, request.headers.get("if-match"))
            return Response(status_code=200)
        raise SimError(405, "MethodNotAllowed", f"{method} is not allowed here.")


class FaultsAndStats:
    """ASGI middleware: counts API requests and injects configured faults (not on /_sim/)."""

    def __init__(self, app: ASGIApp, sim: SimState) -> None:
        self.app = app
        self.sim = sim
        self.minute = 0
        self.minute_count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sim"):
            await self.app(scope, receive, send)
            return
        sim, cfg = self.sim, self.sim.config
        sim.requests += 1
        sim.stats[route_label(scope["method"], scope["path"])] += 1
        if cfg.latency_ms > 0:
            await asyncio.sleep(cfg.latency_ms / 1000)
        if cfg.max_requests_per_minute:
            now = time.time()
            minute = int(now // 60)
            if minute != self.minute:
                self.minute, self.minute_count = minute, 0
            self.minute_count += 1
            if self.minute_count > cfg.max_requests_per_minute:
                retry = str(max(1, 60 - int(now % 60)))
                await self._error(scope, receive, send, 429, "RateLimitExceeded", retry)
                return
        rng = sim.fault_rng
        if cfg.rate_limit_429_rate > 0 and rng.random() < cfg.rate_limit_429_rate:
            await self._error(scope, receive, send, 429, "RateLimitExceeded", "1")
            return
        if cfg.error_rate > 0 and rng.random() < cfg.error_rate:
            if rng.random() < 0.5:
                await self._error(scope, receive, send, 500, "InternalError", None)
            else:
                await self._error(scope, receive, send, 503, "ServiceUnavailable", None)
            return
        if cfg.drop_rate > 0 and rng.random() < cfg.drop_rate:
            # Start a response that declares a body, then return without sending it: the
            # server closes the connection and the client sees it dropped mid-response.
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
                }
            )
            return
        if scope["method"] == "POST" and cfg.post_answer_delay_ms > 0:
            send = _held_back(send, cfg.post_answer_delay_ms / 1000)
        await self.app(scope, receive, send)

    async def _error(
        self, scope: Scope, receive: Receive, send: Send, status: int, code: str, retry: str | None
    ) -> None:
        headers = {"Retry-After": retry} if retry else None
        message = {
            429: "Rate limit exceeded",
            500: "Internal server error (injected fault)",
            503: "Service unavailable (injected fault)",
        }[status]
        response = odata_error(status, code, message, headers=headers)
        await response(scope, receive, send)


def _held_back(send: Send, delay_s: float) -> Send:
    """``send`` that waits ``delay_s`` before the answer starts (the work already done)."""

    async def held(message: Message) -> None:
        if message["type"] == "http.response.start":
            await asyncio.sleep(delay_s)
        await send(message)

    return held


def route_label(method: str, path: str) -> str:
    m = _ROUTE_RE.search(path)
    if m:
        return f"{method} {m.group(1)}{'(key)' if m.group(2) else ''}"
    if path.lower().endswith("/oauth2/v1/token"):
        return f"{method} token"
    return f"{method} {path}"


def create_app(config: SimConfig | None = None) -> Starlette:
    """A simulator app for ``config`` (defaults: seed 1, 500 customers, company DEMO)."""
    sim = SimState(config or SimConfig())
    api = Api(sim)
    hook = EventHook(sim)
    routes = [
        *control_routes(sim, hook),
        Route("/openapi.json", api.openapi, methods=["GET"]),
        Route("/{edition}/oauth2/v1/token", api.token, methods=["POST"]),
        Route("/{edition}/oauth2/v1/accesstokens/{token}", api.revoke, methods=["DELETE"]),
        Route("/{edition}/oauth2/v1/refreshtokens/{token}", api.revoke, methods=["DELETE"]),
        Route(
            "/{edition}/odata4/v1/{rest:path}",
            api.odata,
            methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
        ),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with hook.running():
            yield

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.sim = sim
    app.state.event_hook = hook
    app.add_middleware(FaultsAndStats, sim=sim)
    app.add_middleware(AfterSave, hook=hook)
    return app
