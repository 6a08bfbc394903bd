"""The ``/_sim/`` control surface: JSON, no token, apart from the API.

Lets the demo and tests act like a user of Accredo (post invoices and receipts, add or edit a
debtor or a contact, move the clock) and change the simulator's set-up (tracking, faults, reseed).
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sims.accredo.seed import PRODUCTS
from sims.accredo.state import SIM_USER, SimError

if TYPE_CHECKING:
    from sims.accredo.events import EventHook
    from sims.accredo.state import SimState

FAULT_FIELDS: dict[str, type] = {
    "latency_ms": float,
    "post_answer_delay_ms": float,
    "error_rate": float,
    "rate_limit_429_rate": float,
    "drop_rate": float,
    "early_token_expiry": float,
    "max_requests_per_minute": int,
}
POST_KINDS = {"invoices": "I", "receipts": "R", "credits": "C"}
PRODUCT_NAMES = {code: desc for code, desc, _price in PRODUCTS}


def _error(exc: SimError) -> JSONResponse:
    err: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.target:
        err["target"] = exc.target
    if exc.details:
        err["details"] = exc.details
    return JSONResponse({"error": err}, status_code=exc.status)


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise SimError(400, "BadRequest", "The request body is not valid JSON.") from None


def _int(body: Any, name: str, default: int | None = None) -> int:
    value = body.get(name, default) if isinstance(body, dict) else default
    if isinstance(value, bool) or not isinstance(value, int):
        raise SimError(400, "BadRequest", f"'{name}' must be an integer", target=name)
    return value


def order_entry_body(body: Any) -> dict[str, Any]:
    """An OEOrder POST body from what a user keys at the Order Entry screen.

    ``{"CustomerCode", "Lines": [{"ProductCode", "Quantity", "UnitPrice"}]}``; the description
    comes from the product list when the product is known.
    """
    if not isinstance(body, dict):
        raise SimError(400, "BadRequest", "Expected a JSON object")
    lines = body.get("Lines")
    if not isinstance(lines, list) or not lines:
        raise SimError(400, "BadRequest", "'Lines' must be a non-empty list", target="Lines")
    out: list[dict[str, Any]] = []
    for i, line in enumerate(lines):
        if not isinstance(line, dict) or set(line) - {"ProductCode", "Quantity", "UnitPrice"}:
            raise SimError(
                400,
                "BadRequest",
                f"Lines[{i}] takes ProductCode, Quantity and UnitPrice",
                target=f"Lines[{i}]",
            )
        qty, price = line.get("Quantity"), line.get("UnitPrice")
        for name, value in (("Quantity", qty), ("UnitPrice", price)):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise SimError(
                    400, "BadRequest", f"{name} must be a number >= 0", f"Lines[{i}]/{name}"
                )
        if not qty:
            raise SimError(400, "BadRequest", "Quantity must not be 0", f"Lines[{i}]/Quantity")
        item: dict[str, Any] = {
            "LineType": "P",
            "ProductCode": line.get("ProductCode"),
            "QuantityOrdered": qty,
            "SellingPrice": price,
        }
        code = line.get("ProductCode")
        if isinstance(code, str) and code.upper() in PRODUCT_NAMES:
            item["ProductCode"] = code.upper()
            item["Description"] = PRODUCT_NAMES[code.upper()]
        out.append(item)
    return {"CustomerCode": body.get("CustomerCode"), "Line": out}


def control_routes(sim: SimState, hook: EventHook) -> list[Route]:
    """Routes bound to ``sim`` (and the push-hint script it plays, ``hook``)."""

    def public(entity: str, row: dict[str, Any]) -> dict[str, Any]:
        ent = sim.entities[entity]
        defaults = sim.defaults[entity]
        out: dict[str, Any] = {"@odata.etag": sim.etag(entity, row)}
        out.update({n: row.get(n, defaults.get(n)) for n in ent.scalar_names})
        return out

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                result: Response = await handler(request)
            except SimError as exc:
                return _error(exc)
            return result

        return endpoint

    async def reset(request: Request) -> Response:
        sim.reset()
        return JSONResponse({"ok": True, "date": sim.clock.isoformat()})

    async def reseed(request: Request) -> Response:
        body = await _body(request)
        seed_value = _int(body, "seed", sim.config.seed)
        customers = _int(body, "customers", sim.config.customers)
        if customers < 0:
            raise SimError(400, "BadRequest", "customers must not be negative")
        sim.reseed(seed_value, customers)
        return JSONResponse({"ok": True, "seed": seed_value, "customers": customers})

    async def clock(request: Request) -> Response:
        return JSONResponse({"date": sim.clock.isoformat()})

    async def advance(request: Request) -> Response:
        body = await _body(request)
        new = sim.advance_clock(_int(body, "days"))
        return JSONResponse({"date": new.isoformat()})

    async def post(request: Request) -> Response:
        kind = POST_KINDS[request.url.path.rstrip("/").rsplit("/", 1)[-1]]
        body = await _body(request)
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            raise SimError(400, "BadRequest", "'items' must be a non-empty list")
        out = []
        with sim.writing():
            for i, item in enumerate(items):
                if not isinstance(item, dict):
                    raise SimError(400, "BadRequest", f"items[{i}] must be an object")
                code = item.get("CustomerCode")
                amount = item.get("Amount")
                if not isinstance(code, str) or not code:
                    raise SimError(400, "BadRequest", "CustomerCode is required", "CustomerCode")
                if isinstance(amount, bool) or not isinstance(amount, int | float) or amount == 0:
                    raise SimError(400, "BadRequest", "Amount must be a non-zero number", "Amount")
                tdate = None
                if item.get("TransactionDate"):
                    try:
                        tdate = date.fromisoformat(str(item["TransactionDate"]))
                    except ValueError:
                        raise SimError(
                            400, "BadRequest", "TransactionDate must be YYYY-MM-DD"
                        ) from None
                ref = item.get("Reference")
                if ref is not None and (not isinstance(ref, str) or len(ref) > 30):
                    raise SimError(400, "BadRequest", "Reference: text of at most 30", "Reference")
                row = sim.post(kind, code.upper(), float(amount), SIM_USER, tdate, ref)
                out.append(public("ARTransaction", row))
        return JSONResponse({"transactions": out})

    async def patch_customer(request: Request) -> Response:
        code = request.path_params["code"].upper()
        body = await _body(request)
        row = sim.update("ARCustomer", code, body, SIM_USER, None, require_etag=False)
        return JSONResponse(public("ARCustomer", row))

    async def create_customer(request: Request) -> Response:
        body = await _body(request)
        row = sim.create("ARCustomer", body, SIM_USER)
        return JSONResponse(public("ARCustomer", row))

    async def create_contact(request: Request) -> Response:
        body = await _body(request)
        row = sim.create("ARContact", body, SIM_USER)
        return JSONResponse(public("ARContact", row))

    async def patch_contact(request: Request) -> Response:
        body = await _body(request)
        contact_id = request.path_params["contact_id"]
        row = sim.update("ARContact", contact_id, body, SIM_USER, None, require_etag=False)
        return JSONResponse(public("ARContact", row))

    async def enter_order(request: Request) -> Response:
        body = await _body(request)
        order = sim.create("OEOrder", order_entry_body(body), SIM_USER)
        answer = public("OEOrder", order)
        line_fields = sim.nav_fields("OEOrder", "Line")
        answer["Line"] = [
            {n: ln.get(n) for n in line_fields if n in ln} for ln in order.get("Line", [])
        ]
        return JSONResponse(answer)

    async def add_price_list(request: Request) -> Response:
        row = sim.add_price_list(await _body(request), SIM_USER)
        return JSONResponse(public("TABLE_COPRICE", row))

    async def tracking(request: Request) -> Response:
        if request.method == "PUT":
            body = await _body(request)
            with sim.lock:
                sim.set_tracking(body)
        return JSONResponse(sim.tracking_json())

    async def faults(request: Request) -> Response:
        cfg = sim.config
        if request.method == "PUT":
            body = await _body(request)
            if not isinstance(body, dict):
                raise SimError(400, "BadRequest", "Expected a JSON object")
            for name, value in body.items():
                kind = FAULT_FIELDS.get(name)
                if kind is None:
                    raise SimError(400, "BadRequest", f"Unknown fault '{name}'", target=name)
                if name == "max_requests_per_minute" and value is None:
                    cfg.max_requests_per_minute = None
                    continue
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise SimError(400, "BadRequest", f"'{name}' must be >= 0", target=name)
                if name.endswith(("_rate", "_expiry")) and value > 1:
                    raise SimError(400, "BadRequest", f"'{name}' is a fraction 0..1", name)
                setattr(cfg, name, kind(value))
        return JSONResponse({name: getattr(cfg, name) for name in FAULT_FIELDS})

    async def event_hook(request: Request) -> Response:
        if request.method == "PUT":
            body = await _body(request)
            if not isinstance(body, dict) or set(body) - {"url", "secret"}:
                raise SimError(400, "BadRequest", 'Expected {"url", "secret"}')
            for name in ("url", "secret"):
                value = body.get(name)
                if value is not None and (not isinstance(value, str) or not value.strip()):
                    raise SimError(400, "BadRequest", f"'{name}' must be a string or null", name)
            url = body.get("url")
            if url is not None and not url.startswith(("http://", "https://")):
                raise SimError(400, "BadRequest", "'url' must be an http(s) URL", target="url")
            sim.config.event_hook_url = url
            sim.config.event_hook_secret = body.get("secret")
        return JSONResponse(hook.state())

    async def stats(request: Request) -> Response:
        return JSONResponse({"requests": sim.requests, "by_route": dict(sim.stats)})

    async def stats_reset(request: Request) -> Response:
        sim.requests = 0
        sim.stats.clear()
        return JSONResponse({"requests": 0, "by_route": {}})

    table = [
        ("/_sim/reset", reset, ["POST"]),
        ("/_sim/reseed", reseed, ["POST"]),
        ("/_sim/clock", clock, ["GET"]),
        ("/_sim/clock/advance", advance, ["POST"]),
        ("/_sim/post/{kind:str}", post, ["POST"]),
        ("/_sim/customers", create_customer, ["POST"]),
        ("/_sim/customers/{code:str}", patch_customer, ["PATCH"]),
        ("/_sim/contacts", create_contact, ["POST"]),
        ("/_sim/contacts/{contact_id:int}", patch_contact, ["PATCH"]),
        ("/_sim/orders", enter_order, ["POST"]),
        ("/_sim/price-lists", add_price_list, ["POST"]),
        ("/_sim/tracking", tracking, ["GET", "PUT"]),
        ("/_sim/faults", faults, ["GET", "PUT"]),
        ("/_sim/event-hook", event_hook, ["GET", "PUT"]),
        ("/_sim/stats", stats, ["GET"]),
        ("/_sim/stats/reset", stats_reset, ["POST"]),
    ]
    routes: list[Route] = []
    for path, handler, methods in table:
        if path == "/_sim/post/{kind:str}":
            routes.extend(
                Route(f"/_sim/post/{k}", guarded(handler), methods=methods) for k in POST_KINDS
            )
            continue
        routes.append(Route(path, guarded(handler), methods=methods))
    return routes
