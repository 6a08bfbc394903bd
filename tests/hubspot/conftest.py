"""Fixtures: the HubSpot simulator on a loopback port, and clients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from accredo_hubspot.hubspot import HubSpotClient, RetryPolicy
from sims.serve import BackgroundServer, serve_in_thread

#: Short waits so retry-heavy tests stay fast (the defaults wait out HubSpot's 10-s window).
FAST_RETRY = RetryPolicy(
    max_attempts=60,
    backoff_initial_s=0.01,
    backoff_max_s=0.2,
    ten_secondly_wait_s=0.05,
    secondly_wait_s=0.05,
)


@contextmanager
def hubspot_sim(**overrides: Any) -> Iterator[BackgroundServer]:
    """A fresh simulated portal (search indexing immediate unless overridden)."""
    app_module = pytest.importorskip("sims.hubspot.app", reason="HubSpot simulator not built yet")
    from sims.hubspot.config import HubSpotSimConfig

    settings: dict[str, Any] = {"indexing_delay_ms": 0, **overrides}
    with serve_in_thread(app_module.create_app(HubSpotSimConfig(**settings))) as server:
        yield server


def sim_token() -> str:
    from sims.hubspot.config import DEMO_TOKEN

    return DEMO_TOKEN


@pytest.fixture
def sim() -> Iterator[BackgroundServer]:
    with hubspot_sim() as server:
        yield server


@pytest.fixture
async def client(sim: BackgroundServer) -> AsyncIterator[HubSpotClient]:
    async with HubSpotClient(sim_token(), base_url=sim.url, retry_policy=FAST_RETRY) as hs:
        yield hs
