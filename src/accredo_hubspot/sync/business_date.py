"""Accredo's business date: the "today" every day count of the sync is made from.

Accredo ages its ledger from its own business date (the ``SystemDate`` function, reference
accredo-api.md 10.9), which a site can move and which need not be the wall-clock date where the
connector runs. Days overdue on the company, invoice status and the order window all count
from it, so HubSpot agrees with Accredo's own aging. It is read again when the last read is a
minute old (issue 10: at least once a minute).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import date

#: Seconds a read of Accredo's business date is used for.
BUSINESS_DATE_MAX_AGE_S = 60.0


class BusinessDateUnread(RuntimeError):
    """``today`` asked before the business date was read, with nothing to fall back on."""


class BusinessDate:
    """Accredo's business date, read at most ``max_age_s`` ago. Before the first read,
    ``today`` answers ``fallback()`` when given (the company's calendar date)."""

    def __init__(
        self,
        read: Callable[[], Awaitable[date]],
        max_age_s: float = BUSINESS_DATE_MAX_AGE_S,
        monotonic: Callable[[], float] = time.monotonic,
        fallback: Callable[[], date] | None = None,
    ) -> None:
        self._read = read
        self._max_age_s = max_age_s
        self._monotonic = monotonic
        self._fallback = fallback
        self._value: date | None = None
        self._read_at = 0.0

    async def refresh(self) -> date:
        """The business date, read again if the last read is too old."""
        now = self._monotonic()
        if self._value is None or now - self._read_at >= self._max_age_s:
            self._value = await self._read()
            self._read_at = now
        return self._value

    def today(self) -> date:
        """The last date read (``refresh`` first), else the fallback's."""
        if self._value is not None:
            return self._value
        if self._fallback is None:
            raise BusinessDateUnread("BusinessDate.today() before refresh()")
        return self._fallback()
