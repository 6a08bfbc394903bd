"""OAuth 2.0 password-grant tokens for the Accredo Web Service (reference §2).

One token per process, shared by every request (each token holds a web-user licence, §2.3).
Tokens are refreshed at 80 % of ``expires_in`` counted from when they were issued. Accredo's
expiry is a sliding idle timeout (each use extends it), so counting from issue is the
conservative reading: it is right for servers set to absolute expiry too, and a token left idle
longer than its lifetime is renewed before it is used. A 401 on a data request leads to
:meth:`TokenManager.reauthenticate` (refresh, then the password grant), done once per request by
the client. Secrets live in ``SecretStr`` and never appear in reprs, logs or error messages.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from pydantic import SecretStr, ValidationError

from accredo_hubspot.accredo.errors import (
    AccredoAuthError,
    AccredoError,
    AccredoTransientError,
    error_from_response,
)
from accredo_hubspot.accredo.models import TokenResponse

log = structlog.get_logger(__name__)

#: Refresh once this fraction of ``expires_in`` has passed (reference §2.3: "e.g. at 80 %").
REFRESH_AT_FRACTION = 0.8
#: Token service paths under the service root (reference §2.1, §2.3; revocation path [assumed]).
TOKEN_PATH = "/oauth2/v1/token"
REVOKE_ACCESS_PATH = "/oauth2/v1/accesstokens/"
REVOKE_REFRESH_PATH = "/oauth2/v1/refreshtokens/"


_TOKEN_IN_PATH = re.compile(r"(/oauth2/v1/(?:access|refresh)tokens/)[^\s\"?#]+")


class RedactTokenPaths(logging.Filter):
    """Hides the token in revocation URLs, which httpx logs at INFO ("HTTP Request: DELETE
    .../accesstokens/{token}"): the API puts the token in the path (reference §2.3)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _TOKEN_IN_PATH.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def _install_redaction(logger_name: str = "httpx") -> None:
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactTokenPaths) for f in logger.filters):
        logger.addFilter(RedactTokenPaths())


_install_redaction()


@dataclass(frozen=True)
class TokenState:
    """A token as issued, and when (monotonic seconds)."""

    access_token: SecretStr
    refresh_token: SecretStr | None
    expires_in_s: float
    issued_at: float

    def refresh_due(self, now: float, fraction: float = REFRESH_AT_FRACTION) -> bool:
        return now >= self.issued_at + fraction * self.expires_in_s


