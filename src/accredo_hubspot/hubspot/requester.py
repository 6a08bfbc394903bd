"""The single path every HubSpot call takes: auth, rate limit, send, map errors, retry.

Retries follow ``retry.retry_delay_s``. A 429 holds the whole bucket (every concurrent call
of the portal waits, not just this one). Network failures are retried only when the request
could not have been applied (connect errors) or is idempotent, so a create is never sent
twice after HubSpot may have received it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from accredo_hubspot.hubspot import paths
from accredo_hubspot.hubspot.auth import Credentials
from accredo_hubspot.hubspot.errors import (
    HubSpotAuthError,
    HubSpotError,
    HubSpotRateLimited,
    HubSpotTransientError,
    error_from_response,
)
from accredo_hubspot.hubspot.ratelimit import Bucket, RateLimiter
from accredo_hubspot.hubspot.retry import RetryPolicy, backoff_s, retry_delay_s

log = logging.getLogger(__name__)

Params = Mapping[str, str | int | bool | list[str]] | None
_IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE", "PATCH"})


def bucket_for(path: str) -> Bucket:
    if paths.is_search_path(path):
        return Bucket.SEARCH
    if paths.is_associations_path(path):
        return Bucket.ASSOCIATIONS
    return Bucket.GENERAL


def _query(params: Params) -> httpx.QueryParams:
    """Lists become repeated keys (``properties=a&properties=b``), booleans lowercase."""
    out: list[tuple[str, str | int | float | bool | None]] = []
    for key, value in (params or {}).items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            out.append((key, str(item).lower() if isinstance(item, bool) else str(item)))
    return httpx.QueryParams(out)


class Requester:
    """Sends requests for one portal. Owns the ``httpx.AsyncClient``."""

    def __init__(
        self,
        *,
        base_url: str,
        credentials: Credentials,
        limiter: RateLimiter,
        retry_policy: RetryPolicy,
        timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.limiter = limiter
        self._credentials = credentials
        self._policy = retry_policy
        self._sleep = sleep
        self._rand = rand
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout_s,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "accredo-hubspot"},
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _post_token_form(self, form: Mapping[str, str]) -> Mapping[str, Any]:
        response = await self._http.post(paths.OAUTH_TOKEN, data=dict(form))
        if response.status_code >= 400:
            error = error_from_response(
                response.status_code, response.content, method="POST", url=paths.OAUTH_TOKEN
            )
            raise HubSpotAuthError(f"token refresh failed: {error.message}", status=error.status)
        answer: Mapping[str, Any] = response.json()
        return answer

    async def json(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        body: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send and decode the JSON answer (``None`` for 204)."""
        response = await self.request(method, path, params=params, body=body, idempotent=idempotent)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        body: Any = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send until a 2xx (returned) or an error that is not retried (raised)."""
        method = method.upper()
        bucket = bucket_for(path)
        safe_to_resend = method in _IDEMPOTENT_METHODS if idempotent is None else idempotent
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            token = await self._credentials.token(self._post_token_form)
            slots = await self.limiter.acquire(bucket)
            try:
                response = await self._http.request(
                    method,
                    path,
                    params=_query(params),
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                )
            except httpx.TransportError as exc:
                self.limiter.done(slots)
                delay = self._network_retry_delay_s(exc, attempt, safe_to_resend)
                if delay is None:
                    raise HubSpotTransientError(
                        f"{type(exc).__name__}: {exc}", method=method, url=path
                    ) from exc
                log.warning("hubspot.network_retry path=%s attempt=%d", path, attempt)
                await self._sleep(delay)
                continue
            self.limiter.done(slots)
            self.limiter.observe(bucket, response.headers)
            if response.is_success:
                return response
            error = error_from_response(
                response.status_code,
                response.content,
                headers=response.headers,
                method=method,
                url=path,
            )
            if self._should_refresh(error, refreshed):
                refreshed = True
                await self._credentials.refresh(self._post_token_form, stale=token)
                continue
            delay = retry_delay_s(
                error,
                attempt,
                self._policy,
                window_clear_s=self.limiter.window_clear_s(bucket),
                rand=self._rand,
            )
            if delay is None:
                raise error
            self._log_retry(error, path, attempt, delay)
            if isinstance(error, HubSpotRateLimited):
                self.limiter.hold(bucket, delay)
            else:
                await self._sleep(delay)

    def _network_retry_delay_s(
        self, exc: httpx.TransportError, attempt: int, safe_to_resend: bool
    ) -> float | None:
        never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
        if attempt >= self._policy.max_attempts or not (never_sent or safe_to_resend):
            return None
        return backoff_s(attempt, self._policy, self._rand)

    def _should_refresh(self, error: HubSpotError, refreshed: bool) -> bool:
        """Only an OAuth token HubSpot calls expired is renewed (a 401 alone is no proof)."""
        return (
            not refreshed
            and self._credentials.can_refresh
            and error.status == 401
            and error.category == "EXPIRED_AUTHENTICATION"
        )

    @staticmethod
    def _log_retry(error: HubSpotError, path: str, attempt: int, delay_s: float) -> None:
        policy = error.policy if isinstance(error, HubSpotRateLimited) else None
        log.info(
            "hubspot.retry status=%s policy=%s path=%s attempt=%d delay_s=%.2f",
            error.status,
            policy,
            path,
            attempt,
            delay_s,
        )
