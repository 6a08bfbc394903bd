"""Fixtures for client-against-simulator tests: a real simulator over loopback HTTP.

``RecordingTransport`` wraps httpx's real transport and only records what went over the wire
(method, URL, status, headers), so tests can count requests and check URL lengths.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from accredo_hubspot.accredo import AccredoClient, RetryPolicy
from sims.serve import BackgroundServer, serve_in_thread

CLIENT_ID = "accredo-hubspot-demo"
USERNAME = "SYNC"
PASSWORD = "sync-demo-password"
#: Fast retries for tests: the behaviour is the same, the waits are short.
FAST_RETRY = RetryPolicy(
    attempts=8, wait_initial_s=0.01, wait_max_s=0.05, wait_jitter_s=0.01, max_retry_after_s=0.05
)


@dataclass
class Exchange:
    method: str
    url: str
    status: int
    authorization: str | None


class RecordingTransport(httpx.AsyncBaseTransport):
    """The real network transport, recording each exchange (no answers are made up here)."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        self.exchanges.append(
            Exchange(
                request.method,
                str(request.url),
                response.status_code,
                request.headers.get("authorization"),
            )
        )
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()

    def data_requests(self) -> list[Exchange]:
        return [e for e in self.exchanges if "/odata4/" in e.url]


@dataclass
class Sim:
    server: BackgroundServer
    config: Any  # sims.accredo.config.SimConfig

    @property
    def base_url(self) -> str:
        return f"{self.server.url}/{self.config.edition}"

    def control(self, method: str, path: str, json: object = None) -> httpx.Response:
        response = httpx.request(method, f"{self.server.url}{path}", json=json, timeout=30)
        response.raise_for_status()
        return response

    def client(self, **kwargs: object) -> AccredoClient:
        options: dict[str, object] = {"retry": FAST_RETRY, **kwargs}
        return AccredoClient(
            self.base_url,
            self.config.company,
            options.pop("client_id", CLIENT_ID),  # type: ignore[arg-type]
            options.pop("username", USERNAME),  # type: ignore[arg-type]
            options.pop("password", PASSWORD),  # type: ignore[arg-type]
            **options,  # type: ignore[arg-type]
        )


def serve_sim(**settings: Any) -> Iterator[Sim]:
    """Start a simulator with these ``SimConfig`` settings (skips while it does not exist)."""
    app_module = pytest.importorskip("sims.accredo.app", reason="Accredo simulator not built yet")
    config_module = pytest.importorskip("sims.accredo.config")
    config = config_module.SimConfig(**settings)
    with serve_in_thread(app_module.create_app(config)) as server:
        yield Sim(server, config)


@pytest.fixture(scope="module")
def sim() -> Iterator[Sim]:
    """A 200-customer simulator shared by a test module (tests must not depend on each other's
    writes, beyond what they create themselves)."""
    yield from serve_sim(seed=7, customers=200)


@pytest.fixture
def fresh_sim() -> Iterator[Sim]:
    """A small simulator of one's own, for tests that change faults, tracking or the clock."""
    yield from serve_sim(seed=3, customers=60)


@pytest.fixture
def recorder() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
async def accredo(sim: Sim, recorder: RecordingTransport) -> AsyncIterator[AccredoClient]:
    async with sim.client(transport=recorder) as client:
        yield client


@pytest.fixture
def fresh_sim_short_tokens() -> Iterator[Sim]:
    """Tokens that live 1 s from issue, whatever their use (the absolute-expiry set-up)."""
    yield from serve_sim(seed=3, customers=20, token_lifetime_s=1, absolute_token_expiry=True)