class TokenManager:
    """Gets, refreshes, re-acquires and revokes the client's token. Safe for concurrent use."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        client_id: str,
        username: str,
        password: SecretStr,
        clock: Callable[[], float] = time.monotonic,
        refresh_fraction: float = REFRESH_AT_FRACTION,
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._username = username
        self._password = password
        self._clock = clock
        self._refresh_fraction = refresh_fraction
        self._state: TokenState | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"TokenManager(base_url={self._base_url!r}, has_token={self._state is not None})"

    async def access_token(self) -> str:
        """A token to use now: the current one, or a refreshed or new one when due."""
        state = self._state
        if state is not None and not state.refresh_due(self._clock(), self._refresh_fraction):
            return state.access_token.get_secret_value()
        async with self._lock:
            state = self._state
            if state is None:
                state = await self._password_grant()
            elif state.refresh_due(self._clock(), self._refresh_fraction):
                state = await self._renew(state, revoke_old=True)
            return state.access_token.get_secret_value()

    async def reauthenticate(self, rejected_token: str) -> str:
        """After a 401 with ``rejected_token``: a fresh token (refresh, else password grant).

        If another task already replaced the rejected token, its replacement is returned.
        """
        async with self._lock:
            state = self._state
            if state is not None and state.access_token.get_secret_value() != rejected_token:
                return state.access_token.get_secret_value()
            # The server already refused the old token, so there is nothing to revoke.
            state = await (
                self._renew(state, revoke_old=False) if state else self._password_grant()
            )
            return state.access_token.get_secret_value()

    async def revoke(self) -> None:
        """Delete our tokens on the server so they stop holding a licence (reference §2.3).

        Failures are expected (the server may be gone, the token already expired) and ignored.
        """
        async with self._lock:
            state, self._state = self._state, None
        if state is None:
            return
        # The refresh token first, while the access token can still authorise the call.
        if state.refresh_token is not None:
            await self._revoke_quietly(REVOKE_REFRESH_PATH, state.refresh_token, state.access_token)
        await self._revoke_quietly(REVOKE_ACCESS_PATH, state.access_token, state.access_token)

    async def _renew(self, state: TokenState, *, revoke_old: bool) -> TokenState:
        if state.refresh_token is not None:
            try:
                new_state = await self._refresh_grant(state.refresh_token)
            except AccredoAuthError:
                log.info("accredo.token.refresh_refused")
            else:
                if revoke_old:
                    # The old access token stays valid until it expires; free its licence now.
                    await self._revoke_quietly(
                        REVOKE_ACCESS_PATH, state.access_token, new_state.access_token
                    )
                return new_state
        return await self._password_grant()

    async def _password_grant(self) -> TokenState:
        body = {
            "grant_type": "password",
            "client_id": self._client_id,
            "username": self._username,
            "password": self._password.get_secret_value(),
        }
        return await self._token_request(body, "password")

    async def _refresh_grant(self, refresh_token: SecretStr) -> TokenState:
        body = {
            "grant_type": "refresh_token",
            "client_id": self._client_id,
            "refresh_token": refresh_token.get_secret_value(),
        }
        return await self._token_request(body, "refresh_token")

    async def _token_request(self, body: Mapping[str, str], grant: str) -> TokenState:
        url = self._base_url + TOKEN_PATH
        try:
            response = await self._http.post(
                url, content=json.dumps(body), headers={"Content-Type": "application/json"}
            )
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise AccredoTransientError(f"POST {TOKEN_PATH}: {type(exc).__name__}") from None
        if response.status_code in (400, 401):
            raise _token_refused(response, grant)
        if not response.is_success:
            raise error_from_response(
                response.status_code,
                _json_or_none(response),
                response.headers,
                method="POST",
                path=TOKEN_PATH,
            )
        try:
            token = TokenResponse.model_validate_json(response.content)
        except ValidationError:
            raise AccredoError(f"POST {TOKEN_PATH}: unreadable token response") from None
        state = TokenState(
            access_token=token.access_token,
            refresh_token=token.refresh_token,
            expires_in_s=token.expires_in,
            issued_at=self._clock(),
        )
        self._state = state
        log.info("accredo.token.issued", grant=grant, expires_in_s=token.expires_in)
        return state

    async def _revoke_quietly(self, path: str, token: SecretStr, bearer: SecretStr) -> None:
        url = self._base_url + path + token.get_secret_value()
        headers = {"Authorization": f"Bearer {bearer.get_secret_value()}"}
        try:
            response = await self._http.delete(url, headers=headers)
        except httpx.HTTPError as exc:
            log.debug("accredo.token.revoke_failed", path=path, error=type(exc).__name__)
            return
        if not response.is_success:
            log.debug("accredo.token.revoke_refused", path=path, status=response.status_code)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _token_refused(response: httpx.Response, grant: str) -> AccredoAuthError:
    """RFC 6749 error body (``error``, ``error_description``) as an auth error."""
    body = _json_or_none(response)
    error = body.get("error") if isinstance(body, dict) else None
    description = body.get("error_description") if isinstance(body, dict) else None
    code = error if isinstance(error, str) else None
    detail = f": {description}" if isinstance(description, str) and description else ""
    return AccredoAuthError(
        f"token request ({grant} grant) refused: {response.status_code} {code or ''}{detail}",
        status_code=response.status_code,
        code=code,
    )
