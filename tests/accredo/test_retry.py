"""Which failures are retried (reference §7): transient and 429 only, POSTs only when unsent."""

from __future__ import annotations

from accredo_hubspot.accredo.errors import (
    AccredoAuthError,
    AccredoRateLimited,
    AccredoTransientError,
    AccredoValidationError,
    PreconditionFailed,
    RequestNotSent,
)
from accredo_hubspot.accredo.retry import RetryDecider, RetryPolicy

POLICY = RetryPolicy(max_retry_after_s=30.0)


def test_idempotent_requests_retry_transient_failures_only() -> None:
    decide = RetryDecider(POLICY, idempotent=True)
    assert decide(AccredoTransientError("503")) is True
    assert decide(RequestNotSent("refused")) is True
    assert decide(AccredoValidationError("too long", field="CustomerName")) is False
    assert decide(PreconditionFailed("stale", current_etag="1/2")) is False
    assert decide(AccredoAuthError("no")) is False
    assert decide(ValueError("bug")) is False


def test_posts_retry_only_when_the_server_cannot_have_acted() -> None:
    decide = RetryDecider(POLICY, idempotent=False)
    assert decide(AccredoTransientError("dropped")) is False
    assert decide(RequestNotSent("refused")) is True
    assert decide(AccredoRateLimited("429", retry_after_s=3)) == 3


def test_rate_limit_waits_retry_after_capped() -> None:
    decide = RetryDecider(POLICY, idempotent=True)
    assert decide(AccredoRateLimited("429", retry_after_s=2.5)) == 2.5
    assert decide(AccredoRateLimited("429", retry_after_s=600)) == 30.0
