"""When to retry a HubSpot call, and how long to wait: one pure function over the error, and
the stamina hook that applies it to one request (the Accredo client retries through stamina too).

Policy (reference §2.5 and §3, after the Node SDK's retry decorator):

* 429 ``TEN_SECONDLY_ROLLING``: wait out the rolling window (``Retry-After`` if sent);
* 429 per-second (search, "secondly limit"): about one second;
* 429 ``DAILY``: never retried (it resets at the portal's midnight);
* 5xx, 423 (2-s record lock), 477 (``Retry-After``): jittered exponential backoff;
* a dropped connection: retried when the request never left (connect errors) or resending it is
  harmless; a create HubSpot may have received is never sent again;
* every other 4xx (validation, conflict, not found, auth): never retried.

A 429 holds the whole bucket in the rate limiter, so every concurrent call of the portal waits
out the window, not only the one that was refused.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from accredo_hubspot.hubspot.errors import (
    HubSpotError,
    HubSpotRateLimited,
    HubSpotRequestNotSent,
    HubSpotTransientError,
)
from accredo_hubspot.hubspot.ratelimit import Bucket, RateLimiter

#: Wait after a 423 Locked (reference §2.5: "the lock lasts 2 s; wait >= 2 s").
LOCKED_WAIT_S = 2.0


@dataclass(frozen=True)
class RetryPolicy:
    """Tunables of the retry loop. ``ten_secondly_wait_s=None`` waits out the 10-s window."""

    max_attempts: int = 8
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    ten_secondly_wait_s: float | None = None
    secondly_wait_s: float = 1.0
    window_s: float = 10.0
    max_retry_after_s: float = 120.0


def backoff_s(attempt: int, policy: RetryPolicy, rand: Callable[[], float]) -> float:
    """Exponential backoff with jitter: between half and all of ``initial * 2**(attempt-1)``."""
    ceiling = min(policy.backoff_max_s, policy.backoff_initial_s * 2.0 ** max(0, attempt - 1))
    return ceiling / 2 + rand() * ceiling / 2


def retry_delay_s(
    error: HubSpotError,
    attempt: int,
    policy: RetryPolicy,
    *,
    window_clear_s: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float | None:
    """Seconds to wait before attempt ``attempt + 1``, or ``None`` to raise ``error`` now.

    ``attempt`` counts the attempts made so far (1 after the first call failed).
    ``window_clear_s`` is the limiter's estimate of when our own calls leave the window.
    """
    if attempt >= policy.max_attempts:
        return None
    if isinstance(error, HubSpotRateLimited):
        return _rate_limited_delay_s(error, policy, window_clear_s, rand)
    if isinstance(error, HubSpotTransientError):
        if error.retry_after_s is not None:
            return min(error.retry_after_s, policy.max_retry_after_s)
        if error.status == 423:
            return LOCKED_WAIT_S + rand() * 0.5
        return backoff_s(attempt, policy, rand)
    return None


def _rate_limited_delay_s(
    error: HubSpotRateLimited,
    policy: RetryPolicy,
    window_clear_s: float | None,
    rand: Callable[[], float],
) -> float | None:
    if error.policy == "DAILY":
        return None
    jitter_s = rand() * 0.25
    if error.retry_after_s is not None:
        return min(error.retry_after_s, policy.max_retry_after_s) + jitter_s
    if error.policy == "SECONDLY":
        return policy.secondly_wait_s + jitter_s
    if policy.ten_secondly_wait_s is not None:
        return policy.ten_secondly_wait_s + jitter_s
    wait = policy.window_s if window_clear_s is None else min(window_clear_s, policy.window_s)
    return max(wait, policy.secondly_wait_s) + jitter_s


class RetryDecider:
    """stamina's ``on=`` hook for one request: ``False`` (raise now) or the seconds to wait.

    ``safe_to_resend`` is false for a create: a connection dropped after sending it is not
    retried, since HubSpot may have made the record.
    """

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        limiter: RateLimiter,
        bucket: Bucket,
        safe_to_resend: bool,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._policy = policy
        self._limiter = limiter
        self._bucket = bucket
        self._safe_to_resend = safe_to_resend
        self._rand = rand
        self._attempts = 0

    def __call__(self, exc: Exception) -> bool | float:
        if not isinstance(exc, HubSpotError):
            return False
        self._attempts += 1
        if _maybe_applied(exc) and not self._safe_to_resend:
            return False
        delay = retry_delay_s(
            exc,
            self._attempts,
            self._policy,
            window_clear_s=self._limiter.window_clear_s(self._bucket),
            rand=self._rand,
        )
        if delay is None:
            return False
        if isinstance(exc, HubSpotRateLimited):
            self._limiter.hold(self._bucket, delay)
        return delay


def _maybe_applied(exc: HubSpotError) -> bool:
    """A connection lost after the request was sent: HubSpot may have acted on it."""
    return (
        isinstance(exc, HubSpotTransientError)
        and exc.status is None
        and not isinstance(exc, HubSpotRequestNotSent)
    )
