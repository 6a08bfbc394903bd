"""The push-hint endpoint: Accredo's script says "something changed", and the poll comes now.

A hint is only a hint. It carries no data the connector uses (the body is never read): it wakes
the Accredo poller, which still reads the change-tracking tables after its cursors. So a hint
that is lost, forged or repeated changes nothing but when the next poll comes, and the poll's
schedule keeps even a stream of genuine hints from polling Accredo faster than a busy stretch
does (``sync.polling``).

Hints must carry the shared secret (``ACCREDO_HUBSPOT_HINT_SECRET``) as ``Authorization: Bearer
<secret>``, compared in constant time. Without it, or with a wrong one, the answer is a bare
401; while no secret is configured every hint is refused. An accepted hint is answered 204 at
once (the script, and the user's save behind it, wait for that answer).
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from starlette.requests import Request
from starlette.responses import Response

from accredo_hubspot.web.auth import bearer_matches, unauthorized

log = structlog.get_logger(__name__)


class HintReceiver:
    """Checks one hint's secret and wakes the poller. ``secret`` None refuses every hint."""

    def __init__(self, secret: str | None, on_hint: Callable[[], None] | None = None) -> None:
        self._secret = secret
        self._on_hint = on_hint

    @property
    def enabled(self) -> bool:
        return self._secret is not None

    async def handle(self, request: Request) -> Response:
        """The endpoint: 204 and the poller woken, or a bare 401."""
        if self._secret is None or not bearer_matches(request, self._secret):
            log.warning(
                "accredo hint refused",
                reason="no hint secret configured" if self._secret is None else "wrong secret",
            )
            return unauthorized()
        log.debug("accredo hint")
        if self._on_hint is not None:
            self._on_hint()
        return Response(status_code=204)
