"""Accredo's push hints over real HTTP: one with the secret wakes the poller; without it, with
a wrong one or while no secret is configured, a bare 401 and nothing woken."""

from __future__ import annotations

import httpx
import pytest

from accredo_hubspot.store import AsyncStateStore
from accredo_hubspot.web import HINT_PATH
from tests.web.conftest import served

HINT_SECRET = "0123456789abcdef-hint-secret"
UNAUTHORIZED = {"status": "error", "message": "unauthorized"}


async def hint(url: str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{url}{HINT_PATH}", content=b"{}", headers=headers)


async def test_a_hint_with_the_secret_wakes_the_poller_each_time(store: AsyncStateStore) -> None:
    async with served(store, None, hint_secret=HINT_SECRET) as app:
        for _ in range(3):
            answer = await hint(app.url, {"Authorization": f"Bearer {HINT_SECRET}"})
            assert answer.status_code == 204
            assert answer.content == b""
        assert len(app.hints) == 3
        assert app.wakes == []  # not HubSpot's webhook wake


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-secret"),
        pytest.param({"Authorization": "Bearer someone-elses-secret-0123"}, id="forged"),
        pytest.param({"Authorization": f"Bearer {HINT_SECRET}x"}, id="longer"),
        pytest.param({"Authorization": f"Bearer {HINT_SECRET[:-1]}"}, id="shorter"),
        pytest.param({"Authorization": f"Basic {HINT_SECRET}"}, id="other-scheme"),
        pytest.param({"X-Hint-Secret": HINT_SECRET}, id="other-header"),
    ],
)
async def test_a_hint_without_the_secret_is_refused_and_wakes_nothing(
    store: AsyncStateStore, headers: dict[str, str]
) -> None:
    async with served(store, None, hint_secret=HINT_SECRET) as app:
        answer = await hint(app.url, headers)
        assert answer.status_code == 401
        assert answer.json() == UNAUTHORIZED  # the same words whatever was wrong
        assert app.hints == []


async def test_without_a_configured_secret_every_hint_is_refused(store: AsyncStateStore) -> None:
    async with served(store, None) as app:
        for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Bearer anything"}):
            answer = await hint(app.url, headers)
            assert answer.status_code == 401
            assert answer.json() == UNAUTHORIZED
        assert app.hints == []


async def test_only_post_is_a_hint(store: AsyncStateStore) -> None:
    async with served(store, None, hint_secret=HINT_SECRET) as app, httpx.AsyncClient() as client:
        answer = await client.get(
            f"{app.url}{HINT_PATH}", headers={"Authorization": f"Bearer {HINT_SECRET}"}
        )
        assert answer.status_code == 405
        assert app.hints == []
