"""When ``run`` next polls Accredo's change tables. Pure: monotonic seconds in, seconds out.

Changes come in clusters (a receipt and then its allocations, an order and then its lines), so
after a poll that found change rows the next ones come every ``busy_s`` for ``busy_for_s``;
when nothing has changed for that long, polls relax to every ``idle_s``, which sets Accredo's
load when nothing happens (each poll is a few requests, one per change table).

A push hint (Accredo's script saying something changed) makes the next poll due at once, but
never sooner than ``busy_s`` after the poll before: however many hints arrive, Accredo is never
polled more often than in a busy stretch. A hint that arrives while a poll runs counts for the
next one (the change it announces may have been written after the poll read the tables). Only
what a poll finds makes the pace busy: a hint whose poll finds nothing leaves it as it was.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PollIntervals:
    """``idle_s`` between polls when quiet; ``busy_s`` for ``busy_for_s`` after a change."""

    idle_s: float
    busy_s: float
    busy_for_s: float

    def __post_init__(self) -> None:
        if not 0 < self.busy_s <= self.idle_s or self.busy_for_s < 0:
            raise ValueError(f"expected 0 < busy_s <= idle_s and busy_for_s >= 0: {self}")

    @property
    def adaptive(self) -> bool:
        return self.busy_s < self.idle_s and self.busy_for_s > 0

    def describe(self) -> str:
        """``"every 1 s (0.2 s for 10 s after a change)"``, or ``"every 1 s"`` at one pace."""
        if not self.adaptive:
            return f"every {self.idle_s:g} s"
        return (
            f"every {self.idle_s:g} s ({self.busy_s:g} s for {self.busy_for_s:g} s after a change)"
        )


class PollSchedule:
    """The polls so far and the hints since; ``due`` says when the next poll is."""

    def __init__(self, intervals: PollIntervals) -> None:
        self.intervals = intervals
        self._started: float | None = None  # when the last poll started
        self._changed: float | None = None  # when the last poll that found rows started
        self._hinted: float | None = None  # when the last hint arrived
        self.polls = 0  # polls that have read the tables

    def started(self, now: float) -> None:
        """A poll starts now."""
        self._started = now

    def found(self, rows: int) -> None:
        """The poll that started last has read ``rows`` change rows."""
        self.polls += 1
        if rows > 0 and self._started is not None:
            self._changed = self._started

    def hint(self, now: float) -> None:
        """A push hint arrived now."""
        self._hinted = now

    @property
    def hinted(self) -> bool:
        """Whether a hint has arrived since the last poll started."""
        return self._hinted is not None and (self._started is None or self._hinted >= self._started)

    @property
    def busy(self) -> bool:
        """Whether the last poll started within ``busy_for_s`` of the last change found."""
        if self._started is None or self._changed is None:
            return False
        return self._started - self._changed < self.intervals.busy_for_s

    def interval(self) -> float:
        """The pace now: ``busy_s`` in a busy stretch, else ``idle_s``."""
        return self.intervals.busy_s if self.busy else self.intervals.idle_s

    def due(self) -> float:
        """When the next poll should start (``-inf`` before the first: at once)."""
        if self._started is None:
            return float("-inf")
        if self.hinted:
            return self._started + self.intervals.busy_s
        return self._started + self.interval()
