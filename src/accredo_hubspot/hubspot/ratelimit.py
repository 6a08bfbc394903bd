"""One client-side rate limiter per portal, shared by every call the client makes.

HubSpot counts requests per app in a rolling 10-second window (reference §3), with a separate
budget for the associations API and a 5-per-second search limit that sends no headers. The
limiter keeps each budget as a sliding window of call start times, sized at ``headroom`` of the
limit, and tightens itself from the ``X-HubSpot-RateLimit-*`` headers (other processes of the
same app share the server's window). The clock and the sleep are injected so tests run on a
fake clock.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

#: Window of the burst limits, seconds (reference §3: "per 10 s").
TEN_SECONDS_S = 10.0
#: Associations burst limit per 10 s for Pro/Enterprise (reference §3) [docs, Jan 2025].
ASSOCIATIONS_PER_10S = 150
HEADER_MAX = "x-hubspot-ratelimit-max"
HEADER_REMAINING = "x-hubspot-ratelimit-remaining"
HEADER_INTERVAL_MS = "x-hubspot-ratelimit-interval-milliseconds"


class Bucket(StrEnum):
    """Which budget a call spends."""

    #: CRM calls: objects, properties, schemas, owners, pipelines.
    GENERAL = "general"
    #: Associations v4: its own budget, and (conservatively [assumed]) the general one too.
    ASSOCIATIONS = "associations"
    #: Search: 5/s per account, not counted in the general budget (reference §3).
    SEARCH = "search"


class Slot:
    """One call counted in a budget, stamped at its start and moved to its end when done.

    The server counts a call when it arrives, somewhere between our send and its answer;
    stamping finished calls at their answer keeps our window at least as long as the
    server's, whatever the network latency.
    """

    __slots__ = ("at",)

    def __init__(self, at: float) -> None:
        self.at = at


class WindowBudget:
    """At most ``max_calls`` calls in any ``window_s`` (a sliding window log)."""

    def __init__(self, max_calls: int, window_s: float) -> None:
        if max_calls < 1 or window_s <= 0:
            raise ValueError("a budget needs max_calls >= 1 and window_s > 0")
        self.max_calls = max_calls
        self.window_s = window_s
        self._slots: list[Slot] = []
        self._held_until = 0.0

    def _forget_before(self, now: float) -> list[float]:
        self._slots = [s for s in self._slots if s.at > now - self.window_s]
        return sorted(s.at for s in self._slots)

    def used(self, now: float) -> int:
        """Calls counted within the window ending at ``now``."""
        return len(self._forget_before(now))

    def wait_s(self, now: float) -> float:
        """How long until one more call may start (0.0 if it may start now)."""
        stamps = self._forget_before(now)
        wait = max(0.0, self._held_until - now)
        if len(stamps) >= self.max_calls:
            oldest_to_expire = stamps[len(stamps) - self.max_calls]
            wait = max(wait, oldest_to_expire + self.window_s - now)
        return wait

    def take(self, now: float) -> Slot:
        """Count a call starting now."""
        slot = Slot(now)
        self._slots.append(slot)
        return slot

    def hold(self, until: float) -> None:
        """Start nothing before ``until`` (after a 429, or when the server says we are out)."""
        self._held_until = max(self._held_until, until)

    def oldest_clear_s(self, now: float) -> float:
        """Time until the oldest call counted now leaves the window (one slot frees)."""
        stamps = self._forget_before(now)
        if not stamps:
            return 0.0
        return stamps[0] + self.window_s - now

    def window_clear_s(self, now: float) -> float:
        """Time until every call counted now has left the window (a 429's "wait it out")."""
        stamps = self._forget_before(now)
        if not stamps:
            return 0.0
        return stamps[-1] + self.window_s - now


#: What a limit of 0 ("no limit", as the simulator's flags say) becomes: more calls than any
#: window will see, so only the server's answers (429, headers) slow us down.
UNLIMITED_CALLS = 1_000_000


def budget_size(limit: int, headroom: float) -> int:
    """Calls we allow ourselves out of ``limit``: ``floor(limit * headroom)``, at least 1;
    a limit of 0 or less means no limit of our own."""
    if not 0 < headroom <= 1:
        raise ValueError("headroom must be in (0, 1]")
    if limit <= 0:
        return UNLIMITED_CALLS
    return max(1, math.floor(limit * headroom))


class RateLimiter:
    """The budgets of one portal. ``acquire`` before each call; ``observe`` each answer."""

    def __init__(
        self,
        *,
        per_10s: int = 190,
        headroom: float = 0.9,
        associations_per_10s: int = ASSOCIATIONS_PER_10S,
        search_per_s: int = 5,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.headroom = headroom
        self._clock = clock
        self._sleep = sleep
        self._budgets = {
            Bucket.GENERAL: WindowBudget(budget_size(per_10s, headroom), TEN_SECONDS_S),
            Bucket.ASSOCIATIONS: WindowBudget(
                budget_size(associations_per_10s, headroom), TEN_SECONDS_S
            ),
            Bucket.SEARCH: WindowBudget(budget_size(search_per_s, headroom), 1.0),
        }
        self._lock = asyncio.Lock()

    def budget(self, bucket: Bucket) -> WindowBudget:
        return self._budgets[bucket]

    def _spends(self, bucket: Bucket) -> list[WindowBudget]:
        if bucket is Bucket.ASSOCIATIONS:
            return [self._budgets[Bucket.ASSOCIATIONS], self._budgets[Bucket.GENERAL]]
        return [self._budgets[bucket]]

    def wait_s(self, bucket: Bucket) -> float:
        """How long a call in ``bucket`` would wait now (pure; for tests and metrics)."""
        now = self._clock()
        return max(b.wait_s(now) for b in self._spends(bucket))

    async def acquire(self, bucket: Bucket = Bucket.GENERAL) -> list[Slot]:
        """Wait until a call may start and count it; pass the result to ``done`` afterwards.

        Waiters queue on one lock, so they start in arrival order and never overshoot.
        """
        async with self._lock:
            while True:
                delay = self.wait_s(bucket)
                if delay <= 0:
                    break
                await self._sleep(delay)
            now = self._clock()
            return [budget.take(now) for budget in self._spends(bucket)]

    def done(self, slots: list[Slot]) -> None:
        """The call has its answer (or failed): restamp its slots at the end."""
        now = self._clock()
        for slot in slots:
            slot.at = max(slot.at, now)

    def observe(self, bucket: Bucket, headers: Mapping[str, str]) -> None:
        """Adopt the server's view from ``X-HubSpot-RateLimit-*`` (absent on search).

        A lower ``Max`` than ours shrinks our budget. When ``Remaining`` is at or below the
        reserve that headroom keeps back *and* the server has counted more calls than we made
        (others spend the same window), we pause until our oldest call leaves it. Our own
        calls alone reaching the reserve is the budget working, not a reason to stop.
        """
        max_calls = _int_header(headers, HEADER_MAX)
        remaining = _int_header(headers, HEADER_REMAINING)
        if max_calls is None or max_calls < 1 or bucket is Bucket.SEARCH:
            return
        interval_ms = _int_header(headers, HEADER_INTERVAL_MS)
        budget = self._budgets[bucket]
        if interval_ms and interval_ms > 0:
            budget.window_s = interval_ms / 1000.0
        budget.max_calls = min(budget.max_calls, budget_size(max_calls, self.headroom))
        reserve = max_calls - budget_size(max_calls, self.headroom)
        if remaining is not None and remaining <= reserve:
            now = self._clock()
            others = (max_calls - remaining) - budget.used(now)
            if others > 0:
                budget.hold(now + max(budget.oldest_clear_s(now), budget.window_s / 10))

    def hold(self, bucket: Bucket, delay_s: float) -> None:
        """Start nothing in ``bucket`` for ``delay_s`` (after a 429)."""
        now = self._clock()
        self._budgets[bucket].hold(now + delay_s)

    def window_clear_s(self, bucket: Bucket) -> float:
        """Time until our calls in ``bucket`` have all left its window."""
        return self._budgets[bucket].window_clear_s(self._clock())


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None
