"""Fault injection (reference 11 item 11): all off by default, switched on through /_sim/faults."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.sims.accredo.conftest import Sim


def set_faults(sim: Sim, **faults: float | int | None) -> None:
    r = sim.http.put("/_sim/faults", json=faults)
    assert r.status_code == 200, r.text


def test_faults_are_off_by_default(sim: Sim) -> None:
    assert sim.http.get("/_sim/faults").json() == {
        "latency_ms": 0,
        "post_answer_delay_ms": 0,
        "error_rate": 0,
        "rate_limit_429_rate": 0,
        "drop_rate": 0,
        "early_token_expiry": 0,
        "max_requests_per_minute": None,
    }


def test_5xx_and_429(sim: Sim, api: httpx.Client) -> None:
    set_faults(sim, error_rate=1.0)
    statuses = {api.get("/ARSalesPerson").status_code for _ in range(12)}
    assert statuses <= {500, 503} and statuses
    r = api.get("/ARSalesPerson")
    assert r.json()["error"]["code"] in ("InternalError", "ServiceUnavailable")
    assert sim.http.get("/_sim/clock").status_code == 200  # controls are never faulted
    set_faults(sim, error_rate=0, rate_limit_429_rate=1.0)
    r = api.get("/ARSalesPerson")
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    assert r.json()["error"]["code"] == "RateLimitExceeded"
    set_faults(sim, rate_limit_429_rate=0.5)
    series = [api.get("/ARSalesPerson").status_code for _ in range(40)]
    assert 0 < series.count(429) < 40 and series.count(200) > 0


def test_requests_per_minute_limit(sim: Sim, api: httpx.Client) -> None:
    set_faults(sim, max_requests_per_minute=3)
    codes = [api.get("/ARSalesPerson").status_code for _ in range(5)]
    if codes[:3] != [200, 200, 200]:  # the minute turned over mid-test; once more
        codes = [api.get("/ARSalesPerson").status_code for _ in range(5)]
    assert 429 in codes
    r = api.get("/ARSalesPerson")
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60


def test_a_held_back_post_answer_comes_after_the_work(sim: Sim, api: httpx.Client) -> None:
    set_faults(sim, post_answer_delay_ms=5000)
    with pytest.raises(httpx.ReadTimeout):  # the answer never came in time: lost, to us
        api.post("/ARCustomer", json={"CustomerCode": "HELD", "CustomerName": "Held"}, timeout=0.5)
    set_faults(sim, post_answer_delay_ms=0)
    assert api.get("/ARCustomer('HELD')").status_code == 200  # the work was done


def test_dropped_connections(sim: Sim, api: httpx.Client) -> None:
    set_faults(sim, drop_rate=1.0)
    with pytest.raises(httpx.TransportError):
        api.get("/ARSalesPerson")


def test_latency(sim: Sim, api: httpx.Client) -> None:
    set_faults(sim, latency_ms=250)
    started = time.monotonic()
    assert api.get("/ARSalesPerson").status_code == 200
    assert time.monotonic() - started >= 0.25


def test_early_token_expiry(sim: Sim, api: httpx.Client) -> None:
    set_faults(sim, early_token_expiry=1.0)
    assert api.get("/ARSalesPerson").status_code == 401
    set_faults(sim, early_token_expiry=0)
    assert api.get("/ARSalesPerson").status_code == 401  # that token is gone for good
    with sim.api() as fresh:
        assert fresh.get("/ARSalesPerson").status_code == 200


def test_bad_fault_settings_are_refused(sim: Sim) -> None:
    for body in ({"error_rate": 2}, {"nope": 1}, {"latency_ms": -5}, {"drop_rate": "x"}):
        assert sim.http.put("/_sim/faults", json=body).status_code == 400
