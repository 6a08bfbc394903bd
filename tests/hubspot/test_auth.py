"""Credentials: bearer tokens stay hidden, OAuth tokens renew when due or expired."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from accredo_hubspot.hubspot import HubSpotClient, OAuthCredentials
from accredo_hubspot.hubspot.auth import BearerToken, OAuthSession
from accredo_hubspot.hubspot.errors import HubSpotAuthError

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"


class TokenEndpoint:
    """Records refresh forms and answers like ``POST /oauth/v1/token``."""

    def __init__(self) -> None:
        self.forms: list[Mapping[str, str]] = []

    async def post(self, form: Mapping[str, str]) -> Mapping[str, Any]:
        self.forms.append(dict(form))
        n = len(self.forms)
        return {"access_token": f"at-{n}", "refresh_token": f"rt-{n}", "expires_in": 1800}


def test_tokens_never_in_repr() -> None:
    """Neither the client, the credentials nor the session print a secret."""
    creds = OAuthCredentials("cid", "csecret", "rtoken", access_token="atoken")
    texts = [
        repr(HubSpotClient(TOKEN)),
        repr(HubSpotClient(oauth=creds)),
        repr(creds),
        repr(OAuthSession(creds)),
        repr(BearerToken(TOKEN)),
    ]

    for text in texts:
        for secret in (TOKEN, "csecret", "rtoken", "atoken"):
            assert secret not in text


def test_client_needs_credentials() -> None:
    """No token and no OAuth is refused at construction."""
    with pytest.raises(HubSpotAuthError):
        HubSpotClient()


async def test_oauth_refreshes_before_first_use_and_when_due() -> None:
    """Without an access token the session refreshes; near expiry it refreshes again."""
    now = [1000.0]
    endpoint = TokenEndpoint()
    session = OAuthSession(OAuthCredentials("cid", "cs", "rt-0"), clock=lambda: now[0])

    assert await session.token(endpoint.post) == "at-1"
    assert await session.token(endpoint.post) == "at-1"
    now[0] += 1800 - 30  # inside the refresh margin
    assert await session.token(endpoint.post) == "at-2"
    assert endpoint.forms[0] == {
        "grant_type": "refresh_token",
        "client_id": "cid",
        "client_secret": "cs",
        "refresh_token": "rt-0",
    }
    assert endpoint.forms[1]["refresh_token"] == "rt-1"  # the rotated refresh token is used


async def test_expired_refresh_happens_once_for_concurrent_callers() -> None:
    """Two callers with the same stale token cause a single refresh."""
    endpoint = TokenEndpoint()
    session = OAuthSession(OAuthCredentials("cid", "cs", "rt", access_token="old"))

    first = await session.refresh(endpoint.post, stale="old")
    second = await session.refresh(endpoint.post, stale="old")

    assert (first, second) == ("at-1", "at-1")
    assert len(endpoint.forms) == 1


async def test_token_answer_without_access_token_is_an_auth_error() -> None:
    """A token endpoint answer missing ``access_token`` raises."""
    session = OAuthSession(OAuthCredentials("cid", "cs", "rt"))

    with pytest.raises(HubSpotAuthError):
        session.apply({"error": "invalid_grant"})


async def test_bearer_cannot_refresh() -> None:
    """A refused private-app token is an auth error, not a refresh."""
    with pytest.raises(HubSpotAuthError):
        await BearerToken(TOKEN).refresh(TokenEndpoint().post, stale=TOKEN)
