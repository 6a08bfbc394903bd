"""When to retry an Accredo request, and how long to wait (reference §7, §8).

Only transient failures are retried (5xx, timeouts, dropped connections, 429); a 4xx answer
such as a validation error never is. A request that is not idempotent (a POST) is retried only
when it cannot have reached the server (the connection was never made) or the server said 429;
anything else is left to the caller, who must first check whether the record was created.
Backoff is stamina's jittered exponential backoff; a 429 waits its ``Retry-After`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from accredo_hubspot.accredo.errors import (
    AccredoRateLimited,
    AccredoTransientError,
    RequestNotSent,
)


@dataclass(frozen=True)
class RetryPolicy:
    """Retry settings. ``max_retry_after_s`` caps how long one 429 makes us wait."""

    attempts: int = 5
    wait_initial_s: float = 0.2
    wait_max_s: float = 10.0
    wait_jitter_s: float = 1.0
    timeout_s: float = 180.0
    max_retry_after_s: float = 60.0


class RetryDecider:
    """stamina's ``on=`` callback: ``False`` (do not retry), ``True`` (back off) or seconds."""

    def __init__(self, policy: RetryPolicy, idempotent: bool) -> None:
        self._policy = policy
        self._idempotent = idempotent

    def __call__(self, exc: Exception) -> bool | float:
        if isinstance(exc, AccredoRateLimited):
            return min(exc.retry_after_s, self._policy.max_retry_after_s)
        if isinstance(exc, RequestNotSent):
            return True
        if isinstance(exc, AccredoTransientError):
            return self._idempotent
        return False
