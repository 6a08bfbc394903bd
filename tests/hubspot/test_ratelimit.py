"""The shared rate limiter, on a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from accredo_hubspot.hubspot.ratelimit import Bucket, RateLimiter, WindowBudget, budget_size


class FakeClock:
    """A clock that moves only when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def make(clock: FakeClock, **kwargs: object) -> RateLimiter:
    return RateLimiter(clock=clock, sleep=clock.sleep, **kwargs)  # type: ignore[arg-type]


def test_budget_size_keeps_headroom() -> None:
    """190 per 10 s at 0.9 headroom is 171 of our own."""
    assert budget_size(190, 0.9) == 171
    assert budget_size(1, 0.5) == 1


@pytest.mark.parametrize("headroom", [0.0, 1.5])
def test_bad_headroom_refused(headroom: float) -> None:
    """Headroom outside (0, 1] is a programming error."""
    with pytest.raises(ValueError):
        budget_size(100, headroom)


def test_window_budget_waits_for_oldest_call() -> None:
    """A full window frees a slot when its oldest call is window_s old."""
    budget = WindowBudget(2, 10.0)
    budget.take(0.0)
    budget.take(3.0)

    assert budget.wait_s(5.0) == 5.0
    assert budget.wait_s(10.0) == 0.0
    assert budget.used(10.0) == 1


async def test_never_more_than_budget_in_any_window() -> None:
    """400 acquisitions never put more than 171 starts in any 10-s window."""
    clock = FakeClock()
    limiter = make(clock, per_10s=190, headroom=0.9)
    starts: list[float] = []
    for _ in range(400):
        await limiter.acquire(Bucket.GENERAL)
        starts.append(clock.now)

    for i, start in enumerate(starts):
        in_window = [s for s in starts[i:] if s < start + 10.0]
        assert len(in_window) <= 171
    assert starts[-1] - starts[0] >= 20.0


async def test_search_has_its_own_per_second_budget() -> None:
    """Search spends only the search budget: 4 per second at 0.9 of 5."""
    clock = FakeClock()
    limiter = make(clock, search_per_s=5)
    for _ in range(8):
        await limiter.acquire(Bucket.SEARCH)

    assert clock.now - 1000.0 == pytest.approx(1.0)
    assert limiter.budget(Bucket.GENERAL).used(clock.now) == 0


async def test_associations_spend_both_budgets() -> None:
    """An associations call counts in its own budget and in the general one."""
    clock = FakeClock()
    limiter = make(clock)
    await limiter.acquire(Bucket.ASSOCIATIONS)

    assert limiter.budget(Bucket.ASSOCIATIONS).used(clock.now) == 1
    assert limiter.budget(Bucket.GENERAL).used(clock.now) == 1


def test_headers_shrink_budget_to_server_max() -> None:
    """A lower X-HubSpot-RateLimit-Max than configured shrinks our budget."""
    clock = FakeClock()
    limiter = make(clock, per_10s=190, headroom=0.9)
    limiter.observe(
        Bucket.GENERAL,
        {
            "x-hubspot-ratelimit-max": "100",
            "x-hubspot-ratelimit-remaining": "99",
            "x-hubspot-ratelimit-interval-milliseconds": "10000",
        },
    )

    assert limiter.budget(Bucket.GENERAL).max_calls == 90
    assert limiter.wait_s(Bucket.GENERAL) == 0.0


async def test_low_remaining_pauses_until_window_clears() -> None:
    """Remaining at or below the reserve (others share the window) pauses new calls."""
    clock = FakeClock()
    limiter = make(clock, per_10s=190, headroom=0.9)
    await limiter.acquire()
    clock.now += 2.0
    limiter.observe(
        Bucket.GENERAL, {"x-hubspot-ratelimit-max": "190", "x-hubspot-ratelimit-remaining": "5"}
    )

    assert limiter.wait_s(Bucket.GENERAL) == pytest.approx(8.0)


async def test_own_calls_reaching_the_reserve_do_not_pause() -> None:
    """Remaining at the reserve because of our own calls only is the budget working: the
    limiter must not stall for a whole window (it did, and cost the backfill 10 s)."""
    clock = FakeClock()
    limiter = make(clock, per_10s=190, headroom=0.9)
    await limiter.acquire()
    clock.now += 5.0
    for _ in range(170):
        await limiter.acquire()
    limiter.observe(
        Bucket.GENERAL, {"x-hubspot-ratelimit-max": "190", "x-hubspot-ratelimit-remaining": "19"}
    )

    # Full budget: the next call waits for the oldest of ours to leave the window (t=10),
    # not for all of them (t=15).
    assert limiter.wait_s(Bucket.GENERAL) == pytest.approx(5.0)
    clock.now += 5.01
    assert limiter.wait_s(Bucket.GENERAL) == 0.0


def test_search_headers_are_ignored() -> None:
    """Search answers carry no limit headers; nothing there changes the search budget."""
    clock = FakeClock()
    limiter = make(clock)
    limiter.observe(Bucket.SEARCH, {"x-hubspot-ratelimit-max": "1"})

    assert limiter.budget(Bucket.SEARCH).max_calls == 4


def test_hold_delays_calls() -> None:
    """After a 429 the bucket holds for the given delay."""
    clock = FakeClock()
    limiter = make(clock)
    limiter.hold(Bucket.GENERAL, 3.0)

    assert limiter.wait_s(Bucket.GENERAL) == 3.0


async def test_concurrent_acquirers_share_the_budget() -> None:
    """Concurrent tasks still respect one budget."""
    clock = FakeClock()
    limiter = make(clock, per_10s=10, headroom=1.0)
    await asyncio.gather(*(limiter.acquire() for _ in range(25)))

    assert clock.now - 1000.0 == pytest.approx(20.0)


async def test_finished_calls_count_from_their_answer() -> None:
    """A slow call is counted until window_s after its answer, as the server may count it late."""
    clock = FakeClock()
    limiter = make(clock, search_per_s=1, headroom=1.0)
    slots = await limiter.acquire(Bucket.SEARCH)
    clock.now += 0.4  # the answer arrives 0.4 s later
    limiter.done(slots)

    assert limiter.wait_s(Bucket.SEARCH) == pytest.approx(1.0)
    clock.now += 0.7  # 1.1 s after the start, 0.7 s after the answer
    assert limiter.wait_s(Bucket.SEARCH) == pytest.approx(0.3)


async def test_a_limit_of_zero_means_no_limit_of_our_own() -> None:
    clock = FakeClock()
    limiter = make(clock, per_10s=0, headroom=0.9)
    for _ in range(1000):
        await limiter.acquire()
    assert limiter.wait_s(Bucket.GENERAL) == 0.0
