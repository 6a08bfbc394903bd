"""The single path every HubSpot call takes: auth, rate limit, send, map errors, retry.

Retries run through stamina, deciding with ``retry.RetryDecider`` (as the Accredo client does
with its own): a 429 holds the whole bucket (every concurrent call of the portal waits, not
just this one); network failures are retried only when the request could not have been applied
(connect errors) or is idempotent, so a create is never sent twice after HubSpot may have
received it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import orjson
import stamina

from accredo_hubspot.hubspot import paths
from accredo_hubspot.hubspot.auth import Credentials
from accredo_hubspot.hubspot.errors import (
    HubSpotAuthError,
    HubSpotError,
    HubSpotRequestNotSent,
    HubSpotTransientError,
    error_from_response,
)
from accredo_hubspot.hubspot.ratelimit import Bucket, RateLimiter
from accredo_hubspot.hubspot.retry import RetryDecider, RetryPolicy
from accredo_hubspot.shared import ResponseHook, http_event_hooks

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
        rand: Callable[[], float] = random.random,
        on_response: ResponseHook | None = None,
    ) -> None:
        self.limiter = limiter
        self._credentials = credentials
        self._policy = retry_policy
        self._rand = rand
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout_s,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "accredo-hubspot"},
            event_hooks=http_event_hooks(on_response),
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
        return orjson.loads(response.content)

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
        retrying = stamina.retry_context(
            on=RetryDecider(
                self._policy,
                limiter=self.limiter,
                bucket=bucket,
                safe_to_resend=method in _IDEMPOTENT_METHODS if idempotent is None else idempotent,
                rand=self._rand,
            ),
            attempts=self._policy.max_attempts,
            timeout=None,
        )
        async for attempt in retrying:
            with attempt:
                return await self._send_authorised(method, path, params, body, bucket)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send_authorised(
        self, method: str, path: str, params: Params, body: Any, bucket: Bucket
    ) -> httpx.Response:
        """One attempt; an OAuth token HubSpot calls expired is renewed once and the call resent."""
        token = await self._credentials.token(self._post_token_form)
        try:
            return await self._send_once(method, path, params, body, bucket, token)
        except HubSpotAuthError as error:
            if not self._should_refresh(error):
                raise
        await self._credentials.refresh(self._post_token_form, stale=token)
        token = await self._credentials.token(self._post_token_form)
        return await self._send_once(method, path, params, body, bucket, token)

    async def _send_once(
        self, method: str, path: str, params: Params, body: Any, bucket: Bucket, token: str
    ) -> httpx.Response:
        """One request within the rate limit: a 2xx answer, or the error it maps to."""
        slots = await self.limiter.acquire(bucket)
        try:
            response = await self._http.request(
                method,
                path,
                params=_query(params),
                content=None if body is None else orjson.dumps(body),
                headers=_headers(token, body),
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise HubSpotRequestNotSent(
                f"{type(exc).__name__}: {exc}", method=method, url=path
            ) from exc
        except httpx.TransportError as exc:
            raise HubSpotTransientError(
                f"{type(exc).__name__}: {exc}", method=method, url=path
            ) from exc
        finally:
            self.limiter.done(slots)
        self.limiter.observe(bucket, response.headers)
        if response.is_success:
            return response
        raise error_from_response(
            response.status_code,
            response.content,
            headers=response.headers,
            method=method,
            url=path,
        )

    def _should_refresh(self, error: HubSpotError) -> bool:
        """Only an OAuth token HubSpot calls expired is renewed (a 401 alone is no proof)."""
        return (
            self._credentials.can_refresh
            and error.status == 401
            and error.category == "EXPIRED_AUTHENTICATION"
        )


def _headers(token: str, body: Any) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return headers
