"""A small router and the request context the handlers see."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from sims.hubspot.errors import SimError, bad_request
from sims.hubspot.timeutil import iso_ms, now_ms

if TYPE_CHECKING:
    from sims.hubspot.state import SimState

JsonDict = dict[str, Any]
JSON_TYPE = "application/json;charset=utf-8"


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    if status == 204 or body is None:
        return Response(status_code=status, headers=headers)
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        media_type=JSON_TYPE,
        headers=headers,
    )


def batch_reply(
    ok_status: int, started_ms: int, results: list[Any], errors: list[dict[str, Any]]
) -> Response:
    """A batch answer as HubSpot gives it: ``ok_status``, or 207 with ``numErrors`` and
    ``errors`` when some inputs failed (reference 2.4)."""
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": iso_ms(started_ms),
        "completedAt": iso_ms(now_ms()),
    }
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
        return reply(207, body)
    return reply(ok_status, body)


@dataclass
class Ctx:
    """One API request: path parameters, query helpers and the simulator state."""

    request: Request
    params: dict[str, str]
    sim: SimState
    _body: Any = field(default=None)

    async def json(self) -> Any:
        raw = await self.request.body()
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise bad_request(
                f"Invalid input JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None

    async def json_object(self) -> JsonDict:
        body = await self.json()
        if not isinstance(body, dict):
            raise bad_request("Invalid input JSON: expected an object")
        return body

    def query_list(self, name: str) -> list[str] | None:
        """Repeated keys and comma-separated lists both work (reference 4.1)."""
        values = self.request.query_params.getlist(name)
        if not values:
            return None
        return [v.strip() for raw in values for v in raw.split(",") if v.strip()]

    def query_bool(self, name: str, default: bool = False) -> bool:
        raw = self.request.query_params.get(name)
        if raw is None or raw == "":
            return default
        return raw.strip().lower() == "true"

    def query_int(self, name: str, default: int) -> int:
        raw = self.request.query_params.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise bad_request(f"{name} must be an integer, but was {raw}") from None


Handler = Callable[[Ctx], Awaitable[Response]]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler


class Router:
    """Routes by method and path template; ``{name}`` matches one path segment."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self.routes.append(Route(method, template, re.compile(f"^{regex}$"), handler))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            if route.method != method:
                continue
            found = route.pattern.match(path)
            if found:
                return route, found.groupdict()
        return None


def missing_field(name: str) -> SimError:
    return SimError(
        400,
        "VALIDATION_ERROR",
        f"Some required fields were not set: [{name}]",
        context={"missingFields": [name]},
    )


def require(body: JsonDict, name: str) -> Any:
    if name not in body or body[name] is None:
        raise missing_field(name)
    return body[name]
