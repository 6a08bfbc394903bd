"""Fixtures: the HubSpot simulator served over real HTTP on a loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import httpx
import pytest

from sims.hubspot.app import create_app
from sims.hubspot.config import DEMO_TOKEN, HubSpotSimConfig
from sims.serve import BackgroundServer, serve_in_thread

TOKEN = DEMO_TOKEN
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Sim:
    """A running simulator: its URL, an authorised httpx client and the app state."""

    def __init__(self, server: BackgroundServer, app: Any) -> None:
        self.url = server.url
        self.state = app.state.sim
        self.http = httpx.Client(base_url=server.url, headers=AUTH, timeout=10)

    def stats(self) -> dict[str, Any]:
        body: dict[str, Any] = self.http.get("/_sim/stats").json()
        return body


@contextmanager
def running_sim(**overrides: Any) -> Iterator[Sim]:
    settings: dict[str, Any] = {"indexing_delay_ms": 0, "rate_limit": 0, "search_rate_limit": 0}
    settings.update(overrides)
    app = create_app(HubSpotSimConfig(**settings))
    with serve_in_thread(app) as server:
        sim = Sim(server, app)
        try:
            yield sim
        finally:
            sim.http.close()


@pytest.fixture
def make_sim() -> Callable[..., AbstractContextManager[Sim]]:
    """Start a simulator with config overrides: ``with make_sim(rate_limit=5) as sim:``."""
    return running_sim


@pytest.fixture(scope="module")
def shared_sim() -> Iterator[Sim]:
    """One simulator per test module (limits off, no indexing delay); reset per test."""
    with running_sim() as sim:
        yield sim


@pytest.fixture
def sim(shared_sim: Sim) -> Sim:
    shared_sim.http.post("/_sim/reset")
    return shared_sim
