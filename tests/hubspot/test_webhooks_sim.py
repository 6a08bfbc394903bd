"""Webhook deliveries from the simulator verify with our signature code and parse cleanly."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accredo_hubspot.hubspot import HubSpotClient, parse_webhook_events, verify_request
from sims.serve import serve_in_thread
from tests.conftest import await_until
from tests.hubspot.conftest import FAST_RETRY, hubspot_sim, sim_token

SECRET = "client-secret-of-the-private-app"


def recording_receiver(received: list[dict[str, Any]]) -> Starlette:
    """A webhook target that keeps the raw request (the connector's receiver does the same)."""

    async def hook(request: Request) -> Response:
        received.append(
            {
                "method": request.method,
                "url": str(request.url),
                "headers": dict(request.headers),
                "body": await request.body(),
            }
        )
        return Response(status_code=204)

    return Starlette(routes=[Route("/hooks/hubspot", hook, methods=["POST"])])


async def test_simulator_deliveries_verify_and_parse() -> None:
    """A create through the API arrives signed (v3 and v1) with our app as ``sourceId``."""
    received: list[dict[str, Any]] = []
    with serve_in_thread(recording_receiver(received)) as receiver:
        target = f"{receiver.url}/hooks/hubspot"
        with hubspot_sim(
            webhook_url=target,
            webhook_secret=SECRET,
            webhook_batch_window_ms=20,
            app_id=777,
            webhook_subscriptions=["company.creation"],
        ) as server:
            async with HubSpotClient(
                sim_token(), base_url=server.url, retry_policy=FAST_RETRY
            ) as hs:
                company = await hs.create("companies", {"name": "Hook Ltd"})
                await await_until(lambda: received, "a webhook from the simulator", timeout_s=5)

    assert received, "the simulator sent no webhook"
    delivery = received[0]
    assert verify_request(SECRET, "POST", delivery["url"], delivery["body"], delivery["headers"])
    v1_only = {
        k: v for k, v in delivery["headers"].items() if k.lower() != "x-hubspot-signature-v3"
    }
    assert verify_request(SECRET, "POST", delivery["url"], delivery["body"], v1_only)
    assert not verify_request(
        SECRET, "POST", delivery["url"], delivery["body"] + b" ", delivery["headers"]
    )
    events = parse_webhook_events(delivery["body"])
    creation = next(e for e in events if e.subscription_type == "company.creation")
    assert creation.object_id == company.id
    assert creation.change_source == "INTEGRATION"
    assert creation.source_id == "777"
