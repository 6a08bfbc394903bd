"""The HubSpot simulator delivers signed webhooks (v3 with the app's client secret, reference
11.5) to the connector's web app, and they land in the inbox."""

from __future__ import annotations

import httpx

from accredo_hubspot.store import AsyncStateStore
from sims.hubspot.app import create_app
from sims.hubspot.config import HubSpotSimConfig
from sims.serve import serve_in_thread
from tests.conftest import await_until
from tests.web.conftest import SECRET, served


async def test_simulator_webhooks_land_in_the_inbox(store: AsyncStateStore) -> None:
    async with served(store, SECRET) as app:
        config = HubSpotSimConfig(
            webhook_url=app.webhook_url,
            webhook_secret=SECRET,
            webhook_batch_window_ms=20,
            webhook_subscriptions=["company.creation", "company.propertyChange:industry"],
        )
        with serve_in_thread(create_app(config)) as sim:
            async with httpx.AsyncClient(base_url=sim.url) as hubspot:
                made = await hubspot.post("/_sim/objects/companies", json={"properties": {}})
                company = made.json()["id"]
                await hubspot.patch(
                    f"/_sim/objects/companies/{company}",
                    json={"properties": {"industry": "RETAIL", "phone": "09 555 0100"}},
                )
                await await_until(lambda: len(app.inbox()) >= 2, "two events", timeout_s=10)
                deliveries = (await hubspot.get("/_sim/webhooks")).json()["deliveries"]

    stored = app.inbox()
    seen = [(e["subscriptionType"], e.get("propertyName"), e["objectId"]) for e in stored]
    assert seen == [
        ("company.creation", None, int(company)),
        ("company.propertyChange", "industry", int(company)),
    ]
    assert all(d["status"] == 204 for d in deliveries), deliveries
    assert app.wakes
