"""The site's push-hint script, played by the simulator (``--event-hook-url``).

A site may install a MaxBasic script on Accredo's data events (reference 9.5; the connector's
README gives it) that posts a hint to the connector after each save. The simulator plays it:
after each request that saved a record (an API write or a ``/_sim/`` user action), once the
answer has gone, it POSTs ``{}`` to the hook URL with ``Authorization: Bearer <secret>``. Like
the script it ignores the answer and any failure; unlike it, the request that saved never
waits for the hint (it is sent in the background).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from sims.accredo.state import SimState

#: How long a hint may take before it is given up.
HINT_TIMEOUT_S = 2.0
#: What the script sends: the body says nothing (the connector reads the change tables).
HINT_BODY = b"{}"


class EventHook:
    """Sends the hints of one simulator; ``sent`` were answered 2xx, ``failed`` were not."""

    def __init__(self, sim: SimState) -> None:
        self.sim = sim
        self.sent = 0
        self.failed = 0
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The app's lifespan: one HTTP client for every hint; hints in flight are dropped."""
        async with httpx.AsyncClient(timeout=HINT_TIMEOUT_S) as client:
            self._client = client
            try:
                yield
            finally:
                self._client = None
                for task in list(self._tasks):
                    task.cancel()

    def saved(self) -> None:
        """A request saved something: post a hint in the background (when a hook is set)."""
        url = self.sim.config.event_hook_url
        if url is None or self._client is None:
            return
        task = asyncio.ensure_future(
            self._post(self._client, url, self.sim.config.event_hook_secret)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, client: httpx.AsyncClient, url: str, secret: str | None) -> None:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["Authorization"] = f"Bearer {secret}"
        try:
            answer = await client.post(url, content=HINT_BODY, headers=headers)
        except httpx.HTTPError:
            self.failed += 1  # as the script: a lost hint changes nothing but timing
            return
        if answer.is_success:
            self.sent += 1
        else:
            self.failed += 1

    def state(self) -> dict[str, Any]:
        """What ``/_sim/event-hook`` shows (never the secret)."""
        return {
            "url": self.sim.config.event_hook_url,
            "secret": self.sim.config.event_hook_secret is not None,
            "sent": self.sent,
            "failed": self.failed,
        }


class AfterSave:
    """ASGI middleware: after a request whose handling saved a record, ``hook.saved()``."""

    def __init__(self, app: ASGIApp, hook: EventHook) -> None:
        self.app = app
        self.hook = hook

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        before = self.hook.sim.saves
        await self.app(scope, receive, send)
        if self.hook.sim.saves != before:
            self.hook.saved()
