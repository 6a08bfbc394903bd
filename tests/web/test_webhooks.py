"""The webhook endpoint over real HTTP: signed deliveries land in the inbox once; forged,
stale, unsigned and malformed ones are refused with a bare status and store nothing."""

from __future__ import annotations

import time

import httpx
import pytest

from accredo_hubspot.store import AsyncStateStore
from accredo_hubspot.web import HEALTH_PATH
from accredo_hubspot.web.webhooks import MAX_BODY_BYTES
from tests.web.conftest import SECRET, Served, delivery, event, post, served, signed

REFUSAL_BODIES = {
    401: {"status": "error", "message": "unauthorized"},
    400: {"status": "error", "message": "bad request"},
    413: {"status": "error", "message": "payload too large"},
}


async def test_a_signed_batch_is_stored_once_even_when_sent_twice(app: Served) -> None:
    body = delivery(event(1), event(2), event(3, subscriptionType="company.creation"))
    headers = signed(app.webhook_url, body)

    first = await post(app.webhook_url, body, headers)
    again = await post(app.webhook_url, body, headers)  # HubSpot retried: the answer was lost

    assert (first.status_code, again.status_code) == (204, 204)
    stored = app.inbox()
    assert [e["eventId"] for e in stored] == [1, 2, 3]
    assert stored[0] == event(1)  # the payload as HubSpot sent it
    assert len(app.wakes) == 1  # only new events wake the sync


async def test_a_replay_with_the_same_event_ids_is_accepted_but_not_stored_twice(
    app: Served,
) -> None:
    body = delivery(event(1), event(2))
    assert (await post(app.webhook_url, body, signed(app.webhook_url, body))).status_code == 204
    replay = delivery(event(2, attemptNumber=1), event(1, attemptNumber=1), event(4))

    answer = await post(app.webhook_url, replay, signed(app.webhook_url, replay))

    assert answer.status_code == 204
    assert [e["eventId"] for e in app.inbox()] == [1, 2, 4]


@pytest.mark.parametrize(
    "headers_for",
    [
        pytest.param(lambda url, body: signed(url, body, secret="someone-else"), id="forged"),
        pytest.param(
            lambda url, body: signed(url, body, timestamp_ms=int((time.time() - 301) * 1000)),
            id="stale",
        ),
        pytest.param(
            lambda url, body: signed(url, body, timestamp_ms=int((time.time() + 600) * 1000)),
            id="from-the-future",
        ),
        pytest.param(lambda url, body: {"Content-Type": "application/json"}, id="unsigned"),
        pytest.param(
            lambda url, body: {**signed(url, body), "X-HubSpot-Request-Timestamp": "now"},
            id="bad-timestamp",
        ),
        pytest.param(lambda url, body: signed(url, body + b" "), id="body-changed"),
        pytest.param(lambda url, body: signed(url + "?x=1", body), id="other-url"),
    ],
)
async def test_unsigned_forged_and_stale_requests_are_refused_with_401(
    app: Served, headers_for: object
) -> None:
    body = delivery(event(1))
    headers = headers_for(app.webhook_url, body)  # type: ignore[operator]

    answer = await post(app.webhook_url, body, headers)

    assert answer.status_code == 401
    assert answer.json() == REFUSAL_BODIES[401]  # the same words whatever was wrong
    assert app.inbox() == []
    assert app.wakes == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[{not json", id="not-json"),
        pytest.param(b'"text"', id="a-string"),
        pytest.param(b"[1, 2]", id="not-objects"),
        pytest.param(b'{"events": []}', id="wrong-object"),
        pytest.param(delivery(event(1), {"eventId": 2, "objectId": 5}), id="event-lacks-type"),
        pytest.param(delivery(event(1, occurredAt="yesterday")), id="bad-field"),
    ],
)
async def test_a_signed_but_malformed_body_is_refused_with_400(app: Served, body: bytes) -> None:
    answer = await post(app.webhook_url, body, signed(app.webhook_url, body))

    assert answer.status_code == 400
    assert answer.json() == REFUSAL_BODIES[400]
    assert app.inbox() == []  # not even the well-formed first event of a bad batch


async def test_a_body_larger_than_any_delivery_is_refused_unread(app: Served) -> None:
    body = b"[" + b" " * MAX_BODY_BYTES + b"]"

    answer = await post(app.webhook_url, body, signed(app.webhook_url, body))

    assert answer.status_code == 413
    assert answer.json() == REFUSAL_BODIES[413]
    assert app.inbox() == []


async def test_without_a_client_secret_every_webhook_is_refused(store: AsyncStateStore) -> None:
    async with served(store, None) as app:
        body = delivery(event(1))
        answer = await post(app.webhook_url, body, signed(app.webhook_url, body))
        async with httpx.AsyncClient() as client:
            health = await client.get(f"{app.url}{HEALTH_PATH}")

    assert answer.status_code == 401
    assert answer.json() == REFUSAL_BODIES[401]
    assert app.inbox() == []
    assert health.json() == {"status": "ok", "webhooks": False}


async def test_behind_a_proxy_the_signature_covers_the_public_url(store: AsyncStateStore) -> None:
    """HubSpot signs the URL it called (pitfall 16); ``--webhook-url`` names it."""
    public = "https://sync.example.co.nz/webhooks/hubspot"
    async with served(store, SECRET, webhook_url=public) as app:
        body = delivery(event(1))
        as_public = await post(app.webhook_url, body, signed(public, body))
        as_local = await post(app.webhook_url, body, signed(app.webhook_url, body))

    assert (as_public.status_code, as_local.status_code) == (204, 401)
    assert [e["eventId"] for e in app.inbox()] == [1]


async def test_healthz_answers(app: Served) -> None:
    async with httpx.AsyncClient() as client:
        health = await client.get(f"{app.url}{HEALTH_PATH}")
        wrong_method = await client.get(app.webhook_url)

    assert health.status_code == 200
    assert health.json() == {"status": "ok", "webhooks": True}
    assert wrong_method.status_code == 405
