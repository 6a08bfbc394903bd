"""Settings from the environment: every problem named at once, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from accredo_hubspot.errors import ConfigError
from accredo_hubspot.settings import (
    DEFAULT_DATABASE_URL,
    DEFAULT_HUBSPOT_BASE_URL,
    Secret,
    Settings,
    load_settings,
)

PASSWORD = "s3cret-Accredo-pw"
TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
DB_PASSWORD = "db-pa55word"
CLIENT_SECRET = "3f2a9c1e-client-secret"


def full_env(**overrides: str) -> dict[str, str]:
    env = {
        "ACCREDO_BASE_URL": "https://accredo.example.co.nz:8443/saturn/",
        "ACCREDO_COMPANY": "DEMO",
        "ACCREDO_CLIENT_ID": "connector",
        "ACCREDO_USERNAME": "sync",
        "ACCREDO_PASSWORD": PASSWORD,
        "HUBSPOT_ACCESS_TOKEN": TOKEN,
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v != "<unset>"}


def _error(env: dict[str, str], **kwargs: bool) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(env, **kwargs)
    return str(info.value)


def test_a_full_environment_loads_with_defaults() -> None:
    settings = load_settings(full_env())
    accredo = settings.require_accredo()
    hubspot = settings.require_hubspot()
    assert accredo.base_url == "https://accredo.example.co.nz:8443/saturn"
    assert (accredo.company, accredo.client_id, accredo.username) == ("DEMO", "connector", "sync")
    assert accredo.password.get_secret_value() == PASSWORD
    assert accredo.ca_bundle is None
    assert hubspot.access_token.get_secret_value() == TOKEN
    assert hubspot.base_url == DEFAULT_HUBSPOT_BASE_URL
    assert hubspot.client_secret is None  # no webhooks: polling carries the sync
    assert settings.database_url.get_secret_value() == DEFAULT_DATABASE_URL


def test_the_app_client_secret_is_a_secret() -> None:
    settings = load_settings(full_env(HUBSPOT_CLIENT_SECRET=CLIENT_SECRET))
    secret = settings.require_hubspot().client_secret
    assert secret is not None and secret.get_secret_value() == CLIENT_SECRET
    assert CLIENT_SECRET not in _shown(settings)
    message = _error(full_env(HUBSPOT_CLIENT_SECRET="two words"))
    assert "HUBSPOT_CLIENT_SECRET contains blanks" in message
    assert "two words" not in message


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("ACCREDO_HUBSPOT_STATUS_TOKEN", "status_token"),
        ("ACCREDO_HUBSPOT_HINT_SECRET", "hint_secret"),
    ],
)
def test_the_status_token_and_hint_secret_are_optional_secrets_of_some_length(
    name: str, field: str
) -> None:
    assert getattr(load_settings(full_env()), field) is None
    token = "0123456789abcdef-secret"
    settings = load_settings(full_env(**{name: token}))
    secret = getattr(settings, field)
    assert secret is not None
    assert secret.get_secret_value() == token
    assert token not in _shown(settings)
    short = _error(full_env(**{name: "letmein"}))
    assert f"{name} is shorter than 16 characters" in short
    assert "letmein" not in short
    blank = _error(full_env(**{name: "two words but long enough"}))
    assert f"{name} contains blanks" in blank


def test_the_connectors_app_id_is_read_and_must_be_a_number() -> None:
    hubspot = load_settings(full_env(HUBSPOT_APP_ID="1234567")).require_hubspot()
    assert hubspot.app_id == "1234567"
    assert load_settings(full_env()).require_hubspot().app_id is None
    message = _error(full_env(HUBSPOT_APP_ID="my-app"))
    assert "HUBSPOT_APP_ID is not a number" in message


def test_explicit_endpoints_database_and_ca_bundle(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = load_settings(
        full_env(
            HUBSPOT_BASE_URL="http://127.0.0.1:8001/",
            ACCREDO_HUBSPOT_DATABASE_URL=f"postgresql+psycopg://sync:{DB_PASSWORD}@db/state",
            ACCREDO_CA_BUNDLE=str(bundle),
        )
    )
    assert settings.require_hubspot().base_url == "http://127.0.0.1:8001"
    assert settings.require_accredo().ca_bundle == str(bundle)
    assert settings.database_url_display == "postgresql+psycopg://sync:***@db/state"


def test_settings_are_frozen() -> None:
    settings = load_settings(full_env())
    with pytest.raises(AttributeError):
        settings.database_url = Secret("sqlite://")  # type: ignore[misc]


def test_every_missing_setting_is_named_in_one_message() -> None:
    message = _error({})
    for name in [
        "ACCREDO_BASE_URL",
        "ACCREDO_COMPANY",
        "ACCREDO_CLIENT_ID",
        "ACCREDO_USERNAME",
        "ACCREDO_PASSWORD",
        "HUBSPOT_ACCESS_TOKEN",
    ]:
        assert f"{name} is not set: expected" in message
    assert (
        "ACCREDO_BASE_URL is not set: expected the Accredo Web Service root "
        "(under which /oauth2/v1/token and /odata4/v1 live), "
        "e.g. https://accredo.example.co.nz:8443/saturn"
    ) in message
    assert "HUBSPOT_BASE_URL" not in message and "DATABASE_URL" not in message


def test_blank_values_count_as_missing() -> None:
    message = _error(full_env(ACCREDO_COMPANY="   "))
    assert message.startswith("ACCREDO_COMPANY is not set")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("accredo.example.co.nz/saturn", "is not an http(s) URL"),
        ("ftp://accredo.example.co.nz/saturn", "is not an http(s) URL"),
        ("https://accredo.example.co.nz:99999/saturn", "is not an http(s) URL"),
        ("https://accredo.example.co.nz:8443", "has no service root path"),
        ("https://accredo.example.co.nz:8443/", "has no service root path"),
        ("https://h:8443/saturn/odata4/v1/Company('DEMO')", "should stop at the service root"),
        ("https://h/saturn?x=1", "must not have a query"),
    ],
)
def test_a_wrong_accredo_base_url_is_named_with_what_was_expected(value: str, why: str) -> None:
    message = _error(full_env(ACCREDO_BASE_URL=value))
    assert message.startswith(f"ACCREDO_BASE_URL {why}")
    assert "expected the Accredo Web Service root" in message


def test_a_wrong_hubspot_base_url_is_named() -> None:
    assert _error(full_env(HUBSPOT_BASE_URL="api.hubapi.com")).startswith(
        "HUBSPOT_BASE_URL is not an http(s) URL"
    )


def test_a_missing_ca_bundle_file_is_named(tmp_path: Path) -> None:
    message = _error(full_env(ACCREDO_CA_BUNDLE=str(tmp_path / "none.pem")))
    assert message.startswith("ACCREDO_CA_BUNDLE names no readable file")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("not a url", "is not an SQLAlchemy URL"),
        (f"mysql://root:{DB_PASSWORD}@localhost/state", "uses an unsupported database (mysql)"),
    ],
)
def test_a_wrong_database_url_is_named(value: str, why: str) -> None:
    message = _error(full_env(ACCREDO_HUBSPOT_DATABASE_URL=value))
    assert message.startswith(f"ACCREDO_HUBSPOT_DATABASE_URL {why}")
    assert DB_PASSWORD not in message


def test_problems_of_both_kinds_come_together() -> None:
    message = _error(full_env(ACCREDO_PASSWORD="<unset>", ACCREDO_BASE_URL="nope"))
    assert "ACCREDO_PASSWORD is not set" in message and "ACCREDO_BASE_URL is not an" in message


def test_sides_not_required_may_be_absent() -> None:
    settings = load_settings(
        {"ACCREDO_COMPANY": "DEMO"}, require_accredo=False, require_hubspot=False
    )
    assert settings.accredo is None and settings.hubspot is None
    with pytest.raises(ConfigError, match="ACCREDO_BASE_URL is not set"):
        settings.require_accredo()
    with pytest.raises(ConfigError, match="HUBSPOT_ACCESS_TOKEN is not set"):
        settings.require_hubspot()


def test_a_side_not_required_is_loaded_when_configured() -> None:
    settings = load_settings(full_env(), require_accredo=False, require_hubspot=False)
    assert settings.require_accredo().company == "DEMO"
    assert settings.require_hubspot().access_token.get_secret_value() == TOKEN


def test_a_side_not_required_is_still_checked_when_configured() -> None:
    message = _error(full_env(ACCREDO_BASE_URL="nope"), require_accredo=False)
    assert message.startswith("ACCREDO_BASE_URL is not an http(s) URL")


def _shown(settings: Settings) -> str:
    return " ".join(
        [
            repr(settings),
            str(settings),
            repr(settings.accredo),
            repr(settings.hubspot),
            str(settings.require_accredo().password),
            str(settings.require_hubspot().access_token),
            str(settings.database_url),
            settings.database_url_display,
        ]
    )


def test_secrets_never_appear_in_repr_or_str() -> None:
    settings = load_settings(
        full_env(ACCREDO_HUBSPOT_DATABASE_URL=f"postgresql://sync:{DB_PASSWORD}@db/state")
    )
    shown = _shown(settings)
    for secret in (PASSWORD, TOKEN, DB_PASSWORD):
        assert secret not in shown
    assert "**" in shown


def test_secrets_never_appear_in_error_messages() -> None:
    message = _error(
        full_env(
            ACCREDO_BASE_URL=f"https://sync:{PASSWORD}@accredo.example.co.nz/saturn",
            HUBSPOT_BASE_URL=f"https://x:{TOKEN}@api.hubapi.com",
            ACCREDO_HUBSPOT_DATABASE_URL=f"oracle://sync:{DB_PASSWORD}@db/state",
            ACCREDO_COMPANY="<unset>",
        )
    )
    assert "must not carry credentials" in message and "ACCREDO_COMPANY is not set" in message
    for secret in (PASSWORD, TOKEN, DB_PASSWORD):
        assert secret not in message


def test_load_settings_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in full_env(ACCREDO_COMPANY="FROMENV").items():
        monkeypatch.setenv(name, value)
    assert load_settings().require_accredo().company == "FROMENV"
