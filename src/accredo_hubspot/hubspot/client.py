"""``HubSpotClient``: the async HubSpot CRM client the connector uses.

It implements the sync's ``HubSpotSink`` (``sync/ports.py``, checked in ``runtime``). Every
call goes through one ``Requester`` (auth, the portal's shared ``RateLimiter``, error mapping,
retries); the API areas are mixins over it, one module each.
"""

from __future__ import annotations

import httpx

from accredo_hubspot.hubspot.associations_api import AssociationsAPI
from accredo_hubspot.hubspot.auth import BearerToken, Credentials, OAuthCredentials, OAuthSession
from accredo_hubspot.hubspot.errors import HubSpotAuthError
from accredo_hubspot.hubspot.objects_api import ObjectsAPI
from accredo_hubspot.hubspot.ratelimit import RateLimiter
from accredo_hubspot.hubspot.requester import Requester
from accredo_hubspot.hubspot.retry import RetryPolicy
from accredo_hubspot.hubspot.schema_api import SchemaAPI
from accredo_hubspot.shared import AsyncClosing, ResponseHook

DEFAULT_BASE_URL = "https://api.hubapi.com"


class HubSpotClient(ObjectsAPI, SchemaAPI, AssociationsAPI, AsyncClosing):
    """Async client for one HubSpot portal. Use as ``async with HubSpotClient(...) as hs:``.

    Pass ``access_token`` (a private-app token or service key) or ``oauth``. Pass the same
    ``rate_limiter`` to every client of one portal so they share its budget.
    ``write_trace_ids=False`` sends batch writes without ``objectWriteTraceId`` (then a bad
    input fails its call with a 400 and is isolated by bisection instead of a 207).
    ``on_response`` is told the status of every answer (the process's metrics).
    """

    def __init__(
        self,
        access_token: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        oauth: OAuthCredentials | None = None,
        rate_limit_per_10s: int = 190,
        headroom: float = 0.9,
        search_per_s: int = 5,
        max_concurrency: int = 4,
        timeout_s: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_policy: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        write_trace_ids: bool = True,
        on_response: ResponseHook | None = None,
    ) -> None:
        credentials: Credentials
        if oauth is not None:
            credentials = OAuthSession(oauth)
        elif access_token:
            credentials = BearerToken(access_token)
        else:
            raise HubSpotAuthError("HubSpotClient needs an access_token or oauth credentials")
        self.base_url = base_url
        self.max_concurrency = max_concurrency
        self.write_trace_ids = write_trace_ids
        self.rate_limiter = rate_limiter or RateLimiter(
            per_10s=rate_limit_per_10s, headroom=headroom, search_per_s=search_per_s
        )
        self._requester = Requester(
            base_url=base_url,
            credentials=credentials,
            limiter=self.rate_limiter,
            retry_policy=retry_policy or RetryPolicy(),
            timeout_s=timeout_s,
            transport=transport,
            on_response=on_response,
        )
        self._auth_kind = "oauth" if oauth is not None else "bearer"

    async def aclose(self) -> None:
        await self._requester.aclose()

    def __repr__(self) -> str:
        return f"HubSpotClient(base_url={self.base_url!r}, auth={self._auth_kind!r})"
