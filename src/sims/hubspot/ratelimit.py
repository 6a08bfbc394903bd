"""Rolling-window request budgets (reference section 3)."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class RollingWindow:
    """At most ``limit`` requests in any ``window_s``; ``limit`` 0 means no limit."""

    limit: int
    window_s: float
    _stamps: deque[float] = field(default_factory=deque)

    def _expire(self, now: float) -> None:
        while self._stamps and self._stamps[0] <= now - self.window_s:
            self._stamps.popleft()

    def try_acquire(self, now: float | None = None) -> bool:
        """Count one request if the budget allows it; False means answer 429."""
        if self.limit <= 0:
            return True
        moment = time.monotonic() if now is None else now
        self._expire(moment)
        if len(self._stamps) >= self.limit:
            return False
        self._stamps.append(moment)
        return True

    def remaining(self, now: float | None = None) -> int:
        moment = time.monotonic() if now is None else now
        self._expire(moment)
        return max(self.limit - len(self._stamps), 0)


@dataclass
class DailyCounter:
    """Requests counted against the portal's daily limit (reset by the control surface)."""

    limit: int
    used: int = 0

    def try_acquire(self) -> bool:
        if self.limit <= 0:
            return True
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)
