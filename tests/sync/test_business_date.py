"""Accredo's business date: read once a minute at most, the fallback only before the first read
(pure: the read is a coroutine counting its calls)."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from accredo_hubspot.sync.business_date import BusinessDate, BusinessDateUnread


def test_read_again_only_when_a_minute_old_and_the_fallback_only_before() -> None:
    reads: list[date] = []
    seconds = [0.0]
    accredo_dates = iter([date(2026, 12, 3), date(2026, 12, 4)])

    async def read() -> date:
        reads.append(next(accredo_dates))
        return reads[-1]

    business = BusinessDate(
        read, max_age_s=60, monotonic=lambda: seconds[0], fallback=lambda: date(2026, 11, 30)
    )

    async def go() -> None:
        assert business.today() == date(2026, 11, 30)  # not read yet: the calendar
        assert await business.refresh() == date(2026, 12, 3)
        seconds[0] = 59.0
        assert await business.refresh() == date(2026, 12, 3)  # still fresh: no read
        seconds[0] = 60.0
        assert await business.refresh() == date(2026, 12, 4)
        assert business.today() == date(2026, 12, 4)

    asyncio.run(go())
    assert len(reads) == 2


def test_without_a_fallback_today_before_a_read_is_an_error() -> None:
    async def read() -> date:
        return date(2026, 12, 1)

    with pytest.raises(BusinessDateUnread):
        BusinessDate(read).today()
