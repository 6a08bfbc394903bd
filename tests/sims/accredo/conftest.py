"""Shared fixtures: one simulator per module over real HTTP, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import httpx
import pytest

from sims.accredo.app import create_app
from sims.accredo.config import SimConfig
from sims.serve import BackgroundServer, serve_in_thread

#: A fixed business date (a month end) so bucket and due-date assertions are exact.
START = date(2025, 6, 30)
COMPANY_PATH = "/saturn/odata4/v1/Company('DEMO')"


class Sim:
    """A running simulator: base URL, the state object, and helpers for tests."""

    def __init__(self, server: BackgroundServer, app: Any) -> None:
        self.server = server
        self.app = app
        self.state = app.state.sim
        self.url = server.url
        self.http = httpx.Client(base_url=server.url, timeout=30)

    def token(self, **overrides: Any) -> dict[str, Any]:
        cfg = self.state.config
        body = {
            "grant_type": "password",
            "client_id": cfg.client_id,
            "username": cfg.username,
            "password": cfg.password,
            **overrides,
        }
        r = self.http.post("/saturn/oauth2/v1/token", json=body)
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()
        return data

    def api(self) -> httpx.Client:
        """A client with a fresh bearer token, based at the company URL."""
        tok = self.token()["access_token"]
        return httpx.Client(
            base_url=self.url + COMPANY_PATH,
            headers={"Authorization": f"Bearer {tok}"},
            timeout=30,
        )


def make_sim(customers: int = 200, **kw: Any) -> tuple[Any, SimConfig]:
    config = SimConfig(customers=customers, start_date=START, **kw)
    return create_app(config), config


@contextmanager
def running_sim(customers: int = 200) -> Iterator[Sim]:
    """A simulator served on a loopback port; its server and client closed afterwards."""
    app, _ = make_sim(customers)
    with serve_in_thread(app) as server:
        sim = Sim(server, app)
        with sim.http:
            yield sim


@pytest.fixture(scope="module")
def sim_server() -> Iterator[Sim]:
    with running_sim() as sim:
        yield sim


@pytest.fixture
def sim(sim_server: Sim) -> Sim:
    st = sim_server.state
    st.config.start_date = START
    for name in ("latency_ms", "error_rate", "rate_limit_429_rate", "drop_rate"):
        setattr(st.config, name, 0)
    st.config.early_token_expiry = 0.0
    st.config.max_requests_per_minute = None
    st.config.seed, st.config.customers = 1, 200
    st.config.session_limit, st.config.auto_clear_stop_credit = 200, False
    st.auth.access.clear()
    st.auth.refresh.clear()
    st.reset_tracking()
    st.reset()
    return sim_server


@pytest.fixture
def api(sim: Sim) -> Iterator[httpx.Client]:
    with sim.api() as client:
        yield client
