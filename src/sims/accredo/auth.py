"""OAuth 2.0 password and refresh grants of the simulator (reference 2).

Tokens are 16 characters; access tokens expire after ``token_lifetime_s`` without use (sliding,
or absolute when configured); a refresh rotates the refresh token; each web client has a session
limit. Times are ``time.monotonic`` seconds.
"""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass
from typing import Any

from sims.accredo.company import API_USER_EMAIL
from sims.accredo.config import SimConfig

TOKEN_ALPHABET = string.ascii_letters + string.digits
TOKEN_LENGTH = 16  # the "Web Token" domain is String 16 (reference 2.1)


class GrantError(Exception):
    """An RFC 6749 error answer of the token endpoint."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


@dataclass
class AccessToken:
    value: str
    username: str
    client_id: str
    expires_at: float


@dataclass
class RefreshToken:
    value: str
    username: str
    client_id: str
    expires_at: float


def new_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


class TokenStore:
    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}

    def _live_sessions(self, client_id: str, now: float) -> int:
        for key in [k for k, t in self.access.items() if t.expires_at <= now]:
            del self.access[key]
        return sum(1 for t in self.access.values() if t.client_id == client_id)

    def _issue(self, username: str, client_id: str) -> dict[str, Any]:
        now = time.monotonic()
        if self._live_sessions(client_id, now) >= self.config.session_limit:
            raise GrantError(400, "access_denied", "Session limit reached for this web client.")
        access = AccessToken(new_token(), username, client_id, now + self.config.token_lifetime_s)
        self.access[access.value] = access
        body: dict[str, Any] = {
            "access_token": access.value,
            "token_type": "bearer",
            "expires_in": int(self.config.token_lifetime_s),
        }
        if self.config.create_refresh_tokens:
            refresh = RefreshToken(
                new_token(), username, client_id, now + self.config.refresh_token_lifetime_s
            )
            self.refresh[refresh.value] = refresh
            body["refresh_token"] = refresh.value
        return body

    def grant(self, form: dict[str, Any]) -> dict[str, Any]:
        """Answer a token request body (already parsed from JSON or a form)."""
        grant_type = form.get("grant_type")
        client_id = form.get("client_id")
        if not grant_type:
            raise GrantError(400, "invalid_request", "grant_type is required.")
        if grant_type not in ("password", "refresh_token"):
            raise GrantError(400, "unsupported_grant_type", f"Unsupported grant {grant_type}.")
        if not client_id:
            raise GrantError(400, "invalid_request", "client_id is required.")
        if client_id != self.config.client_id:
            raise GrantError(401, "invalid_client", "Unknown or inactive web client.")
        if grant_type == "password":
            username, password = form.get("username"), form.get("password")
            if not username or not password:
                raise GrantError(400, "invalid_request", "username and password are required.")
            # the user code, or that user's unique e-mail address (reference 2.1)
            user_ok = str(username).upper() == self.config.username.upper() or (
                str(username).lower() == API_USER_EMAIL
            )
            if not user_ok or password != self.config.password:
                raise GrantError(400, "invalid_grant", "Invalid username or password.")
            return self._issue(self.config.username.upper(), client_id)
        value = form.get("refresh_token")
        if not value:
            raise GrantError(400, "invalid_request", "refresh_token is required.")
        token = self.refresh.pop(str(value), None)
        if token is None or token.expires_at <= time.monotonic() or token.client_id != client_id:
            raise GrantError(400, "invalid_grant", "Invalid, expired or used refresh token.")
        return self._issue(token.username, client_id)

    def validate(self, value: str | None) -> str | None:
        """The user a live access token belongs to (pushing its idle expiry on), else None."""
        if not value:
            return None
        token = self.access.get(value)
        now = time.monotonic()
        if token is None:
            return None
        if token.expires_at <= now:
            del self.access[value]
            return None
        if not self.config.absolute_token_expiry:
            token.expires_at = now + self.config.token_lifetime_s
        return token.username

    def expire(self, value: str) -> None:
        """Forget an access token (early-expiry fault, revocation)."""
        self.access.pop(value, None)

    def revoke(self, kind: str, value: str) -> bool:
        store: dict[str, Any] = self.access if kind == "access" else self.refresh
        return store.pop(value, None) is not None
