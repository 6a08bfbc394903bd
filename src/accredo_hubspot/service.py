"""``run``'s live sync and the web app served beside it, built in one place so that ``run`` and
the demo start the same thing: webhooks wake the sync, Accredo's hints bring its poll forward,
and HubSpot is searched only as often as ``run`` would.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from typing import Any

from accredo_hubspot.runtime import Connector, web_app
from accredo_hubspot.settings import Settings
from accredo_hubspot.sync.documents import DocumentPass
from accredo_hubspot.sync.live import LiveSync
from accredo_hubspot.web import serve


def live_sync(
    settings: Settings,
    conn: Connector,
    documents: Sequence[DocumentPass[Any]],
    *,
    hubspot_poll_s: float,
) -> LiveSync:
    """The live sync ``run`` drives: the connector's app id (its own webhook echoes dropped),
    its metrics, HubSpot searched every ``hubspot_poll_s`` (0: never)."""
    return LiveSync(
        conn.accredo,
        conn.hubspot,
        conn.store,
        conn.config,
        conn.clock,
        metrics=conn.metrics,
        app_id=settings.require_hubspot().app_id,
        hubspot_poll_s=hubspot_poll_s,
        documents=documents,
    )


async def serve_beside(
    live: LiveSync,
    settings: Settings,
    conn: Connector,
    sock: socket.socket,
    stop: asyncio.Event,
    *,
    webhook_url: str | None = None,
) -> None:
    """Serve the web app on ``sock`` until ``stop``: stored webhook events wake ``live``, a
    hint with the hint secret brings its next poll of Accredo forward."""
    app = web_app(
        settings,
        conn,
        webhook_url=webhook_url,
        on_events=live.webhook_events.set,
        on_hint=live.hint,
    )
    await serve(app, sock, stop)
