"""The process's metrics: Prometheus text for ``GET /metrics`` and the recent figures of the
status page (requests and 429s a minute, latency percentiles over the last hour).

One ``Metrics`` per process, with its own registry (never prometheus-client's global one, so
two in one process, as in the tests, do not collide). The clients report every HTTP answer
through a ``ResponseHook`` (``response_hook``) and know nothing else of it; the live sync
reports each queued record it brought across (``synced``); what the state store holds (queue
depth, dead letters, change-table lag) is set from a fresh reading when scraped (``set_state``).
Recent figures are this process's own: with several ``run`` processes, each shows its share.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from accredo_hubspot.shared import ResponseHook

#: The systems the clients talk to (label ``system``).
SYSTEMS = ("accredo", "hubspot")
#: The queue's directions (label ``direction``), as the state store names them.
DIRECTIONS = ("to_hubspot", "to_accredo")
#: Change seen to written, in seconds: a poll interval or two when all is well, minutes in an
#: outage or a backlog.
LATENCY_BUCKETS_S = (0.5, 1, 2, 3, 5, 10, 30, 60, 120, 300, 900, 3600)
#: How far back the status page's rates and percentiles look.
RATE_WINDOW_S = 60.0
LATENCY_WINDOW_S = 3600.0
#: Latency samples kept per direction for the percentiles (a daily refresh queues every
#: linked debtor at once; the newest samples are what the last hour is about).
MAX_SAMPLES = 20_000
TOO_MANY_REQUESTS = 429


@dataclass(frozen=True, slots=True)
class Percentiles:
    """Latency over the last hour: the median and the 95th percentile of ``samples``."""

    p50_s: float
    p95_s: float
    samples: int


@dataclass(frozen=True, slots=True)
class Rates:
    """One system's answers over the last minute."""

    requests: int
    rate_limited: int


class Metrics:
    """Counters, gauges and the latency histogram of one process, in one registry."""

    def __init__(self, clock_s: Callable[[], float] = time.monotonic) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._clock_s = clock_s
        self.requests = Counter(
            "accredo_hubspot_requests",
            "HTTP requests answered, per system",
            ["system"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "accredo_hubspot_rate_limited",
            "Answers of 429 Too Many Requests, per system",
            ["system"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "accredo_hubspot_sync_latency_seconds",
            "Seconds from a change seen (queued) to its record written on the other side",
            ["direction"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "accredo_hubspot_queue_depth",
            "Records queued for sync, per direction",
            ["direction"],
            registry=self.registry,
        )
        self.dead_letters = Gauge(
            "accredo_hubspot_dead_letters",
            "Open dead letters (records or fields that could not be written)",
            registry=self.registry,
        )
        self.ambiguous_matches = Gauge(
            "accredo_hubspot_ambiguous_matches",
            "Records whose match is ambiguous, waiting for a decision",
            registry=self.registry,
        )
        self.change_lag = Gauge(
            "accredo_hubspot_change_lag_rows",
            "Rows of an Accredo change table beyond the connector's cursor",
            ["table"],
            registry=self.registry,
        )
        self.last_sync = Gauge(
            "accredo_hubspot_last_sync_timestamp_seconds",
            "When a batch of queued records was last brought across, per direction",
            ["direction"],
            registry=self.registry,
        )
        for system in SYSTEMS:
            self.requests.labels(system)
            self.rate_limited.labels(system)
        for direction in DIRECTIONS:
            self.latency.labels(direction)
            self.queue_depth.labels(direction)
        self._answers: dict[str, deque[tuple[float, bool]]] = {s: deque() for s in SYSTEMS}
        self._latencies: dict[str, deque[tuple[float, float]]] = {
            d: deque(maxlen=MAX_SAMPLES) for d in DIRECTIONS
        }

    # -- what the clients and the sync report -------------------------------------------------

    def response_hook(self, system: str) -> ResponseHook:
        """The hook a client of ``system`` calls with the status of each answer."""
        if system not in SYSTEMS:
            raise ValueError(f"system must be one of {SYSTEMS}, not {system!r}")
        requests = self.requests.labels(system)
        limited = self.rate_limited.labels(system)
        answers = self._answers[system]

        def answered(status: int) -> None:
            requests.inc()
            refused = status == TOO_MANY_REQUESTS
            if refused:
                limited.inc()
            now = self._clock_s()
            answers.append((now, refused))
            _drop_before(answers, now - RATE_WINDOW_S)

        return answered

    def synced(self, direction: str, seen_at: Iterable[datetime | None], done_at: datetime) -> None:
        """Records of ``direction`` whose changes (first seen at ``seen_at``) were written at
        ``done_at``."""
        histogram = self.latency.labels(direction)
        samples = self._latencies.setdefault(direction, deque(maxlen=MAX_SAMPLES))
        now = self._clock_s()
        for seen in seen_at:
            if seen is None:
                continue
            seconds = max(0.0, (done_at - seen).total_seconds())
            histogram.observe(seconds)
            samples.append((now, seconds))
        _drop_before(samples, now - LATENCY_WINDOW_S)

    def set_state(
        self,
        *,
        queue_depth: Mapping[str, int],
        dead_letters: int,
        ambiguous_matches: int,
        change_lag: Mapping[str, int],
        last_sync: Mapping[str, datetime],
    ) -> None:
        """What the state store and Accredo said just now (set before each scrape)."""
        for direction in {*DIRECTIONS, *queue_depth}:
            self.queue_depth.labels(direction).set(queue_depth.get(direction, 0))
        self.dead_letters.set(dead_letters)
        self.ambiguous_matches.set(ambiguous_matches)
        for table, rows in change_lag.items():
            self.change_lag.labels(table).set(rows)
        for direction, at in last_sync.items():
            self.last_sync.labels(direction).set(at.timestamp())

    # -- what the page and Prometheus read ----------------------------------------------------

    def rates(self, system: str) -> Rates:
        """Answers and 429s of ``system`` in the last minute."""
        answers = self._answers[system]
        _drop_before(answers, self._clock_s() - RATE_WINDOW_S)
        return Rates(len(answers), sum(1 for _, refused in answers if refused))

    def percentiles(self, direction: str) -> Percentiles | None:
        """Latency of ``direction`` over the last hour; None without a sample."""
        samples = self._latencies.get(direction)
        if not samples:
            return None
        _drop_before(samples, self._clock_s() - LATENCY_WINDOW_S)
        values = sorted(seconds for _, seconds in samples)
        if not values:
            return None
        return Percentiles(_quantile(values, 0.50), _quantile(values, 0.95), len(values))

    def exposition(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


def _drop_before(window: deque[tuple[float, bool]] | deque[tuple[float, float]], t: float) -> None:
    while window and window[0][0] < t:
        window.popleft()


def _quantile(ordered: list[float], q: float) -> float:
    """The nearest-rank ``q`` quantile of a sorted, non-empty list."""
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]
