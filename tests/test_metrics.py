"""The process's metrics: counts per system, the latency histogram and its percentiles, the
state gauges, and Prometheus text that prometheus-client's own parser reads back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from accredo_hubspot.metrics import LATENCY_WINDOW_S, RATE_WINDOW_S, Metrics

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition, parsed by prometheus-client: (name, labels) -> value."""
    text = metrics.exposition().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_answers_count_per_system_and_429s_apart() -> None:
    metrics = Metrics()
    hubspot = metrics.response_hook("hubspot")
    accredo = metrics.response_hook("accredo")
    for status in (200, 207, 429, 429):
        hubspot(status)
    accredo(200)
    parsed = samples(metrics)
    assert parsed[("accredo_hubspot_requests_total", (("system", "hubspot"),))] == 4
    assert parsed[("accredo_hubspot_requests_total", (("system", "accredo"),))] == 1
    assert parsed[("accredo_hubspot_rate_limited_total", (("system", "hubspot"),))] == 2
    assert parsed[("accredo_hubspot_rate_limited_total", (("system", "accredo"),))] == 0


def test_an_unknown_system_is_refused() -> None:
    with pytest.raises(ValueError, match="system must be one of"):
        Metrics().response_hook("salesforce")


def test_rates_cover_the_last_minute_only() -> None:
    clock = Ticker()
    metrics = Metrics(clock_s=clock)
    hook = metrics.response_hook("hubspot")
    hook(429)
    clock.now_s += RATE_WINDOW_S / 2
    hook(200)
    assert metrics.rates("hubspot").requests == 2
    assert metrics.rates("hubspot").rate_limited == 1
    clock.now_s += RATE_WINDOW_S / 2 + 1  # the 429 is now older than a minute
    rates = metrics.rates("hubspot")
    assert (rates.requests, rates.rate_limited) == (1, 0)


def test_latency_fills_the_histogram_and_the_hour_s_percentiles() -> None:
    clock = Ticker()
    metrics = Metrics(clock_s=clock)
    seen = [T0 - timedelta(seconds=s) for s in range(1, 21)]  # 1 s .. 20 s ago
    metrics.synced("to_hubspot", [*seen, None], T0)  # None: not seen through the queue
    got = metrics.percentiles("to_hubspot")
    assert got is not None
    assert (got.p50_s, got.p95_s, got.samples) == (10.0, 19.0, 20)
    parsed = samples(metrics)
    direction = (("direction", "to_hubspot"),)
    assert parsed[("accredo_hubspot_sync_latency_seconds_count", direction)] == 20
    assert parsed[("accredo_hubspot_sync_latency_seconds_sum", direction)] == sum(range(1, 21))
    bucket = (("direction", "to_hubspot"), ("le", "5.0"))
    assert parsed[("accredo_hubspot_sync_latency_seconds_bucket", bucket)] == 5
    assert metrics.percentiles("to_accredo") is None
    clock.now_s += LATENCY_WINDOW_S + 1
    assert metrics.percentiles("to_hubspot") is None  # the hour has passed
    assert samples(metrics)[("accredo_hubspot_sync_latency_seconds_count", direction)] == 20


def test_state_gauges_are_set_from_a_reading() -> None:
    metrics = Metrics()
    metrics.set_state(
        queue_depth={"to_hubspot": 7},
        dead_letters=3,
        ambiguous_matches=1,
        change_lag={"ARDELTA": 12, "INDELTA": 0},
        last_sync={"to_hubspot": T0},
    )
    parsed = samples(metrics)
    assert parsed[("accredo_hubspot_queue_depth", (("direction", "to_hubspot"),))] == 7
    assert parsed[("accredo_hubspot_queue_depth", (("direction", "to_accredo"),))] == 0
    assert parsed[("accredo_hubspot_dead_letters", ())] == 3
    assert parsed[("accredo_hubspot_ambiguous_matches", ())] == 1
    assert parsed[("accredo_hubspot_change_lag_rows", (("table", "ARDELTA"),))] == 12
    key = ("accredo_hubspot_last_sync_timestamp_seconds", (("direction", "to_hubspot"),))
    assert parsed[key] == T0.timestamp()


def test_two_processes_worth_of_metrics_do_not_share_counts() -> None:
    """Each ``Metrics`` has its own registry (prometheus-client's global one would refuse the
    second set of names, and tests would see each other's counts)."""
    first, second = Metrics(), Metrics()
    first.response_hook("accredo")(200)
    assert samples(first)[("accredo_hubspot_requests_total", (("system", "accredo"),))] == 1
    assert samples(second)[("accredo_hubspot_requests_total", (("system", "accredo"),))] == 0
