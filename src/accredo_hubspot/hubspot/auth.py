"""Credentials: a bearer token, or OAuth 2 with refresh.

Reference §0-1: a legacy private-app token or a service key is a fixed bearer token (service
keys cannot receive webhooks; a legacy private app or a project-based/public app can). Public
and project-based apps use OAuth 2: a short-lived access token renewed with the refresh token
at ``POST /oauth/v1/token`` (form-encoded, ``grant_type=refresh_token``; the SDK's
``oauth.tokens_api.create``). Secrets are kept out of every ``repr``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from accredo_hubspot.hubspot.errors import HubSpotAuthError

#: Renew this long before the access token's stated expiry.
REFRESH_MARGIN_S = 60.0


@dataclass(frozen=True)
class OAuthCredentials:
    """An OAuth 2 app installation: client id/secret and the installation's refresh token."""

    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_token: str | None = field(default=None, repr=False)
    #: Epoch seconds at which ``access_token`` expires (``None``: refresh before first use).
    expires_at_s: float | None = None


#: Posts a form to the token endpoint and returns the JSON answer (raises on non-2xx).
PostForm = Callable[[Mapping[str, str]], Awaitable[Mapping[str, Any]]]


class BearerToken:
    """A fixed token (private app or service key)."""

    can_refresh = False

    def __init__(self, token: str) -> None:
        if not token:
            raise HubSpotAuthError("an access token is required")
        self._token = token

    async def token(self, post_form: PostForm) -> str:
        return self._token

    async def refresh(self, post_form: PostForm, *, stale: str) -> str:
        raise HubSpotAuthError("the bearer token was refused and cannot be refreshed")

    def __repr__(self) -> str:
        return "BearerToken(***)"


class OAuthSession:
    """Holds the current access token and renews it when due or when HubSpot says expired."""

    can_refresh = True

    def __init__(
        self, credentials: OAuthCredentials, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._credentials = credentials
        self._access_token = credentials.access_token
        self._refresh_token = credentials.refresh_token
        self._expires_at_s = credentials.expires_at_s
        self._clock = clock
        self._lock = asyncio.Lock()

    def refresh_form(self) -> dict[str, str]:
        """The token-endpoint form for a refresh."""
        return {
            "grant_type": "refresh_token",
            "client_id": self._credentials.client_id,
            "client_secret": self._credentials.client_secret,
            "refresh_token": self._refresh_token,
        }

    def is_due(self) -> bool:
        if self._access_token is None:
            return True
        if self._expires_at_s is None:
            return False
        return self._clock() >= self._expires_at_s - REFRESH_MARGIN_S

    def apply(self, answer: Mapping[str, Any]) -> str:
        """Adopt a token response (``TokenResponseIF``: access_token, refresh_token, expires_in)."""
        access = answer.get("access_token")
        if not isinstance(access, str) or not access:
            raise HubSpotAuthError("the token endpoint answered without an access_token")
        self._access_token = access
        refresh = answer.get("refresh_token")
        if isinstance(refresh, str) and refresh:
            self._refresh_token = refresh
        expires_in = answer.get("expires_in")
        self._expires_at_s = (
            self._clock() + float(expires_in) if isinstance(expires_in, int | float) else None
        )
        return access

    async def token(self, post_form: PostForm) -> str:
        if self.is_due():
            async with self._lock:
                if self.is_due():
                    return self.apply(await post_form(self.refresh_form()))
        assert self._access_token is not None
        return self._access_token

    async def refresh(self, post_form: PostForm, *, stale: str) -> str:
        """Renew after a 401; concurrent callers holding the same stale token renew once."""
        async with self._lock:
            if self._access_token is not None and self._access_token != stale:
                return self._access_token
            return self.apply(await post_form(self.refresh_form()))

    def __repr__(self) -> str:
        return f"OAuthSession(client_id={self._credentials.client_id!r})"


Credentials = BearerToken | OAuthSession
