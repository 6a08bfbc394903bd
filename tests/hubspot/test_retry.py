"""The retry decision: which errors are retried and after how long."""

from __future__ import annotations

import pytest

from accredo_hubspot.hubspot.errors import (
    HubSpotRequestNotSent,
    HubSpotTransientError,
    error_from_response,
)
from accredo_hubspot.hubspot.ratelimit import Bucket, RateLimiter
from accredo_hubspot.hubspot.retry import RetryDecider, RetryPolicy, backoff_s, retry_delay_s

POLICY = RetryPolicy(max_attempts=5, backoff_initial_s=0.5, backoff_max_s=8.0)


def _half() -> float:
    return 0.5


def test_daily_limit_is_never_retried() -> None:
    """A DAILY 429 raises at once: the limit resets only at the portal's midnight."""
    error = error_from_response(429, {"policyName": "DAILY", "message": "daily"})

    assert retry_delay_s(error, 1, POLICY, rand=_half) is None


def test_ten_secondly_waits_out_the_window() -> None:
    """Without Retry-After a burst 429 waits until our calls left the window (capped at 10 s)."""
    error = error_from_response(429, {"policyName": "TEN_SECONDLY_ROLLING", "message": "x"})

    assert retry_delay_s(error, 1, POLICY, window_clear_s=4.0, rand=_half) == pytest.approx(4.125)
    assert retry_delay_s(error, 1, POLICY, window_clear_s=None, rand=_half) == pytest.approx(10.125)


def test_retry_after_is_honoured() -> None:
    """A Retry-After header decides the wait."""
    error = error_from_response(
        429, {"policyName": "TEN_SECONDLY_ROLLING"}, headers={"retry-after": "2"}
    )

    assert retry_delay_s(error, 1, POLICY, rand=lambda: 0.0) == 2.0


def test_secondly_waits_about_a_second() -> None:
    """The search limit (no policy name, "secondly" text) waits about one second."""
    error = error_from_response(429, {"message": "You have reached your secondly limit."})

    delay = retry_delay_s(error, 1, POLICY, rand=_half)
    assert delay is not None
    assert 1.0 <= delay <= 1.25


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 414])
def test_client_errors_are_not_retried(status: int) -> None:
    """4xx validation, auth, not-found and conflict errors are never retried."""
    error = error_from_response(status, {"message": "no"})

    assert retry_delay_s(error, 1, POLICY, rand=_half) is None


def test_server_errors_back_off_exponentially_until_the_cap() -> None:
    """5xx waits grow per attempt, with jitter, and stop at max_attempts."""
    error = error_from_response(503, {})
    delays = [retry_delay_s(error, n, POLICY, rand=_half) for n in range(1, 6)]

    assert delays == [0.375, 0.75, 1.5, 3.0, None]


def test_backoff_is_capped() -> None:
    """Backoff never exceeds backoff_max_s."""
    assert backoff_s(30, POLICY, lambda: 1.0) == 8.0


def test_locked_waits_two_seconds() -> None:
    """423 Locked waits at least the 2-s lock."""
    delay = retry_delay_s(error_from_response(423, {}), 1, POLICY, rand=lambda: 0.0)

    assert delay == 2.0


def _decider(*, safe_to_resend: bool = True) -> tuple[RetryDecider, RateLimiter]:
    limiter = RateLimiter(per_10s=100)
    decide = RetryDecider(
        POLICY, limiter=limiter, bucket=Bucket.GENERAL, safe_to_resend=safe_to_resend, rand=_half
    )
    return decide, limiter


def test_a_429_holds_the_whole_bucket_for_its_wait() -> None:
    """Every call of the portal waits, not only the refused one (stamina sleeps this one)."""
    decide, limiter = _decider()
    error = error_from_response(
        429, {"policyName": "TEN_SECONDLY_ROLLING"}, headers={"retry-after": "3"}
    )

    assert decide(error) == pytest.approx(3.125)
    assert 3.0 < limiter.wait_s(Bucket.GENERAL) <= 3.125
    assert limiter.wait_s(Bucket.SEARCH) == 0


def test_the_hook_counts_attempts_and_gives_up_at_the_cap() -> None:
    """The same waits as ``retry_delay_s``, attempt after attempt, then False."""
    decide, _ = _decider()
    error = error_from_response(503, {})

    assert [decide(error) for _ in range(5)] == [0.375, 0.75, 1.5, 3.0, False]


def test_a_lost_create_is_not_resent_but_an_unsent_one_is() -> None:
    """A dropped answer to a create may mean HubSpot made it; a refused connection may not."""
    lost = HubSpotTransientError("ReadError: connection reset", method="POST", url="/x")
    unsent = HubSpotRequestNotSent("ConnectError: refused", method="POST", url="/x")
    answered = error_from_response(502, {})  # HubSpot answered: it made nothing

    assert _decider(safe_to_resend=False)[0](lost) is False
    assert _decider(safe_to_resend=False)[0](unsent) == 0.375
    assert _decider(safe_to_resend=False)[0](answered) == 0.375
    assert _decider(safe_to_resend=True)[0](lost) == 0.375


@pytest.mark.parametrize("error", [ValueError("bug"), error_from_response(401, {})])
def test_the_hook_refuses_what_is_not_retriable(error: Exception) -> None:
    decide, _ = _decider()

    assert decide(error) is False
