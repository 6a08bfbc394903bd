"""Bearer secrets of the web app (the status token, the hint secret): checked in constant time,
refused with a bare 401 that says nothing of why."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse


def bearer_matches(request: Request, secret: str) -> bool:
    """Whether the request carries ``Authorization: Bearer <secret>`` (constant-time compare)."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), secret.encode()
    )


def unauthorized() -> JSONResponse:
    """The one refusal: 401, ``{"status": "error", "message": "unauthorized"}``."""
    return JSONResponse(
        {"status": "error", "message": "unauthorized"},
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )
