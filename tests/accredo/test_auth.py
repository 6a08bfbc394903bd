"""Token timing (reference §2.3) and secrecy."""

from __future__ import annotations

from pydantic import SecretStr

from accredo_hubspot.accredo.auth import TokenState
from accredo_hubspot.accredo.models import TokenResponse


def test_refresh_is_due_at_eighty_percent_of_the_lifetime() -> None:
    state = TokenState(SecretStr("a" * 16), SecretStr("r" * 16), expires_in_s=100, issued_at=1000)
    assert not state.refresh_due(1000)
    assert not state.refresh_due(1079.9)
    assert state.refresh_due(1080)
    assert state.refresh_due(5000)


def test_tokens_never_show_in_reprs() -> None:
    token = TokenResponse.model_validate(
        {
            "access_token": "p8Zr2TqW5nLx0cVb",
            "expires_in": 3600,
            "refresh_token": "Hj4sK9dQ1mEw6tYu",
        }
    )
    state = TokenState(token.access_token, token.refresh_token, 3600, 0)
    for text in (repr(token), str(token), repr(state)):
        assert "p8Zr2TqW5nLx0cVb" not in text
        assert "Hj4sK9dQ1mEw6tYu" not in text
    assert token.access_token.get_secret_value() == "p8Zr2TqW5nLx0cVb"
    assert token.token_type == "bearer"
