"""The background server really serves over loopback and stops cleanly."""

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sims.serve import serve_in_thread


async def _hello(request: Request) -> JSONResponse:
    return JSONResponse({"path": request.url.path})


def test_serves_over_loopback_and_stops() -> None:
    app = Starlette(routes=[Route("/hello", _hello)])
    with serve_in_thread(app) as server:
        answer = httpx.get(f"{server.url}/hello")
        assert answer.json() == {"path": "/hello"}
    try:
        httpx.get(f"{server.url}/hello", timeout=1)
    except httpx.ConnectError:
        pass
    else:
        raise AssertionError("server still answering after stop")
